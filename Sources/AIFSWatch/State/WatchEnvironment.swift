#if os(Linux)
import AIFSCore
import SystemPackage

/// One entry of a directory listing, as the watcher needs it.
struct DirectoryEntry: Hashable, Sendable {
    /// The entry's name inside its directory.
    var name: String
    /// A directory, or anything else (a symbolic link to a directory counts as a
    /// directory only when links are followed).
    var kind: EntryKind
    /// Whether the entry is a symbolic link.
    var isLink: Bool
}

/// Everything the watcher reads from the disk, so the state machine and the polling
/// backend can run against a fake in tests (the way swift-system mocks its system
/// calls) and against the kernel in production (``LiveWatchFileSystem``).
///
/// ## Threading
/// Called on the watch thread only.
protocol WatchFileSystem {
    /// What kind of entry is at `path` (not following a final link); `nil` when none.
    func entryKind(atPath path: String) -> EntryKind?
    /// The entries of `path` (without `.` and `..`), in no particular order.
    func listDirectory(atPath path: String, followSymlinks: Bool) throws(Errno) -> [DirectoryEntry]
    /// The identity of the entry at `path`, following a final link when asked.
    func status(atPath path: String, followSymlinks: Bool) throws(Errno) -> FileIdentity
    /// The canonical absolute path, links resolved.
    func realPath(_ path: String) throws(Errno) -> String
    /// The contents of a small file (at most 1 MiB), or `nil` when it cannot be read.
    func readSmallFile(atPath path: String) -> [UInt8]?
    /// The first integer in a small text file (the kernel's limits in `/proc`).
    func readInteger(atPath path: String) -> Int?
    /// The `statfs` type of the file system holding `path`.
    func fileSystemType(atPath path: String) throws(Errno) -> Int64
}

extension WatchFileSystem {
    /// The identity of the entry at `path`, not following a final link.
    func status(atPath path: String) throws(Errno) -> FileIdentity {
        try status(atPath: path, followSymlinks: false)
    }
}

/// The disk, through the system calls.
struct LiveWatchFileSystem: WatchFileSystem {
    func entryKind(atPath path: String) -> EntryKind? { Syscall.entryKind(atPath: path) }

    func listDirectory(atPath path: String, followSymlinks: Bool) throws(Errno) -> [DirectoryEntry] {
        try Syscall.listDirectory(atPath: path, followSymlinks: followSymlinks)
    }

    func status(atPath path: String, followSymlinks: Bool) throws(Errno) -> FileIdentity {
        try Syscall.status(atPath: path, followSymlinks: followSymlinks)
    }

    func realPath(_ path: String) throws(Errno) -> String { try Syscall.realPath(path) }

    func readSmallFile(atPath path: String) -> [UInt8]? { Syscall.readSmallFile(atPath: path) }

    func readInteger(atPath path: String) -> Int? { Syscall.readInteger(atPath: path) }

    func fileSystemType(atPath path: String) throws(Errno) -> Int64 { try Syscall.fileSystemType(atPath: path) }
}

/// The watcher's two clocks: a monotonic one for deadlines (rename pairing, held
/// unlinks, write-finish checks) and the wall clock that stamps events. Injected so
/// that tests turn time by hand.
protocol WatchClock {
    /// The monotonic time now.
    var now: ContinuousClock.Instant { get }
    /// Nanoseconds since the epoch, for ``WatchEvent/timestamp``.
    var wallClockNanoseconds: Int64 { get }
}

/// The system's clocks.
struct SystemWatchClock: WatchClock {
    var now: ContinuousClock.Instant { .now }
    var wallClockNanoseconds: Int64 { Syscall.now() }
}

/// What a ``Watcher`` runs on: the disk, the clocks, and a last say over the backend.
/// Production uses the defaults; tests inject fakes here instead of reaching into the
/// types with hooks.
struct WatchEnvironment {
    var fileSystem: any WatchFileSystem = LiveWatchFileSystem()
    var clock: any WatchClock = SystemWatchClock()
    /// Wraps the backend the watcher chose (a test double that fails some watches or
    /// records the raw events); the identity in production.
    var adaptBackend: (any FileWatcherBackend) -> any FileWatcherBackend = { $0 }
}
#endif
