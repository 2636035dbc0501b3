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
        let pool = WorkerPool(workers: options.workers, queueCapacity: max(4, options.workers * 4), name: "aifs-batch")
        defer { pool.shutdown() }
        let scratch = BatchScratch(workers: pool.workers)
        let started = ContinuousClock.now
        typealias Submitted = (index: Int, ticket: Result<WorkTicket<BatchValue>, WorkError>)
        let (stream, continuation) = AsyncStream.makeStream(of: Submitted.self)
        let submitter = Task {
            for (index, item) in items.enumerated() {
                if Task.isCancelled { break }
                do throws(WorkError) {
                    let ticket = try await pool.submit { context throws(WorkError) in
                        try BatchWork.perform(operation, on: item, options: options, scratch: scratch, worker: context.workerIndex)
                    }
                    continuation.yield((index, .success(ticket)))
                } catch {
                    continuation.yield((index, .failure(error)))
                    if Task.isCancelled { break }
                }
            }
            continuation.finish()
        }
        var summary = BatchSummary(total: items.count, succeeded: 0, failed: 0, notTried: 0, bytes: 0, elapsed: .zero, pool: pool.stats)
        var delivered = 0
        await withTaskCancellationHandler {
            for await submitted in stream {
                let outcome: Result<BatchValue, WorkError>
                switch submitted.ticket {
                case .success(let ticket): outcome = await ticket.result
                case .failure(let error): outcome = .failure(error)
                }
                switch outcome {
                case .success(let value):
                    summary.succeeded += 1
                    summary.bytes += value.bytes
                case .failure(let error) where error.code == .cancelled:
                    continue
                case .failure:
                    summary.failed += 1
                }
                delivered += 1
                onResult(BatchResult(index: submitted.index, item: items[submitted.index], outcome: outcome))
            }
        } onCancel: {
            submitter.cancel()
            pool.cancelAll()
        }
        summary.notTried = items.count - delivered
        summary.elapsed = ContinuousClock.now - started
        summary.pool = pool.stats
        return summary
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
/// once; the array itself is never resized after init.
final class BatchScratch: @unchecked Sendable {
    static let bufferSize = 1 << 20
    private let buffers: [UnsafeMutableRawBufferPointer]
    var searchers: [AnyObject?]

    init(workers: Int) {
        buffers = (0..<max(1, workers)).map { _ in .allocate(byteCount: BatchScratch.bufferSize, alignment: 64) }
        searchers = Array(repeating: nil, count: max(1, workers))
    }

    func buffer(_ worker: Int) -> UnsafeMutableRawBufferPointer { buffers[worker] }

    deinit { for buffer in buffers { buffer.deallocate() } }
}
