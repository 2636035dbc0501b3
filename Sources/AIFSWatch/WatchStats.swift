import Synchronization

/// Figures about one watch, for `get_watcher_stats` and logs.
public struct WatchStats: Sendable, Hashable {
    /// Kernel watches in use (one per watched directory).
    public var watches: Int
    /// Events handed to the consumer so far (including `ready`).
    public var events: Int
    /// How many times the kernel queue overflowed and the tree was rescanned.
    public var rescans: Int
    /// Each root and the backend watching it (`"inotify"` or `"polling"`).
    public var backends: [String: String]
    /// Each root and why its backend was chosen (the file system type, or `usePolling`).
    public var reasons: [String: String]
    /// Directories watched by polling: those of polled roots, plus those that fell back
    /// to polling when the kernel's watch limit was reached.
    public var polledDirectories: Int
    /// Directories that fell back to polling because of the watch limit.
    public var fallbackDirectories: Int
    /// Roots whose watch ended because the file system they were on was unmounted and
    /// their path no longer exists (each was reported by an `error` event).
    public var lostRoots: Int = 0
}

/// Counters the watch loop updates and ``Watcher/stats`` reads.
///
/// ## Threading
/// The loop thread writes, any thread reads; each figure is atomic on its own, so a
/// snapshot may mix figures from slightly different moments.
final class WatchCounters: Sendable {
    let watches = Atomic<Int>(0)
    let events = Atomic<Int>(0)
    let rescans = Atomic<Int>(0)
    let polled = Atomic<Int>(0)
    let fallbacks = Atomic<Int>(0)
    let lostRoots = Atomic<Int>(0)
}
