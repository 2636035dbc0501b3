import AIFSWork
import Benchmark

/// The worker pool on its own: what a task costs to submit, run and await, with and
/// without work in it. No file I/O, so the figures are the pool's overhead.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        maxDuration: .seconds(5))

    // 4 KiB of deterministic bytes: the size of a small source file.
    let block: [UInt8] = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }

    /// FNV-1a over the block: a stand-in for hashing one small file.
    @Sendable func fnv(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    for workers in [1, 2] {
        Benchmark("WorkerPool, \(workers) worker(s): 1,000 empty tasks submitted, then awaited") { benchmark in
            let pool = WorkerPool(workers: workers, queueCapacity: 64)
            for _ in benchmark.scaledIterations {
                var tickets: [WorkTicket<Int>] = []
                tickets.reserveCapacity(1000)
                for index in 0..<1000 { tickets.append(try await pool.submit { _ in index }) }
                var sum = 0
                for ticket in tickets { sum &+= try await ticket.value() }
                blackHole(sum)
            }
            pool.shutdown()
        }
        Benchmark("WorkerPool, \(workers) worker(s): 1,000 tasks hashing 4 KiB each") { benchmark in
            let pool = WorkerPool(workers: workers, queueCapacity: 64)
            for _ in benchmark.scaledIterations {
                var tickets: [WorkTicket<UInt64>] = []
                tickets.reserveCapacity(1000)
                for _ in 0..<1000 { tickets.append(try await pool.submit { _ in fnv(block) }) }
                var combined: UInt64 = 0
                for ticket in tickets { combined ^= try await ticket.value() }
                blackHole(combined)
            }
            pool.shutdown()
        }
    }
}
