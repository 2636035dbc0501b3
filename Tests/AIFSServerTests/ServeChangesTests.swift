import AIFSTestSupport
import Foundation
import MCP
import Testing

/// `get_clock` and `changes_since` (issue 19, part 2): changes made by another
/// process just before the call are in the answer, with no wait.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ServeChangesTests {
    let directory: TemporaryDirectory
    var root: String { directory.path("root") }

    init() throws {
        directory = try TemporaryDirectory()
        try directory.tree([
            "root/b.txt": "b\n", "root/c.txt": "c\n", "root/d.txt": "d\n", "root/f.txt": "f\n",
            "root/sub/s.txt": "s\n", "root/.gitignore": "ignored/\n", "root/ignored/x.txt": "x\n",
        ])
    }

    func start() async throws -> ServerProcess {
        try await ServerProcess.start(["--root", root], in: directory.path)
    }

    func changes(_ answer: CallTool.Result) -> [String] {
        (answer["changes"]?.arrayValue ?? []).compactMap { entry -> String? in
            guard let object = entry.objectValue, let path = object["path"]?.stringValue, let kind = object["kind"]?.stringValue else { return nil }
            return "\(kind) \(path)" + (object["from"]?.stringValue.map { " from \($0)" } ?? "")
        }
    }

    @Test func changesSinceListsEveryChangeMadeBeforeTheCall() async throws {
        let server = try await start()
        let clock = try #require(try await server.call("get_clock", [:])["clock"]?.stringValue)
        // Another process changes the tree; the server is asked at once.
        try directory.file("root/a.txt", "new\n")
        try "b changed\n".write(toFile: directory.path("root/b.txt"), atomically: false, encoding: .utf8)
        try FileManager.default.removeItem(atPath: directory.path("root/c.txt"))
        try FileManager.default.moveItem(atPath: directory.path("root/d.txt"), toPath: directory.path("root/e.txt"))
        try "f saved\n".write(toFile: directory.path("root/f.txt"), atomically: true, encoding: .utf8)  // temp + rename
        try directory.file("root/ignored/y.txt", "y\n")
        let answer = try await server.call("changes_since", ["clock": .string(clock)])
        #expect(answer.isError != true, "\(answer.text)")
        #expect(answer["isFreshInstance"] == false)
        #expect(changes(answer) == [
            "created a.txt", "changed b.txt", "deleted c.txt", "deleted d.txt", "renamed e.txt from d.txt", "changed f.txt",
        ], "\(answer.text)")
        let versions = (answer["changes"]?.arrayValue ?? []).compactMap { $0.objectValue }
        let b = try #require(versions.first { $0["path"]?.stringValue == "b.txt" })
        let read = try await server.call("read_file", ["path": "b.txt"])
        #expect(b["version"]?.stringValue == read["version"]?.stringValue)
        #expect(versions.first { $0["path"]?.stringValue == "c.txt" }?["version"] == .null)

        // The new clock: nothing since, then only what follows.
        let next = try #require(answer["clock"]?.stringValue)
        #expect(changes(try await server.call("changes_since", ["clock": .string(next)])) == [])
        try directory.file("root/sub/t.txt", "t\n")
        try directory.file("root/z.txt", "z\n")
        let under = try await server.call("changes_since", ["clock": .string(next), "path": "sub"])
        #expect(changes(under) == ["created sub/t.txt"], "\(under.text)")
        #expect(await server.close() == 0)
    }

    @Test func answersArePagedAndAForeignClockIsAFreshInstance() async throws {
        var server = try await start()
        let clock = try #require(try await server.call("get_clock", [:])["clock"]?.stringValue)
        for index in 1...5 { try directory.file("root/n\(index).txt", "\(index)\n") }
        let first = try await server.call("changes_since", ["clock": .string(clock), "limit": 2])
        #expect(changes(first) == ["created n1.txt", "created n2.txt"])
        #expect(first["truncated"] == true)
        let cursor = try #require(first["nextCursor"]?.stringValue)
        let second = try await server.call("changes_since", ["clock": .string(clock), "limit": 2, "cursor": .string(cursor)])
        #expect(changes(second) == ["created n3.txt", "created n4.txt"])
        #expect(await server.close() == 0)

        // A clock from another server process cannot be exact: what exists is listed.
        server = try await start()
        let fresh = try await server.call("changes_since", ["clock": .string(clock), "limit": 100])
        #expect(fresh["isFreshInstance"] == true)
        let listed = changes(fresh)
        #expect(listed.contains("created b.txt") && listed.contains("created sub/s.txt") && listed.contains("created n5.txt"), "\(listed)")
        #expect(!listed.contains { $0.contains("ignored/") }, "gitignored files are not tracked: \(listed)")
        let malformed = try await server.call("changes_since", ["clock": "yesterday"])
        #expect(malformed["isFreshInstance"] == true)
        #expect(await server.close() == 0)
    }
}
