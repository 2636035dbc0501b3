/// The pure state of a ``WorkerPool``: the bounded queue, the submitters waiting for
/// room, the running tasks and the counters. Events in (submit, take, finish,
/// cancel), effects out as values; ``WorkerPool`` keeps it behind a lock and carries
/// the effects out after releasing it.
///
/// ## Invariants
/// - `queue.count <= capacity`; a submitter waits in `waiters` only while the queue is
///   full, and waiters enter the queue in the order they arrived.
/// - A job id is in at most one of `queue`, `waiters` or `running`.
struct WorkerPoolState {
    /// A job: the closure a worker runs, and what the pool needs to know about it.
    struct Job {
        var id: UInt64
        /// Runs the body; returns whether it succeeded and the call that hands its
        /// result to the ticket (made after the pool's counters are updated, so a caller
        /// who has every result also sees every count).
        var run: @Sendable (WorkContext) -> (succeeded: Bool, deliver: @Sendable () -> Void)
        var cancel: @Sendable (WorkError) -> Void
        var flag: CancellationFlag
        var timeout: Duration?
        var enqueued: ContinuousClock.Instant
    }

    /// What a worker should do next.
    enum Take {
        case run(Job, admitted: [Waiter])
        case wait
        case exit
    }

    let capacity: Int
    let workers: Int
    let started: ContinuousClock.Instant
    private(set) var queue: [Job] = []
    private var head = 0
    /// A submitter suspended until the queue has room for its job.
    typealias Waiter = (job: Job, resume: @Sendable () -> Void)

    private(set) var waiters: [Waiter] = []
    private(set) var running: [UInt64: Job] = [:]
    private(set) var shuttingDown = false
    private(set) var nextID: UInt64 = 0

    var completed = 0
    var failed = 0
    var cancelled = 0
    var timedOut = 0
    var busy: Duration = .zero
    var waitTimes = SampleRing(capacity: 8192)
    var runTimes = SampleRing(capacity: 8192)

    init(capacity: Int, workers: Int, now: ContinuousClock.Instant) {
        self.capacity = capacity
        self.workers = workers
        self.started = now
    }

    var queuedCount: Int { queue.count - head }

    mutating func makeID() -> UInt64 {
        nextID += 1
        return nextID
    }

    /// A submission: queued at once when there is room (and nobody waits before it),
    /// else it waits. Returns whether it was queued.
    mutating func submit(_ job: Job, resumeWhenAdmitted: @escaping @Sendable () -> Void) -> Bool {
        if queuedCount < capacity && waiters.isEmpty {
            queue.append(job)
            return true
        }
        waiters.append((job, resumeWhenAdmitted))
        return false
    }

    /// A worker asks for the next job.
    mutating func take(now: ContinuousClock.Instant) -> Take {
        guard head < queue.count else { return shuttingDown ? .exit : .wait }
        let job = queue[head]
        head += 1
        compact()
        running[job.id] = job
        waitTimes.append(now - job.enqueued)
        return .run(job, admitted: admitWaiters())
    }

    /// A job finished on a worker.
    mutating func finish(id: UInt64, ran: Duration, outcome: Outcome) {
        running[id] = nil
        busy += ran
        runTimes.append(ran)
        switch outcome {
        case .completed: completed += 1
        case .failed: failed += 1
        case .abandoned: break  // counted when it was cancelled or timed out
        }
    }

    enum Outcome { case completed, failed, abandoned }

    /// Removes a queued or waiting job. Returns the job (to fail its ticket), the
    /// waiters admitted into the freed slot, and whether it was found.
    mutating func removeQueued(id: UInt64) -> (job: Job?, admitted: [Waiter]) {
        if let index = queue[head...].firstIndex(where: { $0.id == id }) {
            let job = queue.remove(at: index)
            return (job, admitWaiters())
        }
        if let index = waiters.firstIndex(where: { $0.job.id == id }) {
            let waiter = waiters.remove(at: index)
            return (waiter.job, [waiter])
        }
        return (nil, [])
    }

    /// Moves waiting submitters into the queue while there is room; returns them (their
    /// `resume` must be called after the lock is released).
    mutating func admitWaiters() -> [Waiter] {
        var admitted: [Waiter] = []
        while queuedCount < capacity, !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            queue.append(waiter.job)
            admitted.append(waiter)
        }
        return admitted
    }

    /// Empties the queue and the waiters (cancel all); returns them.
    mutating func removeAllWaiting() -> (queued: [Job], waiting: [Waiter]) {
        let queued = Array(queue[head...])
        queue.removeAll()
        head = 0
        let waiting = waiters
        waiters.removeAll()
        return (queued, waiting)
    }

    /// No more submissions; workers exit once the queue is empty.
    mutating func shutDown() { shuttingDown = true }

    private mutating func compact() {
        if head > 1024 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
    }
}

/// The most recent samples of a duration, for percentiles in bounded memory.
struct SampleRing {
    private var samples: [Duration] = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    mutating func append(_ sample: Duration) {
        if samples.count < capacity {
            samples.append(sample)
        } else {
            samples[next] = sample
            next = (next + 1) % capacity
        }
    }

    /// p50, p90, p99 and the maximum of the samples held.
    var percentiles: DurationPercentiles {
        guard !samples.isEmpty else { return DurationPercentiles() }
        let sorted = samples.sorted()
        func at(_ fraction: Double) -> Duration {
            sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
        }
        return DurationPercentiles(p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.count - 1], samples: sorted.count)
    }
}
