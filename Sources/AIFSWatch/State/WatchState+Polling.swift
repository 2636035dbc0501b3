#if os(Linux)
import AIFSCore

/// Polled directories: each poll's listings compared with the tree, the one view of
/// what was reported.
///
/// The tree keeps, for every entry of a polled directory, what it was when reported
/// (device, inode, size, modification time). A poll says what each polled directory
/// holds now; the differences are reported: a new name is `add`/`addDir`, a vanished
/// one `unlink`/`unlinkDir`, a file whose size or modification time changed `change`,
/// a file name now holding another inode (an atomic save) `change`. An inode that
/// vanished under one name and appeared under another, anywhere in the poll, is a
/// `rename`: a file only if its size and modification time are unchanged, a directory
/// only if its entries kept their inodes (file systems hand a freed inode number out
/// again at once, to anything). Renames are applied source first, and a cycle (which
/// no order of renames makes) is broken into an unlink and an add.
///
/// Nothing here can disagree with a second copy: a scan of a polled directory records
/// the identities it reported, and whatever a poll and the state's own looks see in
/// between, the next poll compares the disk with the tree and reports what differs.
extension WatchState {
    /// One difference between a listing and the tree, at a path of the poll's look.
    struct ListedChange {
        var path: String
        /// What the tree's entry was (vanished), or what the poll found (otherwise).
        var entry: PolledEntry?
        /// The tree's kind (vanished), or the listed kind.
        var kind: EntryKind
    }

    /// What one poll's listings differ in from the tree.
    struct ListedChanges {
        var vanished: [ListedChange] = []
        var appeared: [ListedChange] = []
        /// Files whose name now holds another inode.
        var replaced: [ListedChange] = []
        var modified: [ListedChange] = []
        /// Directories reported without an identity (their scan could not watch them):
        /// looked at again.
        var unverified: [String] = []
        /// Watches whose directory is gone from its path, or replaced.
        var gone: [WatchDescriptor] = []
    }

    /// Compares each polled directory's listing with the tree and reports the
    /// differences (see the extension's documentation).
    func handle(listings: [DirectoryListing]) {
        var changes = ListedChanges()
        for listing in listings {
            // A stale watch (its directory was dropped or moved since the poll) says nothing.
            guard let directory = pathByDescriptor[listing.descriptor], descriptorByPath[directory] == listing.descriptor,
                !limbo.contains(listing.descriptor)
            else { continue }
            guard let entries = listing.entries else {
                changes.gone.append(listing.descriptor)
                continue
            }
            compare(directory, with: entries, into: &changes)
        }
        apply(changes)
    }

    /// Appends how `entries` (a listing of `directory`) differ from the tree.
    private func compare(_ directory: String, with entries: [String: PolledEntry], into changes: inout ListedChanges) {
        let prefix = directory == "/" ? "/" : directory + "/"
        let isTreeDirectory = tree.kind(of: directory) == .directory
        var names = tree.childNames(of: directory)
        // Single-file roots are watched through their directory, which the tree lacks.
        var fileRoots: Set<String> = []
        for root in roots where root.kind == .file && WatchTree.split(root.path).parent == directory {
            fileRoots.insert(WatchTree.split(root.path).name)
        }
        for name in fileRoots where tree.kind(of: prefix + name) != nil { names.insert(name) }
        let known = tree.identities(in: directory)
        // A changed `.gitignore` applies to what this look found (and to later events).
        if options.gitignore && isTreeDirectory && entries[".gitignore"] != known[".gitignore"] {
            loadGitignore(directory)
        }
        for name in names {
            let now = entries[name]
            let old = known[name]
            // Unchanged (most of every poll): no path built, no lookup by path.
            if let now, now == old { continue }
            let path = prefix + name
            guard let kind = tree.kind(of: path) else { continue }
            guard let now else {
                changes.vanished.append(ListedChange(path: path, entry: old, kind: kind))
                continue
            }
            guard let old else {
                // Reported without an identity (a file root, or a directory whose scan
                // could not watch it): taken as it is now; a directory is looked at again.
                if now.kind == kind || followedLinks[path] != nil {
                    tree.setIdentity(now, of: path)
                    if kind == .directory { changes.unverified.append(path) }
                } else {
                    changes.vanished.append(ListedChange(path: path, entry: nil, kind: kind))
                    changes.appeared.append(ListedChange(path: path, entry: now, kind: now.kind))
                }
                continue
            }
            if now.identity != old.identity || now.kind != old.kind {
                if now.kind == .file && old.kind == .file {
                    changes.replaced.append(ListedChange(path: path, entry: now, kind: .file))
                } else {
                    changes.vanished.append(ListedChange(path: path, entry: old, kind: kind))
                    changes.appeared.append(ListedChange(path: path, entry: now, kind: now.kind))
                }
            } else if now.kind == .file && now.isModified(comparedTo: old) {
                changes.modified.append(ListedChange(path: path, entry: now, kind: .file))
            } else if now != old {
                tree.setIdentity(now, of: path)  // a directory's own size and time: no event
            }
        }
        for (name, now) in entries where !names.contains(name) {
            guard isTreeDirectory || fileRoots.contains(name) else { continue }
            let path = prefix + name
            guard tree.kind(of: path) == nil, include(path, kind: now.kind) else { continue }
            changes.appeared.append(ListedChange(path: path, entry: now, kind: now.kind))
        }
    }

    /// Reports the differences: what went (unless it moved), the renames in an order
    /// that can have happened, then what is new and what changed, and last the
    /// directories whose own look found another one (or none).
    private func apply(_ listed: ListedChanges) {
        var changes = listed
        // Pair vanished and appeared inodes across the whole poll.
        var vanishedByIdentity: [PolledEntry.Identity: Int] = [:]
        for (index, change) in changes.vanished.enumerated() {
            if let identity = change.entry?.identity { vanishedByIdentity[identity] = index }
        }
        var pairs: [(from: Int, to: ListedChange, replacing: Bool)] = []
        var paired = Set<Int>()
        // A copy: `pairUp` must not capture `changes` while its result is assigned to
        // it (the Swift 6.2 optimizer's SIL verifier rejects that: "read-only scope
        // invalidated by a local write", a crash of `swift build -c release`).
        let vanished = changes.vanished
        func pairUp(_ candidates: [ListedChange], replacing: Bool) -> [ListedChange] {
            candidates.filter { change in
                guard let identity = change.entry?.identity, let index = vanishedByIdentity[identity],
                    !paired.contains(index), isRename(vanished[index], to: change)
                else { return true }
                paired.insert(index)
                pairs.append((index, change, replacing))
                return false
            }
        }
        if !vanishedByIdentity.isEmpty {
            changes.appeared = pairUp(changes.appeared, replacing: false)
            changes.replaced = pairUp(changes.replaced, replacing: true)
        }
        let (ordered, broken) = RenameOrder.ordered(pairs) { (changes.vanished[$0.from].path, $0.to.path) }
        for pair in broken {
            paired.remove(pair.from)
            if pair.replacing { changes.replaced.append(pair.to) } else { changes.appeared.append(pair.to) }
        }

        // What went first: a name freed by a delete may be a rename's destination.
        for (index, change) in changes.vanished.enumerated() where !paired.contains(index) {
            guard !consumerGone else { return }
            guard tree.kind(of: change.path) != nil else { continue }
            // Moved out of the tree, a directory keeps its kernel watches: drop them.
            if change.kind == .directory { removeWatches(under: change.path) }
            disappeared(change.path)
        }
        // The renames, each from and to where the earlier ones left its paths: what a
        // look saw inside a directory that moved since is there now. (A name a rename
        // freed is another entry's, if anything's.)
        var moves: [(from: String, to: String)] = []
        func current(_ path: String) -> String {
            var path = path
            for move in moves where path.hasPrefix(move.from + "/") {
                path = move.to + path.dropFirst(move.from.count)
            }
            return path
        }
        for pair in ordered {
            guard !consumerGone else { return }
            let (from, to) = (current(changes.vanished[pair.from].path), current(pair.to.path))
            guard let kind = tree.kind(of: from), let entry = pair.to.entry else {
                // Gone from the tree since the look (a scan of a moved directory): new.
                appearedFromListing(to, pair.to.entry, created: !pair.replacing)
                continue
            }
            guard hasDirectory(to) else {
                // Its destination's directory went in this batch: gone, as far as we know.
                if kind == .directory { removeWatches(under: from) }
                disappeared(from)
                continue
            }
            renamed(PendingMove(path: from, kind: kind, deadline: clock.now), to: to, kind: kind)
            tree.setIdentity(entry, of: to)
            if kind == .directory { moves.append((from, to)) }
        }
        for change in changes.replaced where !consumerGone {
            appearedFromListing(current(change.path), change.entry, created: false)
        }
        for change in changes.appeared where !consumerGone {
            appearedFromListing(current(change.path), change.entry, created: true)
        }
        for change in changes.modified where !consumerGone {
            let path = current(change.path)
            tree.setIdentity(change.entry, of: path)
            // A followed link's own time is no change of the directory it leads to.
            guard tree.kind(of: path) == .file else { continue }
            if reportedBurst.remove(path) == nil { emit(.change, path) }
        }
        for path in changes.unverified where !consumerGone {
            let path = current(path)
            if tree.kind(of: path) == .directory { reconcile(path, report: true) }
        }
        for descriptor in changes.gone where !consumerGone {
            directoryReplaced(descriptor)
        }
    }

    /// Whether the tree has the directory of `path` (or `path` is a root).
    private func hasDirectory(_ path: String) -> Bool {
        tree.kind(of: WatchTree.split(path).parent) == .directory || roots.contains { $0.path == path }
    }

    /// Records what the entry at `path` is now, when its directory is polled (a
    /// single-file root, which no scan lists).
    func recordIdentity(of path: String) {
        guard descriptorByPath[WatchTree.split(path).parent]?.isPolled == true else { return }
        tree.setIdentity((try? fileSystem.status(atPath: path)).map(PolledEntry.init), of: path)
    }

    /// A new entry a poll found (`created`), or a known file name holding another
    /// inode (an atomic save: `change`).
    private func appearedFromListing(_ path: String, _ entry: PolledEntry?, created: Bool) {
        // A look inside a directory that went in this batch (its parent's look, handled
        // first, says so) tells nothing: never an entry without its directory.
        guard let entry, hasDirectory(path) else { return }
        var kind = entry.kind
        if options.followSymlinks, kind == .file, tree.kind(of: path) == nil, let target = followableLink(path) {
            followedLinks[path] = target
            kind = .directory
        }
        appeared(path, kind: kind, created: created, identity: entry)
        // A poll sees a write whole: its burst is over.
        if created { reportedBurst.remove(path) }
    }

    /// The polled watch of `descriptor` found another directory at its path, or none.
    /// A root (or the directory of single-file roots) ends, as a kernel watch does. A
    /// directory inside the tree is reported gone, and what is at its path now is new:
    /// its parent's look may have seen nothing (a directory removed after it and made
    /// again, often with the same inode number, found by the random-operations test).
    private func directoryReplaced(_ descriptor: WatchDescriptor) {
        guard let directory = pathByDescriptor[descriptor], descriptorByPath[directory] == descriptor else { return }
        if tree.kind(of: directory) != .directory || roots.contains(where: { $0.path == directory }) {
            endPolledWatch(descriptor)
            watchedDirectoryWentAway(directory)
            return
        }
        removeWatches(under: directory)
        disappeared(directory)
        if let now = try? fileSystem.status(atPath: directory) {
            appearedFromListing(directory, PolledEntry(now), created: true)
        }
    }

    /// Whether an inode that vanished under one name and appeared under another was
    /// renamed, rather than freed and handed out again to a new entry. A renamed file
    /// keeps its size and modification time; a renamed directory keeps its entries'
    /// inodes, when they are known (it was polled). A rename that also changed the file
    /// is reported as unlink and add.
    private func isRename(_ old: ListedChange, to new: ListedChange) -> Bool {
        guard let before = old.entry, let after = new.entry, before.kind == after.kind else { return false }
        if after.kind == .file { return !after.isModified(comparedTo: before) }
        guard descriptorByPath[old.path]?.isPolled == true else { return true }
        let known = tree.identities(in: old.path).mapValues(\.identity)
        guard let listed = try? PolledEntry.list(new.path, in: fileSystem) else { return false }
        let now = listed.filter { include(new.path + "/" + $0.key, kind: $0.value.kind) }
        // A new directory that got a freed inode number has new entries (an empty one
        // either way: then the two stories end the same).
        if known.isEmpty || now.isEmpty { return known.isEmpty && now.isEmpty }
        return known.contains { name, identity in now[name]?.identity == identity }
    }
}
#endif
