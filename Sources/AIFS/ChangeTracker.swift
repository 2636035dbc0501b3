@_spi(Syscalls) import AIFSCore
public import AIFSWatch
import Synchronization

/// What changed under a tree since a clock, with watchman's `since` semantics: the
/// engine behind the `get_clock` and `changes_since` tools.
///
/// A tracker watches its roots (one ``AIFSWatch/Watcher``, events handed over on the
/// watch thread) and keeps, for every file, whether it exists, when it came into
/// existence and when it last changed, as sequence numbers of its own clock. A clock is
/// `aifs:<instance>:<sequence>`; the instance is new in every process, so a clock from
/// another process (or another tracker) is recognised, and answered with
/// `isFreshInstance: true` and the files that exist.
///
/// Before answering, the tracker syncs with a cookie, as watchman does: it creates a
/// file in a private directory that the same inotify instance watches and waits until
/// its event arrives. The kernel reports one instance's events in order, so every
/// change made before the request has been seen by then. The cookie directory is in
/// the temporary directory, never in the user's tree.
///
/// ## Threading
/// Any thread may call any method; ``changes(since:under:after:limit:)`` and
/// ``currentClock()`` block until the cookie comes back (at most
/// ``syncTimeout``), so call them from a thread that may block.
///
/// ## Known problems
/// - Roots that are polled (network and FUSE file systems) are not ordered with the
///   cookie: a change there shows up within the polling interval.
/// - A kernel queue overflow makes earlier clocks inexact: they get
///   `isFreshInstance: true`.
/// - What the roots' `.gitignore` files exclude and `.git` directories are not tracked.
public final class ChangeTracker: Sendable {
    /// One file's change since a clock.
    public struct Change: Sendable, Hashable {
        /// The file's path.
        public var path: String
        /// `created`, `changed`, `deleted` or `renamed` (created by a rename from
        /// ``from``).
        public var kind: String
        /// For `renamed`: where it came from.
        public var from: String?
    }

    /// An answer to ``changes(since:under:after:limit:)``.
    public struct Answer: Sendable {
        /// The changes (or, for a fresh instance, the files that exist), sorted by path.
        public var changes: [Change]
        /// The clock to ask with next time.
        public var clock: String
        /// The answer is not relative to the clock given (another process's clock, or
        /// events were lost): ``changes`` lists what exists, as `created`.
        public var isFreshInstance: Bool
        /// More changes follow after the last one (pass its path as `after`).
        public var truncated: Bool
    }

    private struct Entry {
        var exists: Bool
        var createdSequence: UInt64
        var changedSequence: UInt64
        var renamedFrom: String?
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var sequence: UInt64 = 0
        var ready = false
        /// Clocks before this sequence are not exact (a rescan happened).
        var exactFrom: UInt64 = 0
        var ended: String?
    }

    /// How long a cookie may take to come back.
    public static let syncTimeout: Duration = .seconds(5)

    private let instance = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    private let state = Mutex(State())
    /// Signalled when the initial scan is done.
    private let signal = ThreadCondition()
    private let cookies: WatchCookies
    private let watcher: Mutex<Watcher?> = Mutex(nil)

    /// Starts tracking `roots` (absolute, canonical directories) and returns once the
    /// initial scan is done.
    ///
    /// - Throws: ``AIFSWatch/WatchError`` when the roots cannot be watched, or the
    ///   temporary directory for the cookies cannot be made.
    public init(roots: [String]) throws(WatchError) {
        cookies = try WatchCookies(purpose: "cookies", timeout: Self.syncTimeout)
        var options = WatchOptions()
        options.atomic = nil  // every unlink at once: a cookie must not overtake one
        options.gitignore = true
        options.ignored = [".git/"]
        let started = try Watcher(paths: roots + [cookies.directory], options: options) { [weak self] event in
            guard let self else { return false }
            self.record(event)
            return true
        }
        watcher.withLock { $0 = started }
        // Wait for the initial scan (bounded: a huge tree still answers, inexactly).
        let deadline = ContinuousClock.now + .seconds(120)
        signal.acquire()
        while !state.withLock({ $0.ready || $0.ended != nil }) && ContinuousClock.now < deadline {
            signal.wait(timeout: .seconds(1))
        }
        signal.release()
    }

    deinit {
        watcher.withLock { $0?.stop() }
    }

    /// Stops tracking.
    public func stop() {
        watcher.withLock { $0?.stop() }
    }

    // MARK: - Recording

    private func record(_ event: WatchEvent) {
        if cookies.observe(event) { return }
        state.withLock { state in
            let sequence = state.ready ? state.sequence + 1 : 0
            if state.ready { state.sequence = sequence }
            switch event.kind {
            case .add:
                state.entries[event.path] = Entry(
                    exists: true, createdSequence: sequence, changedSequence: sequence, renamedFrom: nil)
            case .change:
                var entry = state.entries[event.path] ?? Entry(exists: true, createdSequence: 0, changedSequence: 0, renamedFrom: nil)
                if !entry.exists { entry = Entry(exists: true, createdSequence: sequence, changedSequence: sequence, renamedFrom: nil) }
                entry.changedSequence = sequence
                state.entries[event.path] = entry
            case .unlink:
                Self.remove(event.path, at: sequence, in: &state)
            case .rename(let from):
                if let moved = state.entries[from], moved.exists {
                    Self.remove(from, at: sequence, in: &state)
                    Self.arrive(event.path, from: from, at: sequence, in: &state)
                } else {
                    // A directory: its files moved with it.
                    let prefix = from + "/"
                    let moved = state.entries.filter { $0.key.hasPrefix(prefix) && $0.value.exists }.map(\.key)
                    for old in moved {
                        Self.remove(old, at: sequence, in: &state)
                        Self.arrive(event.path + "/" + old.dropFirst(prefix.count), from: old, at: sequence, in: &state)
                    }
                }
            case .ready:
                state.ready = true
            case .rescan:
                state.exactFrom = state.sequence + 1
            case .addDir, .unlinkDir, .error:
                break
            }
        }
        if case .ready = event.kind { signal.withLock { signal.broadcast() } }
    }

    private static func remove(_ path: String, at sequence: UInt64, in state: inout State) {
        guard var entry = state.entries[path] else {
            state.entries[path] = Entry(exists: false, createdSequence: 0, changedSequence: sequence, renamedFrom: nil)
            return
        }
        entry.exists = false
        entry.changedSequence = sequence
        entry.renamedFrom = nil
        state.entries[path] = entry
    }

    /// A file arrives at `path` by a rename: over an existing file it is a change of
    /// that file (an editor's atomic save), else a new file that came from `from`.
    private static func arrive(_ path: String, from: String, at sequence: UInt64, in state: inout State) {
        if var existing = state.entries[path], existing.exists {
            existing.changedSequence = sequence
            state.entries[path] = existing
        } else {
            state.entries[path] = Entry(exists: true, createdSequence: sequence, changedSequence: sequence, renamedFrom: from)
        }
    }

    // MARK: - Answering

    /// Waits until every change made before this call has been recorded: a cookie file
    /// is made and its event awaited.
    ///
    /// - Throws: ``AIFSWatch/WatchError`` when the watch has ended or the cookie does
    ///   not come back within ``syncTimeout``.
    public func sync() throws(WatchError) {
        if let ended = state.withLock({ $0.ended }) {
            throw WatchError(.invalidArgument, "change tracking has stopped: \(ended)")
        }
        try cookies.sync()
    }

    /// The clock now, after a sync: what to pass to ``changes(since:under:after:limit:)``
    /// next time.
    public func currentClock() throws(WatchError) -> String {
        try sync()
        return clock(state.withLock { $0.sequence })
    }

    /// The clock of the changes recorded so far, without a sync: cheap enough for every
    /// answer. Changes made just before the call and not yet recorded come after it, so
    /// ``changes(since:under:after:limit:)`` with it may list a change the caller made
    /// itself, never miss one.
    public func recordedClock() -> String {
        clock(state.withLock { $0.sequence })
    }

    private func clock(_ sequence: UInt64) -> String { "aifs:\(instance):\(sequence)" }

    /// The files created, changed, deleted and renamed under `directory` since `clock`,
    /// one entry per file (coalesced), sorted by path, after a sync.
    ///
    /// - Parameters:
    ///   - clock: A clock from ``currentClock()`` or an earlier answer; another
    ///     tracker's (or malformed) clock gives a fresh-instance answer.
    ///   - directory: Only paths under it (canonical, absolute).
    ///   - after: Continue after this path (the last of the previous page).
    ///   - limit: The most entries in one answer.
    /// - Throws: As ``sync()``.
    public func changes(since clock: String, under directory: String, after: String? = nil, limit: Int) throws(WatchError) -> Answer {
        try sync()
        let parts = clock.split(separator: ":")
        let since: UInt64? = parts.count == 3 && parts[0] == "aifs" && parts[1] == instance ? UInt64(parts[2]) : nil
        let prefix = directory == "/" ? "/" : directory + "/"
        return state.withLock { state -> Answer in
            let fresh = since.map { $0 + 1 < state.exactFrom } ?? true
            var changes: [Change] = []
            for (path, entry) in state.entries where path.hasPrefix(prefix) || path == directory {
                if let after, path <= after { continue }
                if fresh {
                    if entry.exists { changes.append(Change(path: path, kind: "created", from: nil)) }
                    continue
                }
                let since = since ?? 0
                guard entry.changedSequence > since else { continue }
                if entry.exists {
                    if entry.createdSequence > since {
                        changes.append(Change(path: path, kind: entry.renamedFrom == nil ? "created" : "renamed", from: entry.renamedFrom))
                    } else {
                        changes.append(Change(path: path, kind: "changed", from: nil))
                    }
                } else if entry.createdSequence <= since {
                    changes.append(Change(path: path, kind: "deleted", from: nil))
                }
            }
            changes.sort { $0.path < $1.path }
            let truncated = changes.count > limit
            if truncated { changes.removeLast(changes.count - limit) }
            return Answer(changes: changes, clock: self.clock(state.sequence), isFreshInstance: fresh, truncated: truncated)
        }
    }
}
