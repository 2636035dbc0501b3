import AIFSTestSupport
import Foundation
import MCP
import Testing

/// The client's roots (issue 19, part 6): used when no `--root` pins them, as the
/// official server does; `list_allowed_directories` says which apply.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ServeRootsTests {
    @Test func withoutRootTheClientsRootsApply() async throws {
        let directory = try TemporaryDirectory()
        try directory.tree(["cwd/here.txt": "cwd\n", "project/inside.txt": "inside\n"])
        let project = directory.path("project")
        let server = try await ServerProcess.start([], in: directory.path("cwd"), roots: [project])
        // The server asks once the client is initialized; wait for the answer with a
        // deadline, not a sleep.
        let deadline = ContinuousClock.now + .seconds(20)
        var listed: CallTool.Result
        repeat {
            listed = try await server.call("list_allowed_directories", [:])
        } while listed["source"]?.stringValue != "the client" && ContinuousClock.now < deadline
        #expect(listed["directories"] == [.string(project)], "\(listed.text)")
        #expect(try await server.call("read_file", ["path": "inside.txt"])["content"]?.stringValue == "inside\n")
        let outside = try await server.call("read_file", ["path": .string(directory.path("cwd/here.txt"))])
        #expect(outside.isError == true, "the current directory is no longer a root")
        #expect(await server.close() == 0)
    }

    @Test func aRootOptionPinsTheRoots() async throws {
        let directory = try TemporaryDirectory()
        try directory.tree(["pinned/a.txt": "a\n", "project/inside.txt": "inside\n"])
        let server = try await ServerProcess.start(
            ["--root", directory.path("pinned")], in: directory.path, roots: [directory.path("project")])
        let listed = try await server.call("list_allowed_directories", [:])
        #expect(listed["directories"] == [.string(directory.path("pinned"))])
        #expect(listed["source"]?.stringValue == "--root")
        // A call made after the client's roots would have been taken still sees --root.
        _ = try await server.call("get_clock", [:])
        #expect(try await server.call("read_file", ["path": .string(directory.path("project/inside.txt"))]).isError == true)
        #expect(await server.close() == 0)
    }
}
