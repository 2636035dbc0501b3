/// chokidar's `atomic`: an `unlink` followed within ``window`` by an `add` of the same
/// path is one `change` (editors that save by deleting and re-creating a file).
///
/// A pure state machine: events and the time go in, the events to report come out. No
/// clock is read; the watch loop passes `now` and asks for ``nextDeadline``.
///
/// ## Design rationale
/// Only `unlink`s are held back, so every other event keeps inotify's latency; a real
/// deletion is reported ``window`` late. Holding them reorders: an `unlink` is reported
/// after the events that followed it within the window, except that a held `unlink` is
/// always let out before the `unlinkDir` of a directory above it, before an `addDir` at
/// its path, before a `rename` of it or of a directory above it, and before `rescan`, so
/// a consumer never sees a directory go before its files nor a deleted file move. A `rename` onto a held path replaces it: the `unlink` is dropped and the
/// rename (over an existing path, as after an atomic save) is reported.
struct AtomicCoalescer: Sendable {
    /// chokidar's 100 ms.
    static let defaultWindow = Duration.milliseconds(100)

    /// How long an `unlink` waits for an `add` of its path.
    let window: Duration
    private var held: [(event: WatchEvent, deadline: ContinuousClock.Instant)] = []

    init(window: Duration = Self.defaultWindow) { self.window = window }

    /// Whether any `unlink` is held.
    var isEmpty: Bool { held.isEmpty }

    /// When the oldest held `unlink` is due; `nil` when none is held (no timer).
    var nextDeadline: ContinuousClock.Instant? { held.first?.deadline }

    /// Takes one event.
    ///
    /// - Returns: The events to report now, in order.
    mutating func process(_ event: WatchEvent, now: ContinuousClock.Instant) -> [WatchEvent] {
        switch event.kind {
        case .unlink:
            held.append((event, now + window))
            return []
        case .add:
            if let index = held.firstIndex(where: { $0.event.path == event.path }) {
                held.remove(at: index)
                return [WatchEvent(.change, path: event.path, timestamp: event.timestamp)]
            }
            return [event]
        case .addDir:
            return release { $0 == event.path } + [event]
        case .unlinkDir:
            let prefix = event.path + "/"
            return release { $0.hasPrefix(prefix) } + [event]
        case .rename(let from):
            // Unlinks at or under the old path happened before the rename: they go first,
            // or the consumer would move a deleted file and then miss its unlink.
            let fromPrefix = from + "/"
            let before = release { $0 == from || $0.hasPrefix(fromPrefix) }
            held.removeAll { $0.event.path == event.path }
            return before + [event]
        case .rescan:
            return release { _ in true } + [event]
        default:
            return [event]
        }
    }

    /// The held `unlink`s whose window has passed, oldest first.
    mutating func expire(now: ContinuousClock.Instant) -> [WatchEvent] {
        var due: [WatchEvent] = []
        while let first = held.first, first.deadline <= now {
            due.append(first.event)
            held.removeFirst()
        }
        return due
    }

    /// Every held `unlink`, oldest first (the watch is ending).
    mutating func flush() -> [WatchEvent] { release { _ in true } }

    private mutating func release(where matches: (String) -> Bool) -> [WatchEvent] {
        guard !held.isEmpty else { return [] }
        var out: [WatchEvent] = []
        held.removeAll { entry in
            guard matches(entry.event.path) else { return false }
            out.append(entry.event)
            return true
        }
        return out
    }
}
