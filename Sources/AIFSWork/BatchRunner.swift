import AIFSCore

/// Runs a ``BatchOperation`` over many files on a ``WorkerPool``.
///
/// Every item gets a result — a value or a typed error for that file alone — and the
/// results come back in input order while later files are still being worked on. A
/// failing file never stops the batch.
///
/// ```swift
/// let summary = await BatchRunner.run(items, operation: .hash) { result in
///     if case .success(.digest(let hex, _)) = result.outcome { print(hex, result.item.path) }
/// }
/// ```
///
/// ## Threading
/// `run` may be called from any task; `onResult` is called on that task, one result at
/// a time. Cancelling the task cancels the batch: queued files are not tried and are
/// counted in ``BatchSummary/notTried``.
public enum BatchRunner {
    /// Runs `operation` over `items`.
    ///
    /// - Parameters:
    ///   - items: The files, in the order results should come back.
    ///   - operation: What to do to each.
    ///   - options: Workers, dry run, overwrite.
    ///   - onResult: Called once per item, in input order.
    /// - Returns: The totals.
    public static func run(
        _ items: [BatchItem], operation: BatchOperation, options: BatchOptions = BatchOptions(),
        onResult: (BatchResult) -> Void
    ) async -> BatchSummary {
        // Files go to the workers in chunks, so the per-task cost (two continuations,
        // a queue slot) is paid once per chunk rather than once per file: small enough
        // that results still stream and the workers share the tail evenly.
        let chunkSize = max(1, min(32, items.count / max(1, options.workers * 16)))
        // No more workers than chunks: three files need no 64 threads.
        let workers = max(1, min(options.workers, (items.count + chunkSize - 1) / chunkSize))
        let pool = WorkerPool(workers: workers, queueCapacity: max(16, workers * 16), name: "aifs-batch")
        defer { pool.shutdown() }
        let scratch = BatchScratch(workers: pool.workers)
        let started = ContinuousClock.now
        typealias Submitted = (range: Range<Int>, ticket: Result<WorkTicket<Outcomes>, WorkError>)
        let (stream, continuation) = AsyncStream.makeStream(of: Submitted.self)
        let submitter = Task {
            for start in stride(from: 0, to: items.count, by: chunkSize) {
                if Task.isCancelled { break }
                let range = start..<min(items.count, start + chunkSize)
                do throws(WorkError) {
                    let ticket = try await submitChunk(
                        items[range], to: pool, operation: operation, options: options, scratch: scratch)
                    continuation.yield((range, .success(ticket)))
                } catch {
                    continuation.yield((range, .failure(error)))
                    if Task.isCancelled { break }
                }
            }
            continuation.finish()
        }
        var summary = BatchSummary(total: items.count, succeeded: 0, failed: 0, notTried: 0, bytes: 0, elapsed: .zero, pool: pool.stats)
        await withTaskCancellationHandler {
            for await submitted in stream {
                let outcomes = await Self.outcomes(of: submitted.ticket, count: submitted.range.count)
                for (index, outcome) in zip(submitted.range, outcomes) {
                    guard summary.tally(outcome) else { continue }
                    onResult(BatchResult(index: index, item: items[index], outcome: outcome))
                }
            }
        } onCancel: {
            submitter.cancel()
            pool.cancelAll()
        }
        summary.finish(started: started, pool: pool)
        return summary
    }

    typealias Outcomes = [Result<BatchValue, WorkError>]

    /// A submitted chunk's outcomes: its ticket's, or, when the submission or the
    /// chunk's task failed, that error for each of its `count` items.
    static func outcomes(of submission: Result<WorkTicket<Outcomes>, WorkError>, count: Int) async -> Outcomes {
        switch submission {
        case .success(let ticket):
            switch await ticket.result {
            case .success(let values): return values
            case .failure(let error): return Array(repeating: .failure(error), count: count)
            }
        case .failure(let error):
            return Array(repeating: .failure(error), count: count)
        }
    }

    /// Submits one pool task that works through `chunk`, one result per file (fewer
    /// only when cancelled).
    static func submitChunk(
        _ chunk: ArraySlice<BatchItem>, to pool: WorkerPool, operation: BatchOperation, options: BatchOptions,
        scratch: BatchScratch
    ) async throws(WorkError) -> WorkTicket<Outcomes> {
        try await pool.submit { context -> Outcomes in
            var outcomes: Outcomes = []
            outcomes.reserveCapacity(chunk.count)
            for item in chunk {
                // One file's failure is its own result; the chunk goes on.
                if context.isCancelled { break }
                outcomes.append(Result { () throws(WorkError) -> BatchValue in
                    try BatchWork.perform(operation, on: item, options: options, scratch: scratch, worker: context.workerIndex)
                })
            }
            return outcomes
        }
    }

    /// Runs `operation` over `items` and returns every result, in input order.
    public static func collect(
        _ items: [BatchItem], operation: BatchOperation, options: BatchOptions = BatchOptions()
    ) async -> (results: [BatchResult], summary: BatchSummary) {
        var results: [BatchResult] = []
        results.reserveCapacity(items.count)
        let summary = await run(items, operation: operation, options: options) { results.append($0) }
        return (results, summary)
    }
}

/// One read buffer (and searcher) per worker, reused file after file.
///
/// `@unchecked Sendable`: slot `i` is only touched by the task running on worker `i`,
/// and a worker runs one task at a time, so no slot is ever used by two threads at
/// once. The slots live in fixed, manually allocated storage (not a Swift `Array`, whose
/// copy-on-write check would make writes to different slots race on the array itself).
final class BatchScratch: @unchecked Sendable {
    static let bufferSize = 1 << 20
    private let count: Int
    // Allocated on a worker's first file, so idle workers cost no memory.
    private let buffers: UnsafeMutablePointer<UnsafeMutableRawBufferPointer?>
    private let searchers: UnsafeMutablePointer<AnyObject?>

    init(workers: Int) {
        count = max(1, workers)
        buffers = .allocate(capacity: count)
        buffers.initialize(repeating: nil, count: count)
        searchers = .allocate(capacity: count)
        searchers.initialize(repeating: nil, count: count)
    }

    /// Worker `worker`'s read buffer.
    ///
    /// - Precondition: `worker` is below the worker count, and the caller runs on that
    ///   worker.
    func buffer(_ worker: Int) -> UnsafeMutableRawBufferPointer {
        precondition(worker >= 0 && worker < count, "worker index out of range")
        if let buffer = buffers[worker] { return buffer }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: BatchScratch.bufferSize, alignment: 64)
        buffers[worker] = buffer
        return buffer
    }

    /// Worker `worker`'s searcher, made by `make` on first use.
    func searcher<S: AnyObject>(_ worker: Int, make: () -> S) -> S {
        precondition(worker >= 0 && worker < count, "worker index out of range")
        if let existing = searchers[worker] as? S { return existing }
        let made = make()
        searchers[worker] = made
        return made
    }

    deinit {
        for index in 0..<count { buffers[index]?.deallocate() }
        buffers.deinitialize(count: count)
        buffers.deallocate()
        searchers.deinitialize(count: count)
        searchers.deallocate()
    }
}
