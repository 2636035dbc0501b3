import AIFSTestSupport
import Foundation
import Testing

/// `aifs search` run as a process; where ripgrep is installed, compared byte for byte
/// with what `rg` prints for the same arguments.
@Suite struct SearchCommandTests {
    static func makeProject(_ name: String = #function) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(name)
        try dir.tree([
            ".git/": "",
            ".gitignore": "*.log\n",
            "src/main.swift": "import Foundation\n// TODO: parse arguments\nlet manager = FileManager.default\nprint(\"hello, world\")\n",
            "src/util.swift": "func helper() -> Int {\n    // todo later\n    return 42\n}\nlet TODO = \"TODO TODO\"\n",
            "docs/readme.md": "# Readme\n\nSome words about the TODO list.\nNothing else.\n",
            "debug.log": "TODO in an ignored file\n",
            "crlf.txt": "first line\r\nTODO with crlf\r\nlast\r\n",
            "noeol.txt": "no newline at the end TODO",
            "bin.dat": "TODO before\n\0binary\nTODO after\n",
            "latin1.txt": "caf\u{E9} TODO\n",
        ])
        // A file that is not valid UTF-8.
        try Data([0x66, 0x6f, 0xff, 0x20, 0x54, 0x4f, 0x44, 0x4f, 0x0a]).write(to: URL(fileURLWithPath: dir.path("bad-utf8.txt")))
        return dir
    }

    static let comparisons: [[String]] = [
        ["TODO"],
        ["-n", "TODO"],
        ["-i", "todo"],
        ["-S", "todo"],
        ["-s", "todo"],
        ["-F", "Int {"],
        ["-w", "TODO"],
        ["-x", "Nothing else."],
        ["-v", "-n", "TODO", "src"],
        ["-c", "TODO"],
        ["--count-matches", "TODO"],
        ["-l", "TODO"],
        ["--files-without-match", "TODO"],
        ["-o", "-n", "TODO"],
        ["--column", "-n", "TODO"],
        ["-n", "-A", "1", "TODO", "src"],
        ["-n", "-B", "2", "TODO", "src"],
        ["-n", "-C", "1", "return|Readme", "."],
        ["-m", "1", "-n", "TODO"],
        ["-m", "0", "TODO"],
        ["-e", "helper", "-e", "manager"],
        ["[A-Z][a-z]+Manager"],
        ["func\\s+\\w+"],
        ["-n", "TODO", "src/main.swift"],
        ["TODO", "bin.dat"],
        ["-a", "-n", "TODO", "bin.dat"],
        ["--hidden", "-l", "TODO"],
        ["--no-ignore", "-l", "TODO"],
        ["-g", "*.swift", "-n", "TODO"],
        ["--max-depth", "1", "-l", "TODO"],
        ["-n", "TODO", "noeol.txt", "crlf.txt"],
        ["nothing-matches-this"],
        ["-c", "-v", "TODO", "src"],
        ["-n", "--json", "TODO", "src"],
    ]

    @Test(.enabled(if: Process.which("rg") != nil || FaultTools.inCI, "ripgrep is not installed (in CI a missing peer fails)"), arguments: comparisons)
    func printsWhatRipgrepPrints(_ arguments: [String]) throws {
        let dir = try Self.makeProject("compare")
        let rg = try #require(Process.which("rg"), "install ripgrep: the peer these tests compare with")
        let ours = try AIFS.run(["search", "--sort", "path"] + arguments, in: dir.path)
        let theirs = try Process.capture(rg, ["--sort", "path"] + arguments, in: dir.path)
        #expect(ours.status == theirs.status, "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
        if arguments.contains("--json") {
            // Timings differ from run to run: compare everything else.
            #expect(Self.withoutTimings(ours.stdout) == Self.withoutTimings(theirs.stdout), "\(arguments)")
        } else {
            #expect(ours.stdout == theirs.stdout, "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
        }
    }

    static func withoutTimings(_ json: String) -> String {
        json.replacingOccurrences(of: #""elapsed(_total)?":\{[^}]*\}"#, with: "\"elapsed\":{}", options: .regularExpression)
            .replacingOccurrences(of: #""bytes_printed":\d+"#, with: "\"bytes_printed\":0", options: .regularExpression)
    }

    @Test func exitCodesAreRipgrepsExitCodes() throws {
        let dir = try Self.makeProject()
        #expect(try AIFS.run(["search", "TODO"], in: dir.path).status == 0)
        #expect(try AIFS.run(["search", "absent-word"], in: dir.path).status == 1)
        let missing = try AIFS.run(["search", "TODO", "nope", "src"], in: dir.path)
        #expect(missing.status == 2, "\(missing)")
        #expect(missing.stderr.contains("nope"))
        #expect(missing.stdout.contains("src/main.swift"))
    }

    @Test func invalidRegexNamesThePosition() throws {
        let dir = try Self.makeProject()
        let result = try AIFS.run(["search", "a(b"], in: dir.path)
        #expect(result.status == 2, "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("a(b"))
        #expect(result.stderr.contains("offset"))
    }

    @Test func patternMatchingTheEmptyStringReportsEveryLine() throws {
        let dir = try TemporaryDirectory()
        try dir.file("a.txt", "one\ntwo\n\nfour\n")
        let result = try AIFS.run(["search", "-c", "x*", "a.txt"], in: dir.path)
        #expect(result.status == 0)
        #expect(result.stdout == "4\n")
    }

    /// A line on which PCRE2's backtracking gives up is decided by its DFA, as rg's own
    /// engine decides it; one nothing decides is an error that names the file and line.
    /// https://github.com/aifs/aifs/issues/15 (defect 7)
    @Test func issue15_linesTheRegexEngineGivesUpOnAreDecidedOrReported() throws {
        let dir = try TemporaryDirectory()
        let long = String(repeating: "a", count: 30) + "b"
        try dir.file("f.txt", "first b\n\(long)\nthird b\n")
        try dir.file("only.txt", "\(long)\n")
        let decided = try AIFS.run(["search", "(a+)+$|b$", "f.txt"], in: dir.path)
        #expect(decided.status == 0, "\(decided)")
        #expect(decided.stdout == "first b\n\(long)\nthird b\n")
        #expect(decided.stderr.isEmpty)
        if let rg = Process.which("rg") {
            #expect(try Process.capture(rg, ["(a+)+$|b$", "f.txt"], in: dir.path).stdout == decided.stdout)
        }

        let undecided = try AIFS.run(["search", "-n", #"(a+)+\1$|b$"#, "f.txt"], in: dir.path)
        #expect(undecided.status == 2, "\(undecided)")
        #expect(undecided.stdout == "1:first b\n3:third b\n")
        #expect(undecided.stderr.contains("f.txt:2: the regex engine gave up on this line (PCRE2: match limit exceeded)"),
                "\(undecided)")
        // With no other match the answer is not "no match" (1) but an error (2).
        let alone = try AIFS.run(["search", #"(a+)+\1$|b$"#, "only.txt"], in: dir.path)
        #expect(alone.status == 2, "\(alone)")
        #expect(alone.stderr.contains("only.txt: the line at byte offset 0: the regex engine gave up"), "\(alone)")
        let counted = try AIFS.run(["search", "-c", #"(a+)+\1$|b$"#, "f.txt"], in: dir.path)
        #expect(counted.status == 2 && counted.stdout == "2\n", "\(counted)")
    }

    /// A line longer than the 64 MiB buffer: right line numbers, columns and offsets, a
    /// cut said on stderr with exit status 2 where lines are printed, and counts that
    /// stay right (exit 0). https://github.com/aifs/aifs/issues/15 (defect 6)
    @Test(.timeLimit(.minutes(1)))
    func issue15_aLineLongerThanTheBufferIsNeverSilentlyCut() throws {
        let dir = try TemporaryDirectory()
        var contents = Array("first line\nNEEDLE".utf8)
        contents += [UInt8](repeating: UInt8(ascii: "y"), count: 70 << 20)
        contents += Array("END\nlast NEEDLE\n".utf8)
        try Data(contents).write(to: URL(fileURLWithPath: dir.path("long.txt")))
        let endColumn = 6 + (70 << 20) + 1

        let end = try AIFS.run(["search", "-n", "--column", "END", "long.txt"], in: dir.path)
        #expect(end.status == 2)
        #expect(end.stdout.hasPrefix("2:\(endColumn):yyyy") && end.stdout.hasSuffix("yyyEND\n"))
        #expect(end.stderr.contains("aifs: long.txt:2: the line is longer than the search buffer (67108864 bytes)"), "\(end.stderr)")
        if let rg = Process.which("rg") {
            let theirs = try Process.capture(rg, ["-n", "--column", "END", "long.txt"], in: dir.path)
            #expect(theirs.stdout.hasPrefix("2:\(endColumn):"))
        }

        let only = try AIFS.run(["search", "-o", "-n", "--column", "NEEDLE", "long.txt"], in: dir.path)
        #expect(only.stdout == "2:1:NEEDLE\n3:6:NEEDLE\n")
        #expect(only.status == 2)

        // --json's offsets are checked in LongLineTests: encoding a 23 MB line takes the
        // debug build 10 s.
        let count = try AIFS.run(["search", "-c", "y", "long.txt"], in: dir.path)
        #expect(count.stdout == "1\n")
        #expect(count.status == 0 && count.stderr.isEmpty, "\(count)")
    }

    @Test(.timeLimit(.minutes(1)))
    func aHugeSingleLineDoesNotHang() throws {
        let dir = try TemporaryDirectory()
        let line = String(repeating: "abcdefgh", count: 4 * 1024 * 1024) + "needle\n"
        try dir.file("huge.txt", line)
        let result = try AIFS.run(["search", "-c", "needle", "huge.txt"], in: dir.path)
        #expect(result.status == 0)
        #expect(result.stdout == "1\n")
    }
}
