@_spi(Syscalls) public import AIFSCore
public import AIFSSearch
import Synchronization

/// A trigram index of every file a search of one root would look at, kept fresh by the
/// root's watcher: the engine behind instant `search_content`.
///
/// The index never decides an answer; it only names the files that may match
/// (``candidates(for:configuration:walkOptions:under:)``), and the real searcher reads
/// them, so an indexed answer is the scan's answer. A file is a candidate when:
/// - its trigrams, as last indexed, hold every trigram of one of the pattern's required
///   literals (``AIFSSearch/RequiredSubstrings``);
/// - or it changed since it was indexed (the *dirty* set, fed by the watcher's
///   ``IndexChange``s, searched directly until the background re-reads it);
/// - or it cannot be indexed (too big, UTF-16, unreadable), and is always searched.
///
/// What files exist is the index's file table, kept by the same changes: a new file
/// makes its directory be listed again (one level), a new directory or a changed
/// `.gitignore` makes its directory be walked again, and a lost event (`rescan`) makes
/// the whole root be walked and every file's identity be checked.
///
/// Freshness is the caller's part: before asking, it makes sure that every change made
/// before the request has been ``record(_:)``ed (the facade syncs the watcher with a
/// cookie file, as watchman does). Changes are queued by ``record(_:)`` and applied when
/// a query or the background asks, so the watch thread never waits on a walk.
///
/// ## Threading
/// Any thread may call any method. ``build(store:)``, ``candidates(for:configuration:walkOptions:under:)``
/// and ``reindexDirty(limit:)`` block while they read the disk.
public final class LiveIndex: Sendable {
    /// Where the index stands.
    public enum Phase: String, Sendable {
        /// Being built or loaded: searches scan.
        case building
        /// Answering.
        case ready
        /// Switched off (by the caller, or dropped for memory): searches scan.
        case off
        /// The build failed: searches scan.
        case failed
    }

    /// Figures for `get_filesystem_stats`.
    public struct Statistics: Sendable, Hashable {
        public var phase: Phase
        /// Files in the table (what a search of the root looks at).
        public var files = 0
        /// Their bytes, as last indexed.
        public var bytes: Int64 = 0
        /// Distinct trigrams.
        public var ngrams = 0
        /// Memory held by the index.
        public var memoryBytes = 0
        /// Size of the saved index on disk (0 when none).
        public var diskBytes = 0
        /// How long the last build or load took.
        public var buildSeconds = 0.0
        /// Changes applied since the index was ready.
        public var updates = 0
        /// How long the oldest changed file has waited to be re-indexed (searches read it
        /// directly meanwhile), in milliseconds.
        public var lagMs = 0.0
        /// Files searched on every query (too big, UTF-16, unreadable).
        public var unindexedFiles = 0
        /// Files changed since they were indexed.
        public var dirtyFiles = 0
        /// Why the index is off, failed, or was loaded or rebuilt.
        public var reason: String?
    }

    /// The files a search may need to read, in path order.
    public struct Candidates: Sendable {
        /// The paths, sorted by their bytes.
        public var paths: [[UInt8]]
        /// Files under the search's base in the table: what a scan would have read.
        public var filesUnderBase: Int
        /// Whether the pattern gave the index anything to filter with (false: every file
        /// under the base is a candidate, and the index only saved the walk).
        public var filtered: Bool
        /// The problems the walk met under the base (an unreadable directory), as a scan
        /// would report them.
        public var walkErrors: [CoreError] = []
    }

    /// The root, absolute and canonical.
    public let root: String
    /// Which files a search looks at (ripgrep's defaults, or the server's).
    public let walkOptions: WalkOptions
    /// The most memory the index may hold; past it the index is dropped and searches scan.
    public let memoryBudget: Int
    let maximumFileSize: Int64
    let threads: Int

    private let state: Mutex<IndexState>
    /// Changes not yet applied; a separate lock, so the watch thread never waits on a query.
    private let pending = Mutex<PendingChanges>(PendingChanges())
    /// Held while the file table is brought up to date with the disk.
    private let refreshing = Mutex<Void>(())

    /// A new index, empty and ``Phase/building`` until ``build(store:)``.
    ///
    /// - Parameters:
    ///   - root: An absolute, canonical directory.
    ///   - walkOptions: The walk a search of the root makes.
    ///   - memoryBudget: Bytes the index may hold.
    ///   - maximumFileSize: Larger files are not indexed, and are searched every time.
    ///   - threads: Builder threads (0: one per core).
    public init(
        root: String, walkOptions: WalkOptions, memoryBudget: Int = 1 << 30,
        maximumFileSize: Int64 = 64 << 20, threads: Int = 0
    ) {
        self.root = root
        self.walkOptions = LiveIndex.comparable(walkOptions)
        self.memoryBudget = memoryBudget
        self.maximumFileSize = maximumFileSize
        self.threads = threads
        state = Mutex(IndexState())
    }

    /// The walk options with the settings that do not change which files are walked
    /// cleared, for comparing a search's options with the index's.
    static func comparable(_ options: WalkOptions) -> WalkOptions {
        var options = options
        if options.globs.isEmpty && options.caseInsensitiveGlobs.isEmpty { options.globBase = nil }
        options.sortByPath = false
        options.threads = 0
        return options
    }

    // MARK: - Changes

    /// Queues a change (on the watch thread: cheap, never blocks on a walk).
    public func record(_ change: IndexChange) {
        pending.withLock { pending in
            if pending.changes.count >= PendingChanges.limit {
                pending.overflowed = true
                pending.changes.removeAll()
            }
            if !pending.overflowed { pending.changes.append(change) }
        }
    }

    /// Applies the queued changes (with the state locked).
    private func drain(_ state: inout IndexState) {
        let (changes, overflowed) = pending.withLock { pending in
            defer { pending = PendingChanges() }
            return (pending.changes, pending.overflowed)
        }
        guard state.phase == .ready else {
            // Kept for when the build is done: put them back in front.
            if !changes.isEmpty || overflowed {
                pending.withLock { pending in
                    pending.changes = changes + pending.changes
                    pending.overflowed = pending.overflowed || overflowed
                }
            }
            return
        }
        if overflowed { state.needsFullCheck = true }
        for change in changes { state.apply(change) }
    }

    // MARK: - Building

    /// Builds the index: loads it from `store` when a saved index for this root is
    /// there and sound (then checks every file's identity against a walk), else walks
    /// the root and reads every file on every core. Changes recorded meanwhile are
    /// applied after.
    ///
    /// - Parameters:
    ///   - store: Where indexes are saved; nil for none.
    ///   - loading: Whether to load a saved index (false: build afresh, and save).
    public func build(store: IndexStore? = nil, loading: Bool = true) {
        let started = ContinuousClock.now
        var reason: String?
        if let store, loading {
            switch store.load(root: root, walkOptions: walkOptions) {
            case .loaded(let saved, let bytes):
                var loaded = saved
                loaded.phase = .ready
                loaded.diskBytes = bytes
                loaded.reason = "loaded from \(store.path(for: root)); files changed meanwhile are re-read"
                loaded.needsFullCheck = true
                if loaded.memoryBytes > memoryBudget { loaded.drop(reason: overBudget(loaded.memoryBytes)) }
                state.withLock { $0 = loaded }
                refreshStructure()
                finishBuild(started: started, store: nil)
                return
            case .missing:
                break
            case .discarded(let why):
                reason = "the saved index was discarded (\(why)); rebuilt"
            }
        }
        let walker: Walker
        do { walker = try Walker(options: walkOptions) } catch {
            state.withLock {
                $0.phase = .failed
                $0.reason = "cannot walk '\(root)': \(error.message)"
            }
            return
        }
        let (entries, walkErrors) = walker.collect(pathBytes: [Array(root.utf8)])
        var table = IndexState()
        table.walkErrors = walkErrors
        table.directories.insert(PathKey(Array(root.utf8)))
        for entry in entries {
            if entry.kind == .directory {
                table.directories.insert(PathKey(entry.pathBytes))
            } else if entry.kind == .regular {
                table.add(path: entry.pathBytes, status: .dirty)
            }
        }
        let paths = table.records.map(\.path)
        guard let built = IndexBuilder.build(
            paths, threads: threads, maximumFileSize: maximumFileSize, shouldStop: { [self] in phase == .off })
        else {
            state.withLock {
                if $0.phase != .off {
                    $0.phase = .failed
                    $0.reason = "the index would pass 4 GiB of postings: searches scan"
                }
            }
            return
        }
        table.segment = built.segment
        table.windows = built.windows
        table.windowFiles = built.windowFiles
        for (id, outcome) in built.outcomes.enumerated() {
            table.setOutcome(outcome, of: UInt32(id))
        }
        table.phase = .ready
        table.reason = reason
        // Over budget, it never shows as ready: it is off from the start.
        if table.memoryBytes > memoryBudget { table.drop(reason: overBudget(table.memoryBytes)) }
        let ready = state.withLock { current -> Bool in
            guard current.phase == .building else { return false }
            current = table
            return table.phase == .ready
        }
        guard ready else { return }
        finishBuild(started: started, store: store)
    }

    private func finishBuild(started: ContinuousClock.Instant, store: IndexStore?) {
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let snapshot: IndexState? = state.withLock { state in
            state.buildSeconds = seconds
            drain(&state)
            if state.memoryBytes > memoryBudget {
                state.drop(reason: overBudget(state.memoryBytes))
                return nil
            }
            return state
        }
        if let store, let snapshot {
            switch store.save(snapshot, root: root, walkOptions: walkOptions) {
            case .success(let bytes): state.withLock { $0.diskBytes = bytes }
            case .failure(let why):
                state.withLock { $0.reason = [$0.reason, "not saved: \(why); the index stays in memory"].compactMap { $0 }.joined(separator: "; ") }
            }
        }
    }

    private func overBudget(_ bytes: Int) -> String {
        "the index needs \(max(1, bytes >> 20)) MiB, over its budget of \(memoryBudget >> 20) MiB: searches scan"
    }

    /// Switches the index off: searches scan, and its memory is freed.
    public func drop(reason: String) {
        state.withLock { $0.drop(reason: reason) }
    }

    // MARK: - Queries

    /// The files a search may need to read, or nil when the index cannot answer (not
    /// ready; a search unlike the index's walk; `-v`; an encoding or binary mode the
    /// index does not model) and the caller must scan.
    ///
    /// Call after making sure every change before the request was recorded.
    ///
    /// - Parameters:
    ///   - matcher: The search's matcher.
    ///   - configuration: How each file is searched.
    ///   - walkOptions: The search's walk options: they must pick the same files as the
    ///     index's.
    ///   - base: Where the search starts: the root or a directory under it.
    public func candidates(
        for matcher: any Matcher, configuration: SearcherConfiguration, walkOptions: WalkOptions, under base: [UInt8]
    ) -> Candidates? {
        guard LiveIndex.comparable(walkOptions) == self.walkOptions, !configuration.invert, !configuration.passthru,
              configuration.encoding == .automatic, configuration.binaryDetection(isExplicit: false) == .quit
        else { return nil }
        guard state.withLock({ $0.phase }) == .ready else { return nil }
        refreshStructure()
        let literals = RequiredSubstrings.alternatives(of: matcher)
        let plan = literals.flatMap(IndexPlan.init)
        // Big files' windows overlap by `windowOverlap` bytes: the literals' first bytes
        // up to that length lie whole in one window.
        let windowPlan = literals.flatMap { IndexPlan($0.map { Array($0.prefix(IndexBuilder.windowOverlap)) }) }
        return state.withLock { state -> Candidates? in
            drain(&state)
            guard state.phase == .ready, state.directories.contains(PathKey(base)) else { return nil }
            return state.candidates(plan, windowPlan: windowPlan, under: base, isRoot: base == Array(root.utf8))
        }
    }

    /// Brings the file table up to date with the disk: lists the directories where
    /// files appeared, walks those whose rules changed or that are new, and (after a
    /// lost event or a load) walks the whole root and checks every file's identity.
    func refreshStructure() {
        // One refresh at a time: a query must not answer while another thread holds
        // the work it took out of the state and has not put its results back.
        refreshing.withLock { _ in refreshStructureAlone() }
    }

    private func refreshStructureAlone() {
        for _ in 0..<8 {
            let work = state.withLock { state -> StructureWork? in
                drain(&state)
                guard state.phase == .ready else { return nil }
                return state.takeStructureWork(root: Array(root.utf8))
            }
            guard let work else { return }
            let walked = walk(work)
            state.withLock { state in
                guard state.phase == .ready else { return }
                state.applyWalk(walked, of: work)
            }
        }
    }

    private func walk(_ work: StructureWork) -> WalkedDirectories {
        var walked = WalkedDirectories()
        guard let deep = try? Walker(options: walkOptions) else { return walked }
        var shallowOptions = walkOptions
        shallowOptions.maxDepth = 1
        guard let shallow = try? Walker(options: shallowOptions) else { return walked }
        for directory in work.deep {
            let (entries, errors) = deep.collect(pathBytes: [directory.bytes])
            walked.deep[directory] = entries.filter { $0.kind == .regular || $0.kind == .directory }
            walked.errors[directory] = errors
        }
        for directory in work.shallow {
            let (entries, _) = shallow.collect(pathBytes: [directory.bytes])
            walked.shallow[directory] = entries.filter { $0.depth == 1 && ($0.kind == .regular || $0.kind == .directory) }
        }
        if work.checkIdentities {
            // The identities of every file found, for a full check (after a load or a
            // lost event): a file whose identity differs is read again.
            for entries in walked.deep.values {
                for entry in entries where entry.kind == .regular {
                    walked.identities[PathKey(entry.pathBytes)] = try? FileSystemCalls.status(pathBytes: entry.pathBytes, followSymlinks: false)
                }
            }
        }
        return walked
    }

    // MARK: - Background re-reading

    /// Re-reads up to `limit` changed files into the index, so that later searches need
    /// not read them unless their trigrams match. Returns how many were re-indexed.
    @discardableResult
    public func reindexDirty(limit: Int = 512) -> Int {
        refreshStructure()
        let work = state.withLock { state -> [(UInt32, [UInt8], UInt32)] in
            drain(&state)
            guard state.phase == .ready else { return [] }
            return state.dirtyWork(limit: limit)
        }
        guard !work.isEmpty else { return 0 }
        let reader = FileTrigramReader(maximumFileSize: maximumFileSize)
        var results: [(UInt32, UInt32, BuildOutcome, [UInt32])] = []
        for (id, path, generation) in work {
            let outcome = reader.read(path)
            results.append((id, generation, outcome, outcome.isIndexed ? reader.allKeys : []))
            reader.reset()
        }
        return state.withLock { state -> Int in
            drain(&state)
            guard state.phase == .ready else { return 0 }
            var done = 0
            for (id, generation, outcome, keys) in results where state.commitReindex(id, generation: generation, outcome: outcome, keys: keys) {
                done += 1
            }
            if state.memoryBytes > memoryBudget {
                state.drop(reason: "the index grew to \(state.memoryBytes >> 20) MiB, over its budget of \(memoryBudget >> 20) MiB: searches scan")
            }
            return done
        }
    }

    /// Whether changed files wait to be re-indexed.
    public var hasDirtyFiles: Bool {
        state.withLock { !$0.dirty.isEmpty } || pending.withLock { !$0.changes.isEmpty }
    }

    // MARK: - Statistics

    /// The index's figures now.
    public func statistics() -> Statistics {
        state.withLock { $0.statistics() }
    }

    /// The phase now.
    public var phase: Phase { state.withLock { $0.phase } }

    /// The bytes the index holds now (0 unless ready).
    public var memoryBytes: Int { state.withLock { $0.phase == .ready ? $0.memoryBytes : 0 } }
}

/// Changes waiting to be applied.
struct PendingChanges {
    /// Past this many, the changes are forgotten and the next query checks the whole root.
    static let limit = 200_000
    var changes: [IndexChange] = []
    var overflowed = false
}

extension BuildOutcome {
    var isIndexed: Bool {
        if case .indexed = self { return true }
        return false
    }
}
