/// The matches within one reported line, found the way ripgrep 13's printers find them.
///
/// Two rules of ripgrep's `find_iter` that ``Matcher/forEachMatch(in:_:)`` does not
/// apply, and that change what is printed for patterns that can match the empty string:
/// - an empty match that starts where the previous match ended is skipped (`l*` on
///   `hello` yields `""` at 0 and 1, `ll`, then `""` at 5, not at 4);
/// - an empty match at the very end of the line, terminator included, is dropped, so a
///   last line without a terminator loses its final empty match while other lines keep
///   the one just before their `\n`.
///
/// Reused line after line, so the storage is allocated once per printer.
struct LineMatches {
    /// Byte ranges into the line, left to right, never overlapping.
    private(set) var ranges: [Range<Int>] = []
    /// A `\r` before the `\n` is part of the terminator (`--crlf`).
    var crlf = false
    /// The byte that ends lines: `\n`, or NUL with `--null-data`.
    var terminator = UInt8(ascii: "\n")

    /// Sets the matches to show (one line of a multi-line match).
    mutating func set(_ ranges: [Range<Int>]) {
        self.ranges = ranges
    }

    /// Forgets the matches of the previous line.
    mutating func removeAll() {
        ranges.removeAll(keepingCapacity: true)
    }

    /// Finds the matches of `matcher` in `line`, which may end with its `\n`.
    mutating func find(_ matcher: any Matcher, in line: UnsafeBufferPointer<UInt8>) {
        ranges.removeAll(keepingCapacity: true)
        let content = terminator == UInt8(ascii: "\n")
            ? LineMatches.withoutTerminator(line, crlf: crlf)
            : line.last == terminator ? UnsafeBufferPointer(rebasing: line[..<(line.count - 1)]) : line
        var previousEnd: Int?
        matcher.forEachMatch(in: content) { range in
            if range.isEmpty, range.lowerBound == previousEnd { return true }
            ranges.append(range)
            previousEnd = range.upperBound
            return true
        }
        if let last = ranges.last, last.isEmpty, last.lowerBound >= line.count {
            ranges.removeLast()
        }
    }

    /// `line` without its trailing `\n`, if it has one. A `\r` before it stays: ripgrep's
    /// line terminator is `\n` alone unless `--crlf` is given.
    static func withoutTerminator(_ line: UnsafeBufferPointer<UInt8>, crlf: Bool = false) -> UnsafeBufferPointer<UInt8> {
        guard let last = line.last, last == UInt8(ascii: "\n") else { return line }
        if crlf && line.count > 1 && line[line.count - 2] == UInt8(ascii: "\r") {
            return UnsafeBufferPointer(rebasing: line[..<(line.count - 2)])
        }
        return UnsafeBufferPointer(rebasing: line[..<(line.count - 1)])
    }
}
