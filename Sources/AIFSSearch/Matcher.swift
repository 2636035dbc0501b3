/// Finds matches of a pattern in bytes.
///
/// The searcher knows matchers only through this protocol; ``LiteralMatcher`` and
/// ``RegexMatcher`` conform to it.
///
/// ## The prefilter contract
/// ``candidate(in:from:)`` may report false positives — a position whose line turns out
/// not to match — but never false negatives: when it returns `nil`, no line that starts
/// or ends inside `haystack[start...]` holds a match. The searcher confirms each
/// candidate with ``firstMatch(in:from:)`` on that one line.
///
/// ## Threading
/// Matchers are immutable and `Sendable`: one instance serves every worker thread.
public protocol Matcher: Sendable {
    /// The leftmost match in `haystack` that starts at or after `start`, as byte offsets
    /// into `haystack`.
    ///
    /// The searcher calls this on one line at a time (without its terminator) to
    /// confirm and to find every match on a line, so a matcher need not know about lines.
    /// A pattern that can match the empty string may return an empty range.
    func firstMatch(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Range<Int>?

    /// A position in `haystack[start...]` on whose line a match may be, or `nil` when no
    /// line can match (see the prefilter contract above).
    ///
    /// The default is the start of ``firstMatch(in:from:)`` over the whole range, which
    /// is exact. Matchers with a cheaper test (a literal the match must contain) should
    /// provide it.
    func candidate(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Int?

    /// ``firstMatch(in:from:)``, telling a subject on which the engine gave up apart from
    /// one without a match.
    ///
    /// The searcher confirms lines with this, so that a line no engine could decide is
    /// reported as a problem rather than silently left out. The default wraps
    /// ``firstMatch(in:from:)``, for matchers that always decide.
    func matchResult(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> MatchResult

    /// The most bytes a match can span, when the pattern bounds it (a literal's length);
    /// nil when unknown or unbounded. A line longer than the searcher's largest buffer is
    /// searched in overlapping pieces: with a bound no longer than the overlap, no match
    /// is lost at a seam. The default is nil.
    var maximumMatchLength: Int? { get }
}

/// How a matcher's search of one subject ended.
public enum MatchResult: Sendable, Hashable {
    /// The leftmost match, as byte offsets into the subject.
    case match(Range<Int>)
    /// There is no match.
    case noMatch
    /// Every engine gave up (a resource limit, such as PCRE2's match limit on a pattern
    /// that backtracks exponentially): whether the subject matches is unknown. `reason`
    /// says why, e.g. `PCRE2: match limit exceeded`.
    case undecided(reason: String)
}

extension Matcher {
    public func candidate(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        firstMatch(in: haystack, from: start)?.lowerBound
    }

    public func matchResult(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> MatchResult {
        firstMatch(in: haystack, from: start).map(MatchResult.match) ?? .noMatch
    }

    public var maximumMatchLength: Int? { nil }

    /// Calls `body` with each non-overlapping match in `line`, left to right. After an
    /// empty match the search resumes one byte further, so it always ends.
    public func forEachMatch(in line: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Bool) {
        var position = 0
        while position <= line.count, let match = firstMatch(in: line, from: position) {
            if !body(match) { return }
            position = match.isEmpty ? match.upperBound + 1 : match.upperBound
        }
    }
}
