import AIFSCore
import CAIFSShims
import Glibc
import Synchronization

/// What the builder made of one file.
enum BuildOutcome: Sendable, Equatable {
    /// Its trigrams are in the segment (or, for a big file, its windows' trigrams in the
    /// window segment); `identity` is the file as it was read.
    case indexed(FileIdentity)
    /// It is not in the segment and must be searched on every query: too big, UTF-16
    /// (the searcher transcodes it), or unreadable (the search reports the error).
    case unindexed(String)
    /// It changed while it was read: searched directly until it is read again.
    case changed
}

/// What a build made.
struct BuiltIndex: Sendable {
    /// The trigrams of every indexed file up to the window threshold, by file number.
    var segment: IndexSegment
    /// The trigrams of the windows of bigger files, by window number.
    var windows: IndexSegment
    /// For each window number, its file's number.
    var windowFiles: [UInt32]
    /// Each file's outcome, in the order given.
    var outcomes: [BuildOutcome]
}

/// Builds an ``IndexSegment`` from files on every core.
///
/// Files are numbered by the caller; the builder cuts the numbers into contiguous
/// shards, each built by one thread, and joins the shards in order.
///
/// A big file (over ``windowThreshold``) holds most trigrams somewhere, so as one
/// document it would be a candidate of nearly every query (the source tree's 9.7 MB
/// `sqlite3.c` was one of twenty candidates for `HdrHistogram`, and most of the time).
/// It is indexed as overlapping windows instead: a file is a candidate when one window
/// holds every trigram of a literal. Windows overlap by ``windowOverlap`` bytes, so any
/// string that long lies whole in one window; a query asks the windows for each
/// literal's first ``windowOverlap`` bytes, which every match holds too.
enum IndexBuilder {
    /// Files larger than this are not indexed (they are searched on every query).
    static let defaultMaximumFileSize: Int64 = 64 << 20
    /// Files larger than this are indexed in windows.
    static let windowThreshold: Int64 = 1 << 20
    /// The bytes of a window, overlap aside.
    static let windowSize = 16 << 10
    /// How far each window reaches into the next.
    static let windowOverlap = 256

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
    ) -> BuiltIndex? {
        let box = Inputs(files: files)
        let workers = min(threads > 0 ? threads : DedicatedThreads.processorCount, max(1, files.count))
        // Enough shards to balance the threads; small enough (2,000 files) that a shard's
        // pairs of trigram and file stay a few megabytes.
        let shardCount = max(1, min(files.count, max(workers * 4, files.count / 2_000)))
        let shardSize = (files.count + shardCount - 1) / max(1, shardCount)
        let results = Mutex<[Int: ShardResult]>([:])
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
        var windowKeys: [UInt32] = []
        var windowEnds: [Int] = []
        var windowFiles: [UInt32] = []
        outcomes.reserveCapacity(files.count)
        for shard in 0..<shardCount {
            guard let result = built[shard] else { continue }
            shards.append(result.shard)
            outcomes += result.outcomes
            for (file, windows) in result.bigFiles {
                for keys in windows {
                    windowKeys += keys
                    windowEnds.append(windowKeys.count)
                    windowFiles.append(file)
                }
            }
        }
        guard outcomes.count == files.count else { return nil }
        let total = shards.reduce(0) { $0 + $1.bytes.count + 5 * $1.lists.count }
        guard total < Int(UInt32.max) else { return nil }
        let windows = PostingCounter().shard(keys: windowKeys, ends: windowEnds, numbers: (0..<UInt32(windowFiles.count)).map { $0 })
        return BuiltIndex(
            segment: SegmentShard.join(shards), windows: SegmentShard.join([windows]), windowFiles: windowFiles, outcomes: outcomes)
    }

    /// The files, shared read-only by the builder threads.
    private final class Inputs: Sendable {
        let files: [[UInt8]]
        init(files: [[UInt8]]) { self.files = files }
    }
}

/// What one shard made.
private struct ShardResult: Sendable {
    var shard: SegmentShard
    var outcomes: [BuildOutcome]
    /// The big files of the shard, with each window's distinct trigrams.
    var bigFiles: [(UInt32, [[UInt32]])]
}

/// Turns documents' distinct trigrams into posting lists by a counting sort: a table
/// (zeroed lazily by the kernel: `calloc` of untouched pages) counts the documents of
/// each trigram, the counts become list starts, and one more pass drops each document
/// number into its lists, in document order. No per-list arrays, no comparisons of pairs.
final class PostingCounter {
    /// Per trigram: documents counted, then where its list goes (zero again after use).
    private let counts: UnsafeMutablePointer<UInt32>

    init() {
        counts = calloc(Trigrams.keySpace, MemoryLayout<UInt32>.stride)!.bindMemory(to: UInt32.self, capacity: Trigrams.keySpace)
    }

    deinit { free(counts) }

    /// The lists of documents `numbers` (ascending), whose distinct keys are
    /// `keys[ends[i - 1]..<ends[i]]`.
    func shard(keys: [UInt32], ends: [Int], numbers: [UInt32]) -> SegmentShard {
        var used: [UInt32] = []
        for key in keys {
            if counts[Int(key)] == 0 { used.append(key) }
            counts[Int(key)] += 1
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
            keys.withUnsafeBufferPointer { keys in
                var start = 0
                for (number, end) in zip(numbers, ends) {
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
        return shard
    }
}

/// One builder thread's scratch space: the file reader and the posting counter.
private final class ShardWorker {
    private let reader: FileTrigramReader
    private let counter = PostingCounter()

    init(maximumFileSize: Int64) {
        reader = FileTrigramReader(maximumFileSize: maximumFileSize)
    }

    /// Indexes the files of `range`: each file's distinct trigrams are kept one after
    /// another, then counted into lists.
    func build(_ files: [[UInt8]], range: Range<Int>, first: UInt32, shouldStop: () -> Bool) -> ShardResult? {
        var keysOfFiles: [UInt32] = []
        var fileEnds: [Int] = []
        var fileNumbers: [UInt32] = []
        var bigFiles: [(UInt32, [[UInt32]])] = []
        var outcomes: [BuildOutcome] = []
        outcomes.reserveCapacity(range.count)
        for index in range {
            if shouldStop() { return nil }
            let number = first + UInt32(index)
            let outcome = reader.read(files[index])
            outcomes.append(outcome)
            if case .indexed = outcome {
                if reader.windows.isEmpty {
                    keysOfFiles.append(contentsOf: reader.collector.keys)
                    fileEnds.append(keysOfFiles.count)
                    fileNumbers.append(number)
                } else {
                    bigFiles.append((number, reader.windows))
                }
            }
            reader.reset()
        }
        return ShardResult(shard: counter.shard(keys: keysOfFiles, ends: fileEnds, numbers: fileNumbers), outcomes: outcomes, bigFiles: bigFiles)
    }
}

/// Reads files into a ``TrigramCollector``, one at a time; a big file as windows.
///
/// ## Threading
/// One per thread.
final class FileTrigramReader {
    let collector = TrigramCollector()
    /// For a big file, each window's distinct trigrams (empty for other files).
    private(set) var windows: [[UInt32]] = []
    private let buffer: UnsafeMutableRawBufferPointer
    let maximumFileSize: Int64

    init(maximumFileSize: Int64) {
        self.maximumFileSize = maximumFileSize
        buffer = .allocate(byteCount: IndexBuilder.windowSize + IndexBuilder.windowOverlap, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Forgets the last file.
    func reset() {
        collector.reset()
        windows.removeAll()
    }

    /// Every trigram of the last file read, windows included.
    var allKeys: [UInt32] {
        windows.isEmpty ? collector.keys : Array(Set(windows.joined()))
    }

    /// Reads one file into the collector (or, when big, into ``windows``), up to its
    /// first NUL.
    func read(_ path: [UInt8]) -> BuildOutcome {
        let file: ReadableFile
        do { file = try ReadableFile(pathBytes: path) } catch { return .unindexed("cannot be read: \(error.message)") }
        guard let before = try? file.identity() else { return .unindexed("cannot be read") }
        guard before.kind == .regular else { return .unindexed("not a regular file") }
        guard before.size <= maximumFileSize else {
            return .unindexed("larger than the index's limit of \(maximumFileSize >> 20) MiB")
        }
        let windowed = before.size > IndexBuilder.windowThreshold
        var offset: Int64 = 0
        var carry: (value: UInt32, count: Int) = (0, 0)
        reading: while true {
            // A window reads its own bytes plus the overlap; a small file is read in
            // pieces of the same buffer, the trigrams carried across them.
            let want = windowed ? IndexBuilder.windowSize + IndexBuilder.windowOverlap : buffer.count
            var count = 0
            do {
                while count < want {
                    let piece = UnsafeMutableRawBufferPointer(rebasing: buffer[count..<want])
                    let got = try file.read(into: piece, atOffset: offset + Int64(count))
                    if got == 0 { break }
                    count += got
                }
            } catch {
                return .unindexed("cannot be read: \(error.message)")
            }
            if count == 0 { break }
            let bytes = UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count)
            if offset == 0, count >= 2, (bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF) {
                return .unindexed("UTF-16 (searched transcoded)")
            }
            if offset + Int64(count) > maximumFileSize { return .unindexed("larger than the index's limit of \(maximumFileSize >> 20) MiB") }
            var length = count
            var atNUL = false
            if let nul = memchr(bytes.baseAddress!, 0, count) {
                length = UnsafeRawPointer(nul) - UnsafeRawPointer(bytes.baseAddress!)
                atNUL = true
            }
            if windowed {
                var fresh: (value: UInt32, count: Int) = (0, 0)
                collector.add(UnsafeBufferPointer(rebasing: bytes[..<length]), carry: &fresh)
                windows.append(collector.keys)
                collector.reset()
                if atNUL || count < want { break reading }
                offset += Int64(IndexBuilder.windowSize)
            } else {
                collector.add(UnsafeBufferPointer(rebasing: bytes[..<length]), carry: &carry)
                if atNUL { break reading }
                offset += Int64(count)
                if count < want { break reading }
            }
        }
        guard let after = try? file.identity(),
              after.size == before.size, after.modificationTime == before.modificationTime,
              after.changeTime == before.changeTime
        else { return .changed }
        return .indexed(before)
    }
}
