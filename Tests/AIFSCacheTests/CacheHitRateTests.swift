import AIFSTestSupport
import AIFSCache
import Testing

/// W-TinyLFU against plain LRU on a skewed workload, with and without scans of cold keys.
@Suite struct CacheHitRateTests {
    static let keyCount = 10_000
    static let capacity = 500

    /// 200,000 draws from Zipf(0.9) over 10,000 keys, the same every run.
    static func zipfTrace(length: Int = 200_000, seed: UInt64 = 42) -> [Int] {
        let zipf = ZipfGenerator(count: keyCount, exponent: 0.9)
        var random = SplitMix64(state: seed)
        return (0..<length).map { _ in zipf.next(using: &random) }
    }

    /// The Zipf trace cut into bursts of 2,000, each followed by a scan of 1,000 keys
    /// never seen before (a `grep -r` over a cold tree), twice the cache's size.
    static func scanMixedTrace() -> [Int] {
        let zipf = zipfTrace()
        var trace: [Int] = []
        var nextCold = keyCount
        for start in stride(from: 0, to: zipf.count, by: 2_000) {
            trace += zipf[start..<min(start + 2_000, zipf.count)]
            trace += nextCold..<(nextCold + 1_000)
            nextCold += 1_000
        }
        return trace
    }

    static func hitRates(_ trace: [Int]) -> (ours: Double, lru: Double) {
        let cache = Cache<Int, Int>(countLimit: capacity)
        var lru = ReferenceLRU(capacity: capacity)
        var lruHits = 0
        for key in trace {
            if cache.get(key) == nil { cache.set(key, key) }
            if lru.access(key) { lruHits += 1 }
        }
        #expect(cache.stats.hits + cache.stats.misses == trace.count)
        #expect(cache.stats.count == capacity)
        return (cache.stats.hitRate, Double(lruHits) / Double(trace.count))
    }

    static func percent(_ rate: Double) -> String {
        let tenths = Int((rate * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }

    @Test func pureZipfIsNoWorseThanLRU() {
        let (ours, lru) = Self.hitRates(Self.zipfTrace())
        let report = "Zipf(0.9), 10,000 keys, 500 entries: W-TinyLFU \(Self.percent(ours)), LRU \(Self.percent(lru))"
        print(report)
        #expect(ours >= lru - 0.01, "\(report)")
    }

    @Test func scansDoNotFlushTheHotEntries() {
        let (ours, lru) = Self.hitRates(Self.scanMixedTrace())
        let report = "Zipf(0.9) + scans, 500 entries: W-TinyLFU \(Self.percent(ours)), LRU \(Self.percent(lru))"
        print(report)
        #expect(ours >= lru + 0.05, "\(report)")
    }
}
