/// A set of Unicode scalar values, as sorted, disjoint, non-adjacent closed ranges; the
/// character classes of ``RegexSyntax``.
///
/// Surrogates (U+D800-U+DFFF) are never members: they are not scalars, and no valid
/// UTF-8 encodes them.
struct ScalarSet: Hashable, Sendable {
    private(set) var ranges: [ClosedRange<UInt32>] = []

    static let all = ScalarSet(ranges: [0...0xD7FF, 0xE000...0x10FFFF])

    init() {}

    init(ranges input: [ClosedRange<UInt32>]) {
        for range in input { insert(range) }
    }

    /// A set from a generated table of first/last pairs (``UnicodeTables``).
    init(pairs: [UInt32]) {
        var index = 0
        while index + 1 < pairs.count {
            ranges.append(pairs[index]...pairs[index + 1])
            index += 2
        }
        normalize()
    }

    init(_ scalar: UInt32) {
        insert(scalar...scalar)
    }

    var isEmpty: Bool { ranges.isEmpty }

    func contains(_ scalar: UInt32) -> Bool {
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].upperBound < scalar { low = middle + 1 } else { high = middle }
        }
        return low < ranges.count && ranges[low].contains(scalar)
    }

    mutating func insert(_ range: ClosedRange<UInt32>) {
        ranges.append(range)
        normalize()
    }

    mutating func formUnion(_ other: ScalarSet) {
        ranges += other.ranges
        normalize()
    }

    /// Every scalar not in the set.
    func inverted() -> ScalarSet {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in ranges {
            if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
            next = range.upperBound + 1
        }
        if next <= 0x10FFFF { result.append(next...0x10FFFF) }
        return ScalarSet(ranges: result)
    }

    /// The set with every member's caseless partners (``UnicodeTables/caseless``) added,
    /// as PCRE2's caseless matching gives a literal or a class range.
    func caseFolded() -> ScalarSet {
        var extra: [ClosedRange<UInt32>] = []
        for entry in CaselessPartners.entries where contains(entry.scalar) {
            for partner in entry.partners { extra.append(partner...partner) }
        }
        guard !extra.isEmpty else { return self }
        var result = self
        result.ranges += extra
        result.normalize()
        return result
    }

    /// Sorts, merges overlapping and adjacent ranges, and removes surrogates.
    private mutating func normalize() {
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<UInt32>] = []
        merged.reserveCapacity(ranges.count)
        for range in ranges {
            let clamped = range.clamped(to: 0...0x10FFFF)
            if let last = merged.last, clamped.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, clamped.upperBound)
            } else {
                merged.append(clamped)
            }
        }
        var withoutSurrogates: [ClosedRange<UInt32>] = []
        withoutSurrogates.reserveCapacity(merged.count + 1)
        for range in merged {
            if range.upperBound < 0xD800 || range.lowerBound > 0xDFFF {
                withoutSurrogates.append(range)
                continue
            }
            if range.lowerBound < 0xD800 { withoutSurrogates.append(range.lowerBound...0xD7FF) }
            if range.upperBound > 0xDFFF { withoutSurrogates.append(0xE000...range.upperBound) }
        }
        ranges = withoutSurrogates
    }

    /// The set's members as UTF-8 byte sequences: each element is one to four byte
    /// ranges, and a string of bytes encodes a member exactly when it matches one
    /// element (ranges of equal-length encodings split the way regex-syntax's `utf8`
    /// module does).
    var utf8Sequences: [[ClosedRange<UInt8>]] {
        var result: [[ClosedRange<UInt8>]] = []
        for range in ranges { Self.appendSequences(range.lowerBound, range.upperBound, to: &result) }
        return result
    }

    private static func appendSequences(_ first: UInt32, _ last: UInt32, to result: inout [[ClosedRange<UInt8>]]) {
        var stack: [(UInt32, UInt32)] = [(first, last)]
        next: while let (start, end) = stack.popLast() {
            guard start <= end else { continue }
            // Split where the encoded length changes.
            for limit: UInt32 in [0x7F, 0x7FF, 0xFFFF] where start <= limit && limit < end {
                stack.append((limit + 1, end))
                stack.append((start, limit))
                continue next
            }
            if end <= 0x7F {
                result.append([UInt8(start)...UInt8(end)])
                continue
            }
            // Split until every continuation byte covers a whole 0x80-0xBF run or the
            // ranges differ only in the last byte.
            for shift: UInt32 in [6, 12, 18] {
                let mask: UInt32 = (1 << shift) - 1
                if start & ~mask != end & ~mask {
                    if start & mask != 0 {
                        stack.append(((start | mask) + 1, end))
                        stack.append((start, start | mask))
                        continue next
                    }
                    if end & mask != mask {
                        stack.append((end & ~mask, end))
                        stack.append((start, (end & ~mask) - 1))
                        continue next
                    }
                }
            }
            let low = encode(start)
            let high = encode(end)
            result.append(zip(low, high).map { $0...$1 })
        }
    }

    /// The first byte of `scalar`'s UTF-8 encoding.
    static func leadByte(of scalar: UInt32) -> UInt8 {
        switch scalar {
        case 0..<0x80: UInt8(scalar)
        case 0x80..<0x800: UInt8(0xC0 | scalar >> 6)
        case 0x800..<0x10000: UInt8(0xE0 | scalar >> 12)
        default: UInt8(0xF0 | scalar >> 18)
        }
    }

    private static func encode(_ scalar: UInt32) -> [UInt8] {
        switch scalar {
        case 0..<0x80: [UInt8(scalar)]
        case 0x80..<0x800: [UInt8(0xC0 | scalar >> 6), UInt8(0x80 | scalar & 0x3F)]
        case 0x800..<0x10000:
            [UInt8(0xE0 | scalar >> 12), UInt8(0x80 | (scalar >> 6) & 0x3F), UInt8(0x80 | scalar & 0x3F)]
        default:
            [UInt8(0xF0 | scalar >> 18), UInt8(0x80 | (scalar >> 12) & 0x3F), UInt8(0x80 | (scalar >> 6) & 0x3F),
             UInt8(0x80 | scalar & 0x3F)]
        }
    }
}

/// ``UnicodeTables/caseless`` decoded once.
enum CaselessPartners {
    struct Entry: Sendable {
        var scalar: UInt32
        var partners: [UInt32]
    }

    static let entries: [Entry] = {
        var result: [Entry] = []
        let table = UnicodeTables.caseless
        var index = 0
        while index + 1 < table.count {
            let count = Int(table[index + 1])
            result.append(Entry(scalar: table[index], partners: Array(table[(index + 2)..<(index + 2 + count)])))
            index += 2 + count
        }
        return result
    }()
}
