import AIFSTestSupport
import Foundation
import MCP
import Testing

/// The watch tools end to end: the built server, real files, real inotify.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ServeWatchTests {
    let directory: TemporaryDirectory
    var root: String { directory.path("root") }

    init() throws {
        directory = try TemporaryDirectory()
        try directory.tree([
            "root/src/main.swift": "print(1)\n",
            "root/notes.txt": "first\n",
            "root-evil/secret.txt": "do not watch me\n",
        ])
    }

    func start() async throws -> ServerProcess {
        try await ServerProcess.start(["--root", root], in: directory.path)
    }

    /// Calls get_watch_events until `done` holds for the events gathered, or the deadline.
    func events(
        _ server: ServerProcess, _ id: String, within timeout: Duration = .seconds(30),
        until done: ([[String: Value]]) -> Bool
    ) async throws -> [[String: Value]] {
        let deadline = ContinuousClock.now + timeout
        var gathered: [[String: Value]] = []
        while ContinuousClock.now < deadline {
            let result = try await server.call("get_watch_events", ["watchId": .string(id)])
            #expect(result.isError != true, "\(result.text)")
            gathered += (result["events"]?.arrayValue ?? []).compactMap(\.objectValue)
            if done(gathered) { break }
        }
        return gathered
    }

    @Test func startWriteSeeTheChangeAndStop() async throws {
        let server = try await start()
        let started = try await server.call("start_watching", ["paths": ["."]])
        #expect(started.isError != true, "\(started.text)")
        let id = try #require(started["watchId"]?.stringValue)
        #expect(started["ready"] == true)
        #expect((started["watches"]?.intValue ?? 0) >= 2)
        #expect(started["backends"]?.objectValue?["."] == "inotify")

        try "second\n".write(toFile: directory.path("root/notes.txt"), atomically: false, encoding: .utf8)
        try "new\n".write(toFile: directory.path("root/src/new.swift"), atomically: false, encoding: .utf8)
        let seen = try await events(server, id) { events in
            events.contains { $0["event"] == "change" && $0["path"] == "notes.txt" }
                && events.contains { $0["event"] == "add" && $0["path"] == "src/new.swift" }
        }
        #expect(seen.contains { $0["event"] == "change" && $0["path"] == "notes.txt" }, "\(seen)")
        #expect(seen.contains { $0["event"] == "add" && $0["path"] == "src/new.swift" }, "\(seen)")
        // ignoreInitial is the default: the files present at start are not listed.
        #expect(!seen.contains { $0["path"] == "src/main.swift" }, "\(seen)")
        #expect(seen.allSatisfy { ($0["time"]?.stringValue ?? "").hasSuffix("Z") }, "\(seen)")

        try FileManager.default.moveItem(atPath: directory.path("root/src/new.swift"), toPath: directory.path("root/src/renamed.swift"))
        let renamed = try await events(server, id) { events in events.contains { $0["event"] == "rename" } }
        let rename = try #require(renamed.first { $0["event"] == "rename" })
        #expect(rename["from"] == "src/new.swift")
        #expect(rename["path"] == "src/renamed.swift")

        let stats = try await server.call("get_watcher_stats", ["watchId": .string(id)])
        let watcher = try #require(stats["watchers"]?.arrayValue?.first?.objectValue)
        #expect(watcher["paths"] == ["."])
        #expect((watcher["events"]?.intValue ?? 0) >= 4)
        #expect(watcher["eventCounts"]?.objectValue?["change"]?.intValue ?? 0 >= 1)
        #expect(watcher["droppedEvents"] == 0)
        let all = try await server.call("get_filesystem_stats")
        #expect(all["watchers"]?.objectValue?["count"] == 1, "\(all.text)")
        #expect((all["watchers"]?.objectValue?["totalEvents"]?.intValue ?? 0) >= 4)

        let stopped = try await server.call("stop_watching", ["watchId": .string(id)])
        #expect(stopped.isError != true, "\(stopped.text)")
        let again = try await server.call("get_watch_events", ["watchId": .string(id)])
        #expect(again.isError == true)
        #expect(again.text.contains("no watcher '\(id)'"), "\(again.text)")
        #expect(try await server.call("get_filesystem_stats")["watchers"]?.objectValue?["count"] == 0)
        #expect(await server.close() == 0)
    }

    /// chokidar's options through the tool: polling, awaitWriteFinish, atomic.
    @Test func pollingAwaitWriteFinishAndAtomic() async throws {
        let server = try await start()
        let polled = try await server.call("start_watching", [
            "paths": ["src"], "usePolling": true, "interval": 20,
            "awaitWriteFinish": ["stabilityThreshold": 60, "pollInterval": 20], "atomic": false,
        ])
        #expect(polled.isError != true, "\(polled.text)")
        #expect(polled["backends"]?.objectValue?["src"] == "polling", "\(polled.text)")
        let id = try #require(polled["watchId"]?.stringValue)
        try "let x = 1\n".write(toFile: directory.path("root/src/late.swift"), atomically: false, encoding: .utf8)
        let seen = try await events(server, id) { events in events.contains { $0["path"] == "src/late.swift" } }
        #expect(seen.contains { $0["event"] == "add" && $0["path"] == "src/late.swift" }, "\(seen)")

        for bad: Value in ["soon", ["stabilityThreshold": 0], ["threshold": 5]] {
            let refused = try await server.call("start_watching", ["paths": ["src"], "awaitWriteFinish": bad])
            #expect(refused.isError == true, "\(bad)")
            #expect(refused.text.contains("awaitWriteFinish"), "\(refused.text)")
        }
        let followed = try await server.call("start_watching", ["paths": ["src"], "followSymlinks": true])
        #expect(followed.isError == true, "followSymlinks is not offered inside roots")
        #expect(await server.close() == 0)
    }

    @Test func aSingleFileAndTheIgnoredOption() async throws {
        let server = try await start()
        let file = try await server.call("start_watching", ["paths": ["notes.txt"]])
        let fileID = try #require(file["watchId"]?.stringValue, "\(file.text)")
        let tree = try await server.call("start_watching", ["paths": ["src"], "ignored": ["*.tmp"]])
        let treeID = try #require(tree["watchId"]?.stringValue, "\(tree.text)")

        try "scratch\n".write(toFile: directory.path("root/src/a.tmp"), atomically: false, encoding: .utf8)
        try "kept\n".write(toFile: directory.path("root/src/b.txt"), atomically: false, encoding: .utf8)
        try "second\n".write(toFile: directory.path("root/notes.txt"), atomically: false, encoding: .utf8)
        // One inotify descriptor reports in order: once b.txt is seen, a.tmp would have
        // been seen before it had it not been ignored.
        let treeEvents = try await events(server, treeID) { events in events.contains { $0["path"] == "src/b.txt" } }
        #expect(treeEvents.contains { $0["event"] == "add" && $0["path"] == "src/b.txt" }, "\(treeEvents)")
        #expect(!treeEvents.contains { $0["path"] == "src/a.tmp" }, "\(treeEvents)")
        let fileEvents = try await events(server, fileID) { events in events.contains { $0["event"] == "change" } }
        #expect(fileEvents.contains { $0["event"] == "change" && $0["path"] == "notes.txt" }, "\(fileEvents)")
        // The file's watcher reports the file alone.
        #expect(fileEvents.allSatisfy { $0["path"] == "notes.txt" }, "\(fileEvents)")
        #expect(await server.close() == 0)
    }

    @Test func aWatchedChangeDropsTheCachedFileAtOnce() async throws {
        let server = try await start()
        // Read until the file is served from the cache (a file just written is not
        // cached at once), with a deadline.
        let deadline = ContinuousClock.now + .seconds(30)
        var hits = 0
        while hits == 0, ContinuousClock.now < deadline {
            _ = try await server.call("read_file", ["path": "notes.txt"])
            hits = try await server.call("get_filesystem_stats")["cache"]?.objectValue?["hits"]?.intValue ?? 0
        }
        #expect(hits > 0)
        let started = try await server.call("start_watching", ["paths": ["."]])
        let id = try #require(started["watchId"]?.stringValue)
        try "second\n".write(toFile: directory.path("root/notes.txt"), atomically: false, encoding: .utf8)
        _ = try await events(server, id) { events in events.contains { $0["path"] == "notes.txt" } }
        // The event went to the cache before it went to the ring.
        let cache = try await server.call("get_filesystem_stats")["cache"]?.objectValue
        #expect(cache?["invalidations"] == 1, "\(String(describing: cache))")
        #expect(cache?["entries"] == 0, "\(String(describing: cache))")
        #expect(try await server.call("read_file", ["path": "notes.txt"])["content"] == "second\n")
        #expect(await server.close() == 0)
    }

    @Test func aRemovedRootEndsItsWatch() async throws {
        let server = try await start()
        let started = try await server.call("start_watching", ["paths": ["src"]])
        let id = try #require(started["watchId"]?.stringValue, "\(started.text)")
        try FileManager.default.removeItem(atPath: directory.path("root/src"))
        let deadline = ContinuousClock.now + .seconds(30)
        var seen: [[String: Value]] = []
        var running = true
        while running, ContinuousClock.now < deadline {
            let page = try await server.call("get_watch_events", ["watchId": .string(id)])
            seen += (page["events"]?.arrayValue ?? []).compactMap(\.objectValue)
            running = page["running"] != false
        }
        #expect(!running)
        #expect(seen.contains { $0["event"] == "unlink" && $0["path"] == "src/main.swift" }, "\(seen)")
        #expect(seen.contains { $0["event"] == "unlinkDir" && $0["path"] == "src" }, "\(seen)")
        let stats = try await server.call("get_watcher_stats", ["watchId": .string(id)])
        #expect(stats["watchers"]?.arrayValue?.first?.objectValue?["running"] == false)
        // An ended watcher is still listed until it is stopped.
        #expect(try await server.call("stop_watching", ["watchId": .string(id)]).isError != true)
        #expect(await server.close() == 0)
    }

    @Test func cursorsPageThroughTheEvents() async throws {
        let server = try await start()
        let started = try await server.call("start_watching", ["paths": ["src"], "ignoreInitial": false])
        let id = try #require(started["watchId"]?.stringValue)
        // The initial scan: addDir src, add src/main.swift, ready.
        for index in 0..<5 {
            try "\(index)\n".write(toFile: directory.path("root/src/file\(index).txt"), atomically: false, encoding: .utf8)
        }
        let all = try await events(server, id) { events in events.filter { $0["event"] == "add" }.count >= 6 }
        #expect(all.first?["event"] == "addDir", "\(all)")
        #expect(all.contains { $0["event"] == "ready" })
        #expect(all.filter { $0["event"] == "add" }.count == 6, "\(all)")

        // Two at a time from the start, by cursor.
        var cursor = "0"
        var paged: [[String: Value]] = []
        while true {
            let page = try await server.call("get_watch_events", ["watchId": .string(id), "cursor": .string(cursor), "max": 2])
            let events = (page["events"]?.arrayValue ?? []).compactMap(\.objectValue)
            #expect(events.count <= 2)
            paged += events
            cursor = try #require(page["nextCursor"]?.stringValue)
            if page["truncated"] != true { break }
        }
        #expect(paged.count == all.count)
        #expect(paged.map { $0["path"] } == all.map { $0["path"] })
        // Read to the end: nothing new.
        let empty = try await server.call("get_watch_events", ["watchId": .string(id), "cursor": .string(cursor)])
        #expect(empty["events"]?.arrayValue?.isEmpty == true)
        #expect(empty.text.contains("no new events"))

        let bad = try await server.call("get_watch_events", ["watchId": .string(id), "cursor": "soon"])
        #expect(bad.isError == true)
        #expect(bad.text.contains("cursor 'soon'"))
        #expect(await server.close() == 0)
    }

    @Test func badInputIsAToolError() async throws {
        let server = try await start()
        let unknown = try await server.call("get_watch_events", ["watchId": "w42"])
        #expect(unknown.isError == true)
        #expect(unknown.text.contains("no watcher 'w42'; none is running"), "\(unknown.text)")
        let stop = try await server.call("stop_watching", ["watchId": "w42"])
        #expect(stop.isError == true)
        let stats = try await server.call("get_watcher_stats", ["watchId": "w42"])
        #expect(stats.isError == true)

        for path in ["../root-evil", directory.path("root-evil"), "/etc"] {
            let outside = try await server.call("start_watching", ["paths": [.string(path)]])
            #expect(outside.isError == true, "\(path)")
            #expect(outside.text.contains("outside the allowed roots"), "\(path): \(outside.text)")
        }
        let missing = try await server.call("start_watching", ["paths": ["nothing-here"]])
        #expect(missing.isError == true)
        #expect(missing.text.contains("nothing-here"), "\(missing.text)")
        let noPaths = try await server.call("start_watching", [:])
        #expect(noPaths.isError == true)
        #expect(noPaths.text.contains("'paths'"))
        let badGlob = try await server.call("start_watching", ["paths": ["."], "ignored": ["[abc"]])
        #expect(badGlob.isError == true, "\(badGlob.text)")
        let negative = try await server.call("start_watching", ["paths": ["."], "depth": -1])
        #expect(negative.isError == true)
        #expect(try await server.call("get_filesystem_stats")["watchers"]?.objectValue?["count"] == 0)
        #expect(await server.close() == 0)
    }

    @Test func atMostSixteenWatchersAndShutdownStopsThem() async throws {
        let server = try await start()
        var ids: [String] = []
        for _ in 0..<16 {
            let started = try await server.call("start_watching", ["paths": ["src"]])
            #expect(started.isError != true, "\(started.text)")
            ids.append(started["watchId"]?.stringValue ?? "")
        }
        let seventeenth = try await server.call("start_watching", ["paths": ["src"]])
        #expect(seventeenth.isError == true)
        #expect(seventeenth.text.contains("16 watchers run already"), "\(seventeenth.text)")
        let stats = try await server.call("get_watcher_stats")
        #expect(stats["watchers"]?.arrayValue?.count == 16)
        #expect(try await server.call("stop_watching", ["watchId": .string(ids[0])]).isError != true)
        #expect(try await server.call("start_watching", ["paths": ["src"]]).isError != true)
        // Closing stdin with watchers running ends the server cleanly.
        #expect(await server.close() == 0)
    }
}
