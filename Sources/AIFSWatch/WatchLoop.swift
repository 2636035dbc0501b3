#if os(Linux)
import AIFSCore
import SystemPackage
import Synchronization

/// The driving loop of one ``Watcher``: it waits on the backend, turns raw events into
/// chokidar events with the help of the ``WatchTree``, and sends them to the consumer.
///
/// ## Threading
/// Created on the caller's thread, then owned and run by one dedicated thread; no
/// method is called from anywhere else. It blocks in the backend's wait and in
/// `BoundedChannel.send` (back-pressure: a slow consumer makes the kernel queue the
/// events; if that queue overflows, the rescan reports the difference).
final class WatchLoop {
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

    private let backend: any FileWatcherBackend
    private let channel: BoundedChannel<WatchEvent>
    /// When set, events go to it on this thread instead of into ``channel`` (which is
    /// then only finished at the end).
    private let handler: (@Sendable (WatchEvent) -> Bool)?
    let options: WatchOptions
    let ignore: IgnoreRules
    private(set) var roots: [Root]
    private let choices: [String: BackendChoice]
    private(set) var tree = WatchTree()
    private var pathByDescriptor: [WatchDescriptor: String] = [:]
    private var descriptorByPath: [String: WatchDescriptor] = [:]
    /// Directories moved away whose watches still report under the old path; their
    /// events are dropped until the move is resolved.
    private var limbo: Set<WatchDescriptor> = []
    /// Files whose current write burst was already reported (by `add` or `change`);
    /// the burst ends at `closeWrite`.
    private var reportedBurst: Set<String> = []
    private var pendingMoves: [UInt32: PendingMove] = [:]
    /// `followSymlinks`: followed links to directories and their resolved targets.
    var followedLinks: [String: String] = [:]
    /// `gitignore`: the rules of each directory's `.gitignore`, by directory.
    var gitignores: [String: IgnoreRules] = [:]
    private var consumerGone = false
    /// `atomic`: unlinks held back for an add of the same path.
    private var atomic: AtomicCoalescer?
    /// `awaitWriteFinish`: adds and changes held back until the file is stable.
    private var writeFinish: WriteFinishTracker?
    private var watchLimitReported = false
    /// During the initial scan (before `ready`), `awaitWriteFinish` is not applied: what
    /// exists at start-up is reported at once (a big tree would otherwise be stat'ed
    /// every poll interval for the whole threshold, and `ready` would come first).
    private var scanningInitially = false
    let counters: WatchCounters

    init(
        backend: any FileWatcherBackend, channel: BoundedChannel<WatchEvent>, options: WatchOptions, ignore: IgnoreRules,
        roots: [Root], choices: [String: BackendChoice] = [:], counters: WatchCounters = WatchCounters(),
        handler: (@Sendable (WatchEvent) -> Bool)? = nil
    ) {
        self.handler = handler
        self.choices = choices
        // Durations are cut to 0 ... 1 day: no input can overflow a deadline.
        self.atomic = options.atomic.map { AtomicCoalescer(window: $0.clampedForWatching) }
        self.writeFinish = options.awaitWriteFinish.map {
            WriteFinishTracker(
                stabilityThreshold: $0.stabilityThreshold.clampedForWatching, pollInterval: $0.pollInterval.clampedForWatching)
        }
        self.counters = counters
        self.backend = backend
        self.channel = channel
        self.options = options
        self.ignore = ignore
        self.roots = roots
    }

    /// The number of kernel watches in use (polled directories do not count).
    var kernelWatchCount: Int { max(0, descriptorByPath.count - backend.polledDirectoryCount) }

    // MARK: - Running

    /// Scans, reports `ready`, then reports changes until stopped, until the consumer
    /// goes away or until every root is gone; finishes the channel either way.
    func run() {
        defer {
            // Held unlinks are real: report them. Files still being written are not
            // reported (they never became stable while watched).
            if var atomic, !consumerGone {
                for event in atomic.flush() { afterAtomic(event) }
            }
            channel.finish()
        }
        start()
        var events: [RawEvent] = []
        events.reserveCapacity(1024)
        while !consumerGone && !roots.isEmpty {
            let wake: BackendWake
            do {
                wake = try backend.wait(timeoutMilliseconds: nextTimeoutMilliseconds())
            } catch {
                emit(.error(message: WatchError.from(error, operation: "wait for events on", path: roots.first?.path ?? "").message), roots.first?.path ?? "")
                return
            }
            switch wake {
            case .stopRequested:
                return
            case .timedOut:
                fireTimers()
            case .events:
                events.removeAll(keepingCapacity: true)
                do {
                    try backend.readEvents(into: &events)
                } catch {
                    emit(.error(message: WatchError.from(error, operation: "read events for", path: roots.first?.path ?? "").message), roots.first?.path ?? "")
                    return
                }
                options._rawEvents?(events)
                step(events)
                // Without this check every event would read the clock for nothing.
                if timersPending { fireTimers() }
            }
        }
    }

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
                if Syscall.entryKind(atPath: root.path) != nil {
                    tree.insert(root.path, kind: .file)
                    if report { emit(.add, root.path) }
                }
            }
        }
        var backends: [String: String] = [:]
        for root in roots { backends[root.path] = choices[root.path]?.backend ?? "inotify" }
        emit(.ready(backends: backends, watches: kernelWatchCount), roots.first?.path ?? "")
    }

    /// The time to the next deadline: rename pairing, held unlinks, write-finish
    /// checks; `nil` (no timer) when nothing waits.
    private func nextTimeoutMilliseconds() -> Int? {
        // This runs before every wait: nothing is built, and nothing is looked at
        // when nothing waits.
        guard timersPending else { return nil }
        var earliest: ContinuousClock.Instant?
        func consider(_ deadline: ContinuousClock.Instant?) {
            guard let deadline else { return }
            if earliest.map({ deadline < $0 }) ?? true { earliest = deadline }
        }
        for move in pendingMoves.values { consider(move.deadline) }
        consider(atomic?.nextDeadline)
        consider(writeFinish?.nextDeadline)
        guard let earliest else { return nil }
        let remaining = ContinuousClock.now.duration(to: earliest)
        return remaining.timeoutMilliseconds
    }

    // MARK: - Raw events to chokidar events

    /// Handles one batch of raw events, in order. Exposed for tests (no threads).
    func step(_ events: [RawEvent]) {
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
                    pendingMoves[event.cookie] = PendingMove(path: path, kind: known, deadline: .now + Self.renamePairingWindow)
                    if known == .directory { setLimbo(under: path, true) }
                }
            } else if event.mask.contains(.delete) {
                disappeared(path)
            } else if event.mask.contains(.modify) {
                guard tree.kind(of: path) == .file else { continue }
                if reportedBurst.insert(path).inserted { emit(.change, path) }
            } else if event.mask.contains(.closeWrite) {
                guard tree.kind(of: path) == .file else { continue }
                if reportedBurst.remove(path) == nil { emit(.change, path) }
            }
            // attrib alone (chmod, touch -a) is not a content change: not reported.
        }
    }

    private func appeared(_ path: String, kind: EntryKind, created: Bool) {
        guard include(path, kind: kind) else { return }
        resolvePendingMoves(overlapping: path)
        switch kind {
        case .file:
            if tree.kind(of: path) == .directory { disappeared(path) }
            if tree.kind(of: path) == .file {
                // Moved over a known file (an atomic save from an ignored temp file):
                // the contents changed.
                if !created { emit(.change, path) }
                return
            }
            tree.insert(path, kind: .file)
            if created { reportedBurst.insert(path) }
            emit(.add, path)
        case .directory:
            if tree.kind(of: path) == .file { disappeared(path) }
            if tree.kind(of: path) == nil {
                tree.insert(path, kind: .directory)
                emit(.addDir, path)
            }
            // Watch first, then list: whatever is made in between is found by the list
            // or reported by the new watch, and the tree drops the duplicates.
            reconcile(path, report: true)
        }
    }

    private func disappeared(_ path: String) {
        if !followedLinks.isEmpty {
            // The kernel keeps watching a link's target after the link goes: drop them.
            for link in followedLinks.keys where link == path || link.hasPrefix(path + "/") {
                removeWatches(under: link)
                followedLinks[link] = nil
            }
        }
        let removed = tree.remove(path)
        for entry in removed {
            reportedBurst.remove(entry.path)
            if entry.kind == .directory, let descriptor = descriptorByPath.removeValue(forKey: entry.path) {
                // The kernel drops the watch itself and then says `ignored`.
                limbo.remove(descriptor)
            }
            emit(entry.kind == .directory ? .unlinkDir : .unlink, entry.path)
        }
    }

    private func renamed(_ source: PendingMove, to destination: String, kind: EntryKind) {
        if source.kind == .directory { setLimbo(under: source.path, false) }
        guard include(destination, kind: kind) else {
            // Renamed to an ignored name or beyond the depth: gone, as far as we report.
            removeWatches(under: source.path)
            disappeared(source.path)
            return
        }
        if source.path == destination { return }
        resolvePendingMoves(overlapping: destination)
        let replacing = kind == .file && tree.kind(of: destination) == .file
        if let existing = tree.kind(of: destination), existing != kind || kind == .directory {
            // rename(2) only replaces an empty directory, so whatever the tree still has
            // under the destination is gone (or was seen early by a scan that raced the
            // rename, and the scan after it finds it again): report it, never drop it
            // silently (found by the random-operations test).
            if existing == .directory { removeWatches(under: destination) }
            disappeared(destination)
        }
        for entry in tree.subtree(destination) { reportedBurst.remove(entry.path) }
        let moved = tree.move(source.path, to: destination)
        for entry in moved {
            if reportedBurst.remove(entry.from) != nil { reportedBurst.insert(entry.to) }
            if let target = followedLinks.removeValue(forKey: entry.from) { followedLinks[entry.to] = target }
            if entry.kind == .directory, let descriptor = descriptorByPath.removeValue(forKey: entry.from) {
                descriptorByPath[entry.to] = descriptor
                pathByDescriptor[descriptor] = entry.to
            }
        }
        emit(.rename(from: source.path), destination, replacing: replacing, movedFile: kind == .file)
        if kind == .directory {
            // Events from inside the directory while it was in limbo were dropped.
            reconcile(destination, report: true)
        }
    }

    /// Pending `movedFrom` halves at, above or below `path`, where something new is
    /// about to be: their other half is not coming in time (its directory is not
    /// watched), so they moved out now. Otherwise their deadline would later remove the
    /// new entry in their place (found by the random-operations test).
    private func resolvePendingMoves(overlapping path: String) {
        guard !pendingMoves.isEmpty else { return }
        for (cookie, move) in pendingMoves.sorted(by: { $0.key < $1.key })
        where move.path == path || path.hasPrefix(move.path + "/") || move.path.hasPrefix(path + "/") {
            pendingMoves[cookie] = nil
            if move.kind == .directory { setLimbo(under: move.path, false) }
            removeWatches(under: move.path)
            disappeared(move.path)
        }
    }

    /// Pending `movedFrom` halves past their deadline moved out of the tree.
    private func resolvePendingMoves(now: ContinuousClock.Instant) {
        guard !pendingMoves.isEmpty else { return }
        for (cookie, move) in pendingMoves.sorted(by: { $0.key < $1.key }) where move.deadline <= now {
            pendingMoves[cookie] = nil
            removeWatches(under: move.path)
            disappeared(move.path)
        }
    }

    private func watchedDirectoryWentAway(_ directory: String) {
        if let index = roots.firstIndex(where: { $0.kind == .directory && $0.path == directory }) {
            removeWatches(under: directory)
            disappeared(directory)
            roots.remove(at: index)
            return
        }
        // The parent of single-file roots went away: those roots end.
        let endedFiles = roots.filter { $0.kind == .file && WatchTree.split($0.path).parent == directory }
        guard !endedFiles.isEmpty else { return }
        for root in endedFiles { disappeared(root.path) }
        roots.removeAll { $0.kind == .file && WatchTree.split($0.path).parent == directory }
    }

    /// `IN_UNMOUNT`: the file system under these watched directories was unmounted.
    /// The kernel sends it (then `IN_IGNORED`) for every watch on that file system, in
    /// no useful order, and nothing to the directory that held the mount point: what
    /// was on the file system is gone, and each path now shows what was underneath
    /// (the mount point's own directory), or nothing.
    ///
    /// The batch's directories are handled topmost first, each once: everything under
    /// it is reported gone (a file there now is another file, even with the same name),
    /// then, when the path is still a directory, it is watched again and scanned, and
    /// what is there is reported as new. A watched root that is no longer there ends
    /// with an `error` (and counts in ``WatchCounters/lostRoots``). A batch that holds
    /// only part of the records (a big file system) is still right: a subdirectory
    /// handled alone is reported gone, or rescanned if the path still shows one, and
    /// the mount point's turn, in a later batch, reports the rest.
    ///
    /// Mounting and unmounting elsewhere (a bind mount of the same file system still
    /// mounted, a mount on top of a watched directory) sends nothing: inotify only
    /// reports the file system's end.
    private func fileSystemsUnmounted(_ directories: [String]) {
        var handled: [String] = []
        for directory in directories.sorted() {
            if handled.contains(where: { directory == $0 || directory.hasPrefix($0 == "/" ? "/" : $0 + "/") }) { continue }
            handled.append(directory)
            fileSystemUnmounted(under: directory)
        }
    }

    private func fileSystemUnmounted(under directory: String) {
        resolvePendingMoves(overlapping: directory)
        // The kernel dropped the watches (their `ignored` may still be on the way).
        removeWatches(under: directory)
        if let descriptor = descriptorByPath.removeValue(forKey: directory) {
            // The parent of file roots only (a directory in the tree lost it above).
            backend.removeWatch(descriptor)
            limbo.insert(descriptor)
        }
        let stillThere = Syscall.entryKind(atPath: directory) == .directory
        // Single-file roots in this directory: the file that was there is gone; one at
        // the path now (underneath) is another file.
        for root in roots where root.kind == .file && WatchTree.split(root.path).parent == directory {
            disappeared(root.path)
            guard stillThere else {
                rootLost(root.path)
                continue
            }
            _ = watch(directory)
            if Syscall.entryKind(atPath: root.path) != nil {
                tree.insert(root.path, kind: .file)
                emit(.add, root.path)
            }
        }
        guard tree.kind(of: directory) == .directory else { return }
        if stillThere {
            for child in tree.children(of: directory) { disappeared(child) }
            reconcile(directory, report: true)
        } else {
            disappeared(directory)
            if roots.contains(where: { $0.kind == .directory && $0.path == directory }) { rootLost(directory) }
        }
    }

    /// A watched root that is gone after its file system was unmounted: the watch of it
    /// ends with an `error` (reported after its entries' `unlink`s).
    private func rootLost(_ root: String) {
        roots.removeAll { $0.path == root }
        counters.lostRoots.add(1, ordering: .relaxed)
        emit(
            .error(
                message: "stopped watching '\(root)': the file system it was on was unmounted and the path no longer exists; "
                    + "mount it again (or watch the directory that is there now) and start a new watch"),
            root)
    }

    /// A queue overflow: scan every root again, report the differences, then `rescan`.
    private func rescan() {
        resolvePendingMoves(now: .now + .seconds(3600))
        reportedBurst.removeAll()
        for root in roots {
            switch root.kind {
            case .directory:
                if Syscall.entryKind(atPath: root.path) == .directory {
                    reconcile(root.path, report: true)
                } else {
                    removeWatches(under: root.path)
                    disappeared(root.path)
                }
            case .file:
                let exists = Syscall.entryKind(atPath: root.path) != nil
                if exists && tree.kind(of: root.path) == nil {
                    tree.insert(root.path, kind: .file)
                    emit(.add, root.path)
                } else if !exists {
                    disappeared(root.path)
                }
            }
        }
        roots.removeAll { $0.kind == .directory && tree.kind(of: $0.path) == nil }
        counters.rescans.add(1, ordering: .relaxed)
        emit(.rescan, roots.first?.path ?? "")
    }

    // MARK: - Scanning

    /// Makes the tree under `directory` (already in the tree) match the disk: watches
    /// and lists each directory, then reports what is new (parents first) and what is
    /// gone (deepest first) when `report` is set.
    private func reconcile(_ directory: String, report: Bool) {
        var found: [(path: String, kind: EntryKind)] = []
        scan(directory, into: &found)
        let existing = tree.subtree(directory).dropFirst()
        // A new directory (the initial scan, a mkdir) has nothing to compare against:
        // no set of 100,000 paths to build.
        let foundPaths = existing.isEmpty ? [] : Set(found.map(\.path))
        for entry in existing where !foundPaths.contains(entry.path) && tree.kind(of: entry.path) != nil {
            if entry.kind == .directory { removeWatches(under: entry.path) }
            if report {
                disappeared(entry.path)
            } else {
                tree.remove(entry.path)
            }
        }
        if existing.isEmpty {
            // Nothing under the directory yet: every entry found is new.
            tree.reserveCapacity(tree.count + found.count)
            for entry in found {
                tree.insert(entry.path, kind: entry.kind)
                if report { emit(entry.kind == .directory ? .addDir : .add, entry.path) }
            }
            return
        }
        for entry in found {
            let known = tree.kind(of: entry.path)
            if known == entry.kind { continue }
            if known != nil {
                if report { disappeared(entry.path) } else { tree.remove(entry.path) }
            }
            tree.insert(entry.path, kind: entry.kind)
            if report { emit(entry.kind == .directory ? .addDir : .add, entry.path) }
        }
    }

    /// Watches `directory` (when within the depth), lists it and recurses; appends what
    /// it finds, parents first.
    private func scan(_ directory: String, into found: inout [(path: String, kind: EntryKind)]) {
        guard shouldWatch(directory) else { return }
        guard watch(directory) else { return }
        let entries: [(name: String, kind: EntryKind, isLink: Bool)]
        do {
            entries = try Syscall.listDirectory(atPath: directory, followSymlinks: options.followSymlinks)
        } catch {
            if error != .noSuchFileOrDirectory && error != .notDirectory {
                emit(.error(message: WatchError.from(error, operation: "read directory", path: directory).message), directory)
            }
            return
        }
        if let descriptor = descriptorByPath[directory], PollingBackend.isPolling(descriptor) {
            backend.noteListed(descriptor, names: entries.map(\.name))
        }
        if options.gitignore { loadGitignore(directory) }
        // Located once per directory, not once per entry.
        guard let (root, relativeDirectory) = locate(directory) else { return }
        for entry in entries.sorted(by: { $0.name < $1.name }) {
            let path = directory + "/" + entry.name
            var kind = entry.kind
            if entry.isLink && kind == .directory {
                if let target = followedLinks[path] ?? followableLink(path) {
                    followedLinks[path] = target
                } else {
                    kind = .file  // already watched elsewhere, or a loop: reported, not entered
                }
            }
            let relative = relativeDirectory.isEmpty ? entry.name : relativeDirectory + "/" + entry.name
            guard include(path, relative: relative, kind: kind, root: root) else { continue }
            found.append((path, kind))
            if kind == .directory { scan(path, into: &found) }
        }
    }

    /// Adds a watch unless one exists; reports failures as `error` events.
    ///
    /// - Returns: Whether the directory may still be listed (it exists).
    private func watch(_ directory: String) -> Bool {
        if descriptorByPath[directory] != nil { return true }
        do {
            // inotify does not follow a final symbolic link (IN_DONT_FOLLOW): watch the target.
            let descriptor = try backend.addWatch(directory: followedLinks[directory] ?? directory)
            if let previous = pathByDescriptor[descriptor], previous != directory {
                // The same directory under a new name (its rename was not seen).
                descriptorByPath[previous] = nil
            }
            limbo.remove(descriptor)
            pathByDescriptor[descriptor] = directory
            descriptorByPath[directory] = descriptor
            return true
        } catch {
            switch error {
            case .noSuchFileOrDirectory, .notDirectory:
                return false
            case .noSpace:
                // One error per watch session: every further directory would fail the same way.
                if !watchLimitReported {
                    watchLimitReported = true
                    let failure = WatchError.from(error, operation: "watch", path: directory, watchLimits: {
                        (Syscall.readInteger(atPath: "/proc/sys/fs/inotify/max_user_watches"),
                         Syscall.readInteger(atPath: "/proc/sys/user/max_inotify_watches"))
                    })
                    emit(.error(message: failure.message + "; meanwhile these directories are polled"), directory)
                }
                // That part of the tree is polled instead.
                if let descriptor = try? backend.addFallbackWatch(directory: directory) {
                    pathByDescriptor[descriptor] = directory
                    descriptorByPath[directory] = descriptor
                    counters.fallbacks.add(1, ordering: .relaxed)
                }
                return true
            case .permissionDenied, .notPermitted:
                // Listing would fail the same way: one error for the directory.
                emit(.error(message: WatchError.from(error, operation: "watch", path: directory).message), directory)
                return false
            default:
                emit(.error(message: WatchError.from(error, operation: "watch", path: directory).message), directory)
                return true
            }
        }
    }

    private func removeWatches(under path: String) {
        for entry in tree.subtree(path) where entry.kind == .directory {
            if let descriptor = descriptorByPath.removeValue(forKey: entry.path) {
                backend.removeWatch(descriptor)
                limbo.insert(descriptor)  // until its `ignored` arrives
            }
        }
    }

    private func forgetWatch(_ descriptor: WatchDescriptor) {
        limbo.remove(descriptor)
        guard let path = pathByDescriptor.removeValue(forKey: descriptor) else { return }
        if descriptorByPath[path] == descriptor { descriptorByPath[path] = nil }
    }

    private func setLimbo(under path: String, _ value: Bool) {
        for entry in tree.subtree(path) where entry.kind == .directory {
            guard let descriptor = descriptorByPath[entry.path] else { continue }
            if value { limbo.insert(descriptor) } else { limbo.remove(descriptor) }
        }
    }

    // MARK: - Reporting

    /// Reports an event through the `atomic` and `awaitWriteFinish` stages (when on).
    private func emit(_ kind: WatchEvent.Kind, _ path: String, replacing: Bool = false, movedFile: Bool = true) {
        guard !consumerGone else { return }
        let event = WatchEvent(kind, path: path, timestamp: Syscall.now())
        // Fast path: nothing held and nothing to hold or fold. The initial scan's adds
        // are not held: nothing can have been unlinked or moved before them.
        if atomic == nil || (atomic!.isEmpty && ((kind != .unlink && kind != .add && !replacing) || scanningInitially)) {
            return afterAtomic(event)
        }
        for out in atomic!.process(event, now: .now, replacing: replacing, movedFile: movedFile) { afterAtomic(out) }
    }

    private func afterAtomic(_ event: WatchEvent) {
        guard writeFinish != nil, !scanningInitially else { return send(event) }
        for out in writeFinish!.process(event, now: .now, version: Self.version) { send(out) }
    }

    /// Whether anything waits for a deadline: a rename half, a held unlink, a file
    /// being written.
    private var timersPending: Bool {
        !pendingMoves.isEmpty || atomic?.isEmpty == false || (writeFinish?.pendingCount ?? 0) > 0
    }

    /// Runs what is due: unpaired rename halves, held unlinks, write-finish checks.
    /// Exposed for tests.
    func fireTimers(now: ContinuousClock.Instant = .now) {
        resolvePendingMoves(now: now)
        if atomic != nil, let deadline = atomic!.nextDeadline, deadline <= now {
            for event in atomic!.expire(now: now) { afterAtomic(event) }
        }
        if writeFinish != nil, let deadline = writeFinish!.nextDeadline, deadline <= now {
            for event in writeFinish!.check(now: now, wallClock: Syscall.now(), version: Self.version) { send(event) }
        }
    }

    private static func version(_ path: String) -> WriteFinishTracker.Version? {
        guard let status = try? Syscall.status(atPath: path, followSymlinks: true) else { return nil }
        return WriteFinishTracker.Version(size: status.size, modificationTime: status.modificationTime)
    }

    private func send(_ event: WatchEvent) {
        guard !consumerGone else { return }
        var event = event
        if options.alwaysStat {
            switch event.kind {
            case .add, .addDir, .change, .rename:
                event.stat = try? Syscall.status(atPath: event.path, followSymlinks: options.followSymlinks)
            default: break
            }
        }
        counters.watches.store(kernelWatchCount, ordering: .relaxed)
        counters.polled.store(backend.polledDirectoryCount, ordering: .relaxed)
        counters.events.add(1, ordering: .relaxed)
        if let handler {
            if !handler(event) { consumerGone = true }
        } else if !channel.send(event) {
            consumerGone = true
        }
    }
}
#endif
