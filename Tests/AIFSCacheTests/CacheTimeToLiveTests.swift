import AIFSCache
import Testing

@Suite struct CacheTimeToLiveTests {
    func makeCache(
        _ clock: ManualClock, timeToLive: Duration? = .seconds(10),
        configure: (inout CacheConfiguration<String, Int>) -> Void = { _ in }
    ) -> Cache<String, Int> {
        var configuration = CacheConfiguration<String, Int>(timeToLive: timeToLive)
        configure(&configuration)
        return Cache(configuration: configuration, clock: clock)
    }

    @Test func entriesExpireAfterTheTimeToLive() {
        let clock = ManualClock()
        let cache = makeCache(clock)
        cache.set("a", 1)
        clock.advance(by: .seconds(9))
        #expect(cache.get("a") == 1)
        clock.advance(by: .seconds(1))
        #expect(cache.peek("a") == nil)
        #expect(cache.get("a") == nil)
        let stats = cache.stats
        #expect(stats.hits == 1 && stats.misses == 1 && stats.expirations == 1 && stats.count == 0)
    }

    @Test func perEntryTimeToLiveOverridesTheDefault() {
        let clock = ManualClock()
        let cache = makeCache(clock)
        cache.set("default", 1)
        cache.set("short", 2, timeToLive: .seconds(2))
        cache.set("long", 3, timeToLive: .seconds(60))
        clock.advance(by: .seconds(2))
        #expect(cache.get("short") == nil)
        #expect(cache.get("default") == 1)
        clock.advance(by: .seconds(8))
        #expect(cache.get("default") == nil)
        #expect(cache.get("long") == 3)
        // A per-entry time-to-live works without a default, and zero is already expired.
        let plain = makeCache(clock, timeToLive: nil)
        plain.set("forever", 1)
        plain.set("brief", 2, timeToLive: .milliseconds(5))
        plain.set("never", 3, timeToLive: .zero)
        #expect(plain.get("never") == nil)
        clock.advance(by: .milliseconds(5))
        #expect(plain.get("brief") == nil)
        clock.advance(by: .seconds(1_000_000))
        #expect(plain.get("forever") == 1)
    }

    @Test func updateAgeOnGetRestartsTheTimeToLive() {
        let clock = ManualClock()
        let refreshing = makeCache(clock) { $0.updateAgeOnGet = true }
        let fixed = makeCache(clock)
        for cache in [refreshing, fixed] { cache.set("a", 1) }
        clock.advance(by: .seconds(6))
        #expect(refreshing.get("a") == 1 && fixed.get("a") == 1)
        // peek does not refresh.
        #expect(refreshing.peek("a") == 1)
        clock.advance(by: .seconds(6))
        #expect(fixed.get("a") == nil)
        #expect(refreshing.get("a") == 1)
        clock.advance(by: .seconds(10))
        #expect(refreshing.get("a") == nil)
    }

    @Test func allowStaleReturnsTheExpiredValueOnceThenRemovesIt() {
        let clock = ManualClock()
        let log = DisposeLog<String, Int>()
        let cache = makeCache(clock) {
            $0.allowStale = true
            $0.onDispose = log.callback
        }
        cache.set("a", 1)
        clock.advance(by: .seconds(10))
        #expect(cache.peek("a") == 1)  // peek leaves it in place
        #expect(cache.get("a") == 1)  // stale, and removed
        #expect(cache.get("a") == nil)
        #expect(log.events == [.init(key: "a", value: 1, reason: .expired)])
        #expect(cache.stats.misses == 2 && cache.stats.hits == 0)
    }

    @Test func purgeExpiredRemovesEveryExpiredEntry() {
        let clock = ManualClock()
        let cache = makeCache(clock)
        for i in 0..<10 { cache.set("a\(i)", i) }
        clock.advance(by: .seconds(5))
        for i in 0..<5 { cache.set("b\(i)", i) }
        clock.advance(by: .seconds(5))
        #expect(cache.purgeExpired() == 10)
        #expect(cache.stats.count == 5 && cache.stats.expirations == 10)
        #expect(cache.purgeExpired() == 0)
    }

    @Test func removingAnExpiredEntryReturnsNil() {
        let clock = ManualClock()
        let cache = makeCache(clock)
        cache.set("a", 1)
        clock.advance(by: .seconds(11))
        #expect(cache.remove("a") == nil)
        #expect(cache.stats.expirations == 1 && cache.stats.deletions == 0)
    }
}
