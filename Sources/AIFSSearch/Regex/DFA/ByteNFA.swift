/// A Thompson NFA over bytes, compiled from ``RegexSyntax``: characters become their
/// UTF-8 byte sequences, so the automaton reads raw bytes and invalid UTF-8 simply
/// matches nothing, as with PCRE2's `MATCH_INVALID_UTF`.
struct ByteNFA: Sendable {
    /// A state. Byte states consume one byte in `low...high`; split states consume
    /// nothing and go on to each of `targets`.
    enum State: Sendable {
        case byteRange(low: UInt8, high: UInt8, next: Int32)
        case split([Int32])
        case match
    }

    struct TooBig: Error {}

    private(set) var states: [State] = []
    private(set) var start: Int32 = 0

    /// The most states a pattern may compile to (`\w{1000}` would be about two million).
    static let stateLimit = 60_000

    init(_ syntax: RegexSyntax) throws(TooBig) {
        let match = add(.match)
        start = try compile(syntax, next: match)
    }

    private mutating func add(_ state: State) -> Int32 {
        states.append(state)
        return Int32(states.count - 1)
    }

    /// Compiles `node` so that it continues to `next`, and returns its entry state.
    private mutating func compile(_ node: RegexSyntax, next: Int32) throws(TooBig) -> Int32 {
        guard states.count < Self.stateLimit else { throw TooBig() }
        switch node {
        case .empty:
            return next
        case .character(let set):
            let sequences = sortedSequences(of: set)
            return try compileSequences(sequences, 0..<sequences.count, depth: 0, next: next)
        case .concatenation(let items):
            var entry = next
            for item in items.reversed() { entry = try compile(item, next: entry) }
            return entry
        case .alternation(let branches):
            var targets: [Int32] = []
            for branch in branches { targets.append(try compile(branch, next: next)) }
            return add(.split(targets))
        case .repetition(let item, let minimum, let maximum):
            var entry = next
            if let maximum {
                // The optional copies, innermost last: each may stop and go on to `next`.
                for _ in 0..<(maximum - minimum) {
                    let body = try compile(item, next: entry)
                    entry = add(.split([body, next]))
                }
            } else {
                // A loop: split → item → split.
                let loop = add(.split([]))
                let body = try compile(item, next: loop)
                states[Int(loop)] = .split([body, next])
                entry = loop
            }
            for _ in 0..<minimum { entry = try compile(item, next: entry) }
            return entry
        }
    }

    /// Each character set's UTF-8 sequences, sorted (``sortedSequences(of:)``), so that
    /// a set repeated (`\w{9}`) is split into sequences once.
    private var sequenceCache: [ScalarSet: [[ClosedRange<UInt8>]]] = [:]

    /// `set`'s UTF-8 sequences in lexicographic order of their ranges (a sequence
    /// before any longer one it begins), so that those sharing first ranges are
    /// adjacent at every depth.
    private mutating func sortedSequences(of set: ScalarSet) -> [[ClosedRange<UInt8>]] {
        if let cached = sequenceCache[set] { return cached }
        let sorted = set.utf8Sequences.sorted { lhs, rhs in
            for (left, right) in zip(lhs, rhs) where left != right {
                return (left.lowerBound, left.upperBound) < (right.lowerBound, right.upperBound)
            }
            return lhs.count < rhs.count
        }
        sequenceCache[set] = sorted
        return sorted
    }

    /// The byte sequences `sequences[range]`, which agree on their ranges before
    /// `depth`, as a trie (sequences sharing a range at `depth` share its state), each
    /// going on to `next` after its last byte.
    private mutating func compileSequences(
        _ sequences: [[ClosedRange<UInt8>]], _ range: Range<Int>, depth: Int, next: Int32
    ) throws(TooBig) -> Int32 {
        guard states.count < Self.stateLimit else { throw TooBig() }
        var targets: [Int32] = []
        var index = range.lowerBound
        while index < range.upperBound {
            let byteRange = sequences[index][depth]
            var end = index
            while end < range.upperBound, sequences[end][depth] == byteRange { end += 1 }
            // In lexicographic order a sequence that ends here comes before the longer
            // ones with the same ranges.
            var restStart = index
            var after: [Int32] = []
            if sequences[index].count == depth + 1 {
                after.append(next)
                restStart = index + 1
                while restStart < end, sequences[restStart].count == depth + 1 { restStart += 1 }
            }
            if restStart < end { after.append(try compileSequences(sequences, restStart..<end, depth: depth + 1, next: next)) }
            let continuation = after.count == 1 ? after[0] : add(.split(after))
            targets.append(add(.byteRange(low: byteRange.lowerBound, high: byteRange.upperBound, next: continuation)))
            index = end
        }
        if targets.isEmpty { return add(.split([])) }  // an empty class matches nothing
        return targets.count == 1 ? targets[0] : add(.split(targets))
    }
}
