#if os(Linux)
import AIFSCore
import SystemPackage

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
final class PollingBackend: FileWatcherBackend {
    /// How often the disk is compared with the snapshots.
    let interval: Duration
    /// Wakes a standalone wait for shutdown.
    let waker: BackendWaker
    var directories: [WatchDescriptor: Directory] = [:]
    /// The descriptor watching each path (the inverse of `directories`' paths).
    var descriptorByPath: [String: WatchDescriptor] = [:]
    var nextDescriptor: Int32 = -2
    /// The names the last poll's records are about: the loop may not have handled them
    /// yet when it lists their directory.
    var recordedNames: Set<DescriptorName> = []
    /// Rename cookies from the upper half of the range: the kernel's count up from 0
    /// since boot, so in one loop with inotify the two never pair with each other.
    static let firstCookie: UInt32 = 0x8000_0000
    var nextCookie = PollingBackend.firstCookie
    /// Records ready before the next poll (`ignored` for removed watches).
    var queued: [RawEvent] = []
    var due: ContinuousClock.Instant
    /// The disk (or a test's double), for every listing and stat.
    let fileSystem: any WatchFileSystem
    /// Creates a polling backend.
    ///
    /// - Parameters:
    ///   - interval: Time between polls; cut to 1 ms ... 1 day.
    ///   - waker: The waker to wait on; a new one when `nil`.
    ///   - fileSystem: What it looks at: the disk, or a test's double.
    /// - Throws: The `Errno` of `pipe2` (`EMFILE` when out of descriptors).
    init(
        interval: Duration, waker: BackendWaker? = nil, fileSystem: any WatchFileSystem = LiveWatchFileSystem()
    ) throws(Errno) {
        self.interval = max(interval.clampedForWatching, .milliseconds(1))
        self.fileSystem = fileSystem
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

    var polledDirectoryCount: Int { directories.count }

    func addWatch(directory: String) throws(Errno) -> WatchDescriptor {
        do throws(Errno) {
            let own = try fileSystem.status(atPath: directory, followSymlinks: true)
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
            let entries = try Self.snapshot(directory, in: fileSystem)
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

    func addFallbackWatch(directory: String) throws(Errno) -> WatchDescriptor {
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
    func noteListed(_ descriptor: WatchDescriptor, entries listing: [DirectoryEntry]) {
        guard var entries = directories[descriptor]?.entries, let path = directories[descriptor]?.path else { return }
        let listed = Set(listing.lazy.map(\.name))
        for name in listed where entries[name] == nil {
            guard let status = try? fileSystem.status(atPath: path + "/" + name) else {
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

    func removeWatch(_ descriptor: WatchDescriptor) {
        guard let removed = directories.removeValue(forKey: descriptor) else { return }
        if descriptorByPath[removed.path] == descriptor { descriptorByPath[removed.path] = nil }
        queued.append(RawEvent(descriptor: descriptor, mask: .ignored))
    }

    /// Blocks until the next poll is due, a stop is requested or `timeoutMilliseconds`
    /// pass; a poll that is due (or queued records) means ``BackendWake/events``.
    func wait(timeoutMilliseconds: Int?) throws(Errno) -> BackendWake {
        if !queued.isEmpty { return .events }
        let untilDue = millisecondsUntilDue(now: .now)
        let timeout = min(untilDue, timeoutMilliseconds ?? Int.max)
        if try Syscall.waitReadable(waker.fd, timeoutMilliseconds: CInt(clamping: timeout)) { return .stopRequested }
        return timeout == untilDue ? .events : .timedOut
    }

    func readEvents(into events: inout [RawEvent]) throws(Errno) {
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
}
#endif
