public import AIFSCore

/// A fixed set of dedicated worker threads with a bounded queue in front of them.
///
/// Tasks are blocking closures — file reads, hashing, renames — so they run on threads
/// made for them, never on Swift's cooperative pool: a thousand slow reads cannot
/// starve the rest of the program's async work.
///
/// ```swift
/// let pool = WorkerPool(workers: 4, queueCapacity: 16)
/// let ticket = try await pool.submit { _ in try hash(path) }
/// let digest = try await ticket.value()
/// ```
///
/// - **Back-pressure**: ``submit(timeout:_:)`` suspends while the queue holds
///   ``queueCapacity`` tasks, so a producer can never get ahead of the workers by more
///   than that.
/// - **Isolation**: a task that throws fails its own ticket and nothing else.
/// - **Cancellation**: ``WorkTicket/cancel()`` for one task, ``cancelAll()`` for every
///   task submitted so far. A queued task is dropped without running; a running one is
///   told through ``WorkContext/isCancelled`` and its ticket fails at once.
/// - **Timeouts**: a task given a timeout fails with ``WorkError/Code/timedOut`` when it
///   has run that long on the pool's clock (injectable, see
///   ``init(workers:queueCapacity:name:clock:)``); a blocking call cannot be interrupted,
///   so the worker stays busy until the body returns (check ``WorkContext/isCancelled``
///   between steps).
/// - **Order**: workers take tasks in submission order; with one worker they also
///   finish in that order.
///
/// ## Threading
/// Any task may call any method. The workers exit when the pool is shut down (by
/// ``shutdown()`` or when the last reference to it goes away) and the queue is empty.
///
/// ## Known problems
/// A task that never returns keeps its worker forever; a task that crashes the
/// process (a precondition failure) is not isolated.
public final class WorkerPool: Sendable {
    /// The most worker threads a pool starts, whatever it is asked for: more only cost
    /// memory and scheduling on any machine this runs on.
    public static let maximumWorkers = 256

    /// How many worker threads are running.
    public let workers: Int
    /// How many tasks may wait in the queue before ``submit(timeout:_:)`` suspends.
    public let queueCapacity: Int
    private let storage: Storage

    /// Starts the workers.
    ///
    /// - Parameters:
    ///   - workers: The number of threads, from 1 to ``maximumWorkers``; the processor
    ///     count by default.
    ///   - queueCapacity: How many tasks may wait (at least 1); twice the workers by
    ///     default.
    ///   - name: The threads' name prefix, shown by `top -H` and debuggers.
    public convenience init(workers: Int = DedicatedThreads.processorCount, queueCapacity: Int? = nil, name: String = "aifs-work") {
        self.init(workers: workers, queueCapacity: queueCapacity, name: name, clock: ContinuousClock())
    }

    /// Starts the workers, with `clock` timing the tasks' timeouts (tests pass a manual
    /// clock; the wait and run time statistics always use the continuous clock).
    ///
    /// - Parameters: As ``init(workers:queueCapacity:name:)``, and `clock`.
    public init<C: Clock>(workers: Int, queueCapacity: Int?, name: String, clock: C) where C.Duration == Duration {
        let count = min(max(1, workers), Self.maximumWorkers)
        let capacity = max(1, queueCapacity ?? count * 2)
        storage = Storage(capacity: capacity, workers: count) { duration in
            try await clock.sleep(until: clock.now.advanced(by: duration), tolerance: nil)
        }
        var started = 0
        for index in 0..<count {
            let storage = self.storage
            if DedicatedThreads.tryStart(name: "\(name)-\(index)", { storage.workerLoop(index: index) }) { started += 1 }
        }
        self.workers = started
        self.queueCapacity = capacity
        storage.startedWorkers(started)
    }

    deinit { storage.shutDown() }

    /// Queues `body` to run on a worker, suspending while the queue is full.
    ///
    /// - Parameters:
    ///   - timeout: How long the body may run before its ticket fails with
    ///     ``WorkError/Code/timedOut`` (and ``WorkContext/isCancelled`` turns true).
    ///   - body: The work; it runs on a dedicated thread and may block. What it throws
    ///     fails this ticket only: a ``WorkError`` as is, anything else as
    ///     ``WorkError/Code/taskFailed``.
    /// - Returns: The ticket, to await the result or cancel the task.
    /// - Throws: ``WorkError`` with `.cancelled` when the submitting task is cancelled
    ///   while waiting for room, or the pool is shut down or has no worker thread.
    public func submit<T: Sendable>(
        timeout: Duration? = nil, _ body: @escaping @Sendable (WorkContext) throws -> T
    ) async throws(WorkError) -> WorkTicket<T> {
        let completion = Completion<T>()
        let flag = CancellationFlag()
        let storage = self.storage
        let id = storage.makeID()
        let job = WorkerPoolState.Job(
            id: id,
            run: { context in
                let result: Result<T, WorkError>
                do {
                    result = .success(try body(context))
                } catch let error as WorkError {
                    result = .failure(error)
                } catch {
                    result = .failure(WorkError(.taskFailed, "a task failed: \(error)"))
                }
                if case .failure = result { return (false, { completion.complete(result) }) }
                return (true, { completion.complete(result) })
            },
            cancel: { error in completion.complete(.failure(error)) },
            flag: flag, timeout: timeout, enqueued: .now)
        let ticket = WorkTicket(id: id, completion: completion, pool: storage)
        try await storage.enqueue(job)
        return ticket
    }

    /// Cancels every task submitted so far: queued ones never run, running ones are
    /// told to stop, and all their tickets fail with ``WorkError/Code/cancelled``.
    public func cancelAll() { storage.cancelAll() }

    /// Takes no more tasks; the workers finish the queue and exit.
    public func shutdown() { storage.shutDown() }

    /// The pool's counters and timings now.
    public var stats: WorkerPoolStats { storage.stats() }

    /// The shared state, held by the public handle, the tickets and the workers.
    ///
    /// `@unchecked Sendable`: `state` is only read or written while `condition`'s lock
    /// is held (every access below is inside `acquire()`/`release()` or `withLock`).
    final class Storage: @unchecked Sendable {
        private let condition = ThreadCondition()
        private var state: WorkerPoolState
        private var liveWorkers = 0

        /// Sleeps for a duration on the pool's clock (for timeouts).
        private let sleep: @Sendable (Duration) async throws -> Void

        init(capacity: Int, workers: Int, sleep: @escaping @Sendable (Duration) async throws -> Void) {
            state = WorkerPoolState(capacity: capacity, workers: workers, now: .now)
            self.sleep = sleep
        }

        func startedWorkers(_ count: Int) { condition.withLock { liveWorkers = count } }

        func makeID() -> UInt64 { condition.withLock { state.makeID() } }

        func enqueue(_ job: WorkerPoolState.Job) async throws(WorkError) {
            let result: Result<Void, WorkError> = await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, WorkError>, Never>) in
                    condition.acquire()
                    if state.shuttingDown || liveWorkers == 0 {
                        let reason = state.shuttingDown ? "the pool was shut down" : "no worker thread could be started (the process's thread limit?)"
                        condition.release()
                        continuation.resume(returning: .failure(WorkError(.cancelled, "cannot run the task: \(reason)")))
                        return
                    }
                    let queued = state.submit(job) { continuation.resume(returning: .success(())) }
                    if queued { condition.signal() }
                    condition.release()
                    if queued { continuation.resume(returning: .success(())) }
                }
            } onCancel: {
                self.cancel(id: job.id, because: WorkError(.cancelled, "the task was cancelled while waiting for room in the queue"))
            }
            try result.get()
            if Task.isCancelled && job.flag.isSet {
                throw WorkError(.cancelled, "the task was cancelled while waiting for room in the queue")
            }
        }

        /// Cancels one task wherever it is.
        func cancel(id: UInt64, because error: WorkError) {
            condition.acquire()
            let (job, admitted) = state.removeQueued(id: id)
            // A running job already told to stop is not counted twice.
            let runningJob = state.running[id].flatMap { $0.flag.isSet ? nil : $0 }
            if job != nil || runningJob != nil {
                if error.code == .timedOut { state.timedOut += 1 } else { state.cancelled += 1 }
            }
            if !admitted.isEmpty { condition.broadcast() }
            condition.release()
            for found in [job, runningJob].compactMap({ $0 }) {
                found.flag.set()
                found.cancel(error)
            }
            for waiter in admitted { waiter.resume() }
        }

        func cancelAll() {
            condition.acquire()
            let (queued, waiting) = state.removeAllWaiting()
            let running = Array(state.running.values)
            state.cancelled += queued.count + waiting.count + running.count
            condition.release()
            let error = WorkError(.cancelled, "the task was cancelled (cancel all)")
            for job in queued { job.flag.set(); job.cancel(error) }
            for waiter in waiting { waiter.job.flag.set(); waiter.job.cancel(error); waiter.resume() }
            for job in running { job.flag.set(); job.cancel(error) }
        }

        func shutDown() {
            condition.withLock { state.shutDown() }
            condition.broadcast()
        }

        func stats() -> WorkerPoolStats {
            condition.withLock {
                let elapsed = ContinuousClock.now - state.started
                let capacity = elapsed * state.workers
                let utilisation = capacity > .zero ? min(1, state.busy / capacity) : 0
                return WorkerPoolStats(
                    workers: state.workers, queued: state.queuedCount + state.waiters.count,
                    running: state.running.count, completed: state.completed, failed: state.failed,
                    cancelled: state.cancelled, timedOut: state.timedOut,
                    waitTime: state.waitTimes.percentiles, runTime: state.runTimes.percentiles,
                    utilisation: utilisation)
            }
        }

        /// The loop of one worker thread.
        func workerLoop(index: Int) {
            while true {
                condition.acquire()
                var take = state.take(now: .now)
                while case .wait = take {
                    condition.wait()
                    take = state.take(now: .now)
                }
                condition.release()
                guard case .run(let job, let admitted) = take else {
                    condition.withLock { liveWorkers -= 1 }
                    return
                }
                for waiter in admitted { waiter.resume() }
                run(job, worker: index)
            }
        }

        private func run(_ job: WorkerPoolState.Job, worker: Int) {
            let started = ContinuousClock.now
            var timer: Task<Void, Never>?
            if let timeout = job.timeout {
                let sleep = self.sleep
                timer = Task { [weak self] in
                    do { try await sleep(timeout) } catch { return }
                    guard !Task.isCancelled, let self else { return }
                    self.cancel(id: job.id, because: WorkError(
                        .timedOut, "the task did not finish within its timeout of \(timeout); it was abandoned"))
                }
            }
            let (succeeded, deliver) = job.run(WorkContext(workerIndex: worker, flag: job.flag))
            timer?.cancel()
            let outcome: WorkerPoolState.Outcome = job.flag.isSet ? .abandoned : succeeded ? .completed : .failed
            condition.withLock { state.finish(id: job.id, ran: .now - started, outcome: outcome) }
            deliver()
        }
    }
}
