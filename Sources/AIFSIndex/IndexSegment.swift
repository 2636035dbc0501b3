/// An immutable trigram index over numbered files: for each trigram, the sorted numbers
/// of the files that hold it.
///
/// Keys are sorted and found by binary search; each key's list is a slice of one byte
/// array (``PostingList``'s encoding), so the whole index is three arrays.
///
/// ## Threading
/// Immutable; any thread.
final class IndexSegment: Sendable {
    /// The trigrams present, ascending.
    let keys: [UInt32]
    /// Where each key's list starts in ``postings``; one more entry than ``keys``, the
    /// last being `postings.count`.
    let starts: [UInt32]
    /// Every list, one after another.
    let postings: [UInt8]

    init(keys: [UInt32], starts: [UInt32], postings: [UInt8]) {
        self.keys = keys
        self.starts = starts
        self.postings = postings
    }

    static let empty = IndexSegment(keys: [], starts: [0], postings: [])

    /// Bytes held, for the memory budget and statistics.
    var memoryBytes: Int { keys.count * 4 + starts.count * 4 + postings.count }

    /// Whether the arrays are consistent (after loading from disk).
    var isWellFormed: Bool {
        guard starts.count == keys.count + 1, starts.first == 0, Int(starts.last ?? 1) == postings.count else { return false }
        for index in keys.indices.dropFirst() where keys[index - 1] >= keys[index] { return false }
        for index in starts.indices.dropFirst() where starts[index - 1] > starts[index] { return false }
        return true
    }

    private func position(of key: UInt32) -> Int? {
        var low = 0, high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if keys[middle] < key { low = middle + 1 } else { high = middle }
        }
        return low < keys.count && keys[low] == key ? low : nil
    }

    /// The encoded size of `key`'s list (0 when absent): a cheap estimate of its length,
    /// to intersect the shortest lists first.
    func listBytes(_ key: UInt32) -> Int {
        guard let index = position(of: key) else { return 0 }
        return Int(starts[index + 1] - starts[index])
    }

    /// The files holding `key`, ascending; nil when the list is corrupt.
    func files(with key: UInt32) -> [UInt32]? {
        guard let index = position(of: key) else { return [] }
        var numbers: [UInt32] = []
        let ok = postings.withUnsafeBufferPointer { buffer in
            PostingList.decode(UnsafeBufferPointer(rebasing: buffer[Int(starts[index])..<Int(starts[index + 1])]), into: &numbers)
        }
        return ok ? numbers : nil
    }
}

/// The lists one builder thread made for a contiguous range of file numbers, to be
/// joined with the other ranges' in order.
struct SegmentShard {
    struct List {
        var key: UInt32
        var first: UInt32
        var last: UInt32
        /// The deltas after the first number, in ``SegmentShard/bytes``.
        var rest: Range<Int>
    }

    var lists: [List] = []
    var bytes: [UInt8] = []

    /// Joins shards of ascending, disjoint file ranges into one segment.
    static func join(_ shards: [SegmentShard]) -> IndexSegment {
        var keys: [UInt32] = []
        var starts: [UInt32] = [0]
        var postings: [UInt8] = []
        postings.reserveCapacity(shards.reduce(0) { $0 + $1.bytes.count + $1.lists.count })
        var cursors = [Int](repeating: 0, count: shards.count)
        while true {
            var next: UInt32 = .max
            var any = false
            for (shard, cursor) in zip(shards, cursors) where cursor < shard.lists.count {
                next = min(next, shard.lists[cursor].key)
                any = true
            }
            guard any else { break }
            var previous: UInt32?
            for index in shards.indices where cursors[index] < shards[index].lists.count && shards[index].lists[cursors[index]].key == next {
                let list = shards[index].lists[cursors[index]]
                PostingList.appendVarint(previous.map { list.first - $0 } ?? list.first, to: &postings)
                postings.append(contentsOf: shards[index].bytes[list.rest])
                previous = list.last
                cursors[index] += 1
            }
            keys.append(next)
            starts.append(UInt32(truncatingIfNeeded: postings.count))
        }
        return IndexSegment(keys: keys, starts: starts, postings: postings)
    }
}
