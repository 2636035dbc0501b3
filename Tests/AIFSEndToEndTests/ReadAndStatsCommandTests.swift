import AIFSTestSupport
import Foundation
import Testing

/// `aifs read` and `aifs stats` run as processes.
@Suite struct ReadAndStatsCommandTests {
    static func makeFiles(_ name: String = #function) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(name)
        try dir.file("f.txt", "one\ntwo\nthree\nfour\n")
        try dir.file("g.txt", "last line without end")
        try Data([0x61, 0, 0x62, 0x63]).write(to: URL(fileURLWithPath: dir.path("bin")))
        return dir
    }

    @Test func everyRange() throws {
        let dir = try Self.makeFiles()
        #expect(try AIFS.run(["read", "f.txt"], in: dir.path).stdout == "one\ntwo\nthree\nfour\n")
        #expect(try AIFS.run(["read", "--head", "2", "f.txt"], in: dir.path).stdout == "one\ntwo\n")
        #expect(try AIFS.run(["read", "--tail", "1", "f.txt"], in: dir.path).stdout == "four\n")
        #expect(try AIFS.run(["read", "--lines", "2:3", "f.txt"], in: dir.path).stdout == "two\nthree\n")
        #expect(try AIFS.run(["read", "--lines", "3:", "f.txt"], in: dir.path).stdout == "three\nfour\n")
        #expect(try AIFS.run(["read", "--bytes", "4:7", "f.txt"], in: dir.path).stdout == "two")
        #expect(try AIFS.run(["read", "--bytes", ":3", "f.txt"], in: dir.path).stdout == "one")
        #expect(try AIFS.run(["read", "--bytes", "100:", "f.txt"], in: dir.path).stdout == "")
        #expect(try AIFS.run(["read", "--tail", "1", "g.txt"], in: dir.path).stdout == "last line without end")
    }

    @Test func severalFilesGetHeadersAndOneFailureDoesNotStopTheOthers() throws {
        let dir = try Self.makeFiles()
        let result = try AIFS.run(["read", "--head", "1", "f.txt", "missing.txt", "g.txt"], in: dir.path)
        #expect(result.status == 2)
        #expect(result.stdout == "==> f.txt <==\none\n\n==> missing.txt <==\n\n==> g.txt <==\nlast line without end")
        #expect(result.stderr.contains("missing.txt"))
        #expect(result.stderr.contains("no such file"))
    }

    @Test func binaryFilesOnlyAsBytes() throws {
        let dir = try Self.makeFiles()
        let text = try AIFS.run(["read", "bin"], in: dir.path)
        #expect(text.status == 2)
        #expect(text.stderr.contains("binary file"))
        #expect(text.stderr.contains("--bytes"))
        #expect(text.stdout.isEmpty)
        let bytes = try AIFS.run(["read", "--bytes", "2:", "bin"], in: dir.path)
        #expect(bytes.status == 0)
        #expect(bytes.stdout == "bc")
    }

    @Test func badInput() throws {
        let dir = try Self.makeFiles()
        for arguments in [
            ["read", "--head", "1", "--tail", "1", "f.txt"], ["read", "--lines", "0:2", "f.txt"],
            ["read", "--lines", "5:2", "f.txt"], ["read", "--bytes", "x", "f.txt"], ["read", "--head", "-3", "f.txt"],
            ["read"],
        ] {
            let result = try AIFS.run(arguments, in: dir.path)
            #expect(result.status == 2, "\(arguments): \(result)")
            #expect(!result.stderr.isEmpty)
        }
        let directory = try AIFS.run(["read", "."], in: dir.path)
        #expect(directory.status == 2)
        #expect(directory.stderr.contains("is a directory"))
    }

    /// A file larger than the pieces it is printed in comes out whole.
    @Test func aLargeFileStreamsWhole() throws {
        let dir = try TemporaryDirectory()
        var text = ""
        for number in 0..<200_000 { text += "line \(number)\n" }
        try dir.file("big.txt", text)
        let result = try AIFS.run(["read", "big.txt"], in: dir.path)
        #expect(result.status == 0)
        #expect(result.stdout == text)
        let cut = try AIFS.run(["read", "--lines", "1:", "--max-bytes", "100", "big.txt"], in: dir.path)
        #expect(cut.stdout == (0..<13).map { "line \($0)\n" }.joined(), "whole lines within 100 bytes")
        #expect(cut.stderr.contains("--max-bytes"))
    }

    @Test func statsIsOneJSONObject() throws {
        let dir = try TemporaryDirectory()
        let result = try AIFS.run(["stats"], in: dir.path)
        #expect(result.status == 0, "\(result)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let memory = try #require(object["memory"] as? [String: Any])
        #expect((memory["residentBytes"] as? Int ?? 0) > 0)
        #expect((memory["limitBytes"] as? Int ?? 0) > (memory["residentBytes"] as? Int ?? 0))
        #expect(object["cache"] is [String: Any])
        #expect(object["watch"] is [String: Any])
        #expect((object["pool"] as? [String: Any])?["workers"] as? Int ?? 0 >= 1)
    }
}
