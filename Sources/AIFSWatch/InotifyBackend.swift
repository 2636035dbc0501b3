#if os(Linux)
import CAIFSShims
public import SystemPackage

/// The Linux backend: one inotify descriptor, watched with epoll together with an
/// eventfd that wakes the loop for shutdown.
///
/// ## Threading
/// Created on any thread, then owned by the watch loop's thread, which alone calls its
/// methods (see ``FileWatcherBackend``). Other threads use ``waker`` only.
public final class InotifyBackend: FileWatcherBackend {
    private let inotify: CInt
    private let epoll: CInt
    /// Wakes the loop for shutdown.
    public let waker: BackendWaker
    private let addWatchFailure: (@Sendable (String) -> Errno?)?
    // Reused for every read: one page per read is far below the kernel's queue, and
    // 64 KiB holds at least 240 records with maximal names.
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)

    /// Opens the inotify descriptor, the eventfd and the epoll set.
    ///
    /// - Throws: The `Errno` of the call that failed (`EMFILE` at the inotify instance limit).
    public convenience init() throws(Errno) {
        try self.init(addWatchFailure: nil)
    }

    init(addWatchFailure: (@Sendable (String) -> Errno?)?) throws(Errno) {
        let inotify = try Syscall.inotifyInit()
        let waker: BackendWaker
        let epoll: CInt
        do {
            waker = try BackendWaker()
        } catch {
            Syscall.close(inotify)
            throw error
        }
        do {
            epoll = try Syscall.epollCreate()
        } catch {
            Syscall.close(inotify)
            throw error
        }
        do {
            try Syscall.epollAddReadable(epoll, inotify)
            try Syscall.epollAddReadable(epoll, waker.fd)
        } catch {
            Syscall.close(epoll)
            Syscall.close(inotify)
            throw error
        }
        self.inotify = inotify
        self.epoll = epoll
        self.waker = waker
        self.addWatchFailure = addWatchFailure
    }

    deinit {
        Syscall.close(epoll)
        Syscall.close(inotify)
        buffer.deallocate()
    }

    public func addWatch(directory: String) throws(Errno) -> WatchDescriptor {
        if let error = addWatchFailure?(directory) { throw error }
        return WatchDescriptor(
            rawValue: try Syscall.inotifyAddWatch(inotify, path: directory, mask: InotifyMask.directoryWatch.rawValue))
    }

    public func removeWatch(_ descriptor: WatchDescriptor) {
        try? Syscall.inotifyRemoveWatch(inotify, descriptor.rawValue)
    }

    public func wait(timeoutMilliseconds: Int?) throws(Errno) -> BackendWake {
        var ready: (CInt, CInt) = (-1, -1)
        let count = try withUnsafeMutableBytes(of: &ready) { raw throws(Errno) in
            let fds = raw.bindMemory(to: CInt.self)
            return try Syscall.epollWait(epoll, into: fds, timeoutMilliseconds: CInt(timeoutMilliseconds ?? -1))
        }
        if count == 0 { return .timedOut }
        if ready.0 == waker.fd || (count > 1 && ready.1 == waker.fd) { return .stopRequested }
        return .events
    }

    public func readEvents(into events: inout [RawEvent]) throws(Errno) {
        while true {
            let n = try Syscall.read(inotify, into: buffer)
            if n <= 0 { return }
            Self.parse(UnsafeRawBufferPointer(rebasing: buffer[..<n]), into: &events)
            // A read that left room for more records took everything queued: skip the
            // read that would only say EAGAIN. Whatever arrives now wakes epoll again.
            if n < buffer.count / 2 { return }
        }
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
}
#endif
