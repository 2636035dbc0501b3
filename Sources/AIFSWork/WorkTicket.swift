import Synchronization

/// A handle on one task submitted to a ``WorkerPool``: await its result, or cancel it.
///
/// ## Threading
/// `Sendable`; any task may await ``value()`` (several may) or call ``cancel()``.
public struct WorkTicket<Value: Sendable>: Sendable {
    /// The task's number in its pool, in submission order.
    public let id: UInt64
    let completion: Completion<Value>
    let pool: WorkerPool.Storage

    /// The task's result, once it has one.
    ///
    /// Cancelling the awaiting task stops the wait (it throws `.cancelled`), not the
    /// work; call ``cancel()`` for that.
    ///
    /// - Throws: What the body threw, `.cancelled` or `.timedOut`.
    public func value() async throws(WorkError) -> Value {
        try await result.get()
    }

    /// The task's result as a `Result`, once it has one.
    public var result: Result<Value, WorkError> {
        get async { await completion.wait() }
    }

    /// Cancels the task: if it is still queued it never runs; if it is running, its
    /// ``WorkContext/isCancelled`` turns true. Either way the ticket fails with
    /// ``WorkError/Code/cancelled`` at once (unless it already had a result).
    public func cancel() {
        pool.cancel(id: id, because: WorkError(.cancelled, "the task was cancelled"))
    }
}

/// What a task's body can ask while it runs.
public struct WorkContext: Sendable {
    /// Which worker runs the task, from 0 to the pool's worker count minus 1: an index
    /// for per-worker scratch buffers.
    public let workerIndex: Int
    let flag: CancellationFlag

    /// Whether the task was cancelled or timed out: a long body should check it
    /// between steps and return early.
    public var isCancelled: Bool { flag.isSet }
}

/// A flag set once, read from any thread.
final class CancellationFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

/// A result delivered once, to any number of waiters; later deliveries are ignored (so
/// a cancellation and the body's own result can race safely: the first wins).
final class Completion<Value: Sendable>: Sendable {
    private struct State {
        var result: Result<Value, WorkError>?
        var waiters: [UInt64: CheckedContinuation<Result<Value, WorkError>, Never>] = [:]
        var nextWaiter: UInt64 = 0
        /// Waiters whose task was cancelled before they were registered.
        var cancelledEarly: Set<UInt64> = []
    }

    private let state = Mutex(State())

    func complete(_ result: Result<Value, WorkError>) {
        let waiters: [CheckedContinuation<Result<Value, WorkError>, Never>] = state.withLock { state in
            guard state.result == nil else { return [] }
            state.result = result
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: result) }
    }

    /// The result once there is one; `.cancelled` at once if the waiting task is
    /// cancelled (the work itself goes on).
    func wait() async -> Result<Value, WorkError> {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready: Result<Value, WorkError>? = state.withLock { state in
                    if let result = state.result { return result }
                    if state.cancelledEarly.remove(id) != nil { return .failure(Self.stoppedWaiting) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter: CheckedContinuation<Result<Value, WorkError>, Never>? = state.withLock { state in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                if state.result == nil { state.cancelledEarly.insert(id) }
                return nil
            }
            waiter?.resume(returning: .failure(Self.stoppedWaiting))
        }
    }

    private static var stoppedWaiting: WorkError {
        WorkError(.cancelled, "stopped waiting for the task: the waiting task was cancelled (the task itself was not)")
    }
}

/// Counters and timings of a ``WorkerPool``.
public struct WorkerPoolStats: Sendable, Hashable {
    /// The number of worker threads.
    public var workers: Int
    /// Tasks waiting to run (in the queue, or waiting for room in it).
    public var queued: Int
    /// Tasks running now.
    public var running: Int
    /// Tasks whose body returned.
    public var completed: Int
    /// Tasks whose body threw.
    public var failed: Int
    /// Tasks cancelled before they finished.
    public var cancelled: Int
    /// Tasks that ran past their timeout.
    public var timedOut: Int
    /// How long tasks waited in the queue before a worker took them.
    public var waitTime: DurationPercentiles
    /// How long tasks ran.
    public var runTime: DurationPercentiles
    /// The share of the workers' time since the pool started spent running tasks,
    /// from 0 to 1.
    public var utilisation: Double
}

/// Percentiles of a set of durations (the most recent 8,192 samples).
public struct DurationPercentiles: Sendable, Hashable {
    /// The median.
    public var p50: Duration = .zero
    /// The 90th percentile.
    public var p90: Duration = .zero
    /// The 99th percentile.
    public var p99: Duration = .zero
    /// The largest.
    public var max: Duration = .zero
    /// How many samples these come from.
    public var samples = 0
}
