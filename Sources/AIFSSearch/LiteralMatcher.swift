/// Finds one literal byte string, case-sensitively: the fast path for plain searches.
///
/// It scans with the same ``LiteralScanner`` as the regex prefilter: `memchr` on the
/// literal's rarest byte when that byte is rare, else a vector scan for its two rarest
/// bytes at their offsets, then compares the rest. Searches that need more — case
/// folding, several patterns, word or line boundaries — go to ``RegexMatcher`` in
/// literal mode.
///
/// ## Threading
/// Immutable; share one instance between threads.
public struct LiteralMatcher: Matcher, Hashable {
    /// The literal.
    public let needle: [UInt8]
    private let scanner: LiteralScanner

    /// Creates a matcher for a non-empty literal.
    ///
    /// - Throws: ``SearchError`` with `.invalidPattern` for an empty literal (it would
    ///   match every line; use a regex matcher for that).
    public init(_ needle: [UInt8]) throws(SearchError) {
        guard !needle.isEmpty else {
            throw SearchError(.invalidPattern, "an empty literal matches every line; use the regex matcher for it")
        }
        self.needle = needle
        scanner = LiteralScanner(RequiredLiteral(exactly: needle))
    }

    /// Creates a matcher for a string's UTF-8 bytes.
    public init(_ needle: String) throws(SearchError) {
        try self.init(Array(needle.utf8))
    }

    public func firstMatch(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Range<Int>? {
        scanner.firstOccurrence(in: haystack, from: start, before: haystack.count)
            .map { $0..<($0 + needle.count) }
    }

    public func candidate(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        scanner.firstOccurrence(in: haystack, from: start, before: haystack.count)
    }

    /// The literal's length.
    public var maximumMatchLength: Int? { needle.count }

    public static func == (lhs: LiteralMatcher, rhs: LiteralMatcher) -> Bool { lhs.needle == rhs.needle }
    public func hash(into hasher: inout Hasher) { hasher.combine(needle) }
}
