import AIFSTestSupport
import Foundation
import Testing

/// ripgrep's output and pattern flags (issue 18): `--vimgrep`, `-b`, `--trim`,
/// `--max-columns-preview`, `--passthru`, `-f`, and the engine flags aifs accepts
/// (`-P`, `--engine`, `--regex-size-limit`, `--dfa-size-limit`), compared byte for byte
/// with the installed `rg`, in every spelling of the options that take a value.
@Suite struct RipgrepOutputFlagTests {
    static let rg = Process.which("rg")

    static func makeTree(_ name: String = #function) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(name)
        try dir.tree([
            "a.txt": "  hello world hello\n\tfoo bar\nno\nhello\n",
            "b.txt": "x hello\n",
            "pats": "hello\nfoo\n",
            "crpats": "foo\r\n",
            "-dash": "no\n",
            "empty": "",
            "kv.txt": "foo=1 bar=22\nbaz\nfoo=3\n",
            "long.txt": "é" + String(repeating: "x", count: 30) + " hello hello\nshort hello\n",
        ])
        return dir
    }

    static let forms: [[String]] = [
        ["--vimgrep", "hello"], ["--vimgrep", "hello", "a.txt"], ["--vimgrep", "-o", "hello"], ["--vimgrep", "-C1", "hello", "a.txt"],
        ["--vimgrep", "--color", "always", "hello", "a.txt"],
        ["-b", "hello", "a.txt"], ["-b", "-o", "hello", "a.txt"], ["-bn", "--column", "hello", "a.txt"], ["--byte-offset", "-C1", "foo", "a.txt"],
        ["--trim", "foo|hello", "a.txt"], ["--trim", "-o", "foo", "a.txt"], ["--trim", "-n", "--column", "foo", "a.txt"],
        ["--trim", "--color", "always", "hello", "a.txt"], ["--trim", "--no-trim", "foo", "a.txt"],
        ["-M5", "--max-columns-preview", "hello", "a.txt"], ["-M5", "--max-columns-preview", "-o", "hello", "a.txt"],
        ["-M5", "--max-columns-preview", "--color", "always", "hello", "a.txt"], ["-M5", "--max-columns-preview", "--column", "hello", "a.txt"],
        ["-M", "10", "--max-columns-preview", "--color=always", "hello", "long.txt"], ["-M10", "--max-columns-preview", "hello", "long.txt"],
        ["--passthru", "hello", "a.txt"], ["--passthru", "-n", "hello", "a.txt"], ["--passthru", "-c", "hello", "a.txt"],
        ["--passthru", "-v", "hello", "a.txt"], ["--passthrough", "--color", "always", "hello", "a.txt"], ["--passthru", "--json", "foo", "a.txt"],
        ["-f", "pats", "a.txt"], ["-fpats", "a.txt"], ["-f=pats", "a.txt"], ["--file=pats", "-c", "a.txt"], ["--file", "pats", "a.txt"],
        ["-f", "empty", "a.txt"], ["-f", "crpats", "a.txt"], ["-fpats", "-e", "no", "a.txt"], ["-f", "-dash", "a.txt"], ["-f-dash", "a.txt"],
        ["-f", "missing", "a.txt"],
        // -r/--replace, with groups by number and name, `$$`, and in every spelling.
        ["-r", "X", "hello", "a.txt"], ["-r", "$1", #"(\w+)=(\d+)"#, "kv.txt"], ["-r", "[$2]", "-o", #"(\w+)=(\d+)"#, "kv.txt"],
        ["-r", "${k}:${v}", #"(?P<k>\w+)=(?P<v>\d+)"#, "kv.txt"], ["-r", "$k$$", #"(?P<k>\w+)="#, "kv.txt"],
        ["-r", "$1a", #"(\w+)="#, "kv.txt"], ["-r", "$9", "foo", "kv.txt"], ["-r", "$", "foo", "kv.txt"], ["-r", "${1", "foo", "kv.txt"],
        ["-r", "$1", "(x)?foo", "kv.txt"], ["-r", "Z", "--color", "always", "foo", "kv.txt"], ["-r", "Z", "-C1", "baz", "kv.txt"],
        ["-r", "Z", "-v", "-C1", "foo", "kv.txt"], ["-r", "-X", "foo", "kv.txt"], ["-r-X", "foo", "kv.txt"], ["-rQ", "-c", "foo", "kv.txt"],
        ["-r=", "foo", "kv.txt"], ["--replace=", "foo", "kv.txt"], ["--replace=<$0>", "foo", "kv.txt"], ["--replace", "-$0-", "foo", "kv.txt"],
        ["-r", "Y", "--vimgrep", "o", "kv.txt"], ["-r", "Y", "--json", "foo", "kv.txt"], ["-r", "Y", "-M5", "foo", "kv.txt"],
        // --colors, in both spellings, every attribute.
        ["--color=always", "--colors", "match:fg:blue", "foo", "kv.txt"], ["--color=always", "--colors=match:none", "foo", "kv.txt"],
        ["--color=always", "--colors", "match:none", "-o", "foo", "kv.txt"],
        ["--color=always", "--colors=path:fg:green", "--colors", "line:style:underline", "-n", "-H", "foo", "kv.txt"],
        ["--color=always", "--colors", "match:style:nobold", "--colors", "match:bg:yellow", "foo", "kv.txt"],
        ["--color=always", "--colors", "match:fg:0xff,0,10", "foo", "kv.txt"], ["--color=always", "--colors", "line:fg:200", "-n", "foo", "kv.txt"],
        ["--color=always", "--colors", "match:style:intense", "foo", "kv.txt"], ["--color=always", "--colors", "column:fg:cyan", "--column", "foo", "kv.txt"],
        ["--color=always", "--colors", "path:none", "-H", "foo", "kv.txt"], ["--color=always", "--colors", "match:fg:purple", "foo", "kv.txt"],
        ["--color=always", "--colors", "foo:fg:red", "foo", "kv.txt"], ["--color=always", "--colors", "match:fg", "foo", "kv.txt"],
        ["--colors", "match:fg:blue", "foo", "kv.txt"],
        ["-P", "hello", "a.txt"], ["--pcre2", "-c", "hello", "a.txt"],
        ["--regex-size-limit", "1M", "hello", "a.txt"], ["--regex-size-limit=1G", "hello", "a.txt"],
        ["--dfa-size-limit=10G", "hello", "a.txt"], ["--dfa-size-limit", "5K", "hello", "a.txt"],
        ["--dfa-size-limit", "lots", "hello", "a.txt"],
    ]

    @Test(.enabled(if: rg != nil, "ripgrep is not installed"), arguments: forms)
    func outputFlagsAsRipgrep(_ arguments: [String]) throws {
        let dir = try Self.makeTree("outflags")
        let ours = try AIFS.run(["search", "--sort", "path"] + arguments, in: dir.path)
        let theirs = try Process.capture(Self.rg!, ["--sort", "path"] + arguments, in: dir.path)
        let figures = { (text: String) in text.split(separator: "\n").map { String($0.replacing(/"elapsed(_total)?":\{[^}]*\}/, with: "")) } }
        #expect(ours.status == theirs.status, "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
        #expect(figures(ours.stdout) == figures(theirs.stdout), "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
    }

    /// `-f -` reads the patterns from standard input, which is then not searched.
    @Test(.enabled(if: rg != nil, "ripgrep is not installed"))
    func patternsFromStandardInput() throws {
        let dir = try Self.makeTree()
        let ours = try AIFS.run(["search", "--sort", "path", "-f", "-"], in: dir.path, input: .pipe(Array("foo\n".utf8)))
        let theirs = try Process.capture(Self.rg!, ["--sort", "path", "-f", "-"], in: dir.path, input: .pipe(Array("foo\n".utf8)))
        #expect(ours.stdout == theirs.stdout, "ours: \(ours)\ntheirs: \(theirs)")
        #expect(ours.stdout.hasPrefix("a.txt:\tfoo bar\n"), "\(ours)")
    }

    /// ripgrep 14's `--no-byte-offset`; ripgrep 13 did not have it.
    @Test func byteOffsetCanBeUndone() throws {
        let dir = try Self.makeTree()
        let result = try AIFS.run(["search", "-b", "--no-byte-offset", "hello", "b.txt"], in: dir.path)
        #expect(result.stdout == "x hello\n", "\(result)")
    }

    /// ripgrep 14's `--engine`; ripgrep 13 did not have it.
    @Test func engineIsAcceptedAndChecked() throws {
        let dir = try Self.makeTree()
        let pcre2 = try AIFS.run(["search", "--engine", "pcre2", "-c", "hello", "a.txt"], in: dir.path)
        #expect(pcre2.stdout == "2\n", "\(pcre2)")
        let auto = try AIFS.run(["search", "--engine=auto", "-c", "hello", "a.txt"], in: dir.path)
        #expect(auto.stdout == "2\n", "\(auto)")
        let wrong = try AIFS.run(["search", "--engine", "hyperscan", "hello", "a.txt"], in: dir.path)
        #expect(wrong.status == 2, "\(wrong)")
    }
}

/// `--crlf` (issue 18): `\r\n` ends lines for the matcher, and the records ripgrep
/// rebuilds (colour, `-o`, `-r`, counts, paths) end with `\r\n`.
@Suite struct RipgrepCRLFTests {
    @Test(.enabled(if: RipgrepOutputFlagTests.rg != nil, "ripgrep is not installed"), arguments: [
        ["--crlf", "foo$"], ["foo$"], ["--crlf", "-o", "o+$"], ["--crlf", "--json", "foo$"], ["--crlf", "-c", "^bar.*$"],
        ["--crlf", "-r", "X", "foo$"], ["--crlf", "--color", "always", "foo"], ["--crlf", "-x", "foo"], ["--crlf", "-n", "--column", "foo$"],
        ["--crlf", "-l", "foo"], ["--crlf", "--no-crlf", "foo$"],
    ])
    func crlfAsRipgrep(_ arguments: [String]) throws {
        let dir = try TemporaryDirectory("crlf")
        _ = try dir.file("crlf.txt", "foo\r\nbar foo\r\nfoo\n")
        let ours = try AIFS.run(["search"] + arguments + ["crlf.txt"], in: dir.path)
        let theirs = try Process.capture(RipgrepOutputFlagTests.rg!, arguments + ["crlf.txt"], in: dir.path)
        let figures = { (text: String) in text.split(separator: "\n").map { String($0.replacing(/"elapsed(_total)?":\{[^}]*\}/, with: "")) } }
        #expect(ours.status == theirs.status, "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
        #expect(figures(ours.stdout) == figures(theirs.stdout), "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
    }
}
