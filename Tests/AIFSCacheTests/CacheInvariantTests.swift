import AIFSTestSupport
import Testing

@testable import AIFSCache

/// Random operations against a simple model, checking the internal invariants after each.
@Suite struct CacheInvariantTests {
    @Test(arguments: [
        (countLimit: 1, byteBudget: nil), (countLimit: 7, byteBudget: nil), (countLimit: 100, byteBudget: nil),
        (countLimit: nil, byteBudget: 50), (countLimit: 20, byteBudget: 200), (countLimit: 0, byteBudget: nil),
    ] as [(countLimit: Int?, byteBudget: Int?)])
    func randomOperationsKeepTheInvariants(countLimit: Int?, byteBudget: Int?) {
        let clock = ManualClock()
        let log = DisposeLog<Int, Int>()
        var configuration = CacheConfiguration<Int, Int>(countLimit: countLimit, byteBudget: byteBudget)
        configuration.size = { _, value in value % 17 }
        configuration.largestEntrySize = 30
        configuration.onDispose = log.callback
        configuration.updateAgeOnGet = true
        let cache = Cache(configuration: configuration, clock: clock)
        var random = SplitMix64(state: 7)
        // What the cache may hold: the last value set for each key, unless it left.
        var model: [Int: Int] = [:]
        for step in 0..<5_000 {
            let key = Int.random(in: 0..<150, using: &random)
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<40:
                if let value = cache.get(key) { #expect(model[key] == value) }
            case 40..<75:
                let value = Int.random(in: 0..<1_000, using: &random)
                let ttl: Duration? = Bool.random(using: &random) ? .seconds(Int.random(in: 1...20, using: &random)) : nil
                cache.set(key, value, timeToLive: ttl)
                model[key] = value
            case 75..<82:
                if let value = cache.remove(key) { #expect(model[key] == value) }
            case 82..<85:
                cache.removeAll { $0 % 10 == key % 10 }
            case 85..<90:
                clock.advance(by: .seconds(1))
            case 90..<93:
                cache.purgeExpired()
            case 93..<95:
                cache.shrink(toBytes: Int.random(in: 0..<100, using: &random))
            default:
                if let value = cache.peek(key) { #expect(model[key] == value) }
            }
            let problems = cache.invariantViolations()
            #expect(problems.isEmpty, "step \(step): \(problems.prefix(5))")
            if !problems.isEmpty { return }
            let stats = cache.stats
            if let countLimit { #expect(stats.count <= countLimit) }
            if let byteBudget { #expect(stats.bytes <= byteBudget) }
        }
        let stats = cache.stats
        let removals = stats.evictions + stats.expirations + stats.deletions + stats.replacements
        #expect(log.events.count == removals)
    }

    @Test func theSketchCountsSaturatesAndAges() {
        var sketch = FrequencySketch(capacity: 16)
        #expect(sketch.frequency(42) == 0)
        for _ in 0..<3 { sketch.increment(42) }
        #expect(sketch.frequency(42) == 3)
        for _ in 0..<20 { sketch.increment(42) }
        #expect(sketch.frequency(42) == 15)
        // Width 64, sample 160: enough other increments halve every counter.
        for other in 0..<200 { sketch.increment(1_000 + other) }
        #expect(sketch.frequency(42) <= 8)
        #expect(sketch.frequency(42) >= 7)
    }
}
