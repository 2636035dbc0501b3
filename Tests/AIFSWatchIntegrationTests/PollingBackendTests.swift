import AIFSCore
import AIFSTestSupport
import Foundation
import Glibc
import SystemPackage
import Testing

@testable import AIFSWatch

/// What only the polling backend does, on real files: stopping it, falling back to it
/// at the watch limit, choosing it by file system type and mixing it with inotify in one
/// loop. The scenarios both backends share run on both in `WatcherTests`. Waits have
/// deadlines; nothing sleeps.
@Suite struct PollingBackendTests {
    private func polling(_ interval: Duration = .milliseconds(20)) -> WatchOptions {
        var options = WatchOptions()
        options.usePolling = true
        options.interval = interval
        return options
    }

    /// `stop()` wakes the polling thread at once, even with a long interval.
    @Test(.timeLimit(.minutes(1)))
    func stopIsNotDelayedByTheInterval() async throws {
        let dir = try TemporaryDirectory()
        let events = try EventRecorder(paths: [dir.path], options: polling(.seconds(3600)))
        try await events.expect([.ready(dir.path)])
        events.watcher.stop()
        try await events.expectFinished(within: .seconds(30))  // far below the interval; a loaded machine may need seconds
    }

    /// A directory past the kernel's watch limit is one `error` naming the limit and how
    /// to raise it, then it is polled instead: its changes are still reported, watching
    /// goes on elsewhere, and the stats say so.
    @Test(.timeLimit(.minutes(1)))
    func watchLimitFallsBackToPolling() async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["ok/": "", "huge/inner.txt": ""])
        var options = WatchOptions()
        options.interval = .milliseconds(20)
        let huge = dir.path("huge")
        let events = try EventRecorder(
            paths: [dir.path], options: options, environment: .failingWatches { path in path == huge ? Errno.noSpace : nil })
        let seen = try await events.expect([.error(huge), .add(dir.path("huge/inner.txt")), .ready(dir.path)])
        let message = seen.compactMap { event -> String? in
            if case .error(let message) = event.kind { return message }
            return nil
        }.first ?? ""
        #expect(message.contains("fs.inotify.max_user_watches"))
        #expect(message.contains("sysctl fs.inotify.max_user_watches=524288"))
        #expect(message.contains("polled"))
        FS.write(dir.path("huge/polled.txt"), "p")
        try await events.expect([.add(dir.path("huge/polled.txt"))])
        FS.write(dir.path("ok/still.txt"), "")
        try await events.expect([.add(dir.path("ok/still.txt"))])
        let stats = events.watcher.stats
        #expect(stats.fallbackDirectories == 1)
        #expect(stats.polledDirectories == 1)
        #expect(stats.watches == 2)
        #expect(stats.backends == [dir.path: "inotify"])
    }

    /// A root on a network file system is polled, and the reason names it (the
    /// `statfs` type is forced: the test machine has no NFS mount).
    @Test(.timeLimit(.minutes(1)))
    func networkFileSystemRootIsPolled() async throws {
        let dir = try TemporaryDirectory()
        var options = WatchOptions()
        options.interval = .milliseconds(20)
        let events = try EventRecorder(paths: [dir.path], options: options, environment: .fileSystemTypes { _ in 0x6969 })
        try await events.expect([.ready(dir.path)])
        #expect(events.watcher.stats.backends == [dir.path: "polling"])
        #expect(events.watcher.stats.reasons[dir.path]?.contains("NFS") == true)
        FS.write(dir.path("n.txt"), "n")
        try await events.expect([.add(dir.path("n.txt"))])
    }

    /// One watcher, two roots: a local one on inotify and a "network" one polled, in
    /// the same loop (the routing backend).
    @Test(.timeLimit(.minutes(1)))
    func mixedRootsUseTheirOwnBackends() async throws {
        let dir = try TemporaryDirectory()
        let local = try dir.directory("local")
        let remote = try dir.directory("remote")
        try dir.file("remote/r.txt", "r")
        var options = WatchOptions()
        options.interval = .milliseconds(20)
        let events = try EventRecorder(
            paths: [local, remote], options: options, environment: .fileSystemTypes { path in path == remote ? 0xFF53_4D42 : nil })
        let seen = try await events.expect([.add(remote + "/r.txt"), .ready(local)])
        guard case .ready(let backends, let watches)? = seen.last?.kind else {
            Issue.record("no ready")
            return
        }
        #expect(backends == [local: "inotify", remote: "polling"])
        #expect(watches == 1)
        #expect(events.watcher.stats.reasons[remote]?.contains("CIFS") == true)
        #expect(events.watcher.stats.polledDirectories == 1)
        FS.write(remote + "/new.txt", "n")
        FS.write(local + "/new.txt", "n")
        try await events.expect([.add(remote + "/new.txt"), .add(local + "/new.txt")])
        FS.rename(remote + "/r.txt", remote + "/s.txt")
        try await events.expect([.rename(remote + "/r.txt", remote + "/s.txt")])
        FS.unlink(local + "/new.txt")
        try await events.expect([.unlink(local + "/new.txt")])
        events.watcher.stop()
        try await events.expectFinished()
    }

    @Test func selectorClassifiesFileSystemTypes() {
        #expect(BackendSelector.choose(fileSystemType: 0xEF53, usePolling: false).backend == "inotify")  // ext4
        #expect(BackendSelector.choose(fileSystemType: 0x0102_1994, usePolling: false).backend == "inotify")  // tmpfs
        #expect(BackendSelector.choose(fileSystemType: 0x9123_683E, usePolling: false).backend == "inotify")  // btrfs
        #expect(BackendSelector.choose(fileSystemType: 0x794C_7630, usePolling: false).backend == "inotify")  // overlayfs
        for (type, name) in [(0x6969, "NFS"), (0xFF53_4D42, "CIFS"), (0xFE53_4D42, "SMB2"), (0x517B, "SMB"),
                             (0x0102_1997, "9P"), (0x6573_5546, "FUSE")] as [(Int64, String)] {
            let choice = BackendSelector.choose(fileSystemType: type, usePolling: false)
            #expect(choice.backend == "polling")
            #expect(choice.reason.contains(name))
        }
        #expect(BackendSelector.choose(fileSystemType: 0xEF53, usePolling: true) == BackendChoice(backend: "polling", reason: "usePolling is set"))
        #expect(BackendSelector.choose(fileSystemType: nil, usePolling: false).backend == "inotify")
        #expect(BackendSelector.choose(fileSystemType: 0xEF53, usePolling: false, inotifyAvailable: false).backend == "polling")
        #expect(BackendSelector.choose(fileSystemType: 0xEF53, usePolling: false).reason == "local file system (f_type 0xef53)")
    }
}
