import Synchronization
import Testing

@testable import AIFSServer

/// The limit on searches at once (issue 15, defect 10): places in arrival order, and a
/// cancelled waiter leaves without one.
@Suite(.timeLimit(.minutes(1)))
struct ConcurrencyLimitTests {
    @Test func waitersGetPlacesInArrivalOrder() async throws {
        let limit = ConcurrencyLimit(2)
        #expect(await limit.acquire())
        #expect(await limit.acquire())
        #expect(limit.holders == 2)
        let order = Order()
        let first = Task {
            #expect(await limit.acquire())
            order.append(1)
        }
        // The second waiter queues only after the first: wait (with a deadline) until
        // the first is queued, seen as a release not lowering the count.
        try await waitUntil { limit.waitingCount == 1 }
        let second = Task {
            #expect(await limit.acquire())
            order.append(2)
        }
        try await waitUntil { limit.waitingCount == 2 }
        limit.release()
        await first.value
        limit.release()
        await second.value
        #expect(order.values == [1, 2])
        #expect(limit.holders == 2)
        limit.release()
        limit.release()
        #expect(limit.holders == 0)
    }

    @Test func aCancelledWaiterLeavesWithoutAPlace() async throws {
        let limit = ConcurrencyLimit(1)
        #expect(await limit.acquire())
        let waiter = Task { await limit.acquire() }
        try await waitUntil { limit.waitingCount == 1 }
        waiter.cancel()
        #expect(await waiter.value == false)
        #expect(limit.waitingCount == 0)
        limit.release()
        #expect(limit.holders == 0)
        // A task cancelled before it asks gets no place either, once the limit is full.
        #expect(await limit.acquire())
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await limit.acquire()
        }
        #expect(await early.value == false)
        limit.release()
        #expect(limit.holders == 0)
    }

    final class Order: Sendable {
        private let list = Mutex<[Int]>([])
        func append(_ value: Int) { list.withLock { $0.append(value) } }
        var values: [Int] { list.withLock { $0 } }
    }

    /// Polls `condition` every millisecond until it holds, failing after 10 s.
    private func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met within 10 s")
                return
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
