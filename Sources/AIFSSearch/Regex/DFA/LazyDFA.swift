import Synchronization

/// A lazy DFA over bytes that tells whether, and where first, a match of a regular
/// pattern ends: the line filter for regexes without a required literal (design note
/// 0012).
///
/// The DFA's states are sets of ``ByteNFA`` states, made on demand as the haystack
/// asks for them and kept in a per-thread ``LazyDFACache`` with a byte budget. The search
/// is unanchored (the start set is added after every byte, a `.*?` prefix), and it
/// stops at the first byte where some match ends. Which strings match, unlike which span
/// a backtracking engine reports, does not depend on the engine, so this answer is
/// PCRE2's for the patterns ``RegexSyntaxParser`` accepts.
///
/// ## Threading
/// Immutable apart from its pool of caches, which a `Mutex` guards: any thread may call
/// ``firstMatchEnd(in:from:)`` at any time; each call takes a cache from the pool (or
/// makes one) and gives it back.
final class LazyDFA: Sendable {
    /// How a search ended.
    enum Outcome: Equatable, Sendable {
        /// A match ends at this offset (exclusive); no match ends earlier.
        case match(end: Int)
        case noMatch
        /// The cache thrashed (cleared too often for the bytes it got through): ask
        /// another engine.
        case gaveUp
    }

    let nfa: ByteNFA
    /// The epsilon closure of the NFA's start: its byte states, sorted.
    let startSet: [Int32]
    /// The pattern matches the empty string, so every position matches.
    let matchesEmpty: Bool
    /// The most bytes one cache may hold: transition rows and state sets.
    let byteBudget: Int
    /// Each byte's equivalence class: bytes that no NFA range tells apart share one,
    /// so a transition row has one entry per class, not per byte.
    let byteClasses: [UInt8]
    /// The number of classes: the length of a transition row.
    let classCount: Int
    private let pool = Mutex<[LazyDFACache]>([])

    /// The default budget per thread: 2 MiB (a row is 4 bytes per byte class).
    static let defaultByteBudget = 2 << 20

    /// Builds the DFA for `syntax`; nil when its NFA would be too big.
    init?(_ syntax: RegexSyntax, byteBudget: Int = LazyDFA.defaultByteBudget) {
        guard let nfa = try? ByteNFA(syntax) else { return nil }
        self.nfa = nfa
        self.byteBudget = byteBudget
        var boundaries = [Bool](repeating: false, count: 257)
        for state in nfa.states {
            if case .byteRange(let low, let high, _) = state {
                boundaries[Int(low)] = true
                boundaries[Int(high) + 1] = true
            }
        }
        var classes = [UInt8](repeating: 0, count: 256)
        var current = 0
        for byte in 1..<256 {
            if boundaries[byte] { current += 1 }
            classes[byte] = UInt8(current)
        }
        byteClasses = classes
        classCount = current + 1
        var closure = EpsilonClosure(stateCount: nfa.states.count)
        closure.beginSet()
        var set: [Int32] = []
        let matched = closure.add(nfa.start, nfa: nfa, into: &set)
        set.sort()
        startSet = set
        matchesEmpty = matched
    }

    /// Searches `haystack[start...]` for the first position where a match ends.
    /// `twoWalks: false` (for tests) searches with one walk only.
    func firstMatchEnd(in haystack: UnsafeBufferPointer<UInt8>, from start: Int, twoWalks: Bool = true) -> Outcome {
        if matchesEmpty { return .match(end: start) }
        let cache = pool.withLock { $0.popLast() } ?? LazyDFACache(dfa: self)
        defer { pool.withLock { $0.append(cache) } }
        return cache.search(haystack, from: start, twoWalks: twoWalks)
    }
}

/// The DFA states made so far for one ``LazyDFA``, and the scratch space to make more.
///
/// Transition rows have one entry per byte class (``LazyDFA/byteClasses``): the next
/// state's row offset, or
/// ``unknown`` (not computed yet), or ``matched`` (a match ends after this byte).
/// State 0 is the start state.
///
/// ## Threading
/// `@unchecked Sendable` only so that the ``LazyDFA``'s `Mutex` can hold it: one thread
/// at a time uses a cache, between taking it from the pool and giving it back.
final class LazyDFACache: @unchecked Sendable {
    static let unknown: Int32 = -1
    static let matched: Int32 = -2
    /// After this many clears in one search, a cache that gets through fewer than
    /// ``minimumBytesPerState`` bytes per state gives up (regex-automata's heuristic).
    static let minimumClears = 3
    static let minimumBytesPerState = 10

    private unowned let dfa: LazyDFA
    private var table: UnsafeMutablePointer<Int32>
    private var tableCapacity: Int
    private let stride: Int
    /// ``LazyDFA/byteClasses``, where the search loop reads it without a reference count.
    private let classes: UnsafeMutablePointer<UInt8>
    private var sets: [[Int32]] = []
    private var index: [[Int32]: Int32] = [:]
    private var setBytes = 0
    private var closure: EpsilonClosure

    init(dfa: LazyDFA) {
        self.dfa = dfa
        stride = dfa.classCount
        tableCapacity = stride * 16
        table = .allocate(capacity: tableCapacity)
        classes = .allocate(capacity: 256)
        classes.initialize(from: dfa.byteClasses, count: 256)
        closure = EpsilonClosure(stateCount: dfa.nfa.states.count)
        _ = addState(dfa.startSet)
    }

    deinit {
        table.deallocate()
        classes.deallocate()
    }

    /// The states made so far (for tests).
    var stateCount: Int { sets.count }

    private var usedBytes: Int { sets.count * stride * 4 + setBytes }

    /// Interns `set` as a state; returns its row offset.
    private func addState(_ set: [Int32]) -> Int {
        if let existing = index[set] { return Int(existing) * stride }
        let number = sets.count
        if (number + 1) * stride > tableCapacity {
            let capacity = tableCapacity * 2
            let grown = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
            grown.update(from: table, count: number * stride)
            table.deallocate()
            table = grown
            tableCapacity = capacity
        }
        (table + number * stride).update(repeating: Self.unknown, count: stride)
        sets.append(set)
        index[set] = Int32(number)
        setBytes += set.count * 4 + 64
        return number * stride
    }

    private func clear() {
        sets.removeAll(keepingCapacity: true)
        index.removeAll(keepingCapacity: true)
        setBytes = 0
        _ = addState(dfa.startSet)
    }

    /// The transition from the state at row `offset` on `byte`, computed and stored.
    /// When the cache is full it is cleared first, and `offset` and `other` (the other
    /// walk's state, or -1) are the same states' rows in the emptied cache.
    private func computeTransition(from offset: inout Int, other: inout Int, on byte: UInt8) -> Int32 {
        let source = sets[offset / stride]
        let column = Int(classes[Int(byte)])
        var next: [Int32] = []
        closure.beginSet()
        var matched = false
        for state in source {
            if case .byteRange(let low, let high, let target) = dfa.nfa.states[Int(state)], low <= byte, byte <= high {
                if closure.add(target, nfa: dfa.nfa, into: &next) { matched = true }
            }
        }
        if matched {
            table[offset + column] = Self.matched
            return Self.matched
        }
        // Unanchored: a match may start after any byte.
        for state in dfa.startSet { closure.addClosed(state, into: &next) }
        next.sort()
        if index[next] == nil, usedBytes + stride * 4 + next.count * 4 + 64 > dfa.byteBudget {
            let otherSet = other >= 0 ? sets[other / stride] : nil
            clears += 1
            clear()
            offset = addState(source)
            if let otherSet { other = addState(otherSet) }
        }
        let target = addState(next)
        table[offset + column] = Int32(target)
        return Int32(target)
    }

    private var clears = 0
    private var lastClearProgress = 0

    /// Computes the unknown transition of a walk in state `state` on `byte`; false when
    /// the cache thrashes (cleared ``minimumClears`` times, the last time after fewer
    /// than ``minimumBytesPerState`` bytes per state). `progress` counts the bytes the
    /// search has read.
    private func slowStep(state: inout Int, other: inout Int, byte: UInt8, progress: Int) -> Bool {
        let clearsBefore = clears
        _ = computeTransition(from: &state, other: &other, on: byte)
        if clears != clearsBefore {
            if clears >= Self.minimumClears, progress - lastClearProgress < Self.minimumBytesPerState * sets.count {
                return false
            }
            lastClearProgress = progress
        }
        return true
    }

    /// The first window of the two-walk search; each next one is twice as long, up to
    /// ``largestWindow``. Short at first, so that a match near the start costs little
    /// wasted work in the second walk.
    static let firstWindow = 2048
    static let largestWindow = 128 << 10

    /// The search. A DFA walk is a chain of dependent loads (each transition needs the
    /// state the previous one gave), so the processor mostly waits; two walks over two
    /// adjacent windows, interleaved, keep it busy. The second walk starts from the
    /// start state, so it can miss a match that begins in the first window: after the
    /// first walk finishes its window it goes on, next to a fresh walk from the second
    /// window's start, until the two are in the same state (the first walk's set of NFA
    /// states always contains the fresh one's, so from there on they agree, and the
    /// second walk was right); any match it finds before that comes first.
    func search(_ haystack: UnsafeBufferPointer<UInt8>, from start: Int, twoWalks: Bool = true) -> LazyDFA.Outcome {
        guard let base = haystack.baseAddress, start < haystack.count else { return .noMatch }
        clears = 0
        lastClearProgress = 0
        let end = haystack.count
        let classes = UnsafePointer(self.classes)
        var none = -1
        var first = 0
        var position = start
        var window = Self.firstWindow
        while twoWalks, end - position >= 2 * window {
            let middle = position + window
            var second = 0
            var secondPosition = middle
            var secondMatch: Int?
            var transitions = UnsafePointer(table)
            // Both walks, while both are on known transitions.
            while position < middle {
                let next = transitions[first &+ Int(classes[Int(base[position])])]
                let secondNext = transitions[second &+ Int(classes[Int(base[secondPosition])])]
                if next | secondNext >= 0 {
                    first = Int(next)
                    second = Int(secondNext)
                    position &+= 1
                    secondPosition &+= 1
                    continue
                }
                let progress = position + secondPosition
                if next < 0 {
                    if next == Self.matched { return .match(end: position + 1) }
                    guard slowStep(state: &first, other: &second, byte: base[position], progress: progress) else {
                        return .gaveUp
                    }
                } else {
                    if secondNext == Self.matched {
                        secondMatch = secondPosition + 1
                        break
                    }
                    guard slowStep(state: &second, other: &first, byte: base[secondPosition], progress: progress) else {
                        return .gaveUp
                    }
                }
                transitions = UnsafePointer(table)
            }
            let parked = sets[second / stride]
            // The rest of the first window.
            if let outcome = walk(base, state: &first, position: &position, end: middle, other: &none,
                                  progressBase: secondPosition) {
                return outcome
            }
            // The first walk and a fresh one from the second window's start, until they
            // agree or reach where the second walk stopped.
            var fresh = 0
            transitions = UnsafePointer(table)
            while first != fresh, position < secondPosition {
                let next = transitions[first &+ Int(classes[Int(base[position])])]
                if next < 0 {
                    if next == Self.matched { return .match(end: position + 1) }
                    guard slowStep(state: &first, other: &fresh, byte: base[position], progress: position + secondPosition)
                    else { return .gaveUp }
                    transitions = UnsafePointer(table)
                    continue
                }
                let freshNext = transitions[fresh &+ Int(classes[Int(base[position])])]
                if freshNext < 0 {
                    // A match of the fresh walk is the first walk's too, found above.
                    guard slowStep(state: &fresh, other: &first, byte: base[position], progress: position + secondPosition)
                    else { return .gaveUp }
                    transitions = UnsafePointer(table)
                    continue
                }
                first = Int(next)
                fresh = Int(freshNext)
                position &+= 1
            }
            if first == fresh {
                // They agree: the second walk was right.
                if let secondMatch { return .match(end: secondMatch) }
                first = addState(parked)
                position = secondPosition
            }
            // Otherwise the first walk got to where the second stopped, and goes on alone.
            window = min(window * 2, Self.largestWindow)
        }
        let progressBase = position
        return walk(base, state: &first, position: &position, end: end, other: &none, progressBase: progressBase)
            ?? .noMatch
    }

    /// One walk from `position` in `state` up to `end`: the outcome, or nil when it got
    /// there without a match. `progressBase + position` is the search's progress.
    private func walk(
        _ base: UnsafePointer<UInt8>, state: inout Int, position: inout Int, end: Int, other: inout Int,
        progressBase: Int
    ) -> LazyDFA.Outcome? {
        // The table pointer is a local: a class property read in the loop would be
        // checked for exclusive access on every byte. It changes only when a state is
        // added, in the slow path.
        var transitions = UnsafePointer(table)
        let classes = UnsafePointer(self.classes)
        while true {
            // The fast path: known transitions, four bytes at a time.
            var next: Int32 = 0
            while position &+ 4 <= end {
                let first = transitions[state &+ Int(classes[Int(base[position])])]
                if first < 0 { next = first; break }
                let second = transitions[Int(first) &+ Int(classes[Int(base[position &+ 1])])]
                if second < 0 { state = Int(first); position &+= 1; next = second; break }
                let third = transitions[Int(second) &+ Int(classes[Int(base[position &+ 2])])]
                if third < 0 { state = Int(second); position &+= 2; next = third; break }
                let fourth = transitions[Int(third) &+ Int(classes[Int(base[position &+ 3])])]
                if fourth < 0 { state = Int(third); position &+= 3; next = fourth; break }
                state = Int(fourth)
                position &+= 4
            }
            if next == 0 {
                guard position < end else { return nil }
                next = transitions[state &+ Int(classes[Int(base[position])])]
            }
            if next < 0 {
                if next == Self.matched { return .match(end: position + 1) }
                guard slowStep(state: &state, other: &other, byte: base[position], progress: progressBase + position)
                else { return .gaveUp }
                transitions = UnsafePointer(table)
                continue
            }
            state = Int(next)
            position &+= 1
        }
    }
}

/// Epsilon closures over a ``ByteNFA``, with a generation-stamped visited set so that
/// nothing is allocated per step.
struct EpsilonClosure {
    private var seen: [UInt32]
    private var generation: UInt32 = 0
    private var stack: [Int32] = []

    init(stateCount: Int) {
        seen = Array(repeating: 0, count: stateCount)
    }

    /// Starts a new set: states added before are forgotten.
    mutating func beginSet() {
        generation &+= 1
        if generation == 0 {
            for index in seen.indices { seen[index] = 0 }
            generation = 1
        }
    }

    /// Adds the byte states reachable from `state` without consuming a byte to `set`;
    /// returns whether the match state is reachable.
    mutating func add(_ state: Int32, nfa: ByteNFA, into set: inout [Int32]) -> Bool {
        var matched = false
        stack.append(state)
        while let current = stack.popLast() {
            guard seen[Int(current)] != generation else { continue }
            seen[Int(current)] = generation
            switch nfa.states[Int(current)] {
            case .byteRange: set.append(current)
            case .match: matched = true
            case .split(let targets): for target in targets.reversed() { stack.append(target) }
            }
        }
        return matched
    }

    /// Adds `state`, a byte state, unless the set has it.
    mutating func addClosed(_ state: Int32, into set: inout [Int32]) {
        guard seen[Int(state)] != generation else { return }
        seen[Int(state)] = generation
        set.append(state)
    }
}
