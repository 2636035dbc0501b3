import AIFSTestSupport
import Foundation
import Testing

/// Binary files and byte-order marks as ripgrep 14 (issue 18), compared byte for byte
/// with the installed `rg` 13: both read 64 KiB at a time and stop at the read that
/// holds the first NUL byte, convert NULs to line ends in files named explicitly (or,
/// mapped, look for them in the first 64 KiB and in the lines they print), and strip a
/// UTF-8 BOM. The cases where ripgrep 14 differs from 13 are checked against 14's
/// documented output (its tests/binary.rs) instead.
/// Output lines without JSON's timings, which differ from run to run.
private func figures(_ text: String) -> [String] {
    text.split(separator: "\n").map { String($0.replacing(/"elapsed(_total)?":\{[^}]*\}/, with: "")) }
}

@Suite struct RipgrepBinaryTests {
    static let rg = Process.which("rg")

    /// `big.bin`: 20,000 lines `line N foo`, a first line `Project start`, a NUL byte at
    /// offset 100,000 (after ripgrep's first 64 KiB read) and `Heaven` only after it.
    /// `small.bin`: a NUL in its first line's neighbour. `quirk.bin`: a newline within
    /// the 3 bytes ripgrep's first read returns, then a NUL.
    static func makeTree(_ name: String = #function) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(name)
        var big = Array("Project start\n".utf8)
        for index in 0..<20_000 { big += Array("line \(index) foo\n".utf8) }
        big.insert(0, at: 100_000)
        big += Array("Heaven knows\n".utf8)
        try write(big, to: dir.path("big.bin"))
        try write(Array("foo bar\nbaz\0qux foo\n".utf8), to: dir.path("small.bin"))
        try write(Array("a\nfoo\0\nfoo\n".utf8), to: dir.path("quirk.bin"))
        try write(Array("plain foo\n".utf8), to: dir.path("text.txt"))
        return dir
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw CocoaError(.fileWriteUnknown)
        }
    }

    static let forms: [[String]] = [
        // Found in a directory: stop at the read with the NUL.
        ["foo"], ["-n", "foo"], ["-c", "foo"], ["--count-matches", "foo"], ["-l", "foo"], ["Heaven"], ["-n", "Project"],
        ["-v", "-c", "foo"], ["a"], ["-q", "Heaven"], ["--json", "Project"],
        // --binary and -a.
        ["--binary", "foo"], ["--binary", "-c", "foo"], ["--binary", "-n", "Heaven"], ["-a", "-c", "foo"],
        ["-a", "Heaven"], ["--binary", "-a", "-c", "foo"], ["-a", "--binary", "-c", "foo"],
        // Named explicitly (mapped, as ripgrep does for up to 10 files).
        ["foo", "small.bin"], ["-n", "foo", "big.bin"], ["-c", "foo", "big.bin"], ["Heaven", "big.bin"],
        ["-c", "foo", "small.bin"], ["foo", "big.bin", "small.bin", "quirk.bin"], ["a", "quirk.bin"],
        ["-l", "foo", "small.bin", "text.txt"],
        // Named explicitly next to a directory: not mapped, NULs read as line ends.
        ["-c", "foo", "small.bin", "."], ["-n", "foo", "big.bin", "."], ["Heaven", "big.bin", "."],
    ]

    @Test(.enabled(if: rg != nil, "ripgrep is not installed"), arguments: forms)
    func binaryFilesAsRipgrep(_ arguments: [String]) throws {
        let dir = try Self.makeTree("binary")
        let ours = try AIFS.run(["search", "--sort", "path"] + arguments, in: dir.path)
        let theirs = try Process.capture(Self.rg!, ["--sort", "path"] + arguments, in: dir.path)
        #expect(ours.status == theirs.status, "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
        #expect(figures(ours.stdout) == figures(theirs.stdout), "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
    }

    /// Standard input is read, never mapped: NULs become line ends.
    @Test(.enabled(if: rg != nil, "ripgrep is not installed"), arguments: [["foo"], ["-c", "foo"], ["-n", "bar"]])
    func binaryStandardInputAsRipgrep(_ arguments: [String]) throws {
        let dir = try Self.makeTree("binary-stdin")
        let input = Array("foo bar\nbaz\0qux foo\n".utf8)
        let ours = try AIFS.run(["search"] + arguments, in: dir.path, input: .pipe(input))
        let theirs = try Process.capture(Self.rg!, arguments, in: dir.path, input: .pipe(input))
        #expect(ours.status == theirs.status, "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
        #expect(ours.stdout == theirs.stdout, "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
    }

    /// `-uuu` is `--no-ignore --hidden --binary` in ripgrep 14; ripgrep 13 read it as
    /// `-a`, so the peer gets the long spelling.
    @Test(.enabled(if: rg != nil, "ripgrep is not installed"))
    func threeUsSearchBinaryFiles() throws {
        let dir = try Self.makeTree()
        let ours = try AIFS.run(["search", "--sort", "path", "-uuu", "-n", "foo"], in: dir.path)
        let theirs = try Process.capture(
            Self.rg!, ["--sort", "path", "--no-ignore", "--hidden", "--binary", "-n", "foo"], in: dir.path)
        #expect(ours.stdout == theirs.stdout, "ours: \(ours)\ntheirs: \(theirs)")
        #expect(ours.stdout.contains("small.bin: binary file matches (found \"\\0\" byte around offset 11)\n"))
        let negated = try AIFS.run(["search", "--sort", "path", "--binary", "--no-binary", "-c", "foo"], in: dir.path)
        #expect(negated.stdout == "text.txt:1\n", "\(negated)")
    }

    /// ripgrep 14's tests/binary.rs `after_match1_implicit`: the match before the NUL's
    /// read is printed, then the warning naming the file.
    @Test func walkedFileWarnsAfterItsMatches() throws {
        let dir = try Self.makeTree()
        let result = try AIFS.run(["search", "-n", "Project", "-g", "big.bin"], in: dir.path)
        #expect(result.stdout == """
            big.bin:1:Project start
            big.bin: WARNING: stopped searching binary file after match (found "\\0" byte around offset 100000)

            """, "\(result)")
        #expect(result.status == 0)
        // A match only after the NUL: nothing, exit 1 (before_match1_implicit).
        let after = try AIFS.run(["search", "Heaven", "-g", "big.bin"], in: dir.path)
        #expect(after.stdout.isEmpty && after.status == 1, "\(after)")
    }

    /// A UTF-8 byte-order mark is not part of the first line: `^` matches there and
    /// columns and offsets count from after it, as in ripgrep.
    @Test(.enabled(if: rg != nil, "ripgrep is not installed"), arguments: [
        ["^test", "bom.txt"], ["--column", "test", "bom.txt"], ["-o", "line", "bom.txt"],
        ["--json", "^test", "bom.txt"], ["-c", "^test"],
    ])
    func byteOrderMarkIsStripped(_ arguments: [String]) throws {
        let dir = try TemporaryDirectory("bom")
        try Self.write([0xEF, 0xBB, 0xBF] + Array("test line\nsecond test\n".utf8), to: dir.path("bom.txt"))
        let ours = try AIFS.run(["search"] + arguments, in: dir.path)
        let theirs = try Process.capture(Self.rg!, arguments, in: dir.path)
        #expect(ours.status == theirs.status, "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
        #expect(figures(ours.stdout) == figures(theirs.stdout), "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
    }
}

/// `--null-data` (issue 18): NUL-terminated records, `^` and `$` at each `\n` inside a
/// record, records printed with their NUL, counts and paths ended by NUL, no binary
/// detection. Compared byte for byte with the installed `rg`.
@Suite struct RipgrepNullDataTests {
    @Test(.enabled(if: RipgrepBinaryTests.rg != nil, "ripgrep is not installed"), arguments: [
        ["foo"], ["-n", "foo"], ["-c", "foo"], ["-o", "foo"], ["-l", "foo"], ["^bar"], ["two$"], ["-A1", "one"],
        ["--json", "bar"], ["-v", "foo"], ["--color", "always", "foo"], ["-b", "foo"], ["-x", "baz"], ["-w", "last"],
    ])
    func nullDataAsRipgrep(_ arguments: [String]) throws {
        let dir = try TemporaryDirectory("nulldata")
        try RipgrepBinaryTests.write(Array("foo one\0bar\nfoo two\0baz\0last foo".utf8), to: dir.path("r.bin"))
        let ours = try AIFS.run(["search", "--null-data"] + arguments + ["r.bin"], in: dir.path)
        let theirs = try Process.capture(RipgrepBinaryTests.rg!, ["--null-data"] + arguments + ["r.bin"], in: dir.path)
        #expect(ours.status == theirs.status, "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
        #expect(figures(ours.stdout) == figures(theirs.stdout), "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
    }
}
