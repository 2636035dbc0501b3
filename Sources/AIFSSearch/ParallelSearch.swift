public import AIFSCore
import Synchronization

/// One file for a worker to search.
public struct SearchTask {
    /// The file, as the walker found it.
    public var entry: WalkEntry
    /// The file's place in path order when the search is sorted (0, 1, 2, …), else `nil`.
    public var sequence: Int?
    /// How to treat NUL bytes: ``SearcherConfiguration/binaryDetection(isExplicit:)``
    /// (ripgrep's rule: files named explicitly are searched whole, files found in
    /// directories stop at binary data).
    public var binaryDetection: BinaryDetection

    /// A task made outside a walk (the files a live index names).
    package init(entry: WalkEntry, sequence: Int?, binaryDetection: BinaryDetection) {
        self.entry = entry
        self.sequence = sequence
        self.binaryDetection = binaryDetection
    }
}

/// Receives the files one worker thread searches.
///
/// ## Threading
/// One handler per worker thread, made and called on that thread only.
public protocol SearchHandler: AnyObject {
    /// Searches one file with the worker's searcher.
    func search(_ task: SearchTask, with searcher: Searcher)
    /// A path the walk could not read.
    func walkError(_ error: CoreError)
    /// A problem that stops nothing (an invalid line in an ignore file).
    func walkWarning(_ warning: CoreError)
    /// The worker has no more files.
    func finish()
    /// Whether the whole search should stop (checked between files; it stops soon,
    /// not at once).
    var shouldStop: Bool { get }
}

extension SearchHandler {
    public func walkWarning(_ warning: CoreError) {}
    public func finish() {}
    public var shouldStop: Bool { false }
}

/// Searches every file under some paths on every core: the walker's threads search the
/// files they find, each with its own ``Searcher`` and handler.
///
/// Sorted, the walk runs first (in parallel) and yields the files in path order; the
/// files are then searched in parallel, each task carrying its place in the order, so
/// the handler can print results in that order (see ``SharedOutput``).
///
/// ```swift
/// let search = try ParallelSearch(walkOptions: WalkOptions(), matcher: LiteralMatcher("TODO"))
/// search.run(["Sources"]) { MyHandler() }
/// ```
///
/// ## Threading
/// ``run(_:makeHandler:)`` blocks its caller until every file is searched.
public struct ParallelSearch: Sendable {
    /// Which files.
    public let walkOptions: WalkOptions
    /// What to look for.
    public let matcher: any Matcher
    /// How to search each file.
    public let configuration: SearcherConfiguration
    /// Whether files are searched in path order (their results can then be put in
    /// order) rather than as found.
    public let sorted: Bool
    private let walker: Walker

    /// Prepares a search.
    ///
    /// - Throws: ``AIFSCore/CoreError`` for invalid walk options (an invalid glob).
    public init(
        walkOptions: WalkOptions, matcher: any Matcher,
        configuration: SearcherConfiguration = SearcherConfiguration()
    ) throws(CoreError) {
        self.sorted = walkOptions.sortByPath
        var unsorted = walkOptions
        unsorted.sortByPath = false
        self.walkOptions = walkOptions
        self.matcher = matcher
        self.configuration = configuration
        self.walker = try Walker(options: unsorted)
    }

    /// Searches the files under `paths` (the current directory when empty).
    public func run(_ paths: [String], makeHandler: @escaping @Sendable () -> any SearchHandler) {
        run(pathBytes: paths.map { Array($0.utf8) }, makeHandler: makeHandler)
    }

    /// Searches the files under starting paths given as raw bytes (a path argument
    /// that is not UTF-8 is used byte for byte); otherwise as ``run(_:makeHandler:)``.
    public func run(pathBytes paths: [[UInt8]], makeHandler: @escaping @Sendable () -> any SearchHandler) {
        if sorted {
            runSorted(paths, makeHandler: makeHandler)
            return
        }
        let matcher = self.matcher, configuration = self.configuration
        walker.walk(pathBytes: paths) {
            SearchVisitor(handler: makeHandler(), searcher: Searcher(matcher: matcher, configuration: configuration))
        }
    }

    private func runSorted(_ paths: [[UInt8]], makeHandler: @escaping @Sendable () -> any SearchHandler) {
        // `collect` walks in parallel and sorts. The walk's problems are delivered first,
        // in path order, from the first handler.
        let (entries, errors) = walker.collect(pathBytes: paths)
        let files = entries.filter(SearchVisitor.isSearched)
        let next = Atomic<Int>(0)
        let reportedErrors = Atomic<Bool>(false)
        let matcher = self.matcher, configuration = self.configuration
        let threads = min(walkOptions.threads > 0 ? walkOptions.threads : DedicatedThreads.processorCount, max(1, files.count))
        let box = SortedFiles(files: files, errors: errors)
        DedicatedThreads.run(count: threads, name: "aifs-search") { _ in
                let handler = makeHandler()
                if !reportedErrors.exchange(true, ordering: .relaxed) {
                    for error in box.errors { handler.walkError(error) }
                }
                let searcher = Searcher(matcher: matcher, configuration: configuration)
                while !handler.shouldStop {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    guard index < box.files.count else { break }
                    let entry = box.files[index]
                    handler.search(
                        SearchTask(entry: entry, sequence: index, binaryDetection: SearchVisitor.binaryDetection(for: entry, configuration)),
                        with: searcher)
                }
                handler.finish()
        }
    }
}

/// The sorted file list, shared read-only by the workers.
private final class SortedFiles: Sendable {
    let files: [WalkEntry]
    let errors: [CoreError]
    init(files: [WalkEntry], errors: [CoreError]) {
        self.files = files
        self.errors = errors
    }
}

/// Adapts the walker's visitor to a search handler.
final class SearchVisitor: WalkVisitor {
    let handler: any SearchHandler
    let searcher: Searcher

    init(handler: any SearchHandler, searcher: Searcher) {
        self.handler = handler
        self.searcher = searcher
    }

    /// ripgrep searches regular files, and anything named explicitly that is not a
    /// directory.
    static func isSearched(_ entry: WalkEntry) -> Bool {
        entry.isExplicit ? entry.kind != .directory : entry.kind == .regular
    }

    static func binaryDetection(for entry: WalkEntry, _ configuration: SearcherConfiguration) -> BinaryDetection {
        configuration.binaryDetection(isExplicit: entry.isExplicit)
    }

    func visit(_ entry: WalkEntry) -> WalkAction {
        if SearchVisitor.isSearched(entry) {
            handler.search(
                SearchTask(entry: entry, sequence: nil, binaryDetection: SearchVisitor.binaryDetection(for: entry, searcher.configuration)),
                with: searcher)
        }
        return handler.shouldStop ? .quit : .continue
    }

    func visit(error: CoreError) -> WalkAction {
        handler.walkError(error)
        return .continue
    }

    func visit(warning: CoreError) {
        handler.walkWarning(warning)
    }

    func finish() {
        handler.finish()
    }
}
