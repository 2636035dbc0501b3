import AIFSCore
import AIFSTestSupport
import Foundation
import Synchronization
import Testing

@testable import AIFSWork

/// `BatchRunner.run(arriving:…)`: items that arrive in chunks, in any order, and come
/// back in key order.
@Suite struct ArrivingBatchTests {
    /// Hands out fixed chunks one call at a time, then `nil`.
    final class Chunks: Sendable {
        private let chunks: Mutex<[[(item: BatchItem, key: BatchOrderKey)]]>
        init(_ chunks: [[(item: BatchItem, key: BatchOrderKey)]]) { self.chunks = Mutex(chunks.reversed()) }
        func next() -> [(item: BatchItem, key: BatchOrderKey)]? { chunks.withLock { $0.popLast() } }
    }

    @Test(.timeLimit(.minutes(1)))
    func resultsComeInKeyOrderWithPerFileErrors() async throws {
        let dir = try TemporaryDirectory()
        for i in 0..<100 where i != 37 { try dir.file("f\(i).txt", "file \(i)\n") }
        // Keys 0..<100 scattered over chunks of different sizes (one empty), in an
        // order unrelated to the keys; file 37 does not exist.
        var keys = Array(0..<100)
        var generator = SplitMix64(state: 5)
        keys.shuffle(using: &generator)
        var chunks: [[(item: BatchItem, key: BatchOrderKey)]] = [[]]
        var rest = keys[...]
        var size = 1
        while !rest.isEmpty {
            chunks.append(rest.prefix(size).map { (BatchItem(path: dir.path("f\($0).txt")), key($0)) })
            rest = rest.dropFirst(size)
            size = size % 7 + 1
        }
        let source = Chunks(chunks)
        var options = BatchOptions()
        options.workers = 3
        var arrived: Int?
        var results: [BatchResult] = []
        let summary = await BatchRunner.run(
            arriving: { source.next() }, operation: .count, options: options,
            onArrived: { count in
                #expect(results.isEmpty, "every item arrives before the first result")
                arrived = count
            },
            onResult: { results.append($0) })
        #expect(arrived == 100)
        #expect(results.map(\.index) == Array(0..<100))
        #expect(results.map(\.item.path) == (0..<100).map { dir.path("f\($0).txt") })
        for (key, result) in results.enumerated() {
            if key == 37 {
                guard case .failure(let error) = result.outcome else { Issue.record("expected an error for f37"); continue }
                #expect(error.code == .notFound)
            } else {
                let bytes = Int64("file \(key)\n".utf8.count)
                #expect(try result.outcome.get() == .counts(lines: 1, words: 2, bytes: bytes))
            }
        }
        #expect(summary.total == 100 && summary.succeeded == 99 && summary.failed == 1 && summary.notTried == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func equalKeysKeepTheirArrivalOrder() async throws {
        let dir = try TemporaryDirectory()
        for name in ["a", "b", "c"] { try dir.file(name, name) }
        let source = Chunks([
            [(BatchItem(path: dir.path("c")), key(1)), (BatchItem(path: dir.path("a")), key(0))],
            [(BatchItem(path: dir.path("b")), key(0))],
        ])
        let (paths, summary) = await collectPaths(source)
        #expect(paths == [dir.path("a"), dir.path("b"), dir.path("c")])
        #expect(summary.succeeded == 3)
    }

    @Test(.timeLimit(.minutes(1)))
    func nothingArrivingIsAnEmptyBatch() async {
        let (paths, summary) = await collectPaths(Chunks([]))
        #expect(paths.isEmpty)
        #expect(summary.total == 0 && summary.notTried == 0)
    }

    /// Cancelled while waiting for the next chunk (a walk still running): the runner
    /// stops asking, returns, and counts the items that arrived but were not delivered.
    @Test(.timeLimit(.minutes(1)))
    func cancellingWhileItemsAreStillArrivingStopsTheBatch() async throws {
        let dir = try TemporaryDirectory()
        try dir.file("a", "a")
        let path = dir.path("a")
        let (taken, tookFirst) = AsyncStream.makeStream(of: Void.self)
        let served = Mutex(0)
        let batch = Task {
            await BatchRunner.run(
                arriving: { () -> [(item: BatchItem, key: BatchOrderKey)]? in
                    let call = served.withLock { count in
                        count += 1
                        return count
                    }
                    if call == 1 { return [(BatchItem(path: path), BatchOrderKey(rootIndex: 0, path: []))] }
                    tookFirst.yield()
                    // The rest of the walk never comes: wait until cancelled.
                    let (never, open) = AsyncStream.makeStream(of: Void.self)
                    defer { open.finish() }
                    for await _ in never {}
                    return nil
                },
                operation: .hash, onArrived: { _ in }, onResult: { _ in })
        }
        for await _ in taken { break }
        batch.cancel()
        let summary = await batch.value
        #expect(summary.total <= 1)
        #expect(summary.succeeded + summary.failed + summary.notTried == summary.total)
    }

    /// A key whose path order is the order of `number`.
    func key(_ number: Int) -> BatchOrderKey {
        BatchOrderKey(rootIndex: 0, path: Array(String(format: "%05d", number).utf8))
    }

    func collectPaths(_ source: Chunks) async -> ([String], BatchSummary) {
        var paths: [String] = []
        let summary = await BatchRunner.run(
            arriving: { source.next() }, operation: .hash, onArrived: { _ in }, onResult: { paths.append($0.item.path) })
        return (paths, summary)
    }
}
