public import SystemPackage

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
public struct WatchDescriptor: RawRepresentable, Hashable, Sendable {
    /// The kernel's number.
    public var rawValue: Int32
    /// Wraps a kernel watch descriptor.
    public init(rawValue: Int32) { self.rawValue = rawValue }
}

/// The inotify event bits. Values are the Linux ABI (`<sys/inotify.h>`).
public struct InotifyMask: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let modify = InotifyMask(rawValue: 0x0000_0002)
    public static let attrib = InotifyMask(rawValue: 0x0000_0004)
    public static let closeWrite = InotifyMask(rawValue: 0x0000_0008)
    public static let movedFrom = InotifyMask(rawValue: 0x0000_0040)
    public static let movedTo = InotifyMask(rawValue: 0x0000_0080)
    public static let create = InotifyMask(rawValue: 0x0000_0100)
    public static let delete = InotifyMask(rawValue: 0x0000_0200)
    public static let deleteSelf = InotifyMask(rawValue: 0x0000_0400)
    public static let moveSelf = InotifyMask(rawValue: 0x0000_0800)
    public static let unmount = InotifyMask(rawValue: 0x0000_2000)
    public static let queueOverflow = InotifyMask(rawValue: 0x0000_4000)
    public static let ignored = InotifyMask(rawValue: 0x0000_8000)
    public static let onlyDirectory = InotifyMask(rawValue: 0x0100_0000)
    public static let dontFollow = InotifyMask(rawValue: 0x0200_0000)
    public static let excludeUnlinked = InotifyMask(rawValue: 0x0400_0000)
    public static let isDirectory = InotifyMask(rawValue: 0x4000_0000)

    /// What the watcher asks for on every directory.
    public static let directoryWatch: InotifyMask = [
        .create, .delete, .modify, .closeWrite, .movedFrom, .movedTo, .deleteSelf, .moveSelf,
        .attrib, .onlyDirectory, .dontFollow, .excludeUnlinked,
    ]
}

/// One raw change as the kernel reported it: no tree knowledge, no pairing.
public struct RawEvent: Sendable, Hashable {
    /// The watched directory the event is about (-1 for a queue overflow).
    public var descriptor: WatchDescriptor
    /// What happened.
    public var mask: InotifyMask
    /// Links the two halves of a rename (`movedFrom`, `movedTo`); 0 otherwise.
    public var cookie: UInt32
    /// The entry's name inside the directory, or empty when the event is about the
    /// directory itself.
    public var name: String

    /// Creates a raw event.
    public init(descriptor: WatchDescriptor, mask: InotifyMask, cookie: UInt32 = 0, name: String = "") {
        self.descriptor = descriptor
        self.mask = mask
        self.cookie = cookie
        self.name = name
    }
}

/// What woke a backend's wait.
public enum BackendWake: Sendable, Hashable {
    /// Events are ready to read.
    case events
    /// Someone asked the loop to stop.
    case stopRequested
    /// The timeout passed with nothing to read.
    case timedOut
}

/// An OS mechanism that reports raw changes of watched directories.
///
/// Backends only report; tree state, rename pairing and rescans live above them in
/// `WatchLoop` and ``WatchTree``.
///
/// ## Threading
/// A backend belongs to the one thread running its watch loop: every method is called
/// from that thread only. A ``BackendWaker`` is how other threads reach it.
///
/// ## Design rationale
/// The raw events use inotify's vocabulary (``InotifyMask``) whatever the backend:
/// ``PollingBackend`` turns the differences between two stat snapshots into the same
/// `create`, `delete`, `closeWrite`, `movedFrom`/`movedTo` and `deleteSelf` records, so
/// the tree state, rename pairing and rescans above work unchanged for both.
public protocol FileWatcherBackend: AnyObject {
    /// Starts watching a directory (not its subdirectories).
    func addWatch(directory: String) throws(Errno) -> WatchDescriptor
    /// Starts watching a directory by polling, after ``addWatch(directory:)`` failed
    /// with `ENOSPC` (the kernel's watch limit). Backends that cannot poll rethrow it.
    func addFallbackWatch(directory: String) throws(Errno) -> WatchDescriptor
    /// How many directories this backend watches by polling.
    var polledDirectoryCount: Int { get }
    /// Tells the backend which names the loop found listing a directory just after
    /// watching it (a new watch, or one it already had). The kernel needs nothing;
    /// polling brings its snapshot to the listing, so what the loop reported from it is
    /// compared at the next poll (see ``PollingBackend/noteListed(_:names:)``).
    func noteListed(_ descriptor: WatchDescriptor, names: [String])
    /// Stops watching a directory; an already-gone watch is not an error.
    func removeWatch(_ descriptor: WatchDescriptor)
    /// Blocks until events are ready, a stop is requested, or `timeoutMilliseconds`
    /// pass (`nil`: no timeout).
    func wait(timeoutMilliseconds: Int?) throws(Errno) -> BackendWake
    /// Appends every event ready now, without blocking.
    func readEvents(into events: inout [RawEvent]) throws(Errno)
}

extension FileWatcherBackend {
    /// Rethrows `ENOSPC`: no polling fallback.
    public func addFallbackWatch(directory: String) throws(Errno) -> WatchDescriptor { throw .noSpace }
    /// None.
    public var polledDirectoryCount: Int { 0 }
    /// Nothing to do.
    public func noteListed(_ descriptor: WatchDescriptor, names: [String]) {}
}
