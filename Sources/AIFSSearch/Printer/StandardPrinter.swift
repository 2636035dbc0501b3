/// ripgrep's default output: matching lines and their context, counts, or paths.
///
/// A ``Sink``: the searcher drives it file after file. Create one per worker with the
/// worker's ``PrintTarget`` and the run's ``Matcher`` (used to find the matches within
/// each reported line, for colour, `-o`, `--column` and the statistics), then reuse it:
/// ``begin(path:)`` starts each file. The output is byte for byte ripgrep 13's for the
/// same events, including its binary file messages.
///
/// Each output line is handed to the target as one record (``PrintTarget/endRecord()``);
/// a file separator or heading travels in the record of the file's first line.
///
/// ```swift
/// let output = BufferedOutput(.standardOutput)
/// var configuration = StandardPrinter.Configuration()
/// configuration.withFilename = true
/// configuration.lineNumber = true
/// let printer = StandardPrinter(configuration: configuration, matcher: matcher, target: output)
/// for path in paths {
///     printer.binaryDetection = .convert  // files named explicitly, as ripgrep
///     try searcher.search(path: path, binaryDetection: .convert, sink: printer)
/// }
/// output.flush()
/// ```
///
/// ## Threading
/// Owned by one worker thread, like its target. Merge the workers' ``stats`` at the end.
///
/// ## Known problems
/// With ``BinaryDetection/convert`` the searcher reports the first match after binary
/// data as ``binaryData(offset:)`` and stops. ripgrep prints the same message, but in the
/// count modes it goes on counting to the end of the file, so `-c` on an explicitly
/// named binary file can count fewer lines here (one for the binary data).
public final class StandardPrinter: Sink {
    /// The formatting, fixed for the printer's life.
    public let configuration: Configuration
    /// How the searcher treats binary data in the file being searched; set it before
    /// each file. It chooses the message ripgrep prints after ``binaryData(offset:)``:
    /// "binary file matches" for ``BinaryDetection/convert`` (files named explicitly),
    /// "WARNING: stopped searching binary file after match" for ``BinaryDetection/quit``.
    public var binaryDetection: BinaryDetection = .none
    /// Totals over the files printed so far. ``Stats/matches`` is complete only with
    /// ``Configuration/stats`` on; without it, lines are not searched for every match
    /// when the output does not need them.
    public private(set) var stats = Stats()

    let matcher: any Matcher
    let target: any PrintTarget
    /// The record being built; handed to the target whole.
    var record: [UInt8] = []
    /// How many bytes of `record` are colour escapes, which are not counted as printed.
    var escapeBytesInRecord = 0
    var lineMatches = LineMatches()
    /// The column every line of a multi-line match shows (`-U`), while it is printed.
    var blockColumn: Int?
    /// The lines being written are a multi-line match already replaced (`-U -r`).
    var replacementApplied = false
    /// Whether lines need their matches found even without `--stats`.
    let needsMatches: Bool
    /// Whether this printer has written anything, ever: the file separator goes only
    /// between outputs (ripgrep's `total_count() > 0`).
    var hasPrintedBefore = false

    // The state of the current file.
    var path: [UInt8] = []
    /// Lines reported as matching, plus a match ``binaryData(offset:)`` stands for.
    var matchedLineCount = 0
    /// What ``Mode/countMatches`` prints.
    var matchCount = 0
    var fileHasOutput = false
    var bytesPrintedForFile: Int64 = 0
    var binaryOffset: Int64?
    /// A match was reported as ``binaryData(offset:)`` in convert mode.
    var binaryMatched = false

    /// Creates a printer.
    ///
    /// - Parameters:
    ///   - configuration: the formatting.
    ///   - matcher: the run's matcher, to find matches within reported lines.
    ///   - target: where the output goes.
    public init(configuration: Configuration = Configuration(), matcher: any Matcher, target: any PrintTarget) {
        self.configuration = configuration
        lineMatches.crlf = configuration.crlf
        lineMatches.terminator = configuration.lineTerminator
        self.matcher = matcher
        self.target = target
        // As ripgrep's `needs_match_granularity`: colour, columns and -o need the
        // position of each match; plain lines do not, and skip the matcher pass.
        needsMatches = configuration.color || configuration.column || configuration.onlyMatching
            || configuration.stats || configuration.vimgrep || configuration.replacement != nil
    }

    /// Whether the current file has a reported line (or a match in binary data) so far.
    public var hasMatched: Bool {
        // ripgrep's summary printer squashes the count of a file it quit at binary data.
        if configuration.mode != .lines && binaryDetection == .quit && binaryOffset != nil { return false }
        return matchedLineCount > 0
    }

    /// Starts a file: `path` is shown as given (bytes, not necessarily UTF-8).
    public func begin(path: [UInt8]) -> Bool {
        self.path = path
        matchedLineCount = 0
        matchCount = 0
        fileHasOutput = false
        bytesPrintedForFile = 0
        binaryOffset = nil
        binaryMatched = false
        return true
    }

    /// Prints a matching line (``Mode/lines``) or counts it. Returns `false` in the list
    /// modes, whose answer is known at the first match (unless ``Configuration/stats``).
    public func matched(_ match: SinkMatch) -> Bool {
        matchedLineCount += 1
        stats.matchedLines += 1
        let line = match.bytes
        if configuration.multiline && configuration.mode == .count {
            // ripgrep counts matches, not lines, when they may span lines.
            lineMatches.find(matcher, in: line)
            matchedLineCount += max(lineMatches.ranges.count, 1) - 1
        }
        guard configuration.mode == .lines else { return countMatched(line) }
        if binaryOffset != nil && binaryDetection.suppressesMatchesAfterBinaryData {
            // ripgrep counts the line as one match, whose matches it does not look for.
            binaryMatched = true
            matchCount += 1
            stats.matches += 1
            return false
        }
        // An inverted line holds no match by definition.
        if needsMatches && !configuration.invert {
            lineMatches.find(matcher, in: line)
        } else {
            lineMatches.removeAll()
        }
        stats.matches += lineMatches.ranges.count
        writeLine(
            line, lineNumber: match.lineNumber, isContext: false, lineOffset: match.lineOffset,
            absoluteOffset: match.absoluteOffset)
        return true
    }

    /// A matching line in the count and list modes.
    private func countMatched(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        let mode = configuration.mode
        let countsMatches = mode == .countMatches && !configuration.invert
        if configuration.stats || countsMatches {
            lineMatches.find(matcher, in: line)
            if configuration.stats { stats.matches += lineMatches.ranges.count }
        }
        // ripgrep's --count-matches counts lines when inverted.
        matchCount += countsMatches ? lineMatches.ranges.count : 1
        // The list modes know the answer at the first match; --stats wants the totals.
        if !configuration.stats && (mode == .filesWithMatches || mode == .filesWithoutMatch) {
            return false
        }
        return true
    }

    /// Prints a context line, with ``Configuration/fieldContextSeparator``; ignored
    /// outside ``Mode/lines``.
    public func context(_ context: SinkContext) -> Bool {
        guard configuration.mode == .lines else { return true }
        // Inverted, the context lines are the ones that match: ripgrep colours them.
        if needsMatches && configuration.invert {
            lineMatches.find(matcher, in: context.bytes)
        } else {
            lineMatches.removeAll()
        }
        writeLine(
            context.bytes, lineNumber: context.lineNumber, isContext: true, lineOffset: context.lineOffset,
            absoluteOffset: context.absoluteOffset)
        return true
    }

    /// Prints ``Configuration/contextSeparator`` on its own line.
    public func contextBreak() -> Bool {
        guard configuration.mode == .lines, let separator = configuration.contextSeparator else { return true }
        record.append(contentsOf: separator)
        record.append(UInt8(ascii: "\n"))
        endRecord()
        return true
    }

    /// Notes where binary data was found. In the convert modes, the next matching line
    /// is not printed: ripgrep's "binary file matches" note replaces it, and the file
    /// stops there (the count and list modes go on counting).
    public func binaryData(offset: Int64) -> Bool {
        if binaryOffset == nil { binaryOffset = offset }
        return true
    }

    /// Ends the file: prints ripgrep's binary file message, or the count or path of the
    /// count and list modes, and adds the file to ``stats``.
    public func finish(_ finish: SinkFinish) {
        let offset = binaryOffset ?? finish.binaryOffset
        if configuration.mode == .lines {
            if let offset { writeBinaryMessage(offset: offset) }
            stats.bytesPrinted += bytesPrintedForFile
        } else {
            // ripgrep 13's summary printer adds its bytes to the statistics before it
            // prints the count or path, so they count as 0 bytes printed.
            writeSummary(binaryOffset: offset)
        }
        stats.searches += 1
        if matchedLineCount > 0 { stats.searchesWithMatch += 1 }
        stats.bytesSearched += finish.bytesSearched
        stats.elapsed += .nanoseconds(finish.elapsedNanoseconds)
    }

    /// Hands the record to the target.
    func endRecord() {
        guard !record.isEmpty else { return }
        target.write(record)
        target.endRecord()
        bytesPrintedForFile += Int64(record.count - escapeBytesInRecord)
        hasPrintedBefore = true
        record.removeAll(keepingCapacity: true)
        escapeBytesInRecord = 0
    }
}
