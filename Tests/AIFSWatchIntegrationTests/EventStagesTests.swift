import Testing

@testable import AIFSWatch

/// The pure state machines between the loop and the consumer, driven with scripted
/// events and hand-made instants: no clock, no files, no threads.
@Suite struct EventStagesTests {
    private let t0 = ContinuousClock.now

    private func event(_ kind: WatchEvent.Kind, _ path: String, _ time: Int64 = 0) -> WatchEvent {
        WatchEvent(kind, path: path, timestamp: time)
    }

    private func names(_ events: [WatchEvent]) -> [String] { events.map { "\($0.kind.name) \($0.path)" } }

    // MARK: atomic

    @Test func unlinkThenAddWithinTheWindowIsOneChange() {
        var atomic = AtomicCoalescer()
        #expect(atomic.process(event(.unlink, "/r/f", 1), now: t0).isEmpty)
        #expect(atomic.nextDeadline == t0 + .milliseconds(100))
        let out = atomic.process(event(.add, "/r/f", 2), now: t0 + .milliseconds(40))
        #expect(names(out) == ["change /r/f"])
        #expect(out.first?.timestamp == 2)
        #expect(atomic.nextDeadline == nil)
    }

    @Test func unlinkAloneIsReportedWhenTheWindowEnds() {
        var atomic = AtomicCoalescer()
        _ = atomic.process(event(.unlink, "/r/a"), now: t0)
        _ = atomic.process(event(.unlink, "/r/b"), now: t0 + .milliseconds(50))
        // Other events are not held.
        #expect(names(atomic.process(event(.change, "/r/c"), now: t0 + .milliseconds(60))) == ["change /r/c"])
        #expect(atomic.expire(now: t0 + .milliseconds(99)).isEmpty)
        #expect(names(atomic.expire(now: t0 + .milliseconds(100))) == ["unlink /r/a"])
        #expect(names(atomic.expire(now: t0 + .milliseconds(150))) == ["unlink /r/b"])
        #expect(atomic.isEmpty)
        // An add after the window is an add, held for the window in its turn.
        #expect(names(atomic.process(event(.add, "/r/a"), now: t0 + .milliseconds(200))) == [])
        #expect(names(atomic.expire(now: t0 + .milliseconds(300))) == ["add /r/a"])
        #expect(atomic.isEmpty)
    }

    /// Issue 19: an atomic save through a temporary file (editors, `git checkout`,
    /// aifs's own writes) is a `change` of the target; the temporary file, which lived
    /// less than the window, is never reported.
    @Test func issue19_anAtomicSaveIsAChangeOfItsTarget() {
        var atomic = AtomicCoalescer()
        #expect(names(atomic.process(event(.add, "/r/.doc.tmp"), now: t0)).isEmpty)
        #expect(names(atomic.process(event(.rename(from: "/r/.doc.tmp"), "/r/doc"), now: t0 + .milliseconds(5), replacing: true)) == ["change /r/doc"])
        #expect(atomic.isEmpty)
        // Onto a new name: an add of the new name, still no temporary file.
        _ = atomic.process(event(.add, "/r/.new.tmp"), now: t0)
        #expect(names(atomic.process(event(.rename(from: "/r/.new.tmp"), "/r/new"), now: t0, replacing: false)) == ["add /r/new"])
        // A file made and removed within the window is never reported.
        _ = atomic.process(event(.add, "/r/.scratch"), now: t0)
        #expect(names(atomic.process(event(.unlink, "/r/.scratch"), now: t0)).isEmpty)
        #expect(atomic.isEmpty)
        // A known file moved over another known file: chokidar's unlink and change.
        #expect(names(atomic.process(event(.rename(from: "/r/a"), "/r/b"), now: t0, replacing: true)) == ["unlink /r/a", "change /r/b"])
        // A directory's rename stays a rename.
        #expect(names(atomic.process(event(.rename(from: "/r/d"), "/r/e"), now: t0, movedFile: false)) == ["rename /r/e"])
        // A held add comes out before a change of its file.
        _ = atomic.process(event(.add, "/r/c"), now: t0)
        #expect(names(atomic.process(event(.change, "/r/c"), now: t0)) == ["add /r/c", "change /r/c"])
    }

    @Test func heldUnlinksComeOutBeforeTheirDirectoryAndBeforeRescan() {
        var atomic = AtomicCoalescer()
        _ = atomic.process(event(.unlink, "/r/d/x"), now: t0)
        _ = atomic.process(event(.unlink, "/r/other"), now: t0)
        #expect(names(atomic.process(event(.unlinkDir, "/r/d"), now: t0)) == ["unlink /r/d/x", "unlinkDir /r/d"])
        // A directory where the file was: the file's removal first.
        _ = atomic.process(event(.unlink, "/r/e"), now: t0)
        #expect(names(atomic.process(event(.addDir, "/r/e"), now: t0)) == ["unlink /r/e", "addDir /r/e"])
        #expect(names(atomic.process(event(.rescan, "/r"), now: t0)) == ["unlink /r/other", "rescan /r"])
        _ = atomic.process(event(.unlink, "/r/z"), now: t0)
        #expect(names(atomic.flush()) == ["unlink /r/z"])
    }

    /// Found by the random-operations test: a file deleted, then its directory renamed.
    @Test func heldUnlinksUnderARenamedDirectoryComeFirst() {
        var atomic = AtomicCoalescer()
        _ = atomic.process(event(.unlink, "/r/b/d"), now: t0)
        _ = atomic.process(event(.unlink, "/r/other"), now: t0)
        #expect(names(atomic.process(event(.rename(from: "/r/b"), "/r/d"), now: t0)) == ["unlink /r/b/d", "rename /r/d"])
        #expect(names(atomic.flush()) == ["unlink /r/other"])
    }

    /// A file moved onto a path whose unlink is held replaces it: the consumer sees the
    /// old name go and the target change (deleted, then saved over).
    @Test func renameOntoAHeldPathReplacesIt() {
        var atomic = AtomicCoalescer()
        _ = atomic.process(event(.unlink, "/r/doc"), now: t0)
        #expect(names(atomic.process(event(.rename(from: "/r/doc.tmp"), "/r/doc"), now: t0)) == ["unlink /r/doc.tmp", "change /r/doc"])
        #expect(atomic.isEmpty)
        // A directory moved onto it: the held unlink goes, the rename is reported.
        _ = atomic.process(event(.unlink, "/r/c"), now: t0)
        #expect(names(atomic.process(event(.rename(from: "/r/e"), "/r/c"), now: t0, movedFile: false)) == ["rename /r/c"])
        #expect(atomic.isEmpty)
    }

    // MARK: awaitWriteFinish

    @Test func addIsReportedOnceTheSizeStopsChanging() {
        var tracker = WriteFinishTracker(stabilityThreshold: .milliseconds(300), pollInterval: .milliseconds(100))
        var size: Int64 = 10
        let version = { (_: String) in WriteFinishTracker.Version(size: size, modificationTime: size) }
        #expect(tracker.process(event(.add, "/r/big", 1), now: t0, version: version).isEmpty)
        #expect(tracker.nextDeadline == t0 + .milliseconds(100))
        // Further writes are absorbed; the add stays an add.
        #expect(tracker.process(event(.change, "/r/big"), now: t0 + .milliseconds(50), version: version).isEmpty)
        size = 20
        #expect(tracker.check(now: t0 + .milliseconds(100), wallClock: 5, version: version).isEmpty)
        size = 30
        #expect(tracker.check(now: t0 + .milliseconds(200), wallClock: 5, version: version).isEmpty)
        // Stable since 200 ms: reported at 500 ms, not before.
        #expect(tracker.check(now: t0 + .milliseconds(300), wallClock: 5, version: version).isEmpty)
        #expect(tracker.check(now: t0 + .milliseconds(400), wallClock: 5, version: version).isEmpty)
        let out = tracker.check(now: t0 + .milliseconds(500), wallClock: 9, version: version)
        #expect(names(out) == ["add /r/big"])
        #expect(out.first?.timestamp == 9)
        #expect(tracker.nextDeadline == nil)
        #expect(tracker.pendingCount == 0)
    }

    @Test func aFileRemovedBeforeItIsStableIsNeverReported() {
        var tracker = WriteFinishTracker(stabilityThreshold: .milliseconds(300), pollInterval: .milliseconds(100))
        let present = { (_: String) in WriteFinishTracker.Version(size: 1, modificationTime: 1) }
        _ = tracker.process(event(.add, "/r/tmp"), now: t0, version: present)
        #expect(tracker.process(event(.unlink, "/r/tmp"), now: t0 + .milliseconds(10), version: present).isEmpty)
        // A pending change that is removed: the unlink is reported.
        _ = tracker.process(event(.change, "/r/known"), now: t0, version: present)
        #expect(names(tracker.process(event(.unlink, "/r/known"), now: t0, version: present)) == ["unlink /r/known"])
        // Gone at a check: dropped, and its later unlink too.
        _ = tracker.process(event(.add, "/r/brief"), now: t0, version: present)
        #expect(tracker.check(now: t0 + .milliseconds(100), wallClock: 0, version: { _ in nil }).isEmpty)
        #expect(tracker.process(event(.unlink, "/r/brief"), now: t0, version: present).isEmpty)
        #expect(tracker.nextDeadline == nil)
    }

    @Test func aPendingAddFollowsItsRename() {
        var tracker = WriteFinishTracker(stabilityThreshold: .milliseconds(100), pollInterval: .milliseconds(100))
        let present = { (_: String) in WriteFinishTracker.Version(size: 1, modificationTime: 1) }
        _ = tracker.process(event(.add, "/r/a.part"), now: t0, version: present)
        #expect(tracker.process(event(.rename(from: "/r/a.part"), "/r/a"), now: t0, version: present).isEmpty)
        #expect(names(tracker.check(now: t0 + .milliseconds(100), wallClock: 0, version: present)) == ["add /r/a"])
        // Other events pass through untouched.
        #expect(names(tracker.process(event(.addDir, "/r/d"), now: t0, version: present)) == ["addDir /r/d"])
    }

    /// Durations past a day are cut, so no deadline or timeout can overflow.
    @Test func hugeDurationsAreCut() {
        #expect(Duration.seconds(Int64.max).timeoutMilliseconds == 86_400_001)
        #expect(Duration.seconds(-5).timeoutMilliseconds == 0)
        #expect(Duration.milliseconds(1).timeoutMilliseconds == 2)
        #expect(Duration.seconds(Int64.max).clampedForWatching == .seconds(86_400))
        var atomic = AtomicCoalescer(window: Duration.seconds(Int64.max).clampedForWatching)
        _ = atomic.process(event(.unlink, "/r/f"), now: t0)
        #expect(atomic.nextDeadline == t0 + .seconds(86_400))
    }
}
