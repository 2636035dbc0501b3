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
            return try compileSequences(set.utf8Sequences[...], depth: 0, next: next)
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

    /// The byte sequences `sequences[...]`, all at `depth`, sharing common first ranges
    /// (a trie), each going on to `next` after its last byte.
    private mutating func compileSequences(
        _ sequences: ArraySlice<[ClosedRange<UInt8>]>, depth: Int, next: Int32
    ) throws(TooBig) -> Int32 {
        guard states.count < Self.stateLimit else { throw TooBig() }
        var targets: [Int32] = []
        // Sequences are grouped by their range at `depth`; the groups of the UTF-8
        // splitter come out sorted when each scalar range is, but equal ranges need not
        // be adjacent, so sort within this call.
        let sorted = sequences.sorted { lhs, rhs in
            (lhs[depth].lowerBound, lhs[depth].upperBound, lhs.count) < (rhs[depth].lowerBound, rhs[depth].upperBound, rhs.count)
        }
        var index = 0
        while index < sorted.count {
            let range = sorted[index][depth]
            var end = index
            while end < sorted.count, sorted[end][depth] == range { end += 1 }
            let group = sorted[index..<end]
            let rest = group.filter { $0.count > depth + 1 }
            var after: [Int32] = []
            if group.contains(where: { $0.count == depth + 1 }) { after.append(next) }
            if !rest.isEmpty { after.append(try compileSequences(rest[...], depth: depth + 1, next: next)) }
            let continuation = after.count == 1 ? after[0] : add(.split(after))
            targets.append(add(.byteRange(low: range.lowerBound, high: range.upperBound, next: continuation)))
            index = end
        }
        if targets.isEmpty { return add(.split([])) }  // an empty class matches nothing
        return targets.count == 1 ? targets[0] : add(.split(targets))
    }
}
