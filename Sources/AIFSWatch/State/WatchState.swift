#if os(Linux)
import AIFSCore
import SystemPackage

/// The watcher's state machine: what it knows of the watched trees, and how raw
/// records, listings and the passing of time become chokidar events.
///
/// It owns no thread and no descriptor. The disk comes through a ``WatchFileSystem``,
/// watches through a ``WatchRegistrar``, time through a ``WatchClock``, and events go
/// out through `deliver`; the driving loop (`WatchLoop`) waits on the backend and
/// hands over what it read, and the pure tests drive it with a fake file system and a
/// hand-turned clock. Compare notify's debouncer and swift-async-algorithms' split of
/// a state machine from its storage.
///
/// Inputs: ``start()`` (the initial scan, then `ready`), ``handle(_:)`` (a batch of
/// the kernel's records), ``handle(listings:)`` (what a poll found in each polled
/// directory), ``fireTimers(now:)`` (deadlines that passed) and ``finish()``.
/// Outputs: events through `deliver`, watches through the registrar, and
/// ``nextDeadline`` for the driver's wait.
///
/// ## Threading
/// Not thread-safe: one thread (the watch thread, or a test) calls everything.
final class WatchState {
    struct Root {
        var path: String
        var kind: EntryKind
    }

    /// One half of a rename waiting for its other half.
    struct PendingMove {
        var path: String
        var kind: EntryKind
        var deadline: ContinuousClock.Instant
    }

    /// How long a `movedFrom` waits for its `movedTo` before it counts as a move out of
    /// the tree. The kernel queues both halves in the same `rename(2)`, so this only
    /// covers a read that fell between them.
    static let renamePairingWindow = Duration.milliseconds(10)

    let options: WatchOptions
    let ignore: IgnoreRules
    var roots: [Root]
    /// Each root's backend name, for `ready`.
    private let backendNames: [String: String]
    var tree = WatchTree()
    let registrar: any WatchRegistrar
    let fileSystem: any WatchFileSystem
    let clock: any WatchClock
    /// Hands an event to the consumer; `false` when the consumer is gone.
    let deliver: (WatchEvent) -> Bool

    var pathByDescriptor: [WatchDescriptor: String] = [:]
    var descriptorByPath: [String: WatchDescriptor] = [:]
    /// Directories moved away whose watches still report under the old path; their
    /// events are dropped until the move is resolved.
    var limbo: Set<WatchDescriptor> = []
    /// Files whose current write burst was already reported (by `add` or `change`);
    /// the burst ends at `closeWrite`.
    var reportedBurst: Set<String> = []
    var pendingMoves: [UInt32: PendingMove] = [:]
    /// `followSymlinks`: followed links to directories and their resolved targets.
    var followedLinks: [String: String] = [:]
    /// `gitignore`: the rules of each directory's `.gitignore`, by directory.
    var gitignores: [String: IgnoreRules] = [:]
    var consumerGone = false
    /// `atomic`: unlinks held back for an add of the same path.
    var atomic: AtomicCoalescer?
    /// `awaitWriteFinish`: adds and changes held back until the file is stable.
    var writeFinish: WriteFinishTracker?
    var watchLimitReported = false
    /// During the initial scan (before `ready`), `awaitWriteFinish` is not applied: what
    /// exists at start-up is reported at once (a big tree would otherwise be stat'ed
    /// every poll interval for the whole threshold, and `ready` would come first).
    var scanningInitially = false
    let counters: WatchCounters


    /// A state for `roots`, nothing scanned yet.
    ///
    /// - Parameters:
    ///   - backendNames: Each root's backend name (`"inotify"` when absent), for `ready`.
    ///   - deliver: Called with each event, in order; returning `false` ends the watch.
    init(
        options: WatchOptions, ignore: IgnoreRules, roots: [Root], registrar: any WatchRegistrar,
        fileSystem: any WatchFileSystem = LiveWatchFileSystem(), clock: any WatchClock = SystemWatchClock(),
        backendNames: [String: String] = [:], counters: WatchCounters = WatchCounters(),
        deliver: @escaping (WatchEvent) -> Bool
    ) {
        // Durations are cut to 0 ... 1 day: no input can overflow a deadline.
        self.atomic = options.atomic.map { AtomicCoalescer(window: $0.clampedForWatching) }
        self.writeFinish = options.awaitWriteFinish.map {
            WriteFinishTracker(
                stabilityThreshold: $0.stabilityThreshold.clampedForWatching, pollInterval: $0.pollInterval.clampedForWatching)
        }
        self.options = options
        self.ignore = ignore
        self.roots = roots
        self.registrar = registrar
        self.fileSystem = fileSystem
        self.clock = clock
        self.backendNames = backendNames
        self.counters = counters
        self.deliver = deliver
    }

    /// The number of kernel watches in use (polled directories do not count).
    var kernelWatchCount: Int { max(0, descriptorByPath.count - registrar.polledDirectoryCount) }

    /// Whether the watch is over: the consumer went away, or every root is gone.
    var isFinished: Bool { consumerGone || roots.isEmpty }

    // MARK: - Inputs

    /// The initial scan and the `ready` event.
    func start() {
        scanningInitially = true
        defer { scanningInitially = false }
        let report = !options.ignoreInitial
        for root in roots {
            switch root.kind {
            case .directory:
                tree.insert(root.path, kind: .directory)
                if report { emit(.addDir, root.path) }
                reconcile(root.path, report: report)
            case .file:
                let (parent, _) = WatchTree.split(root.path)
                _ = watch(parent)
                if fileSystem.entryKind(atPath: root.path) != nil {
                    tree.insert(root.path, kind: .file)
                    recordIdentity(of: root.path)
                    if report { emit(.add, root.path) }
                }
            }
        }
        var backends: [String: String] = [:]
        for root in roots { backends[root.path] = backendNames[root.path] ?? "inotify" }
        emit(.ready(backends: backends, watches: kernelWatchCount), roots.first?.path ?? "")
    }

    /// The time to the next deadline: rename pairing, held unlinks, write-finish

    /// The end of the watch: held unlinks are real and are reported; files still being
    /// written are not (they never became stable while watched).
    func finish() {
        guard !consumerGone, var stage = atomic else { return }
        atomic = nil
        for event in stage.flush() { afterAtomic(event) }
    }

    /// The backend failed (waiting or reading): one `error`, and the driver ends.
    func fail(_ error: Errno, operation: String) {
        let root = roots.first?.path ?? ""
        emit(.error(message: WatchError.from(error, operation: operation, path: root).message), root)
    }

    /// The earliest deadline (rename pairing, held unlinks, write-finish checks);
    /// `nil` when nothing waits, so an idle watch has no timer at all.
    var nextDeadline: ContinuousClock.Instant? {
        // Asked before every wait: nothing is built, and nothing is looked at when
        // nothing waits.
        guard timersPending else { return nil }
        var earliest: ContinuousClock.Instant?
        func consider(_ deadline: ContinuousClock.Instant?) {
            guard let deadline else { return }
            if earliest.map({ deadline < $0 }) ?? true { earliest = deadline }
        }
        for move in pendingMoves.values { consider(move.deadline) }
        consider(atomic?.nextDeadline)
        consider(writeFinish?.nextDeadline)
        return earliest
    }

    /// Whether anything waits for a deadline: a rename half, a held unlink, a file
    /// being written.
    var timersPending: Bool {
        !pendingMoves.isEmpty || atomic?.isEmpty == false || (writeFinish?.pendingCount ?? 0) > 0
    }

    /// Runs what is due: unpaired rename halves, held unlinks, write-finish checks.
    func fireTimers(now: ContinuousClock.Instant) {
        resolvePendingMoves(now: now)
        if let deadline = atomic?.nextDeadline, deadline <= now {
            for event in atomic?.expire(now: now) ?? [] { afterAtomic(event) }
        }
        if let deadline = writeFinish?.nextDeadline, deadline <= now {
            let wallClock = clock.wallClockNanoseconds
            for event in writeFinish?.check(now: now, wallClock: wallClock, version: version) ?? [] { send(event) }
        }
    }

    /// Handles one batch of raw records, in order.
    func handle(_ events: [RawEvent]) {
        // Directories whose file system was unmounted, handled after the batch (see
        // `fileSystemsUnmounted`).
        var unmounted: [String] = []
        defer { if !unmounted.isEmpty { fileSystemsUnmounted(unmounted) } }
        for event in events {
            if consumerGone { return }
            if event.mask.contains(.queueOverflow) {
                rescan()
                continue
            }
            guard let directory = pathByDescriptor[event.descriptor] else { continue }
            if event.mask.contains(.ignored) {
                forgetWatch(event.descriptor)
                continue
            }
            if limbo.contains(event.descriptor) { continue }
            // A watch on a directory the tree no longer has (its removal was reported)
            // is stale until its `ignored`: under polling, a directory removed and made
            // again with the same inode number keeps answering (found by the
            // random-operations test). Its news comes again through the new entry's scan.
            if descriptorByPath[directory] != event.descriptor { continue }
            if event.mask.contains(.unmount) {
                unmounted.append(directory)
                continue
            }
            if event.name.isEmpty {
                if event.mask.contains(.deleteSelf) {
                    // A polled parent may not see it: made again at once, it can get the
                    // inode number it had. Its next look must check the name afresh
                    // (found by the random-operations test, mixed).
                    tree.setIdentity(nil, of: directory)
                }
                if event.mask.contains(.deleteSelf) || event.mask.contains(.moveSelf) {
                    watchedDirectoryWentAway(directory)
                }
                continue
            }
            var path = directory
            path.reserveCapacity(directory.utf8.count + 1 + event.name.utf8.count)
            path.append("/")
            path.append(event.name)
            var kind: EntryKind = event.mask.contains(.isDirectory) ? .directory : .file
            if options.gitignore && event.name == ".gitignore" { loadGitignore(directory) }
            if options.followSymlinks, kind == .file, event.mask.contains(.create) || event.mask.contains(.movedTo),
                tree.kind(of: path) == nil, let target = followableLink(path)
            {
                followedLinks[path] = target
                kind = .directory
            }
            if event.mask.contains(.create) {
                appeared(path, kind: kind, created: true)
            } else if event.mask.contains(.movedTo) {
                if let source = pendingMoves.removeValue(forKey: event.cookie) {
                    renamed(source, to: path, kind: kind)
                } else {
                    appeared(path, kind: kind, created: false)
                }
            } else if event.mask.contains(.movedFrom) {
                if let known = tree.kind(of: path) {
                    pendingMoves[event.cookie] = PendingMove(path: path, kind: known, deadline: clock.now + Self.renamePairingWindow)
                    if known == .directory { setLimbo(under: path, true) }
                }
            } else if event.mask.contains(.delete) {
                disappeared(path)
            } else if event.mask.contains(.modify) {
                guard tree.kind(of: path) == .file else { continue }
                if reportedBurst.insert(path).inserted || options.reportsEveryWrite { emit(.change, path) }
            } else if event.mask.contains(.closeWrite) {
                guard tree.kind(of: path) == .file else { continue }
                if reportedBurst.remove(path) == nil { emit(.change, path) }
            }
            // attrib alone (chmod, touch -a) is not a content change: not reported.
        }
    }
}
#endif
