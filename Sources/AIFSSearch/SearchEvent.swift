public import AIFSCore

/// One line a search reports, copied out of the searcher's buffer so it can travel.
public struct SearchLine: Sendable, Hashable {
    /// Whether the line matched or stands around a match.
    public enum Kind: Sendable, Hashable {
        /// A matching line (with `invert`, a non-matching one).
        case match
        /// Context before a match.
        case before
        /// Context after a match.
        case after
    }

    /// The file's path as shown, in raw bytes.
    public var pathBytes: [UInt8]
    /// The 1-based line number, when lines were counted.
    public var lineNumber: Int?
    /// The offset of the line's first byte in the file.
    public var absoluteOffset: Int64
    /// The line without its terminator; for a line longer than the searcher's largest
    /// buffer, one piece of it (``isCut``).
    public var bytes: [UInt8]
    /// The byte ranges of the matches within ``bytes`` (empty for context lines and
    /// inverted matches).
    public var submatches: [Range<Int>]
    /// Match or context.
    public var kind: Kind
    /// Where ``bytes`` starts within the line: 0 unless the line was cut. Add it to a
    /// submatch's bounds for its offset within the line.
    public var lineOffset: Int64
    /// Whether ``bytes`` is only a piece of the line; the search also reports a
    /// ``SearchError/Code/longLineCut`` error for it.
    public var isCut: Bool

    /// The path; bytes that are not UTF-8 become U+FFFD.
    public var path: String { String(decoding: pathBytes, as: UTF8.self) }
    /// The line; bytes that are not UTF-8 become U+FFFD.
    public var text: String { String(decoding: bytes, as: UTF8.self) }
    /// Whether ``bytes`` is valid UTF-8 (``text`` shows it exactly).
    public var isUTF8: Bool { String(validating: bytes, as: UTF8.self) != nil }

    /// Creates a line.
    public init(
        pathBytes: [UInt8], lineNumber: Int?, absoluteOffset: Int64, bytes: [UInt8],
        submatches: [Range<Int>], kind: Kind, lineOffset: Int64 = 0, isCut: Bool = false
    ) {
        self.pathBytes = pathBytes
        self.lineNumber = lineNumber
        self.absoluteOffset = absoluteOffset
        self.bytes = bytes
        self.submatches = submatches
        self.kind = kind
        self.lineOffset = lineOffset
        self.isCut = isCut
    }
}

/// What a streamed search delivers.
public enum SearchEvent: Sendable, Hashable {
    /// A matching or context line.
    case line(SearchLine)
    /// A binary file matched; its lines are not reported (ripgrep's "binary file
    /// matches").
    case binaryFile(pathBytes: [UInt8], offset: Int64)
    /// One file's search is done.
    case fileFinished(pathBytes: [UInt8], finish: SinkFinish)
    /// A file or directory could not be read, or a line could not be searched exactly
    /// (see ``SinkFinish/problems``, which also come this way, before the file's
    /// ``fileFinished(pathBytes:finish:)``); the search went on.
    case error(SearchError)
}

/// A sink that turns one worker's results into ``SearchEvent``s for a channel, in
/// batches.
///
/// Sending each event on its own cost a hand-over between threads per event: for a
/// search of 25,864 files through the MCP server, one `fileFinished` per file made the
/// streamed search 1.4x slower than the CLI's. So events wait in a per-worker batch,
/// which goes to the channel when it holds ``batchSize`` events, at the end of a file
/// that reported anything but its finish (its lines come together, right after the
/// file), when a batch of finishes is older than ``batchAge``, and when the worker is
/// done. A file's lines therefore arrive when it is finished or every ``batchSize``
/// lines, not one by one.
///
/// ## Threading
/// One per worker thread.
public final class ChannelSink: Sink {
    /// Events per batch at most.
    public static let batchSize = 64
    /// How long finishes of files that found nothing may wait for more.
    public static let batchAge: Duration = .milliseconds(10)

    private let channel: BoundedChannel<[SearchEvent]>
    private let matcher: any Matcher
    private let invert: Bool
    private var path: [UInt8] = []
    private var hasMatched = false
    private var sawBinaryData = false
    private var batch: [SearchEvent] = []
    /// Whether the batch holds more than finishes (lines, errors): it goes at the file's end.
    private var batchHasResults = false
    private var batchStarted: ContinuousClock.Instant?

    /// Creates a sink that sends to `channel`, finding submatches with `matcher`.
    public init(channel: BoundedChannel<[SearchEvent]>, matcher: any Matcher, invert: Bool) {
        self.channel = channel
        self.matcher = matcher
        self.invert = invert
        batch.reserveCapacity(Self.batchSize)
    }

    public func begin(path: [UInt8]) -> Bool {
        self.path = path
        hasMatched = false
        sawBinaryData = false
        return !channel.isCancelled
    }

    public func matched(_ match: SinkMatch) -> Bool {
        // After binary data, a match is the file's "binary file matches": its lines
        // are not reported.
        if sawBinaryData { return false }
        hasMatched = true
        return send(
            match.bytes, lineNumber: match.lineNumber, offset: match.absoluteOffset, kind: .match,
            lineOffset: match.lineOffset, isCut: match.isCut)
    }

    public func context(_ context: SinkContext) -> Bool {
        send(context.bytes, lineNumber: context.lineNumber, offset: context.absoluteOffset,
             kind: context.kind == .before ? .before : .after, lineOffset: context.lineOffset, isCut: context.isCut)
    }

    public func binaryData(offset: Int64) -> Bool {
        // Quitting on binary data before any match reports nothing, as ripgrep.
        sawBinaryData = true
        return add(.binaryFile(pathBytes: path, offset: offset), isResult: true)
    }

    public func finish(_ finish: SinkFinish) {
        for problem in finish.problems { _ = add(.error(problem), isResult: true) }
        _ = add(.fileFinished(pathBytes: path, finish: finish), isResult: false)
        if batchHasResults || batchStarted.map({ ContinuousClock.now - $0 >= Self.batchAge }) == true { _ = flush() }
    }

    /// Adds an event that is not about one file's lines (an error): sent at once.
    func sendNow(_ event: SearchEvent) {
        _ = add(event, isResult: true)
        _ = flush()
    }

    /// Sends the batch; `false` when the search was cancelled.
    @discardableResult
    func flush() -> Bool {
        guard !batch.isEmpty else { return !channel.isCancelled }
        let full = batch
        batch = []
        batch.reserveCapacity(Self.batchSize)
        batchHasResults = false
        batchStarted = nil
        return channel.send(full)
    }

    private func add(_ event: SearchEvent, isResult: Bool) -> Bool {
        if batch.isEmpty { batchStarted = .now }
        batch.append(event)
        batchHasResults = batchHasResults || isResult
        if batch.count >= Self.batchSize { return flush() }
        return !channel.isCancelled
    }

    private func send(
        _ line: UnsafeBufferPointer<UInt8>, lineNumber: Int?, offset: Int64, kind: SearchLine.Kind, lineOffset: Int64,
        isCut: Bool
    ) -> Bool {
        var length = line.count
        if length > 0 && line[length - 1] == UInt8(ascii: "\n") { length -= 1 }
        let content = UnsafeBufferPointer(rebasing: line[0..<length])
        var submatches: [Range<Int>] = []
        if (kind == .match) != invert {
            matcher.forEachMatch(in: content) { range in
                if !range.isEmpty { submatches.append(range) }
                return true
            }
        }
        return add(.line(SearchLine(
            pathBytes: path, lineNumber: lineNumber, absoluteOffset: offset, bytes: Array(content),
            submatches: submatches, kind: kind, lineOffset: lineOffset, isCut: isCut)), isResult: true)
    }
}

/// The ``SearchHandler`` behind a streamed search: each worker's files go to the
/// channel through a ``ChannelSink``, in batches.
public final class ChannelHandler: SearchHandler {
    private let channel: BoundedChannel<[SearchEvent]>
    private let sink: ChannelSink

    /// Creates the handler of one worker.
    public init(channel: BoundedChannel<[SearchEvent]>, matcher: any Matcher, invert: Bool) {
        self.channel = channel
        self.sink = ChannelSink(channel: channel, matcher: matcher, invert: invert)
    }

    public var shouldStop: Bool { channel.isCancelled }

    public func search(_ task: SearchTask, with searcher: Searcher) {
        do {
            try searcher.search(
                pathBytes: task.entry.pathBytes, binaryDetection: task.binaryDetection, sink: sink)
        } catch {
            sink.sendNow(.error(error))
        }
    }

    public func walkError(_ error: CoreError) {
        sink.sendNow(.error(SearchError(error)))
    }

    public func finish() {
        sink.flush()
    }
}
