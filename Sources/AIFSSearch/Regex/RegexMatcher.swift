/// A ``Matcher`` for PCRE2 regular expressions (`rg -P`), JIT-compiled, with a literal
/// prefilter.
///
/// ```swift
/// let matcher = try RegexMatcher(patterns: [#"[A-Z][a-z]+Manager"#])
/// let line = Array("let fileManager = FileManager.default".utf8)
/// let range = line.withUnsafeBufferPointer { matcher.firstMatch(in: $0, from: 0) }
/// // range == 18..<29, "FileManager"
/// ```
///
/// Patterns use PCRE2 syntax and are compiled in UTF mode with Unicode properties (`\w`,
/// `\d`, `\b` and case folding know about non-ASCII letters), as `rg -P` does by default.
/// Invalid UTF-8 in a haystack is searched, not rejected: it never matches `.` or a class,
/// and text around it matches as usual.
///
/// ## Engines
/// libpcre2-8 is loaded at run time (``pcre2LoadProblem`` says why not, when it cannot be);
/// ``engineDescription`` names what runs: PCRE2 with JIT, interpreted PCRE2 (a build
/// without JIT, or no executable memory), or, without libpcre2-8, a slower fallback on
/// Swift's `Regex` that lacks lookbehind and replaces invalid UTF-8 by U+FFFD. A subject on
/// which pcre2_match gives up (its match, depth or heap limit: `(a+)+$` on a run of `a`s)
/// is decided by pcre2_dfa_match, which does not backtrack; one that neither decides is
/// `.undecided` in ``matchResult(in:from:)``, and the searcher reports the line as a
/// problem instead of dropping it.
///
/// ## The prefilter
/// ``candidate(in:from:)`` first looks for a literal that every match must contain,
/// worked out from the pattern (`Manager` in `[A-Z][a-z]+Manager`; `foo` or `bar`,
/// whichever is rarer, in `foo\d+bar`; one of several for `Error|Warning`), with `memchr`
/// or a SIMD scan. Without one, a lazy DFA over bytes (``LazyDFA``, design note 0012)
/// finds where the first match ends, for the patterns it models and where it measured
/// faster than PCRE2; otherwise the regex runs over the whole buffer, or, when the
/// pattern's meaning depends on where a line ends (`^`, `$`, lookaround), over each
/// `\n`-terminated line in turn (also trying a line without a final `\r`). PCRE2 always
/// confirms the line and finds the match's span.
///
/// ## Threading
/// Immutable after `init`: one matcher serves every thread at once. Each thread gets its
/// own PCRE2 match data (kept for the thread's life), so matching allocates nothing in the
/// steady state.
///
/// ## Known problems
/// - ``candidate(in:from:)`` assumes lines end in `\n` (or `\r\n`): with NUL-terminated
///   records (`--null-data`), a pattern that depends on line bounds and matches across a
///   `\n` inside a record can be missed by the prefilter.
/// - As in ripgrep, patterns are combined into one with `(?:P1)|(?:P2)`: a pattern that
///   ends in an unterminated `(?x)` comment swallows the closing parenthesis, and the
///   combination then fails to compile even though each pattern alone compiles.
public final class RegexMatcher: Matcher {
    /// Which engine to build: tests force the interpreter or the fallback.
    enum EngineChoice: Sendable {
        /// PCRE2 with JIT if possible, else interpreted PCRE2, else the fallback.
        case automatic
        /// PCRE2 without JIT (the fallback if PCRE2 is unavailable).
        case pcre2Interpreter
        /// Swift's `Regex`, as when libpcre2-8 cannot be loaded.
        case fallback
    }

    /// Whether to use the lazy DFA where it applies: tests force it on or off.
    enum DFAChoice: Sendable {
        /// Where it measured faster than PCRE2 (``makeDFA(_:options:choice:)``).
        case measured
        /// Wherever the pattern allows.
        case always
        case never
    }

    private enum Prefilter: Sendable {
        /// Scan for a required literal (``literals``).
        case literals
        /// Run the regex once over the rest of the buffer.
        case wholeBuffer
        /// Run the lazy DFA over the rest of the buffer (``dfa``); where its cache
        /// thrashes, as ``wholeBuffer``.
        case dfa
        /// Run the regex on each line.
        case lineByLine
        /// There are no patterns: nothing matches.
        case nothing
    }

    // Exactly one of `pcre2` and `fallback` is set. The hot path reads `pcre2`, a plain
    // value, rather than the `PCRE2Code` object: see PCRE2Program's design rationale.
    private let pcre2: PCRE2Program?
    /// Keeps the compiled pattern that `pcre2` points to alive.
    private let pcre2Owner: PCRE2Code?
    private let fallback: FallbackRegex?
    /// Named groups' numbers and the number of groups, for ``captures(in:from:)``.
    private let groupNumbers: [String: Int]
    private let captureCount: Int
    private let prefilter: Prefilter
    private let literals: LiteralSetScanner?
    /// The lazy DFA that finds candidate lines when there is no required literal.
    let dfa: LazyDFA?
    /// What the pattern analysis found (for tests and logs).
    let analysis: PatternAnalysis

    /// Which engine is in use, for logs and stats: `"pcre2-jit"`, `"pcre2"` (interpreted:
    /// this PCRE2 has no JIT, or the JIT could not get executable memory), or `"fallback"`
    /// (Swift's `Regex`, because libpcre2-8 could not be loaded; see
    /// ``pcre2LoadProblem``).
    public let engineDescription: String

    /// Why libpcre2-8 could not be loaded, or nil when it was: for example `libpcre2-8
    /// could not be loaded (libpcre2-8.so.0: cannot open shared object file: No such file
    /// or directory)`.
    ///
    /// When this is not nil, every ``RegexMatcher`` uses the slower fallback engine. The
    /// library prints nothing itself; a command-line tool should warn once.
    public static var pcre2LoadProblem: String? {
        if case .failure(let failure) = PCRE2Library.shared {
            return "libpcre2-8 could not be loaded (\(failure.message))"
        }
        return nil
    }

    /// The groups of the leftmost match in `haystack` from `start`, for `-r`'s `$1` and
    /// `${name}`: element 0 is the whole match, then each group (nil where it did not
    /// take part). Nil without a match. With the fallback engine only the whole match is
    /// known.
    public func captures(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> [Range<Int>?]? {
        guard start >= 0, start <= haystack.count else { return nil }
        let from = UTF8Scalars.boundary(atOrAfter: start, in: haystack)
        if let pcre2 { return pcre2.captures(haystack, from: from, groupCount: captureCount) }
        return firstMatch(in: haystack, from: from).map { [$0] }
    }

    /// The number of the group named `name`, if the pattern has one.
    public func groupNumber(named name: String) -> Int? {
        groupNumbers[name]
    }

    /// Compiles one or more patterns (`rg -e P1 -e P2`); a line matches when any pattern
    /// does. Several patterns are combined as `(?:P1)|(?:P2)`.
    ///
    /// An empty list gives a matcher that matches nothing.
    ///
    /// - Parameters:
    ///   - patterns: patterns in PCRE2 syntax, or literal strings with
    ///     ``RegexOptions/literal``.
    ///   - options: case, `-w`, `-x` and `-F`.
    /// - Throws: ``SearchError/Code/invalidPattern`` when a pattern does not compile; the
    ///   message names the pattern, PCRE2's 0-based byte offset and its explanation, e.g.
    ///   `invalid pattern 'a(b': missing closing parenthesis at offset 3`.
    public convenience init(patterns: [String], options: RegexOptions = RegexOptions()) throws(SearchError) {
        try self.init(patterns: patterns, options: options, engine: .automatic)
    }

    /// Compiles `patterns` with the engine chosen (tests use this to force one).
    init(
        patterns: [String], options: RegexOptions, engine choice: EngineChoice, dfa dfaChoice: DFAChoice = .measured
    ) throws(SearchError) {
        let pieces = patterns.isEmpty ? ["(?!)"] : RegexPatternBuilder.pieces(of: patterns, options: options)
        var analysis = PatternAnalysis.alternation(
            of: pieces.map { PatternAnalysis(pattern: $0.utf8, caseInsensitive: options.caseInsensitive) })
        if options.wholeLine || options.multiline { analysis.matchesDependOnLineBounds = true }

        let library: PCRE2Library? = switch (choice, PCRE2Library.shared) {
        case (.fallback, _), (_, .failure): nil
        case (_, .success(let library)): library
        }
        if let library {
            let code = try Self.compilePCRE2(pieces, options: options, jit: choice == .automatic, library: library)
            pcre2Owner = code
            pcre2 = code.program
            fallback = nil
            groupNumbers = code.groupNumbers
            captureCount = code.captureCount
            engineDescription = code.program.usesJIT ? "pcre2-jit" : "pcre2"
            // PCRE2's own analysis as a safety net for ours: a pattern that can match the
            // empty string, or whose shortest match is shorter than every required
            // literal, cannot have that literal in every match.
            if let literals = analysis.requiredLiterals {
                let shortest = literals.members.map(\.scalarCount).min() ?? 0
                if code.canMatchEmpty == true || (code.minimumLength.map { $0 < shortest } ?? false) {
                    analysis.requiredLiterals = nil
                }
            }
        } else {
            fallback = try Self.compileFallback(pieces, options: options)
            pcre2 = nil
            pcre2Owner = nil
            groupNumbers = [:]
            captureCount = 0
            engineDescription = "fallback"
        }
        self.analysis = analysis

        literals = analysis.requiredLiterals.map(LiteralSetScanner.init)
        dfa = patterns.isEmpty || literals != nil || pcre2 == nil || analysis.matchesDependOnLineBounds
            ? nil : Self.makeDFA(pieces, options: options, choice: dfaChoice)
        if patterns.isEmpty {
            prefilter = .nothing
        } else if literals != nil {
            prefilter = .literals
        } else if dfa != nil {
            prefilter = .dfa
        } else if pcre2 != nil, !analysis.matchesDependOnLineBounds {
            prefilter = .wholeBuffer
        } else {
            // The fallback engine works on Strings: converting a whole buffer would cost
            // more than matching its lines one at a time.
            prefilter = .lineByLine
        }
    }

    /// How ``candidate(in:from:)`` works, for logs: `literal Manager`, `whole buffer`,
    /// `line by line` or `nothing`.
    var prefilterDescription: String {
        switch prefilter {
        case .literals: "literal " + (literals?.scanners.map(\.literal.description).joined(separator: "|") ?? "")
        case .wholeBuffer: "whole buffer"
        case .dfa: "lazy DFA"
        case .lineByLine: "line by line"
        case .nothing: "nothing"
        }
    }

    // MARK: Compiling

    /// The lazy DFA for `pieces`, or nil when some piece uses syntax it does not model,
    /// or an option it does not (`-w`, `-x`, `-U`, `--no-unicode`), or when PCRE2's JIT
    /// over the whole buffer is the faster engine: see design note 0012.
    static func makeDFA(_ pieces: [String], options: RegexOptions, choice: DFAChoice = .measured) -> LazyDFA? {
        if choice == .never { return nil }
        guard options.unicode, !options.wordBoundary, !options.wholeLine, !options.multiline else { return nil }
        var branches: [RegexSyntax] = []
        for piece in pieces {
            guard let tree = try? RegexSyntaxParser.parse(piece, caseless: options.caseInsensitive) else { return nil }
            branches.append(tree)
        }
        let syntax = branches.count == 1 ? branches[0] : .alternation(branches)
        // Measured on the bench corpus (0012): the JIT skips to a possible first byte
        // and is 1.5-2.5x faster than the DFA when those are rare (`[A-Z][a-z]{12}`,
        // `[0-9]{5}[a-z]`), and 2-4x slower when they are common (`[a-z]{20}`,
        // `\w+\s\d`) or when nested repetitions make it backtrack (`([a-z]+\s+){5}\d{6}`).
        // A pattern that matches the empty string matches every line either way.
        if choice == .measured {
            let (first, canBeEmpty) = syntax.firstBytes
            if canBeEmpty { return nil }
            let frequency = first.indices.filter { first[$0] }.reduce(0) { $0 + UInt64(ByteFrequencies.table[$1]) }
            if Double(frequency) / Double(1 << 24) < 0.1, !syntax.hasNestedRepetition { return nil }
        }
        guard let dfa = LazyDFA(syntax) else { return nil }
        return dfa
    }

    private static let compileOptions = PCRE2.utf | PCRE2.matchInvalidUTF | PCRE2.ucp

    private static func compilePCRE2(
        _ pieces: [String], options: RegexOptions, jit: Bool, library: PCRE2Library
    ) throws(SearchError) -> PCRE2Code {
        let flags = (options.unicode ? compileOptions : PCRE2.utf | PCRE2.matchInvalidUTF)
            | (options.caseInsensitive ? PCRE2.caseless : 0)
            | (options.multiline ? PCRE2.multiline : 0) | (options.multiline && options.dotAll ? PCRE2.dotAll : 0)
        let combined = RegexPatternBuilder.combined(pieces, options: options)
        // When wrapped or joined, each pattern is first compiled alone: inside the
        // combination an error would be reported at the wrong offset, and an unbalanced
        // pattern such as `a)|(b` could even compile into something else.
        if combined != pieces[0] || pieces.count > 1 {
            for piece in pieces {
                do {
                    _ = try PCRE2Code(pattern: Array(piece.utf8), options: flags, jit: false, library: library)
                } catch {
                    throw invalidPattern(piece, error)
                }
            }
        }
        do {
            // ripgrep's word characters (UTS #18), after each piece's own check.
            let compiled = options.unicode ? UnicodeWordRewriter.rewrite(combined) : combined
            return try PCRE2Code(pattern: Array(compiled.utf8), options: flags, jit: jit, dfa: true, library: library)
        } catch {
            throw invalidPattern(combined, error)
        }
    }

    private static func invalidPattern(_ pattern: String, _ error: PCRE2CompileError) -> SearchError {
        SearchError(
            .invalidPattern, "invalid pattern '\(pattern)': \(error.message) at offset \(error.offset)",
            path: pattern)
    }

    private static func compileFallback(_ pieces: [String], options: RegexOptions) throws(SearchError) -> FallbackRegex {
        let combined = RegexPatternBuilder.combined(pieces, options: options, lookbehindAvailable: false)
        let checkWordStart = options.wordBoundary && !options.wholeLine
        func compile(_ pattern: String) throws(FallbackCompileError) -> FallbackRegex {
            try FallbackRegex(pattern: pattern, caseInsensitive: options.caseInsensitive, checkWordStart: checkWordStart)
        }
        let engineNote = pcre2LoadProblem.map { " (checked by the fallback engine: \($0))" }
            ?? " (checked by the fallback engine)"
        for piece in pieces where pieces.count > 1 || combined != piece {
            do {
                _ = try compile(piece)
            } catch {
                throw SearchError(.invalidPattern, "invalid pattern '\(piece)': \(error.message)\(engineNote)", path: piece)
            }
        }
        do {
            return try compile(combined)
        } catch {
            throw SearchError(
                .invalidPattern, "invalid pattern '\(combined)': \(error.message)\(engineNote)", path: combined)
        }
    }

    // MARK: Matching

    /// The leftmost match starting at or after `start`, as byte offsets into `haystack`.
    ///
    /// The whole of `haystack` is the subject: `haystack[..<start]` is context that
    /// lookbehind and `\b` see, and `^` matches only at offset 0. A `start` inside a
    /// multi-byte UTF-8 character moves to the character's end. A pattern that can match
    /// the empty string may return an empty range. When pcre2_match gives up (its match,
    /// depth or heap limit, on a pattern that backtracks exponentially), PCRE2's DFA
    /// matcher, which does not backtrack, decides instead; its match is the longest at
    /// the same start, which can end later than the one pcre2_match would have found.
    /// When the DFA gives up too, this reports no match: ``matchResult(in:from:)`` tells
    /// that case apart.
    ///
    /// - Returns: the match, or nil (also when `start` is outside `0...haystack.count`).
    public func firstMatch(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Range<Int>? {
        guard start >= 0, start <= haystack.count else { return nil }
        let from = UTF8Scalars.boundary(atOrAfter: start, in: haystack)
        if let pcre2 {
            if case .match(let range) = pcre2.match(haystack, from: from) { return range }
            return nil
        }
        return fallback?.firstMatch(in: haystack, from: from)
    }

    /// ``firstMatch(in:from:)``, with `.undecided` when neither pcre2_match nor the DFA
    /// could decide (a backreference under exponential backtracking, invalid UTF-8 in the
    /// subject, or more states than the DFA's workspace holds).
    public func matchResult(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> MatchResult {
        guard start >= 0, start <= haystack.count else { return .noMatch }
        let from = UTF8Scalars.boundary(atOrAfter: start, in: haystack)
        if let pcre2 {
            switch pcre2.match(haystack, from: from) {
            case .match(let range): return .match(range)
            case .noMatch: return .noMatch
            case .failed(let code): return .undecided(reason: "PCRE2: " + pcre2.message(forErrorCode: code))
            }
        }
        return fallback?.firstMatch(in: haystack, from: from).map(MatchResult.match) ?? .noMatch
    }

    /// A position at or after `start` on whose line a match may be, or nil when no line
    /// that holds `start` or follows it can match (the prefilter contract of ``Matcher``).
    ///
    /// With a required literal, this is where the literal occurs (or `start`, when it
    /// occurs earlier on `start`'s line). Otherwise it is where the regex matches in the
    /// buffer, or the first line that matches; see the type's discussion. Lines end in
    /// `\n`, and the line that holds `start` is considered from its beginning.
    public func candidate(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start >= 0, start <= haystack.count else { return nil }
        switch prefilter {
        case .nothing:
            return nil
        case .literals:
            let lineStart = LineBoundaries.start(containing: start, in: haystack)
            return literals?.firstOccurrence(in: haystack, from: lineStart).map { max($0, start) }
        case .dfa:
            let lineStart = LineBoundaries.start(containing: start, in: haystack)
            switch dfa?.firstMatchEnd(in: haystack, from: lineStart) {
            // The line where the first match ends holds the first match, or comes before
            // the first line that holds one (a match can span a `\n`, a line cannot).
            case .match(let end): return max(end - 1, start)
            case .noMatch: return nil
            case .gaveUp, nil: return wholeBufferCandidate(in: haystack, from: start)
            }
        case .wholeBuffer:
            return wholeBufferCandidate(in: haystack, from: start)
        case .lineByLine:
            return lineByLineCandidate(in: haystack, from: start)
        }
    }

    /// The first match of the regex over the buffer from `start`'s line on.
    private func wholeBufferCandidate(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let code = pcre2 else { return lineByLineCandidate(in: haystack, from: start) }
        let lineStart = LineBoundaries.start(containing: start, in: haystack)
        // When the buffer ends in invalid UTF-8 and the JIT would read past it (see
        // PCRE2Code), the JIT searches up to the last line's start and the last line
        // is tried alone, instead of the interpreter running over the whole buffer.
        let searchEnd = code.jitMayReadPastEnd(of: haystack)
            ? LineBoundaries.start(containing: haystack.count, in: haystack) : haystack.count
        if lineStart < searchEnd || searchEnd == haystack.count {
            switch code.match(UnsafeBufferPointer(rebasing: haystack[..<searchEnd]), from: lineStart) {
            case .match(let range): return max(range.lowerBound, start)
            case .noMatch: break
            // A limit hit over the long buffer says nothing about single lines.
            case .failed: return lineByLineCandidate(in: haystack, from: start)
            }
        }
        guard searchEnd < haystack.count else { return nil }
        return lineByLineCandidate(in: haystack, from: max(searchEnd, start))
    }

    /// The first line from `start`'s on that matches, tried alone (and, if it ends in
    /// `\r`, also without it, for searchers that strip `\r\n`).
    private func lineByLineCandidate(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var lineStart = LineBoundaries.start(containing: start, in: haystack)
        while true {
            let lineEnd = LineBoundaries.end(from: lineStart, in: haystack)
            let line = UnsafeBufferPointer(rebasing: haystack[lineStart..<lineEnd])
            // A line the engines could not decide is a candidate: the searcher's own
            // check then reports it as a problem instead of it being skipped here.
            if matchResult(in: line, from: 0) != .noMatch {
                return max(lineStart, start)
            }
            if line.last == UInt8(ascii: "\r"),
               matchResult(in: UnsafeBufferPointer(rebasing: line.dropLast()), from: 0) != .noMatch {
                return max(lineStart, start)
            }
            // After a final `\n` there is no further line.
            guard lineEnd + 1 < haystack.count else { return nil }
            lineStart = lineEnd + 1
        }
    }
}
