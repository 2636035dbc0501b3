#if os(Linux)
import SystemPackage

/// Wakes a backend's blocking wait from any thread, so the watch loop can stop at once
/// (no sleeping loop that delays shutdown).
///
/// It is a pipe: ``wake()`` writes a byte, which makes the read end readable (what
/// ``PollingBackend`` waits for with `poll(2)`) and makes the kernel queue `IN_MODIFY`
/// for the pipe on any inotify descriptor that watches it (what ``InotifyBackend``'s
/// blocking `read(2)` wakes for). Nobody reads the byte back: once woken, it stays
/// readable. It owns both ends and closes them when the last reference goes, so a late
/// ``wake()`` never writes to a reused descriptor.
///
/// ## Threading
/// ``wake()`` from any thread, any number of times; the backend that created it waits on
/// its descriptor from the loop thread.
final class BackendWaker: Sendable {
    /// The read end: readable once woken.
    let fd: CInt
    private let writeEnd: CInt

    /// Opens the pipe (both ends non-blocking and close-on-exec).
    init() throws(Errno) { (fd, writeEnd) = try Syscall.makePipe() }

    deinit {
        Syscall.close(writeEnd)
        Syscall.close(fd)
    }

    /// Makes the backend's current or next `wait` return ``BackendWake/stopRequested``.
    func wake() { Syscall.signal(pipe: writeEnd) }
}
#endif
