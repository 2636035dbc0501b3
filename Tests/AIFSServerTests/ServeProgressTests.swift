import AIFSTestSupport
import Foundation
import MCP
import Synchronization
import Testing

/// Progress notifications and cancellation end to end, over generated trees.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ServeProgressTests {
    let directory: TemporaryDirectory
    var root: String { directory.path("root") }

    init() throws {
        directory = try TemporaryDirectory()
    }

    /// `directories` × `files` files of about 2 KiB under `root/tree`, one line in
    /// every hundredth file matching `needle`. Plain open/write/close: Foundation's
    /// file writing costs a millisecond a file here.
    func generate(directories: Int, files: Int) throws {
        let line = String(repeating: "lorem ipsum dolor sit amet ", count: 3) + "\n"
        let body = Array(String(repeating: line, count: 25).utf8)
        let matching = Array(("needle here\n" + String(repeating: line, count: 24)).utf8)
        for directoryIndex in 0..<directories {
            let path = directory.path("root/tree/d\(directoryIndex)")
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for fileIndex in 0..<files {
                let contents = fileIndex % 100 == 0 ? matching : body
                let descriptor = open("\(path)/f\(fileIndex).txt", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard descriptor >= 0 else { throw POSIXError(.EIO) }
                defer { close(descriptor) }
                let written = contents.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                guard written == contents.count else { throw POSIXError(.EIO) }
            }
        }
    }

    func start() async throws -> ServerProcess {
        try await ServerProcess.start(["--root", root], in: directory.path)
    }

    /// Records the progress notifications the client receives.
    final class ProgressLog: Sendable {
        let notifications = Mutex<[ProgressNotification.Parameters]>([])
        let stream: AsyncStream<ProgressNotification.Parameters>
        let continuation: AsyncStream<ProgressNotification.Parameters>.Continuation

        init() { (stream, continuation) = AsyncStream.makeStream() }

        func attach(to client: Client) async {
            await client.onNotification(ProgressNotification.self) { message in
                self.notifications.withLock { $0.append(message.params) }
                self.continuation.yield(message.params)
            }
        }

        /// The first notification for `token`, or `nil` after `timeout`.
        func first(for token: ProgressToken, within timeout: Duration) async -> ProgressNotification.Parameters? {
            let stream = self.stream
            return await withTaskGroup(of: ProgressNotification.Parameters?.self) { group in
                group.addTask {
                    for await notification in stream where notification.progressToken == token { return notification }
                    return nil
                }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
        }
    }

    @Test func searchAndTreeReportProgress() async throws {
        try generate(directories: 10, files: 300)
        let server = try await start()
        let log = ProgressLog()
        await log.attach(to: server.client)

        let token = ProgressToken.string("search-1")
        let request = CallTool.request(.init(
            name: "search_content", arguments: ["pattern": "needle", "literal": true], meta: Metadata(progressToken: token)))
        let result = try await server.client.send(request).value
        #expect(result.isError != true, "\(result.text)")
        #expect(result.structuredContent?.objectValue?["stats"]?.objectValue?["filesSearched"] == 3000)
        #expect(result.structuredContent?.objectValue?["stats"]?.objectValue?["totalMatches"] == 30)
        let first = await log.first(for: token, within: .seconds(30))
        #expect(first != nil)
        let reported = log.notifications.withLock { $0.filter { $0.progressToken == token } }
        #expect(!reported.isEmpty)
        // Bytes read (about 2 KiB a file), which move inside a file too.
        #expect(reported.allSatisfy { $0.progress >= 0 && $0.progress <= 3000 * 2100 && ($0.message ?? "").contains("bytes read") })
        #expect(reported.contains { ($0.message ?? "").contains("files searched") } || reported.count == 1, "\(reported)")
        // Monotonic, as the protocol wants.
        #expect(zip(reported, reported.dropFirst()).allSatisfy { $0.progress < $1.progress })

        // directory_tree reports the entries found, starting at once.
        let treeToken = ProgressToken.integer(7)
        let tree = try await server.client.send(CallTool.request(.init(
            name: "directory_tree", arguments: ["path": ".", "maxDepth": 5, "maxEntries": 20],
            meta: Metadata(progressToken: treeToken)))).value
        #expect(tree.structuredContent?.objectValue?["totalCount"] == 3011, "\(tree.text)")
        #expect(await log.first(for: treeToken, within: .seconds(30)) != nil)

        // batch_operations reports files done out of the files chosen.
        let batchToken = ProgressToken.string("batch-1")
        let batch = try await server.client.send(CallTool.request(.init(
            name: "batch_operations", arguments: ["operation": "count", "maxResults": 5],
            meta: Metadata(progressToken: batchToken)))).value
        #expect(batch.isError != true, "\(batch.text)")
        let batchProgress = await log.first(for: batchToken, within: .seconds(30))
        #expect(batchProgress?.total == 5)
        #expect(batchProgress?.message?.contains("files") == true)

        // A call without a token gets none.
        let before = log.notifications.withLock { $0.count }
        _ = try await server.call("search_content", ["pattern": "needle", "literal": true])
        #expect(log.notifications.withLock { $0.count } == before)
        #expect(await server.close() == 0)
    }

    /// `directories` directories of `files` hard links each to one body file (and one
    /// matching file per directory): a big tree to search, made in a fraction of the
    /// time separate files take.
    func generateLinked(directories: Int, files: Int) throws {
        try generate(directories: 1, files: 100)
        let body = directory.path("root/tree/d0/f1.txt")
        for directoryIndex in 1...directories {
            let path = directory.path("root/tree/l\(directoryIndex)")
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for fileIndex in 0..<files {
                guard link(body, "\(path)/f\(fileIndex).txt") == 0 else { throw POSIXError(.EIO) }
            }
        }
    }

    @Test func cancellingStopsALongSearchAndTheServerGoesOn() async throws {
        // 60,000 files: the search is still running when the cancellation arrives even
        // on a machine loaded by the rest of the suite (with 8,000 it once finished
        // first).
        try generateLinked(directories: 60, files: 1000)
        let server = try await start()
        let log = ProgressLog()
        await log.attach(to: server.client)

        let token = ProgressToken.string("long-search")
        let request = CallTool.request(.init(
            name: "search_content", arguments: ["pattern": "n[e]+dle", "maxResults": 10], meta: Metadata(progressToken: token)))
        let context = try await server.client.send(request)
        let first = try #require(await log.first(for: token, within: .seconds(30)))
        #expect(first.progress < 60_000 * 2100, "bytes read before the last file")
        try await server.client.cancelRequest(context.requestID, reason: "the test cancels it")
        await #expect(throws: CancellationError.self) { _ = try await context.value }

        // The call ends as cancelled: the stream it read was cancelled, which stops
        // the search at its next file.
        let deadline = ContinuousClock.now + .seconds(20)
        var calls: [String: Value] = [:]
        var polls = 0
        while ContinuousClock.now < deadline {
            calls = try await server.call("get_filesystem_stats")["calls"]?.objectValue ?? [:]
            // The search ended: cancelled, or answered (each earlier poll succeeded too).
            let ended = calls["cancelled"] == 1 || (calls["succeeded"]?.intValue ?? 0) > polls
            polls += 1
            if calls["running"] == 1, ended { break }
        }
        #expect(
            calls["cancelled"] == 1,
            "\(calls): the search ended without seeing the cancellation; if it finished first, make the tree bigger")
        #expect(calls["running"] == 1, "\(calls)")  // the stats call itself

        // The server answers, and a search still works.
        let info = try await server.call("get_file_info", ["path": "tree/d0/f0.txt"])
        #expect(info.isError != true, "\(info.text)")
        let small = try await server.call("search_content", ["pattern": "needle", "path": "tree/d0", "literal": true])
        #expect(small["stats"]?.objectValue?["totalMatches"] == 1)
        // No answer is owed for the cancelled call, so closing stdin exits at once.
        #expect(await server.close() == 0)
    }

    @Test func aCancelledTreeWalkEndsAndTheServerGoesOn() async throws {
        try generate(directories: 10, files: 300)
        let server = try await start()
        // A walk of a few thousand entries takes milliseconds: the cancellation may
        // come before, during or after it. Whichever, the call ends, and either it
        // was answered or it counts as cancelled.
        let request = CallTool.request(.init(name: "directory_tree", arguments: ["path": ".", "maxDepth": 10]))
        let context = try await server.client.send(request)
        try await server.client.cancelRequest(context.requestID, reason: "the test cancels it")
        _ = try? await context.value
        let deadline = ContinuousClock.now + .seconds(20)
        var calls: [String: Value] = [:]
        while ContinuousClock.now < deadline {
            calls = try await server.call("get_filesystem_stats")["calls"]?.objectValue ?? [:]
            if calls["running"] == 1, calls["cancelled"] == 1 || calls["succeeded"]?.intValue ?? 0 > 1 { break }
        }
        #expect(calls["running"] == 1, "\(calls)")
        let tree = try await server.call("directory_tree", ["path": ".", "maxDepth": 10, "maxEntries": 10])
        #expect(tree["totalCount"] == 3011, "\(tree.text)")
        #expect(await server.close() == 0)
    }

    @Test func aClientThatLeavesMidSearchEndsTheServerCleanly() async throws {
        try generate(directories: 20, files: 400)
        let server = try await start()
        let log = ProgressLog()
        await log.attach(to: server.client)
        let token = ProgressToken.string("abandoned")
        let request = CallTool.request(.init(
            name: "search_content", arguments: ["pattern": "n[e]+dle"], meta: Metadata(progressToken: token)))
        _ = try await server.client.send(request)
        #expect(await log.first(for: token, within: .seconds(30)) != nil)
        #expect(await server.close() == 0)
    }
}
