import AIFSTestSupport
import Foundation
import Testing

/// One file big enough to be searched on several threads (over the 32 MiB threshold of
/// `SearchSplitting`), compared byte for byte with `rg`, which maps it: the parts must
/// come out as one search's lines, numbers, offsets, counts and binary note.
@Suite struct BigFileSearchTests {
    static let rg = Process.which("rg")

    /// 40 MiB of lines, `needle` on one line in 97 (some at the very start and end),
    /// `Needle` and `x123` now and then; `binary.txt` is the same with a NUL in a
    /// matching line three quarters in.
    static func makeFiles(_ name: String = #function) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(name)
        var text: [UInt8] = []
        text.reserveCapacity(41 << 20)
        var line = 0
        while text.count < 40 << 20 {
            line += 1
            if line % 97 == 0 {
                text += Array("line \(line) has a needle and a needle\n".utf8)
            } else if line % 1013 == 0 {
                text += Array("line \(line) Needle x123\n".utf8)
            } else {
                text += Array("line \(line) is straw, more straw, and hay \(line % 7 == 0 ? "" : "with some words")\n".utf8)
            }
        }
        text += Array("the last line has a needle and no newline".utf8)
        try write(text, to: dir.path("big.txt"))
        let nul = text[(text.count / 4 * 3)...].firstIndex(of: UInt8(ascii: "e"))!
        var binary = text
        binary.replaceSubrange(nul..<(nul + 1), with: Array("e needle \0".utf8))
        try write(binary, to: dir.path("binary.txt"))
        return dir
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw CocoaError(.fileWriteUnknown)
        }
    }

    /// JSON's timings differ from run to run.
    private static func figures(_ text: String) -> String {
        text.replacing(/"elapsed(_total)?":\{[^}]*\}/, with: "")
    }

    static let forms: [[String]] = [
        ["-n", "needle"], ["-c", "needle"], ["--count-matches", "needle"], ["-o", "-b", "needle"], ["-v", "-c", "needle"],
        ["-l", "needle"], ["-n", "--column", "Needle|x12"], ["-i", "-c", "needle"], ["--json", "-n", "x123"],
        ["-r", "[$0]", "-n", "Needle"], ["-c", "no such text"],
    ]

    @Test(.enabled(if: rg != nil, "ripgrep is not installed"))
    func bigFileAsRipgrep() throws {
        let dir = try Self.makeFiles()
        for file in ["big.txt", "binary.txt"] {
            for form in Self.forms {
                let arguments = form + [file]
                let ours = try AIFS.run(["search"] + arguments, in: dir.path)
                let theirs = try Process.capture(Self.rg!, arguments, in: dir.path)
                #expect(ours.status == theirs.status, "\(arguments)\nours: \(ours.stderr)")
                #expect(Self.figures(ours.stdout) == Self.figures(theirs.stdout), "\(arguments)")
            }
        }
    }
}
