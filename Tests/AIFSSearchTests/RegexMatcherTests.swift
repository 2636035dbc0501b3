#if canImport(Glibc)
import Glibc
#endif
import Testing

@testable import AIFSSearch

/// One row of a match table: `patterns` with `options`, run on `haystack` from `start`,
/// should give `expected`.
struct RegexMatchCase: Sendable, CustomTestStringConvertible {
    var patterns: [String]
    var options: RegexOptions
    var haystack: [UInt8]
    var start: Int
    var expected: Range<Int>?
    /// False for rows the fallback engine cannot run (lookbehind) or answers differently
    /// (invalid UTF-8 becomes U+FFFD); see FallbackRegex's known problems.
    var fallback: Bool

    init(
        _ patterns: [String], _ haystack: [UInt8], from start: Int = 0, _ expected: Range<Int>?,
        _ options: RegexOptions = RegexOptions(), fallback: Bool = true
    ) {
        self.patterns = patterns
        self.options = options
        self.haystack = haystack
        self.start = start
        self.expected = expected
        self.fallback = fallback
    }

    init(
        _ pattern: String, _ haystack: String, from start: Int = 0, _ expected: Range<Int>?,
        _ options: RegexOptions = RegexOptions(), fallback: Bool = true
    ) {
        self.init([pattern], Array(haystack.utf8), from: start, expected, options, fallback: fallback)
    }

    var testDescription: String {
        "\(patterns) \(flags) on \(String(decoding: haystack, as: UTF8.self).debugDescription) from \(start) → \(expected.map { "\($0)" } ?? "nil")"
    }

    private var flags: String {
        var flags = ""
        if options.caseInsensitive { flags += "i" }
        if options.wordBoundary { flags += "w" }
        if options.wholeLine { flags += "x" }
        if options.literal { flags += "F" }
        return flags.isEmpty ? "" : "-" + flags
    }
}

private func options(
    caseInsensitive: Bool = false, wordBoundary: Bool = false, wholeLine: Bool = false, literal: Bool = false
) -> RegexOptions {
    var options = RegexOptions()
    options.caseInsensitive = caseInsensitive
    options.wordBoundary = wordBoundary
    options.wholeLine = wholeLine
    options.literal = literal
    return options
}

private let i = options(caseInsensitive: true)
private let w = options(wordBoundary: true)
private let x = options(wholeLine: true)
private let F = options(literal: true)

/// Runs `firstMatch` on bytes.
func firstMatch(_ matcher: RegexMatcher, _ haystack: [UInt8], from start: Int = 0) -> Range<Int>? {
    haystack.withUnsafeBufferPointer { matcher.firstMatch(in: $0, from: start) }
}

/// Runs `candidate` on bytes.
func candidate(_ matcher: RegexMatcher, _ haystack: [UInt8], from start: Int = 0) -> Int? {
    haystack.withUnsafeBufferPointer { matcher.candidate(in: $0, from: start) }
}

@Suite("RegexMatcher")
struct RegexMatcherTests {
    static let cases: [RegexMatchCase] = [
        // Literals and classes.
        RegexMatchCase("abc", "xxabcxx", 2..<5),
        RegexMatchCase("abc", "xxabxx", nil),
        RegexMatchCase("[0-9]+", "ab123c", 2..<5),
        RegexMatchCase("[^a-c ]+", "abc de", 4..<6),
        RegexMatchCase("日本", "こんにちは日本", 15..<21),
        // Alternation picks the leftmost match.
        RegexMatchCase("cat|dog", "hotdog cat", 3..<6),
        // Anchors: the haystack is the line.
        RegexMatchCase("^ab", "ab ab", 0..<2),
        RegexMatchCase("^ab", "ab ab", from: 1, nil),
        RegexMatchCase("ab$", "ab ab", 3..<5),
        RegexMatchCase("^$", "", 0..<0),
        // -w: not preceded or followed by a word character.
        RegexMatchCase("foo", "foobar foo", 7..<10, w),
        RegexMatchCase("foo", "foo_bar", nil, w),
        RegexMatchCase("@foo", "a@foo", nil, w),
        RegexMatchCase("@foo", " @foo", 1..<5, w),
        RegexMatchCase("foo", "éfoo foo", 6..<9, w),
        // -x: the whole line.
        RegexMatchCase("a.c", "abc", 0..<3, x),
        RegexMatchCase("a.c", "abcd", nil, x),
        RegexMatchCase(["a", "b"], Array("b".utf8), 0..<1, x),
        RegexMatchCase(["a", "b"], Array("ab".utf8), nil, x),
        // Case-insensitive, with Unicode folding.
        RegexMatchCase("hello", "say HeLLo", 4..<9, i),
        RegexMatchCase("café", "CAFÉ", 0..<5, i),
        RegexMatchCase("k", "\u{212A}", 0..<3, i),
        RegexMatchCase("hello", "say HeLLo", nil),
        // Several patterns: a match of any.
        RegexMatchCase(["foo", "bar"], Array("xbarfoo".utf8), 1..<4),
        RegexMatchCase(["foo", "bar"], Array("foobar bar".utf8), 7..<10, w),
        RegexMatchCase(["(a)", "b"], Array("b".utf8), 0..<1),
        // -F: metacharacters are literal, including \E.
        RegexMatchCase("a.b(", "axb( a.b(", 5..<9, F),
        RegexMatchCase("x\\Ey", "x\\Ey", 0..<4, F),
        RegexMatchCase("[a]*", "a [a]*", 2..<6, F),
        RegexMatchCase("A.B", "xa.b", 1..<4, options(caseInsensitive: true, literal: true)),
        RegexMatchCase(["a+", "b?"], Array("b? a+".utf8), 0..<2, F),
        // Patterns that match the empty string.
        RegexMatchCase("a*", "bbb", 0..<0),
        RegexMatchCase("a*", "baa", from: 1, 1..<3),
        RegexMatchCase("^", "abc", 0..<0),
        RegexMatchCase("^", "abc", from: 1, nil),
        RegexMatchCase("", "abc", from: 2, 2..<2),
        RegexMatchCase("$", "ab", from: 2, 2..<2),
        // Invalid UTF-8 is searched: it matches nothing, and text around it matches.
        RegexMatchCase(["b+"], [0x61, 0xFF, 0x62, 0x62], 2..<4),
        RegexMatchCase(["\\w+"], [0x80, 0x61, 0x62, 0xC3], 1..<3),
        RegexMatchCase(["a.c"], [0x61, 0xFF, 0x63], nil, fallback: false),
        RegexMatchCase(["c"], [0xE2, 0x82, 0x61, 0x63], 3..<4),
        RegexMatchCase(["é"], [0xC3, 0xC3, 0xA9], 1..<3),
        // The bytes before `start` are context.
        RegexMatchCase("(?<=a)b", "ab", from: 1, 1..<2, fallback: false),
        RegexMatchCase("(?<!a)b", "ab b", from: 1, 3..<4, fallback: false),
        RegexMatchCase("\\bb", "ab b", from: 1, 3..<4),
        RegexMatchCase("\\Bb", "ab b", from: 1, 1..<2),
        RegexMatchCase("foo", "xfoo foo", from: 1, 5..<8, w),
        // A start inside a multi-byte character moves to its end.
        RegexMatchCase("x", "éx", from: 1, 2..<3),
        RegexMatchCase(".", "é", from: 1, nil),
        RegexMatchCase("", "é", from: 1, 2..<2),
        RegexMatchCase(".", "a😀b", from: 2, 5..<6),
        // Unicode classes (UCP, as rg -P).
        RegexMatchCase("\\w+", "naïve", 0..<6),
        RegexMatchCase("\\d", "x٣", 1..<3),
        // Backreferences.
        RegexMatchCase("(a)\\1", "xaa", 1..<3),
        // A start outside the haystack.
        RegexMatchCase("a", "a", from: 2, nil),
        RegexMatchCase("a", "a", from: -1, nil),
    ]

    @Test("PCRE2 with JIT matches as rg -P does", arguments: cases)
    func jit(_ row: RegexMatchCase) throws {
        try check(row, engine: .automatic)
    }

    @Test("Interpreted PCRE2 matches as rg -P does", arguments: cases)
    func interpreter(_ row: RegexMatchCase) throws {
        try check(row, engine: .pcre2Interpreter)
    }

    @Test("The fallback engine matches as rg -P does", arguments: cases.filter(\.fallback))
    func fallback(_ row: RegexMatchCase) throws {
        try check(row, engine: .fallback)
    }

    private func check(_ row: RegexMatchCase, engine: RegexMatcher.EngineChoice) throws {
        let matcher = try RegexMatcher(patterns: row.patterns, options: row.options, engine: engine)
        #expect(firstMatch(matcher, row.haystack, from: row.start) == row.expected)
        // The prefilter agrees: a match means a candidate, at or after start.
        if row.expected != nil {
            let found = candidate(matcher, row.haystack, from: row.start)
            #expect(found != nil)
            #expect(found.map { $0 >= row.start } ?? true)
        }
    }

    @Test func engineDescriptionsNameTheEngine() throws {
        #expect(RegexMatcher.pcre2LoadProblem == nil, "libpcre2-8 ships on the test machines")
        #expect(try RegexMatcher(patterns: ["a"]).engineDescription == "pcre2-jit")
        #expect(try RegexMatcher(patterns: ["a"], options: RegexOptions(), engine: .pcre2Interpreter)
            .engineDescription == "pcre2")
        #expect(try RegexMatcher(patterns: ["a"], options: RegexOptions(), engine: .fallback)
            .engineDescription == "fallback")
    }

    @Test func aMissingLibraryIsReportedNotFatal() {
        let result = loadPCRE2Functions(names: ["/nonexistent/libpcre2-8.so.0"])
        guard case .failure(let failure) = result else {
            Issue.record("loading a missing file succeeded")
            return
        }
        #expect(failure.message.contains("/nonexistent/libpcre2-8.so.0"))
    }

    @Test func noPatternsMatchNothing() throws {
        let matcher = try RegexMatcher(patterns: [])
        #expect(firstMatch(matcher, Array("anything".utf8)) == nil)
        #expect(candidate(matcher, Array("anything".utf8)) == nil)
    }

    // MARK: Errors

    struct InvalidCase: Sendable, CustomTestStringConvertible {
        var patterns: [String]
        var options: RegexOptions
        var expectedMessage: String
        var testDescription: String { "\(patterns)" }
    }

    static let invalid: [InvalidCase] = [
        InvalidCase(patterns: ["a(b"], options: RegexOptions(),
                    expectedMessage: "invalid pattern 'a(b': missing closing parenthesis at offset 3"),
        InvalidCase(patterns: ["[z-a]"], options: RegexOptions(),
                    expectedMessage: "invalid pattern '[z-a]': range out of order in character class at offset 3"),
        InvalidCase(patterns: ["*x"], options: RegexOptions(),
                    expectedMessage: "invalid pattern '*x': quantifier does not follow a repeatable item at offset 0"),
        // Combined or wrapped, the error still names the pattern and its own offset.
        InvalidCase(patterns: ["ok", "a(b"], options: RegexOptions(),
                    expectedMessage: "invalid pattern 'a(b': missing closing parenthesis at offset 3"),
        InvalidCase(patterns: ["a)|(b"], options: w,
                    expectedMessage: "invalid pattern 'a)|(b': unmatched closing parenthesis at offset 1"),
        InvalidCase(patterns: ["x\\"], options: x,
                    expectedMessage: "invalid pattern 'x\\': \\ at end of pattern at offset 2"),
    ]

    @Test("An invalid pattern throws invalidPattern naming it and the offset", arguments: invalid)
    func invalidPattern(_ row: InvalidCase) {
        #expect {
            try RegexMatcher(patterns: row.patterns, options: row.options)
        } throws: { error in
            guard let error = error as? SearchError else { return false }
            #expect(error.message == row.expectedMessage)
            return error.code == .invalidPattern
        }
    }

    @Test func theFallbackSaysWhichEngineRejectedAPattern() {
        #expect {
            try RegexMatcher(patterns: ["(?<=a)b"], options: RegexOptions(), engine: .fallback)
        } throws: { error in
            guard let error = error as? SearchError else { return false }
            #expect(error.message.hasPrefix("invalid pattern '(?<=a)b': "))
            #expect(error.message.hasSuffix("(checked by the fallback engine)"))
            return error.code == .invalidPattern
        }
    }

    // MARK: Fallback differences

    /// FallbackRegex's documented difference: invalid UTF-8 becomes U+FFFD, which `.`
    /// matches; offsets still refer to the original bytes.
    @Test func fallbackReplacesInvalidUTF8() throws {
        let matcher = try RegexMatcher(patterns: ["a.c"], options: RegexOptions(), engine: .fallback)
        #expect(firstMatch(matcher, [0x61, 0xFF, 0x63]) == 0..<3)
        let after = try RegexMatcher(patterns: ["c+"], options: RegexOptions(), engine: .fallback)
        #expect(firstMatch(after, [0xFF, 0xFE, 0x63, 0x63], from: 1) == 2..<4)
    }

    // MARK: Threads

    @Test("Four tasks matching at once give the same answers", arguments: [RegexMatcher.EngineChoice.automatic, .fallback])
    func concurrentMatchesGiveTheSameAnswers(_ engine: RegexMatcher.EngineChoice) async throws {
        let rows = engine == .fallback ? Self.cases.filter(\.fallback) : Self.cases
        let matchers = try rows.map { try RegexMatcher(patterns: $0.patterns, options: $0.options, engine: engine) }
        let expected = zip(rows, matchers).map { row, matcher in firstMatch(matcher, row.haystack, from: row.start) }
        let results = await withTaskGroup(of: [Range<Int>?].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var last: [Range<Int>?] = []
                    for _ in 0..<100 {
                        last = zip(rows, matchers).map { row, matcher in
                            firstMatch(matcher, row.haystack, from: row.start)
                        }
                        if last != expected { break }
                    }
                    return last
                }
            }
            var all: [[Range<Int>?]] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 4)
        for result in results { #expect(result == expected) }
    }

    // MARK: PCRE2 defects

    /// PCRE2 10.42's JIT evaluates `\b` at the end of a subject that ends in invalid UTF-8
    /// by reading past the end. Each subject here ends right before an inaccessible page,
    /// as the last line of an mmapped file can: without the guard in PCRE2Code, this test
    /// crashes the test process.
    @Test func wordBoundariesNeverReadPastASubjectEndingInInvalidUTF8() throws {
        #if canImport(Glibc)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let mapped = mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let region = mapped, region != MAP_FAILED else {
            Issue.record("mmap failed")
            return
        }
        defer { munmap(region, 2 * page) }
        #expect(mprotect(region + page, page, PROT_NONE) == 0)
        let tails: [[UInt8]] = [[0xFF], [0x61, 0xC3], [0x20, 0xE9], [0xF0, 0x9F, 0x98], Array("ab\ncd\n\u{FF}x".utf8) + [0x80]]
        for pattern in [#"\b"#, #"\B"#, #"x\b|\b"#, #"\w*\b"#, "[[:<:]]"] {
            for engine in [RegexMatcher.EngineChoice.automatic, .pcre2Interpreter] {
                let matcher = try RegexMatcher(patterns: [pattern], options: RegexOptions(), engine: engine)
                for tail in tails {
                    let start = (region + page - tail.count).assumingMemoryBound(to: UInt8.self)
                    start.update(from: tail, count: tail.count)
                    let subject = UnsafeBufferPointer(start: start, count: tail.count)
                    for offset in 0...tail.count {
                        _ = matcher.firstMatch(in: subject, from: offset)
                        _ = matcher.candidate(in: subject, from: offset)
                    }
                }
            }
        }
        #endif
    }

    // MARK: Case folding

    /// The prefilter treats caseless ASCII letters other than k and s as matching only
    /// their two ASCII forms, and other ASCII characters as matching only themselves. This
    /// checks that claim against the loaded PCRE2, over every Unicode scalar.
    @Test func onlyKAndSHaveNonASCIICaselessPartners() throws {
        let ordinary = try RegexMatcher(patterns: [#"[a-jl-rt-z\x00-\x40\x5B-\x60\x7B-\x7F]"#], options: i)
        let k = try RegexMatcher(patterns: ["k"], options: i)
        let s = try RegexMatcher(patterns: ["s"], options: i)
        var found: [String: [UInt32]] = [:]
        var buffer: [UInt8] = []
        for value in UInt32(0x80)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            buffer.removeAll(keepingCapacity: true)
            buffer.append(contentsOf: String(scalar).utf8)
            for (name, matcher) in [("ordinary", ordinary), ("k", k), ("s", s)]
            where firstMatch(matcher, buffer) != nil {
                found[name, default: []].append(value)
            }
        }
        #expect(found["ordinary"] == nil)
        #expect(found["k"] == [0x212A])
        #expect(found["s"] == [0x17F])
    }
}

/// Lines on which pcre2_match gives up (its match limit): decided by the DFA, or reported
/// as undecided, never silently taken for lines without a match.
/// https://github.com/aifs/aifs/issues/15 (defect 7)
@Suite struct UndecidedLineTests {
    static let thirtyAs = String(repeating: "a", count: 30)

    @Test("The DFA decides a line pcre2_match gives up on", arguments: [RegexMatcher.EngineChoice.automatic, .pcre2Interpreter])
    func issue15_theDFADecidesWhatBacktrackingGivesUpOn(_ engine: RegexMatcher.EngineChoice) throws {
        let matcher = try RegexMatcher(patterns: ["(a+)+$|b$"], options: RegexOptions(), engine: engine)
        let line = Array((Self.thirtyAs + "b").utf8)
        #expect(firstMatch(matcher, line) == 30..<31)
        #expect(line.withUnsafeBufferPointer { matcher.matchResult(in: $0, from: 0) } == .match(30..<31))
        let noMatch = Array((Self.thirtyAs + "c").utf8)
        #expect(noMatch.withUnsafeBufferPointer { matcher.matchResult(in: $0, from: 0) } == .noMatch)
    }

    @Test("A line no engine decides is undecided, not unmatched", arguments: [RegexMatcher.EngineChoice.automatic, .pcre2Interpreter])
    func issue15_undecidedLinesAreSaidToBe(_ engine: RegexMatcher.EngineChoice) throws {
        // A backreference: the DFA does not support it.
        let backreference = try RegexMatcher(patterns: [#"(a+)+\1$|b$"#], options: RegexOptions(), engine: engine)
        let line = Array((Self.thirtyAs + "b").utf8)
        guard case .undecided(let reason) = line.withUnsafeBufferPointer({ backreference.matchResult(in: $0, from: 0) })
        else {
            Issue.record("expected undecided")
            return
        }
        #expect(reason == "PCRE2: match limit exceeded")
        // Invalid UTF-8: the DFA refuses it.
        let plain = try RegexMatcher(patterns: ["(a+)+$|b$"], options: RegexOptions(), engine: engine)
        let invalid = Array((Self.thirtyAs).utf8) + [0xFF, UInt8(ascii: "b")]
        #expect(invalid.withUnsafeBufferPointer { plain.matchResult(in: $0, from: 0) } != .noMatch)
        // The prefilter never skips such a line.
        #expect(candidate(backreference, line) == 0)
    }

    @Test func issue15_theSearcherReportsDecidedLinesAndNamesUndecidedOnes() throws {
        let text = Array("first b\n\(Self.thirtyAs)b\nthird b\n".utf8)
        var configuration = SearcherConfiguration()
        configuration.lineNumbers = true
        let decided = try search(text, matcher: try RegexMatcher(patterns: ["(a+)+$|b$"]), configuration: configuration)
        #expect(decided.events == [
            .begin("<memory>"), .match("first b\n", line: 1, offset: 0), .match("\(Self.thirtyAs)b\n", line: 2, offset: 8),
            .match("third b\n", line: 3, offset: 40), .finish(lines: 3, binary: nil),
        ])
        #expect(decided.finish?.problems == [])

        let matcher = try RegexMatcher(patterns: [#"(a+)+\1$|b$"#])
        for invert in [false, true] {
            configuration.invert = invert
            let sink = RecordingSink()
            let searcher = Searcher(matcher: matcher, configuration: configuration)
            try searcher.search(bytes: text, displayPath: Array("f.txt".utf8), sink: sink)
            #expect(sink.lastFinish?.matchedLines == (invert ? 0 : 2))
            let problems = sink.lastFinish?.problems ?? []
            #expect(problems.count == 1)
            #expect(problems.first?.code == .undecidedLine)
            #expect(problems.first?.message.hasPrefix("f.txt:2: the regex engine gave up on this line (PCRE2: match limit exceeded)") == true,
                    "\(problems)")
            #expect(searcher.problems == problems)
        }
        // Without line numbers, the line is named by its byte offset.
        configuration.invert = false
        configuration.lineNumbers = false
        let sink = RecordingSink()
        try Searcher(matcher: matcher, configuration: configuration).search(bytes: text, displayPath: Array("f.txt".utf8), sink: sink)
        #expect(sink.lastFinish?.problems.first?.message.hasPrefix("f.txt: the line at byte offset 8: ") == true)
    }
}
