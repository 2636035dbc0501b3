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
        let shardCount = max(1, min(256, files.count / 32))
        let shardSize = (files.count + shardCount - 1) / max(1, shardCount)
        let results = Mutex<[Int: (SegmentShard, [BuildOutcome])]>([:])
        let next = Atomic<Int>(0)
        let stopped = Atomic<Bool>(false)
        let workers = min(threads > 0 ? threads : DedicatedThreads.processorCount, shardCount)
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
    private let heads: UnsafeMutablePointer<UInt32>

    init(maximumFileSize: Int64) {
        reader = FileTrigramReader(maximumFileSize: maximumFileSize)
        heads = calloc(Trigrams.keySpace, MemoryLayout<UInt32>.stride)!.bindMemory(to: UInt32.self, capacity: Trigrams.keySpace)
    }

    deinit { free(heads) }

    func build(_ files: [[UInt8]], range: Range<Int>, first: UInt32, shouldStop: () -> Bool) -> (SegmentShard, [BuildOutcome])? {
        var lists: [[UInt32]] = []
        var used: [UInt32] = []
        var outcomes: [BuildOutcome] = []
        outcomes.reserveCapacity(range.count)
        for index in range {
            if shouldStop() { return nil }
            let number = first + UInt32(index)
            let outcome = reader.read(files[index])
            outcomes.append(outcome)
            if case .indexed = outcome {
                for key in collector.keys {
                    let head = heads[Int(key)]
                    if head == 0 {
                        lists.append([number])
                        heads[Int(key)] = UInt32(lists.count)
                        used.append(key)
                    } else {
                        lists[Int(head) - 1].append(number)
                    }
                }
            }
            collector.reset()
        }
        used.sort()
        var shard = SegmentShard()
        shard.lists.reserveCapacity(used.count)
        for key in used {
            let list = lists[Int(heads[Int(key)]) - 1]
            heads[Int(key)] = 0
            let start = shard.bytes.count
            for position in list.indices.dropFirst() {
                PostingList.appendVarint(list[position] - list[position - 1], to: &shard.bytes)
            }
            shard.lists.append(SegmentShard.List(key: key, first: list[0], last: list[list.count - 1], rest: start..<shard.bytes.count))
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
