/// chokidar's `atomic`: an `unlink` followed within ``window`` by an `add` of the same
/// path is one `change` (editors that save by deleting and re-creating a file), and a
/// file moved over an existing one is a `change` of that file (editors, `git checkout`
/// and aifs's own atomic writes save through a temporary file renamed over the target).
///
/// A pure state machine: events and the time go in, the events to report come out. No
/// clock is read; the watch loop passes `now` and asks for ``nextDeadline``.
///
/// ## Design rationale
/// `unlink`s and file `add`s are held back for ``window``; every other event keeps
/// inotify's latency, and a real deletion or creation is reported ``window`` late.
/// - An `add` held when its file is renamed is folded into the rename: the temporary
///   file of an atomic save lived less than the window, so its `add` and its move are
///   reported as a `change` of the target (or an `add` of the target when nothing was
///   there). An `add` held when its file is removed is dropped with the `unlink`.
/// - A known file moved over another known file is an `unlink` of the old name and a
///   `change` of the target, as chokidar reports it.
/// Holding reorders: a held event is reported after the events that followed it within
/// the window, except that held events are always let out before events that concern
/// their path or a directory above it (`change`, `addDir`, `unlinkDir`, a `rename` of a
/// directory above), before `ready` and before `rescan`, so a consumer never sees a
/// directory go before its files, a file change before it appears, nor a deleted file
/// move.
struct AtomicCoalescer: Sendable {
    /// chokidar's 100 ms.
    static let defaultWindow = Duration.milliseconds(100)

    /// How long an `unlink` waits for an `add` of its path, and an `add` for a move.
    let window: Duration
    /// Held `unlink`s and `add`s by arrival number; `order` keeps the numbers in
    /// arrival order (so deadlines ascend), `byPath` finds them by path. A burst of
    /// 20,000 creations is held at once, so no lookup may scan the whole hold.
    private var held: [Int: (event: WatchEvent, deadline: ContinuousClock.Instant)] = [:]
    private var order: [Int] = []
    private var head = 0
    private var byPath: [String: [Int]] = [:]
    private var arrivals = 0

    init(window: Duration = Self.defaultWindow) { self.window = window }

    /// Whether any event is held.
    var isEmpty: Bool { held.isEmpty }

    /// When the oldest held event is due; `nil` when none is held (no timer).
    var nextDeadline: ContinuousClock.Instant? {
        var index = head
        while index < order.count {
            if let entry = held[order[index]] { return entry.deadline }
            index += 1
        }
        return nil
    }

    private mutating func hold(_ event: WatchEvent, until deadline: ContinuousClock.Instant) {
        arrivals += 1
        held[arrivals] = (event, deadline)
        order.append(arrivals)
        byPath[event.path, default: []].append(arrivals)
    }

    /// Whether an event of `kind` at `path` is held.
    private func isHolding(_ kind: WatchEvent.Kind, at path: String) -> Bool {
        byPath[path]?.contains { held[$0]?.event.kind == kind } ?? false
    }

    /// Takes the held event of `kind` at `path` out of the hold.
    private mutating func take(_ kind: WatchEvent.Kind, at path: String) -> WatchEvent? {
        guard let numbers = byPath[path],
              let number = numbers.first(where: { held[$0]?.event.kind == kind })
        else { return nil }
        return remove(number)
    }

    @discardableResult
    private mutating func remove(_ number: Int) -> WatchEvent? {
        guard let entry = held.removeValue(forKey: number) else { return nil }
        byPath[entry.event.path]?.removeAll { $0 == number }
        if byPath[entry.event.path]?.isEmpty == true { byPath[entry.event.path] = nil }
        if held.isEmpty {
            order.removeAll(keepingCapacity: true)
            head = 0
        }
        return entry.event
    }

    /// Takes one event.
    ///
    /// - Parameters:
    ///   - replacing: For a `rename` of a file: whether a known file was at the
    ///     destination (the rename replaced it).
    ///   - movedFile: For a `rename`: whether what moved is a file (a directory's
    ///     rename is reported as a rename, whatever it replaced).
    /// - Returns: The events to report now, in order.
    mutating func process(
        _ event: WatchEvent, now: ContinuousClock.Instant, replacing: Bool = false, movedFile: Bool = true
    ) -> [WatchEvent] {
        switch event.kind {
        case .unlink:
            if take(.add, at: event.path) != nil {
                // Made and removed within the window: a temporary file, never reported.
                return []
            }
            hold(event, until: now + window)
            return []
        case .add:
            if take(.unlink, at: event.path) != nil {
                return [WatchEvent(.change, path: event.path, timestamp: event.timestamp)]
            }
            hold(event, until: now + window)
            return []
        case .change, .addDir:
            return release(at: event.path) + [event]
        case .unlinkDir:
            let prefix = event.path + "/"
            return release { $0.hasPrefix(prefix) } + [event]
        case .rename(let from):
            if movedFile, take(.add, at: from) != nil {
                // An atomic save: the temporary file's add and its move fold into a
                // change of the target, or an add where nothing was.
                if take(.unlink, at: event.path) != nil {
                    return [WatchEvent(.change, path: event.path, timestamp: event.timestamp)]
                }
                // A target made within the window is still to be reported: its held
                // `add` tells the consumer of it, with these contents (`echo > f` then
                // `sed -i` on it gave a change of a file never added; found by the pure
                // random-operations test).
                if isHolding(.add, at: event.path) { return [] }
                return [WatchEvent(replacing ? .change : .add, path: event.path, timestamp: event.timestamp)]
            }
            // Held events at or under the old path happened before the rename: they go
            // first, or the consumer would move a file it never saw, or a deleted one.
            let fromPrefix = from + "/"
            let before = release { $0 == from || $0.hasPrefix(fromPrefix) }
            let unlinkedTarget = take(.unlink, at: event.path) != nil
            if movedFile && (replacing || unlinkedTarget) {
                // A known file moved over another: chokidar's unlink and change (or no
                // change while the target's own `add` is held: that add reports it).
                let unlink = WatchEvent(.unlink, path: from, timestamp: event.timestamp)
                if !unlinkedTarget && isHolding(.add, at: event.path) { return before + [unlink] }
                return before + [unlink, WatchEvent(.change, path: event.path, timestamp: event.timestamp)]
            }
            return before + [event]
        case .ready, .rescan:
            return release { _ in true } + [event]
        default:
            return [event]
        }
    }

    /// The held events whose window has passed, oldest first.
    mutating func expire(now: ContinuousClock.Instant) -> [WatchEvent] {
        var due: [WatchEvent] = []
        while head < order.count {
            let number = order[head]
            guard let entry = held[number] else {
                head += 1
                continue
            }
            guard entry.deadline <= now else { break }
            head += 1
            if let event = remove(number) { due.append(event) }
        }
        compact()
        return due
    }

    /// Every held event, oldest first (the watch is ending).
    mutating func flush() -> [WatchEvent] { release { _ in true } }

    /// The held events at `path`, oldest first.
    private mutating func release(at path: String) -> [WatchEvent] {
        guard let numbers = byPath[path] else { return [] }
        return numbers.sorted().compactMap { remove($0) }
    }

    /// The held events whose path matches, oldest first.
    private mutating func release(where matches: (String) -> Bool) -> [WatchEvent] {
        guard !held.isEmpty else { return [] }
        var out: [WatchEvent] = []
        for number in order[head...] {
            guard let entry = held[number], matches(entry.event.path) else { continue }
            if let event = remove(number) { out.append(event) }
        }
        compact()
        return out
    }

    /// Drops the arrival numbers already taken from the front of `order`.
    private mutating func compact() {
        if head > 1024 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
