@_spi(Syscalls) import AIFSCore
import Synchronization

/// Syncs with a watcher the way watchman does: make a file (a *cookie*) in a directory
/// the same watcher watches, and wait until its event comes back. One inotify instance
/// reports its events in order, so when the cookie's event arrives, every change made
/// before the cookie was made has been delivered too.
///
/// The cookie directory is private (mode 0700) in the temporary directory, never in the
/// user's tree: add ``directory`` to the watcher's paths, and pass every event to
/// ``observe(_:)`` first.
///
/// ## Threading
/// Any thread; ``sync()`` blocks until the cookie comes back (at most ``timeout``), so
/// call it from a thread that may block, never from the watch thread.
public final class WatchCookies: Sendable {
    /// The directory the cookies are made in.
    public let directory: String
    /// How long a cookie may take to come back.
    public let timeout: Duration

    private let seen = Mutex<Set<String>>([])
    private let ended = Mutex<String?>(nil)
    private let signal = ThreadCondition()
    private let counter = Atomic<Int>(0)

    /// Makes the cookie directory.
    ///
    /// - Parameters:
    ///   - purpose: A word for the directory's name (`changes`, `index`).
    ///   - timeout: How long ``sync()`` waits.
    /// - Throws: ``WatchError`` when the directory cannot be made (`TMPDIR` unwritable).
    public init(purpose: String, timeout: Duration = .seconds(5)) throws(WatchError) {
        let base = FileSystemCalls.environment("TMPDIR").flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/tmp"
        let unique = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        directory = base + "/aifs-\(purpose)-\(FileSystemCalls.processID)-\(unique)"
        self.timeout = timeout
        do { try FileSystemCalls.makeDirectory(directory, permissions: 0o700) } catch {
            throw WatchError(
                .invalidArgument, "cannot make the cookie directory '\(directory)' for syncing with the watcher: \(error); set TMPDIR to a writable directory",
                path: directory)
        }
    }

    deinit {
        try? FileSystemCalls.removeDirectory(directory)
    }

    /// Whether `path` is the cookie directory or inside it.
    public func contains(_ path: String) -> Bool {
        path == directory || path.hasPrefix(directory + "/")
    }

    /// Takes note of a cookie's event. Returns true when `event` concerns the cookie
    /// directory (the caller then ignores it), false for the user's events.
    public func observe(_ event: WatchEvent) -> Bool {
        guard contains(event.path) else { return false }
        if case .add = event.kind {
            _ = seen.withLock { $0.insert(event.path) }
            signal.withLock { signal.broadcast() }
        }
        return true
    }

    /// Says the watch has ended: waiting syncs fail with `reason` at once.
    public func end(_ reason: String) {
        ended.withLock { $0 = $0 ?? reason }
        signal.withLock { signal.broadcast() }
    }

    /// Waits until every change made before this call has been delivered: a cookie
    /// file is made and its event awaited.
    ///
    /// - Throws: ``WatchError`` when the watch has ended, the cookie cannot be made, or
    ///   it does not come back within ``timeout``.
    public func sync() throws(WatchError) {
        let name = directory + "/cookie-\(counter.add(1, ordering: .relaxed).newValue)"
        do {
            let file = try WritableFile(creatingExclusively: name, permissions: 0o600)
            _ = consume file
        } catch {
            throw WatchError(.invalidArgument, "cannot make a cookie file in '\(directory)': \(error)", path: name)
        }
        defer {
            try? FileSystemCalls.unlink(name)
            _ = seen.withLock { $0.remove(name) }
        }
        let deadline = ContinuousClock.now + timeout
        signal.acquire()
        defer { signal.release() }
        while true {
            if seen.withLock({ $0.contains(name) }) { return }
            if let reason = ended.withLock({ $0 }) {
                throw WatchError(.invalidArgument, "the watch has stopped: \(reason)")
            }
            guard ContinuousClock.now < deadline else {
                throw WatchError(
                    .invalidArgument,
                    "the watcher did not see its cookie within \(timeout); the answer would not be known to be complete: try again")
            }
            // `observe` broadcasts under this lock after recording a cookie, so no
            // wake-up is lost between the check above and this wait.
            signal.wait(timeout: .milliseconds(500))
        }
    }
}
