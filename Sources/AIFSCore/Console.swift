import SystemPackage

/// Standard output or standard error, written with whole `write(2)` calls.
///
/// Writers on several threads can share one console: each ``write(_:)`` is one locked
/// sequence of system calls, so the bytes of one call are never interleaved with
/// another's. Pair it with a per-thread ``BufferedOutput`` to write in large blocks.
///
/// ## Threading
/// Any thread may call any method.
public final class Console: Sendable {
    /// Standard output.
    public static let standardOutput = Console(fd: 1)
    /// Standard error.
    public static let standardError = Console(fd: 2)

    private let fd: CInt
    // Recursive, so a thread holding the console (see `hold()`) can still `write`.
    private let lock = ConditionLock(recursive: true)

    init(fd: CInt) { self.fd = fd }

    /// Whether the descriptor is a terminal.
    public var isTerminal: Bool { Syscall.isTerminal(fd: fd) }

    /// Writes all of `bytes`.
    ///
    /// - Throws: ``CoreError`` when the write fails, for instance `EPIPE` after the
    ///   reader went away (when `SIGPIPE` is ignored).
    public func write(_ bytes: UnsafeRawBufferPointer) throws(CoreError) {
        lock.lock()
        defer { lock.unlock() }
        do {
            try Syscall.writeAll(fd: fd, bytes)
        } catch {
            throw CoreError(errno: error, operation: "write to", path: fd == 1 ? "standard output" : "standard error")
        }
    }

    /// Keeps every other thread's writes out until ``release()``: for output that must
    /// stay together but is too large to buffer whole (one file's search results).
    ///
    /// - Precondition: Paired with one ``release()`` on the same thread.
    public func hold() { lock.lock() }

    /// Ends a ``hold()``.
    public func release() { lock.unlock() }

    /// Writes a string's UTF-8 bytes.
    public func write(_ string: String) throws(CoreError) {
        try write(Array(string.utf8))
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: [UInt8]) throws(CoreError) {
        try bytes.withBytes { buffer throws(CoreError) in try write(buffer) }
    }
}

/// A buffer in front of a ``Console`` that writes only in large blocks, and only whole
/// records.
///
/// Append the parts of a record, then call ``endRecord()``; the buffer is written out
/// only there (once it holds `capacity` bytes) or by ``flush()``. So records written by
/// several threads through their own buffers to one console never interleave.
///
/// ## Threading
/// Owned by one thread.
public final class BufferedOutput {
    private let console: Console
    private var buffer: [UInt8] = []
    private let capacity: Int
    /// The first write error, after which everything else is dropped.
    public private(set) var failure: CoreError?

    /// Creates a buffer that flushes once it holds `capacity` bytes.
    public init(_ console: Console, capacity: Int = 64 * 1024) {
        self.console = console
        self.capacity = capacity
        buffer.reserveCapacity(capacity + 4096)
    }

    /// Appends bytes to the current record.
    public func append(_ bytes: some Collection<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// Appends one byte to the current record.
    public func append(byte: UInt8) {
        buffer.append(byte)
    }

    /// Ends a record, writing the buffer out if it is full.
    public func endRecord() {
        if buffer.count >= capacity { flush() }
    }

    /// Writes out what is buffered.
    public func flush() {
        defer { buffer.removeAll(keepingCapacity: true) }
        guard failure == nil, !buffer.isEmpty else { return }
        do throws(CoreError) {
            try buffer.withBytes { bytes throws(CoreError) in try console.write(bytes) }
        } catch {
            failure = error
        }
    }

    deinit { flush() }
}
