import AIFSCore

/// Finds one literal byte string, case-sensitively: the fast path for plain searches.
///
/// It looks for the literal's rarest byte with `memchr` (which uses vector
/// instructions), then compares the rest with `memcmp`. Searches that need more — case
/// folding, several patterns, word or line boundaries — go to ``RegexMatcher`` in
/// literal mode.
///
/// ## Threading
/// Immutable; share one instance between threads.
public struct LiteralMatcher: Matcher, Hashable {
    /// The literal.
    public let needle: [UInt8]
    /// Where in the needle its rarest byte is.
    let rareIndex: Int
    let rareByte: UInt8

    /// Creates a matcher for a non-empty literal.
    ///
    /// - Throws: ``SearchError`` with `.invalidPattern` for an empty literal (it would
    ///   match every line; use a regex matcher for that).
    public init(_ needle: [UInt8]) throws(SearchError) {
        guard !needle.isEmpty else {
            throw SearchError(.invalidPattern, "an empty literal matches every line; use the regex matcher for it")
        }
        self.needle = needle
        var best = 0
        for index in needle.indices where ByteFrequency.rank[Int(needle[index])] < ByteFrequency.rank[Int(needle[best])] {
            best = index
        }
        rareIndex = best
        rareByte = needle[best]
    }

    /// Creates a matcher for a string's UTF-8 bytes.
    public init(_ needle: String) throws(SearchError) {
        try self.init(Array(needle.utf8))
    }

    public func firstMatch(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Range<Int>? {
        let count = needle.count
        guard let base = haystack.baseAddress, start >= 0, haystack.count - start >= count else { return nil }
        var position = start + rareIndex
        let last = haystack.count - (count - rareIndex)
        return needle.withUnsafeBufferPointer { needle in
            while position <= last,
                  let hit = ByteScan.firstIndex(of: rareByte, in: haystack, range: position..<(last + 1))
            {
                let candidate = hit - rareIndex
                if ByteScan.equal(base + candidate, needle.baseAddress!, count: count) {
                    return candidate..<(candidate + count)
                }
                position = hit + 1
            }
            return nil
        }
    }

    public func candidate(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        firstMatch(in: haystack, from: start)?.lowerBound
    }
}

/// How common each byte is in source code and prose, as a rank: 0 is the rarest.
///
/// A literal is searched for by its rarest byte so that `memchr` stops as seldom as
/// possible. The ranking is coarse on purpose (classes of bytes, not measured counts):
/// what matters is that `e` and space lose to `Q` and `#`.
enum ByteFrequency {
    static let rank: [UInt8] = {
        var rank = [UInt8](repeating: 0, count: 256)
        for byte in 0..<256 {
            let value: Int
            switch UInt8(byte) {
            case UInt8(ascii: " "), UInt8(ascii: "e"), UInt8(ascii: "t"): value = 255
            case UInt8(ascii: "a"), UInt8(ascii: "o"), UInt8(ascii: "i"), UInt8(ascii: "n"),
                 UInt8(ascii: "s"), UInt8(ascii: "r"): value = 250
            case UInt8(ascii: "\n"), UInt8(ascii: "l"), UInt8(ascii: "c"), UInt8(ascii: "d"),
                 UInt8(ascii: "u"), UInt8(ascii: "h"), UInt8(ascii: "m"), UInt8(ascii: "p"): value = 240
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = 220
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "."), UInt8(ascii: ","),
                 UInt8(ascii: ";"), UInt8(ascii: "_"), UInt8(ascii: "="), UInt8(ascii: "\""),
                 UInt8(ascii: "\t"): value = 210
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = 180
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = 170
            case 0x21...0x7e: value = 150
            case 0x80...0xff: value = 60
            default: value = 20  // control characters
            }
            rank[byte] = UInt8(value)
        }
        // Within a class, uppercase letters later in the alphabet are rarer in text.
        for (offset, letter) in "QZXJKVWY".utf8.enumerated() { rank[Int(letter)] = UInt8(100 + offset) }
        for (offset, letter) in "qzxjkvwy".utf8.enumerated() { rank[Int(letter)] = UInt8(200 + offset) }
        return rank
    }()
}
