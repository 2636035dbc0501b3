import Dispatch
import Synchronization

/// The one executor for blocking work in async code: the facade's writes, batches'
/// walks and transactions, the MCP server's tool calls. Threads are kept for the next
/// job instead of one being started per call.
///
/// Starting a thread per call cost about 3 ms of a 4 ms `read_file` round trip on a
/// loaded machine; an idle worker is woken in microseconds. A job finding no idle
/// worker gets a new thread, so a long walk never holds up a read, up to
/// ``maximumThreads``: past that, jobs wait in the queue for the next free worker
/// (10,000 concurrent `read_file` calls had started over 9,000 threads and 330 MiB).
/// At most ``maximumIdle`` threads wait for work, the others end.
///
/// ## Threading
/// ``run(_:)`` from anywhere. Every job runs exactly once: a job is queued before a
/// worker is woken or started, and a worker looks at the queue before it waits.
public final class BlockingExecutor: Sendable {
    /// The process's executor.
    public static let shared = BlockingExecutor()

    /// Idle threads kept waiting for work.
    static let maximumIdle = 4
    /// Threads at most, idle or busy.
    static let maximumThreads = max(32, 4 * DedicatedThreads.processorCount)

    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var head = 0
        var idle = 0
        var threads = 0

        mutating func pop() -> (@Sendable () -> Void)? {
            guard head < jobs.count else { return nil }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            return job
        }
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    /// Runs `job` on a worker thread and returns at once.
    public func run(_ job: @escaping @Sendable () -> Void) {
        enum Next { case wakeIdle, startThread, wait }
        let next = state.withLock { state -> Next in
            state.jobs.append(job)
            if state.idle > 0 {
                state.idle -= 1
                return .wakeIdle
            }
            guard state.threads < BlockingExecutor.maximumThreads else { return .wait }
            state.threads += 1
            return .startThread
        }
        switch next {
        case .wakeIdle:
            wake.signal()
        case .startThread:
            guard DedicatedThreads.tryStart(name: "aifs-blocking", { self.work() }) else {
                // No thread to be had: run one queued job here rather than none.
                let job = state.withLock { state in
                    state.threads -= 1
                    return state.pop()
                }
                job?()
                return
            }
        case .wait:
            break  // every worker is busy; the first to finish takes it
        }
    }

    private func work() {
        enum Next { case work, waitForWork, end }
        while true {
            if let job = state.withLock({ $0.pop() }) {
                job()
                continue
            }
            let next = state.withLock { state -> Next in
                // A job queued since the pop above, while every worker was busy.
                if state.head < state.jobs.count { return .work }
                guard state.idle < BlockingExecutor.maximumIdle else {
                    state.threads -= 1
                    return .end
                }
                state.idle += 1
                return .waitForWork
            }
            switch next {
            case .work: continue
            case .waitForWork: wake.wait()
            case .end: return
            }
        }
    }

    /// Runs `body` on a worker thread and awaits its result; the calling task is
    /// suspended, not blocked, so the cooperative pool stays free.
    public func perform<T: Sendable, Failure: Error>(
        _ body: @escaping @Sendable () throws(Failure) -> T
    ) async throws(Failure) -> T {
        let result: Result<T, Failure> = await withCheckedContinuation { continuation in
            run { continuation.resume(returning: Result { () throws(Failure) -> T in try body() }) }
        }
        return try result.get()
    }
}
