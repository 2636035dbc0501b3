/// Escape sequences that start a coloured span, as `termcolor` writes them (a reset,
/// then the style, then the colours); every span ends with ``reset``.
enum Palette {
    static let reset: [UInt8] = Array("\u{1B}[0m".utf8)
}

extension StandardPrinter {
    private static let newline = UInt8(ascii: "\n")

    /// Writes a matching or context line in ``Mode/lines`` mode, with `lineMatches`
    /// holding the matches to show (none for plain output, an inverted match or an
    /// ordinary context line). `lineOffset` is where `line` starts within its line (not
    /// 0 for a piece of an over-long line): columns are the line's own.
    /// `absoluteOffset` is where the line starts in the file (`-b`).
    func writeLine(
        _ line: UnsafeBufferPointer<UInt8>, lineNumber: Int?, isContext: Bool, lineOffset: Int64 = 0,
        absoluteOffset: Int64 = 0
    ) {
        if configuration.multiline, let newline = line.firstIndex(of: Self.newline), newline < line.count - 1 {
            writeBlock(line, lineNumber: lineNumber, isContext: isContext, absoluteOffset: absoluteOffset + lineOffset)
            return
        }
        let columnBase = Int(lineOffset) + 1
        let lineStart = absoluteOffset + lineOffset
        writeFilePrelude()
        let separator = isContext ? configuration.fieldContextSeparator : configuration.fieldMatchSeparator
        let ranges = lineMatches.ranges
        guard let first = ranges.first else {
            writePrefix(separator: separator, lineNumber: lineNumber, column: nil, byteOffset: lineStart)
            writeBody(line, matches: [], isContext: isContext)
            endRecord()
            return
        }
        if configuration.onlyMatching {
            for range in ranges {
                writePrefix(
                    separator: separator, lineNumber: lineNumber, column: range.lowerBound + columnBase,
                    byteOffset: lineStart + Int64(range.lowerBound))
                // As ripgrep, the limit applies to the match printed, not to its line.
                if let replacement = activeReplacement {
                    let piece = replacement.expansion(in: LineMatches.withoutTerminator(line, crlf: configuration.crlf), at: range, matcher: matcher)
                    piece.withUnsafeBufferPointer { piece in
                        writeBody(piece, matches: configuration.color && !piece.isEmpty ? [0..<piece.count] : [],
                                  isContext: isContext, isOnlyMatching: true)
                    }
                } else {
                    let piece = UnsafeBufferPointer(rebasing: line[range])
                    writeBody(piece, matches: configuration.color && !range.isEmpty ? [0..<piece.count] : [],
                              isContext: isContext, isOnlyMatching: true)
                }
                endRecord()
            }
            return
        }
        if configuration.vimgrep && !isContext {
            // One record per match, each the whole line with that match coloured (with
            // -r, the line with every match replaced).
            let replaced = activeReplacement.map { $0.apply(to: line, matches: ranges, matcher: matcher, crlf: configuration.crlf) }
            for (index, range) in ranges.enumerated() {
                writePrefix(
                    separator: separator, lineNumber: lineNumber, column: range.lowerBound + columnBase,
                    byteOffset: lineStart)
                if let replaced, index < replaced.ranges.count {
                    replaced.bytes.withUnsafeBufferPointer {
                        writeBody($0, matches: [replaced.ranges[index]], isContext: isContext)
                    }
                } else {
                    writeBody(line, matches: [range], isContext: isContext)
                }
                endRecord()
            }
            return
        }
        if let replacement = activeReplacement {
            // The line with its matches replaced; the replacements are what is coloured.
            let (bytes, replaced) = replacement.apply(to: line, matches: ranges, matcher: matcher, crlf: configuration.crlf)
            writePrefix(separator: separator, lineNumber: lineNumber, column: first.lowerBound + columnBase, byteOffset: lineStart)
            bytes.withUnsafeBufferPointer { writeBody($0, matches: replaced, isContext: isContext) }
            endRecord()
            return
        }
        writePrefix(separator: separator, lineNumber: lineNumber, column: first.lowerBound + columnBase, byteOffset: lineStart)
        writeBody(line, matches: ranges, isContext: isContext)
        endRecord()
    }

    /// Whether matches are coloured: `--color` on and a match colour set.
    private var colorsMatches: Bool { configuration.color && !configuration.colors.matchIsPlain }

    /// The `-r` template, unless the lines being written were already replaced.
    private var activeReplacement: Replacement? { replacementApplied ? nil : configuration.replacement }

    /// A multi-line match (`-U`): each of its lines printed as a line, with the matches
    /// that fall in it, its own number and offset, and the column of the first match.
    private func writeBlock(_ block: UnsafeBufferPointer<UInt8>, lineNumber: Int?, isContext: Bool, absoluteOffset: Int64) {
        var all = lineMatches.ranges
        var column: Int?
        if let first = all.first {
            let lineStart = block[..<first.lowerBound].lastIndex(of: Self.newline).map { $0 + 1 } ?? 0
            column = first.lowerBound - lineStart + 1
        }
        // With -r, the whole match is replaced first (a replacement may join lines).
        var replacedBytes: [UInt8]?
        if let replacement = activeReplacement, !isContext, !configuration.onlyMatching {
            let (bytes, ranges) = replacement.apply(to: block, matches: all, matcher: matcher, crlf: configuration.crlf)
            replacedBytes = bytes
            all = ranges
        }
        if let replacedBytes {
            replacementApplied = true
            defer { replacementApplied = false }
            replacedBytes.withUnsafeBufferPointer { bytes in
                writeBlockLines(bytes, matches: all, column: column, lineNumber: lineNumber, isContext: isContext,
                                absoluteOffset: absoluteOffset)
            }
            return
        }
        writeBlockLines(block, matches: all, column: column, lineNumber: lineNumber, isContext: isContext, absoluteOffset: absoluteOffset)
    }

    private func writeBlockLines(
        _ block: UnsafeBufferPointer<UInt8>, matches all: [Range<Int>], column: Int?, lineNumber: Int?, isContext: Bool,
        absoluteOffset: Int64
    ) {
        var start = 0
        var number = lineNumber
        while start < block.count {
            let stop = block[start...].firstIndex(of: Self.newline).map { $0 + 1 } ?? block.count
            let contentEnd = block[stop - 1] == Self.newline ? stop - 1 : stop
            let clipped = all.compactMap { range -> Range<Int>? in
                let lower = max(range.lowerBound, start), upper = min(range.upperBound, contentEnd)
                if lower < upper { return (lower - start)..<(upper - start) }
                return range.isEmpty && (start..<stop).contains(range.lowerBound) ? (lower - start)..<(lower - start) : nil
            }
            lineMatches.set(clipped)
            blockColumn = column
            writeLine(
                UnsafeBufferPointer(rebasing: block[start..<stop]), lineNumber: number, isContext: isContext,
                absoluteOffset: absoluteOffset + Int64(start))
            blockColumn = nil
            number = number.map { $0 + 1 }
            start = stop
        }
    }

    /// The text of a line (or, with `-o`, of a match): trimmed (`--trim`), cut to
    /// ``Configuration/maxColumns`` or replaced by ripgrep's "[Omitted long …]"
    /// message, coloured.
    private func writeBody(
        _ original: UnsafeBufferPointer<UInt8>, matches originalMatches: [Range<Int>], isContext: Bool,
        isOnlyMatching: Bool = false
    ) {
        var line = original
        var matches = originalMatches
        if configuration.trim {
            // ripgrep trims ASCII whitespace other than the line terminator.
            var count = 0
            while count < line.count, [0x09, 0x0B, 0x0C, 0x0D, 0x20].contains(line[count]) { count += 1 }
            if count > 0 {
                line = UnsafeBufferPointer(rebasing: line[count...])
                matches = matches.compactMap { range in
                    let lower = max(range.lowerBound - count, 0), upper = range.upperBound - count
                    return upper >= lower && (upper > 0 || range.isEmpty) ? lower..<upper : nil
                }
            }
        }
        let showsMatches = !originalMatches.isEmpty
        if exceedsMaxColumns(line.count) {
            if configuration.maxColumnsPreview {
                writePreview(line, matches: matches)
            } else if isOnlyMatching || !showsMatches {
                appendOmitted(isContext: isContext)
            } else {
                record.append(contentsOf: Array("[Omitted long line with \(matches.count) matches]\n".utf8))
            }
        } else if configuration.crlf && (colorsMatches && showsMatches || isOnlyMatching || activeReplacement != nil) {
            // ripgrep 13 writes its own terminator, `\r\n`, after the lines it rebuilds.
            let content = LineMatches.withoutTerminator(line, crlf: true)
            if colorsMatches && showsMatches {
                appendColored(content, matches: matches.filter { $0.upperBound <= content.count }, terminated: false)
            } else {
                record.append(contentsOf: content)
            }
            record.append(contentsOf: [UInt8(ascii: "\r"), Self.newline])
        } else if colorsMatches && showsMatches {
            appendColored(line, matches: matches)
        } else {
            appendTerminated(line)
        }
    }

    /// `--max-columns-preview`: the line's first ``Configuration/maxColumns`` grapheme
    /// clusters, then how many matches were left out, as ripgrep.
    private func writePreview(_ line: UnsafeBufferPointer<UInt8>, matches: [Range<Int>]) {
        let limit = configuration.maxColumns ?? 0
        var end = 0
        if let text = String(validating: line, as: UTF8.self) {
            for character in text.prefix(limit) { end += character.utf8.count }
        } else {
            end = min(limit, line.count)
        }
        let shown = UnsafeBufferPointer(rebasing: line[..<end])
        let clipped = matches.compactMap { range in range.lowerBound < end ? range.lowerBound..<min(range.upperBound, end) : nil }
        if colorsMatches && !clipped.isEmpty {
            appendColored(shown, matches: clipped, terminated: false)
        } else {
            record.append(contentsOf: shown)
        }
        // ripgrep knows the matches only when it needs them (colour, columns, -o).
        if matches.isEmpty || !configuration.color && !configuration.column {
            record.append(contentsOf: " [... omitted end of long line]".utf8)
        } else {
            let remaining = matches.filter { $0.lowerBound >= end }.count
            record.append(contentsOf: " [... \(remaining) more \(remaining == 1 ? "match" : "matches")]".utf8)
        }
        record.append(configuration.lineTerminator)
    }

    /// Before a file's first line: the file separator, when something was printed
    /// before, and the heading.
    private func writeFilePrelude() {
        guard !fileHasOutput else { return }
        fileHasOutput = true
        if let separator = configuration.fileSeparator, hasPrintedBefore {
            record.append(contentsOf: separator)
            record.append(Self.newline)
        }
        if configuration.heading && configuration.withFilename {
            appendPath()
            record.append(configuration.pathTerminator ?? Self.newline)
        }
    }

    /// The fields before a line: path (without headings), line number, column, byte
    /// offset (`-b`).
    private func writePrefix(separator: [UInt8], lineNumber: Int?, column: Int?, byteOffset: Int64) {
        if configuration.withFilename && !configuration.heading {
            appendPath()
            if let terminator = configuration.pathTerminator {
                record.append(terminator)
            } else {
                record.append(contentsOf: separator)
            }
        }
        if configuration.lineNumber || configuration.column, let lineNumber {
            appendNumber(lineNumber, color: configuration.colors.line)
            record.append(contentsOf: separator)
        }
        if configuration.column, let column = blockColumn ?? column {
            appendNumber(column, color: configuration.colors.column)
            record.append(contentsOf: separator)
        }
        if configuration.byteOffset {
            appendNumber(Int(byteOffset), color: configuration.colors.column)
            record.append(contentsOf: separator)
        }
    }

    func appendPath() {
        if configuration.color { appendEscape(configuration.colors.path) }
        record.append(contentsOf: path)
        if configuration.color { appendEscape(Palette.reset) }
    }

    private func appendNumber(_ number: Int, color: [UInt8]) {
        if configuration.color { appendEscape(color) }
        record.append(contentsOf: String(number).utf8)
        if configuration.color { appendEscape(Palette.reset) }
    }

    /// Appends a colour escape sequence. ripgrep 13 writes those past the counter of
    /// printed bytes, so they are kept out of ``Stats/bytesPrinted`` too.
    private func appendEscape(_ sequence: [UInt8]) {
        record.append(contentsOf: sequence)
        escapeBytesInRecord += sequence.count
    }

    /// `bytes`, plus the `\n` ripgrep adds when a file's last line has none.
    private func appendTerminated(_ bytes: UnsafeBufferPointer<UInt8>) {
        record.append(contentsOf: bytes)
        if bytes.last != configuration.lineTerminator { record.append(configuration.lineTerminator) }
    }

    /// A line with its matches coloured, as ripgrep's `write_colored_line`: adjacent
    /// matches share one coloured span and empty matches colour nothing.
    private func appendColored(_ line: UnsafeBufferPointer<UInt8>, matches: [Range<Int>], terminated: Bool = true) {
        var written = 0
        var inColor = false
        for var range in matches {
            if written < range.lowerBound {
                if inColor {
                    appendEscape(Palette.reset)
                    inColor = false
                }
                record.append(contentsOf: UnsafeBufferPointer(rebasing: line[written..<range.lowerBound]))
            } else if written < range.upperBound {
                range = written..<range.upperBound
            } else {
                continue
            }
            if !range.isEmpty {
                if !inColor {
                    appendEscape(configuration.colors.match)
                    inColor = true
                }
                record.append(contentsOf: UnsafeBufferPointer(rebasing: line[range]))
            }
            written = range.upperBound
        }
        if inColor { appendEscape(Palette.reset) }
        if terminated {
            appendTerminated(UnsafeBufferPointer(rebasing: line[written...]))
        } else {
            record.append(contentsOf: UnsafeBufferPointer(rebasing: line[written...]))
        }
    }

    private func exceedsMaxColumns(_ count: Int) -> Bool {
        guard let limit = configuration.maxColumns, limit > 0 else { return false }
        return count > limit
    }

    private func appendOmitted(isContext: Bool) {
        let message = isContext ? "[Omitted long context line]\n" : "[Omitted long matching line]\n"
        record.append(contentsOf: message.utf8)
    }

    /// ripgrep's note after a binary file's matches. It bypasses the file prelude (no
    /// heading, no separator), as in ripgrep, and uses ": " whatever the separators.
    func writeBinaryMessage(offset: Int64) {
        let message: String
        switch binaryDetection {
        case .quit where matchedLineCount > 0:
            message = "WARNING: stopped searching binary file after match"
        case .convert where binaryMatched, .convertMapped where binaryMatched:
            message = "binary file matches"
        default:
            return
        }
        if configuration.withFilename {
            appendPath()
            record.append(contentsOf: ": ".utf8)
        }
        record.append(contentsOf: "\(message) (found \"\\0\" byte around offset \(offset))\n".utf8)
        endRecord()
    }

    /// The output of the count and list modes, at the end of a file.
    func writeSummary(binaryOffset: Int64?) {
        // ripgrep treats quitting on binary data as a filter: such a file is neither
        // counted nor listed, whatever was found before the binary data.
        if binaryDetection == .quit && binaryOffset != nil { return }
        let pathEnd = configuration.pathTerminator ?? configuration.lineTerminator
        switch configuration.mode {
        case .lines:
            return
        case .count, .countMatches:
            let count = configuration.mode == .count ? matchedLineCount : matchCount
            guard count > 0 || configuration.includeZeroCounts else { return }
            if configuration.withFilename {
                appendPath()
                // ripgrep's summary printer ignores --field-match-separator.
                record.append(configuration.pathTerminator ?? UInt8(ascii: ":"))
            }
            record.append(contentsOf: String(count).utf8)
            if configuration.crlf { record.append(UInt8(ascii: "\r")) }
            record.append(configuration.lineTerminator)
        case .filesWithMatches:
            guard matchedLineCount > 0 else { return }
            appendPath()
            if configuration.crlf && configuration.pathTerminator == nil { record.append(UInt8(ascii: "\r")) }
            record.append(pathEnd)
        case .filesWithoutMatch:
            guard matchedLineCount == 0 else { return }
            appendPath()
            if configuration.crlf && configuration.pathTerminator == nil { record.append(UInt8(ascii: "\r")) }
            record.append(pathEnd)
        }
        endRecord()
    }
}
