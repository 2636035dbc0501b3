import AIFS
import AIFSWatch
import Synchronization

/// The watchers the server runs for `start_watching`, each with a bounded buffer of
/// its events for `get_watch_events`.
///
/// Each watcher's events are drained from its ``AIFSWatch/Watcher/events`` by a task of
/// its own, which also drops what each event makes stale from the content cache. The
/// events wait in a ring of ``capacity`` events; when an agent reads less often than
/// the tree changes, the oldest are dropped and counted, and the next read says how
/// many it missed, so a gap is never silent.
///
/// ## Cursors
/// Events are numbered from 0 in the order the watcher reported them. A cursor is the
/// number of the next event to return: it stays valid as long as the server runs, and
/// reading with an old cursor returns what is left of the ring with `dropped` set.
///
/// ## Threading
/// Any method from anywhere; the state is behind a mutex and nothing blocks while it is
/// held. The drain tasks only append under the lock.
final class WatchRegistry: Sendable {
    /// Watchers that may run at once: each costs an inotify instance (the kernel's
    /// default per-user limit is 128) and a thread.
    static let maximumWatchers = 16
    /// Events kept per watcher.
    static let capacity = 10_000

    /// One buffered event with its number.
    struct Numbered: Sendable {
        var sequence: Int
        var event: WatchEvent
    }

    /// A watcher and what it has reported.
    struct Entry: Sendable {
        let id: String
        let watcher: Watcher
        /// The watched paths as given, resolved.
        let paths: [String]
        let startedAt: Int64
        var ring: [Numbered] = []
        /// Where the oldest event is in ``ring`` once it is full.
        var head = 0
        /// The number the next event will get.
        var nextSequence = 0
        /// Where `get_watch_events` without a cursor goes on from.
        var readCursor = 0
        /// Events dropped from the ring before anyone read them.
        var dropped = 0
        var counts: [String: Int] = [:]
        var ready = false
        /// Whether the watch has ended on its own (every root gone).
        var ended = false
        var readyWaiters: [CheckedContinuation<Bool, Never>] = []

        /// The number of the oldest event still in the ring.
        var firstSequence: Int { nextSequence - ring.count }

        mutating func append(_ event: WatchEvent) {
            let numbered = Numbered(sequence: nextSequence, event: event)
            nextSequence += 1
            counts[event.kind.name, default: 0] += 1
            if ring.count < WatchRegistry.capacity {
                ring.append(numbered)
            } else {
                ring[head] = numbered
                head = (head + 1) % ring.count
                if readCursor < firstSequence { dropped += 1 }
            }
        }

        /// Events from `cursor` on, at most `limit`, in order.
        func events(from cursor: Int, limit: Int) -> [Numbered] {
            let start = max(cursor, firstSequence)
            guard start < nextSequence else { return [] }
            let count = min(limit, nextSequence - start)
            var result: [Numbered] = []
            result.reserveCapacity(count)
            let offset = start - firstSequence
            for index in offset..<(offset + count) {
                result.append(ring[(head + index) % ring.count])
            }
            return result
        }
    }

    /// A page of events.
    struct Page: Sendable {
        var events: [Numbered]
        var nextCursor: Int
        /// Events between the cursor asked for and the first returned that the ring
        /// no longer holds.
        var missed: Int
        /// Whether more events wait after this page.
        var more: Bool
        var ended: Bool
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var drains: [String: Task<Void, Never>] = [:]
        var nextID = 1
        var stopped = false
    }

    private let state = Mutex(State())

    /// Starts keeping the events of `watcher`, draining them on a task of its own.
    ///
    /// - Returns: The new watcher's id.
    /// - Throws: ``ToolFailure`` when ``maximumWatchers`` run already (the watcher is
    ///   stopped then).
    func add(_ watcher: Watcher, paths: [String], service: FileService, now: Int64) throws(ToolFailure) -> String {
        let added: Result<String, ToolFailure> = state.withLock { state in
            if state.stopped { return .failure(ToolFailure("shuttingDown", "start_watching: the server is shutting down")) }
            guard state.entries.count < WatchRegistry.maximumWatchers else {
                let running = state.entries.keys.sorted { Int($0.dropFirst()) ?? 0 < Int($1.dropFirst()) ?? 0 }
                return .failure(ToolFailure(
                    "tooManyWatchers",
                    "start_watching: \(WatchRegistry.maximumWatchers) watchers run already (\(running.joined(separator: ", "))); "
                        + "stop one with stop_watching, or watch a common parent directory with one watcher"))
            }
            let id = "w\(state.nextID)"
            state.nextID += 1
            state.entries[id] = Entry(id: id, watcher: watcher, paths: paths, startedAt: now)
            return .success(id)
        }
        let id: String
        do throws(ToolFailure) {
            id = try added.get()
        } catch {
            watcher.stop()
            throw error
        }
        let task = Task { [self] in
            for await event in watcher.events {
                service.invalidateCache(for: event)
                record(event, for: id)
            }
            finished(id)
        }
        state.withLock { state in
            if state.entries[id] != nil { state.drains[id] = task } else { task.cancel() }
        }
        return id
    }

    private func record(_ event: WatchEvent, for id: String) {
        let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            guard state.entries[id] != nil else { return [] }
            state.entries[id]!.append(event)
            guard case .ready = event.kind else { return [] }
            state.entries[id]!.ready = true
            defer { state.entries[id]!.readyWaiters = [] }
            return state.entries[id]!.readyWaiters
        }
        for waiter in waiters { waiter.resume(returning: true) }
    }

    private func finished(_ id: String) {
        let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.drains[id] = nil
            guard state.entries[id] != nil else { return [] }
            state.entries[id]!.ended = true
            defer { state.entries[id]!.readyWaiters = [] }
            return state.entries[id]!.readyWaiters
        }
        for waiter in waiters { waiter.resume(returning: false) }
    }

    /// Returns `true` once the watcher has reported `ready` (its initial scan is done
    /// and every directory has its watch), or `false` if it ended first or `timeout`
    /// passed.
    func waitUntilReady(_ id: String, timeout: Duration) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let immediate = state.withLock { state -> Bool? in
                guard let entry = state.entries[id] else { return false }
                if entry.ready { return true }
                if entry.ended { return false }
                state.entries[id]!.readyWaiters.append(continuation)
                return nil
            }
            if let immediate {
                continuation.resume(returning: immediate)
                return
            }
            Task {
                try? await Task.sleep(for: timeout)
                self.timeOut(id)
            }
        }
    }

    /// Resumes every waiter of `id` with `false` (after a timeout).
    private func timeOut(_ id: String) {
        let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            guard state.entries[id] != nil else { return [] }
            defer { state.entries[id]!.readyWaiters = [] }
            return state.entries[id]!.readyWaiters
        }
        for waiter in waiters { waiter.resume(returning: false) }
    }

    /// Events of watcher `id` from `cursor` (or from where the last read without a
    /// cursor ended), at most `limit`.
    ///
    /// - Returns: `nil` when there is no such watcher.
    func events(_ id: String, cursor: Int?, limit: Int, markRead: Bool = true) -> Page? {
        state.withLock { state -> Page? in
            guard let entry = state.entries[id] else { return nil }
            let from = min(cursor ?? entry.readCursor, entry.nextSequence)
            let events = entry.events(from: from, limit: limit)
            let next = events.last.map { $0.sequence + 1 } ?? max(from, entry.firstSequence)
            let missed = max(0, entry.firstSequence - from)
            if markRead { state.entries[id]!.readCursor = max(entry.readCursor, next) }
            return Page(events: events, nextCursor: next, missed: missed, more: next < entry.nextSequence, ended: entry.ended)
        }
    }

    /// Notes that watcher `id`'s events before `cursor` were read, for a page taken with
    /// `markRead: false` and then cut (to fit the output budget).
    func markRead(_ id: String, upTo cursor: Int) {
        state.withLock { state in
            guard let entry = state.entries[id] else { return }
            state.entries[id]!.readCursor = max(entry.readCursor, cursor)
        }
    }

    /// Stops watcher `id` and forgets its events.
    ///
    /// - Returns: The entry as it was, or `nil` when there is no such watcher.
    func stop(_ id: String) -> Entry? {
        let (entry, task) = state.withLock { state in
            (state.entries.removeValue(forKey: id), state.drains.removeValue(forKey: id))
        }
        guard let entry else { return nil }
        entry.watcher.stop()
        task?.cancel()
        for waiter in entry.readyWaiters { waiter.resume(returning: false) }
        return entry
    }

    /// Stops every watcher; later ``add(_:paths:service:now:)`` calls fail. For server
    /// shutdown.
    func stopAll() {
        let ids = state.withLock { state -> [String] in
            state.stopped = true
            return Array(state.entries.keys)
        }
        for id in ids { _ = stop(id) }
    }

    /// The ids of the running watchers, in the order they were started.
    func ids() -> [String] {
        state.withLock { state in
            state.entries.keys.sorted { Int($0.dropFirst()) ?? 0 < Int($1.dropFirst()) ?? 0 }
        }
    }

    /// A snapshot of watcher `id`, or of every watcher when `id` is `nil`, in the order
    /// they were started. Excludes the ring itself.
    func snapshots(_ id: String? = nil) -> [Snapshot] {
        state.withLock { state in
            state.entries.values
                .filter { id == nil || $0.id == id }
                .sorted { Int($0.id.dropFirst()) ?? 0 < Int($1.id.dropFirst()) ?? 0 }
                .map { entry in
                    Snapshot(
                        id: entry.id, paths: entry.paths, startedAt: entry.startedAt, events: entry.nextSequence,
                        counts: entry.counts, buffered: entry.ring.count, dropped: entry.dropped,
                        ready: entry.ready, ended: entry.ended, stats: entry.watcher.stats)
                }
        }
    }

    /// What `get_watcher_stats` and `get_filesystem_stats` show of one watcher.
    struct Snapshot: Sendable {
        var id: String
        var paths: [String]
        var startedAt: Int64
        var events: Int
        var counts: [String: Int]
        var buffered: Int
        var dropped: Int
        var ready: Bool
        var ended: Bool
        var stats: WatchStats
    }
}
