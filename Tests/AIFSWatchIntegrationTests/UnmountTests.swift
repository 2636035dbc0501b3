import AIFSCore
import AIFSTestSupport
import Foundation
import Synchronization
import Testing

@testable import AIFSWatch

/// `IN_UNMOUNT` records driven through the loop by hand on real files: the test
/// changes the disk as an unmount would (what was on the file system goes, what was
/// underneath shows), then hands the loop the kernel's records. The real unmounts run
/// in `WatchUnmountTests` (end to end, in a mount namespace of their own).
///
/// Issue 15 (defect 8): an unmount inside the tree was ignored, and the watcher went
/// blind there.
@Suite struct UnmountTests {
    private func drain(_ channel: BoundedChannel<WatchEvent>) async throws -> [String] {
        channel.finish()
        var lines: [String] = []
        while let event = try await channel.next() {
            switch event.kind {
            case .error: lines.append("error \(event.path)")
            default: lines.append("\(event.kind.name) \(event.path)")
            }
        }
        return lines
    }

    private func startedLoop(
        _ root: String, kind: EntryKind = .directory, channel: BoundedChannel<WatchEvent>, backend: ScriptedBackend
    ) async throws -> WatchLoop {
        var options = WatchOptions()
        options.ignoreInitial = true
        options.atomic = nil
        let loop = WatchLoop(
            backend: backend, channel: channel, options: options,
            ignore: IgnoreRules(parsing: [], source: "test"), roots: [.init(path: root, kind: kind)])
        loop.state.start()
        #expect(try await channel.next()?.kind.name == "ready")
        return loop
    }

    private func unmount(_ descriptors: Int32...) -> [RawEvent] {
        descriptors.flatMap {
            [
                RawEvent(descriptor: WatchDescriptor(rawValue: $0), mask: .unmount),
                RawEvent(descriptor: WatchDescriptor(rawValue: $0), mask: .ignored),
            ]
        }
    }

    /// The mount point `m` inside the root: its old entries are reported gone, the
    /// directory underneath is watched again and its entries reported new. The records
    /// come children first, as the kernel usually sends them.
    @Test func issue15_unmountInsideTheTreeReportsBothSides() async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["kept.txt": "k", "m/same.txt": "on the mount", "m/sub/deep.txt": "d"])
        let channel = BoundedChannel<WatchEvent>(capacity: 1000)
        let backend = ScriptedBackend()
        let loop = try await startedLoop(dir.path, channel: channel, backend: backend)
        #expect(backend.watched == [dir.path, dir.path("m"), dir.path("m/sub")])  // descriptors 1, 2, 3

        // The unmount: the tmpfs's entries go, the directory underneath has its own
        // (a same.txt too: another file).
        try FileManager.default.removeItem(atPath: dir.path("m"))
        try dir.tree(["m/same.txt": "underneath", "m/under/u.txt": "u"])
        loop.state.handle(unmount(3, 2))

        #expect(
            try await drain(channel) == [
                "unlink \(dir.path("m/same.txt"))", "unlink \(dir.path("m/sub/deep.txt"))", "unlinkDir \(dir.path("m/sub"))",
                "add \(dir.path("m/same.txt"))", "addDir \(dir.path("m/under"))", "add \(dir.path("m/under/u.txt"))",
            ])
        #expect(Array(backend.watched.dropFirst(3)) == [dir.path("m"), dir.path("m/under")])
        #expect(loop.state.roots.count == 1)
        #expect(loop.state.tree.kind(of: dir.path("m/sub")) == nil)
        #expect(loop.state.tree.kind(of: dir.path("kept.txt")) == .file)
    }

    /// The records split over two reads, the subdirectory's first: it is handled alone
    /// (gone), then the mount point; the tree ends right.
    @Test func issue15_unmountRecordsInTwoBatches() async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["m/sub/deep.txt": "d"])
        let channel = BoundedChannel<WatchEvent>(capacity: 1000)
        let backend = ScriptedBackend()
        let loop = try await startedLoop(dir.path, channel: channel, backend: backend)
        try FileManager.default.removeItem(atPath: dir.path("m/sub"))
        try dir.tree(["m/under.txt": "u"])
        loop.state.handle(unmount(3))
        loop.state.handle(unmount(2))
        #expect(
            try await drain(channel) == [
                "unlink \(dir.path("m/sub/deep.txt"))", "unlinkDir \(dir.path("m/sub"))", "add \(dir.path("m/under.txt"))",
            ])
    }

    /// The root is the mount point and still exists: rescanned, not ended.
    @Test func issue15_rootThatWasTheMountPointIsRescanned() async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["on-mount.txt": "o"])
        let channel = BoundedChannel<WatchEvent>(capacity: 1000)
        let backend = ScriptedBackend()
        let loop = try await startedLoop(dir.path, channel: channel, backend: backend)
        try FileManager.default.removeItem(atPath: dir.path("on-mount.txt"))
        try dir.tree(["under.txt": "u"])
        loop.state.handle(unmount(1))
        #expect(try await drain(channel) == ["unlink \(dir.path("on-mount.txt"))", "add \(dir.path("under.txt"))"])
        #expect(loop.state.roots.count == 1)
        #expect(backend.watched == [dir.path, dir.path])
        #expect(loop.state.counters.lostRoots.load(ordering: .relaxed) == 0)
    }

    /// The root was on the unmounted file system and is gone: its entries are reported
    /// gone, then an `error`, and the watch of it ends.
    @Test func issue15_rootGoneWithItsFileSystemEndsWithAnError() async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["root/a.txt": "a"])
        let root = dir.path("root")
        let channel = BoundedChannel<WatchEvent>(capacity: 1000)
        let loop = try await startedLoop(root, channel: channel, backend: ScriptedBackend())
        try FileManager.default.removeItem(atPath: root)
        loop.state.handle(unmount(1))
        #expect(try await drain(channel) == ["unlink \(root)/a.txt", "unlinkDir \(root)", "error \(root)"])
        #expect(loop.state.roots.isEmpty)
        #expect(loop.state.counters.lostRoots.load(ordering: .relaxed) == 1)
    }

    /// A single-file root whose directory was the mount point: the old file is gone,
    /// the one underneath is another file.
    @Test func issue15_fileRootInTheUnmountedDirectory() async throws {
        let dir = try TemporaryDirectory()
        let file = try dir.file("f.txt", "on the mount")
        let channel = BoundedChannel<WatchEvent>(capacity: 1000)
        let backend = ScriptedBackend()
        let loop = try await startedLoop(file, kind: .file, channel: channel, backend: backend)
        try dir.file("f.txt", "underneath")
        loop.state.handle(unmount(1))
        #expect(try await drain(channel) == ["unlink \(file)", "add \(file)"])
        #expect(backend.watched == [dir.path, dir.path])
        #expect(loop.state.roots.count == 1)
    }
}
