import SystemPackage

/// How a ``Watcher`` watches, with chokidar's option names and defaults.
public struct WatchOptions: Sendable {
    /// Paths to leave out, as gitignore lines matched against the path relative to
    /// its watched root: `*.tmp` at any depth, `build/` only directories, `/dist`
    /// anchored at the root, `!keep.tmp` to take one back. An ignored directory is
    /// neither reported nor watched, nor is anything under it.
    public var ignored: [String] = []
    /// Whether to skip the `add`/`addDir` events for what exists at start-up
    /// (chokidar's `ignoreInitial`; `ready` is reported either way).
    public var ignoreInitial = false
    /// How many levels of subdirectories to report and watch, as chokidar's `depth`:
    /// `0` means only the root's own entries; `nil` means no limit.
    public var depth: Int?
    /// Whether to watch by polling stat snapshots instead of inotify, for every root
    /// (chokidar's `usePolling`). Without it, roots on network and FUSE file systems are
    /// polled anyway (see ``BackendSelector``) and the rest use inotify.
    public var usePolling = false
    /// How often polled directories are compared with the disk (chokidar's `interval`).
    public var interval: Duration = .milliseconds(100)
    /// How many events may wait for the consumer before the watcher thread blocks.
    /// While it blocks the kernel queues events; if its queue overflows, the tree is
    /// rescanned and a `rescan` event reports it, so nothing is lost silently.
    public var bufferCapacity = 4096

    /// Test hook (not API): called before each `inotify_add_watch`; a returned error
    /// is used instead of calling the kernel.
    internal var _addWatchFailure: (@Sendable (String) -> Errno?)?

    /// Test hook (not API): the `statfs` type every root is taken to be on.
    internal var _fileSystemType: Int64?

    /// Options with chokidar's defaults.
    public init() {}
}
