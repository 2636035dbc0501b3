import SystemPackage

/// Whether a tree entry is a directory or anything else (files, symbolic links,
/// sockets: all reported as files, none followed).
public enum EntryKind: Sendable, Hashable {
    /// A regular file, symbolic link or other non-directory.
    case file
    /// A directory.
    case directory
}

/// The kernel's handle for one watched directory. The corresponding C type is the
/// `int` returned by `inotify_add_watch`.
struct WatchDescriptor: RawRepresentable, Hashable, Sendable {
    /// The kernel's number.
    var rawValue: Int32
    /// Wraps a kernel watch descriptor.
    init(rawValue: Int32) { self.rawValue = rawValue }

    /// Whether the directory is polled rather than watched by the kernel. Polled
    /// watches are numbered below -1 (the kernel's are positive, and -1 is the overflow
    /// record's), so nothing needs a table to tell them apart. A polled watch sends no
    /// records: its directory is listed at every poll, and it ends only when the state
    /// removes it (the kernel drops its own watches when their directory goes).
    var isPolled: Bool { rawValue < -1 }
}

/// The inotify event bits. Values are the Linux ABI (`<sys/inotify.h>`).
struct InotifyMask: OptionSet, Hashable, Sendable {
    var rawValue: UInt32
    init(rawValue: UInt32) { self.rawValue = rawValue }

    static let modify = InotifyMask(rawValue: 0x0000_0002)
    static let attrib = InotifyMask(rawValue: 0x0000_0004)
    static let closeWrite = InotifyMask(rawValue: 0x0000_0008)
    static let movedFrom = InotifyMask(rawValue: 0x0000_0040)
    static let movedTo = InotifyMask(rawValue: 0x0000_0080)
    static let create = InotifyMask(rawValue: 0x0000_0100)
    static let delete = InotifyMask(rawValue: 0x0000_0200)
    static let deleteSelf = InotifyMask(rawValue: 0x0000_0400)
    static let moveSelf = InotifyMask(rawValue: 0x0000_0800)
    static let unmount = InotifyMask(rawValue: 0x0000_2000)
    static let queueOverflow = InotifyMask(rawValue: 0x0000_4000)
    static let ignored = InotifyMask(rawValue: 0x0000_8000)
    static let onlyDirectory = InotifyMask(rawValue: 0x0100_0000)
    static let dontFollow = InotifyMask(rawValue: 0x0200_0000)
    static let excludeUnlinked = InotifyMask(rawValue: 0x0400_0000)
    static let isDirectory = InotifyMask(rawValue: 0x4000_0000)

    /// What the watcher asks for on every directory.
    static let directoryWatch: InotifyMask = [
        .create, .delete, .modify, .closeWrite, .movedFrom, .movedTo, .deleteSelf, .moveSelf,
        .attrib, .onlyDirectory, .dontFollow, .excludeUnlinked,
    ]
}

/// One raw change as the kernel reported it: no tree knowledge, no pairing.
struct RawEvent: Sendable, Hashable {
    /// The watched directory the event is about (-1 for a queue overflow).
    var descriptor: WatchDescriptor
    /// What happened.
    var mask: InotifyMask
    /// Links the two halves of a rename (`movedFrom`, `movedTo`); 0 otherwise.
    var cookie: UInt32
    /// The entry's name inside the directory, or empty when the event is about the
    /// directory itself.
    var name: String

    /// Creates a raw event.
    init(descriptor: WatchDescriptor, mask: InotifyMask, cookie: UInt32 = 0, name: String = "") {
        self.descriptor = descriptor
        self.mask = mask
        self.cookie = cookie
        self.name = name
    }
}

/// What woke a backend's wait.
enum BackendWake: Sendable, Hashable {
    /// Events are ready to read.
    case events
    /// Someone asked the loop to stop.
    case stopRequested
    /// The timeout passed with nothing to read.
    case timedOut
}

/// Where the watch state asks for watches: the kernel's, or polling's. The state
/// machine (`WatchState`) sees only this side of a backend.
///
/// ## Threading
/// Called on the watch thread only.
protocol WatchRegistrar: AnyObject {
    /// Starts watching a directory (not its subdirectories).
    func addWatch(directory: String) throws(Errno) -> WatchDescriptor
    /// Starts watching a directory by polling, after ``addWatch(directory:)`` failed
    /// with `ENOSPC` (the kernel's watch limit). Backends that cannot poll rethrow it.
    func addFallbackWatch(directory: String) throws(Errno) -> WatchDescriptor
    /// How many directories this backend watches by polling.
    var polledDirectoryCount: Int { get }
    /// Stops watching a directory; an already-gone watch is not an error.
    func removeWatch(_ descriptor: WatchDescriptor)
}

extension WatchRegistrar {
    /// Rethrows `ENOSPC`: no polling fallback.
    func addFallbackWatch(directory: String) throws(Errno) -> WatchDescriptor { throw .noSpace }
    /// None.
    var polledDirectoryCount: Int { 0 }
}

/// What one read of a backend brings: the kernel's records, and the listings of the
/// polled directories when a poll was due.
struct BackendBatch {
    /// The kernel's records, in its order.
    var records: [RawEvent] = []
    /// What each polled directory holds now (parents before children).
    var listings: [DirectoryListing] = []

    /// Empties the batch for the next read, keeping its storage.
    mutating func removeAll() {
        records.removeAll(keepingCapacity: true)
        listings.removeAll(keepingCapacity: true)
    }
}

/// An OS mechanism that reports raw changes of watched directories: the registrar
/// side for the state, and the waiting and reading side for the loop that drives it.
///
/// Backends only report; tree state, rename pairing and rescans live above them in
/// `WatchState`.
///
/// ## Threading
/// A backend belongs to the one thread running its watch loop: every method is called
/// from that thread only. A ``BackendWaker`` is how other threads reach it.
///
/// ## Design rationale
/// Each backend says what it knows, in its own terms: the kernel's records
/// (``RawEvent``, inotify's vocabulary) for the directories it watches, and for polled
/// directories what each holds now (``DirectoryListing``). Nothing is translated: the
/// state applies records as they come and compares listings with its tree, the one
/// view of what was reported, so there is no second diff engine and no synthetic record.
protocol FileWatcherBackend: WatchRegistrar {
    /// Blocks until events are ready, a stop is requested, or `timeoutMilliseconds`
    /// pass (`nil`: no timeout).
    func wait(timeoutMilliseconds: Int?) throws(Errno) -> BackendWake
    /// Appends every record ready now, and the listings when a poll is due, without
    /// blocking (a poll takes the time its `lstat`s take).
    func read(into batch: inout BackendBatch) throws(Errno)
}
