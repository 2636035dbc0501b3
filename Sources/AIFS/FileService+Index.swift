import AIFSCache
@_spi(Syscalls) public import AIFSCore
public import AIFSIndex
public import AIFSSearch
public import AIFSWatch
import Synchronization

/// A ``AIFSIndex/LiveIndex`` of one root with the watcher that keeps it fresh: the
/// index is built (or loaded) in the background once the watcher is ready, changed
/// files are re-read in the background, and ``sync()`` makes every change made before
/// it visible to the index (a cookie, as watchman does).
///
/// Made by ``FileService/liveIndex(root:walkOptions:memoryBudget:store:)``; searches
/// use it through ``FileService/search(_:in:walkOptions:configuration:capacity:progress:index:)``.
///
/// ## Threading
/// Any thread. ``sync()`` blocks for the cookie's round trip (well under a
/// millisecond on an idle machine, at most the cookies' timeout).
public final class TreeIndex: Sendable {
    /// The index.
    public let index: LiveIndex
    private let cookies: WatchCookies
    private let watcher = Mutex<Watcher?>(nil)
    private let wake = ThreadCondition()
    private let stopped = Atomic<Bool>(false)
    private let watcherReady = Atomic<Bool>(false)
    /// Set when the watcher polls some directories (a network file system, or the
    /// inotify watch limit reached): the cookie does not order polled changes, so every
    /// answer checks every file's identity first.
    private let polled = Atomic<Bool>(false)
    /// What the memory monitor sees of the index (released when the index stops).
    let memory: IndexMemory

    init(index: LiveIndex, store: IndexStore?) throws(WatchError) {
        self.index = index
        memory = IndexMemory(index)
        cookies = try WatchCookies(purpose: "index")
        var options = WatchOptions()
        options.ignoreInitial = true
        options.atomic = nil  // every unlink at once: a cookie must not overtake one
        options.ignored = [".git/"]
        // A file re-read in the middle of a burst of writes must hear of the writes after.
        options.reportsEveryWrite = true
        let root = index.root
        let started = try Watcher(paths: [root, cookies.directory], options: options) { [weak self] event in
            guard let self else { return false }
            return self.handle(event)
        }
        watcher.withLock { $0 = started }
        DedicatedThreads.start(name: "aifs-index") { [self] in run(store: store) }
    }

    deinit {
        stop()
    }

    /// Stops the watcher and the background work; the index stays as it was.
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        memory.release()
        watcher.withLock { $0?.stop() }
        cookies.end("the index was stopped")
        wake.withLock { wake.broadcast() }
    }

    private func handle(_ event: WatchEvent) -> Bool {
        if cookies.observe(event) { return true }
        // A name that is not UTF-8 reaches us with U+FFFD in it and matches no path of the
        // table: check every file's identity before the next answer instead.
        if event.path.unicodeScalars.contains("\u{FFFD}") {
            index.record(.rescan)
            wake.withLock { wake.broadcast() }
            return true
        }
        if case .rename(let from) = event.kind, from.unicodeScalars.contains("\u{FFFD}") {
            index.record(.rescan)
            wake.withLock { wake.broadcast() }
            return true
        }
        let path = Array(event.path.utf8)
        switch event.kind {
        case .add: index.record(.created(path))
        case .addDir: index.record(.createdDirectory(path))
        case .change: index.record(.changed(path))
        case .unlink: index.record(.removed(path))
        case .unlinkDir: index.record(.removedDirectory(path))
        case .rename(let from): index.record(.renamed(from: Array(from.utf8), to: path))
        case .rescan: index.record(.rescan)
        case .ready:
            watcherReady.store(true, ordering: .relaxed)
        case .error:
            // A directory that could not be watched is polled by the watcher, or lost:
            // from now on every answer checks identities.
            polled.store(true, ordering: .relaxed)
            index.record(.rescan)
        }
        wake.withLock { wake.broadcast() }
        return true
    }

    /// The background: wait for the watcher, build, then re-read changed files as they
    /// come (after a quiet 50 ms, so a burst of writes is read once).
    private func run(store: IndexStore?) {
        let deadline = ContinuousClock.now + .seconds(120)
        wake.acquire()
        while !watcherReady.load(ordering: .relaxed) && !stopped.load(ordering: .relaxed) && ContinuousClock.now < deadline {
            wake.wait(timeout: .milliseconds(100))
        }
        wake.release()
        if stopped.load(ordering: .relaxed) { return }
        checkPolling()
        index.build(store: store)
        wake.withLock { wake.broadcast() }
        while !stopped.load(ordering: .relaxed) && index.phase == .ready {
            wake.acquire()
            if !index.hasDirtyFiles { wake.wait(timeout: .seconds(1)) }
            wake.release()
            if stopped.load(ordering: .relaxed) { return }
            if index.hasDirtyFiles {
                // Not a wait for an event: the re-read is only worth doing once a burst
                // of writes has settled; searches read dirty files directly meanwhile.
                wake.acquire()
                wake.wait(timeout: .milliseconds(50))
                wake.release()
                index.reindexDirty()
            }
        }
    }

    private func checkPolling() {
        let stats = watcher.withLock { $0?.stats }
        if let stats, stats.polledDirectories > 0 || stats.fallbackDirectories > 0 {
            polled.store(true, ordering: .relaxed)
        }
    }

    /// Waits until every change made before this call is known to the index.
    ///
    /// - Throws: ``AIFSWatch/WatchError`` when the watch has stopped or the cookie did
    ///   not come back in time.
    public func sync() throws(WatchError) {
        try cookies.sync()
        checkPolling()
        if polled.load(ordering: .relaxed) { index.record(.rescan) }
    }

    /// Waits until the build has ended (ready, failed or off), at most `timeout`.
    /// Returns whether it is ready.
    public func waitUntilBuilt(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        wake.acquire()
        defer { wake.release() }
        while index.phase == .building && !stopped.load(ordering: .relaxed) && ContinuousClock.now < deadline {
            wake.wait(timeout: .milliseconds(100))
        }
        return index.phase == .ready
    }

    /// Whether answers check every file's identity (some directories are polled).
    public var checksIdentities: Bool { polled.load(ordering: .relaxed) }
}

/// How a search used an index, for its statistics.
public struct IndexUse: Sendable, Hashable {
    /// The index chose the files (false: the search walked and read every file).
    public var usedIndex = false
    /// Files the index named as candidates (all of them read).
    public var candidates = 0
    /// Files a scan would have read.
    public var filesUnderBase = 0
    /// Why the index was not used, when it was not.
    public var reason: String?
}

/// Where a search thread leaves its ``IndexUse`` for the caller, who reads it when the
/// stream has ended.
public final class IndexUseReport: Sendable {
    private let value = Mutex(IndexUse())
    public init() {}
    /// What the search did.
    public var use: IndexUse { value.withLock { $0 } }
    func set(_ use: IndexUse) { value.withLock { $0 = use } }
}

extension FileService {
    /// Starts a live index of `root` (a directory inside the service's roots): the
    /// watcher at once, the build in the background. Searches scan until it is ready.
    ///
    /// - Parameters:
    ///   - root: The directory.
    ///   - walkOptions: The walk of the searches it serves (they must use the same).
    ///   - memoryBudget: Bytes it may hold; past them it is dropped, and searches scan.
    ///   - store: Where to save and load it; nil keeps it in memory only.
    /// - Throws: ``AIFSWatch/WatchError`` when the root cannot be watched.
    public func liveIndex(
        root: String, walkOptions: WalkOptions = WalkOptions(), memoryBudget: Int = 1 << 30, store: IndexStore? = IndexStore.standard()
    ) throws(WatchError) -> TreeIndex {
        let resolved: String
        do {
            resolved = try FileSystemCalls.realPath(try resolveStartingPaths([root])[0])
        } catch let error as CoreError {
            throw WatchError(.invalidArgument, error.message, path: error.path, underlying: error.underlying)
        } catch {
            throw WatchError(.notFound, "cannot index '\(root)': \(error)", path: root)
        }
        let index = LiveIndex(root: resolved, walkOptions: walkOptions, memoryBudget: memoryBudget)
        let tree = try TreeIndex(index: index, store: store)
        memoryMonitor?.register(tree.memory, name: "live index of \(resolved)")
        return tree
    }

    /// Searches as ``search(_:in:walkOptions:configuration:capacity:progress:)`` does,
    /// reading only the files `index` names as candidates when it can answer for this
    /// search (ready, the same walk, a directory under its root, a search it models):
    /// the same events as the scan, in another order across files. What the search did
    /// is in `report` once the stream has ended.
    public func search(
        _ query: SearchQuery, in paths: [String], walkOptions: WalkOptions = WalkOptions(),
        configuration: SearcherConfiguration = FileService.streamingSearchConfiguration,
        capacity: Int = 256, progress: SearchProgress? = nil, index: TreeIndex?, report: IndexUseReport
    ) throws(SearchError) -> SearchStream {
        guard let index else {
            report.set(IndexUse(reason: "no index"))
            return try search(query, in: paths, walkOptions: walkOptions, configuration: configuration, capacity: capacity, progress: progress)
        }
        let threads = walkOptions.threads > 0 ? walkOptions.threads : DedicatedThreads.processorCount
        return try streamedSearch(
            query, in: paths, walkOptions: walkOptions, configuration: configuration, capacity: capacity, progress: progress
        ) { walker, resolved, matcher, makeHandler in
            let chosen = FileService.candidates(index, matcher: matcher, configuration: configuration, walkOptions: walkOptions, paths: resolved)
            switch chosen {
            case .success(let candidates):
                report.set(IndexUse(usedIndex: true, candidates: candidates.paths.count, filesUnderBase: candidates.filesUnderBase))
                FileService.searchFiles(candidates, matcher: matcher, threads: threads, configuration: configuration, makeHandler: makeHandler)
            case .failure(let reason):
                report.set(IndexUse(reason: reason.text))
                walker.run(resolved, makeHandler: makeHandler)
            }
        }
    }

    private struct NotIndexed: Error {
        var text: String
    }

    private static func candidates(
        _ tree: TreeIndex, matcher: any Matcher, configuration: SearcherConfiguration, walkOptions: WalkOptions, paths: [String]
    ) -> Result<LiveIndex.Candidates, NotIndexed> {
        let index = tree.index
        guard index.phase == .ready else {
            return .failure(NotIndexed(text: "the index is \(index.phase.rawValue)" + (index.statistics().reason.map { ": \($0)" } ?? "")))
        }
        guard paths.count == 1, let base = try? FileSystemCalls.realPath(paths[0]),
              Array(base.utf8).isWithin(Array(index.root.utf8))
        else { return .failure(NotIndexed(text: "the search is not of one directory under the index's root")) }
        do { try tree.sync() } catch {
            return .failure(NotIndexed(text: "cannot sync with the watcher: \(error.message)"))
        }
        // The events carry real paths; the search's paths are as given.
        guard base == paths[0] else { return .failure(NotIndexed(text: "the search's path is not canonical")) }
        guard let candidates = index.candidates(for: matcher, configuration: configuration, walkOptions: walkOptions, under: Array(base.utf8)) else {
            return .failure(NotIndexed(text: "the search's walk, mode or path is not the index's"))
        }
        return .success(candidates)
    }

    /// Searches the candidates on `threads` threads, each as a file found in a directory.
    private static func searchFiles(
        _ candidates: LiveIndex.Candidates, matcher: any Matcher, threads: Int, configuration: SearcherConfiguration,
        makeHandler: @escaping @Sendable () -> any SearchHandler
    ) {
        let box = CandidateList(paths: candidates.paths, errors: candidates.walkErrors)
        let next = Atomic<Int>(0)
        let reportedErrors = Atomic<Bool>(false)
        let binaryDetection = configuration.binaryDetection(isExplicit: false)
        DedicatedThreads.run(count: min(threads, max(1, box.paths.count)), name: "aifs-search") { _ in
            let handler = makeHandler()
            if !reportedErrors.exchange(true, ordering: .relaxed) {
                for error in box.errors { handler.walkError(error) }
            }
            let searcher = Searcher(matcher: matcher, configuration: configuration)
            while !handler.shouldStop {
                let position = next.add(1, ordering: .relaxed).oldValue
                guard position < box.paths.count else { break }
                let path = box.paths[position]
                // A file gone since the index last heard of it (its removal is still on
                // its way): a walk would not have found it either.
                guard let identity = try? FileSystemCalls.status(pathBytes: path, followSymlinks: false),
                      identity.kind == .regular
                else { continue }
                let entry = WalkEntry(pathBytes: path, kind: .regular, depth: 1, isSymlink: false, inode: identity.inode)
                handler.search(SearchTask(entry: entry, sequence: nil, binaryDetection: binaryDetection), with: searcher)
            }
            handler.finish()
        }
    }
}

/// The candidates, shared read-only by the search threads.
private final class CandidateList: Sendable {
    let paths: [[UInt8]]
    let errors: [CoreError]
    init(paths: [[UInt8]], errors: [CoreError]) {
        self.paths = paths
        self.errors = errors
    }
}

/// A live index as the memory monitor sees it: its bytes, and, when the process nears its
/// budget, a drop (an index cannot shrink by halves; searches then scan, and the
/// statistics say why).
final class IndexMemory: ShrinkableCache {
    private let index: Mutex<LiveIndex?>

    init(_ index: LiveIndex) {
        self.index = Mutex(index)
    }

    func release() {
        index.withLock { $0 = nil }
    }

    var currentBytes: Int {
        index.withLock { $0 }?.memoryBytes ?? 0
    }

    func shrink(toBytes bytes: Int) {
        guard let index = index.withLock({ $0 }), bytes < index.memoryBytes else { return }
        index.drop(reason: "dropped by the memory monitor: the server neared its memory budget; searches scan")
    }
}
