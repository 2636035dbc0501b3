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
    /// Whether to watch by polling (listing and stat'ing directories) instead of inotify, for every root
    /// (chokidar's `usePolling`). Without it, roots on network and FUSE file systems are
    /// polled anyway (see ``BackendSelector``) and the rest use inotify.
    public var usePolling = false
    /// How often polled directories are compared with the disk (chokidar's `interval`).
    /// Like every duration in the options, it is cut to at most a day.
    public var interval: Duration = .milliseconds(100)
    /// chokidar's `atomic`: an `unlink` followed within this time by an `add` of the
    /// same path is reported as one `change` (editors that save by deleting and
    /// re-creating). `nil` turns it off. Only `unlink`s wait, so other events keep their
    /// latency, but every real deletion is reported this much later.
    public var atomic: Duration? = .milliseconds(100)
    /// chokidar's `awaitWriteFinish`: when set, an `add` or `change` is reported only
    /// once the file's size and modification time stopped changing. Off by default.
    public var awaitWriteFinish: AwaitWriteFinish?
    /// chokidar's `followSymlinks`: a symbolic link to a directory is entered and
    /// watched, its contents reported under the link's path. Off by default (links are
    /// reported as files and not followed, as chokidar does with `followSymlinks: false`).
    /// A link to a directory that is already watched (inside the tree, or a loop) is
    /// not followed a second time.
    public var followSymlinks = false
    /// chokidar's `alwaysStat`: `add`, `addDir`, `change` and `rename` events carry the
    /// entry's ``WatchEvent/stat`` (one `stat` per event).
    public var alwaysStat = false
    /// Whether `.gitignore` files inside the watched roots apply too, as in git: each
    /// applies to its directory and below, deeper files first, and `.git` itself is
    /// left out. A changed `.gitignore` applies to later events (what was already
    /// reported or left out stays so until it changes).
    public var gitignore = false
    /// Report a `change` for every write the kernel tells of, rather than once per burst
    /// of writes (until the writer closes the file). Not a chokidar option: the live
    /// index needs it, because a file it re-reads in the middle of a burst must hear of
    /// the writes that follow.
    package var reportsEveryWrite = false
    /// How many events may wait for the consumer before the watcher thread blocks.
    /// While it blocks the kernel queues events; if its queue overflows, the tree is
    /// rescanned and a `rescan` event reports it, so nothing is lost silently.
    public var bufferCapacity = 4096

    /// Options with chokidar's defaults.
    public init() {}
}

/// How ``WatchOptions/awaitWriteFinish`` decides that a file is written, with
/// chokidar's defaults.
public struct AwaitWriteFinish: Sendable, Hashable {
    /// How long size and modification time must stay the same.
    public var stabilityThreshold: Duration
    /// How often a pending file is checked. Checks only run while a file is pending.
    public var pollInterval: Duration

    /// chokidar's defaults: 2000 ms stable, checked every 100 ms.
    public init(stabilityThreshold: Duration = .milliseconds(2000), pollInterval: Duration = .milliseconds(100)) {
        self.stabilityThreshold = stabilityThreshold
        self.pollInterval = pollInterval
    }
}
