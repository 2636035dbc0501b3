import AIFSTestSupport
import Testing

@testable import AIFSCache

@Suite struct CacheTests {
    typealias Log = DisposeLog<String, Int>

    func makeCache(
        countLimit: Int? = nil, byteBudget: Int? = nil, log: Log? = nil,
        configure: (inout CacheConfiguration<String, Int>) -> Void = { _ in }
    ) -> Cache<String, Int> {
        var configuration = CacheConfiguration<String, Int>(countLimit: countLimit, byteBudget: byteBudget)
        configuration.onDispose = log?.callback
        configure(&configuration)
        return Cache(configuration: configuration)
    }

    @Test func getReturnsWhatWasSet() {
        let cache = makeCache()
        #expect(cache.get("a") == nil)
        cache.set("a", 1)
        cache.set("b", 2)
        #expect(cache.get("a") == 1)
        #expect(cache.get("b") == 2)
        #expect(cache.get("c") == nil)
    }

    @Test func countLimitIsNeverExceeded() {
        let cache = makeCache(countLimit: 100)
        for i in 0..<1_000 {
            cache.set("k\(i)", i)
            #expect(cache.stats.count <= 100)
        }
        let stats = cache.stats
        #expect(stats.count == 100)
        #expect(stats.evictions == 900)
    }

    @Test func byteBudgetCountsEntrySizes() {
        let cache = makeCache(byteBudget: 100) { $0.size = { _, value in value } }
        for i in 0..<50 {
            cache.set("k\(i)", 10 + i % 20)
            #expect(cache.stats.bytes <= 100)
        }
        cache.set("big", 100)
        #expect(cache.stats.bytes <= 100)
        // Sizes are tracked through replacement too.
        let cache2 = makeCache(byteBudget: 100) { $0.size = { _, value in value } }
        cache2.set("a", 30)
        cache2.set("a", 50)
        #expect(cache2.stats.bytes == 50)
        #expect(cache2.stats.count == 1)
    }

    @Test func entriesLargerThanTheLargestEntrySizeAreNotStored() {
        let log = Log()
        let cache = makeCache(byteBudget: 1_000, log: log) {
            $0.size = { _, value in value }
            $0.largestEntrySize = 50
        }
        cache.set("small", 50)
        cache.set("large", 51)
        #expect(cache.peek("small") == 50)
        #expect(cache.peek("large") == nil)
        // Replacing a value with one too large removes the old one.
        cache.set("small", 60)
        #expect(cache.peek("small") == nil)
        #expect(log.events == [.init(key: "small", value: 50, reason: .replaced)])
        // Larger than the budget is rejected as well, with no largest entry size.
        let cache2 = makeCache(byteBudget: 10) { $0.size = { _, value in value } }
        cache2.set("x", 11)
        #expect(cache2.peek("x") == nil)
        #expect(cache2.stats.rejections == 1)
        #expect(cache.stats.rejections == 2)
    }

    /// Limit 3: one window slot, two in the main space. A frequently read entry wins its
    /// place against the oldest probation entry; a new one with no history loses on a tie.
    @Test func evictionOrderFollowsFrequencyThenRecency() {
        let log = Log()
        let cache = makeCache(countLimit: 3, log: log)
        cache.set("a", 1)
        cache.set("b", 2)
        cache.set("c", 3)
        for _ in 0..<3 { _ = cache.get("c") }
        cache.set("d", 4)  // c leaves the window, beats a (the oldest): a goes.
        cache.set("e", 5)  // d leaves the window with no history, ties with b: d goes.
        #expect(log.events.map(\.key) == ["a", "d"])
        #expect(log.events.allSatisfy { $0.reason == .evicted })
        #expect(cache.peek("b") == 2 && cache.peek("c") == 3 && cache.peek("e") == 5)
    }

    @Test func hotEntriesSurviveAScanOfColdOnes() {
        let cache = makeCache(countLimit: 100)
        for i in 0..<50 { cache.set("hot\(i)", i) }
        // One more key pushes the last hot one out of the one-slot window into probation,
        // from where the first read promotes it like the others.
        cache.set("filler", 0)
        // Ten rounds: read every hot entry (loading the misses), then scan 1,000 cold keys.
        var hotMisses = 0
        for round in 0..<10 {
            for i in 0..<50 where cache.get("hot\(i)") == nil {
                hotMisses += 1
                cache.set("hot\(i)", i)
            }
            for i in 0..<1_000 { cache.set("cold\(round)-\(i)", i) }
        }
        // Plain LRU would miss all 50 in every round after the first.
        #expect(hotMisses == 0)
        let survivors = (0..<50).filter { cache.peek("hot\($0)") != nil }.count
        #expect(survivors == 50)
        #expect(cache.stats.count == 100)
    }

    @Test func eachDisposeReasonIsReported() {
        let clock = ManualClock()
        let log = Log()
        var configuration = CacheConfiguration<String, Int>(countLimit: 1)
        configuration.onDispose = log.callback
        let cache = Cache(configuration: configuration, clock: clock)
        cache.set("a", 1)
        cache.set("a", 2)  // replaced
        cache.set("b", 3)  // a or b evicted (limit 1)
        let evicted = log.events.last!
        let remaining = evicted.key == "a" ? "b" : "a"
        _ = cache.remove(remaining)  // deleted
        cache.set("c", 4, timeToLive: .seconds(1))
        clock.advance(by: .seconds(1))
        #expect(cache.get("c") == nil)  // expired
        #expect(log.events.map(\.reason) == [.replaced, .evicted, .deleted, .expired])
        #expect(log.events.first == .init(key: "a", value: 1, reason: .replaced))
        let stats = cache.stats
        #expect(stats.replacements == 1 && stats.evictions == 1 && stats.deletions == 1 && stats.expirations == 1)
        #expect(stats.removals(.evicted) == 1 && stats.count == 0)
    }

    @Test func disposeCallbacksMayCallBackIntoTheCache() {
        let cache = Cache<String, Int>(countLimit: 10)
        var configuration = CacheConfiguration<String, Int>(countLimit: 1)
        configuration.onDispose = { key, value, _ in cache.set(key, value) }
        let front = Cache(configuration: configuration)
        front.set("a", 1)
        front.set("b", 2)
        front.set("c", 3)
        #expect(cache.stats.count == 2)
    }

    @Test func peekChangesNeitherStatsNorRecency() {
        let log = Log()
        let cache = makeCache(countLimit: 3, log: log)
        cache.set("a", 1)
        cache.set("b", 2)
        cache.set("c", 3)
        for _ in 0..<3 { #expect(cache.peek("c") == 3) }
        #expect(cache.peek("zzz") == nil)
        let stats = cache.stats
        #expect(stats.hits == 0 && stats.misses == 0)
        // Had the peeks counted as uses, c would beat a (see the eviction order test).
        cache.set("d", 4)
        #expect(log.events.map(\.key) == ["c"])
    }

    @Test func statsCountHitsMissesEntriesAndBytes() {
        let cache = makeCache { $0.size = { key, _ in key.utf8.count } }
        cache.set("one", 1)
        cache.set("three", 3)
        _ = cache.get("one")
        _ = cache.get("one")
        _ = cache.get("two")
        let stats = cache.stats
        #expect(stats.hits == 2)
        #expect(stats.misses == 1)
        #expect(stats.count == 2)
        #expect(stats.bytes == 8)
        #expect(abs(stats.hitRate - 2.0 / 3.0) < 1e-9)
        _ = cache.remove("three")
        #expect(cache.stats.bytes == 3)
        #expect(cache.stats.deletions == 1)
    }

    @Test func shrinkEvictsUntilUnderTheTarget() {
        let log = Log()
        let cache = makeCache(byteBudget: 1_000, log: log) { $0.size = { _, value in value } }
        for i in 0..<10 { cache.set("k\(i)", 10) }
        #expect(cache.stats.bytes == 100)
        cache.shrink(toBytes: 35)
        #expect(cache.stats.bytes == 30)
        #expect(cache.stats.evictions == 7)
        #expect(log.events.count == 7 && log.events.allSatisfy { $0.reason == .evicted })
        cache.shrink(toBytes: 0)
        #expect(cache.stats.count == 0)
        cache.set("again", 10)
        #expect(cache.get("again") == 10)
    }

    @Test func removeAllWhereRemovesMatchingKeys() {
        let log = Log()
        let cache = makeCache(log: log)
        for name in ["dir/a", "dir/b", "dir/sub/c", "other/d", "dirt/e"] { cache.set(name, 0) }
        let removed = cache.removeAll { $0.hasPrefix("dir/") }
        #expect(removed == 3)
        #expect(Set(log.events.map(\.key)) == ["dir/a", "dir/b", "dir/sub/c"])
        #expect(log.events.allSatisfy { $0.reason == .deleted })
        #expect(cache.peek("other/d") == 0 && cache.peek("dirt/e") == 0)
        cache.removeAll()
        #expect(cache.stats.count == 0)
        #expect(cache.stats.deletions == 5)
    }

    @Test func removeReturnsTheValue() {
        let cache = makeCache()
        cache.set("a", 1)
        #expect(cache.remove("a") == 1)
        #expect(cache.remove("a") == nil)
        #expect(cache.get("a") == nil)
    }

    @Test func storageIsReusedAfterRemoval() {
        let cache = makeCache(countLimit: 10)
        for round in 0..<100 {
            for i in 0..<10 { cache.set("k\(i)", round) }
            for i in 0..<10 { #expect(cache.get("k\(i)") == round) }
            cache.removeAll()
        }
        #expect(cache.stats.count == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func concurrentUseKeepsTheInvariants() async {
        let cache = Cache<Int, Int>(countLimit: 64)
        let tasks = 4
        let operations = 20_000
        let gets = await withTaskGroup(of: Int.self) { group in
            for t in 0..<tasks {
                group.addTask {
                    var random = SplitMix64(state: UInt64(t))
                    var gets = 0
                    for _ in 0..<operations {
                        let key = Int.random(in: 0..<200, using: &random)
                        switch Int.random(in: 0..<10, using: &random) {
                        case 0..<6:
                            if let value = cache.get(key) { precondition(value == key * 2) }
                            gets += 1
                        case 6..<8: cache.set(key, key * 2)
                        case 8:
                            let value = try? await cache.fetch(key) { key * 2 }
                            precondition(value == key * 2)
                        default: _ = cache.remove(key)
                        }
                    }
                    return gets
                }
            }
            return await group.reduce(0, +)
        }
        let stats = cache.stats
        // fetch counts a hit or a miss too.
        #expect(stats.hits + stats.misses >= gets)
        #expect(cache.invariantViolations().isEmpty)
        #expect(stats.count <= 64)
        #expect(stats.bytes == stats.count)
    }
}
