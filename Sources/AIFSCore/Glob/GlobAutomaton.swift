// The general matcher: a position (Glushkov) automaton simulated over a bit set.
//
// Every state consumes exactly one scalar, so simulating all live states in lockstep
// costs O(path length × pattern size) with no backtracking at all: `a*a*a*a*b` against
// a long run of `a`s is as cheap as any other pattern. With at most 64 states (nearly
// every real glob) a state set is one UInt64 and, for ASCII input, a step is a table
// look-up and an AND.

/// What one automaton state accepts.
struct GlobPredicate: Sendable {
    enum Kind: UInt8, Sendable {
        /// A scalar equal to one of `a`, `b`, `c`, `d` (case variants, or all the same).
        case scalar
        /// Any scalar but '/'.
        case anyButSlash
        /// Any scalar at all.
        case any
        /// A class: ranges `a ..< a + b` of the shared table, negated if `c != 0`,
        /// never '/' if `d != 0`.
        case characterClass
    }

    var kind: Kind
    var a: UInt32
    var b: UInt32
    var c: UInt32
    var d: UInt32

    static let slash: UInt32 = 0x2F

    static func scalar(_ variants: [UInt32]) -> GlobPredicate {
        let first = variants[0]
        return GlobPredicate(
            kind: .scalar,
            a: first,
            b: variants.count > 1 ? variants[1] : first,
            c: variants.count > 2 ? variants[2] : first,
            d: variants.count > 3 ? variants[3] : first
        )
    }

    @inline(__always)
    func matches(_ value: UInt32, ranges: UnsafeBufferPointer<UInt32>) -> Bool {
        switch kind {
        case .scalar:
            return value == a || value == b || value == c || value == d
        case .anyButSlash:
            return value != GlobPredicate.slash
        case .any:
            return true
        case .characterClass:
            if d != 0 && value == GlobPredicate.slash { return false }
            var found = false
            var k = Int(a) &* 2
            let end = Int(a &+ b) &* 2
            while k < end {
                if ranges[k] <= value && value <= ranges[k &+ 1] {
                    found = true
                    break
                }
                k &+= 2
            }
            return found != (c != 0)
        }
    }
}

/// A regular expression over predicates, the shape the glob tokens translate to.
indirect enum GlobNode {
    case empty
    case atom(GlobPredicate)
    /// Zero or more of one predicate: every star in a glob is over a single predicate.
    case star(GlobPredicate)
    case sequence([GlobNode])
    case alternation([GlobNode])
    case optional(GlobNode)
}

/// Decodes the UTF-8 scalar at `i`. A byte that does not start a well-formed sequence
/// becomes a pseudo-scalar above U+10FFFF of length 1, so `?` and `*` still step over
/// it but no literal or range can match it.
@inline(__always)
func decodeScalar(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> (value: UInt32, length: Int) {
    let b0 = UInt32(p[i])
    if b0 < 0x80 { return (b0, 1) }
    let invalid = (0x11_0000 | b0, 1)
    let n = p.count
    if b0 >= 0xC2 && b0 <= 0xDF {
        guard i + 1 < n else { return invalid }
        let b1 = UInt32(p[i + 1])
        guard b1 & 0xC0 == 0x80 else { return invalid }
        return ((b0 & 0x1F) << 6 | (b1 & 0x3F), 2)
    }
    if b0 >= 0xE0 && b0 <= 0xEF {
        guard i + 2 < n else { return invalid }
        let b1 = UInt32(p[i + 1])
        let b2 = UInt32(p[i + 2])
        let low: UInt32 = b0 == 0xE0 ? 0xA0 : 0x80
        let high: UInt32 = b0 == 0xED ? 0x9F : 0xBF
        guard b1 >= low && b1 <= high && b2 & 0xC0 == 0x80 else { return invalid }
        return ((b0 & 0x0F) << 12 | (b1 & 0x3F) << 6 | (b2 & 0x3F), 3)
    }
    if b0 >= 0xF0 && b0 <= 0xF4 {
        guard i + 3 < n else { return invalid }
        let b1 = UInt32(p[i + 1])
        let b2 = UInt32(p[i + 2])
        let b3 = UInt32(p[i + 3])
        let low: UInt32 = b0 == 0xF0 ? 0x90 : 0x80
        let high: UInt32 = b0 == 0xF4 ? 0x8F : 0xBF
        guard b1 >= low && b1 <= high && b2 & 0xC0 == 0x80 && b3 & 0xC0 == 0x80 else {
            return invalid
        }
        return ((b0 & 0x07) << 18 | (b1 & 0x3F) << 12 | (b2 & 0x3F) << 6 | (b3 & 0x3F), 4)
    }
    return invalid
}

final class GlobAutomaton: Sendable {
    private let predicates: [GlobPredicate]
    /// Class ranges, as (lower, upper) pairs, shared by all class predicates.
    private let ranges: [UInt32]
    /// Whether the empty path matches.
    private let nullable: Bool

    // Small form (at most 64 states): bit masks.
    private let firstMask: UInt64
    private let lastMask: UInt64
    private let followMasks: [UInt64]
    /// For each ASCII byte, the states that accept it.
    private let asciiMasks: [UInt64]

    // Large form: state lists, simulated over temporary word arrays.
    private let firstStates: [Int32]
    private let lastWords: [UInt64]
    private let followStart: [Int32]
    private let followStates: [Int32]

    var stateCount: Int { predicates.count }

    init(_ expression: (node: GlobNode, ranges: [UInt32])) {
        let (root, ranges) = expression
        var builder = Builder()
        let (nullable, first, last) = builder.visit(root)
        let predicates = builder.predicates
        let follow = builder.follow.map { Array(Set($0)).sorted() }
        self.predicates = predicates
        self.ranges = ranges
        self.nullable = nullable
        let count = predicates.count
        if count <= 64 {
            func mask(_ states: [Int]) -> UInt64 {
                states.reduce(0) { $0 | (1 << UInt64($1)) }
            }
            firstMask = mask(first)
            lastMask = mask(last)
            followMasks = follow.map(mask)
            asciiMasks = ranges.withUnsafeBufferPointer { table in
                (0..<128).map { byte -> UInt64 in
                    var m: UInt64 = 0
                    for (q, p) in predicates.enumerated() where p.matches(UInt32(byte), ranges: table) {
                        m |= 1 << UInt64(q)
                    }
                    return m
                }
            }
            firstStates = []
            lastWords = []
            followStart = []
            followStates = []
        } else {
            firstMask = 0
            lastMask = 0
            followMasks = []
            asciiMasks = []
            firstStates = first.map { Int32($0) }
            var words = [UInt64](repeating: 0, count: (count + 63) / 64)
            for q in last { words[q >> 6] |= 1 << UInt64(q & 63) }
            lastWords = words
            var start: [Int32] = [0]
            var states: [Int32] = []
            for targets in follow {
                states.append(contentsOf: targets.map { Int32($0) })
                start.append(Int32(states.count))
            }
            followStart = start
            followStates = states
        }
    }

    func matches(_ path: UnsafeBufferPointer<UInt8>) -> Bool {
        if path.isEmpty { return nullable }
        if predicates.isEmpty { return false }
        return predicates.count <= 64 ? matchesSmall(path) : matchesLarge(path)
    }

    private func matchesSmall(_ path: UnsafeBufferPointer<UInt8>) -> Bool {
        predicates.withUnsafeBufferPointer { predicates in
            ranges.withUnsafeBufferPointer { ranges in
                followMasks.withUnsafeBufferPointer { follow in
                    asciiMasks.withUnsafeBufferPointer { ascii in
                        var candidates = firstMask
                        var live: UInt64 = 0
                        var i = 0
                        let n = path.count
                        while i < n {
                            let byte = path[i]
                            var next: UInt64
                            if byte < 0x80 {
                                next = candidates & ascii[Int(byte)]
                                i &+= 1
                            } else {
                                let (value, length) = decodeScalar(path, at: i)
                                i &+= length
                                next = 0
                                var bits = candidates
                                while bits != 0 {
                                    let q = bits.trailingZeroBitCount
                                    bits &= bits &- 1
                                    if predicates[q].matches(value, ranges: ranges) {
                                        next |= 1 << UInt64(q)
                                    }
                                }
                            }
                            if next == 0 { return false }
                            live = next
                            candidates = 0
                            var bits = next
                            while bits != 0 {
                                let p = bits.trailingZeroBitCount
                                bits &= bits &- 1
                                candidates |= follow[p]
                            }
                        }
                        return live & lastMask != 0
                    }
                }
            }
        }
    }

    private func matchesLarge(_ path: UnsafeBufferPointer<UInt8>) -> Bool {
        let words = (predicates.count + 63) / 64
        // Stack memory for the state sets keeps the call free of heap allocation.
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * words) { buffer in
            let live = UnsafeMutableBufferPointer(rebasing: buffer[0..<words])
            let candidates = UnsafeMutableBufferPointer(rebasing: buffer[words..<(2 * words)])
            live.update(repeating: 0)
            candidates.update(repeating: 0)
            for q in firstStates { candidates[Int(q) >> 6] |= 1 << UInt64(Int(q) & 63) }
            return predicates.withUnsafeBufferPointer { predicates in
                ranges.withUnsafeBufferPointer { ranges in
                    var i = 0
                    let n = path.count
                    while i < n {
                        let (value, length) = decodeScalar(path, at: i)
                        i &+= length
                        var any: UInt64 = 0
                        for w in 0..<words {
                            var bits = candidates[w]
                            var next: UInt64 = 0
                            while bits != 0 {
                                let bit = bits.trailingZeroBitCount
                                bits &= bits &- 1
                                if predicates[w &* 64 &+ bit].matches(value, ranges: ranges) {
                                    next |= 1 << UInt64(bit)
                                }
                            }
                            live[w] = next
                            any |= next
                        }
                        if any == 0 { return false }
                        candidates.update(repeating: 0)
                        for w in 0..<words {
                            var bits = live[w]
                            while bits != 0 {
                                let p = w &* 64 &+ bits.trailingZeroBitCount
                                bits &= bits &- 1
                                for k in Int(followStart[p])..<Int(followStart[p &+ 1]) {
                                    let q = Int(followStates[k])
                                    candidates[q >> 6] |= 1 << UInt64(q & 63)
                                }
                            }
                        }
                    }
                    for w in 0..<words where live[w] & lastWords[w] != 0 {
                        return true
                    }
                    return false
                }
            }
        }
    }

    /// Glushkov construction: each predicate occurrence becomes a state; `follow[p]`
    /// lists the states that may consume the scalar after state `p` consumed one.
    private struct Builder {
        var predicates: [GlobPredicate] = []
        var follow: [[Int]] = []

        mutating func add(_ predicate: GlobPredicate) -> Int {
            predicates.append(predicate)
            follow.append([])
            return predicates.count - 1
        }

        mutating func visit(_ node: GlobNode) -> (nullable: Bool, first: [Int], last: [Int]) {
            switch node {
            case .empty:
                return (true, [], [])
            case .atom(let predicate):
                let q = add(predicate)
                return (false, [q], [q])
            case .star(let predicate):
                let q = add(predicate)
                follow[q].append(q)
                return (true, [q], [q])
            case .optional(let inner):
                let r = visit(inner)
                return (true, r.first, r.last)
            case .alternation(let branches):
                var result = (nullable: false, first: [Int](), last: [Int]())
                for branch in branches {
                    let r = visit(branch)
                    result.nullable = result.nullable || r.nullable
                    result.first += r.first
                    result.last += r.last
                }
                return result
            case .sequence(let parts):
                var result = (nullable: true, first: [Int](), last: [Int]())
                for part in parts {
                    let r = visit(part)
                    for p in result.last { follow[p] += r.first }
                    if result.nullable { result.first += r.first }
                    result.last = r.nullable ? result.last + r.last : r.last
                    result.nullable = result.nullable && r.nullable
                }
                return result
            }
        }
    }
}
