import AIFSCache
import Synchronization
import Testing

@Suite struct CacheFetchTests {
    struct LoadFailed: Error, Equatable {}

    /// A gate the loader waits on, so a test can let the other fetches queue up first.
    final class Gate: Sendable {
        private let stream: AsyncStream<Void>
        private let continuation: AsyncStream<Void>.Continuation

        init() { (stream, continuation) = AsyncStream.makeStream() }

        func wait() async { for await _ in stream { return } }
        func open() { continuation.yield() }
    }

    /// Waits, with a deadline, until `condition` holds (STYLE rule 38: no sleeping).
    func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition() {
            try #require(ContinuousClock.now < deadline, "condition not met within 10 s")
            await Task.yield()
        }
    }

    @Test func fetchLoadsOnAMissAndHitsAfterwards() async throws {
        let cache = Cache<String, Int>(countLimit: 10)
        #expect(try await cache.fetch("a") { 1 } == 1)
        #expect(try await cache.fetch("a") { 2 } == 1)
        let stats = cache.stats
        #expect(stats.misses == 1 && stats.hits == 1 && stats.loads == 1)
    }

    @Test(.timeLimit(.minutes(1)))
    func concurrentMissesShareOneLoad() async throws {
        let cache = Cache<String, Int>(countLimit: 10)
        let loads = Counter()
        let gate = Gate()
        let fetchers = 20
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<fetchers {
                group.addTask {
                    try await cache.fetch("key") {
                        loads.increment()
                        await gate.wait()
                        return 42
                    }
                }
            }
            // Every fetch has missed: one loads, the others wait for it.
            try await waitUntil { cache.stats.misses == fetchers }
            gate.open()
            for try await value in group { #expect(value == 42) }
        }
        #expect(loads.value == 1)
        #expect(cache.stats.loads == 1)
        #expect(cache.peek("key") == 42)
    }

    @Test(.timeLimit(.minutes(1)))
    func aFailedLoadReachesEveryWaiterAndIsNotCached() async throws {
        let cache = Cache<String, Int>(countLimit: 10)
        let loads = Counter()
        let gate = Gate()
        let fetchers = 8
        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<fetchers {
                group.addTask {
                    do {
                        _ = try await cache.fetch("key") {
                            loads.increment()
                            await gate.wait()
                            throw LoadFailed()
                        }
                        return false
                    } catch {
                        return error is LoadFailed
                    }
                }
            }
            try? await waitUntil { cache.stats.misses == fetchers }
            gate.open()
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(failures == fetchers)
        #expect(loads.value == 1)
        #expect(cache.stats.loadFailures == 1 && cache.stats.loads == 0)
        #expect(cache.peek("key") == nil)
        // The next fetch loads again.
        #expect(try await cache.fetch("key") { 7 } == 7)
        #expect(loads.value == 1)
        #expect(cache.stats.loads == 1)
    }

    @Test(.timeLimit(.minutes(1)))
    func aKeyRemovedDuringItsLoadIsNotStored() async throws {
        let cache = Cache<String, Int>(countLimit: 10)
        let gate = Gate()
        let started = Counter()
        async let value = cache.fetch("key") {
            started.increment()
            await gate.wait()
            return 1
        }
        try await waitUntil { started.value > 0 }
        _ = cache.remove("key")
        gate.open()
        #expect(try await value == 1)
        #expect(cache.peek("key") == nil)
    }

    @Test(.timeLimit(.minutes(1)))
    func aValueSetDuringALoadWins() async throws {
        let cache = Cache<String, Int>(countLimit: 10)
        let gate = Gate()
        let started = Counter()
        async let value = cache.fetch("key") {
            started.increment()
            await gate.wait()
            return 1
        }
        try await waitUntil { started.value > 0 }
        cache.set("key", 2)
        gate.open()
        #expect(try await value == 1)
        #expect(cache.peek("key") == 2)
    }

    @Test func fetchReloadsAnExpiredEntry() async throws {
        let clock = ManualClock()
        var configuration = CacheConfiguration<String, Int>(timeToLive: .seconds(1))
        configuration.allowStale = true
        let cache = Cache(configuration: configuration, clock: clock)
        cache.set("a", 1)
        clock.advance(by: .seconds(1))
        #expect(try await cache.fetch("a") { 2 } == 2)
        #expect(cache.stats.expirations == 1)
    }
}
