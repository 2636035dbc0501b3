import Synchronization
import Testing

@testable import AIFSWork

/// The pool's state machine on its own: no threads, no clock but the one passed in.
@Suite struct WorkerPoolStateTests {
    func job(_ state: inout WorkerPoolState, at now: ContinuousClock.Instant) -> WorkerPoolState.Job {
        WorkerPoolState.Job(id: state.makeID(), run: { _ in (true, {}) }, cancel: { _ in }, flag: CancellationFlag(), timeout: nil, enqueued: now)
    }

    @Test func queuesUpToCapacityThenMakesSubmittersWaitInOrder() {
        let start = ContinuousClock.now
        var state = WorkerPoolState(capacity: 2, workers: 1, now: start)
        let resumed = Mutex<[Int]>([])
        for number in 1...4 {
            let queued = state.submit(job(&state, at: start)) { resumed.withLock { $0.append(number) } }
            #expect(queued == (number <= 2))
        }
        #expect(state.queuedCount == 2 && state.waiters.count == 2)
        // A worker takes job 1: waiter 3 moves into the queue and is to be resumed.
        guard case .run(let first, let admitted) = state.take(now: start + .milliseconds(5)) else {
            Issue.record("expected a job")
            return
        }
        #expect(first.id == 1)
        #expect(admitted.map(\.job.id) == [3])
        for waiter in admitted { waiter.resume() }
        #expect(resumed.withLock { $0 } == [3])
        #expect(state.waitTimes.percentiles.max == .milliseconds(5))
        // Removing a queued job frees a slot for the next waiter.
        let (removed, next) = state.removeQueued(id: 2)
        #expect(removed?.id == 2)
        #expect(next.map(\.job.id) == [4])
        #expect(state.queuedCount == 2 && state.waiters.isEmpty)
    }

    @Test func finishCountsOutcomesAndShutdownEndsTheWorkersWhenEmpty() {
        let start = ContinuousClock.now
        var state = WorkerPoolState(capacity: 4, workers: 2, now: start)
        _ = state.submit(job(&state, at: start)) {}
        guard case .run(let only, _) = state.take(now: start) else {
            Issue.record("expected a job")
            return
        }
        guard case .wait = state.take(now: start) else {
            Issue.record("an empty queue makes a worker wait")
            return
        }
        state.finish(id: only.id, ran: .milliseconds(3), outcome: .failed)
        #expect(state.failed == 1 && state.completed == 0 && state.running.isEmpty)
        #expect(state.runTimes.percentiles.p50 == .milliseconds(3))
        state.shutDown()
        guard case .exit = state.take(now: start) else {
            Issue.record("a shut-down pool with an empty queue lets its workers exit")
            return
        }
    }

    @Test func percentilesComeFromTheMostRecentSamples() {
        var ring = SampleRing(capacity: 4)
        for ms in [100, 1, 2, 3, 4] { ring.append(.milliseconds(ms)) }
        let p = ring.percentiles
        #expect(p.samples == 4 && p.max == .milliseconds(4) && p.p50 == .milliseconds(3))
    }
}
