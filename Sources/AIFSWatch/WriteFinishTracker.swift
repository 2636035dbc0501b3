/// chokidar's `awaitWriteFinish`: an `add` or `change` of a file is reported only once
/// its size and modification time have stayed the same for ``stabilityThreshold``,
/// checked every ``pollInterval``; a file written for a long time is reported once,
/// when the writer is done.
///
/// A pure state machine: events, the time and the files' current size and modification
/// time go in, the events to report come out. The watch loop reads the clock and the
/// disk and asks for ``nextDeadline``: while nothing is pending there is no timer.
///
/// ## Invariants
/// A path is pending at most once; further `add`/`change` events for it are absorbed
/// (an `add` stays an `add`). A pending `add` that is unlinked before it is reported is
/// never reported, and neither is its `unlink`: the consumer never knew the file.
struct WriteFinishTracker: Sendable {
    /// A file's size and modification time, as far as stability is concerned.
    struct Version: Hashable, Sendable {
        var size: Int64
        var modificationTime: Int64
    }

    private struct Pending: Sendable {
        var event: WatchEvent
        var version: Version
        var stableSince: ContinuousClock.Instant
        var nextCheck: ContinuousClock.Instant
    }

    /// How long size and modification time must stay the same (chokidar: 2000 ms).
    let stabilityThreshold: Duration
    /// How often pending files are checked (chokidar: 100 ms).
    let pollInterval: Duration
    private var pending: [String: Pending] = [:]
    /// Pending `add`s whose file vanished before it was reported: their `unlink` is
    /// not reported either.
    private var vanished: Set<String> = []

    init(stabilityThreshold: Duration, pollInterval: Duration) {
        self.stabilityThreshold = stabilityThreshold
        self.pollInterval = max(pollInterval, .milliseconds(1))
    }

    /// How many files wait to be reported.
    var pendingCount: Int { pending.count }

    /// When the next check is due; `nil` when nothing is pending (no timer).
    var nextDeadline: ContinuousClock.Instant? { pending.values.map(\.nextCheck).min() }

    /// Takes one event.
    ///
    /// - Parameters:
    ///   - version: The file's size and modification time now (`nil`: it is gone);
    ///     only called for `add` and `change`.
    /// - Returns: The events to report now, in order.
    mutating func process(
        _ event: WatchEvent, now: ContinuousClock.Instant, version: (String) -> Version?
    ) -> [WatchEvent] {
        switch event.kind {
        case .add, .change:
            vanished.remove(event.path)
            if pending[event.path] != nil { return [] }
            // Gone already: its unlink follows and is reported as it comes.
            guard let current = version(event.path) else { return event.kind == .add ? [] : [event] }
            pending[event.path] = Pending(event: event, version: current, stableSince: now, nextCheck: now + pollInterval)
            return []
        case .unlink:
            if vanished.remove(event.path) != nil { return [] }
            if let held = pending.removeValue(forKey: event.path), held.event.kind == .add { return [] }
            return [event]
        case .unlinkDir:
            let prefix = event.path + "/"
            for path in pending.keys where path.hasPrefix(prefix) { pending[path] = nil }
            return [event]
        case .rename(let from):
            var out = [event]
            if let held = pending.removeValue(forKey: from) {
                if held.event.kind == .add {
                    // The consumer never saw `from`: the file simply appears at its new path.
                    out = []
                }
                var moved = held
                moved.event.path = event.path
                pending[event.path] = moved
            }
            let prefix = from + "/"
            for (path, held) in pending where path.hasPrefix(prefix) {
                pending[path] = nil
                var moved = held
                moved.event.path = event.path + path.dropFirst(from.count)
                pending[moved.event.path] = moved
            }
            return out
        default:
            return [event]
        }
    }

    /// Checks the pending files that are due.
    ///
    /// - Parameter version: A file's size and modification time now (`nil`: gone).
    /// - Returns: The files that became stable, as their `add` or `change`, in path
    ///   order, with `timestamp` the time they were found stable.
    mutating func check(
        now: ContinuousClock.Instant, wallClock: Int64, version: (String) -> Version?
    ) -> [WatchEvent] {
        var out: [WatchEvent] = []
        for path in pending.keys.sorted() {
            guard var held = pending[path], held.nextCheck <= now else { continue }
            guard let current = version(path) else {
                // Gone while being written: its unlink follows (and is dropped for an add).
                pending[path] = nil
                if held.event.kind == .add { vanished.insert(path) }
                continue
            }
            if current != held.version {
                held.version = current
                held.stableSince = now
            }
            if held.stableSince.duration(to: now) >= stabilityThreshold {
                pending[path] = nil
                var event = held.event
                event.timestamp = wallClock
                out.append(event)
            } else {
                held.nextCheck = now + pollInterval
                pending[path] = held
            }
        }
        return out
    }
}
