import AIFSCore

/// The reads ripgrep 14 makes of a file it does not memory-map, replayed over the
/// bytes aifs reads, so that binary detection cuts a file where ripgrep does.
///
/// ripgrep reads into a 64 KiB buffer, checks each read for a NUL byte, then searches
/// the complete lines read so far; the partial last line moves to the front and the
/// next read fills the rest of the buffer (which doubles when one line fills it). On
/// finding a NUL it searches nothing more of that read, so the lines it reports are the
/// ones that ended in earlier reads. Its first read of a file returns 3 bytes (the
/// byte-order-mark sniffing of `encoding_rs_io` hands over the bytes it peeked), unless
/// a BOM was stripped.
///
/// aifs reads 1 MiB at a time; this model says how far ripgrep would have searched:
/// ``searchedEnd``, the start of the first line that did not end within a complete
/// read.
///
/// ## Known problems
/// With context (`-A`, `-B`, `-C`), ripgrep keeps the context lines at the front of its
/// buffer, so its reads are shorter and its cut can fall a few lines earlier than this
/// model's.
struct RipgrepReadWindows {
    /// ripgrep 14's `DEFAULT_BUFFER_CAPACITY`.
    static let ripgrepCapacity: Int64 = 64 * 1024

    /// Everything before this offset was searched by ripgrep; it is a line start.
    private(set) var searchedEnd: Int64 = 0
    /// The bytes seen so far end here.
    private var fed: Int64 = 0
    /// The current read ends here.
    private var readEnd: Int64
    private var capacity: Int64
    /// The last line terminator seen in the current read.
    private var lastTerminator: Int64?

    /// - Parameter firstReadLength: 3 for a file read from its start, the capacity when
    ///   a BOM was stripped.
    init(capacity: Int64 = RipgrepReadWindows.ripgrepCapacity, firstReadLength: Int64 = 3) {
        self.capacity = capacity
        readEnd = min(firstReadLength, capacity)
    }

    /// Replays the next bytes of the file: `buffer[range]`, which start at absolute
    /// offset `absoluteStart` (the end of the bytes fed before).
    mutating func feed(
        _ buffer: UnsafeBufferPointer<UInt8>, range: Range<Int>, absoluteStart: Int64, terminator: UInt8
    ) {
        precondition(absoluteStart == fed, "RipgrepReadWindows: bytes must be fed in order")
        var position = range.lowerBound
        while position < range.upperBound {
            let stop = min(range.upperBound, position + Int(readEnd - fed))
            if let last = ByteScan.lastIndex(of: terminator, in: buffer, range: position..<stop) {
                lastTerminator = absoluteStart + Int64(last - range.lowerBound)
            }
            fed += Int64(stop - position)
            position = stop
            if fed == readEnd { completeRead() }
        }
    }

    /// The current read is complete: its lines are searched, the next read fills the
    /// buffer's free space.
    private mutating func completeRead() {
        if let lastTerminator {
            searchedEnd = lastTerminator + 1
            self.lastTerminator = nil
        }
        while searchedEnd + capacity <= fed { capacity *= 2 }
        readEnd = searchedEnd + capacity
    }
}
