public import AIFSCore

/// One change seen by a ``Watcher``, with chokidar's event names.
///
/// Plain data: no C library types, so any layer (CLI printer, MCP stream, cache
/// invalidation) can hold and compare events.
public struct WatchEvent: Sendable, Hashable, CustomStringConvertible {
    /// What happened.
    public enum Kind: Sendable, Hashable {
        /// A file appeared (created, moved in, or present at start-up).
        case add
        /// A directory appeared (created, moved in, or present at start-up).
        case addDir
        /// A file's contents were written. One `change` is reported per write burst:
        /// the first write after an open reports it, later writes before the file is
        /// closed do not.
        case change
        /// A file went away (deleted or moved out).
        case unlink
        /// A directory went away (deleted or moved out); its contents were reported
        /// first, deepest first.
        case unlinkDir
        /// An entry was renamed inside the watched tree; ``WatchEvent/path`` is the new
        /// path, `from` the old one. For a directory, its contents move with it and are
        /// not reported one by one.
        case rename(from: String)
        /// The initial scan is done: every entry present at start-up was reported
        /// (unless `ignoreInitial`). `backends` maps each root to the backend watching
        /// it (`"inotify"`); `watches` counts the kernel watches in use.
        case ready(backends: [String: String], watches: Int)
        /// The kernel dropped events (its queue overflowed); the tree was scanned again
        /// and the differences were reported just before this event. Consumers that
        /// cache file contents should revalidate: a `change` during the overflow may
        /// not have been reported (the `needsRescan` flag of notify).
        case rescan
        /// Something went wrong that did not end the watch (a directory that could
        /// not be read or watched); ``WatchEvent/path`` names where.
        case error(message: String)

        /// chokidar's name for the kind: `add`, `addDir`, `change`, `unlink`,
        /// `unlinkDir`, `rename`, `ready`, `rescan` or `error`.
        public var name: String { staticName.description }

        /// ``name`` as a literal in the binary, for writers that build lines as bytes.
        public var staticName: StaticString {
            switch self {
            case .add: "add"
            case .addDir: "addDir"
            case .change: "change"
            case .unlink: "unlink"
            case .unlinkDir: "unlinkDir"
            case .rename: "rename"
            case .ready: "ready"
            case .rescan: "rescan"
            case .error: "error"
            }
        }
    }

    /// What happened.
    public var kind: Kind
    /// The absolute, resolved path of the entry (for `ready` and `rescan`, the first
    /// watched root).
    public var path: String
    /// When the watcher saw the event, in nanoseconds since the Unix epoch
    /// (`CLOCK_REALTIME`).
    public var timestamp: Int64

    /// The entry's device, inode, size and times when the event was reported; only
    /// with ``WatchOptions/alwaysStat``, for `add`, `addDir`, `change` and `rename`
    /// (`nil` if the entry was already gone).
    public var stat: FileIdentity?

    /// Creates an event.
    public init(_ kind: Kind, path: String, timestamp: Int64, stat: FileIdentity? = nil) {
        self.kind = kind
        self.path = path
        self.timestamp = timestamp
        self.stat = stat
    }

    public var description: String {
        switch kind {
        case .rename(let from): "rename \(from) -> \(path)"
        case .error(let message): "error \(path): \(message)"
        case .ready(_, let watches): "ready \(path) (\(watches) watches)"
        default: "\(kind.name) \(path)"
        }
    }
}
