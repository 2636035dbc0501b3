#if os(Linux)
import AIFSCore
import SystemPackage

/// One entry of a polled directory as a look at it found it: which file (device and
/// inode), its size and modification time, and its kind (`lstat`: a symbolic link is a
/// file here, whatever it points to).
struct PolledEntry: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    /// Nanoseconds since the epoch.
    var modificationTime: Int64
    var kind: EntryKind
    var isLink: Bool

    /// Which file, whatever its contents.
    var identity: Identity { Identity(device: device, inode: inode) }

    /// Which file: a device and an inode number. Not an identity for ever: file systems
    /// hand a freed inode number out again at once.
    struct Identity: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
    }

    init(_ status: FileIdentity) {
        device = status.device
        inode = status.inode
        size = status.size
        modificationTime = status.modificationTime
        kind = status.kind == .directory ? .directory : .file
        isLink = status.kind == .symlink
    }

    /// Whether `other` is this file with other contents (a write: size or
    /// modification time changed).
    func isModified(comparedTo other: PolledEntry) -> Bool {
        size != other.size || modificationTime != other.modificationTime
    }

    /// The entries of `directory` now, by name, each stat'ed (links not followed).
    ///
    /// A name gone between the listing and its stat is left out: it is not there, and if
    /// it is back the next look finds it. One inode under two names is a hard link, or a
    /// rename during the look (the source stat'ed before it, the destination after):
    /// both names are stat'ed again, and a name gone by then is left out, so the look
    /// reads as one after the rename. Kept, an atomic save caught in the middle was `add
    /// tmp`, `change target` and, at the next poll, `unlink tmp` (found by `atomicSave`
    /// under load).
    ///
    /// - Throws: The listing's `Errno` (the directory is gone, or unreadable).
    static func list(_ directory: String, in fileSystem: any WatchFileSystem) throws(Errno) -> [String: PolledEntry] {
        var result: [String: PolledEntry] = [:]
        var nameByIdentity: [Identity: String] = [:]
        var shared: [String] = []
        let prefix = directory == "/" ? "/" : directory + "/"
        for entry in try fileSystem.listDirectory(atPath: directory, followSymlinks: false) {
            guard let status = try? fileSystem.status(atPath: prefix + entry.name) else { continue }
            let polled = PolledEntry(status)
            result[entry.name] = polled
            if let other = nameByIdentity.updateValue(entry.name, forKey: polled.identity) {
                shared.append(other)
                shared.append(entry.name)
            }
        }
        for name in shared {
            result[name] = (try? fileSystem.status(atPath: prefix + name)).map(PolledEntry.init)
        }
        return result
    }
}

/// What one polled directory holds at a poll: every entry with its identity, or
/// nothing when the directory that was watched is no longer at its path (removed, or
/// replaced by another directory or a file).
struct DirectoryListing: Sendable {
    /// The watch the listing is for.
    var descriptor: WatchDescriptor
    /// The entries by name; `nil` when the watched directory is gone or replaced.
    var entries: [String: PolledEntry]?
}

/// The polled directories and how to look at them: a path and the identity the
/// directory had when it was watched, nothing else. What the entries looked like
/// before is the watch state's to remember (its tree), not the poller's: there is one
/// view of the tree, and a poll only says what is there now.
///
/// Polled watches are numbered from -2 down (see ``WatchDescriptor/isPolled``).
///
/// ## Threading
/// A value owned by its backend (the watch thread), or by a test.
struct DirectoryPoller {
    private struct Watched {
        var path: String
        var identity: PolledEntry.Identity
    }

    private var watched: [WatchDescriptor: Watched] = [:]
    private var nextDescriptor: Int32 = -2

    /// How many directories are polled.
    var count: Int { watched.count }

    /// Polls `directory` (following a final link) from now on.
    ///
    /// - Returns: A new descriptor, below -1.
    /// - Throws: `ENOTDIR` when it is not a directory, or the stat's `Errno`.
    mutating func addWatch(directory: String, in fileSystem: any WatchFileSystem) throws(Errno) -> WatchDescriptor {
        let own = try fileSystem.status(atPath: directory, followSymlinks: true)
        guard own.kind == .directory else { throw Errno.notDirectory }
        let descriptor = WatchDescriptor(rawValue: nextDescriptor)
        nextDescriptor = nextDescriptor == Int32.min ? -2 : nextDescriptor - 1
        watched[descriptor] = Watched(path: directory, identity: PolledEntry.Identity(device: own.device, inode: own.inode))
        return descriptor
    }

    /// Stops polling a directory; an unknown descriptor is not an error.
    mutating func removeWatch(_ descriptor: WatchDescriptor) {
        watched[descriptor] = nil
    }

    /// Looks at every polled directory, parents before children, and appends what each
    /// holds. A directory that cannot be read (but is still the one watched) is left
    /// out: nothing is invented.
    func poll(in fileSystem: any WatchFileSystem, into listings: inout [DirectoryListing]) {
        for (descriptor, directory) in watched.sorted(by: { $0.value.path < $1.value.path }) {
            guard let own = try? fileSystem.status(atPath: directory.path, followSymlinks: true), own.kind == .directory,
                PolledEntry.Identity(device: own.device, inode: own.inode) == directory.identity
            else {
                listings.append(DirectoryListing(descriptor: descriptor, entries: nil))
                continue
            }
            guard let entries = try? PolledEntry.list(directory.path, in: fileSystem) else { continue }
            listings.append(DirectoryListing(descriptor: descriptor, entries: entries))
        }
    }
}
#endif
