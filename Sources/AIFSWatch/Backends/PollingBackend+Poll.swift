#if os(Linux)
import AIFSCore
import SystemPackage

/// The poll itself: every watched directory compared with the disk, renames paired by
/// inode and put in an order that can have happened, and the differences written as
/// the kernel's records.
extension PollingBackend {
    // MARK: - Comparing snapshots

    struct DescriptorName: Hashable {
        var descriptor: WatchDescriptor
        var name: String
    }

    struct Change {
        var descriptor: WatchDescriptor
        var name: String
        var snapshot: Snapshot
    }

    /// Compares every watched directory with the disk and appends the differences.
    func poll(into events: inout [RawEvent]) {
        var removed: [Change] = []
        var added: [Change] = []
        var replaced: [Change] = []
        var modified: [Change] = []
        var missing: [WatchDescriptor] = []

        func compare(_ descriptor: WatchDescriptor) {
            guard let directory = directories[descriptor] else { return }
            guard let own = try? fileSystem.status(atPath: directory.path, followSymlinks: true),
                own.kind == .directory, Identity(device: own.device, inode: own.inode) == directory.identity
            else {
                missing.append(descriptor)
                return
            }
            // An unreadable directory keeps its old snapshot: nothing is invented.
            guard let current = try? Self.snapshot(directory.path, in: fileSystem) else { return }
            for (name, old) in directory.entries {
                guard let new = current[name] else {
                    removed.append(Change(descriptor: descriptor, name: name, snapshot: old))
                    continue
                }
                if !old.verified {
                    // Reported afresh, as if new (the loop takes a known entry calmly).
                    added.append(Change(descriptor: descriptor, name: name, snapshot: new))
                    continue
                }
                if new.identity != old.identity || new.kind != old.kind {
                    if new.kind == old.kind && new.kind == .file {
                        replaced.append(Change(descriptor: descriptor, name: name, snapshot: new))
                    } else {
                        removed.append(Change(descriptor: descriptor, name: name, snapshot: old))
                        added.append(Change(descriptor: descriptor, name: name, snapshot: new))
                    }
                } else if new.kind == .file && (new.size != old.size || new.modificationTime != old.modificationTime) {
                    modified.append(Change(descriptor: descriptor, name: name, snapshot: new))
                }
            }
            for (name, new) in current where directory.entries[name] == nil {
                added.append(Change(descriptor: descriptor, name: name, snapshot: new))
            }
            directories[descriptor]?.entries = current
        }

        for descriptor in directories.keys.sorted(by: { directories[$0]!.path < directories[$1]!.path }) {
            compare(descriptor)
        }

        // Pair vanished and appeared inodes: renames. A directory's watches follow it
        // (as the kernel's do), and those that seemed missing are compared again.
        var removedByIdentity: [Identity: Int] = [:]
        for (index, change) in removed.enumerated() { removedByIdentity[change.snapshot.identity] = index }
        var pairedRemoved = Set<Int>()
        var pairs: [(from: Change, to: Change)] = []
        var unpairedAdded: [Change] = []
        var unpairedReplaced: [Change] = []
        for change in added {
            if let index = removedByIdentity[change.snapshot.identity], !pairedRemoved.contains(index),
                isRename(from: removed[index], to: change)
            {
                pairedRemoved.insert(index)
                pairs.append((removed[index], change))
            } else {
                unpairedAdded.append(change)
            }
        }
        for change in replaced {
            if let index = removedByIdentity[change.snapshot.identity], !pairedRemoved.contains(index),
                isRename(from: removed[index], to: change)
            {
                pairedRemoved.insert(index)
                pairs.append((removed[index], change))
            } else {
                unpairedReplaced.append(change)
            }
        }
        // In an order that can have happened; a cycle cannot, and one rename of it is
        // reported as delete and create instead.
        let (orderedPairs, broken) = Self.ordered(pairs)
        pairs = orderedPairs
        for pair in broken {
            if let index = removedByIdentity[pair.from.snapshot.identity] { pairedRemoved.remove(index) }
            if replaced.contains(where: { $0.descriptor == pair.to.descriptor && $0.name == pair.to.name }) {
                unpairedReplaced.append(pair.to)
            } else {
                unpairedAdded.append(pair.to)
            }
        }
        // All from the paths of this poll's first look, then all at once: a chain
        // (`a -> e`, then `c -> a`) moved one pair at a time would carry `c`'s watches,
        // already at `a`, on to `e` (found by the random-operations test).
        var moves: [(descriptor: WatchDescriptor, from: String, to: String)] = []
        for pair in pairs where pair.from.snapshot.kind == .directory {
            guard let fromParent = directories[pair.from.descriptor]?.path,
                let toParent = directories[pair.to.descriptor]?.path
            else { continue }
            let from = fromParent + "/" + pair.from.name
            let to = toParent + "/" + pair.to.name
            for (descriptor, directory) in directories where directory.path == from || directory.path.hasPrefix(from + "/") {
                moves.append((descriptor, directory.path, to + directory.path.dropFirst(from.count)))
            }
        }
        for move in moves where descriptorByPath[move.from] == move.descriptor { descriptorByPath[move.from] = nil }
        for move in moves {
            descriptorByPath[move.to] = move.descriptor
            directories[move.descriptor]?.path = move.to
        }
        if !pairs.isEmpty {
            let again = missing
            missing.removeAll()
            let (addedBefore, replacedBefore) = (added.count, replaced.count)
            for descriptor in again { compare(descriptor) }
            // What the moved directories gained is new (found by the random-operations
            // test: it was dropped); what they lost is in `removed`, reported below.
            unpairedAdded.append(contentsOf: added[addedBefore...])
            unpairedReplaced.append(contentsOf: replaced[replacedBefore...])
        }

        recordedNames.removeAll(keepingCapacity: true)
        func record(_ change: Change, _ mask: InotifyMask, cookie: UInt32 = 0) {
            let kindBit: InotifyMask = change.snapshot.kind == .directory ? .isDirectory : []
            events.append(RawEvent(descriptor: change.descriptor, mask: mask.union(kindBit), cookie: cookie, name: change.name))
            recordedNames.insert(DescriptorName(descriptor: change.descriptor, name: change.name))
        }
        // A name that a renamed entry now holds was freed before the rename: its delete
        // comes first, as the kernel's would (else the loop would drop the new entry).
        let destinations = Set(pairs.map { DescriptorName(descriptor: $0.to.descriptor, name: $0.to.name) })
        var deletedFirst = Set<Int>()
        for (index, change) in removed.enumerated() where !pairedRemoved.contains(index)
            && destinations.contains(DescriptorName(descriptor: change.descriptor, name: change.name))
        {
            deletedFirst.insert(index)
            record(change, .delete)
        }
        for pair in pairs {
            let cookie = nextCookie
            nextCookie = nextCookie == UInt32.max ? Self.firstCookie : nextCookie + 1
            record(pair.from, .movedFrom, cookie: cookie)
            record(pair.to, .movedTo, cookie: cookie)
        }
        for (index, change) in removed.enumerated() where !pairedRemoved.contains(index) && !deletedFirst.contains(index) {
            record(change, .delete)
        }
        for change in unpairedReplaced { record(change, .movedTo) }
        for change in unpairedAdded {
            record(change, .create)
            if change.snapshot.kind == .file { record(change, .closeWrite) }
        }
        for change in modified { record(change, .closeWrite) }
        for descriptor in missing {
            guard let gone = directories.removeValue(forKey: descriptor) else { continue }
            let path = gone.path
            // Another watch at this path: one moved here by a rename.
            let succeeded = descriptorByPath[path].map { $0 != descriptor } ?? false
            if descriptorByPath[path] == descriptor { descriptorByPath[path] = nil }
            let (parent, name) = WatchTree.split(path)
            let parentDescriptor = descriptorByPath[parent].flatMap { directories[$0] == nil ? nil : $0 }
            let now = try? fileSystem.status(atPath: path)
            let nowIdentity = now.map { Identity(device: $0.device, inode: $0.inode) }
            let known = parentDescriptor.flatMap { directories[$0]?.entries[name] }
            if succeeded, now?.kind == .directory, let known, known.identity == nowIdentity,
                known.identity != gone.identity
            {
                // Another directory is there, the parent's look saw it and its watch
                // followed it here (a rename onto the name, reported by the parent): this
                // watch just ends. Without another watch here, the loop would be left
                // with none (found by the random-operations test, seed 12704).
                events.append(RawEvent(descriptor: descriptor, mask: .deleteSelf))
            } else if let parentDescriptor, let now, now.kind == .directory {
                // Gone when it was looked at, but a directory is there again (removed and
                // made anew between the parent's look and its own, maybe with the same
                // inode number, so the parent saw no change): tell the parent's watch it
                // was replaced, so the loop drops the old one and scans the new one (found
                // by the random-operations test).
                events.append(RawEvent(descriptor: parentDescriptor, mask: [.delete, .isDirectory], name: name))
                events.append(RawEvent(descriptor: parentDescriptor, mask: [.create, .isDirectory], name: name))
                recordedNames.insert(DescriptorName(descriptor: parentDescriptor, name: name))
                directories[parentDescriptor]?.entries[name] = Snapshot(
                    device: now.device, inode: now.inode, size: now.size, modificationTime: now.modificationTime,
                    kind: .directory)
            } else {
                if let parentDescriptor, let known, known.kind == .directory {
                    if known.identity == gone.identity {
                        // Removed after the parent's look, which still lists it: its delete
                        // comes now, as the kernel's comes with the deleteSelf. Left to the
                        // parent's next look, a directory made again under the name by then,
                        // with the inode number ext4 hands out again at once, would look
                        // unchanged and stay unwatched (issue 4: the random-operations test).
                        events.append(RawEvent(descriptor: parentDescriptor, mask: [.delete, .isDirectory], name: name))
                        recordedNames.insert(DescriptorName(descriptor: parentDescriptor, name: name))
                        directories[parentDescriptor]?.entries[name] = nil
                    } else {
                        // The parent saw another directory there, gone too: its next look
                        // reports the name, whatever is there by then.
                        directories[parentDescriptor]?.entries[name]?.verified = false
                    }
                }
                events.append(RawEvent(descriptor: descriptor, mask: .deleteSelf))
            }
            events.append(RawEvent(descriptor: descriptor, mask: .ignored))
        }
    }

    /// Whether an inode that vanished under one name and appeared under another was
    /// renamed, rather than freed and reused by a new entry (file systems hand a freed
    /// inode number out again at once). A renamed file keeps its size and modification
    /// time; a renamed directory keeps its entries' inodes, when its old ones are known
    /// (it was watched). A rename that also changed the file is reported as unlink and add.
    private func isRename(from old: Change, to new: Change) -> Bool {
        guard old.snapshot.kind == new.snapshot.kind else { return false }
        if new.snapshot.kind == .file {
            return old.snapshot.size == new.snapshot.size && old.snapshot.modificationTime == new.snapshot.modificationTime
        }
        guard let oldParent = directories[old.descriptor]?.path, let newParent = directories[new.descriptor]?.path,
            let watched = descriptorByPath[oldParent + "/" + old.name], let before = directories[watched]?.entries
        else { return true }
        guard let now = try? Self.snapshot(newParent + "/" + new.name, in: fileSystem) else { return false }
        // Its entries keep their inodes; a new directory that got a freed inode number has
        // new ones (an empty one either way: then the two stories end the same).
        if before.isEmpty || now.isEmpty { return before.isEmpty && now.isEmpty }
        return before.contains { name, entry in now[name]?.identity == entry.identity }
    }
}
#endif
