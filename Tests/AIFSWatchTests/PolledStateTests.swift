import AIFSCore
import SystemPackage
import Testing

@testable import AIFSWatch

/// The watch state over polled directories: the fake kernel lists them (with the
/// production ``DirectoryPoller``) when the test polls, and the state compares each
/// listing with its tree. The races the random-operations test found under polling
/// (issue 4, point 2; docs/design/0005) as state-level scenarios: the disk changed
/// between a poll and the state's handling of it, or between two directories' looks.
@Suite struct PolledStateTests {
    /// A state over `/r`, every directory under it polled, freed inode numbers handed
    /// out again at once (as ext4 does), without `atomic` (so no time has to pass).
    private func polled(_ prepare: (FakeKernel) -> Void = { _ in }) -> StateHarness {
        var options = WatchOptions()
        options.atomic = nil
        let h = StateHarness(options: options) { kernel in
            kernel.pollsDirectory = { $0 == "/r" || $0.hasPrefix("/r/") }
            kernel.reusesInodes = true
            prepare(kernel)
        }
        h.state.start()
        _ = h.take()
        return h
    }

    private func treeMatchesDisk(_ h: StateHarness) -> Bool {
        Set(h.state.tree.subtree("/r").map(\.path)) == h.kernel.paths(under: "/r")
    }

    @Test func aPollReportsTheDifferencesAndNothingElse() {
        let h = polled { kernel in
            kernel.write("/r/keep")
            kernel.write("/r/gone")
            kernel.write("/r/old")
            kernel.mkdir("/r/sub")
        }
        #expect(h.kernel.polledDirectoryCount == 2)
        #expect(h.state.kernelWatchCount == 0)
        h.poll()
        #expect(h.take().isEmpty)
        h.kernel.write("/r/new")
        h.kernel.write("/r/keep", size: 5)
        h.kernel.remove("/r/gone")
        h.kernel.rename("/r/old", to: "/r/sub/moved")
        #expect(h.kernel.drain().isEmpty)  // polled: no records
        h.poll()
        #expect(Set(h.take()) == ["add /r/new", "change /r/keep", "unlink /r/gone", "rename /r/old -> /r/sub/moved"])
        h.poll()
        #expect(h.take().isEmpty)
        // An atomic save: another inode under a known name.
        h.kernel.write("/r/new.tmp", size: 3)
        h.kernel.rename("/r/new.tmp", to: "/r/new")
        h.poll()
        #expect(h.take() == ["change /r/new"])
        // A renamed directory is polled at its new path, and what it gained is new.
        h.kernel.rename("/r/sub", to: "/r/sub2")
        h.kernel.write("/r/sub2/fresh")
        h.poll()
        #expect(h.take() == ["rename /r/sub -> /r/sub2", "add /r/sub2/fresh"])
        h.kernel.write("/r/sub2/later")
        h.poll()
        #expect(h.take() == ["add /r/sub2/later"])
        // A removed directory: its entries, itself, and its watch ends.
        h.kernel.remove("/r/sub2")
        h.poll()
        #expect(h.take() == ["unlink /r/sub2/moved", "unlink /r/sub2/later", "unlink /r/sub2/fresh", "unlinkDir /r/sub2"])
        #expect(h.kernel.polledDirectoryCount == 1)
        #expect(treeMatchesDisk(h))
    }

    /// A name freed by a delete and taken by a rename in one poll: the unlink first.
    @Test func aDeleteComesBeforeTheRenameOntoItsName() {
        let h = polled { kernel in
            kernel.write("/r/victim")
            kernel.mkdir("/r/moving")
            kernel.write("/r/moving/inner")
        }
        h.kernel.remove("/r/victim")
        h.kernel.rename("/r/moving", to: "/r/victim")
        h.poll()
        #expect(h.take() == ["unlink /r/victim", "rename /r/moving -> /r/victim"])
        #expect(treeMatchesDisk(h))
    }

    /// Chains of renames in one poll (`a -> e`, then `c -> a`): source first, and each
    /// directory is then polled at its own new path (seed 3369).
    @Test func aRenameChainComesSourceFirstAndEachDirectoryIsFollowed() {
        let h = polled { kernel in
            kernel.mkdir("/r/a")
            kernel.write("/r/a/old")
            kernel.mkdir("/r/c")
            kernel.mkdir("/r/c/d")
            kernel.write("/r/c/d/inner")
        }
        h.kernel.rename("/r/a", to: "/r/e")
        h.kernel.rename("/r/c", to: "/r/a")
        h.poll()
        #expect(h.take() == ["rename /r/a -> /r/e", "rename /r/c -> /r/a"])
        h.kernel.write("/r/a/d/new")
        h.kernel.write("/r/e/new")
        h.poll()
        #expect(Set(h.take()) == ["add /r/a/d/new", "add /r/e/new"])
        #expect(treeMatchesDisk(h))
    }

    /// Two directories swapped through a name no poll saw: a cycle no order of renames
    /// makes. One rename of it is reported as unlink and add; both are followed.
    @Test func swappedDirectoriesAreFollowed() {
        let h = polled { kernel in
            kernel.mkdir("/r/a")
            kernel.write("/r/a/from-a")
            kernel.mkdir("/r/a/sub")
            kernel.mkdir("/r/e")
            kernel.write("/r/e/from-e")
        }
        h.kernel.rename("/r/a", to: "/r/tmp")
        h.kernel.rename("/r/e", to: "/r/a")
        h.kernel.rename("/r/tmp", to: "/r/e")
        h.poll()
        #expect(treeMatchesDisk(h))
        _ = h.take()
        h.kernel.write("/r/a/new-in-a")
        h.kernel.write("/r/e/sub/new-in-sub")
        h.poll()
        #expect(Set(h.take()) == ["add /r/a/new-in-a", "add /r/e/sub/new-in-sub"])
        #expect(treeMatchesDisk(h))
    }

    /// `rm -r e; mv a e; mkdir a`: the new `a` gets the inode number `e` had, so the poll
    /// sees `e -> a` as well as `a -> e`, a cycle (seed 5852).
    @Test func aDirectoryMovedOntoAFreedNameWhoseInodeIsReused() {
        let h = polled { kernel in
            kernel.mkdir("/r/a")
            kernel.write("/r/a/x")
            kernel.mkdir("/r/a/d")
            kernel.mkdir("/r/e")
        }
        h.kernel.remove("/r/e")
        h.kernel.rename("/r/a", to: "/r/e")
        h.kernel.mkdir("/r/a")
        h.poll()
        #expect(treeMatchesDisk(h))
        _ = h.take()
        h.kernel.write("/r/a/new")
        h.kernel.write("/r/e/d/new")
        h.poll()
        #expect(Set(h.take()) == ["add /r/a/new", "add /r/e/d/new"])
    }

    /// A polled directory removed after its parent's look and before its own: its own
    /// look reports it gone (the parent saw nothing), and made again with the same inode
    /// number it is new and polled (issue 4: the 1-in-300 failure).
    @Test func aDirectoryRemovedBetweenItsParentsLookAndItsOwn() {
        let h = polled { kernel in
            kernel.mkdir("/r/d")
            kernel.write("/r/d/inner")
        }
        h.kernel.afterListing = { path in
            if path == "/r" { h.kernel.remove("/r/d") }
        }
        h.poll()
        h.kernel.afterListing = nil
        #expect(h.take() == ["unlink /r/d/inner", "unlinkDir /r/d"])
        h.kernel.mkdir("/r/d")
        h.poll()
        #expect(h.take() == ["addDir /r/d"])
        h.kernel.write("/r/d/x")
        h.poll()
        #expect(h.take() == ["add /r/d/x"])
    }

    /// A new directory gone again when the state comes to watch it, then made again
    /// with the freed inode number: the parent's look must not vouch for it.
    @Test func aDirectoryGoneBeforeItsWatchThenMadeAgainIsPolled() {
        let h = polled()
        h.kernel.mkdir("/r/d")
        let listings = h.kernel.poll()
        h.kernel.remove("/r/d")
        h.state.handle(listings: listings)
        #expect(h.take() == ["addDir /r/d"])
        h.kernel.mkdir("/r/d")
        h.kernel.write("/r/d/x")
        h.poll()
        #expect(h.take() == ["add /r/d/x"])
        #expect(treeMatchesDisk(h))
    }

    /// A directory whose parent's look says it went (a file now holds its name and its
    /// freed inode number), while its own look, later in the same poll, finds a
    /// directory again with that number and something in it: nothing is reported inside
    /// a directory the tree no longer has (found by the kernel test, seed 4082: `addDir
    /// a/e` after `unlinkDir a`).
    @Test func nothingIsReportedInsideADirectoryItsParentsLookSaysWent() {
        let h = polled { kernel in
            kernel.mkdir("/r/0")
            kernel.mkdir("/r/a")
            kernel.write("/r/a/x")
        }
        h.kernel.remove("/r/a")
        h.kernel.write("/r/a")
        // After the parent's look, before `a`'s own (`/r/0` is looked at in between).
        h.kernel.afterListing = { path in
            guard path == "/r/0" else { return }
            h.kernel.afterListing = nil
            h.kernel.remove("/r/a")
            h.kernel.mkdir("/r/a")
            h.kernel.mkdir("/r/a/e")
        }
        h.poll()
        #expect(h.take() == ["unlink /r/a/x", "unlinkDir /r/a", "add /r/a"])
        h.poll()
        #expect(h.take() == ["unlink /r/a", "addDir /r/a", "addDir /r/a/e"])
        #expect(treeMatchesDisk(h))
    }

    /// A directory renamed and a file in it removed, then made again before the state
    /// handles the poll: the state's own look after the rename sees the new file, and
    /// the next poll compares with that (seed 2243).
    @Test func aListingOlderThanTheStatesOwnLook() {
        let h = polled { kernel in
            kernel.mkdir("/r/b")
            kernel.write("/r/b/d")
            kernel.write("/r/b/keep")
        }
        h.kernel.rename("/r/b", to: "/r/e")
        h.kernel.remove("/r/e/d")
        let listings = h.kernel.poll()
        h.kernel.write("/r/e/d", size: 4)
        h.state.handle(listings: listings)
        h.poll()
        h.poll()
        #expect(treeMatchesDisk(h))
    }

    /// Entries the state's own listing found and that are gone when it stats them (an
    /// atomic save's temporary file renamed into place; a directory removed at once)
    /// are not reported (seed 14: a reported `e/a.tmp` not on disk).
    @Test func entriesGoneBetweenTheStatesListingAndItsStatsAreNotReported() {
        let h = polled { kernel in
            kernel.mkdir("/r/b")
            kernel.write("/r/b/a")
        }
        h.kernel.rename("/r/b", to: "/r/e")
        h.kernel.write("/r/e/a.tmp", size: 7)
        h.kernel.mkdir("/r/e/c")
        // During the state's scan of `e` after the rename (not the look that pairs it).
        h.kernel.afterListing = { path in
            guard path == "/r/e", h.state.tree.kind(of: "/r/e") != nil else { return }
            h.kernel.afterListing = nil
            h.kernel.rename("/r/e/a.tmp", to: "/r/e/a")
            h.kernel.remove("/r/e/c")
        }
        h.poll()
        #expect(h.take() == ["rename /r/b -> /r/e"])
        h.poll()
        #expect(h.take() == ["change /r/e/a"])
        #expect(treeMatchesDisk(h))
    }

    /// Mixed: a kernel-watched directory inside a polled one (past the watch limit),
    /// removed and made again with the same inode number. Only its own watch's
    /// `deleteSelf` says so; the polled parent's next look takes the name afresh and
    /// watches it (found by the random-operations test, mixed).
    @Test func aKernelWatchedDirectoryInAPolledOneMadeAgainIsWatched() {
        var options = WatchOptions()
        options.atomic = nil
        let h = StateHarness(options: options) { kernel in
            kernel.mkdir("/r/p")
            kernel.mkdir("/r/p/e")
            kernel.failsWatch = { $0 == "/r/p" ? .noSpace : nil }
            kernel.reusesInodes = true
        }
        h.state.start()
        _ = h.take()
        #expect(h.kernel.fallbacks == ["/r/p"])
        h.kernel.remove("/r/p/e")
        h.kernel.mkdir("/r/p/e")
        h.deliver()
        h.poll()
        h.kernel.write("/r/p/e/x")
        h.deliver()
        #expect(h.take().contains("add /r/p/e/x"))
        #expect(treeMatchesDisk(h))
    }

    /// A single-file root whose directory is polled: only that file is reported.
    @Test func aSingleFileRootInAPolledDirectory() {
        var options = WatchOptions()
        options.atomic = nil
        let h = StateHarness(roots: ["/r/f"], options: options) { kernel in
            kernel.pollsDirectory = { $0 == "/r" }
            kernel.write("/r/f")
            kernel.write("/r/other")
        }
        h.state.start()
        #expect(h.take() == ["add /r/f", "ready /r/f"])
        h.kernel.write("/r/f", size: 3)
        h.kernel.write("/r/other", size: 3)
        h.kernel.write("/r/new")
        h.poll()
        #expect(h.take() == ["change /r/f"])
        h.kernel.remove("/r/f")
        h.poll()
        #expect(h.take() == ["unlink /r/f"])
    }
}
