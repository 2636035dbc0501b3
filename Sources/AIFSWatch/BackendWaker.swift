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

extension Duration {
    /// The longest wait or interval the watcher uses: longer ones are cut to it, so
    /// adding them to an instant or turning them into milliseconds cannot overflow.
    static let watchLimit = Duration.seconds(86_400)

    /// This duration cut to 0...``watchLimit``.
    var clampedForWatching: Duration { min(max(self, .zero), .watchLimit) }

    /// Whole milliseconds, rounded up, for a system call's timeout; 0 for a negative
    /// duration, at most a day.
    var timeoutMilliseconds: Int {
        let clamped = clampedForWatching
        if clamped == .zero { return 0 }
        let (seconds, attoseconds) = clamped.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000) + 1
    }
}
#endif
