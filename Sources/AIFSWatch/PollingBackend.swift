#if os(Linux)
import AIFSCore
public import SystemPackage

/// The backend for where inotify sees nothing or cannot be trusted (NFS, SMB, 9P,
/// FUSE) and for directories past the kernel's watch limit: it keeps a stat snapshot
/// (device, inode, size, modification time in ns) of each watched directory's entries
/// and compares it with the disk every ``interval``.
///
/// The differences come out as the same raw records the kernel would write (see
/// ``FileWatcherBackend``): a new name is `create` (plus `closeWrite` for a file, as
/// the kernel reports an open-write-close), a vanished name `delete`, a file whose size
/// or modification time changed `closeWrite`, a name whose inode was replaced by a file
/// `movedTo` without a partner (reported as a `change`), and an inode that vanished under
/// one name and appeared under another, in the same poll, a `movedFrom`/`movedTo` pair.
/// A watched directory that is gone (or replaced) says `deleteSelf` and `ignored`.
///
/// ## Threading
/// Owned by the watch loop's thread, like every backend. Alone, it blocks in `poll(2)`
/// on its ``waker``'s pipe until the next poll is due, so ``BackendWaker/wake()``
/// stops it at once; inside the (internal) `RoutingBackend` the inotify backend's wait is used and
/// ``pollIfDue(now:into:)`` is called instead.
///
/// ## Known problems
/// - A change that keeps the size and lands within the file system's timestamp
///   granularity of the previous poll is not seen.
/// - Everything that happens between two polls is seen at once: a file created and
///   removed in between is not reported, and the order of events inside one poll is
///   by directory, not by time.
/// - Each poll costs one `lstat` per watched entry: use it for the trees that need it.
/// - When the loop's listing of a directory and the records it is still handling
///   disagree about a name, the next poll reports the name afresh: a file the loop
///   already knows then gets one `change` that nothing made.
public final class PollingBackend: FileWatcherBackend {
    /// What one directory entry looked like at the last poll.
    struct Snapshot: Hashable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modificationTime: Int64
        var kind: EntryKind
        /// False when the loop's listing and this backend's records may disagree about the
        /// entry (see ``noteListed(_:names:)``): the next poll reports it afresh, `create`
        /// when it is there and `delete` when it is not, whatever it looked like.
        var verified = true

        var identity: Identity { Identity(device: device, inode: inode) }
    }

    /// Which file, whatever its contents.
    struct Identity: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    /// One watched directory.
    struct Directory {
        var path: String
        var identity: Identity
        var entries: [String: Snapshot]
    }

    /// How often the disk is compared with the snapshots.
    public let interval: Duration
    /// Wakes a standalone wait for shutdown.
    public let waker: BackendWaker
    private var directories: [WatchDescriptor: Directory] = [:]
    /// The descriptor watching each path (the inverse of `directories`' paths).
    private var descriptorByPath: [String: WatchDescriptor] = [:]
    private var nextDescriptor: Int32 = -2
    /// The names the last poll's records are about: the loop may not have handled them
    /// yet when it lists their directory.
    private var recordedNames: Set<DescriptorName> = []
    /// Rename cookies from the upper half of the range: the kernel's count up from 0
    /// since boot, so in one loop with inotify the two never pair with each other.
    static let firstCookie: UInt32 = 0x8000_0000
    private var nextCookie = PollingBackend.firstCookie
    /// Records ready before the next poll (`ignored` for removed watches).
    private var queued: [RawEvent] = []
    private var due: ContinuousClock.Instant
    /// Test hook (not API): called with each watched directory's path just before a
    /// poll compares it, so a test can change the disk between two directories' looks.
    var _beforeComparing: ((String) -> Void)?
    /// Test hook (not API): called with a directory's path when the loop's listing of it
    /// arrives in ``noteListed(_:names:)``, before its new names are stat'ed, so a test
    /// can change the disk between the loop's listing and the backend's look.
    var _beforeNotingListed: ((String) -> Void)?
    /// Test hook (not API): called with each entry's path just before a poll stats it,
    /// so a test can change the disk between a directory's listing and its stats.
    var _beforeStatting: ((String) -> Void)?

    /// Creates a polling backend.
    ///
    /// - Parameters:
    ///   - interval: Time between polls; cut to 1 ms ... 1 day.
    ///   - waker: The waker to wait on; a new one when `nil`.
    /// - Throws: The `Errno` of `pipe2` (`EMFILE` when out of descriptors).
    public init(interval: Duration, waker: BackendWaker? = nil) throws(Errno) {
        self.interval = max(interval.clampedForWatching, .milliseconds(1))
        if let waker {
            self.waker = waker
        } else {
            self.waker = try BackendWaker()
        }
        self.due = .now + self.interval
    }

    /// Polling descriptors are negative (from -2 down), so they never collide with the
    /// kernel's (positive) nor with the overflow record's -1.
    static func isPolling(_ descriptor: WatchDescriptor) -> Bool { descriptor.rawValue < -1 }

    public var polledDirectoryCount: Int { directories.count }

    public func addWatch(directory: String) throws(Errno) -> WatchDescriptor {
        do throws(Errno) {
            let own = try Syscall.status(atPath: directory, followSymlinks: true)
            guard own.kind == .directory else { throw Errno.notDirectory }
            let identity = Identity(device: own.device, inode: own.inode)
            if let existing = descriptorByPath[directory] {
                // The same directory keeps its snapshot: records of the last poll about it
                // may still be on their way to the loop, and the loop's listing reaches the
                // snapshot through noteListed. Another directory by now starts afresh.
                if directories[existing]?.identity == identity {
                    return existing
                }
                removeWatch(existing)
            }
            let entries = try Self.snapshot(directory)
            let descriptor = WatchDescriptor(rawValue: nextDescriptor)
            nextDescriptor = nextDescriptor == Int32.min ? -2 : nextDescriptor - 1
            descriptorByPath[directory] = descriptor
            directories[descriptor] = Directory(path: directory, identity: identity, entries: entries)
            return descriptor
        } catch {
            // The loop has the directory (it just learned of it) but cannot watch it: the
            // parent's next look must say whether it is gone or back, even when it is back
            // with the inode number the parent saw (found by the random-operations test).
            unverify(directory)
            throw error
        }
    }

    public func addFallbackWatch(directory: String) throws(Errno) -> WatchDescriptor {
        try addWatch(directory: directory)
    }

    /// Brings the snapshot to what the loop listed, so that what the loop reported from
    /// its listing is compared at the next poll: a name made or removed around the
    /// listing would otherwise never be reported again (found by the random-operations
    /// test). A name the last poll's records are about is not taken from the listing:
    /// the loop may handle those records after the listing (in the same batch), and
    /// then its tree follows the records, not the listing. Such a name is marked
    /// unverified instead, so the next poll reports it whatever it looks like then; so
    /// is a listed name that is gone when the backend comes to stat it.
    public func noteListed(_ descriptor: WatchDescriptor, names: [String]) {
        guard var entries = directories[descriptor]?.entries, let path = directories[descriptor]?.path else { return }
        _beforeNotingListed?(path)
        let listed = Set(names)
        for name in names where entries[name] == nil {
            guard let status = try? Syscall.status(atPath: path + "/" + name) else {
                // Gone since the listing (an atomic save's temporary file, renamed into
                // place; a directory removed at once): the loop reports it from the
                // listing, so the next poll must report it, gone or back. Left out, it
                // stayed in the loop's tree for good (issue 4: the random-operations
                // test under load). No inode is 0: this never pairs as a rename.
                entries[name] = Snapshot(device: 0, inode: 0, size: 0, modificationTime: 0, kind: .file, verified: false)
                continue
            }
            entries[name] = Snapshot(
                device: status.device, inode: status.inode, size: status.size,
                modificationTime: status.modificationTime, kind: status.kind == .directory ? .directory : .file,
                verified: !recordedNames.contains(DescriptorName(descriptor: descriptor, name: name)))
        }
        for name in entries.keys where !listed.contains(name) {
            if recordedNames.contains(DescriptorName(descriptor: descriptor, name: name)) {
                entries[name]?.verified = false
            } else {
                entries[name] = nil
            }
        }
        directories[descriptor]?.entries = entries
    }

    /// Marks the entry at `path` in its parent's snapshot unverified (see ``Snapshot``).
    private func unverify(_ path: String) {
        let (parent, name) = WatchTree.split(path)
        guard let descriptor = descriptorByPath[parent] else { return }
        directories[descriptor]?.entries[name]?.verified = false
    }

    public func removeWatch(_ descriptor: WatchDescriptor) {
        guard let removed = directories.removeValue(forKey: descriptor) else { return }
        if descriptorByPath[removed.path] == descriptor { descriptorByPath[removed.path] = nil }
        queued.append(RawEvent(descriptor: descriptor, mask: .ignored))
    }

    /// Blocks until the next poll is due, a stop is requested or `timeoutMilliseconds`
    /// pass; a poll that is due (or queued records) means ``BackendWake/events``.
    public func wait(timeoutMilliseconds: Int?) throws(Errno) -> BackendWake {
        if !queued.isEmpty { return .events }
        let untilDue = millisecondsUntilDue(now: .now)
        let timeout = min(untilDue, timeoutMilliseconds ?? Int.max)
        if try Syscall.waitReadable(waker.fd, timeoutMilliseconds: CInt(clamping: timeout)) { return .stopRequested }
        return timeout == untilDue ? .events : .timedOut
    }

    public func readEvents(into events: inout [RawEvent]) throws(Errno) {
        pollIfDue(now: .now, into: &events)
    }

    /// Whether records (`ignored` for removed watches) wait for the next read.
    var hasQueuedEvents: Bool { !queued.isEmpty }

    /// Milliseconds until the next poll (0 when it is due or records are queued).
    func millisecondsUntilDue(now: ContinuousClock.Instant) -> Int {
        if !queued.isEmpty { return 0 }
        let remaining = now.duration(to: due)
        if remaining <= .zero { return 0 }
        return remaining.timeoutMilliseconds
    }

    /// Appends the queued records and, when the poll is due, the differences since the
    /// last poll.
    func pollIfDue(now: ContinuousClock.Instant, into events: inout [RawEvent]) {
        // The loop handles a batch whole before it reads again: the last poll's records
        // are behind it.
        recordedNames.removeAll(keepingCapacity: true)
        events.append(contentsOf: queued)
        queued.removeAll()
        guard now >= due else { return }
        poll(into: &events)
        // From the end of this poll: a slow poll of a big tree never runs back to back.
        due = .now + interval
    }

    // MARK: - Comparing snapshots

    private struct DescriptorName: Hashable {
        var descriptor: WatchDescriptor
        var name: String
    }

    private struct Change {
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
            _beforeComparing?(directory.path)
            guard let own = try? Syscall.status(atPath: directory.path, followSymlinks: true),
                own.kind == .directory, Identity(device: own.device, inode: own.inode) == directory.identity
            else {
                missing.append(descriptor)
                return
            }
            // An unreadable directory keeps its old snapshot: nothing is invented.
            guard let current = try? Self.snapshot(directory.path, beforeStatting: _beforeStatting) else { return }
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
            let now = try? Syscall.status(atPath: path)
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
        guard let now = try? Self.snapshot(newParent + "/" + new.name) else { return false }
        // Its entries keep their inodes; a new directory that got a freed inode number has
        // new ones (an empty one either way: then the two stories end the same).
        if before.isEmpty || now.isEmpty { return before.isEmpty && now.isEmpty }
        return before.contains { name, entry in now[name]?.identity == entry.identity }
    }

    /// Renames in an order that can have happened: one whose source name another takes
    /// comes first (`b -> c` before `d -> b`). No order makes a cycle (`a -> e` and
    /// `e -> a`): it went through a name no poll saw (a swap), or one of its pairs is
    /// no rename at all (`rm -r e; mv a e; mkdir a`, the new `a` given `e`'s freed inode
    /// number, both empty). One pair of each cycle is given back (`broken`) to be
    /// reported as delete and create, which ends the same either way; kept, the loop
    /// applied the cycle one rename at a time and lost a directory (found by the
    /// random-operations test, seed 5852).
    private static func ordered(
        _ pairs: [(from: Change, to: Change)]
    ) -> (ordered: [(from: Change, to: Change)], broken: [(from: Change, to: Change)]) {
        guard pairs.count > 1 else { return (pairs, []) }
        var remaining = pairs
        var result: [(from: Change, to: Change)] = []
        var broken: [(from: Change, to: Change)] = []
        while !remaining.isEmpty {
            let sources = Set(remaining.map { DescriptorName(descriptor: $0.from.descriptor, name: $0.from.name) })
            let ready = remaining.indices.filter {
                !sources.contains(DescriptorName(descriptor: remaining[$0].to.descriptor, name: remaining[$0].to.name))
            }
            if ready.isEmpty {
                // Each name is the source of one pair and the destination of one at most,
                // so what is left is cycles: taking one pair out opens its cycle.
                broken.append(remaining.removeFirst())
                continue
            }
            for index in ready { result.append(remaining[index]) }
            let taken = Set(ready)
            remaining = remaining.indices.filter { !taken.contains($0) }.map { remaining[$0] }
        }
        return (result, broken)
    }

    /// The entries of `directory` now, by name (symbolic links as files, not followed).
    ///
    /// One inode under two names is a hard link, or a rename during the look: the source
    /// was stat'ed before it, the destination after. Both names are stat'ed again, and a
    /// name gone by then is left out, so the look reads as one after the rename. Kept,
    /// an atomic save caught in the middle was `add tmp`, `change target` and, at the
    /// next poll, `unlink tmp` (found by `atomicSave` under load).
    ///
    /// - Parameter beforeStatting: Test hook: called with each entry's path before it
    ///   is stat'ed.
    static func snapshot(
        _ directory: String, beforeStatting: ((String) -> Void)? = nil
    ) throws(Errno) -> [String: Snapshot] {
        var result: [String: Snapshot] = [:]
        var nameByIdentity: [Identity: String] = [:]
        var shared: [String] = []
        for entry in try Syscall.listDirectory(atPath: directory) {
            beforeStatting?(directory + "/" + entry.name)
            // Gone between the listing and the stat: it will be seen at the next poll.
            guard let snapshot = status(directory + "/" + entry.name) else { continue }
            result[entry.name] = snapshot
            if let other = nameByIdentity.updateValue(entry.name, forKey: snapshot.identity) {
                shared.append(other)
                shared.append(entry.name)
            }
        }
        for name in shared { result[name] = status(directory + "/" + name) }
        return result
    }

    /// The entry at `path` now; `nil` when it is gone.
    private static func status(_ path: String) -> Snapshot? {
        guard let status = try? Syscall.status(atPath: path) else { return nil }
        return Snapshot(
            device: status.device, inode: status.inode, size: status.size,
            modificationTime: status.modificationTime, kind: status.kind == .directory ? .directory : .file)
    }
}
#endif
