public import AIFSCore

/// How a ``Searcher`` reads and reports.
public struct SearcherConfiguration: Sendable, Hashable {
    /// Count lines, so reports carry line numbers (`-n`). Counting costs a pass over
    /// the bytes between reports; without it, lines are never counted.
    public var lineNumbers = false
    /// Report the lines that do not match (`-v`).
    public var invert = false
    /// Lines of context before each reported line (`-B`).
    public var beforeContext = 0
    /// Lines of context after each reported line (`-A`).
    public var afterContext = 0
    /// Stop a file after this many reported lines (`-m`); trailing context is still
    /// reported.
    public var maxReportedLines: Int?
    /// What to do on finding a NUL byte.
    public var binaryDetection: BinaryDetection = .quit
    /// The size of the read buffer a searcher starts with. 1 MiB reads cost 12% less
    /// time than ripgrep's 64 KiB on a 1 GB file here. Binary detection works per
    /// buffer, so on a file with a NUL byte after its first 64 KiB the lines before the
    /// NUL's buffer can differ from ripgrep's.
    public var initialBufferSize = 1024 * 1024
    /// The most the buffer may grow to hold one long line. A longer line is searched in
    /// pieces of this size (see ``Searcher``'s known problems).
    public var maximumBufferSize = 64 * 1024 * 1024

    /// Creates the default configuration.
    public init() {}
}

/// Searches files in fixed, reused buffers and reports lines to a ``Sink`` as it finds
/// them.
///
/// The searcher reads a buffer, asks the ``Matcher`` for candidates across the whole
/// buffer (not line by line), finds the line around each candidate and confirms it,
/// and counts lines only up to the lines it reports. The partial last line moves to
/// the front of the buffer for the next read, with as many earlier lines as
/// before-context needs. Memory does not grow with the file: only a line longer than
/// the buffer makes it grow, up to ``SearcherConfiguration/maximumBufferSize``.
///
/// ```swift
/// let matcher = try LiteralMatcher("TODO")
/// let collector = ByteCollector()
/// let printer = StandardPrinter(matcher: matcher, target: collector)
/// try Searcher(matcher: matcher).search(path: "Sources/main.swift", sink: printer)
/// ```
///
/// ## Threading
/// One searcher per worker thread, reused file after file; not `Sendable`.
///
/// ## Known problems
/// A line longer than ``SearcherConfiguration/maximumBufferSize`` is searched in
/// pieces of that size: each piece is reported as its own line (with the right line
/// number), and a match that spans two pieces is missed.
public final class Searcher {
    /// The configuration.
    public let configuration: SearcherConfiguration
    /// The matcher.
    public let matcher: any Matcher

    private var storage: UnsafeMutableRawBufferPointer
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int

    // The state of the current file. Offsets are into `base` unless named absolute.
    private var end = 0
    private var searchStart = 0
    private var keepStart = 0
    private var bufferOffset: Int64 = 0
    private var countedPosition = 0
    private var countedLine = 1
    private var lastPrinted: Int64?
    private var afterRemaining = 0
    private var reportedLines = 0
    private var binaryOffset: Int64?
    private var stopped = false
    private var maxReached = false
    private var sink: (any Sink)?
    private var binaryDetection: BinaryDetection = .quit
    private var path: [UInt8] = []
    /// Problems beyond ``problemLimit``, counted but not kept.
    private var problemsNotKept = 0

    /// The lines of the file searched last (or being searched) that could not be
    /// searched exactly; also in ``SinkFinish/problems``.
    public private(set) var problems: [SearchError] = []
    /// The most problems kept per file.
    public static let problemLimit = 10

    private static let newline = UInt8(ascii: "\n")

    /// Creates a searcher.
    public init(matcher: any Matcher, configuration: SearcherConfiguration = SearcherConfiguration()) {
        self.matcher = matcher
        self.configuration = configuration
        capacity = max(1, configuration.initialBufferSize)
        storage = .allocate(byteCount: capacity, alignment: 16)
        base = storage.baseAddress!.assumingMemoryBound(to: UInt8.self)
    }

    deinit { storage.deallocate() }

    /// Searches the file at `path`.
    ///
    /// - Parameters:
    ///   - path: The file to open.
    ///   - displayPath: The path as the sink should show it; `path`'s bytes if `nil`.
    ///   - sink: Receives the results.
    /// - Throws: ``SearchError`` with `.io` when the file cannot be opened or read;
    ///   results reported before a read error stay reported.
    ///   - binaryDetection: Overrides the configuration's, for this file.
    public func search(
        path: String, displayPath: [UInt8]? = nil, binaryDetection: BinaryDetection? = nil, sink: any Sink
    ) throws(SearchError) {
        try search(pathBytes: Array(path.utf8), displayPath: displayPath, binaryDetection: binaryDetection, sink: sink)
    }

    /// Searches the file whose name is given as raw bytes (names need not be UTF-8).
    public func search(
        pathBytes: [UInt8], displayPath: [UInt8]? = nil, binaryDetection: BinaryDetection? = nil, sink: any Sink
    ) throws(SearchError) {
        let file = try Searcher.open(pathBytes)
        try search(file: file, displayPath: displayPath ?? pathBytes, binaryDetection: binaryDetection, sink: sink)
    }

    /// Searches a file that is already open, from where its reading stands.
    ///
    /// - Parameters:
    ///   - file: The file; read to its end.
    ///   - displayPath: The path as the sink should show it; the file's path if `nil`.
    public func search(
        file: borrowing ReadableFile, displayPath: [UInt8]? = nil, binaryDetection: BinaryDetection? = nil, sink: any Sink
    ) throws(SearchError) {
        self.binaryDetection = binaryDetection ?? configuration.binaryDetection
        var total: Int64 = 0
        var atEnd = false
        try run(displayPath: displayPath ?? Array(file.path.utf8), sink: sink) { buffer throws(CoreError) in
            if atEnd { return 0 }
            let count = try file.read(into: buffer)
            total += Int64(count)
            atEnd = file.reachedEnd(afterReading: count, of: buffer.count, total: total)
            return count
        }
    }

    private static func open(_ path: [UInt8]) throws(SearchError) -> ReadableFile {
        do { return try ReadableFile(pathBytes: path) } catch { throw SearchError(error) }
    }

    /// Searches bytes in memory, in the same buffered way as a file.
    public func search(
        bytes: [UInt8], displayPath: [UInt8] = Array("<memory>".utf8), binaryDetection: BinaryDetection? = nil,
        sink: any Sink
    ) throws(SearchError) {
        self.binaryDetection = binaryDetection ?? configuration.binaryDetection
        var offset = 0
        try run(displayPath: displayPath, sink: sink) { buffer throws(CoreError) in
            let count = min(buffer.count, bytes.count - offset)
            bytes.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
            }
            offset += count
            return count
        }
    }

    // MARK: - The read loop

    private func reset(sink: any Sink) {
        end = 0
        searchStart = 0
        keepStart = 0
        bufferOffset = 0
        countedPosition = 0
        countedLine = 1
        lastPrinted = nil
        afterRemaining = 0
        reportedLines = 0
        binaryOffset = nil
        stopped = false
        maxReached = false
        problems = []
        problemsNotKept = 0
        self.sink = sink
    }

    /// Notes a line that could not be searched exactly.
    private func addProblem(_ problem: @autoclosure () -> SearchError) {
        if problems.count < Searcher.problemLimit {
            problems.append(problem())
        } else {
            problemsNotKept += 1
        }
    }

    /// How to name the line that starts at `position` in a message: `PATH:LINE` when
    /// lines are counted, else `PATH` and the line's byte offset.
    private func lineDescription(at position: Int) -> String {
        let shown = String(decoding: path, as: UTF8.self)
        if let number = lineNumber(at: position) { return "\(shown):\(number)" }
        return "\(shown): the line at byte offset \(bufferOffset + Int64(position))"
    }

    private func run(
        displayPath: [UInt8], sink: any Sink,
        fill: (UnsafeMutableRawBufferPointer) throws(CoreError) -> Int
    ) throws(SearchError) {
        let started = ContinuousClock.now
        reset(sink: sink)
        path = displayPath
        defer { self.sink = nil }
        // `-m 0` reports nothing, as ripgrep: no need to read at all.
        guard sink.begin(path: displayPath), configuration.maxReportedLines != 0 else {
            finish(sink: sink, started: started)
            return
        }
        var atEnd = false
        while !atEnd && !stopped {
            makeRoom()
            let count: Int
            do {
                count = try fill(UnsafeMutableRawBufferPointer(start: base + end, count: capacity - end))
            } catch {
                throw SearchError(error)
            }
            let fresh = end..<(end + count)
            end += count
            atEnd = count == 0
            if binaryDetection != .none, binaryOffset == nil,
               let zero = ByteScan.firstIndex(of: 0, in: bytes, range: fresh)
            {
                binaryOffset = bufferOffset + Int64(zero)
                if binaryDetection == .quit {
                    _ = sink.binaryData(offset: binaryOffset!)
                    break
                }
            }
            let regionEnd: Int
            if atEnd {
                regionEnd = end
            } else if let newline = ByteScan.lastIndex(of: Searcher.newline, in: bytes, range: searchStart..<end) {
                regionEnd = newline + 1
            } else if end == capacity && capacity >= configuration.maximumBufferSize {
                regionEnd = end  // a line longer than the largest buffer: search this piece
            } else {
                continue
            }
            if regionEnd > searchStart {
                process(regionEnd: regionEnd)
                let retained = configuration.beforeContext > 0
                    ? startOfLines(before: regionEnd, count: configuration.beforeContext, notBefore: keepStart)
                    : regionEnd
                keepStart = max(keepStart, retained)
                searchStart = regionEnd
            }
            if maxReached && afterRemaining == 0 { stopped = true }
        }
        finish(sink: sink, started: started)
    }

    private func finish(sink: any Sink, started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let (seconds, attoseconds) = elapsed.components
        if problemsNotKept > 0 {
            let shown = String(decoding: path, as: UTF8.self)
            problems.append(SearchError(
                problems[0].code, "\(shown): \(problemsNotKept) more lines like the ones above", path: shown))
        }
        sink.finish(SinkFinish(
            bytesSearched: bufferOffset + Int64(searchStart),
            binaryOffset: binaryOffset,
            matchedLines: reportedLines,
            elapsedNanoseconds: seconds * 1_000_000_000 + attoseconds / 1_000_000_000,
            problems: problems))
    }

    private var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: end) }

    /// Frees space at the end of the buffer: drops what is neither unsearched nor kept
    /// for before-context, and grows the buffer when one line fills it.
    private func makeRoom() {
        guard end == capacity else { return }
        if keepStart > 0 {
            if configuration.lineNumbers && countedPosition < keepStart { _ = lineNumber(at: keepStart) }
            let shift = keepStart
            (base).update(from: base + shift, count: end - shift)
            end -= shift
            searchStart -= shift
            countedPosition -= shift
            keepStart = 0
            bufferOffset += Int64(shift)
        }
        if end == capacity && capacity < configuration.maximumBufferSize {
            let grown = min(capacity * 2, configuration.maximumBufferSize)
            let newStorage = UnsafeMutableRawBufferPointer.allocate(byteCount: grown, alignment: 16)
            newStorage.baseAddress!.copyMemory(from: base, byteCount: end)
            storage.deallocate()
            storage = newStorage
            base = newStorage.baseAddress!.assumingMemoryBound(to: UInt8.self)
            capacity = grown
        } else if end == capacity {
            // A piece of an over-long line was searched; nothing needs keeping.
            bufferOffset += Int64(end)
            if configuration.lineNumbers { _ = lineNumber(at: end) }
            countedPosition = 0
            end = 0
            searchStart = 0
            keepStart = 0
        }
    }

    // MARK: - Searching a region

    /// Searches `base[searchStart..<regionEnd]`, which ends at a line end (or the end
    /// of the file, or of a piece of an over-long line).
    private func process(regionEnd: Int) {
        let haystack = UnsafeBufferPointer(start: base, count: regionEnd)
        var position = searchStart
        while position < regionEnd && !stopped {
            let match = nextMatchingLine(in: haystack, from: position)
            let runEnd = match?.lowerBound ?? regionEnd
            if configuration.invert {
                // Every line of the run is reported; the matching line is context.
                var line = position
                while line < runEnd && !stopped {
                    let next = lineEnd(after: line, limit: runEnd)
                    report(line..<next)
                    line = next
                }
                emitAfterContext(from: line, to: match?.upperBound ?? runEnd)
            } else {
                emitAfterContext(from: position, to: runEnd)
                if let match, !stopped { report(match) }
            }
            guard let match else { break }
            position = match.upperBound
        }
    }

    /// The next line in `haystack[start...]` that the matcher confirms, as the range of
    /// the line with its terminator.
    private func nextMatchingLine(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Range<Int>? {
        var scan = start
        while scan < haystack.count, let found = matcher.candidate(in: haystack, from: scan) {
            let candidate = max(found, scan)
            guard candidate < haystack.count else { return nil }
            let lineStart = ByteScan.lastIndex(of: Searcher.newline, in: haystack, range: scan..<candidate)
                .map { $0 + 1 } ?? scan
            let lineStop = lineEnd(after: candidate, limit: haystack.count)
            if confirms(lineStart..<lineStop) { return lineStart..<lineStop }
            scan = lineStop
        }
        return nil
    }

    /// Whether the matcher matches the line (without its terminator). A line the matcher
    /// could not decide is a problem, and is reported neither as a match nor inverted.
    private func confirms(_ line: Range<Int>) -> Bool {
        let text = UnsafeBufferPointer(start: base + line.lowerBound, count: contentLength(line))
        switch matcher.matchResult(in: text, from: 0) {
        case .match: return true
        case .noMatch: return false
        case .undecided(let reason):
            addProblem(SearchError(
                .undecidedLine,
                "\(lineDescription(at: line.lowerBound)): the regex engine gave up on this line (\(reason)), so "
                    + "whether it matches is unknown and it is not reported; simplify the pattern (nested "
                    + "quantifiers such as (a+)+ backtrack exponentially)",
                path: String(decoding: path, as: UTF8.self)))
            // Inverted, a line counts as reported when it does not match: treating it as
            // a match keeps it out of the report there too.
            return configuration.invert
        }
    }

    private func contentLength(_ line: Range<Int>) -> Int {
        line.count > 0 && base[line.upperBound - 1] == Searcher.newline ? line.count - 1 : line.count
    }

    /// The end (past the terminator) of the line holding `position`.
    private func lineEnd(after position: Int, limit: Int) -> Int {
        guard position < limit else { return limit }
        return ByteScan.firstIndex(of: Searcher.newline, in: bytes, range: position..<limit).map { $0 + 1 } ?? limit
    }

    /// The start of the `count`th line before the line starting at `position`, but not
    /// before `lower`.
    private func startOfLines(before position: Int, count: Int, notBefore lower: Int) -> Int {
        var start = position
        for _ in 0..<count {
            guard start > lower else { break }
            // `start - 1` is the terminator of the previous line.
            start = ByteScan.lastIndex(of: Searcher.newline, in: bytes, range: lower..<(start - 1))
                .map { $0 + 1 } ?? lower
        }
        return start
    }

    // MARK: - Reporting

    private func lineNumber(at position: Int) -> Int? {
        guard configuration.lineNumbers else { return nil }
        if position > countedPosition {
            countedLine += ByteScan.count(of: Searcher.newline, in: bytes, range: countedPosition..<position)
            countedPosition = position
        }
        return countedLine
    }

    /// Reports a line. After the `-m` limit, a line that would be reported but falls
    /// within the last report's trailing context is still shown as a match, without
    /// extending the context, as ripgrep does.
    private func report(_ line: Range<Int>) {
        guard let sink else { return }
        if maxReached {
            guard afterRemaining > 0 else {
                stopped = true
                return
            }
            afterRemaining -= 1
        }
        if binaryDetection == .convert, let binaryOffset {
            _ = sink.binaryData(offset: binaryOffset)
            stopped = true
            return
        }
        if !maxReached { emitBeforeContext(line.lowerBound) }
        if stopped { return }
        emitBreakIfNeeded(line.lowerBound)
        let match = SinkMatch(
            bytes: UnsafeBufferPointer(start: base + line.lowerBound, count: line.count),
            lineNumber: lineNumber(at: line.lowerBound),
            absoluteOffset: bufferOffset + Int64(line.lowerBound))
        if !sink.matched(match) { stopped = true }
        lastPrinted = bufferOffset + Int64(line.upperBound)
        reportedLines += 1
        if maxReached {
            if afterRemaining == 0 { stopped = true }
            return
        }
        afterRemaining = configuration.afterContext
        if let limit = configuration.maxReportedLines, reportedLines >= limit {
            maxReached = true
            if afterRemaining == 0 { stopped = true }
        }
    }

    private func emitBeforeContext(_ lineStart: Int) {
        guard configuration.beforeContext > 0 else { return }
        var lower = keepStart
        if let lastPrinted {
            lower = max(lower, Int(max(0, lastPrinted - bufferOffset)))
        }
        guard lineStart > lower else { return }
        var line = startOfLines(before: lineStart, count: configuration.beforeContext, notBefore: lower)
        while line < lineStart && !stopped {
            let next = lineEnd(after: line, limit: lineStart)
            emitContext(line..<next, kind: .before)
            line = next
        }
    }

    private func emitAfterContext(from start: Int, to stop: Int) {
        var line = start
        while afterRemaining > 0 && line < stop && !stopped {
            let next = lineEnd(after: line, limit: stop)
            emitContext(line..<next, kind: .after)
            afterRemaining -= 1
            line = next
        }
        if maxReached && afterRemaining == 0 { stopped = true }
    }

    private func emitContext(_ line: Range<Int>, kind: ContextKind) {
        guard let sink else { return }
        emitBreakIfNeeded(line.lowerBound)
        let context = SinkContext(
            bytes: UnsafeBufferPointer(start: base + line.lowerBound, count: line.count),
            lineNumber: lineNumber(at: line.lowerBound),
            absoluteOffset: bufferOffset + Int64(line.lowerBound),
            kind: kind)
        if !sink.context(context) { stopped = true }
        lastPrinted = bufferOffset + Int64(line.upperBound)
    }

    /// Reports a break when context is on and lines were skipped since the last
    /// printed one.
    private func emitBreakIfNeeded(_ lineStart: Int) {
        guard configuration.beforeContext > 0 || configuration.afterContext > 0,
              let lastPrinted, let sink
        else { return }
        if bufferOffset + Int64(lineStart) > lastPrinted {
            if !sink.contextBreak() { stopped = true }
        }
    }
}
