/// A byte string that a match must contain, some of whose ASCII letters may match in
/// either case.
///
/// ## Invariants
/// `bytes.count == foldMask.count`. Where `foldMask[i] == 0x20`, `bytes[i]` is a lowercase
/// ASCII letter and the haystack byte `h` matches when `h | 0x20 == bytes[i]` (only `A`
/// and `a` do, for a letter); elsewhere `foldMask[i] == 0` and the byte matches exactly.
struct RequiredLiteral: Hashable, Sendable, CustomStringConvertible {
    private(set) var bytes: [UInt8] = []
    private(set) var foldMask: [UInt8] = []

    init() {}

    /// A literal of exact bytes.
    init(exactly bytes: some Sequence<UInt8>) {
        self.bytes = Array(bytes)
        foldMask = [UInt8](repeating: 0, count: self.bytes.count)
    }

    /// One ASCII letter matched in either case.
    init(caselessLetter letter: UInt8) {
        bytes = [letter | 0x20]
        foldMask = [0x20]
    }

    var count: Int { bytes.count }
    var isEmpty: Bool { bytes.isEmpty }

    /// The number of Unicode scalars, for comparing with PCRE2's minimum match length
    /// (which counts characters).
    var scalarCount: Int { bytes.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) } }

    static func + (lhs: RequiredLiteral, rhs: RequiredLiteral) -> RequiredLiteral {
        var sum = lhs
        sum.bytes += rhs.bytes
        sum.foldMask += rhs.foldMask
        return sum
    }

    static func += (lhs: inout RequiredLiteral, rhs: RequiredLiteral) {
        lhs = lhs + rhs
    }

    /// `self` repeated `count` times.
    func repeated(_ count: Int) -> RequiredLiteral {
        var result = RequiredLiteral()
        for _ in 0..<count { result += self }
        return result
    }

    /// The longest common prefix (`fromEnd` false) or suffix of two literals.
    func common(with other: RequiredLiteral, fromEnd: Bool) -> RequiredLiteral {
        var length = 0
        let limit = min(count, other.count)
        while length < limit {
            let a = fromEnd ? count - 1 - length : length
            let b = fromEnd ? other.count - 1 - length : length
            guard bytes[a] == other.bytes[b], foldMask[a] == other.foldMask[b] else { break }
            length += 1
        }
        var result = RequiredLiteral()
        let range = fromEnd ? (count - length)..<count : 0..<length
        result.bytes = Array(bytes[range])
        result.foldMask = Array(foldMask[range])
        return result
    }

    /// The expected share of haystack positions where the literal's two rarest bytes both
    /// occur at the right distance (the rate at which the scanner must stop and compare),
    /// assuming independent bytes. Lower is better.
    var falsePositiveRate: Double {
        var rarest = Double(1), second = Double(1)
        for index in bytes.indices {
            let frequency = Double(ByteFrequencies.of(bytes[index], foldsCase: foldMask[index] != 0)) / 16_777_216
            if frequency < rarest {
                second = rarest
                rarest = frequency
            } else if frequency < second {
                second = frequency
            }
        }
        return rarest * second
    }

    /// For tests and logs: the bytes as text, with letters that match either case shown
    /// inside `(?i:…)`.
    var description: String {
        var text = ""
        var inCaseless = false
        var pending: [UInt8] = []
        func flush() {
            text += String(decoding: pending, as: UTF8.self)
            pending.removeAll()
        }
        for index in bytes.indices {
            let caseless = foldMask[index] != 0
            if caseless != inCaseless {
                flush()
                text += caseless ? "(?i:" : ")"
                inCaseless = caseless
            }
            pending.append(bytes[index])
        }
        flush()
        if inCaseless { text += ")" }
        return text
    }
}

/// Literals of which every match contains at least one (a pattern's "required set").
///
/// Sets are small (at most ``maximumCount``): each member costs one more scan of the
/// haystack.
struct RequiredLiteralSet: Hashable, Sendable, CustomStringConvertible {
    /// More alternatives than this are not worth scanning for one at a time; a pattern
    /// with more gets no prefilter from its alternation.
    static let maximumCount = 8

    private(set) var members: [RequiredLiteral]

    /// A set; nil when a member is empty (every string contains the empty string, so the
    /// set would exclude nothing) or there are too many.
    init?(_ members: [RequiredLiteral]) {
        var unique: [RequiredLiteral] = []
        for member in members where !unique.contains(member) {
            if member.isEmpty { return nil }
            unique.append(member)
        }
        guard !unique.isEmpty, unique.count <= Self.maximumCount else { return nil }
        self.members = unique
    }

    /// How costly the set is to scan for, in passes over the haystack: one per member,
    /// plus its false hits, each of which stops the scan for a comparison costing about as
    /// much as scanning 100 bytes. Lower is better.
    var cost: Double {
        members.reduce(0) { $0 + 1 + 100 * $1.falsePositiveRate }
    }

    /// The cheaper of two sets; on a tie, the one with the longer shortest member.
    static func cheaper(_ a: RequiredLiteralSet?, _ b: RequiredLiteralSet?) -> RequiredLiteralSet? {
        guard let a else { return b }
        guard let b else { return a }
        if a.cost != b.cost { return a.cost < b.cost ? a : b }
        let shortestA = a.members.map(\.count).min() ?? 0
        let shortestB = b.members.map(\.count).min() ?? 0
        return shortestB > shortestA ? b : a
    }

    /// The members in order, separated by `|`, as in a pattern.
    var description: String {
        members.map(\.description).joined(separator: "|")
    }
}
