import AIFSTestSupport
import Foundation
import Glibc
import Synchronization
import Testing

@testable import AIFSWatch

/// An expected event: a kind and a path. `ready` and `error` match by kind name only.
struct Expected: CustomStringConvertible, Sendable {
    var kind: WatchEvent.Kind
    var path: String

    static func add(_ path: String) -> Expected { Expected(kind: .add, path: path) }
    static func addDir(_ path: String) -> Expected { Expected(kind: .addDir, path: path) }
    static func change(_ path: String) -> Expected { Expected(kind: .change, path: path) }
    static func unlink(_ path: String) -> Expected { Expected(kind: .unlink, path: path) }
    static func unlinkDir(_ path: String) -> Expected { Expected(kind: .unlinkDir, path: path) }
    static func rename(_ from: String, _ to: String) -> Expected { Expected(kind: .rename(from: from), path: to) }
    static func ready(_ path: String) -> Expected { Expected(kind: .ready(backends: [:], watches: 0), path: path) }
    static func error(_ path: String) -> Expected { Expected(kind: .error(message: ""), path: path) }

    func matches(_ event: WatchEvent) -> Bool {
        guard event.path == path else { return false }
        switch (kind, event.kind) {
        case (.ready, .ready), (.error, .error): return true
        default: return kind == event.kind
        }
    }

    var description: String { "\(kind.name) \(path)" }
}

struct ExpectationTimeout: Error, CustomStringConvertible {
    var description: String
}

/// Drains a watcher's events on a background task and lets a test wait for them with a
/// deadline: never sleeping to synchronise, only polling a predicate until a deadline.
///
/// ## Threading
/// Methods from the test's task; the draining task only appends.
final class EventRecorder: Sendable {
    private struct State {
        var events: [WatchEvent] = []
        var finished = false
    }

    private final class Storage: Sendable {
        let mutex = Mutex(State())
    }

    let watcher: Watcher
    // In its own object so the draining task does not keep the recorder alive.
    private let storage = Storage()
    // Only read and advanced by the test's task.
    private let cursor = Atomic<Int>(0)
    private static let cookieCounter = Atomic<Int>(0)

    init(_ watcher: Watcher) {
        self.watcher = watcher
        let events = watcher.events
        Task.detached { [storage] in
            for await event in events { storage.mutex.withLock { $0.events.append(event) } }
            storage.mutex.withLock { $0.finished = true }
        }
    }

    convenience init(paths: [String], options: WatchOptions = WatchOptions()) throws {
        self.init(try Watcher(paths: paths, options: options))
    }

    /// A watcher on `environment`: test doubles for the disk or the backend.
    convenience init(paths: [String], options: WatchOptions = WatchOptions(), environment: WatchEnvironment) throws {
        self.init(try Watcher(paths: paths, options: options, eventHandler: nil, environment: environment))
    }

    deinit { watcher.stop() }

    var all: [WatchEvent] { storage.mutex.withLock { $0.events } }
    var isFinished: Bool { storage.mutex.withLock { $0.finished } }

    /// Polls `predicate` over the recorded events until it returns non-nil or the deadline passes.
    private func wait<T>(
        within limit: Duration, what: @autoclosure () -> String,
        _ predicate: (_ events: [WatchEvent], _ finished: Bool) -> T?
    ) async throws -> T {
        let deadline = ContinuousClock.now + limit
        while true {
            let (events, finished) = storage.mutex.withLock { ($0.events, $0.finished) }
            if let result = predicate(events, finished) { return result }
            if ContinuousClock.now >= deadline {
                let seen = events[min(cursor.load(ordering: .relaxed), events.count)...].map(\.description).joined(separator: "\n  ")
                throw ExpectationTimeout(description: "timed out waiting for \(what()); seen since the last expectation:\n  \(seen)")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Waits until every expected event has been seen after the previous expectation,
    /// in any order; returns everything seen up to the last of them and moves past it.
    @discardableResult
    func expect(_ expected: [Expected], within limit: Duration = .seconds(30)) async throws -> [WatchEvent] {
        let start = cursor.load(ordering: .relaxed)
        let end: Int = try await wait(within: limit, what: expected.description) { events, _ in
            var used = Set<Int>()
            var last = start - 1
            for item in expected {
                guard let index = events.indices.dropFirst(start).first(where: { !used.contains($0) && item.matches(events[$0]) }) else {
                    return nil
                }
                used.insert(index)
                last = max(last, index)
            }
            return last + 1
        }
        cursor.store(end, ordering: .relaxed)
        return Array(all[start..<end])
    }

    /// Proves that nothing else happened: creates a uniquely named cookie file in
    /// `directory`, waits for its `add` (events of one inotify descriptor arrive in
    /// order) and returns the events seen before it, which the caller expects empty.
    ///
    /// A file's `add` is held for the `atomic` window like every other held event, and
    /// held events come out in order, so whatever was held before the cookie comes out
    /// before it. With `directory: true` the cookie is a directory, whose `addDir` is
    /// not held: it proves the loop has read past earlier events even while they are
    /// held (for an `atomic` window longer than the test).
    func eventsBeforeCookie(
        in directory: String, within limit: Duration = .seconds(30), directoryCookie: Bool = false
    ) async throws -> [WatchEvent] {
        let number = Self.cookieCounter.add(1, ordering: .relaxed).newValue
        let cookie = directory + "/.cookie-\(getpid())-\(number)"
        if directoryCookie {
            FS.mkdir(cookie)
            let seen = try await expect([.addDir(cookie)], within: limit)
            return seen.filter { $0.path != cookie }
        }
        let fd = open(cookie, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        #expect(fd >= 0)
        close(fd)
        let seen = try await expect([.add(cookie)], within: limit)
        return seen.filter { $0.path != cookie }
    }

    /// Proves that nothing else happened under polling, where events inside one poll
    /// come by directory rather than by time: a first cookie marks a poll that saw
    /// everything written before it, a second one a later poll. Returns every event
    /// before the second cookie except the cookies.
    func quietPolling(in directory: String, within limit: Duration = .seconds(30)) async throws -> [WatchEvent] {
        let first = try await eventsBeforeCookie(in: directory, within: limit)
        let second = try await eventsBeforeCookie(in: directory, within: limit)
        return (first + second).filter { !$0.path.contains("/.cookie-") }
    }

    /// Proves that nothing else happened, on either backend: one cookie under inotify,
    /// two under polling (``quietPolling(in:)``).
    func quiet(in directory: String, usePolling: Bool, within limit: Duration = .seconds(30)) async throws -> [WatchEvent] {
        usePolling
            ? try await quietPolling(in: directory, within: limit) : try await eventsBeforeCookie(in: directory, within: limit)
    }

    /// Waits until the stream has ended.
    func expectFinished(within limit: Duration = .seconds(30)) async throws {
        _ = try await wait(within: limit, what: "the end of the stream") { _, finished in finished ? true : nil }
    }
}

