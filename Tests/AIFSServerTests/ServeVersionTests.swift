import AIFSTestSupport
import Foundation
import MCP
import Testing

/// Versioned reads and guarded writes (issue 19, part 1).
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ServeVersionTests {
    let directory: TemporaryDirectory
    var root: String { directory.path("root") }

    init() throws {
        directory = try TemporaryDirectory()
        try directory.tree(["root/notes.txt": "one\ntwo\nthree\n", "root/other.txt": "x\n"])
    }

    func start() async throws -> ServerProcess {
        try await ServerProcess.start(["--root", root], in: directory.path)
    }

    func contents(_ relative: String) -> String? {
        try? String(contentsOfFile: directory.path(relative), encoding: .utf8)
    }

    @Test func everyReadReturnsTheSameVersionAndItSurvivesARestart() async throws {
        var server = try await start()
        let whole = try await server.call("read_file", ["path": "notes.txt"])
        let version = try #require(whole["version"]?.stringValue)
        #expect(version.hasSuffix("-14"), "hash and size: \(version)")
        let head = try await server.call("read_file", ["path": "notes.txt", "head": 1])
        #expect(head["version"]?.stringValue == version, "a range carries the whole file's version")
        let info = try await server.call("get_file_info", ["path": "notes.txt"])
        #expect(info["version"]?.stringValue == version)
        let several = try await server.call("read_multiple_files", ["paths": ["notes.txt", "other.txt"]])
        #expect(several["files"]?.arrayValue?.first?.objectValue?["version"]?.stringValue == version)
        #expect(await server.close() == 0)
        server = try await start()
        #expect(try await server.call("read_file", ["path": "notes.txt"])["version"]?.stringValue == version)
        #expect(await server.close() == 0)
    }

    @Test func ifNoneMatchAnswersUnchangedWithoutTheContent() async throws {
        let server = try await start()
        let version = try #require(try await server.call("read_file", ["path": "notes.txt"])["version"]?.stringValue)
        let again = try await server.call("read_file", ["path": "notes.txt", "ifNoneMatch": .string(version)])
        #expect(again["unchanged"] == true)
        #expect(again["content"]?.stringValue == "")
        #expect(again.text.contains("unchanged"))
        try "one\nTWO\nthree\n".write(toFile: directory.path("root/notes.txt"), atomically: false, encoding: .utf8)
        let changed = try await server.call("read_file", ["path": "notes.txt", "ifNoneMatch": .string(version)])
        #expect(changed["unchanged"] == nil)
        #expect(changed["content"]?.stringValue == "one\nTWO\nthree\n")
        #expect(changed["version"]?.stringValue != version)
        #expect(await server.close() == 0)
    }

    /// A write that rests on a stale read is refused, says the current version and
    /// shows what changed, and writes nothing; the same content rewritten (a new
    /// timestamp, the same bytes) is not a change.
    @Test func aWriteOnAStaleReadIsRefusedWithWhatChanged() async throws {
        let server = try await start()
        let version = try #require(try await server.call("read_file", ["path": "notes.txt"])["version"]?.stringValue)
        // Someone else edits the file after the read.
        try "one\n2\nthree\n".write(toFile: directory.path("root/notes.txt"), atomically: true, encoding: .utf8)
        let refused = try await server.call("edit_file", [
            "path": "notes.txt", "edits": [["oldText": "one", "newText": "ONE"]], "expectedVersion": .string(version),
        ])
        #expect(refused.isError == true)
        #expect(refused.text.contains("changed since it was read"), "\(refused.text)")
        #expect(refused.text.contains("-two\n+2"), "the lines that changed: \(refused.text)")
        #expect(contents("root/notes.txt") == "one\n2\nthree\n")
        let write = try await server.call("write_file", ["path": "notes.txt", "content": "new\n", "expectedVersion": .string(version)])
        #expect(write.isError == true)
        #expect(contents("root/notes.txt") == "one\n2\nthree\n")

        // Rewriting the same bytes keeps the version: a content hash, not a timestamp.
        let current = try #require(try await server.call("read_file", ["path": "notes.txt"])["version"]?.stringValue)
        try "one\n2\nthree\n".write(toFile: directory.path("root/notes.txt"), atomically: true, encoding: .utf8)
        let accepted = try await server.call("write_file", ["path": "notes.txt", "content": "new\n", "expectedVersion": .string(current)])
        #expect(accepted.isError != true, "\(accepted.text)")
        #expect(contents("root/notes.txt") == "new\n")
        let after = try await server.call("read_file", ["path": "notes.txt"])
        #expect(accepted["version"]?.stringValue == after["version"]?.stringValue)

        let transaction = try await server.call("transaction", [
            "operations": [
                ["type": "write", "path": "other.txt", "content": "changed\n"],
                ["type": "update", "path": "notes.txt", "updates": [["oldText": "new", "newText": "newer"]], "expectedVersion": .string(version)],
            ],
        ])
        #expect(transaction.isError == true)
        #expect(transaction.text.contains("operation 2 of 2") && transaction.text.contains("changed since it was read"), "\(transaction.text)")
        #expect(contents("root/other.txt") == "x\n")
        let malformed = try await server.call("write_file", ["path": "notes.txt", "content": "z", "expectedVersion": "yesterday"])
        #expect(malformed.isError == true)
        #expect(malformed.text.contains("is not a version"), "\(malformed.text)")
        #expect(await server.close() == 0)
    }
}
