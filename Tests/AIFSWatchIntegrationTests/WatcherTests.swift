import AIFSTestSupport
import Foundation
import Glibc
import SystemPackage
import Testing

@testable import AIFSWatch

/// Every scenario on real files in temporary directories, on both backends: real
/// inotify (`usePolling: false`) and the polling backend with a short interval
/// (`usePolling: true`), through the same watch loop. Every test waits with a
/// deadline, never sleeps. Polling-only tests are in `PollingBackendTests`.
@Suite struct WatcherTests {
    /// The default options, or polling every 20 ms.
    static func options(usePolling: Bool) -> WatchOptions {
        var options = WatchOptions()
        options.usePolling = usePolling
        options.interval = .milliseconds(20)
        return options
    }

    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func initialScanReportsEverythingThenReady(usePolling: Bool) async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["a/b.txt": "b", "c.txt": "c", "empty/": ""])
        let events = try EventRecorder(paths: [dir.path], options: Self.options(usePolling: usePolling))
        let seen = try await events.expect([
            .addDir(dir.path), .addDir(dir.path("a")), .add(dir.path("a/b.txt")), .add(dir.path("c.txt")),
            .addDir(dir.path("empty")), .ready(dir.path),
        ])
        // `ready` comes after the whole initial scan.
        #expect(seen.last?.kind.name == "ready")
        #expect(seen.count == 6)
        guard case .ready(let backends, let watches)? = seen.last?.kind else { return }
        let backend = usePolling ? "polling" : "inotify"
        #expect(backends == [dir.path: backend])
        // Kernel watches only: polled directories are counted apart.
        #expect(watches == (usePolling ? 0 : 3))
        let stats = events.watcher.stats
        #expect(stats.watches == (usePolling ? 0 : 3))
        #expect(stats.polledDirectories == (usePolling ? 3 : 0))
        #expect(stats.events >= 6)
        #expect(stats.rescans == 0)
        #expect(stats.backends == [dir.path: backend])
        if usePolling { #expect(stats.reasons[dir.path] == "usePolling is set") }
    }

    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func ignoreInitialReportsOnlyReadyAndLaterChanges(usePolling: Bool) async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["a/b.txt": "b", "c.txt": "c"])
        var options = Self.options(usePolling: usePolling)
        options.ignoreInitial = true
        let events = try EventRecorder(paths: [dir.path], options: options)
        let seen = try await events.expect([.ready(dir.path)])
        #expect(seen.count == 1)
        FS.write(dir.path("a/new.txt"), "n")
        try await events.expect([.add(dir.path("a/new.txt"))])
    }

    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func createModifyDelete(usePolling: Bool) async throws {
        let dir = try TemporaryDirectory()
        let events = try EventRecorder(paths: [dir.path], options: Self.options(usePolling: usePolling))
        try await events.expect([.ready(dir.path)])
        let file = dir.path("f.txt")
        FS.write(file, "one")
        // One write+close burst on a new file is one `add`, no `change`.
        #expect(try await events.expect([.add(file)]).count == 1)
        FS.write(file, " two", append: true)
        try await events.expect([.change(file)])
        FS.unlink(file)
        try await events.expect([.unlink(file)])
        #expect(try await events.quiet(in: dir.path, usePolling: usePolling).isEmpty)
    }

    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func mkdirPWithFilesWrittenAtOnceAreAllReported(usePolling: Bool) async throws {
        let dir = try TemporaryDirectory()
        let events = try EventRecorder(paths: [dir.path], options: Self.options(usePolling: usePolling))
        try await events.expect([.ready(dir.path)])
        // No pause between creating a directory and writing into it: the files made
        // before its watch exists are found by the scan that follows the watch.
        try FileManager.default.createDirectory(atPath: dir.path("a/b/c"), withIntermediateDirectories: true)
        FS.write(dir.path("a/1.txt"), "1")
        FS.write(dir.path("a/b/2.txt"), "2")
        FS.write(dir.path("a/b/c/3.txt"), "3")
        let seen = try await events.expect([
            .addDir(dir.path("a")), .addDir(dir.path("a/b")), .addDir(dir.path("a/b/c")),
            .add(dir.path("a/1.txt")), .add(dir.path("a/b/2.txt")), .add(dir.path("a/b/c/3.txt")),
        ])
        // Each entry is reported once, however the scan and the watch events overlap.
        let adds = seen.filter { $0.kind == .add || $0.kind == .addDir }
        #expect(Set(adds.map(\.path)).count == adds.count)
        // The new directories are watched too.
        FS.write(dir.path("a/b/c/4.txt"), "4")
        try await events.expect([.add(dir.path("a/b/c/4.txt"))])
    }

    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func directoryMovedInAndOut(usePolling: Bool) async throws {
        let dir = try TemporaryDirectory()
        let outside = try TemporaryDirectory()
        try outside.tree(["pkg/x.txt": "x", "pkg/sub/y.txt": "y"])
        let events = try EventRecorder(paths: [dir.path], options: Self.options(usePolling: usePolling))
        try await events.expect([.ready(dir.path)])

        FS.rename(outside.path("pkg"), dir.path("pkg"))
        try await events.expect([
            .addDir(dir.path("pkg")), .add(dir.path("pkg/x.txt")), .addDir(dir.path("pkg/sub")),
            .add(dir.path("pkg/sub/y.txt")),
        ])
        // The moved-in directory is watched: a new file inside is reported.
        FS.write(dir.path("pkg/sub/z.txt"), "z")
        try await events.expect([.add(dir.path("pkg/sub/z.txt"))])

        FS.rename(dir.path("pkg"), outside.path("gone"))
        try await events.expect([
            .unlink(dir.path("pkg/x.txt")), .unlink(dir.path("pkg/sub/y.txt")), .unlink(dir.path("pkg/sub/z.txt")),
            .unlinkDir(dir.path("pkg/sub")), .unlinkDir(dir.path("pkg")),
        ])
        // Its watches are gone: writing in the old directory, now outside, is silent.
        FS.write(outside.path("gone/sub/late.txt"), "late")
        #expect(try await events.quiet(in: dir.path, usePolling: usePolling).isEmpty)
        if usePolling { #expect(events.watcher.stats.polledDirectories == 1) }
    }

    /// Under polling, renames are paired by inode between two polls.
    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func renameInsideIsOneRenameEvent(usePolling: Bool) async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["old.txt": "o", "d/inner.txt": "i", "other/": ""])
        let events = try EventRecorder(paths: [dir.path], options: Self.options(usePolling: usePolling))
        try await events.expect([.ready(dir.path)])

        FS.rename(dir.path("old.txt"), dir.path("new.txt"))
        #expect(try await events.expect([.rename(dir.path("old.txt"), dir.path("new.txt"))]).count == 1)
        // Into another watched directory.
        FS.rename(dir.path("new.txt"), dir.path("other/moved.txt"))
        #expect(try await events.expect([.rename(dir.path("new.txt"), dir.path("other/moved.txt"))]).count == 1)

        // A directory rename is one event; its contents move with it and stay watched.
        FS.rename(dir.path("d"), dir.path("e"))
        #expect(try await events.expect([.rename(dir.path("d"), dir.path("e"))]).count == 1)
        FS.write(dir.path("e/more.txt"), "m")
        try await events.expect([.add(dir.path("e/more.txt"))])
        FS.unlink(dir.path("e/inner.txt"))
        try await events.expect([.unlink(dir.path("e/inner.txt"))])
        #expect(try await events.quiet(in: dir.path, usePolling: usePolling).isEmpty)
    }

    /// `rename(2)` of a directory over an existing empty directory replaces it: the
    /// target is reported gone (`unlinkDir`), then the rename, in that order; the moved
    /// directory's contents come along and it stays watched. A consumer that missed the
    /// `unlinkDir` would hold the target's identity for the new directory (issue 15,
    /// a gap the mutation tests found: dropping the `unlinkDir` failed no test).
    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func issue15_directoryRenamedOverAnEmptyDirectory(usePolling: Bool) async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["a/inner.txt": "i", "b/": ""])
        let events = try EventRecorder(paths: [dir.path], options: Self.options(usePolling: usePolling))
        try await events.expect([.ready(dir.path)])

        FS.rename(dir.path("a"), dir.path("b"))
        let seen = try await events.expect([.unlinkDir(dir.path("b")), .rename(dir.path("a"), dir.path("b"))])
        #expect(seen.map(\.description) == ["unlinkDir \(dir.path("b"))", "rename \(dir.path("a")) -> \(dir.path("b"))"])
        FS.write(dir.path("b/more.txt"), "m")
        try await events.expect([.add(dir.path("b/more.txt"))])
        FS.unlink(dir.path("b/inner.txt"))
        try await events.expect([.unlink(dir.path("b/inner.txt"))])
        #expect(try await events.quiet(in: dir.path, usePolling: usePolling).isEmpty)
    }

    /// An editor's atomic save: write a temporary file, rename it over the target.
    /// chokidar (with its default `atomic`) shows `change target`, and so does aifs:
    /// the temporary file's `add` is held for the atomic window and folds into the
    /// rename, which replaced a known file. Under polling, a save within one poll
    /// is seen as the target's inode changing: `change target`. Never an `unlink`.
    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func atomicSave(usePolling: Bool) async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["doc.txt": "v1"])
        let events = try EventRecorder(paths: [dir.path], options: Self.options(usePolling: usePolling))
        try await events.expect([.ready(dir.path)])
        let (doc, swp) = (dir.path("doc.txt"), dir.path("doc.txt.swp"))
        FS.write(swp, "v2")
        FS.rename(swp, doc)
        if usePolling {
            let seen = try await events.quiet(in: dir.path, usePolling: true)
            let docEvents = seen.filter { $0.path == doc }
            #expect(docEvents.count == 1)
            #expect(docEvents.first.map { $0.kind == .change || $0.kind == .rename(from: swp) } == true)
            #expect(!seen.contains { $0.kind == .unlink })
        } else {
            // Issue 19: the temporary file lived less than the atomic window, so its add
            // and its move fold into a change of the target.
            let seen = try await events.expect([.change(doc)])
            #expect(!seen.contains { $0.path == swp }, "\(seen)")
            #expect(!seen.contains { $0.kind == .unlink })
            #expect(try await events.eventsBeforeCookie(in: dir.path).isEmpty)
        }
    }

    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func atomicSaveFromIgnoredTemporaryFileIsAChange(usePolling: Bool) async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["doc.txt": "v1"])
        var options = Self.options(usePolling: usePolling)
        options.ignored = ["*.swp"]
        let events = try EventRecorder(paths: [dir.path], options: options)
        try await events.expect([.ready(dir.path)])
        FS.write(dir.path("doc.txt.swp"), "v2")
        FS.rename(dir.path("doc.txt.swp"), dir.path("doc.txt"))
        #expect(try await events.expect([.change(dir.path("doc.txt"))]).count == 1)
        #expect(try await events.quiet(in: dir.path, usePolling: usePolling).isEmpty)
    }

    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func removingATreeReportsEveryEntry(usePolling: Bool) async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["t/a.txt": "a", "t/u/b.txt": "b", "t/u/v/": ""])
        let events = try EventRecorder(paths: [dir.path], options: Self.options(usePolling: usePolling))
        try await events.expect([.ready(dir.path)])
        try FS.removeTree(dir.path("t"))
        try await events.expect([
            .unlink(dir.path("t/a.txt")), .unlink(dir.path("t/u/b.txt")), .unlinkDir(dir.path("t/u/v")),
            .unlinkDir(dir.path("t/u")), .unlinkDir(dir.path("t")),
        ])
        #expect(try await events.quiet(in: dir.path, usePolling: usePolling).isEmpty)
    }

    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func ignoredPathsStaySilent(usePolling: Bool) async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["build/old.o": "", "keep.txt": "k", "x.log": ""])
        var options = Self.options(usePolling: usePolling)
        options.ignored = ["*.log", "build/"]
        let events = try EventRecorder(paths: [dir.path], options: options)
        let initial = try await events.expect([.ready(dir.path)])
        #expect(Set(initial.map(\.path)) == [dir.path, dir.path("keep.txt")])
        FS.write(dir.path("y.log"), "y")
        FS.write(dir.path("build/new.o"), "o")
        FS.mkdir(dir.path("sub"))
        try await events.expect([.addDir(dir.path("sub"))])
        FS.write(dir.path("sub/deep.log"), "d")
        FS.write(dir.path("x.log"), "more", append: true)
        #expect(try await events.quiet(in: dir.path, usePolling: usePolling).isEmpty)
    }

    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func depthLimitsWhatIsReportedAndWatched(usePolling: Bool) async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["a/x.txt": "", "a/b/y.txt": "", "top.txt": ""])
        var options = Self.options(usePolling: usePolling)
        options.depth = 1
        let events = try EventRecorder(paths: [dir.path], options: options)
        let initial = try await events.expect([.ready(dir.path)])
        #expect(Set(initial.map(\.path)) == [
            dir.path, dir.path("top.txt"), dir.path("a"), dir.path("a/x.txt"), dir.path("a/b"),
        ])
        FS.write(dir.path("a/b/deeper.txt"), "")
        FS.write(dir.path("a/new.txt"), "")
        try await events.expect([.add(dir.path("a/new.txt"))])
        #expect(try await events.quiet(in: dir.path, usePolling: usePolling).isEmpty)
    }

    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func removedRootEndsWithUnlinkDirAndTheStreamFinishes(usePolling: Bool) async throws {
        let dir = try TemporaryDirectory()
        let root = try dir.directory("root")
        try dir.file("root/f.txt", "f")
        let events = try EventRecorder(paths: [root], options: Self.options(usePolling: usePolling))
        try await events.expect([.ready(root)])
        try FS.removeTree(root)
        try await events.expect([.unlink(root + "/f.txt"), .unlinkDir(root)])
        try await events.expectFinished()
        #expect(events.all.last?.kind == .unlinkDir)
    }

    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func singleFileIsWatchedThroughItsDirectory(usePolling: Bool) async throws {
        let dir = try TemporaryDirectory()
        let file = try dir.file("watched.txt", "1")
        let events = try EventRecorder(paths: [file], options: Self.options(usePolling: usePolling))
        try await events.expect([.add(file), .ready(file)])
        // Sibling first: events of one descriptor are in order, so if the sibling were
        // reported, it would come before the change.
        FS.write(dir.path("sibling.txt"), "s")
        FS.write(file, "2", append: true)
        let seen = try await events.expect([.change(file)])
        #expect(seen.count == 1)
        FS.unlink(file)
        try await events.expect([.unlink(file)])
        FS.write(file, "again")
        try await events.expect([.add(file)])
        #expect(!events.all.contains { $0.path == dir.path("sibling.txt") })
    }

    /// A burst of creations: every file is reported once (if the kernel queue overflowed,
    /// the rescan reports the rest), and nothing arrives twice.
    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func burstOfCreationsLosesNothing(usePolling: Bool) async throws {
        let dir = try TemporaryDirectory()
        let events = try EventRecorder(paths: [dir.path], options: Self.options(usePolling: usePolling))
        try await events.expect([.ready(dir.path)])
        let paths = (0..<2000).map { dir.path("burst-\($0).txt") }
        for path in paths { FS.write(path, "b") }
        let seen = try await events.quiet(in: dir.path, usePolling: usePolling, within: .seconds(30))
        let adds = seen.filter { $0.kind == .add }.map(\.path)
        #expect(adds.count == paths.count)
        #expect(Set(adds) == Set(paths))
    }

    @Test func missingPathThrowsNotFound() throws {
        let dir = try TemporaryDirectory()
        #expect(throws: WatchError.self) { try Watcher(paths: [dir.path("nope")]) }
        do {
            _ = try Watcher(paths: [dir.path("nope")])
        } catch {
            #expect(error.code == .notFound)
            #expect(error.message.contains("nope"))
        }
    }

    @Test func watchLimitMessageNamesTheLimitItsValueAndTheFix() {
        let message = WatchError.watchLimitMessage(path: "/src", currentLimit: 8192)
        #expect(message.contains("'/src'"))
        #expect(message.contains("fs.inotify.max_user_watches is 8192"))
        #expect(message.contains("sudo sysctl fs.inotify.max_user_watches=524288"))
        #expect(WatchError.watchLimitMessage(path: "/src", currentLimit: nil).contains("could not be read"))
        let error = WatchError.from(.noSpace, operation: "watch", path: "/src", watchLimits: { (8192, 8192) })
        #expect(error.code == .watchLimitReached)
        #expect(error.underlying == .noSpace)
        #expect(error.message == message)
        // In a container's user namespace with a lower limit, that one is named.
        let inNamespace = WatchError.watchLimitMessage(path: "/src", currentLimit: 8192, namespaceLimit: 100)
        #expect(inNamespace.contains("user.max_inotify_watches is 100 in this user namespace"))
        #expect(inNamespace.contains("host's fs.inotify.max_user_watches of 8192"))
        #expect(WatchError.watchLimitMessage(path: "/src", currentLimit: 8192, namespaceLimit: 9000) == message)
    }

    @Test func invalidIgnoreGlobThrows() throws {
        let dir = try TemporaryDirectory()
        var options = WatchOptions()
        options.ignored = ["[unclosed"]
        #expect(throws: WatchError.self) { try Watcher(paths: [dir.path], options: options) }
    }
}

/// `atomic` and `awaitWriteFinish` on real inotify (issue #4).
@Suite struct WatchStagesIntegrationTests {
    /// An editor that saves by deleting and re-creating: one `change` (chokidar's `atomic`).
    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func deleteThenRecreateIsOneChange(usePolling: Bool) async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["doc.txt": "v1"])
        var options = WatchOptions()
        options.usePolling = usePolling
        options.interval = .milliseconds(20)
        options.atomic = .seconds(5)  // generous: a loaded machine must not split them
        let events = try EventRecorder(paths: [dir.path], options: options)
        try await events.expect([.ready(dir.path)])
        FS.unlink(dir.path("doc.txt"))
        FS.write(dir.path("doc.txt"), "v2")
        let seen = try await events.expect([.change(dir.path("doc.txt"))])
        #expect(seen.count == 1)
        let rest = try await events.quiet(in: dir.path, usePolling: usePolling)
        if usePolling {
            // A poll may look between the create and the write: it sees an empty file,
            // then a written one, and reports each as a `change` (polling cannot tell
            // that from two writes). Never the unlink or an add.
            #expect(rest.allSatisfy { if case .change = $0.kind { $0.path == dir.path("doc.txt") } else { false } }, "\(rest)")
        } else {
            #expect(rest.isEmpty, "\(rest)")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func noAtomicReportsTheUnlinkAndTheAdd() async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["doc.txt": "v1"])
        var options = WatchOptions()
        options.atomic = nil
        let events = try EventRecorder(paths: [dir.path], options: options)
        try await events.expect([.ready(dir.path)])
        FS.unlink(dir.path("doc.txt"))
        FS.write(dir.path("doc.txt"), "v2")
        try await events.expect([.unlink(dir.path("doc.txt")), .add(dir.path("doc.txt"))])
    }

    /// A slow writer: the `add` comes once, after the last write, when the size has been
    /// stable for the threshold.
    @Test(.timeLimit(.minutes(1)))
    func awaitWriteFinishWaitsForASlowWriter() async throws {
        let dir = try TemporaryDirectory()
        var options = WatchOptions()
        // 3 s against 30 ms pauses: a loaded machine that stalls the writer for a second
        // must not make the file look finished halfway.
        options.awaitWriteFinish = AwaitWriteFinish(stabilityThreshold: .milliseconds(3000), pollInterval: .milliseconds(20))
        let events = try EventRecorder(paths: [dir.path], options: options)
        try await events.expect([.ready(dir.path)])
        let file = dir.path("slow.bin")
        var lastWrite: Int64 = 0
        // The writer's pace, not a synchronisation: on this thread (usleep), so that a
        // busy task pool cannot stretch a pause beyond the threshold.
        for chunk in 0..<8 {
            FS.write(file, "chunk \(chunk)\n", append: true)
            lastWrite = Self.wallClock()
            usleep(30_000)
        }
        let seen = try await events.expect([.add(file)])
        #expect(seen.count == 1)
        #expect((seen.first?.timestamp ?? 0) >= lastWrite + 2_900_000_000)
        // Nothing else about the file: no change events for the chunks.
        #expect(try await events.eventsBeforeCookie(in: dir.path).isEmpty)
    }

    /// What exists at start-up is reported before `ready`, without waiting.
    @Test(.timeLimit(.minutes(1)))
    func awaitWriteFinishDoesNotDelayTheInitialScan() async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["a.txt": "a", "sub/b.txt": "b"])
        var options = WatchOptions()
        options.awaitWriteFinish = AwaitWriteFinish(stabilityThreshold: .seconds(30))
        let events = try EventRecorder(paths: [dir.path], options: options)
        let seen = try await events.expect([.add(dir.path("a.txt")), .add(dir.path("sub/b.txt")), .ready(dir.path)], within: .seconds(5))
        #expect(seen.last?.kind.name == "ready")
    }

    private static func wallClock() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
