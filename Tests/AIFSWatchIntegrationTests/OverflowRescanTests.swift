import AIFSCore
import AIFSTestSupport
import Foundation
import SystemPackage
import Synchronization
import Testing

@testable import AIFSWatch

/// A backend that reports nothing by itself: the test drives the loop with `step`,
/// on real files, with no threads (watchman's FakeWatcher).
final class ScriptedBackend: FileWatcherBackend {
    private var next: Int32 = 1
    private(set) var watched: [String] = []

    func addWatch(directory: String) throws(Errno) -> WatchDescriptor {
        defer { next += 1 }
        watched.append(directory)
        return WatchDescriptor(rawValue: next)
    }

    func removeWatch(_ descriptor: WatchDescriptor) {}
    func wait(timeoutMilliseconds: Int?) throws(Errno) -> BackendWake { .stopRequested }
    func read(into batch: inout BackendBatch) throws(Errno) {}
}

@Suite struct OverflowRescanTests {
    private func drain(_ channel: BoundedChannel<WatchEvent>) async throws -> [WatchEvent] {
        channel.finish()
        var events: [WatchEvent] = []
        while let event = try await channel.next() { events.append(event) }
        return events
    }

    /// IN_Q_OVERFLOW: the root is scanned again, the differences against the tree are
    /// reported as ordinary events, then `rescan`.
    @Test func overflowReportsTheDifferencesThenRescan() async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["old.txt": "o", "kept.txt": "k", "gone/inner.txt": "i"])
        let channel = BoundedChannel<WatchEvent>(capacity: 1000)
        let backend = ScriptedBackend()
        var options = WatchOptions()
        options.ignoreInitial = true
        let loop = WatchLoop(
            backend: backend, channel: channel, options: options,
            ignore: IgnoreRules(parsing: [], source: "test"), roots: [.init(path: dir.path, kind: .directory)])
        loop.state.start()
        #expect(try await channel.next()?.kind.name == "ready")

        // Changes the kernel dropped.
        try FileManager.default.removeItem(atPath: dir.path("old.txt"))
        try FileManager.default.removeItem(atPath: dir.path("gone"))
        try dir.tree(["new.txt": "n", "made/deep/f.txt": "f"])
        loop.state.handle([RawEvent(descriptor: WatchDescriptor(rawValue: -1), mask: .queueOverflow)])

        let events = try await drain(channel)
        #expect(events.last?.kind == .rescan)
        let differences = Set(events.dropLast().map { "\($0.kind.name) \($0.path)" })
        #expect(differences == [
            "unlink \(dir.path("old.txt"))", "unlink \(dir.path("gone/inner.txt"))", "unlinkDir \(dir.path("gone"))",
            "add \(dir.path("new.txt"))", "addDir \(dir.path("made"))", "addDir \(dir.path("made/deep"))",
            "add \(dir.path("made/deep/f.txt"))",
        ])
        // New directories got watches, so later events in them are seen.
        #expect(backend.watched.contains(dir.path("made/deep")))
        #expect(loop.state.tree.kind(of: dir.path("kept.txt")) == .file)
        #expect(loop.state.counters.rescans.load(ordering: .relaxed) == 1)
    }

    /// A `movedFrom` whose `movedTo` never comes is a move out of the tree once the
    /// pairing deadline passes; the deadline is checked by the loop, here by `step` +
    /// a second batch, without threads.
    @Test func renameHalvesPairAcrossOneBatch() async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["a.txt": "a"])
        let channel = BoundedChannel<WatchEvent>(capacity: 1000)
        var options = WatchOptions()
        options.ignoreInitial = true
        let loop = WatchLoop(
            backend: ScriptedBackend(), channel: channel, options: options,
            ignore: IgnoreRules(parsing: [], source: "test"), roots: [.init(path: dir.path, kind: .directory)])
        loop.state.start()
        _ = try await channel.next()
        let root = WatchDescriptor(rawValue: 1)
        // The two halves arrive in separate reads.
        loop.state.handle([RawEvent(descriptor: root, mask: .movedFrom, cookie: 7, name: "a.txt")])
        loop.state.handle([RawEvent(descriptor: root, mask: .movedTo, cookie: 7, name: "b.txt")])
        let events = try await drain(channel)
        #expect(events.map(\.kind) == [.rename(from: dir.path("a.txt"))])
        #expect(events.map(\.path) == [dir.path("b.txt")])
    }
}
