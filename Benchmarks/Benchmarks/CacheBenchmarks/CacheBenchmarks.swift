import AIFS
import AIFSCache
import AIFSCore
import Benchmark
import Foundation

/// The cache's operations, the content cache's validated hit, and readFile on a hit and
/// a miss.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(3))

    let keys = 10_000
    let cache = Cache<Int, Int>(countLimit: keys * 2)
    for key in 0..<keys { cache.set(key, key) }

    Benchmark("Cache.get hit, 1 thread") { benchmark in
        var key = 0
        for _ in benchmark.scaledIterations {
            blackHole(cache.get(key))
            key = key == keys - 1 ? 0 : key + 1
        }
    }

    Benchmark("Cache.set replace, 1 thread") { benchmark in
        var key = 0
        for _ in benchmark.scaledIterations {
            cache.set(key, key)
            key = key == keys - 1 ? 0 : key + 1
        }
    }

    // Two threads sharing one cache: each iteration is one get on each thread.
    Benchmark("Cache.get hit, 2 threads") { benchmark in
        let iterations = benchmark.scaledIterations.count
        DedicatedThreads.run(count: 2, name: "bench") { index in
            var key = index * (keys / 2)
            for _ in 0..<iterations {
                blackHole(cache.get(key))
                key = key == keys - 1 ? 0 : key + 1
            }
        }
    }

    // Files for the content cache: written with an old modification time and read once
    // so the cache holds them (a file's contents are only kept once they have settled).
    let directory = NSTemporaryDirectory() + "aifs-cache-bench-\(getpid())"
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let path = directory + "/small.swift"
    let text = String(repeating: "let value = compute(42) // a line of a small source file\n", count: 80)
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    let contentCache = FileContentCache(wallClock: { FileIdentity.currentTime() + 10_000_000_000 })
    let cachedService = FileService.unrestricted(contentCache: contentCache)
    let plainService = FileService.unrestricted()
    _ = try? cachedService.readFile(path: path)

    Benchmark("FileContentCache hit (stat + lookup), 4.5 KB file", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? contentCache.contents(ofFileAt: path, identity: FileIdentity(path: path)))
        }
    }

    Benchmark("readFile whole, cached, 4.5 KB file", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? cachedService.readFile(path: path))
        }
    }

    Benchmark("readFile whole, uncached, 4.5 KB file", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? plainService.readFile(path: path))
        }
    }
}
