import AIFSCore

extension BatchRunner {
    /// Runs `operation` over items that arrive in chunks and in no useful order (a
    /// parallel walk finds them), starting on each chunk as soon as it arrives; the
    /// results come back in the order of the items' keys (the order of a sorted
    /// walk), once the last chunk is in.
    ///
    /// This overlaps finding the files with working on them: a batch over a directory
    /// tree no longer waits for the whole walk and its sort before the first file
    /// reaches a worker. The price is that no result can be delivered before the last
    /// item has arrived (an earlier one might still come), so results are held until
    /// then; the files being read at any moment stay bounded by the pool's queue.
    ///
    /// ```swift
    /// let summary = await BatchRunner.run(arriving: { await walk.nextChunk() },
    ///                                     operation: .hash, onArrived: { _ in }) { print($0) }
    /// ```
    ///
    /// - Parameters:
    ///   - nextChunk: The next items with their places in path order, `nil` after the
    ///     last; items with equal keys keep their arrival order. Called from
    ///     a task of the runner's, one call at a time, until it returns `nil` or the
    ///     batch is cancelled.
    ///   - operation: What to do to each item.
    ///   - options: Workers, dry run, overwrite.
    ///   - onArrived: Called once, with the number of items, after the last has arrived
    ///     and before the first result.
    ///   - onResult: Called once per item, in key order; ``BatchResult/index`` is the
    ///     item's place in that order.
    /// - Returns: The totals.
    ///
    /// ## Threading
    /// As ``run(_:operation:options:onResult:)``: the closures other than `nextChunk`
    /// are called on the calling task. Cancelling it stops asking for chunks and
    /// cancels the pool; what was not done is counted in ``BatchSummary/notTried``.
    public static func run(
        arriving nextChunk: @escaping @Sendable () async -> [(item: BatchItem, key: BatchOrderKey)]?,
        operation: BatchOperation, options: BatchOptions = BatchOptions(),
        onArrived: (Int) -> Void,
        onResult: (BatchResult) -> Void
    ) async -> BatchSummary {
        let workers = max(1, options.workers)
        let pool = WorkerPool(workers: workers, queueCapacity: max(16, workers * 16), name: "aifs-batch")
        defer { pool.shutdown() }
        let scratch = BatchScratch(workers: pool.workers)
        let started = ContinuousClock.now
        let submitter = Task { () -> Arrivals in
            var arrivals = Arrivals()
            while !Task.isCancelled, let chunk = await nextChunk() {
                guard !chunk.isEmpty else { continue }
                // Each chunk its own array: a slice of one growing array would make every
                // append copy it while a worker holds the slice.
                let items = chunk.map(\.item)
                arrivals.add(items, keys: chunk.map(\.key))
                do throws(WorkError) {
                    arrivals.tickets.append(.success(try await submitChunk(
                        items[...], to: pool, operation: operation, options: options, scratch: scratch)))
                } catch {
                    arrivals.tickets.append(.failure(error))
                }
            }
            return arrivals
        }
        var summary = BatchSummary(total: 0, succeeded: 0, failed: 0, notTried: 0, bytes: 0, elapsed: .zero, pool: pool.stats)
        await withTaskCancellationHandler {
            let arrivals = await submitter.value
            summary.total = arrivals.items.count
            // Sort positions rather than the items: moving indices is cheaper than moving
            // items, and the chunk of each position stays known.
            var order = Array(arrivals.items.indices)
            arrivals.keys.withUnsafeBufferPointer { keys in
                order.sort { a, b in
                    if keys[a] < keys[b] { return true }
                    if keys[b] < keys[a] { return false }
                    return a < b
                }
            }
            onArrived(arrivals.items.count)
            // A chunk's outcomes are kept from its first result in order to its last.
            var outcomes: [Outcomes?] = Array(repeating: nil, count: arrivals.tickets.count)
            var left = arrivals.chunkSizes
            for (position, arrival) in order.enumerated() {
                let chunk = arrivals.chunk[arrival]
                if outcomes[chunk] == nil {
                    outcomes[chunk] = await Self.outcomes(of: arrivals.tickets[chunk], count: left[chunk])
                }
                let offset = arrival - arrivals.chunkStart[chunk]
                // A cancelled chunk stops early: its later files were not tried.
                let outcome = outcomes[chunk].flatMap { offset < $0.count ? $0[offset] : nil }
                left[chunk] -= 1
                if left[chunk] == 0 { outcomes[chunk] = [] }
                guard let outcome else { continue }
                guard summary.tally(outcome) else { continue }
                onResult(BatchResult(index: position, item: arrivals.items[arrival], outcome: outcome))
            }
        } onCancel: {
            submitter.cancel()
            pool.cancelAll()
        }
        summary.finish(started: started, pool: pool)
        return summary
    }
}

/// The items of an arriving batch in arrival order, the chunk each belongs to, and
/// each chunk's ticket.
private struct Arrivals: Sendable {
    var items: [BatchItem] = []
    var keys: [BatchOrderKey] = []
    /// The chunk of each item.
    var chunk: [Int] = []
    /// The arrival index of each chunk's first item, and its size.
    var chunkStart: [Int] = []
    var chunkSizes: [Int] = []
    var tickets: [Result<WorkTicket<BatchRunner.Outcomes>, WorkError>] = []

    mutating func add(_ newItems: [BatchItem], keys newKeys: [BatchOrderKey]) {
        let index = chunkStart.count
        chunkStart.append(items.count)
        chunkSizes.append(newItems.count)
        items.append(contentsOf: newItems)
        keys.append(contentsOf: newKeys)
        chunk.append(contentsOf: repeatElement(index, count: newItems.count))
    }
}

/// An item's place in the order of a sorted walk (``AIFSCore/WalkOptions/sortByPath``):
/// by the index of its starting path, then by path, component by component.
public struct BatchOrderKey: Sendable, Comparable {
    /// The index of the starting path the item was found under.
    public var rootIndex: Int
    /// The item's path as the walk reported it.
    public var path: [UInt8]

    /// Creates a key.
    public init(rootIndex: Int, path: [UInt8]) {
        self.rootIndex = rootIndex
        self.path = path
    }

    public static func < (a: BatchOrderKey, b: BatchOrderKey) -> Bool {
        Walker.precedes(path: a.path, rootIndex: a.rootIndex, path: b.path, rootIndex: b.rootIndex)
    }

    public static func == (a: BatchOrderKey, b: BatchOrderKey) -> Bool {
        a.rootIndex == b.rootIndex && a.path == b.path
    }
}
