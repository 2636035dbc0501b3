/// Totals over the searches of one printer, or of a whole run once merged: what
/// ripgrep's `--stats` and the JSON `end` and `summary` messages report.
///
/// Each printer keeps its own ``Stats`` (``StandardPrinter/stats``,
/// ``JSONPrinter/stats``); the driver merges them with ``add(_:)`` and renders the
/// result with ``formatted(totalElapsed:)`` or ``JSONPrinter/summaryMessage(stats:totalElapsed:)``.
public struct Stats: Sendable, Hashable {
    /// Time spent searching, summed over the searches (not wall-clock time).
    public var elapsed: Duration
    /// Files searched.
    public var searches: Int
    /// Files with at least one reported line.
    public var searchesWithMatch: Int
    /// Bytes of the files that were searched.
    public var bytesSearched: Int64
    /// Bytes the printers wrote.
    public var bytesPrinted: Int64
    /// Lines reported as matching (non-matching ones when inverted).
    public var matchedLines: Int
    /// Matches: a line can hold several.
    public var matches: Int

    /// Creates zeroed statistics.
    public init() {
        elapsed = .zero
        searches = 0
        searchesWithMatch = 0
        bytesSearched = 0
        bytesPrinted = 0
        matchedLines = 0
        matches = 0
    }

    /// Adds `other`'s totals to these.
    public mutating func add(_ other: Stats) {
        elapsed += other.elapsed
        searches += other.searches
        searchesWithMatch += other.searchesWithMatch
        bytesSearched += other.bytesSearched
        bytesPrinted += other.bytesPrinted
        matchedLines += other.matchedLines
        matches += other.matches
    }

    /// The totals plus `other`'s.
    public func adding(_ other: Stats) -> Stats {
        var sum = self
        sum.add(other)
        return sum
    }

    /// ripgrep 13's `--stats` block, which it prints after all results: an empty line,
    /// then one line per figure, times in seconds with six decimals.
    ///
    /// - Parameter totalElapsed: the wall-clock time of the whole run (ripgrep's last
    ///   line, "seconds").
    /// - Returns: the block, ending with a newline.
    public func formatted(totalElapsed: Duration) -> String {
        """

        \(matches) matches
        \(matchedLines) matched lines
        \(searchesWithMatch) files contained matches
        \(searches) files searched
        \(bytesPrinted) bytes printed
        \(bytesSearched) bytes searched
        \(Self.seconds(elapsed)) seconds spent searching
        \(Self.seconds(totalElapsed)) seconds

        """
    }
}

extension Stats {
    /// Whole seconds and the nanoseconds beyond them, as Rust's `Duration` splits a
    /// duration (negative durations count as zero).
    static func secondsAndNanoseconds(_ duration: Duration) -> (seconds: UInt64, nanoseconds: UInt32) {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return (0, 0) }
        return (UInt64(seconds), UInt32(attoseconds / 1_000_000_000))
    }

    /// `duration` in seconds with six decimals, exactly as ripgrep prints it: Rust's
    /// `format!("{:0.6}", secs as f64 + nanos as f64 / 1e9)`.
    ///
    /// Rust rounds the exact binary value of the `f64` to six decimals, ties to even,
    /// so 500 ns prints as `0.000000` (the double is just below 5e-7) and 7,812,500 ns as
    /// `0.007812` (an exact tie). Rounding the integer nanoseconds would differ from
    /// ripgrep in such cases, so this computes on the double's exact value.
    static func seconds(_ duration: Duration) -> String {
        let (seconds, nanoseconds) = secondsAndNanoseconds(duration)
        let value = Double(seconds) + Double(nanoseconds) / 1_000_000_000
        let micros = roundedMillionths(value)
        let fraction = String(micros % 1_000_000)
        return "\(micros / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    /// `value * 1e6` rounded to the nearest integer, ties to even, computed exactly.
    ///
    /// - Precondition: `value` is finite, not negative, and below 2^64 / 1e6.
    static func roundedMillionths(_ value: Double) -> UInt64 {
        guard value > 0 else { return 0 }
        // value = significand * 2^exponent exactly, with an integer significand.
        let significand = UInt128(value.significandBitPattern | (value.isNormal ? 1 << 52 : 0))
        let exponent = Int(value.exponent) - 52
        let scaled = significand * 1_000_000
        if exponent >= 0 { return UInt64(scaled << exponent) }
        let shift = -exponent
        // Below 2^-74 the value times 1e6 is far below one half.
        guard shift < 127 else { return 0 }
        let whole = scaled >> shift
        let remainder = scaled & ((1 << shift) - 1)
        let half = UInt128(1) << (shift - 1)
        let roundsUp = remainder > half || (remainder == half && whole & 1 == 1)
        return UInt64(whole) + (roundsUp ? 1 : 0)
    }
}
