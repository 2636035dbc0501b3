#if os(Linux)
import AIFSCore
import SystemPackage

/// The backend for where inotify sees nothing or cannot be trusted (NFS, SMB, 9P,
/// FUSE) and for directories past the kernel's watch limit: every ``interval`` it
/// lists each watched directory, with the device, inode, size and modification time of
/// every entry (a ``DirectoryListing``), and hands the listings to the watch state.
///
/// It keeps no snapshot and writes no records: the state compares the listings with
/// its tree, the one view of what was reported, pairs renames by inode across the
/// whole poll and reports the differences (see `WatchState.handle(listings:)`).
///
/// ## Threading
/// Owned by the watch loop's thread, like every backend. Alone, it blocks in `poll(2)`
/// on its ``waker``'s pipe until the next poll is due, so ``BackendWaker/wake()``
/// stops it at once; inside the (internal) `RoutingBackend` the inotify backend's wait
/// is used and ``pollIfDue(now:into:)`` is called instead.
///
/// ## Known problems
/// - A change that keeps the size and lands within the file system's timestamp
///   granularity of the previous poll is not seen.
/// - Everything that happens between two polls is seen at once: a file created and
///   removed in between is not reported, and the order of events inside one poll is
///   by directory, not by time.
/// - Each poll costs one `lstat` per watched entry: use it for the trees that need it.
final class PollingBackend: FileWatcherBackend {
    /// How often the directories are listed.
    let interval: Duration
    /// Wakes a standalone wait for shutdown.
    let waker: BackendWaker
    /// The disk (or a test's double), for every listing and stat.
    let fileSystem: any WatchFileSystem
    private var poller = DirectoryPoller()
    private var due: ContinuousClock.Instant

    /// Creates a polling backend.
    ///
    /// - Parameters:
    ///   - interval: Time between polls; cut to 1 ms ... 1 day.
    ///   - waker: The waker to wait on; a new one when `nil`.
    ///   - fileSystem: What it looks at: the disk, or a test's double.
    /// - Throws: The `Errno` of `pipe2` (`EMFILE` when out of descriptors).
    init(
        interval: Duration, waker: BackendWaker? = nil, fileSystem: any WatchFileSystem = LiveWatchFileSystem()
    ) throws(Errno) {
        self.interval = max(interval.clampedForWatching, .milliseconds(1))
        self.fileSystem = fileSystem
        if let waker {
            self.waker = waker
        } else {
            self.waker = try BackendWaker()
        }
        self.due = .now + self.interval
    }

    var polledDirectoryCount: Int { poller.count }

    func addWatch(directory: String) throws(Errno) -> WatchDescriptor {
        try poller.addWatch(directory: directory, in: fileSystem)
    }

    func addFallbackWatch(directory: String) throws(Errno) -> WatchDescriptor {
        try addWatch(directory: directory)
    }

    func removeWatch(_ descriptor: WatchDescriptor) {
        poller.removeWatch(descriptor)
    }

    /// Blocks until the next poll is due, a stop is requested or `timeoutMilliseconds`
    /// pass; a poll that is due means ``BackendWake/events``.
    func wait(timeoutMilliseconds: Int?) throws(Errno) -> BackendWake {
        let untilDue = millisecondsUntilDue(now: .now)
        let timeout = min(untilDue, timeoutMilliseconds ?? Int.max)
        if try Syscall.waitReadable(waker.fd, timeoutMilliseconds: CInt(clamping: timeout)) { return .stopRequested }
        return timeout == untilDue ? .events : .timedOut
    }

    func read(into batch: inout BackendBatch) throws(Errno) {
        pollIfDue(now: .now, into: &batch.listings)
    }

    /// Milliseconds until the next poll (0 when it is due).
    func millisecondsUntilDue(now: ContinuousClock.Instant) -> Int {
        let remaining = now.duration(to: due)
        if remaining <= .zero { return 0 }
        return remaining.timeoutMilliseconds
    }

    /// Lists every watched directory when the poll is due.
    func pollIfDue(now: ContinuousClock.Instant, into listings: inout [DirectoryListing]) {
        guard now >= due else { return }
        poll(into: &listings)
        // From the end of this poll: a slow poll of a big tree never runs back to back.
        due = .now + interval
    }

    /// Lists every watched directory now.
    func poll(into listings: inout [DirectoryListing]) {
        poller.poll(in: fileSystem, into: &listings)
    }
}
#endif
