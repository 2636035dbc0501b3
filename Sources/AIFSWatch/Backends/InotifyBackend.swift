#if os(Linux)
import CAIFSShims
import SystemPackage

/// The Linux backend: one inotify descriptor, read with a blocking `read(2)`.
///
/// ## Waiting and stopping
/// With no timeout, ``wait(timeoutMilliseconds:)`` blocks in `read(2)` on the inotify
/// descriptor itself, as inotifywait does: one system call per wake-up, which is what
/// `aifs watch`'s latency is made of. To stop that read, the backend watches its
/// ``waker``'s pipe (through `/proc/self/fd/N`): ``BackendWaker/wake()`` writes to the
/// pipe, the kernel queues `IN_MODIFY` for it in that `write(2)`, and the read returns.
/// The stop is an inotify record, not a flag, so a stop that comes at any moment, even
/// just before the read, still wakes it. A wait with a timeout (timers pending, polled
/// directories) uses `poll(2)` on the inotify descriptor and the pipe instead, and so
/// does every wait when the pipe cannot be watched (no `/proc`, or a kernel that does
/// not report pipe writes: both are checked when the backend starts), and the one wait
/// after a queue overflow (while the kernel's queue is full, it drops records, the
/// stop's among them; the pipe stays readable).
///
/// ## Threading
/// Created on any thread, then owned by the watch loop's thread, which alone calls its
/// methods (see ``FileWatcherBackend``). Other threads use ``waker`` only.
final class InotifyBackend: FileWatcherBackend {
    private let inotify: CInt
    /// Wakes the loop for shutdown.
    let waker: BackendWaker
    /// The watch on ``waker``'s pipe, whose records mean "stop"; `nil` when the pipe
    /// could not be watched, and every wait polls the pipe instead.
    let wakerWatch: WatchDescriptor?
    /// A stop was seen: every later wait says so at once.
    private var stopSeen = false
    /// The last read had a queue overflow: the next wait polls the pipe too.
    private var overflowSeen = false
    /// Bytes read by the last wait, for ``readEvents(into:)`` to parse.
    private var unparsed = 0
    // Reused for every read: one page per read is far below the kernel's queue, and
    // 64 KiB holds at least 240 records with maximal names.
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)

    /// Opens the inotify descriptor and the waker's pipe, and watches the pipe.
    ///
    /// - Throws: The `Errno` of the call that failed (`EMFILE` at the inotify instance limit).
    ///
    /// - Parameter wakeByInotify: Whether to watch the waker's pipe so a wait without
    ///   timeout can block in `read(2)`; tests turn it off to run the `poll(2)` path alone.
    init(wakeByInotify: Bool = true) throws(Errno) {
        let inotify = try Syscall.inotifyInit()
        let waker: BackendWaker
        do {
            waker = try BackendWaker()
        } catch {
            Syscall.close(inotify)
            throw error
        }
        self.inotify = inotify
        self.waker = waker
        self.wakerWatch = wakeByInotify ? Self.watchPipe(of: waker, inotify: inotify) : nil
    }

    deinit {
        Syscall.close(inotify)
        buffer.deallocate()
    }

    /// Watches the waker's pipe and checks that a wake shows up as a record (the kernel
    /// queues it inside `write(2)`, so it is there at once); `nil` if either fails.
    private static func watchPipe(of waker: BackendWaker, inotify: CInt) -> WatchDescriptor? {
        guard let watch = try? Syscall.inotifyAddWatch(inotify, path: "/proc/self/fd/\(waker.fd)", mask: InotifyMask.modify.rawValue)
        else { return nil }
        waker.wake()
        // The test byte is read back: a readable pipe means "stop" to the poll(2) path.
        defer { Syscall.drain(waker.fd) }
        var record = (Int32(0), UInt32(0), UInt32(0), UInt32(0), UInt64(0), UInt64(0))
        let count = withUnsafeMutableBytes(of: &record) { raw in
            (try? Syscall.waitReadable(inotify, timeoutMilliseconds: 0)) == true ? (try? Syscall.read(inotify, into: raw)) ?? 0 : 0
        }
        guard count == 16, record.0 == watch, InotifyMask(rawValue: record.1).contains(.modify) else {
            try? Syscall.inotifyRemoveWatch(inotify, watch)
            return nil
        }
        return WatchDescriptor(rawValue: watch)
    }

    func addWatch(directory: String) throws(Errno) -> WatchDescriptor {
        return WatchDescriptor(
            rawValue: try Syscall.inotifyAddWatch(inotify, path: directory, mask: InotifyMask.directoryWatch.rawValue))
    }

    func removeWatch(_ descriptor: WatchDescriptor) {
        try? Syscall.inotifyRemoveWatch(inotify, descriptor.rawValue)
    }

    func wait(timeoutMilliseconds: Int?) throws(Errno) -> BackendWake {
        if stopSeen { return .stopRequested }
        if timeoutMilliseconds != nil || wakerWatch == nil || overflowSeen {
            let ready = try Syscall.waitReadable(inotify, waker.fd, timeoutMilliseconds: CInt(clamping: timeoutMilliseconds ?? -1))
            if ready.second {
                stopSeen = true
                return .stopRequested
            }
            if !ready.first { return .timedOut }
        }
        // Blocks until something is queued (a stop included), unless poll(2) said
        // something is: this thread is the descriptor's only reader.
        unparsed = try Syscall.read(inotify, into: buffer)
        let notes = Self.scan(UnsafeRawBufferPointer(rebasing: buffer[..<unparsed]), wakerWatch: wakerWatch)
        overflowSeen = notes.overflowed
        if notes.woken {
            // Like a readable pipe above: the events read with the stop are dropped.
            stopSeen = true
            unparsed = 0
            return .stopRequested
        }
        return .events
    }

    /// Parses what the last ``wait(timeoutMilliseconds:)`` read; no system call.
    func read(into batch: inout BackendBatch) throws(Errno) {
        try readEvents(into: &batch.records)
    }

    /// Appends every record ready now, without blocking.
    func readEvents(into events: inout [RawEvent]) throws(Errno) {
        guard unparsed > 0 else { return }
        Self.parse(UnsafeRawBufferPointer(rebasing: buffer[..<unparsed]), into: &events)
        unparsed = 0
    }

    /// Parses `struct inotify_event` records: `int wd; uint32_t mask, cookie, len;
    /// char name[len]` (NUL-padded).
    static func parse(_ bytes: UnsafeRawBufferPointer, into events: inout [RawEvent]) {
        var offset = 0
        while offset + 16 <= bytes.count {
            let wd = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
            let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let cookie = bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            let nameStart = offset + 16
            guard nameStart + length <= bytes.count else { return }
            var nameEnd = nameStart
            while nameEnd < nameStart + length && bytes[nameEnd] != 0 { nameEnd += 1 }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[nameStart..<nameEnd]), as: UTF8.self)
            events.append(RawEvent(descriptor: WatchDescriptor(rawValue: wd), mask: InotifyMask(rawValue: mask), cookie: cookie, name: name))
            offset = nameStart + length
        }
    }

    /// Looks through records (as ``parse(_:into:)`` reads them) for one of `wakerWatch`
    /// (a stop) and for a queue overflow, without decoding names.
    static func scan(_ bytes: UnsafeRawBufferPointer, wakerWatch: WatchDescriptor?) -> (woken: Bool, overflowed: Bool) {
        var notes = (woken: false, overflowed: false)
        var offset = 0
        while offset + 16 <= bytes.count {
            let wd = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
            let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            if wd == wakerWatch?.rawValue { notes.woken = true }
            if mask & InotifyMask.queueOverflow.rawValue != 0 { notes.overflowed = true }
            offset += 16 + Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
        }
        return notes
    }
}
#endif
