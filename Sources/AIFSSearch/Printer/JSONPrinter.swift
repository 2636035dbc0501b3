import AIFSCore
/// ripgrep's `--json` output: one JSON object per line (JSON Lines), with the shapes,
/// key order and escaping of ripgrep 13.
///
/// For each file with at least one match or context line it writes a `begin` message
/// (lazily, at the first such line), a `match` or `context` message per line, and an
/// `end` message with the file's statistics; a file with nothing to report writes
/// nothing and is not counted in ``stats``, as in ripgrep. After the run the driver
/// writes ``summaryMessage(stats:totalElapsed:)`` with the merged statistics.
///
/// Text that is not valid UTF-8 (a line, a match, a path) is written as
/// `{"bytes":"<base64>"}` instead of `{"text":"…"}`.
///
/// ## Threading
/// Owned by one worker thread, like its target. Merge the workers' ``stats`` at the end.
///
/// ## Known problems
/// ripgrep's JSON output ignores binary conversion: for a file named explicitly it
/// reports every match, NUL bytes turned into line ends. With
/// ``BinaryDetection/convert`` the searcher stops at the first match after binary data
/// instead, so that match and the rest of the file are missing here; search with
/// ``BinaryDetection/none`` for `--json` to come closer.
public final class JSONPrinter: Sink {
    /// What the JSON printer needs to know about the search.
    public struct Configuration: Sendable, Hashable {
        /// The searcher reports non-matching lines (`-v`). Their `submatches` are empty,
        /// and context lines, which are then the matching ones, list theirs, as in
        /// ripgrep.
        public var invert = false
        /// A `\r` before a line's `\n` is part of its terminator (`--crlf`): no submatch
        /// covers it.
        public var crlf = false
        /// The byte that ends lines (NUL with `--null-data`): no submatch covers it.
        public var lineTerminator = UInt8(ascii: "\n")

        /// Creates the default configuration.
        public init() {}
    }

    /// The configuration, fixed for the printer's life.
    public let configuration: Configuration
    /// Totals over the files that had a `begin` message so far.
    public private(set) var stats = Stats()

    private let matcher: any Matcher
    private let target: any PrintTarget
    private var record: [UInt8] = []
    private var lineMatches = LineMatches()

    // The state of the current file.
    private var path: [UInt8] = []
    private var begun = false
    private var matchedLineCount = 0
    private var matchCount = 0
    private var bytesPrintedForFile: Int64 = 0
    private var binaryOffset: Int64?

    /// Creates a printer.
    ///
    /// - Parameters:
    ///   - configuration: what the printer needs to know about the search.
    ///   - matcher: the run's matcher, to find the submatches of each line.
    ///   - target: where the JSON Lines go; each message is one record.
    public init(configuration: Configuration = Configuration(), matcher: any Matcher, target: any PrintTarget) {
        self.configuration = configuration
        lineMatches.crlf = configuration.crlf
        lineMatches.terminator = configuration.lineTerminator
        self.matcher = matcher
        self.target = target
    }

    /// Whether the current file has a reported line so far.
    public var hasMatched: Bool { matchedLineCount > 0 }

    /// Starts a file; nothing is written until its first match or context line.
    public func begin(path: [UInt8]) -> Bool {
        self.path = path
        begun = false
        matchedLineCount = 0
        matchCount = 0
        bytesPrintedForFile = 0
        binaryOffset = nil
        return true
    }

    /// Writes a `match` message (after the file's `begin`).
    public func matched(_ match: SinkMatch) -> Bool {
        writeBeginIfNeeded()
        // A multi-line match (`-U`) counts each of its lines, as ripgrep.
        let terminator = configuration.lineTerminator
        let content = match.bytes.last == terminator ? UnsafeBufferPointer(rebasing: match.bytes.dropLast()) : match.bytes
        matchedLineCount += 1 + ByteScan.count(of: terminator, in: content, range: 0..<content.count)
        if configuration.invert {
            lineMatches.removeAll()
        } else {
            lineMatches.find(matcher, in: match.bytes)
        }
        matchCount += lineMatches.ranges.count
        writeLineMessage(
            type: "match", line: match.bytes, lineNumber: match.lineNumber, absoluteOffset: match.absoluteOffset,
            lineOffset: match.lineOffset)
        return true
    }

    /// Writes a `context` message (after the file's `begin`).
    public func context(_ context: SinkContext) -> Bool {
        writeBeginIfNeeded()
        if configuration.invert {
            lineMatches.find(matcher, in: context.bytes)
        } else {
            lineMatches.removeAll()
        }
        writeLineMessage(
            type: "context", line: context.bytes, lineNumber: context.lineNumber,
            absoluteOffset: context.absoluteOffset, lineOffset: context.lineOffset)
        return true
    }

    /// Writes nothing: ripgrep's JSON has no message for a context break (the line
    /// numbers show it).
    public func contextBreak() -> Bool { true }

    /// Notes the offset for the `end` message's `binary_offset`. ripgrep's JSON output
    /// has no binary file message.
    public func binaryData(offset: Int64) -> Bool {
        if binaryOffset == nil { binaryOffset = offset }
        return true
    }

    /// Writes the file's `end` message, if it had a `begin`, and adds the file to
    /// ``stats``.
    public func finish(_ finish: SinkFinish) {
        guard begun else { return }
        var fileStats = Stats()
        fileStats.elapsed = .nanoseconds(finish.elapsedNanoseconds)
        fileStats.searches = 1
        fileStats.searchesWithMatch = matchedLineCount > 0 ? 1 : 0
        fileStats.bytesSearched = finish.bytesSearched
        // The bytes of this file's messages before `end`, as ripgrep counts them.
        fileStats.bytesPrinted = bytesPrintedForFile
        fileStats.matchedLines = matchedLineCount
        fileStats.matches = matchCount
        stats.add(fileStats)

        record.append(contentsOf: #"{"type":"end","data":{"path":"#.utf8)
        appendPath()
        record.append(contentsOf: #","binary_offset":"#.utf8)
        if let offset = binaryOffset ?? finish.binaryOffset {
            record.append(contentsOf: String(offset).utf8)
        } else {
            record.append(contentsOf: "null".utf8)
        }
        record.append(contentsOf: #","stats":"#.utf8)
        Self.appendStats(fileStats, sortedKeys: false, to: &record)
        record.append(contentsOf: "}}\n".utf8)
        endRecord()
    }

    /// ripgrep's final `summary` message: the merged statistics of every printer and
    /// the wall-clock time of the run, ending with a newline.
    ///
    /// ripgrep builds this one with `serde_json::json!`, whose maps sort their keys, so
    /// unlike the other messages its keys are in alphabetical order at every level:
    /// `{"data":{"elapsed_total":{…},"stats":{…}},"type":"summary"}`.
    ///
    /// - Parameters:
    ///   - stats: the statistics of all the JSON printers, merged.
    ///   - totalElapsed: the wall-clock time of the run.
    public static func summaryMessage(stats: Stats, totalElapsed: Duration) -> [UInt8] {
        var out: [UInt8] = []
        out.append(contentsOf: #"{"data":{"elapsed_total":"#.utf8)
        appendDuration(totalElapsed, sortedKeys: true, to: &out)
        out.append(contentsOf: #","stats":"#.utf8)
        appendStats(stats, sortedKeys: true, to: &out)
        out.append(contentsOf: #"},"type":"summary"}"#.utf8)
        out.append(UInt8(ascii: "\n"))
        return out
    }

    private func writeBeginIfNeeded() {
        guard !begun else { return }
        begun = true
        record.append(contentsOf: #"{"type":"begin","data":{"path":"#.utf8)
        appendPath()
        record.append(contentsOf: "}}\n".utf8)
        endRecord()
    }

    /// A `match` or `context` message. For a piece of an over-long line (`lineOffset`
    /// not 0), `lines` holds the piece, and `absolute_offset` and the submatches'
    /// `start` and `end` are the line's own offsets, not the piece's.
    private func writeLineMessage(
        type: String, line: UnsafeBufferPointer<UInt8>, lineNumber: Int?, absoluteOffset: Int64, lineOffset: Int64
    ) {
        record.append(contentsOf: #"{"type":""#.utf8)
        record.append(contentsOf: type.utf8)
        record.append(contentsOf: #"","data":{"path":"#.utf8)
        appendPath()
        record.append(contentsOf: #","lines":"#.utf8)
        JSONEncoding.appendData(line, to: &record)
        record.append(contentsOf: #","line_number":"#.utf8)
        record.append(contentsOf: (lineNumber.map { String($0) } ?? "null").utf8)
        record.append(contentsOf: #","absolute_offset":"#.utf8)
        record.append(contentsOf: String(absoluteOffset).utf8)
        record.append(contentsOf: #","submatches":["#.utf8)
        for (index, range) in lineMatches.ranges.enumerated() {
            if index > 0 { record.append(UInt8(ascii: ",")) }
            record.append(contentsOf: #"{"match":"#.utf8)
            JSONEncoding.appendData(UnsafeBufferPointer(rebasing: line[range]), to: &record)
            record.append(contentsOf: #","start":"#.utf8)
            record.append(contentsOf: String(Int64(range.lowerBound) + lineOffset).utf8)
            record.append(contentsOf: #","end":"#.utf8)
            record.append(contentsOf: String(Int64(range.upperBound) + lineOffset).utf8)
            record.append(UInt8(ascii: "}"))
        }
        record.append(contentsOf: "]}}\n".utf8)
        endRecord()
    }

    private func appendPath() {
        path.withUnsafeBufferPointer { JSONEncoding.appendData($0, to: &record) }
    }

    private func endRecord() {
        target.write(record)
        target.endRecord()
        bytesPrintedForFile += Int64(record.count)
        record.removeAll(keepingCapacity: true)
    }

    /// A duration as ripgrep writes it: `secs`, `nanos`, and `human` (seconds with six
    /// decimals and an `s`); with sorted keys for the summary.
    private static func appendDuration(_ duration: Duration, sortedKeys: Bool, to out: inout [UInt8]) {
        let (seconds, nanoseconds) = Stats.secondsAndNanoseconds(duration)
        let human = #""human":""# + Stats.seconds(duration) + #"s""#
        let secs = #""secs":\#(seconds)"#
        let nanos = #""nanos":\#(nanoseconds)"#
        let fields = sortedKeys ? [human, nanos, secs] : [secs, nanos, human]
        out.append(contentsOf: ("{" + fields.joined(separator: ",") + "}").utf8)
    }

    /// Statistics in the order of ripgrep's `Stats` serializer, or sorted.
    private static func appendStats(_ stats: Stats, sortedKeys: Bool, to out: inout [UInt8]) {
        var elapsed: [UInt8] = []
        appendDuration(stats.elapsed, sortedKeys: sortedKeys, to: &elapsed)
        let fields: [(String, String)] = [
            ("elapsed", String(decoding: elapsed, as: UTF8.self)),
            ("searches", String(stats.searches)),
            ("searches_with_match", String(stats.searchesWithMatch)),
            ("bytes_searched", String(stats.bytesSearched)),
            ("bytes_printed", String(stats.bytesPrinted)),
            ("matched_lines", String(stats.matchedLines)),
            ("matches", String(stats.matches)),
        ]
        let ordered = sortedKeys ? fields.sorted { $0.0 < $1.0 } : fields
        out.append(contentsOf: ("{" + ordered.map { #""\#($0.0)":\#($0.1)"# }.joined(separator: ",") + "}").utf8)
    }
}
