import AIFSTestSupport
import Dispatch
import Synchronization
import Testing

@testable import AIFSWork

/// A gate that blocked task bodies wait on until the test opens it; every wait has a
/// deadline, so a broken pool fails the test instead of hanging it.
final class Gate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let opened = Atomic<Bool>(false)

    func wait() {
        if opened.load(ordering: .acquiring) { return }
        if semaphore.wait(timeout: .now() + 20) == .success { semaphore.signal() }
    }

    func open() {
        opened.store(true, ordering: .releasing)
        semaphore.signal()
    }
}

/// Polls `condition` until it holds or the deadline passes (never a bare sleep).
func eventually(within limit: Duration = .seconds(30), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while !condition() {
        if ContinuousClock.now > deadline { return false }
        await Task.yield()
    }
    return true
}

struct Boom: Error {}

@Suite struct WorkerPoolTests {
    @Test(.timeLimit(.minutes(1)))
    func runsEveryTaskAndReturnsItsResult() async throws {
        let pool = WorkerPool(workers: 3, queueCapacity: 4)
        var tickets: [WorkTicket<Int>] = []
        for i in 0..<200 { tickets.append(try await pool.submit { _ in i * 2 }) }
        var results: [Int] = []
        for ticket in tickets { results.append(try await ticket.value()) }
        #expect(results == (0..<200).map { $0 * 2 })
        let stats = pool.stats
        #expect(stats.completed == 200)
        #expect(stats.failed == 0)
        #expect(stats.runTime.samples == 200)
        #expect(stats.utilisation >= 0 && stats.utilisation <= 1)
    }

    @Test(.timeLimit(.minutes(1)))
    func submitSuspendsWhileTheQueueIsFull() async throws {
        let pool = WorkerPool(workers: 1, queueCapacity: 2)
        let gate = Gate()
        let first = try await pool.submit { _ in gate.wait() }
        #expect(await eventually { pool.stats.running == 1 })
        _ = try await pool.submit { _ in }
        _ = try await pool.submit { _ in }
        let submitted = Atomic<Bool>(false)
        let fourth = Task {
            let ticket = try await pool.submit { _ in 4 }
            submitted.store(true, ordering: .releasing)
            return try await ticket.value()
        }
        // The fourth submission is waiting for room (counted as queued), not admitted.
        #expect(await eventually { pool.stats.queued == 3 })
        let early = submitted.load(ordering: .acquiring)
        #expect(!early)
        gate.open()
        #expect(try await fourth.value == 4)
        try await first.value()
        let late = submitted.load(ordering: .acquiring)
        #expect(late)
    }

    @Test(.timeLimit(.minutes(1)))
    func oneFailingTaskNeverFailsTheOthers() async throws {
        let pool = WorkerPool(workers: 2)
        var tickets: [WorkTicket<Int>] = []
        for i in 0..<50 {
            tickets.append(try await pool.submit { _ in
                if i % 5 == 0 { throw Boom() }
                if i % 7 == 0 { throw WorkError(.notFound, "no \(i)") }
                return i
            })
        }
        var failures = 0
        for (i, ticket) in tickets.enumerated() {
            switch await ticket.result {
            case .success(let value): #expect(value == i)
            case .failure(let error):
                failures += 1
                #expect(error.code == (i % 5 == 0 ? .taskFailed : .notFound))
            }
        }
        #expect(failures == 10 + 6)  // multiples of 5; of 7 but not of 5
        #expect(pool.stats.failed == 16)
        #expect(pool.stats.completed == 34)
    }

    @Test(.timeLimit(.minutes(1)))
    func aCancelledQueuedTaskNeverRuns() async throws {
        let pool = WorkerPool(workers: 1, queueCapacity: 4)
        let gate = Gate()
        let ran = Atomic<Int>(0)
        let blocker = try await pool.submit { _ in gate.wait() }
        let victim = try await pool.submit { _ in _ = ran.add(1, ordering: .relaxed) }
        let survivor = try await pool.submit { _ in _ = ran.add(10, ordering: .relaxed) }
        victim.cancel()
        gate.open()
        try await blocker.value()
        try await survivor.value()
        await #expect(throws: WorkError.self) { try await victim.value() }
        #expect(ran.load(ordering: .relaxed) == 10)
        #expect(pool.stats.cancelled == 1)
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellingARunningTaskTellsItAndFailsItsTicket() async throws {
        let pool = WorkerPool(workers: 1)
        let gate = Gate()
        let sawCancel = Atomic<Bool>(false)
        let ticket = try await pool.submit { context in
            gate.wait()
            sawCancel.store(context.isCancelled, ordering: .relaxed)
            return 1
        }
        #expect(await eventually { pool.stats.running == 1 })
        ticket.cancel()
        let result: Result<Int, WorkError> = await ticket.result
        guard case .failure(let error) = result else { Issue.record("expected a cancellation"); return }
        #expect(error.code == .cancelled)
        gate.open()
        // The worker is free again once the body returned.
        #expect(try await pool.submit { _ in 2 }.value() == 2)
        let saw = sawCancel.load(ordering: .relaxed)
        #expect(saw)
    }

    @Test(.timeLimit(.minutes(1)))
    func cancelAllDropsQueuedTasksAndWaitingSubmitters() async throws {
        let pool = WorkerPool(workers: 1, queueCapacity: 1)
        let gate = Gate()
        let ran = Atomic<Int>(0)
        let running = try await pool.submit { _ in gate.wait() }
        #expect(await eventually { pool.stats.running == 1 })
        let queued = try await pool.submit { _ in _ = ran.add(1, ordering: .relaxed) }
        let waiting = Task { try await pool.submit { _ in _ = ran.add(1, ordering: .relaxed) } }
        #expect(await eventually { pool.stats.queued == 2 })
        pool.cancelAll()
        let waitingTicket = try await waiting.value
        await #expect(throws: WorkError.self) { try await running.value() }
        await #expect(throws: WorkError.self) { try await queued.value() }
        await #expect(throws: WorkError.self) { try await waitingTicket.value() }
        gate.open()
        #expect(try await pool.submit { _ in 7 }.value() == 7)
        #expect(ran.load(ordering: .relaxed) == 0)
        #expect(pool.stats.cancelled == 3)
    }

    @Test(.timeLimit(.minutes(1)))
    func aTaskPastItsTimeoutFailsWithTimedOut() async throws {
        let pool = WorkerPool(workers: 1)
        let gate = Gate()
        let ticket = try await pool.submit(timeout: .milliseconds(50)) { _ in gate.wait() }
        let result = await ticket.result
        guard case .failure(let error) = result else { Issue.record("expected a timeout"); return }
        #expect(error.code == .timedOut)
        gate.open()
        #expect(try await pool.submit(timeout: .seconds(30)) { _ in 3 }.value() == 3)
        #expect(pool.stats.timedOut == 1)
    }

    @Test(.timeLimit(.minutes(1)))
    func timeoutsFollowTheInjectedClock() async throws {
        let clock = ManualSleepClock()
        let pool = WorkerPool(workers: 1, queueCapacity: nil, name: "test", clock: clock)
        let gate = Gate()
        let ticket = try await pool.submit(timeout: .seconds(30)) { _ in gate.wait() }
        #expect(await eventually { clock.sleeperCount == 1 })
        clock.advance(by: .seconds(29))
        // Not yet: the sleeper still waits, and the task still runs.
        #expect(clock.sleeperCount == 1 && pool.stats.running == 1 && pool.stats.timedOut == 0)
        clock.advance(by: .seconds(1))
        let result = await ticket.result
        guard case .failure(let error) = result else { Issue.record("expected a timeout"); return }
        #expect(error.code == .timedOut)
        gate.open()
    }

    @Test(.timeLimit(.minutes(1)))
    func oneWorkerRunsTasksInSubmissionOrder() async throws {
        let pool = WorkerPool(workers: 1, queueCapacity: 3)
        let order = Mutex<[Int]>([])
        var tickets: [WorkTicket<Void>] = []
        for i in 0..<100 { tickets.append(try await pool.submit { _ in order.withLock { $0.append(i) } }) }
        for ticket in tickets { try await ticket.value() }
        #expect(order.withLock { $0 } == Array(0..<100))
    }

    @Test(.timeLimit(.minutes(1)))
    func blockedWorkersDoNotStarveTheCooperativePool() async throws {
        let workers = 8
        let pool = WorkerPool(workers: workers, queueCapacity: 8)
        let gate = Gate()
        var tickets: [WorkTicket<Void>] = []
        for _ in 0..<workers { tickets.append(try await pool.submit { _ in gate.wait() }) }
        #expect(await eventually { pool.stats.running == workers })
        // Every worker is blocked, yet async work still runs.
        let answer = await withTaskGroup(of: Int.self) { group in
            for i in 0..<16 { group.addTask { i } }
            return await group.reduce(0, +)
        }
        #expect(answer == 120)
        gate.open()
        for ticket in tickets { try await ticket.value() }
    }

    @Test(.timeLimit(.minutes(1)))
    func aShutDownPoolRefusesWork() async throws {
        let pool = WorkerPool(workers: 1)
        pool.shutdown()
        await #expect(throws: WorkError.self) { _ = try await pool.submit { _ in 1 } }
    }
}

@Suite struct WorkTicketTests {
    @Test(.timeLimit(.minutes(1)))
    func cancellingTheWaitingTaskStopsTheWaitNotTheWork() async throws {
        let pool = WorkerPool(workers: 1)
        let gate = Gate()
        let ticket = try await pool.submit { _ in
            gate.wait()
            return 5
        }
        let waiter = Task { await ticket.result }
        waiter.cancel()
        guard case .failure(let error) = await waiter.value else {
            Issue.record("expected the wait to stop")
            return
        }
        #expect(error.code == .cancelled)
        gate.open()
        #expect(try await ticket.value() == 5)
    }
}
