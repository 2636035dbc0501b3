public import AIFSCore
public import AIFSSearch
import Synchronization

extension FileService {
    /// Searches the files under `paths` and streams what it finds, as it finds it.
    ///
    /// The search runs on dedicated threads, one per core. Results wait in a bounded
    /// queue: when the consumer is slower than the search, the search waits too, so
    /// memory stays bounded. Each worker sends its results in batches
    /// (``AIFSSearch/ChannelSink``): a file's lines arrive when the file is done, or
    /// every 64 lines. Breaking out of the loop, or cancelling the consuming
    /// task, stops the search.
    ///
    /// ```swift
    /// var query = SearchQuery(patterns: ["TODO"])
    /// query.caseMode = .smart
    /// for try await event in try service.search(query, in: ["Sources"]) {
    ///     if case .line(let line) = event { print(line.path, line.lineNumber ?? 0, line.text) }
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - query: What to look for.
    ///   - paths: Where; resolved inside the roots when the service has roots. Empty
    ///     means the current directory (or the first root).
    ///   - walkOptions: Which files (ripgrep's defaults unless changed).
    ///   - configuration: How each file is searched; line numbers are on by default here.
    ///   - capacity: About how many events may wait for the consumer (in batches of up
    ///     to 64: a sixteenth of it in batches, at least four).
    ///   - progress: Counts the bytes read as the search reads them, also inside one
    ///     big file (the events only tell of a file when it is done).
    /// - Throws: ``AIFSSearch/SearchError`` for an invalid pattern, an invalid walk
    ///   option, or a path outside the roots. Files that cannot be read arrive as
    ///   ``AIFSSearch/SearchEvent/error(_:)`` events instead.
    public func search(
        _ query: SearchQuery, in paths: [String], walkOptions: WalkOptions = WalkOptions(),
        configuration: SearcherConfiguration = FileService.streamingSearchConfiguration,
        capacity: Int = 256, progress: SearchProgress? = nil
    ) throws(SearchError) -> SearchStream {
        try streamedSearch(
            query, in: paths, walkOptions: walkOptions, configuration: configuration, capacity: capacity, progress: progress
        ) { walker, resolved, _, makeHandler in
            walker.run(resolved, makeHandler: makeHandler)
        }
    }

    /// Prepares a search and runs `run` on a thread of its own with the walk, its
    /// starting paths, the matcher and a maker of the workers' handlers (each sends to
    /// the stream, and counts into `progress`); the stream ends when `run` returns.
    func streamedSearch(
        _ query: SearchQuery, in paths: [String], walkOptions: WalkOptions, configuration: SearcherConfiguration,
        capacity: Int, progress: SearchProgress?,
        run: @escaping @Sendable (
            _ walker: ParallelSearch, _ resolved: [String], _ matcher: any Matcher,
            _ makeHandler: @escaping @Sendable () -> any SearchHandler
        ) -> Void
    ) throws(SearchError) -> SearchStream {
        let matcher = try query.makeMatcher()
        // Workers send batches of up to ChannelSink.batchSize events.
        let channel = BoundedChannel<[SearchEvent]>(capacity: max(4, capacity / 16))
        let invert = configuration.invert
        do throws(CoreError) {
            let (walker, resolved) = try preparedSearch(paths, walkOptions: walkOptions, matcher: matcher, configuration: configuration)
            let makeHandler = { @Sendable () -> any SearchHandler in
                let handler = ChannelHandler(channel: channel, matcher: matcher, invert: invert)
                guard let progress else { return handler }
                return CountingHandler(handler, progress: progress)
            }
            // Not `start`: run on the caller's thread, the search would block on the
            // full channel before its consumer exists.
            let started = DedicatedThreads.tryStart(name: "aifs-search") {
                run(walker, resolved, matcher, makeHandler)
                channel.finish()
            }
            if !started {
                throw CoreError(.io, "cannot search: no thread could be started for the search (the process's thread limit?)")
            }
        } catch {
            throw SearchError(error)
        }
        return SearchStream(owner: SearchStream.Owner(channel: channel))
    }

    /// Searcher settings for streamed searches: line numbers on.
    public static var streamingSearchConfiguration: SearcherConfiguration {
        var configuration = SearcherConfiguration()
        configuration.lineNumbers = true
        return configuration
    }
}

/// The results of ``AIFS/FileService/search(_:in:walkOptions:configuration:capacity:)``,
/// in the order the workers find them (each file's lines in file order).
///
/// Iterate it once. When the stream and its iterator are gone — the loop ended early,
/// or the stream was never iterated — the search stops.
public struct SearchStream: AsyncSequence, Sendable {
    public typealias Element = SearchEvent

    let owner: Owner

    public func makeAsyncIterator() -> Iterator {
        Iterator(owner: owner)
    }

    /// Pulls events from the search.
    public struct Iterator: AsyncIteratorProtocol {
        fileprivate let owner: Owner
        /// The batch being handed out, and the next event's place in it.
        private var batch: [SearchEvent] = []
        private var index = 0

        fileprivate init(owner: Owner) { self.owner = owner }

        public mutating func next() async throws -> SearchEvent? {
            while index == batch.count {
                guard let next = try await owner.channel.next() else { return nil }
                batch = next
                index = 0
            }
            index += 1
            return batch[index - 1]
        }
    }

    /// Cancels the search when the last copy of the stream or its iterator is gone.
    final class Owner: Sendable {
        let channel: BoundedChannel<[SearchEvent]>
        init(channel: BoundedChannel<[SearchEvent]>) { self.channel = channel }
        deinit { channel.cancel() }
    }
}

/// The bytes a search has read so far, counted as they are read: progress through one
/// big file, which the search's events tell of only when the file is done.
///
/// ## Threading
/// The search's workers add; anyone reads ``bytesRead``.
public final class SearchProgress: Sendable {
    private let bytes = Atomic<Int64>(0)

    public init() {}

    /// The bytes read so far, by every worker.
    public var bytesRead: Int64 { bytes.load(ordering: .relaxed) }

    func add(_ count: Int) {
        bytes.add(Int64(count), ordering: .relaxed)
    }
}

/// A worker's handler that counts what its searcher reads into a ``SearchProgress``.
final class CountingHandler: SearchHandler {
    private let handler: ChannelHandler
    private let progress: SearchProgress

    init(_ handler: ChannelHandler, progress: SearchProgress) {
        self.handler = handler
        self.progress = progress
    }

    var shouldStop: Bool { handler.shouldStop }

    func search(_ task: SearchTask, with searcher: Searcher) {
        if searcher.onRead == nil {
            let progress = self.progress
            searcher.onRead = { progress.add($0) }
        }
        handler.search(task, with: searcher)
    }

    func walkError(_ error: CoreError) { handler.walkError(error) }
    func walkWarning(_ warning: CoreError) { handler.walkWarning(warning) }
    func finish() { handler.finish() }
}
