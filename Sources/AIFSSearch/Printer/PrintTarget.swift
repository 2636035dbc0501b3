/// Where a printer's output goes: a byte sink that is told where whole records end.
///
/// A printer writes the parts of one output line (a path, separators, the line) and then
/// calls ``endRecord()``. A target that is shared in some way between worker threads
/// (``AIFSCore/BufferedOutput`` in front of one console) uses the record ends to write
/// out only whole lines, so the output of parallel workers never interleaves mid-line.
///
/// ## Threading
/// A target belongs to the one worker that owns the printer writing to it.
public protocol PrintTarget: AnyObject {
    /// Appends `bytes` to the current record. The bytes are valid only during the call.
    func write(_ bytes: UnsafeRawBufferPointer)
    /// Ends the current record: what was written since the last call is complete.
    func endRecord()
}

extension PrintTarget {
    /// Appends the bytes of an array to the current record.
    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    /// Appends the UTF-8 bytes of a string to the current record.
    public func write(_ string: String) {
        var string = string
        string.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    /// Appends one byte to the current record.
    public func write(byte: UInt8) {
        withUnsafeBytes(of: byte) { write($0) }
    }
}

/// A ``PrintTarget`` that keeps everything written to it in memory.
///
/// Tests read ``bytes`` to compare a printer's output with ripgrep's. A driver that runs
/// files in parallel can collect one file's output here and hand it to the console in
/// one piece, adding ripgrep's file separator between non-empty pieces itself (see
/// ``StandardPrinter/Configuration/fileSeparator``).
///
/// ## Threading
/// Owned by one thread.
public final class ByteCollector: PrintTarget {
    /// Everything written since creation or the last ``removeAll()``.
    public private(set) var bytes: [UInt8] = []
    /// The number of ``endRecord()`` calls since creation or the last ``removeAll()``.
    public private(set) var recordCount = 0
    /// The length of ``bytes`` at the last ``endRecord()``: the bytes after it belong to
    /// a record that is not finished yet.
    public private(set) var endOfLastRecord = 0

    /// Creates an empty collector.
    public init() {}

    /// Appends `bytes` to ``bytes``.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        self.bytes.append(contentsOf: bytes)
    }

    /// Counts the record; the bytes stay where they are.
    public func endRecord() {
        recordCount += 1
        endOfLastRecord = bytes.count
    }

    /// Forgets what was collected, keeping the storage for reuse.
    public func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        recordCount = 0
        endOfLastRecord = 0
    }
}
