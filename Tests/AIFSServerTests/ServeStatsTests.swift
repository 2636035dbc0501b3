import AIFSTestSupport
import Foundation
import MCP
import Testing

/// `get_filesystem_stats` and reads through the server's content cache.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ServeStatsTests {
    @Test func statsShowMemoryAndTheCacheAtWork() async throws {
        let directory = try TemporaryDirectory()
        try directory.file("root/notes.txt", "first\n")
        let server = try await ServerProcess.start(["--root", directory.path("root")], in: directory.path)

        let first = try await server.call("get_filesystem_stats")
        #expect(first.isError != true, "\(first.text)")
        let memory = try #require(first["memory"]?.objectValue)
        #expect((memory["residentBytes"]?.intValue ?? 0) > 1 << 20)
        #expect((memory["limitBytes"]?.intValue ?? 0) > (memory["residentBytes"]?.intValue ?? 0))
        #expect(first["cache"]?.objectValue?["entries"]?.intValue == 0)

        // A file just written is not cached at once (the racy window); reading it again
        // until a hit shows, with a deadline, proves the cache serves repeated reads.
        let deadline = ContinuousClock.now + .seconds(30)
        var hits = 0
        while hits == 0, ContinuousClock.now < deadline {
            let read = try await server.call("read_file", ["path": "notes.txt"])
            #expect(read["content"]?.stringValue == "first\n")
            hits = try await server.call("get_filesystem_stats")["cache"]?.objectValue?["hits"]?.intValue ?? 0
        }
        #expect(hits > 0)

        // A change is seen at once: the identity check catches it on the next read.
        try "second, longer\n".write(toFile: directory.path("root/notes.txt"), atomically: false, encoding: .utf8)
        let after = try await server.call("read_file", ["path": "notes.txt"])
        #expect(after["content"]?.stringValue == "second, longer\n")
        let stats = try await server.call("get_filesystem_stats")
        #expect(stats["cache"]?.objectValue?["staleEntries"]?.intValue == 1)
        #expect(stats.text.contains("memory:"))

        let unknown = try await server.call("get_filesystem_stats", ["verbose": true])
        #expect(unknown.isError == true)
        #expect(await server.close() == 0)
    }
}
