#if os(Linux)
import SystemPackage

/// Wakes a backend's blocking wait from any thread, so the watch loop can stop at once
/// (no sleeping loop that delays shutdown).
///
/// It owns an eventfd and closes it when the last reference goes, so a late ``wake()``
/// never writes to a reused descriptor.
///
/// ## Threading
/// ``wake()`` from any thread, any number of times; the backend that created it waits on
/// its descriptor from the loop thread.
public final class BackendWaker: Sendable {
    let fd: CInt

    /// Opens the eventfd (non-blocking, close-on-exec).
    init() throws(Errno) { fd = try Syscall.eventFD() }

    deinit { Syscall.close(fd) }

    /// Makes the backend's current or next `wait` return ``BackendWake/stopRequested``.
    public func wake() { Syscall.signal(eventFD: fd) }
}
#endif
