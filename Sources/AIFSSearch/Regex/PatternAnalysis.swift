/// What can be known about a PCRE2 pattern's matches from its syntax alone, for the
/// prefilter: literals every match contains, and whether matching a whole buffer finds
/// every match that matching its lines one at a time would.
///
/// The analysis reads PCRE2 syntax (literals, escapes, classes, groups, alternation,
/// quantifiers, anchors, lookaround, inline `(?i)`) and gives up — no literals, and
/// ``matchesDependOnLineBounds`` — on anything it does not model: backreferences,
/// recursion, conditionals, callouts, verbs such as `(*SKIP)`, `(?x)`, `\c`, octal
/// escapes. Giving up costs speed, never a match. It only ever sees patterns PCRE2 (or the
/// fallback engine) has compiled, so it need not report syntax errors.
struct PatternAnalysis: Hashable, Sendable {
    /// Every match contains at least one of these; nil when no useful set is known.
    var requiredLiterals: RequiredLiteralSet?

    /// True when a match within a line might be missed by one search over a buffer of many
    /// lines with the same compiled pattern: the pattern has `^`, `$`, `\A`, `\z`, `\Z` or
    /// `\G` (whose meaning depends on where the subject ends), lookaround (which can see
    /// past a line's end), atomic groups or possessive quantifiers (which can consume a
    /// line terminator and then fail where the line alone would match), `\K`, or anything
    /// the analysis gave up on. Without these, every match within a line is also a match
    /// at the same place in the buffer: `\b` and `\w` treat a newline like the end of the
    /// subject.
    var matchesDependOnLineBounds: Bool

    /// Nothing known.
    static let unknown = PatternAnalysis(requiredLiterals: nil, matchesDependOnLineBounds: true)

    /// Analyses one pattern.
    ///
    /// - Parameters:
    ///   - pattern: a pattern in PCRE2 syntax that compiles.
    ///   - caseInsensitive: whether the pattern is compiled caseless.
    init(pattern: some Sequence<UInt8>, caseInsensitive: Bool) {
        var parser = PatternParser(Array(pattern))
        guard let info = try? parser.parsePattern(caseless: caseInsensitive) else {
            self = .unknown
            return
        }
        requiredLiterals = info.required
        matchesDependOnLineBounds = parser.dependsOnLineBounds
    }

    init(requiredLiterals: RequiredLiteralSet?, matchesDependOnLineBounds: Bool) {
        self.requiredLiterals = requiredLiterals
        self.matchesDependOnLineBounds = matchesDependOnLineBounds
    }

    /// The analysis of the alternation `(?:P1)|(?:P2)|…` of patterns with these analyses:
    /// a match contains a literal of whichever pattern matched.
    static func alternation(of parts: [PatternAnalysis]) -> PatternAnalysis {
        var members: [RequiredLiteral] = []
        var complete = !parts.isEmpty
        for part in parts {
            guard let literals = part.requiredLiterals else {
                complete = false
                break
            }
            members += literals.members
        }
        return PatternAnalysis(
            requiredLiterals: complete ? RequiredLiteralSet(members) : nil,
            matchesDependOnLineBounds: parts.contains { $0.matchesDependOnLineBounds })
    }
}

/// What the analysis knows about the strings one piece of a pattern matches.
///
/// Every string the piece matches: equals `exact` (when known), starts with `prefix`,
/// ends with `suffix`, and contains a member of `required` (when known). Zero-width
/// items (anchors, lookaround) are `exact` empty strings: they add no bytes, so the
/// literals around them stay adjacent in every match.
struct PatternInfo {
    var exact: RequiredLiteral?
    var prefix: RequiredLiteral
    var suffix: RequiredLiteral
    var required: RequiredLiteralSet?

    /// Characters of which nothing is known (`.`, `\w`, `[a-z]`, `é` when caseless,
    /// `x?`); also used for items that may match the empty string.
    static let unknown = PatternInfo(exact: nil, prefix: RequiredLiteral(), suffix: RequiredLiteral(), required: nil)

    /// A zero-width item.
    static let empty = PatternInfo.exactly(RequiredLiteral())

    static func exactly(_ literal: RequiredLiteral) -> PatternInfo {
        PatternInfo(exact: literal, prefix: literal, suffix: literal, required: RequiredLiteralSet([literal]))
    }
}

/// Longer exact repetitions are cut to this many bytes: enough for any prefilter, and it
/// keeps `a{60000}` from building a 60 kB literal.
private let repetitionByteLimit = 256

extension PatternInfo {
    /// A literal character: its UTF-8 bytes. Caseless, an ASCII letter matches in either
    /// case, but `k` and `s` also match the Kelvin sign (U+212A) and long s (U+017F),
    /// and a non-ASCII letter may match other byte sequences: those become unknown.
    static func literal(_ scalar: [UInt8], caseless: Bool) -> PatternInfo {
        guard caseless else { return .exactly(RequiredLiteral(exactly: scalar)) }
        guard scalar.count == 1, scalar[0] < 0x80 else { return .unknown }
        let byte = scalar[0]
        guard isLetter(byte) else { return .exactly(RequiredLiteral(exactly: scalar)) }
        let lower = byte | 0x20
        if lower == UInt8(ascii: "k") || lower == UInt8(ascii: "s") { return .unknown }
        return .exactly(RequiredLiteral(caselessLetter: lower))
    }

    /// Items one after another. Adjacent exact items join into runs; an inexact item ends a
    /// run after adding its prefix, and starts the next with its suffix. The required set
    /// is the cheapest of the runs and the items' own sets.
    static func concatenation(_ items: [PatternInfo]) -> PatternInfo {
        var run = RequiredLiteral()
        var prefix = RequiredLiteral()
        var prefixOpen = true
        var allExact = true
        var best: RequiredLiteralSet?
        for item in items {
            if let exact = item.exact {
                run += exact
                if prefixOpen { prefix += exact }
                continue
            }
            allExact = false
            run += item.prefix
            best = RequiredLiteralSet.cheaper(best, RequiredLiteralSet([run]))
            best = RequiredLiteralSet.cheaper(best, item.required)
            if prefixOpen {
                prefix += item.prefix
                prefixOpen = false
            }
            run = item.suffix
        }
        best = RequiredLiteralSet.cheaper(best, RequiredLiteralSet([run]))
        return PatternInfo(exact: allExact ? run : nil, prefix: prefix, suffix: run, required: best)
    }

    /// Alternatives: a match is a match of one branch, so it contains one of the branches'
    /// required literals, and starts (ends) with what all branches start (end) with.
    static func alternation(_ branches: [PatternInfo]) -> PatternInfo {
        guard var result = branches.first else { return .empty }
        if branches.count == 1 { return result }
        var members: [RequiredLiteral] = []
        var everyBranchHasSet = true
        for branch in branches {
            if let set = branch.required { members += set.members } else { everyBranchHasSet = false }
        }
        for branch in branches.dropFirst() {
            if result.exact != branch.exact { result.exact = nil }
            result.prefix = result.prefix.common(with: branch.prefix, fromEnd: false)
            result.suffix = result.suffix.common(with: branch.suffix, fromEnd: true)
        }
        var best = everyBranchHasSet ? RequiredLiteralSet(members) : nil
        best = RequiredLiteralSet.cheaper(best, RequiredLiteralSet([result.prefix]))
        best = RequiredLiteralSet.cheaper(best, RequiredLiteralSet([result.suffix]))
        result.required = best
        return result
    }

    /// An item repeated `min` to `max` times. With `min == 0` nothing is required; else
    /// each match starts with the first repetition and ends with the last.
    static func repeated(_ item: PatternInfo, min: Int, max: Int?) -> PatternInfo {
        guard min > 0 else { return .unknown }
        guard let exact = item.exact else { return item }
        let copies = exact.isEmpty ? 1 : Swift.min(min, Swift.max(1, repetitionByteLimit / exact.count))
        let repeatedExact = exact.repeated(copies)
        if copies == min, max == min { return .exactly(repeatedExact) }
        return PatternInfo(
            exact: nil, prefix: repeatedExact, suffix: repeatedExact, required: RequiredLiteralSet([repeatedExact]))
    }
}

private func isLetter(_ byte: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) }
