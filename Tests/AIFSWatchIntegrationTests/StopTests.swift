import AIFSCore
import AIFSTestSupport
import Foundation
import Glibc
import Synchronization
import SystemPackage
import Testing

@testable import AIFSWatch

/// Stopping: the inotify backend blocks in `read(2)` when no timer is pending and is woken
/// by an inotify record of its waker's pipe; with a timeout (or without the pipe's watch)
/// it waits in `poll(2)`. Every test waits with a deadline; none sleeps to synchronise.
@Suite struct StopTests {
    /// Hands a backend to the thread that waits on it.
    // @unchecked Sendable: the test's thread only touches `backend.waker` (Sendable)
    // while the waiting thread runs, and reads `result` through the mutex.
    final class Waiting: @unchecked Sendable {
        let backend: InotifyBackend
        let result = Mutex<Result<BackendWake, Errno>?>(nil)
        let name: String
        private static let counter = Atomic<Int>(0)

        init(_ backend: InotifyBackend) {
            self.backend = backend
            name = "aifs-stop-\(Self.counter.add(1, ordering: .relaxed).newValue)"
        }

        /// Starts a thread that waits once on the backend.
        func start(timeoutMilliseconds: Int?) {
            DedicatedThreads.start(name: name) { [self] in
                let wake = Result { () throws(Errno) in try backend.wait(timeoutMilliseconds: timeoutMilliseconds) }
                result.withLock { $0 = wake }
            }
        }

        /// Polls until the waiting thread sleeps (state `S` in `/proc`): it is then
        /// blocked in the backend's wait, the only place it can sleep.
        func waitUntilBlocked(within limit: Duration = .seconds(30)) async throws {
            let deadline = ContinuousClock.now + limit
            while ContinuousClock.now < deadline {
                if Self.threadState(named: name) == "S" { return }
                try await Task.sleep(for: .milliseconds(1))
            }
            throw ExpectationTimeout(description: "thread \(name) never blocked")
        }

        /// Polls until the wait returned.
        func waitForResult(within limit: Duration = .seconds(30)) async throws -> BackendWake {
            let deadline = ContinuousClock.now + limit
            while ContinuousClock.now < deadline {
                if let result = result.withLock({ $0 }) { return try result.get() }
                try await Task.sleep(for: .milliseconds(1))
            }
            throw ExpectationTimeout(description: "the wait on \(name) did not return")
        }

        private static func threadState(named name: String) -> String? {
            guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return nil }
            for task in tasks {
                let comm = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
                guard comm.trimmingCharacters(in: .whitespacesAndNewlines) == name,
                    let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
                    let close = stat.lastIndex(of: ")")
                else { continue }
                return stat[stat.index(after: close)...].split(separator: " ").first.map(String.init)
            }
            return nil
        }
    }

    /// Both ways of waiting without a timeout: the blocking read woken by the pipe's
    /// record, and `poll(2)` on the pipe (used where the pipe cannot be watched).
    @Test(.timeLimit(.minutes(1)), arguments: [true, false])
    func stopWakesAWaitBlockedWithoutTimeout(wakeByInotify: Bool) async throws {
        let dir = try TemporaryDirectory()
        let backend = try InotifyBackend(wakeByInotify: wakeByInotify)
        // This kernel reports pipe writes: the blocking read is in use when asked for.
        #expect((backend.wakerWatch != nil) == wakeByInotify)
        _ = try backend.addWatch(directory: dir.path)
        let waiting = Waiting(backend)
        waiting.start(timeoutMilliseconds: nil)
        try await waiting.waitUntilBlocked()
        backend.waker.wake()
        #expect(try await waiting.waitForResult() == .stopRequested)
        // Stopped for good: the next wait says so at once.
        #expect(try backend.wait(timeoutMilliseconds: nil) == .stopRequested)
    }

    /// With timers pending the wait has a timeout and runs in `poll(2)`: a stop still
    /// ends it at once.
    @Test(.timeLimit(.minutes(1)), arguments: [true, false])
    func stopWakesAWaitWithATimeout(wakeByInotify: Bool) async throws {
        let backend = try InotifyBackend(wakeByInotify: wakeByInotify)
        let waiting = Waiting(backend)
        waiting.start(timeoutMilliseconds: 3_600_000)
        try await waiting.waitUntilBlocked()
        backend.waker.wake()
        #expect(try await waiting.waitForResult() == .stopRequested)
    }

    /// A stop that comes before the wait (between the loop's last look and its read) is
    /// not lost: the record is queued, and the read returns it.
    @Test(.timeLimit(.minutes(1)), arguments: [true, false])
    func stopBeforeTheWaitIsSeen(wakeByInotify: Bool) throws {
        let dir = try TemporaryDirectory()
        let backend = try InotifyBackend(wakeByInotify: wakeByInotify)
        _ = try backend.addWatch(directory: dir.path)
        FS.write(dir.path("before.txt"), "x")
        backend.waker.wake()
        backend.waker.wake()
        #expect(try backend.wait(timeoutMilliseconds: nil) == .stopRequested)
        #expect(try backend.wait(timeoutMilliseconds: 0) == .stopRequested)
    }

    /// Events still come through the blocking read, without the waker's own records;
    /// and a timeout with nothing queued is a timeout, not a stop.
    @Test(.timeLimit(.minutes(1)), arguments: [true, false])
    func eventsAndTimeoutsAreNotStops(wakeByInotify: Bool) throws {
        let dir = try TemporaryDirectory()
        let backend = try InotifyBackend(wakeByInotify: wakeByInotify)
        let watch = try backend.addWatch(directory: dir.path)
        #expect(try backend.wait(timeoutMilliseconds: 0) == .timedOut)
        FS.write(dir.path("a.txt"), "x")
        #expect(try backend.wait(timeoutMilliseconds: nil) == .events)
        var events: [RawEvent] = []
        try backend.readEvents(into: &events)
        #expect(events.first == RawEvent(descriptor: watch, mask: .create, name: "a.txt"))
        #expect(events.allSatisfy { $0.descriptor == watch })
        #expect(try backend.wait(timeoutMilliseconds: 0) == .timedOut)
    }

    /// `stop()` right after the watcher starts, before its thread has even scanned.
    @Test(.timeLimit(.minutes(1)))
    func stopRightAfterStart() async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["a/b.txt": "b", "c.txt": "c"])
        for _ in 0..<20 {
            let events = try EventRecorder(paths: [dir.path])
            events.watcher.stop()
            try await events.expectFinished()
        }
    }

    /// `stop()` once the loop is idle (blocked in its read) ends the watch.
    @Test(.timeLimit(.minutes(1)))
    func stopWhileIdle() async throws {
        let dir = try TemporaryDirectory()
        let events = try EventRecorder(paths: [dir.path])
        try await events.expect([.ready(dir.path)])
        FS.write(dir.path("f.txt"), "x")
        try await events.expect([.add(dir.path("f.txt"))])
        events.watcher.stop()
        try await events.expectFinished()
    }

    /// `stop()` while a timer is pending (a held `unlink`, with an `atomic` window far
    /// longer than the test): the loop waits with a timeout, and stops at once; the
    /// held unlink is reported on the way out.
    @Test(.timeLimit(.minutes(1)))
    func stopWithATimerPending() async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["doc.txt": "v1"])
        var options = WatchOptions()
        options.atomic = .seconds(3600)
        let events = try EventRecorder(paths: [dir.path], options: options)
        try await events.expect([.ready(dir.path)])
        FS.unlink(dir.path("doc.txt"))
        // The cookie (a directory: its addDir is not held) comes after the loop has
        // taken (and held) the unlink.
        #expect(try await events.eventsBeforeCookie(in: dir.path, directoryCookie: true).isEmpty)
        events.watcher.stop()
        try await events.expect([.unlink(dir.path("doc.txt"))])
        try await events.expectFinished()
    }
}
