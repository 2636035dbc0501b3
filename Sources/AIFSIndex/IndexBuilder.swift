import AIFSCore
import CAIFSShims
import Glibc
import Synchronization

/// What the builder made of one file.
enum BuildOutcome: Sendable, Equatable {
    /// Its trigrams are in the segment; `identity` is the file as it was read.
    case indexed(FileIdentity)
    /// It is not in the segment and must be searched on every query: too big, UTF-16
    /// (the searcher transcodes it), or unreadable (the search reports the error).
    case unindexed(String)
    /// It changed while it was read: searched directly until it is read again.
    case changed
}

/// Builds an ``IndexSegment`` from files on every core.
///
/// Files are numbered by the caller; the builder cuts the numbers into contiguous
/// shards, each built by one thread, and joins the shards in order.
enum IndexBuilder {
    /// Files larger than this are not indexed (they are searched on every query).
    static let defaultMaximumFileSize: Int64 = 64 << 20

    /// Reads and indexes `files` (numbered `first`, `first + 1`, …), up to each file's first
    /// NUL byte: a search of a file found in a directory stops there (ripgrep's binary
    /// rule), so what follows can never match.
    ///
    /// - Parameters:
    ///   - threads: Builder threads (0: one per core).
    ///   - shouldStop: Polled between files; when it returns true the build ends early
    ///     and returns nil.
    static func build(
        _ files: [[UInt8]], first: UInt32 = 0, threads: Int = 0, maximumFileSize: Int64 = defaultMaximumFileSize,
        shouldStop: @escaping @Sendable () -> Bool = { false }
    ) -> (IndexSegment, [BuildOutcome])? {
        let box = Inputs(files: files)
        let workers = min(threads > 0 ? threads : DedicatedThreads.processorCount, max(1, files.count))
        // Enough shards to balance the threads; small enough (2,000 files) that a shard's
        // pairs of trigram and file stay a few megabytes.
        let shardCount = max(1, min(files.count, max(workers * 4, files.count / 2_000)))
        let shardSize = (files.count + shardCount - 1) / max(1, shardCount)
        let results = Mutex<[Int: (SegmentShard, [BuildOutcome])]>([:])
        let next = Atomic<Int>(0)
        let stopped = Atomic<Bool>(false)
        DedicatedThreads.run(count: workers, name: "aifs-index") { _ in
            let worker = ShardWorker(maximumFileSize: maximumFileSize)
            while !stopped.load(ordering: .relaxed) {
                let shard = next.add(1, ordering: .relaxed).oldValue
                guard shard < shardCount else { break }
                let lower = min(box.files.count, shard * shardSize)
                let range = lower..<min(box.files.count, lower + shardSize)
                guard let built = worker.build(box.files, range: range, first: first, shouldStop: shouldStop) else {
                    stopped.store(true, ordering: .relaxed)
                    break
                }
                results.withLock { $0[shard] = built }
            }
        }
        if stopped.load(ordering: .relaxed) { return nil }
        let built = results.withLock { $0 }
        var shards: [SegmentShard] = []
        var outcomes: [BuildOutcome] = []
        outcomes.reserveCapacity(files.count)
        for shard in 0..<shardCount {
            guard let (segment, shardOutcomes) = built[shard] else { continue }
            shards.append(segment)
            outcomes += shardOutcomes
        }
        guard outcomes.count == files.count else { return nil }
        let total = shards.reduce(0) { $0 + $1.bytes.count + 5 * $1.lists.count }
        guard total < Int(UInt32.max) else { return nil }
        return (SegmentShard.join(shards), outcomes)
    }

    /// The files, shared read-only by the builder threads.
    private final class Inputs: Sendable {
        let files: [[UInt8]]
        init(files: [[UInt8]]) { self.files = files }
    }
}

/// One builder thread's scratch space: the trigram bitmap, a table from trigram to the
/// shard's list for it (zeroed lazily by the kernel: `calloc` of untouched pages), and
/// a read buffer.
private final class ShardWorker {
    private let reader: FileTrigramReader
    private var collector: TrigramCollector { reader.collector }
    /// Per trigram: files counted, then where its list goes (zero again after each shard).
    private let counts: UnsafeMutablePointer<UInt32>

    init(maximumFileSize: Int64) {
        reader = FileTrigramReader(maximumFileSize: maximumFileSize)
        counts = calloc(Trigrams.keySpace, MemoryLayout<UInt32>.stride)!.bindMemory(to: UInt32.self, capacity: Trigrams.keySpace)
    }

    deinit { free(counts) }

    /// Indexes the files of `range`: each file's distinct trigrams are kept one after
    /// another while a table counts the files of each trigram; the counts become list
    /// starts, and one more pass drops each file number into its lists, in file order
    /// (a counting sort: no per-list arrays, no comparisons of pairs).
    func build(_ files: [[UInt8]], range: Range<Int>, first: UInt32, shouldStop: () -> Bool) -> (SegmentShard, [BuildOutcome])? {
        var keysOfFiles: [UInt32] = []
        var fileEnds: [Int] = []
        var fileNumbers: [UInt32] = []
        var used: [UInt32] = []
        var outcomes: [BuildOutcome] = []
        outcomes.reserveCapacity(range.count)
        for index in range {
            if shouldStop() { return nil }
            let outcome = reader.read(files[index])
            outcomes.append(outcome)
            if case .indexed = outcome {
                let keys = collector.keys
                keysOfFiles.append(contentsOf: keys)
                fileEnds.append(keysOfFiles.count)
                fileNumbers.append(first + UInt32(index))
                for key in keys {
                    if counts[Int(key)] == 0 { used.append(key) }
                    counts[Int(key)] += 1
                }
            }
            collector.reset()
        }
        used.sort()
        // Counts to starts; after the scatter below, each entry is its list's end.
        var starts: [Int] = []
        starts.reserveCapacity(used.count)
        var total = 0
        for key in used {
            let count = Int(counts[Int(key)])
            counts[Int(key)] = UInt32(total)
            starts.append(total)
            total += count
        }
        var lists = [UInt32](repeating: 0, count: total)
        lists.withUnsafeMutableBufferPointer { lists in
            keysOfFiles.withUnsafeBufferPointer { keys in
                var start = 0
                for (number, end) in zip(fileNumbers, fileEnds) {
                    for position in start..<end {
                        let key = Int(keys[position])
                        lists[Int(counts[key])] = number
                        counts[key] += 1
                    }
                    start = end
                }
            }
        }
        var shard = SegmentShard()
        shard.lists.reserveCapacity(used.count)
        shard.bytes.reserveCapacity(total + total / 4)
        for (position, key) in used.enumerated() {
            let start = starts[position], end = Int(counts[Int(key)])
            counts[Int(key)] = 0
            let byteStart = shard.bytes.count
            var previous = lists[start]
            for index in (start + 1)..<max(start + 1, end) {
                PostingList.appendVarint(lists[index] - previous, to: &shard.bytes)
                previous = lists[index]
            }
            shard.lists.append(SegmentShard.List(key: key, first: lists[start], last: previous, rest: byteStart..<shard.bytes.count))
        }
        return (shard, outcomes)
    }
}

/// Reads files into a ``TrigramCollector``, one at a time.
///
/// ## Threading
/// One per thread.
final class FileTrigramReader {
    let collector = TrigramCollector()
    private let buffer: UnsafeMutableRawBufferPointer
    let maximumFileSize: Int64

    init(maximumFileSize: Int64) {
        self.maximumFileSize = maximumFileSize
        buffer = .allocate(byteCount: 256 << 10, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Reads one file into the collector, up to its first NUL.
    func read(_ path: [UInt8]) -> BuildOutcome {
        let file: ReadableFile
        do { file = try ReadableFile(pathBytes: path) } catch { return .unindexed("cannot be read: \(error.message)") }
        guard let before = try? file.identity() else { return .unindexed("cannot be read") }
        guard before.kind == .regular else { return .unindexed("not a regular file") }
        guard before.size <= maximumFileSize else {
            return .unindexed("larger than the index's limit of \(maximumFileSize >> 20) MiB")
        }
        var carry: (value: UInt32, count: Int) = (0, 0)
        var total = 0
        var firstRead = true
        reading: while true {
            let count: Int
            do { count = try file.read(into: buffer) } catch { return .unindexed("cannot be read: \(error.message)") }
            if count == 0 { break }
            let bytes = UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count)
            if firstRead, count >= 2, (bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF) {
                return .unindexed("UTF-16 (searched transcoded)")
            }
            firstRead = false
            total += count
            if Int64(total) > maximumFileSize { return .unindexed("larger than the index's limit of \(maximumFileSize >> 20) MiB") }
            if let nul = memchr(bytes.baseAddress!, 0, count) {
                let length = UnsafeRawPointer(nul) - UnsafeRawPointer(bytes.baseAddress!)
                collector.add(UnsafeBufferPointer(rebasing: bytes[..<length]), carry: &carry)
                break reading
            }
            collector.add(bytes, carry: &carry)
        }
        guard let after = try? file.identity(),
              after.size == before.size, after.modificationTime == before.modificationTime,
              after.changeTime == before.changeTime
        else { return .changed }
        return .indexed(before)
    }
}
