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
    /// What to do on finding a NUL byte in a file found by walking a directory:
    /// ``BinaryDetection/quit``, ``BinaryDetection/convert`` with `--binary`.
    public var binaryDetection: BinaryDetection = .quit
    /// What to do on finding a NUL byte in a file named explicitly (and standard
    /// input): ``BinaryDetection/convert``, or ``BinaryDetection/convertMapped`` where
    /// ripgrep would map the file.
    public var explicitBinaryDetection: BinaryDetection = .convert
    /// The encoding files are read in (`-E`). By default a UTF-8 byte-order mark is
    /// dropped before searching (offsets and columns count from after it) and UTF-16
    /// with a BOM is transcoded to UTF-8, as ripgrep does; offsets then count the UTF-8
    /// bytes.
    public var encoding = SearchEncoding.automatic
    /// The byte that ends lines (records): `\n`, or NUL for `--null-data`, which also
    /// needs ``binaryDetection`` off, as ripgrep.
    public var lineTerminator = UInt8(ascii: "\n")
    /// Matches may span lines (`-U`): the whole file is read into memory (as ripgrep
    /// does), the matcher runs over all of it, and each group of lines that matches
    /// overlap is reported as one ``SinkMatch`` holding those lines. The matcher must be
    /// compiled for it (``RegexOptions/multiline``).
    public var multiline = false
    /// Lines end with `\r\n` as well as `\n` (`--crlf`): the matcher does not see a `\r`
    /// before the `\n`, so `$` matches before it.
    public var crlf = false
    /// Report every line: those that are not reported as matches (or, inverted, as
    /// non-matches) are reported as context (`--passthru`).
    public var passthru = false
    /// The size of the read buffer a searcher starts with. 1 MiB reads cost 12% less
    /// time than ripgrep's 64 KiB on a 1 GB file here. Binary detection replays
    /// ripgrep's 64 KiB reads (``RipgrepReadWindows``), so a file with a NUL byte gets
    /// ripgrep's lines whatever this size.
    public var initialBufferSize = 1024 * 1024
    /// The most the buffer may grow to hold one long line. A longer line is searched in
    /// overlapping pieces of this size and reported cut (see ``Searcher``'s "Lines
    /// longer than the buffer").
    public var maximumBufferSize = 64 * 1024 * 1024
    /// Whether and how one big file is searched on several threads (see
    /// ``SearchSplitting``); only files named by path are.
    public var splitting = SearchSplitting()

    /// Creates the default configuration.
    public init() {}

    /// The binary detection for a file named explicitly or found in a directory; none
    /// at all when ``binaryDetection`` is ``BinaryDetection/none`` (`-a`).
    public func binaryDetection(isExplicit: Bool) -> BinaryDetection {
        if binaryDetection == .none { return .none }
        return isExplicit ? explicitBinaryDetection : binaryDetection
    }
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
/// ## Lines longer than the buffer
/// A line longer than ``SearcherConfiguration/maximumBufferSize`` cannot be held whole.
/// It is searched in pieces of the buffer's size, each overlapping the previous one by a
/// quarter of it, and decided as one line: reported once (as a match, an inverted match
/// or context), with its own line number and offset, but with only one piece as its
/// bytes (``SinkMatch/isCut``, ``SinkMatch/lineOffset``): the piece where it first
/// matched, or its last piece when it did not match, or, as context before a match, its
/// last quarter buffer. Each such line shown is listed in ``SinkFinish/problems`` (code
/// ``SearchError/Code/longLineCut``), which callers that print lines or count matches
/// must show: their output is incomplete. Line counts and file lists are right.
///
/// ## Known problems
/// - The pieces of an over-long line are matched one at a time: a match longer than the
///   overlap that crosses two pieces is missed, and `$` or a lookahead can match at the
///   end of a piece that is not the line's end. A line that matched nowhere and was
///   searched with a matcher whose matches may be longer than the overlap (any regex;
///   see ``Matcher/maximumMatchLength``) is listed in ``SinkFinish/problems``
///   (``SearchError/Code/longLineSearchedInPieces``).
/// - An over-long line gets no before-context: the lines before it are dropped to make
///   room for it (a context break shows the gap).
/// - Only the matches within the piece shown are printed, coloured or counted
///   (`--count-matches`); the problem listed says so.
public final class Searcher {
    /// The configuration.
    public let configuration: SearcherConfiguration
    /// The matcher.
    public let matcher: any Matcher

    private var storage: UnsafeMutableRawBufferPointer
    private var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int

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
    /// ripgrep's reads, replayed (``BinaryDetection/quit`` and ``/convert``).
    private var windows = RipgrepReadWindows()
    /// The first NUL byte found, and where ripgrep would have stopped searching to
    /// report it: not yet reported to the sink.
    private var pendingBinary: (offset: Int64, searchedEnd: Int64)?
    private var stopped = false
    private var maxReached = false
    private(set) var sink: (any Sink)?
    private var binaryDetection: BinaryDetection = .quit
    var path: [UInt8] = []
    /// Problems beyond ``problemLimit``, counted but not kept.
    var problemsNotKept = 0
    /// The problems kept, at most ``problemLimit``, their lines named when they are
    /// shown (see ``ProblemDraft``).
    var problemDrafts: [ProblemDraft] = []

    /// The lines of the file searched last (or being searched) that could not be
    /// searched exactly; also in ``SinkFinish/problems``.
    public var problems: [SearchError] {
        var shown = problemDrafts.map { $0.error(path: path) }
        if problemsNotKept > 0 {
            let name = String(decoding: path, as: UTF8.self)
            shown.append(SearchError(
                problemDrafts[0].code, "\(name): \(problemsNotKept) more lines like the ones above", path: name))
        }
        return shown
    }
    /// How many parts the file searched last was split into: 1 unless it was searched
    /// on several threads (see ``SearchSplitting``).
    public internal(set) var partsSearched = 1
    /// The most problems kept per file.
    public static let problemLimit = 10

    /// Called with the size of every read from a file, as it is read: how a caller
    /// shows progress through one big file (the MCP server's progress notifications).
    /// Called on the searching thread; keep it cheap.
    public var onRead: ((Int) -> Void)?

    /// A line longer than the largest buffer, being searched in pieces.
    private struct LongLine {
        /// The absolute offset of the line's first byte.
        var start: Int64
        var lineNumber: Int?
        /// Pieces searched so far.
        var pieces = 0
        /// Whether a piece matched.
        var matched = false
        /// Why the engine could not decide a piece, when it could not.
        var undecidedReason: String?

        var problemLine: ProblemDraft.Line { ProblemDraft.Line(number: lineNumber, offset: start) }
    }

    /// Where a reported line stands in the file, when it is not simply where its bytes
    /// are in the buffer (a piece of an over-long line).
    private struct LinePlace {
        var absoluteOffset: Int64
        var lineNumber: Int?
        var lineOffset: Int64
    }

    /// The over-long line whose pieces are being read.
    private var longLine: LongLine?
    /// The end of an over-long line that ended, kept in the buffer as a possible
    /// before-context line: its line, and where it ends in the buffer.
    private var longLineTail: (line: LongLine, end: Int)?
    /// How much consecutive pieces of an over-long line overlap.
    private var overlap: Int { capacity / 4 }

    private static let newline = UInt8(ascii: "\n")
    /// The byte that ends lines: `\n`, or NUL with `--null-data`.
    private let terminator: UInt8
    /// Below this largest buffer (tests use tiny ones), binary data is looked for per
    /// buffer, without replaying ripgrep's 64 KiB reads.
    static let smallestBufferForRipgrepReads = 4 * Int(RipgrepReadWindows.ripgrepCapacity)

    /// Creates a searcher.
    public init(matcher: any Matcher, configuration: SearcherConfiguration = SearcherConfiguration()) {
        self.matcher = matcher
        self.configuration = configuration
        terminator = configuration.lineTerminator
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
        let detection = binaryDetection ?? configuration.binaryDetection
        partsSearched = 1
        if let plan = splitPlan(for: file, binaryDetection: detection) {
            try searchSplit(file: file, plan: plan, displayPath: displayPath ?? pathBytes, binaryDetection: detection, sink: sink)
            return
        }
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
        var rawAtEnd = false
        func readRaw(_ buffer: UnsafeMutableRawBufferPointer) throws(CoreError) -> Int {
            if rawAtEnd { return 0 }
            let count = try file.read(into: buffer)
            total += Int64(count)
            onRead?(count)
            rawAtEnd = count == 0 || file.reachedEnd(afterReading: count, of: buffer.count, total: total)
            return count
        }
        let encoding = configuration.encoding
        var transcoder = Transcoder(encoding.kind)
        var isFirstRead = true
        // Transcoding: raw bytes not yet decoded, decoded bytes not yet handed over.
        var raw: [UInt8] = []
        var decoded: [UInt8] = []
        var decodedStart = 0
        try run(displayPath: displayPath ?? Array(file.path.utf8), sink: sink) { buffer throws(CoreError) in
            if isFirstRead {
                // The first read goes straight into the buffer (no extra read for the
                // byte-order mark); a UTF-16 one turns transcoding on.
                isFirstRead = false
                let count = try readRaw(buffer)
                var bomLength = 0
                if encoding.kind != .none, count >= 2 {
                    let first = buffer[0], second = buffer[1]
                    if count >= 3 && first == 0xEF && second == 0xBB && buffer[2] == 0xBF {
                        transcoder = nil  // A UTF-8 BOM wins over a label; run() drops it.
                    } else if first == 0xFF && second == 0xFE {
                        transcoder = Transcoder(.utf16LittleEndian)
                        bomLength = 2
                    } else if first == 0xFE && second == 0xFF {
                        transcoder = Transcoder(.utf16BigEndian)
                        bomLength = 2
                    }
                }
                guard transcoder != nil else { return count }
                raw = Array(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[bomLength..<count]))
                // ripgrep's decoder hands over whole reads.
                windows = RipgrepReadWindows(firstReadLength: RipgrepReadWindows.ripgrepCapacity)
            }
            guard let transcoder else { return try readRaw(buffer) }
            while decodedStart == decoded.count {
                decoded.removeAll(keepingCapacity: true)
                decodedStart = 0
                if !rawAtEnd && raw.count < Searcher.transcodingReadSize {
                    let previous = raw.count
                    raw += repeatElement(0, count: Searcher.transcodingReadSize)
                    let read = raw.withUnsafeMutableBytes { bytes in
                        Result { () throws(CoreError) in try readRaw(UnsafeMutableRawBufferPointer(rebasing: bytes[previous...])) }
                    }
                    raw.removeLast(Searcher.transcodingReadSize - ((try? read.get()) ?? 0))
                    _ = try read.get()
                }
                let consumed = raw.withUnsafeBufferPointer { transcoder.decode($0, atEnd: rawAtEnd, into: &decoded) }
                raw.removeFirst(consumed)
                if decoded.isEmpty && rawAtEnd && raw.isEmpty { return 0 }
            }
            let count = min(buffer.count, decoded.count - decodedStart)
            decoded.withUnsafeBytes { bytes in
                buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + decodedStart, byteCount: count)
            }
            decodedStart += count
            return count
        }
    }

    /// How many raw bytes a transcoding search reads at a time.
    static let transcodingReadSize = 64 * 1024

    /// Searches what a program writes to its standard output: ripgrep's `--pre COMMAND`
    /// (run as `COMMAND PATH`) and `-z` (`gzip -d -c PATH` and the like). The program
    /// gets `inputPath` as its standard input too, as in ripgrep.
    ///
    /// - Returns: false when the program could not be started (nothing was searched, and
    ///   the sink was not called): `-z` then searches the file itself, as ripgrep.
    /// - Throws: ``SearchError`` with `.io` when its output cannot be read, or when it
    ///   exits with a failure after writing all of it.
    public func search(
        outputOf executable: String, arguments: [String], inputPath: [UInt8], displayPath: [UInt8],
        binaryDetection: BinaryDetection? = nil, sink: any Sink
    ) throws(SearchError) -> Bool {
        let process: ChildProcess
        switch ChildProcess.start(executable, arguments: arguments, inputPath: inputPath) {
        case .success(let started): process = started
        case .failure: return false
        }
        self.binaryDetection = binaryDetection ?? configuration.binaryDetection
        var reachedEnd = false
        let shown = String(decoding: displayPath, as: UTF8.self)
        let command = ([executable] + arguments).joined(separator: " ")
        try run(displayPath: displayPath, sink: sink) { buffer throws(CoreError) in
            switch process.read(into: buffer) {
            case .success(let count):
                if count == 0 { reachedEnd = true }
                return count
            case .failure(let failure):
                throw CoreError(.io, "\(shown): reading the output of '\(command)': \(failure.message)", path: shown)
            }
        }
        let status = process.waitForExit()
        if reachedEnd && status != 0 {
            let how = status.map { "exit status \($0)" } ?? "a signal"
            throw SearchError(.io, "\(shown): preprocessor command failed: '\(command)' ended with \(how)", path: shown)
        }
        return true
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

    func reset(sink: any Sink) {
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
        pendingBinary = nil
        windows = RipgrepReadWindows()
        stopped = false
        maxReached = false
        problemDrafts = []
        problemsNotKept = 0
        longLine = nil
        longLineTail = nil
        self.sink = sink
    }

    /// Notes a line that could not be searched exactly.
    func addProblem(_ problem: @autoclosure () -> ProblemDraft) {
        if let recorder = sink as? PartRecorder {
            // A part of a split search: the calling thread keeps the file's problems.
            recorder.problem(problem())
        } else if problemDrafts.count < Searcher.problemLimit {
            problemDrafts.append(problem())
        } else {
            problemsNotKept += 1
        }
    }

    /// The line that starts at `position`, as a problem names it.
    private func problemLine(at position: Int) -> ProblemDraft.Line {
        ProblemDraft.Line(number: lineNumber(at: position), offset: bufferOffset + Int64(position))
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
        if configuration.multiline {
            try runMultiline(sink: sink, fill: fill)
            finish(sink: sink, started: started)
            return
        }
        try readLoop(fill: fill)
        finish(sink: sink, started: started)
    }

    /// Searches `region` of `file` as one part of a split search (see
    /// ``searchSplit(file:plan:displayPath:binaryDetection:sink:)``): line numbers
    /// count on from `lineBase`, offsets are the file's, and the sink gets neither
    /// ``Sink/begin(path:)`` nor ``Sink/finish(_:)``.
    ///
    /// - Parameter cancelled: Read before each read; once true, the part ends there.
    func searchPart(
        of file: borrowing ReadableFile, region: Range<Int64>, displayPath: [UInt8], binaryDetection: BinaryDetection,
        lineBase: Int, sink: any Sink, cancelled: SplitControl?
    ) throws(SearchError) -> PartSummary {
        self.binaryDetection = binaryDetection
        reset(sink: sink)
        path = displayPath
        defer { self.sink = nil }
        bufferOffset = region.lowerBound
        countedLine = 1 + lineBase
        var position = region.lowerBound
        func readPart(_ buffer: UnsafeMutableRawBufferPointer) throws(CoreError) -> Int {
            if cancelled?.isCancelled == true { return 0 }
            let wanted = Int(min(Int64(buffer.count), region.upperBound - position))
            guard wanted > 0 else { return 0 }
            let count = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]), atOffset: position)
            position += Int64(count)
            return count
        }
        try readLoop(fill: readPart)
        // The lines of the whole part, for the line numbers of the parts after it.
        if configuration.lineNumbers && !stopped { _ = lineNumber(at: end) }
        return PartSummary(
            lines: countedLine - 1 - lineBase, bytesSearched: bufferOffset + Int64(searchStart), stopped: stopped)
    }

    /// The read loop: fills the buffer with `fill` and searches what it holds, until
    /// `fill` returns 0 or the search stops.
    private func readLoop(fill: (UnsafeMutableRawBufferPointer) throws(CoreError) -> Int) throws(SearchError) {
        guard let sink else { return }
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
            if bufferOffset == 0 && fresh.lowerBound == 0 && count > 0 { stripByteOrderMark() }
            let freshStart = min(fresh.lowerBound, end)
            if detectBinary(in: freshStart..<end) { break }
            if longLine != nil {
                // The next piece of an over-long line: up to its terminator, the end of
                // the file, or the end of the full buffer. Its overlap, at the front,
                // holds no terminator.
                if let terminator = ByteScan.firstIndex(of: terminator, in: bytes, range: searchStart..<end) {
                    searchPiece(0..<(terminator + 1), isLast: true)
                } else if atEnd {
                    searchPiece(0..<end, isLast: true)
                } else if end == capacity {
                    searchPiece(0..<end, isLast: false)
                    continue
                } else {
                    continue
                }
                if stopped { break }
            }
            let regionEnd: Int
            if atEnd {
                regionEnd = end
            } else if let newline = ByteScan.lastIndex(of: terminator, in: bytes, range: searchStart..<end) {
                regionEnd = newline + 1
            } else if end == capacity && capacity >= configuration.maximumBufferSize {
                // Only a line that fills the whole buffer is over-long: first move it to
                // the front (makeRoom drops what is before `keepStart`), then drop the
                // lines kept before it for before-context.
                if keepStart > 0 { continue }
                if searchStart > 0 {
                    keepStart = searchStart
                    continue
                }
                // A line longer than the largest buffer: its first piece.
                searchPiece(searchStart..<end, isLast: false)
                if maxReached && afterRemaining == 0 { stopped = true }
                continue
            } else {
                continue
            }
            var searchable = regionEnd
            if let pendingBinary {
                searchable = min(regionEnd, Int(pendingBinary.searchedEnd - bufferOffset))
            } else if binaryOffset == nil && !atEnd && (binaryDetection == .quit || binaryDetection == .convert)
                        && configuration.maximumBufferSize >= Searcher.smallestBufferForRipgrepReads {
                // ripgrep has not searched past its last complete read yet: a NUL in
                // its next read would stop it before these lines. (The buffer grows to
                // hold ripgrep's read; at its largest, it is searched anyway.)
                let limit = Int(windows.searchedEnd - bufferOffset)
                if limit > searchStart || end < capacity || capacity < configuration.maximumBufferSize {
                    searchable = min(regionEnd, max(limit, searchStart))
                }
            }
            advance(to: searchable)
            if let pending = pendingBinary, !stopped, bufferOffset + Int64(searchStart) >= pending.searchedEnd {
                // Where ripgrep reads the NUL byte.
                pendingBinary = nil
                binaryOffset = pending.offset
                if !sink.binaryData(offset: pending.offset) || binaryDetection == .quit { stopped = true }
            }
            if !stopped && pendingBinary == nil && binaryOffset != nil { advance(to: regionEnd) }
            if maxReached && afterRemaining == 0 { stopped = true }
        }
    }

    /// Replaces the buffer with one of `grown` bytes, keeping its first `count` bytes.
    private func growBuffer(to grown: Int, keeping count: Int) {
        let newStorage = UnsafeMutableRawBufferPointer.allocate(byteCount: grown, alignment: 16)
        newStorage.baseAddress!.copyMemory(from: base, byteCount: count)
        storage.deallocate()
        storage = newStorage
        base = newStorage.baseAddress!.assumingMemoryBound(to: UInt8.self)
        capacity = grown
    }

    // MARK: - Multi-line search

    /// `-U`: reads the whole input, then reports each group of lines that overlapping
    /// matches cover as one match.
    private func runMultiline(
        sink: any Sink, fill: (UnsafeMutableRawBufferPointer) throws(CoreError) -> Int
    ) throws(SearchError) {
        var atEnd = false
        while !atEnd {
            if end == capacity {
                // No limit: ripgrep holds the whole file for a multi-line search too.
                growBuffer(to: capacity * 2, keeping: end)
            }
            let count: Int
            do {
                count = try fill(UnsafeMutableRawBufferPointer(start: base + end, count: capacity - end))
            } catch {
                throw SearchError(error)
            }
            let first = end == 0
            end += count
            if first && count > 0 { stripByteOrderMark() }
            atEnd = count == 0
        }
        searchStart = end
        if binaryDetection != .none, let zero = ByteScan.firstIndex(of: 0, in: bytes, range: 0..<end) {
            binaryOffset = Int64(zero)
            if !sink.binaryData(offset: Int64(zero)) || binaryDetection == .quit { return }
            if binaryDetection == .convert { replaceNULs(in: 0..<end) }
        }
        let haystack = UnsafeBufferPointer(start: base, count: end)
        var position = 0
        var block: Range<Int>?
        func flush(_ block: Range<Int>) {
            if configuration.invert {
                var line = position
                while line < block.lowerBound && !stopped {
                    let next = lineEnd(after: line, limit: block.lowerBound)
                    report(line..<next)
                    line = next
                }
            } else {
                emitAfterContext(from: position, to: block.lowerBound)
                if !stopped { report(block) }
            }
            position = block.upperBound
        }
        var from = 0
        while from <= end && !stopped {
            let found: Range<Int>
            switch matcher.matchResult(in: haystack, from: from) {
            case .match(let range): found = range
            case .noMatch: from = end + 1; continue
            case .undecided(let reason):
                addProblem(ProblemDraft(
                    .undecidedLine, line: nil,
                    "the regex engine gave up (\(reason)) from byte offset \(from) "
                        + "on, so matches after it are not reported; simplify the pattern"))
                from = end + 1
                continue
            }
            if found.lowerBound >= end && found.isEmpty { break }
            let lineStart = ByteScan.lastIndex(of: terminator, in: bytes, range: 0..<found.lowerBound).map { $0 + 1 } ?? 0
            let lastByte = found.isEmpty ? found.lowerBound : found.upperBound - 1
            let lineStop = lineEnd(after: lastByte, limit: end)
            if let current = block, lineStart < current.upperBound {
                block = current.lowerBound..<max(current.upperBound, lineStop)
            } else {
                if let current = block { flush(current) }
                block = lineStart..<lineStop
            }
            from = found.isEmpty ? found.upperBound + 1 : found.upperBound
        }
        if let block, !stopped { flush(block) }
        if configuration.invert {
            var line = position
            while line < end && !stopped {
                let next = lineEnd(after: line, limit: end)
                report(line..<next)
                line = next
            }
        } else {
            emitAfterContext(from: position, to: end)
        }
    }

    /// Searches the lines up to `limit` (a line end), keeping before-context.
    private func advance(to limit: Int) {
        guard limit > searchStart, !stopped else { return }
        process(regionEnd: limit)
        let retained = configuration.beforeContext > 0
            ? startOfLines(before: limit, count: configuration.beforeContext, notBefore: keepStart)
            : limit
        keepStart = max(keepStart, retained)
        searchStart = limit
    }

    // MARK: - Binary data and byte-order marks

    /// Looks for a NUL byte in the bytes just read, `base[fresh]`; true when the search
    /// must stop at once.
    private func detectBinary(in fresh: Range<Int>) -> Bool {
        switch binaryDetection {
        case .none:
            return false
        case .convertMapped:
            // ripgrep checks the first 64 KiB of a mapped file, then reported lines.
            guard binaryOffset == nil, bufferOffset + Int64(fresh.lowerBound) < RipgrepReadWindows.ripgrepCapacity else {
                return false
            }
            let upper = min(fresh.upperBound, Int(RipgrepReadWindows.ripgrepCapacity - bufferOffset))
            guard let zero = ByteScan.firstIndex(of: 0, in: bytes, range: fresh.lowerBound..<upper) else { return false }
            binaryOffset = bufferOffset + Int64(zero)
            return !sink!.binaryData(offset: binaryOffset!)
        case .quit, .convert:
            if binaryOffset == nil && pendingBinary == nil {
                if let zero = ByteScan.firstIndex(of: 0, in: bytes, range: fresh) {
                    windows.feed(bytes, range: fresh.lowerBound..<zero, absoluteStart: bufferOffset + Int64(fresh.lowerBound),
                                 terminator: terminator)
                    pendingBinary = (bufferOffset + Int64(zero), windows.searchedEnd)
                } else {
                    windows.feed(bytes, range: fresh, absoluteStart: bufferOffset + Int64(fresh.lowerBound),
                                 terminator: terminator)
                }
            }
            if binaryDetection == .convert { replaceNULs(in: fresh) }
            return false
        }
    }

    /// ripgrep's conversion: NUL bytes read as line terminators.
    private func replaceNULs(in range: Range<Int>) {
        var position = range.lowerBound
        while position < range.upperBound, let zero = ByteScan.firstIndex(of: 0, in: bytes, range: position..<range.upperBound) {
            base[zero] = Searcher.newline
            position = zero + 1
        }
    }

    /// Drops a UTF-8 byte-order mark at the start of the file (just read), so `^` and
    /// columns see the text as ripgrep does; ripgrep's first read is then a full one.
    private func stripByteOrderMark() {
        guard configuration.encoding.kind != .none, end >= 3, base[0] == 0xEF, base[1] == 0xBB, base[2] == 0xBF else { return }
        base.update(from: base + 3, count: end - 3)
        end -= 3
        windows = RipgrepReadWindows(firstReadLength: RipgrepReadWindows.ripgrepCapacity)
    }

    /// For ``BinaryDetection/convertMapped``: a reported line holding a NUL byte is
    /// where ripgrep finds binary data. False when the sink said to stop.
    private func checkMappedBinary(_ line: Range<Int>) -> Bool {
        guard binaryDetection == .convertMapped, binaryOffset == nil,
              let zero = ByteScan.firstIndex(of: 0, in: bytes, range: line)
        else { return true }
        binaryOffset = bufferOffset + Int64(zero)
        return sink!.binaryData(offset: binaryOffset!)
    }

    func finish(sink: any Sink, started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let (seconds, attoseconds) = elapsed.components
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
            if let tail = longLineTail {
                longLineTail = tail.end > keepStart ? (tail.line, tail.end - keepStart) : nil
            }
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
            growBuffer(to: min(capacity * 2, configuration.maximumBufferSize), keeping: end)
        } else if end == capacity {
            // Lines kept for before-context fill the largest buffer: drop them.
            longLineTail = nil
            bufferOffset += Int64(end)
            if configuration.lineNumbers { _ = lineNumber(at: end) }
            countedPosition = 0
            end = 0
            searchStart = 0
            keepStart = 0
        }
    }

    // MARK: - Lines longer than the buffer

    /// Searches `base[piece]`, a piece of an over-long line: the first (which starts the
    /// line), one in the middle, or the last (which ends with the terminator or at the
    /// end of the file). The line is reported at the first piece that matches; an
    /// unmatched one at its last piece.
    private func searchPiece(_ piece: Range<Int>, isLast: Bool) {
        if longLine == nil {
            longLine = LongLine(start: bufferOffset + Int64(piece.lowerBound), lineNumber: lineNumber(at: piece.lowerBound))
        }
        longLine!.pieces += 1
        if !longLine!.matched && !stopped {
            let text = UnsafeBufferPointer(start: base + piece.lowerBound, count: contentLength(piece))
            switch matcher.matchResult(in: text, from: 0) {
            case .match:
                longLine!.matched = true
                let place = place(of: longLine!, piece: piece)
                if !configuration.invert {
                    report(piece, at: place)
                } else if afterRemaining > 0 {
                    // Inverted, a matching line is context.
                    emitContext(piece, kind: .after, at: place)
                    afterRemaining -= 1
                }
            case .noMatch:
                break
            case .undecided(let reason):
                if longLine!.undecidedReason == nil { longLine!.undecidedReason = reason }
            }
        }
        if isLast {
            finishLongLine(lastPiece: piece)
        } else {
            // Keep the overlap for the next piece; makeRoom moves it to the front.
            searchStart = piece.upperBound
            keepStart = piece.upperBound - overlap
        }
    }

    /// The over-long line ended with `base[lastPiece]`.
    private func finishLongLine(lastPiece: Range<Int>) {
        guard let line = longLine else { return }
        longLine = nil
        let place = place(of: line, piece: lastPiece)
        if !line.matched && !stopped {
            if let reason = line.undecidedReason {
                addProblem(undecidedProblem(describing: line, reason: reason))
            } else if configuration.invert {
                report(lastPiece, at: place)
            } else if afterRemaining > 0 {
                emitContext(lastPiece, kind: .after, at: place)
                afterRemaining -= 1
            }
        }
        if let lastPrinted, lastPrinted > line.start {
            // Shown: the whole line counts as printed, for context breaks.
            self.lastPrinted = bufferOffset + Int64(lastPiece.upperBound)
        }
        if !line.matched, line.pieces > 1, matcher.maximumMatchLength.map({ $0 > overlap + 1 }) ?? true {
            addProblem(ProblemDraft(
                .longLineSearchedInPieces, line: line.problemLine,
                "the line is longer than the search buffer (\(capacity) bytes), so it was "
                    + "searched in pieces that overlap by \(overlap) bytes; a match longer than that across two "
                    + "pieces would have been missed"))
        }
        searchStart = lastPiece.upperBound
        if configuration.beforeContext > 0 {
            // The line's last bytes (an overlap's worth at most, so that the lines after
            // it have room) stay as a possible before-context line.
            longLineTail = (line, lastPiece.upperBound)
            keepStart = max(keepStart, lastPiece.upperBound - min(lastPiece.count, max(1, overlap)))
        } else {
            keepStart = max(keepStart, lastPiece.upperBound)
        }
    }

    private func place(of line: LongLine, piece: Range<Int>) -> LinePlace {
        LinePlace(
            absoluteOffset: line.start, lineNumber: line.lineNumber,
            lineOffset: bufferOffset + Int64(piece.lowerBound) - line.start)
    }

    private func undecidedProblem(describing line: LongLine, reason: String) -> ProblemDraft {
        ProblemDraft(.undecidedLine, line: line.problemLine, Searcher.undecidedDetail(reason))
    }

    /// What a problem says of a line the regex engine could not decide.
    static func undecidedDetail(_ reason: String) -> String {
        "the regex engine gave up on this line (\(reason)), so whether it matches is "
            + "unknown and it is not reported; simplify the pattern (nested quantifiers such as (a+)+ "
            + "backtrack exponentially)"
    }

    /// Notes that a piece of an over-long line was shown in its place.
    private func noteCut(_ place: LinePlace, shownBytes: Int) {
        addProblem(ProblemDraft(
            .longLineCut, line: ProblemDraft.Line(number: place.lineNumber, offset: place.absoluteOffset),
            "the line is longer than the search buffer (\(capacity) bytes), so only \(shownBytes) "
                + "of its bytes, from byte \(place.lineOffset) of the line on, are shown; its line number, "
                + "offset and columns are right, but matches outside those bytes are not shown or counted"))
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
                if configuration.passthru, let match, !stopped {
                    emitContext(match, kind: .after)
                } else {
                    emitAfterContext(from: line, to: match?.upperBound ?? runEnd)
                }
            } else {
                if configuration.passthru {
                    var line = position
                    while line < runEnd && !stopped {
                        let next = lineEnd(after: line, limit: runEnd)
                        emitContext(line..<next, kind: .after)
                        line = next
                    }
                } else {
                    emitAfterContext(from: position, to: runEnd)
                }
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
            let lineStart = ByteScan.lastIndex(of: terminator, in: haystack, range: scan..<candidate)
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
            addProblem(ProblemDraft(.undecidedLine, line: problemLine(at: line.lowerBound), Searcher.undecidedDetail(reason)))
            // Inverted, a line counts as reported when it does not match: treating it as
            // a match keeps it out of the report there too.
            return configuration.invert
        }
    }

    private func contentLength(_ line: Range<Int>) -> Int {
        guard line.count > 0 && base[line.upperBound - 1] == terminator else { return line.count }
        // --crlf: a `\r` before the `\n` is part of the terminator.
        if configuration.crlf && line.count > 1 && base[line.upperBound - 2] == UInt8(ascii: "\r") { return line.count - 2 }
        return line.count - 1
    }

    /// The end (past the terminator) of the line holding `position`.
    private func lineEnd(after position: Int, limit: Int) -> Int {
        guard position < limit else { return limit }
        return ByteScan.firstIndex(of: terminator, in: bytes, range: position..<limit).map { $0 + 1 } ?? limit
    }

    /// The start of the `count`th line before the line starting at `position`, but not
    /// before `lower`.
    private func startOfLines(before position: Int, count: Int, notBefore lower: Int) -> Int {
        var start = position
        for _ in 0..<count {
            guard start > lower else { break }
            // `start - 1` is the terminator of the previous line.
            start = ByteScan.lastIndex(of: terminator, in: bytes, range: lower..<(start - 1))
                .map { $0 + 1 } ?? lower
        }
        return start
    }

    // MARK: - Reporting

    private func lineNumber(at position: Int) -> Int? {
        guard configuration.lineNumbers else { return nil }
        if position > countedPosition {
            countedLine += ByteScan.count(of: terminator, in: bytes, range: countedPosition..<position)
            countedPosition = position
        }
        return countedLine
    }

    /// Reports a line. After the `-m` limit, a line that would be reported but falls
    /// within the last report's trailing context is still shown as a match, without
    /// extending the context, as ripgrep does.
    private func report(_ line: Range<Int>, at place: LinePlace? = nil) {
        guard let sink else { return }
        if maxReached {
            guard afterRemaining > 0 else {
                stopped = true
                return
            }
            afterRemaining -= 1
        }
        if !maxReached { emitBeforeContext(line.lowerBound) }
        if stopped { return }
        if !checkMappedBinary(line) {
            stopped = true
            return
        }
        let place = place ?? tailPlace(line)
        emitBreakIfNeeded(absoluteOffset: place?.absoluteOffset ?? bufferOffset + Int64(line.lowerBound))
        let match = SinkMatch(
            bytes: UnsafeBufferPointer(start: base + line.lowerBound, count: line.count),
            lineNumber: place.map(\.lineNumber) ?? lineNumber(at: line.lowerBound),
            absoluteOffset: place?.absoluteOffset ?? bufferOffset + Int64(line.lowerBound),
            lineOffset: place?.lineOffset ?? 0, isCut: place != nil)
        if let place { noteCut(place, shownBytes: line.count) }
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

    private func emitContext(_ line: Range<Int>, kind: ContextKind, at place: LinePlace? = nil) {
        guard let sink else { return }
        let place = place ?? tailPlace(line)
        emitBreakIfNeeded(absoluteOffset: place?.absoluteOffset ?? bufferOffset + Int64(line.lowerBound))
        let context = SinkContext(
            bytes: UnsafeBufferPointer(start: base + line.lowerBound, count: line.count),
            lineNumber: place.map(\.lineNumber) ?? lineNumber(at: line.lowerBound),
            absoluteOffset: place?.absoluteOffset ?? bufferOffset + Int64(line.lowerBound),
            kind: kind, lineOffset: place?.lineOffset ?? 0, isCut: place != nil)
        if let place { noteCut(place, shownBytes: line.count) }
        if !checkMappedBinary(line) {
            stopped = true
            return
        }
        if !sink.context(context) { stopped = true }
        lastPrinted = bufferOffset + Int64(line.upperBound)
    }

    /// The place of the line at `base[line]` when it is the kept last piece of an
    /// over-long line, else nil.
    private func tailPlace(_ line: Range<Int>) -> LinePlace? {
        guard let tail = longLineTail, line.upperBound == tail.end else { return nil }
        return place(of: tail.line, piece: line)
    }

    /// Reports a break when context is on and lines were skipped since the last
    /// printed one, which ended before the line starting at `absoluteOffset`.
    private func emitBreakIfNeeded(absoluteOffset: Int64) {
        guard configuration.beforeContext > 0 || configuration.afterContext > 0,
              let lastPrinted, let sink
        else { return }
        if absoluteOffset > lastPrinted {
            if !sink.contextBreak() { stopped = true }
        }
    }
}
