import AIFSCore
import AIFSTestSupport
import Foundation
import Glibc
import SystemPackage
import Synchronization
import Testing

@testable import AIFSWatch

/// `followSymlinks`, `alwaysStat`, `gitignore` and permission errors on real inotify
/// (issue #4).
@Suite struct WatchOptionsTests {
    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func followSymlinksEntersALinkedDirectory(usePolling: Bool) async throws {
        let dir = try TemporaryDirectory()
        let outside = try TemporaryDirectory()
        try outside.tree(["lib/a.txt": "a"])
        try dir.symlink("link", to: outside.path("lib"))
        try dir.symlink("loop", to: dir.path)
        var options = WatchOptions()
        options.followSymlinks = true
        options.usePolling = usePolling
        options.interval = .milliseconds(20)
        let events = try EventRecorder(paths: [dir.path], options: options)
        let initial = try await events.expect([.addDir(dir.path("link")), .add(dir.path("link/a.txt")), .ready(dir.path)])
        // A link back into the tree is reported, not entered.
        #expect(initial.contains { $0.kind == .add && $0.path == dir.path("loop") })
        #expect(!initial.contains { $0.path.hasPrefix(dir.path("loop/")) })
        // Changes inside the target come under the link's path.
        FS.write(outside.path("lib/b.txt"), "b")
        try await events.expect([.add(dir.path("link/b.txt"))])
        // A link made while watching is followed too.
        try outside.directory("more")
        try outside.file("more/m.txt", "m")
        try dir.symlink("later", to: outside.path("more"))
        try await events.expect([.addDir(dir.path("later")), .add(dir.path("later/m.txt"))])
        // Removing the link ends its watch: the target's changes are silent.
        FS.unlink(dir.path("link"))
        try await events.expect([.unlink(dir.path("link/a.txt")), .unlinkDir(dir.path("link"))])
        FS.write(outside.path("lib/c.txt"), "c")
        let quiet = usePolling
            ? try await events.quietPolling(in: dir.path) : try await events.eventsBeforeCookie(in: dir.path)
        #expect(quiet.isEmpty)
    }

    @Test(.timeLimit(.minutes(1)))
    func withoutFollowSymlinksALinkIsAFile() async throws {
        let dir = try TemporaryDirectory()
        let outside = try TemporaryDirectory()
        try outside.tree(["lib/a.txt": "a"])
        try dir.symlink("link", to: outside.path("lib"))
        let events = try EventRecorder(paths: [dir.path])
        let initial = try await events.expect([.add(dir.path("link")), .ready(dir.path)])
        #expect(!initial.contains { $0.path.hasPrefix(dir.path("link/")) })
    }

    @Test(.timeLimit(.minutes(1)))
    func alwaysStatAttachesTheFileIdentity() async throws {
        let dir = try TemporaryDirectory()
        var options = WatchOptions()
        options.alwaysStat = true
        let events = try EventRecorder(paths: [dir.path], options: options)
        let initial = try await events.expect([.addDir(dir.path), .ready(dir.path)])
        #expect(initial.first?.stat?.kind == .directory)
        FS.write(dir.path("f.txt"), "12345")
        // The `add` is reported at creation, before the write: its size is not asserted.
        let added = try await events.expect([.add(dir.path("f.txt"))])
        #expect(added.last?.stat?.kind == .regular)
        #expect((added.last?.stat?.inode ?? 0) != 0)
        FS.write(dir.path("f.txt"), "678", append: true)
        let changed = try await events.expect([.change(dir.path("f.txt"))])
        #expect(changed.last?.stat?.size == 8)
        FS.unlink(dir.path("f.txt"))
        let removed = try await events.expect([.unlink(dir.path("f.txt"))])
        #expect(removed.last?.stat == nil)
    }

    /// Under polling too: a poll that finds `.gitignore` changed reads it again.
    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func gitignoreFilesApplyWhenAskedFor(usePolling: Bool) async throws {
        let dir = try TemporaryDirectory()
        try dir.tree([
            ".gitignore": "*.log\nbuild/\n", "sub/.gitignore": "*.tmp\n!keep.log\n", "a.txt": "", "x.log": "",
            "build/out.o": "", "sub/s.tmp": "", "sub/keep.log": "", ".git/HEAD": "",
        ])
        var options = WatchOptions()
        options.gitignore = true
        options.usePolling = usePolling
        options.interval = .milliseconds(20)
        let events = try EventRecorder(paths: [dir.path], options: options)
        // Under polling, a write can be seen half done: a `.gitignore` may change twice.
        func quiet() async throws -> [WatchEvent] {
            let seen = usePolling
                ? try await events.quietPolling(in: dir.path) : try await events.eventsBeforeCookie(in: dir.path)
            return seen.filter { $0.path != dir.path(".gitignore") }
        }
        let initial = try await events.expect([.ready(dir.path)])
        #expect(Set(initial.map(\.path)) == [
            dir.path, dir.path(".gitignore"), dir.path("a.txt"), dir.path("sub"), dir.path("sub/.gitignore"),
            dir.path("sub/keep.log"),
        ])
        FS.write(dir.path("y.log"), "")
        FS.write(dir.path("sub/t.tmp"), "")
        FS.write(dir.path("sub/keep.log"), "more", append: true)
        try await events.expect([.change(dir.path("sub/keep.log"))])
        #expect(try await quiet().isEmpty)
        // A changed .gitignore applies to later events.
        FS.write(dir.path(".gitignore"), "*.txt\n")
        try await events.expect([.change(dir.path(".gitignore"))])
        FS.write(dir.path("b.txt"), "")
        FS.write(dir.path("z.log"), "")
        try await events.expect([.add(dir.path("z.log"))])
        #expect(try await quiet().isEmpty)
    }

    @Test(.timeLimit(.minutes(1)))
    func withoutGitignoreItsRulesDoNotApply() async throws {
        let dir = try TemporaryDirectory()
        try dir.tree([".gitignore": "*.log\n", "x.log": ""])
        let events = try EventRecorder(paths: [dir.path])
        try await events.expect([.add(dir.path("x.log")), .ready(dir.path)])
    }

    /// A directory that may not be read: an `error` event names it, and watching goes
    /// on for the rest (the permission error is injected, so the test also runs as root).
    @Test(.timeLimit(.minutes(1)))
    func permissionDeniedIsAnErrorEventAndWatchingGoesOn() async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["locked/secret.txt": "", "open/": ""])
        let locked = dir.path("locked")
        let events = try EventRecorder(
            paths: [dir.path], environment: .failingWatches { path in path == locked ? Errno.permissionDenied : nil })
        let seen = try await events.expect([.error(locked), .ready(dir.path)])
        let message = seen.compactMap { event -> String? in
            if case .error(let message) = event.kind { return message }
            return nil
        }.first ?? ""
        #expect(message.contains(locked))
        #expect(message.contains("permission denied"))
        FS.write(dir.path("open/fine.txt"), "")
        try await events.expect([.add(dir.path("open/fine.txt"))])
    }

    @Test(.timeLimit(.minutes(1)), .enabled(if: getuid() != 0, "root reads every directory"))
    func unreadableDirectoryIsAnErrorEvent() async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["locked/secret.txt": "", "open/": ""])
        chmod(dir.path("locked"), 0)
        let events = try EventRecorder(paths: [dir.path])
        try await events.expect([.error(dir.path("locked")), .ready(dir.path)])
        FS.write(dir.path("open/fine.txt"), "")
        try await events.expect([.add(dir.path("open/fine.txt"))])
    }
}

/// `Watcher(paths:options:handler:)`: events on the watch thread, `events` only ends.
@Suite struct WatchHandlerTests {
    @Test(.timeLimit(.minutes(1)))
    func handlerGetsEventsAndReturningFalseStops() async throws {
        let dir = try TemporaryDirectory()
        let seen = Mutex<[WatchEvent]>([])
        let stopAt = dir.path("stop.txt")
        let watcher = try Watcher(paths: [dir.path]) { event in
            seen.withLock { $0.append(event) }
            return event.path != stopAt
        }
        func waitFor(_ predicate: ([WatchEvent]) -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while !seen.withLock({ predicate($0) }) {
                if ContinuousClock.now > deadline { throw ExpectationTimeout(description: "\(seen.withLock { $0 })") }
                try await Task.sleep(for: .milliseconds(2))
            }
        }
        try await waitFor { $0.contains { $0.kind.name == "ready" } }
        FS.write(dir.path("a.txt"), "a")
        try await waitFor { $0.contains { $0.kind == .add && $0.path == dir.path("a.txt") } }
        FS.write(stopAt, "")
        // The handler said stop: the watch ends, and `events` with it, empty.
        var count = 0
        for await _ in watcher.events { count += 1 }
        #expect(count == 0)
        #expect(seen.withLock { $0.last?.path } == stopAt)
    }
}
