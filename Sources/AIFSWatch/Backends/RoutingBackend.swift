#if os(Linux)
import SystemPackage

/// inotify for most of the tree, polling for the roots that need it and for the
/// directories past the kernel's watch limit: one backend for the watch loop, which
/// does not need to know which one a directory uses.
///
/// A directory goes to polling when it is one of ``pollingRoots`` or inside one, or
/// when ``addFallbackWatch(directory:)`` is called for it. Descriptors tell the two
/// apart: the kernel's are positive, polling's are below -1.
///
/// ## Threading
/// Owned by the watch loop's thread. It waits in the inotify backend's wait, with the
/// timeout shortened to the next poll (so in `poll(2)`, never in a blocking read, while
/// anything is polled), and the inotify backend's ``InotifyBackend/waker`` stops it.
final class RoutingBackend: FileWatcherBackend {
    private let inotify: InotifyBackend
    private let polling: PollingBackend
    /// Roots (directories) watched by polling, with everything under them.
    let pollingRoots: [String]

    /// Combines an inotify backend and a polling backend.
    init(inotify: InotifyBackend, polling: PollingBackend, pollingRoots: [String]) {
        self.inotify = inotify
        self.polling = polling
        self.pollingRoots = pollingRoots
    }

    /// Wakes the loop for shutdown.
    var waker: BackendWaker { inotify.waker }

    var polledDirectoryCount: Int { polling.polledDirectoryCount }

    private func polls(_ directory: String) -> Bool {
        pollingRoots.contains { directory == $0 || directory.hasPrefix($0 + "/") }
    }

    func addWatch(directory: String) throws(Errno) -> WatchDescriptor {
        polls(directory) ? try polling.addWatch(directory: directory) : try inotify.addWatch(directory: directory)
    }

    func addFallbackWatch(directory: String) throws(Errno) -> WatchDescriptor {
        try polling.addWatch(directory: directory)
    }

    func removeWatch(_ descriptor: WatchDescriptor) {
        if descriptor.isPolled { polling.removeWatch(descriptor) } else { inotify.removeWatch(descriptor) }
    }

    func wait(timeoutMilliseconds: Int?) throws(Errno) -> BackendWake {
        guard polling.polledDirectoryCount > 0 else {
            // Nothing polled: no timer at all, so an idle watch costs no CPU.
            return try inotify.wait(timeoutMilliseconds: timeoutMilliseconds)
        }
        let untilPoll = polling.millisecondsUntilDue(now: .now)
        let timeout = min(untilPoll, timeoutMilliseconds ?? Int.max)
        let wake = try inotify.wait(timeoutMilliseconds: timeout)
        if wake == .timedOut && timeout == untilPoll { return .events }
        return wake
    }

    func read(into batch: inout BackendBatch) throws(Errno) {
        try inotify.readEvents(into: &batch.records)
        // Nothing polled (the usual case): no clock read on the way to the event.
        guard polling.polledDirectoryCount > 0 else { return }
        polling.pollIfDue(now: .now, into: &batch.listings)
    }
}
#endif
