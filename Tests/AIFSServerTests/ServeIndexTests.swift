import AIFSTestSupport
import Foundation
import MCP
import Testing

/// `aifs serve`'s live index, through a real client: built in the background, used by
/// `search_content` once ready, never stale, and off with `--no-index`.
/// https://github.com/aifs/aifs/issues/17
@Suite(.timeLimit(.minutes(2)))
struct ServeIndexTests {
    /// Asks `get_filesystem_stats` until the index leaves `building` (a deadline, no sleep:
    /// each call is a round trip to the server).
    static func waitForIndex(
        _ server: ServerProcess, until done: ([String: Value]) -> Bool = { $0["state"] != "building" }
    ) async throws -> [String: Value] {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let stats = try await server.call("get_filesystem_stats")
            let index = stats["index"]?.objectValue ?? [:]
            if done(index) || ContinuousClock.now > deadline { return index }
            await Task.yield()
        }
    }

    static func search(_ server: ServerProcess, _ arguments: [String: Value]) async throws -> (matches: Value?, stats: [String: Value]) {
        let result = try await server.call("search_content", arguments)
        #expect(result.isError != true, "\(result.text)")
        return (result["matches"], result["stats"]?.objectValue ?? [:])
    }

    @Test func searchesUseTheIndexOnceReadyAndAnswerAsTheScan() async throws {
        let dir = try TemporaryDirectory()
        for index in 0..<300 { try dir.file("src/m\(index % 10)/file\(index).swift", "func value\(index)() -> Int { \(index) }\n") }
        try dir.file("src/special.swift", "let needleInAHaystack = 42\n")
        let indexed = try await ServerProcess.start(["--root", dir.path], in: dir.path)
        let scanning = try await ServerProcess.start(["--root", dir.path, "--no-index"], in: dir.path)
        let index = try await Self.waitForIndex(indexed)
        #expect(index["state"] == "ready", "\(index)")
        #expect(index["files"] == 301)
        #expect((index["ngrams"]?.intValue ?? 0) > 0 && (index["memoryBytes"]?.intValue ?? 0) > 0)
        #expect(try await Self.waitForIndex(scanning)["state"] == "off")

        for arguments: [String: Value] in [
            ["pattern": "needleInAHaystack"], ["pattern": "value1[0-9]+\\(", "before": 1], ["pattern": "FUNC", "caseMode": "insensitive", "maxResults": 20],
            ["pattern": "\\d{3}"], ["pattern": "needle", "path": "src"], ["pattern": "value7", "outputMode": "count"],
        ] {
            let (matches, stats) = try await Self.search(indexed, arguments)
            let (expected, scanStats) = try await Self.search(scanning, arguments)
            #expect(matches == expected, "\(arguments)")
            #expect(stats["totalMatches"] == scanStats["totalMatches"])
            #expect(stats["filesSearched"] == scanStats["filesSearched"])
            #expect(stats["usedIndex"] == true, "\(arguments): \(stats)")
            #expect(scanStats["usedIndex"] == false)
        }
        let (_, selective) = try await Self.search(indexed, ["pattern": "needleInAHaystack"])
        #expect(selective["candidates"] == 1)

        // Written, then searched at once: the answer has it.
        try dir.file("src/m3/fresh.swift", "let justWritten = true\n")
        let (fresh, _) = try await Self.search(indexed, ["pattern": "justWritten"])
        #expect(fresh?.arrayValue?.count == 1)
        _ = await indexed.close()
        _ = await scanning.close()
    }

    @Test func aRestartedServerLoadsTheSavedIndex() async throws {
        let dir = try TemporaryDirectory()
        for index in 0..<50 { try dir.file("f\(index).txt", "line \(index)\n") }
        let first = try await ServerProcess.start(["--root", dir.path], in: dir.path)
        // Saved after it is ready (searches need not wait for the disk).
        let built = try await Self.waitForIndex(first) { ($0["diskBytes"]?.intValue ?? 0) > 0 }
        #expect(built["state"] == "ready")
        #expect((built["diskBytes"]?.intValue ?? 0) > 0, "\(built)")
        _ = await first.close()
        try dir.file("f7.txt", "changed while the server was down\n")
        let second = try await ServerProcess.start(["--root", dir.path], in: dir.path)
        let loaded = try await Self.waitForIndex(second)
        #expect(loaded["state"] == "ready")
        #expect(loaded["reason"]?.stringValue?.contains("loaded") == true, "\(loaded)")
        let (matches, stats) = try await Self.search(second, ["pattern": "while the server was down"])
        #expect(matches?.arrayValue?.count == 1)
        #expect(stats["usedIndex"] == true)
        _ = await second.close()
    }
}
