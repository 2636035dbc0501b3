#if os(Linux)
import AIFSCore
import SystemPackage

/// What the polling backend remembers of each watched directory, and the pure parts of
/// comparing two looks at it.
extension PollingBackend {
    /// What one directory entry looked like at the last poll.
    struct Snapshot: Hashable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modificationTime: Int64
        var kind: EntryKind
        /// False when the loop's listing and this backend's records may disagree about the
        /// entry (see ``noteListed(_:entries:)``): the next poll reports it afresh, `create`
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

    /// Renames in an order that can have happened: one whose source name another takes
    /// comes first (`b -> c` before `d -> b`). No order makes a cycle (`a -> e` and
    /// `e -> a`): it went through a name no poll saw (a swap), or one of its pairs is
    /// no rename at all (`rm -r e; mv a e; mkdir a`, the new `a` given `e`'s freed inode
    /// number, both empty). One pair of each cycle is given back (`broken`) to be
    /// reported as delete and create, which ends the same either way; kept, the loop
    /// applied the cycle one rename at a time and lost a directory (found by the
    /// random-operations test, seed 5852).
    static func ordered(
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
    /// - Parameter fileSystem: The disk, or a test's double.
    static func snapshot(_ directory: String, in fileSystem: any WatchFileSystem) throws(Errno) -> [String: Snapshot] {
        var result: [String: Snapshot] = [:]
        var nameByIdentity: [Identity: String] = [:]
        var shared: [String] = []
        for entry in try fileSystem.listDirectory(atPath: directory, followSymlinks: false) {
            // Gone between the listing and the stat: it will be seen at the next poll.
            guard let snapshot = status(directory + "/" + entry.name, in: fileSystem) else { continue }
            result[entry.name] = snapshot
            if let other = nameByIdentity.updateValue(entry.name, forKey: snapshot.identity) {
                shared.append(other)
                shared.append(entry.name)
            }
        }
        for name in shared { result[name] = status(directory + "/" + name, in: fileSystem) }
        return result
    }

    /// The entry at `path` now; `nil` when it is gone.
    static func status(_ path: String, in fileSystem: any WatchFileSystem) -> Snapshot? {
        guard let status = try? fileSystem.status(atPath: path) else { return nil }
        return Snapshot(
            device: status.device, inode: status.inode, size: status.size,
            modificationTime: status.modificationTime, kind: status.kind == .directory ? .directory : .file)
    }
}
#endif
