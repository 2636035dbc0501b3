import AIFSTestSupport
import Testing

@testable import AIFSSearch

/// One row of the prefilter table: the literals `pattern` requires (as
/// ``RequiredLiteralSet/description`` renders them), or nil for none.
struct RequiredLiteralCase: Sendable, CustomTestStringConvertible {
    var pattern: String
    var caseInsensitive: Bool
    var expected: String?

    init(_ pattern: String, _ expected: String?, caseInsensitive: Bool = false) {
        self.pattern = pattern
        self.expected = expected
        self.caseInsensitive = caseInsensitive
    }

    var testDescription: String {
        "\(pattern)\(caseInsensitive ? " -i" : "") → \(expected ?? "nil")"
    }
}

@Suite("Required literals")
struct RequiredLiteralTests {
    static let cases: [RequiredLiteralCase] = [
        RequiredLiteralCase("[A-Z][a-z]+Manager", "Manager"),
        // foo or bar: `b` and `r` are rarer together than `f` and `o`.
        RequiredLiteralCase(#"foo\d+bar"#, "bar"),
        RequiredLiteralCase("(a|b)xyz", "xyz"),
        RequiredLiteralCase("abc?", "ab"),
        RequiredLiteralCase("colou?r", "colo"),
        RequiredLiteralCase("x+y", "xy"),
        RequiredLiteralCase("a{3}", "aaa"),
        RequiredLiteralCase("(ab){2,}", "abab"),
        RequiredLiteralCase(#"fn\s+\w+"#, "fn"),
        RequiredLiteralCase(#"\w+Exception"#, "Exception"),
        RequiredLiteralCase(#"\d{3}-\d{4}"#, "-"),
        RequiredLiteralCase("a.b", "b"),
        // Alternation: one of several, or what all branches share.
        RequiredLiteralCase("Error|Warning", "Error|Warning"),
        RequiredLiteralCase(#"(foo|bar)\d+"#, "foo|bar"),
        RequiredLiteralCase("(?:foo|foobar)baz", "baz"),
        RequiredLiteralCase("(?:abcx|abcy)", "abc"),
        RequiredLiteralCase("foo|", nil),
        RequiredLiteralCase("a|b|c|d|e|f|g|h|i", nil),
        // Escapes and quoting.
        RequiredLiteralCase(#"\Qa.b\E"#, "a.b"),
        RequiredLiteralCase(#"\Qa|b)"#, "a|b)"),
        RequiredLiteralCase(#"a\.b\("#, "a.b("),
        RequiredLiteralCase(#"\x{e9}t\xe9"#, "été"),
        RequiredLiteralCase(#"a\tb"#, "a\tb"),
        RequiredLiteralCase("a(?#comment)b", "ab"),
        RequiredLiteralCase("{abc}", "{abc}"),
        // Classes with one member are literals; others are not.
        RequiredLiteralCase("[a]bc", "abc"),
        RequiredLiteralCase("[.][]]", ".]"),
        RequiredLiteralCase("[ab]cd", "cd"),
        RequiredLiteralCase("[^a]", nil),
        RequiredLiteralCase("[[:alpha:]]+ing", "ing"),
        RequiredLiteralCase(#"[\d]x"#, "x"),
        // Zero-width items keep their neighbours adjacent.
        RequiredLiteralCase(#"\bfoo\b"#, "foo"),
        RequiredLiteralCase("^abc$", "abc"),
        RequiredLiteralCase("(?=abc)x", "x"),
        RequiredLiteralCase("(?<=foo)bar", "bar"),
        RequiredLiteralCase(#"ab\Kcd"#, "abcd"),
        // Nothing required: empty matches, classes only.
        RequiredLiteralCase("a*", nil),
        RequiredLiteralCase("^", nil),
        RequiredLiteralCase("", nil),
        RequiredLiteralCase(#"\d+"#, nil),
        RequiredLiteralCase("(?:abc)?", nil),
        // Case-insensitive: ASCII letters in either case; k, s and non-ASCII letters are
        // not literals (they match the Kelvin sign, long s, other case forms).
        RequiredLiteralCase("error", "(?i:error)", caseInsensitive: true),
        RequiredLiteralCase("(?i)error", "(?i:error)"),
        RequiredLiteralCase("kind", "(?i:ind)", caseInsensitive: true),
        RequiredLiteralCase("(?i:ab)cd", "(?i:ab)cd"),
        RequiredLiteralCase("ab(?i)cd", "ab(?i:cd)"),
        RequiredLiteralCase("(?i)ab(?-i)cd", "(?i:ab)cd"),
        RequiredLiteralCase("(a(?i)b|c)d", "d"),
        RequiredLiteralCase("é", nil, caseInsensitive: true),
        RequiredLiteralCase(#"\x41BC"#, "(?i:abc)", caseInsensitive: true),
        RequiredLiteralCase("a-1", "(?i:a)-1", caseInsensitive: true),
        // Branches that share bytes but not case folding share no prefix.
        RequiredLiteralCase("xa|(?i:xa)b", "xa|(?i:xa)b"),
        RequiredLiteralCase("(?i:ab)c|abd", "(?i:ab)c|abd"),
        // Given up on: backreferences, extended mode, verbs, recursion, 10.43 syntax.
        RequiredLiteralCase(#"(a)\1"#, nil),
        RequiredLiteralCase(#"(?<n>a)\k<n>"#, nil),
        RequiredLiteralCase("(?x)a b", nil),
        RequiredLiteralCase("(*UTF)abc", nil),
        RequiredLiteralCase("(a(?1)?b)", nil),
        RequiredLiteralCase("a{,2}b", nil),
        RequiredLiteralCase(#"\cAbc"#, nil),
    ]

    @Test("The analysis finds the literal every match contains", arguments: cases)
    func requiredLiteral(_ row: RequiredLiteralCase) {
        let analysis = PatternAnalysis(pattern: row.pattern.utf8, caseInsensitive: row.caseInsensitive)
        #expect(analysis.requiredLiterals?.description == row.expected)
    }

    static let lineBoundCases: [(String, Bool)] = [
        ("foo", false), (#"\bfoo\w+"#, false), ("a|b", false), ("(a)", false),
        ("^foo", true), ("foo$", true), (#"\Afoo"#, true), ("(?=x)", true), ("(?<!x)y", true),
        ("a++", true), ("(?>a)", true), (#"a\Kb"#, true), (#"(a)\1"#, true),
    ]

    @Test("Patterns that depend on where a line ends are searched line by line", arguments: lineBoundCases)
    func lineBounds(_ pattern: String, _ expected: Bool) {
        #expect(PatternAnalysis(pattern: pattern.utf8, caseInsensitive: false).matchesDependOnLineBounds == expected)
    }

    @Test func theMatcherCombinesPatternsAndOptions() throws {
        var options = RegexOptions()
        #expect(try RegexMatcher(patterns: ["foo", #"bar\d"#], options: options).prefilterDescription
            == "literal foo|bar")
        #expect(try RegexMatcher(patterns: ["foo", "a*"], options: options).prefilterDescription == "whole buffer")
        #expect(try RegexMatcher(patterns: ["^a*"], options: options).prefilterDescription == "line by line")
        options.wholeLine = true
        #expect(try RegexMatcher(patterns: ["[a-z]+"], options: options).prefilterDescription == "line by line")
        #expect(try RegexMatcher(patterns: ["foo", "bar"], options: options).prefilterDescription == "literal foo|bar")
        options.wholeLine = false
        options.wordBoundary = true
        #expect(try RegexMatcher(patterns: [#"\w+"#], options: options).prefilterDescription == "whole buffer")
        #expect(try RegexMatcher(patterns: [#"\bfoo\d"#], options: options).prefilterDescription == "literal foo")
        options.literal = true
        options.caseInsensitive = true
        #expect(try RegexMatcher(patterns: ["a.b(k"], options: options).prefilterDescription == "literal (?i:a).(?i:b)(")
    }

    /// The prefilter of a pattern whose branches share bytes but differ in case folding
    /// must keep the caseless branch's matches: `xa|(?i:xa)b` finds `XAb`. A prefix
    /// common to the branches that ignored the fold mask would require an exact `xa`.
    @Test("Alternations that differ only in case folding keep both branches",
          arguments: [RegexMatcher.EngineChoice.automatic, .fallback])
    func alternationsDifferingInCaseFolding(_ engine: RegexMatcher.EngineChoice) throws {
        let matcher = try RegexMatcher(patterns: ["xa|(?i:xa)b"], options: RegexOptions(), engine: engine)
        for (text, expected) in [("XAb", 0..<3), ("-- xAb", 3..<6), ("xa", 0..<2), ("XA", nil), ("Xab", 0..<3)] {
            let line = Array(text.utf8)
            #expect(firstMatch(matcher, line) == expected, "\(text)")
            if expected != nil { #expect(candidate(matcher, line) != nil, "\(text): the prefilter skips it") }
        }
        // Through the searcher, with the prefilter choosing the lines.
        let (events, _) = try search(Array("one\nXAb\nxa\nXA\n".utf8), matcher: matcher, configuration: SearcherConfiguration())
        #expect(events == [
            .begin("<memory>"), .match("XAb\n", line: nil, offset: 4), .match("xa\n", line: nil, offset: 8),
            .finish(lines: 2, binary: nil),
        ])
    }

    @Test func theScannerChoosesMemchrForARareByte() {
        // `^` (0x5E) and `~` are rare in text; `M` (0.2%) is not rare enough since the
        // pair scan moved to AVX2.
        #expect(LiteralScanner(RequiredLiteral(exactly: "a^b".utf8)).usesMemchr)
        #expect(LiteralScanner(RequiredLiteral(exactly: "x".utf8)).usesMemchr)
        #expect(!LiteralScanner(RequiredLiteral(exactly: "Manager".utf8)).usesMemchr)
        #expect(!LiteralScanner(RequiredLiteral(exactly: "trees".utf8)).usesMemchr)
        let caseless = "error".utf8.map(RequiredLiteral.init(caselessLetter:)).reduce(RequiredLiteral(), +)
        #expect(!LiteralScanner(caseless).usesMemchr)
    }

    @Test("The scanner finds every occurrence at every alignment", arguments: ["x", "Manager", "trees", "ab"])
    func scannerFindsEveryOccurrence(_ word: String) {
        let literal = RequiredLiteral(exactly: word.utf8)
        let scanner = LiteralScanner(literal)
        for padding in 0..<70 {
            let haystack = Array(repeating: UInt8(ascii: "."), count: padding) + Array(word.utf8)
                + Array(repeating: UInt8(ascii: "."), count: 40)
            let found = haystack.withUnsafeBufferPointer { scanner.firstOccurrence(in: $0, from: 0, before: $0.count) }
            #expect(found == padding)
            let afterIt = haystack.withUnsafeBufferPointer {
                scanner.firstOccurrence(in: $0, from: padding + 1, before: $0.count)
            }
            #expect(afterIt == nil)
            let limited = haystack.withUnsafeBufferPointer { scanner.firstOccurrence(in: $0, from: 0, before: padding) }
            #expect(limited == nil)
        }
    }

    @Test func caselessScanningFoldsOnlyLetters() {
        // "a@" caseless must not match "A`": '@' | 0x20 is '`', so '@' is compared exactly.
        let literal = RequiredLiteral(caselessLetter: UInt8(ascii: "a")) + RequiredLiteral(exactly: "@".utf8)
        let scanner = LiteralScanner(literal)
        for text in ["xxA`", "xxa`", String(repeating: "-", count: 40) + "A`"] {
            let found = Array(text.utf8).withUnsafeBufferPointer { scanner.firstOccurrence(in: $0, from: 0, before: $0.count) }
            #expect(found == nil)
        }
        let haystack = Array((String(repeating: "-", count: 40) + "A@").utf8)
        #expect(haystack.withUnsafeBufferPointer { scanner.firstOccurrence(in: $0, from: 0, before: $0.count) } == 40)
    }

    // MARK: Property: never a false negative

    /// Patterns for the property test: literal-bearing, caseless, anchored, lookaround,
    /// alternations, and ones the analysis gives up on.
    static let propertyPatterns: [(String, RegexOptions)] = {
        var caseless = RegexOptions()
        caseless.caseInsensitive = true
        var word = RegexOptions()
        word.wordBoundary = true
        var line = RegexOptions()
        line.wholeLine = true
        var literal = RegexOptions()
        literal.literal = true
        let plain = RegexOptions()
        return [
            ("[A-Z][a-z]+Manager", plain), (#"foo\d+bar"#, plain), ("(a|b)xyz", plain), ("abc?", plain),
            ("Error|Warning", plain), ("error", caseless), ("kind", caseless), ("sk", caseless),
            ("(?i)ERROR", plain), ("ab(?i)cd", plain), ("^foo", plain), ("bar$", plain), (#"\bfoo\b"#, plain),
            ("(?<=foo)bar", plain), ("a(?=b)", plain), ("foo", word), ("foo bar", line), ("[a-z]+", line),
            ("a.b(", literal), (#"\w+Exception"#, plain), ("x*", plain), ("^$", plain), (#"^\s*$"#, plain),
            (#"(\w)\1"#, plain), ("é", caseless), ("a++b", plain), (#"\d{2,}"#, plain), ("[^ ]+", plain),
            (#"a\Kb"#, plain), ("Manager|Exception|foo", plain), ("(?:foo|foobar)baz", plain),
        ]
    }()

    static let fragments: [[UInt8]] = [
        "foo", "bar", "baz", "foobar", "Manager", "FileManager", "Exception", "IOException", "Error", "error",
        "ERROR", "Warning", "xyz", "a", "b", "ab", "abc", "abCD", "aBcD", "kind", "KIND", "\u{212A}ind", "sk",
        "\u{17F}k", " ", " ", "  ", "\t", "12", "7", "é", "É", "(", "a.b(", "_", "-", "x", "xx", "{", "}", "]",
        "日", "A", "S", "a.", "k]", "aa",
    ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0x80, 0x80], [UInt8(ascii: "\r")]]

    static func lines(count: Int, seed: UInt64) -> [[UInt8]] {
        var generator = SplitMix64(state: seed)
        return (0..<count).map { _ in
            (0..<generator.next(upTo: 7)).flatMap { _ in fragments[generator.next(upTo: fragments.count)] }
        }
    }

    /// Whether each line of `buffer` matches, matched in place as the searcher does:
    /// PCRE2's JIT may look at a byte next to a subject that ends in invalid UTF-8, so a
    /// copy of the line could give a different answer for zero-width assertions there.
    static func matchesInPlace(_ matcher: RegexMatcher, _ buffer: [UInt8], _ bounds: [Range<Int>]) -> [Bool] {
        buffer.withUnsafeBufferPointer { whole in
            bounds.map { matcher.firstMatch(in: UnsafeBufferPointer(rebasing: whole[$0]), from: 0) != nil }
        }
    }

    @Test("candidate never misses a line that matches", arguments: [RegexMatcher.EngineChoice.automatic, .fallback])
    func candidateNeverMisses(_ engine: RegexMatcher.EngineChoice) throws {
        let lines = Self.lines(count: 200, seed: 42)
        for (pattern, options) in Self.propertyPatterns {
            let matcher: RegexMatcher
            do {
                matcher = try RegexMatcher(patterns: [pattern], options: options, engine: engine)
            } catch {
                // The fallback has no lookbehind or \K; PCRE2 compiles every pattern here.
                #expect(engine == .fallback, "\(pattern): \(error)")
                continue
            }
            // Each line alone, from several starts.
            for line in lines {
                for start in Set([0, line.count / 2, line.count]) {
                    guard firstMatch(matcher, line, from: start) != nil else { continue }
                    let found = candidate(matcher, line, from: start)
                    #expect(found != nil, "\(pattern) \(options): no candidate in \(line) from \(start)")
                    #expect(found.map { $0 >= start } ?? true, "\(pattern): candidate before start")
                }
            }
            // All lines in one buffer: from each line's start, the candidate is no later
            // than the end of the first line that matches.
            var buffer: [UInt8] = []
            var bounds: [Range<Int>] = []
            for line in lines {
                bounds.append(buffer.count..<(buffer.count + line.count))
                buffer += line + [UInt8(ascii: "\n")]
            }
            let lineMatches = Self.matchesInPlace(matcher, buffer, bounds)
            for index in lines.indices {
                let start = bounds[index].lowerBound
                let found = candidate(matcher, buffer, from: start)
                #expect(found.map { $0 >= start } ?? true, "\(pattern): candidate before start")
                guard let matching = lineMatches[index...].firstIndex(of: true) else { continue }
                #expect(found != nil && found! <= bounds[matching].upperBound,
                        "\(pattern) \(options): from line \(index), candidate \(String(describing: found)) skips matching line \(matching)")
            }
        }
    }
}

extension RequiredLiteralTests {
    static let randomPatternCount = 1000
    static let randomSeed: UInt64 = 7

    static let patternAtoms: [String] = [
        "a", "b", "k", "S", "x", "é", "日", ".", "\\w", "\\d", "\\s", "\\b", "\\B", "[ab]", "[a]", "[^a]", "[k-s]",
        "\\.", "\\Qa.\\E", "\\x{e9}", "\\x41", "(", ")", "(?:", "(?i)", "(?-i)", "(?i:", "(?=", "(?!", "(?<=a)",
        "(?<!b)", "(?>", "|", "*", "+", "?", "{2}", "{1,}", "{0,2}", "+", "?", "^", "$", "\\A", "\\z", "\\K",
        "{", "}", "]", "-", "\\1", "(?#c)", "\\t",
    ]

    /// Random patterns from PCRE2's metacharacters: those PCRE2 compiles must keep the
    /// prefilter contract (and none may crash the analysis).
    @Test func randomPatternsNeverMiss() throws {
        var generator = SplitMix64(state: Self.randomSeed)
        let lines = Self.lines(count: 60, seed: 9)
        var compiled = 0
        for _ in 0..<Self.randomPatternCount {
            let patterns = (0..<(1 + generator.next(upTo: 2))).map { _ in
                (0..<(1 + generator.next(upTo: 8))).map { _ in Self.patternAtoms[generator.next(upTo: Self.patternAtoms.count)] }
                    .joined()
            }
            var options = RegexOptions()
            options.caseInsensitive = generator.next(upTo: 3) == 0
            options.wordBoundary = generator.next(upTo: 5) == 0
            options.wholeLine = generator.next(upTo: 8) == 0
            options.literal = generator.next(upTo: 8) == 0
            guard let matcher = try? RegexMatcher(patterns: patterns, options: options) else { continue }
            let pattern = patterns.joined(separator: " -e ")
            compiled += 1
            var buffer: [UInt8] = []
            var ends: [Int] = []
            for line in lines {
                buffer += line
                ends.append(buffer.count)
                buffer.append(UInt8(ascii: "\n"))
            }
            let lineMatches = Self.matchesInPlace(
                matcher, buffer, lines.indices.map { (ends[$0] - lines[$0].count)..<ends[$0] })
            var start = 0
            for index in lines.indices {
                defer { start = ends[index] + 1 }
                let found = candidate(matcher, buffer, from: start)
                guard let matching = lineMatches[index...].firstIndex(of: true) else { continue }
                #expect(found != nil && found! <= ends[matching],
                        "\(pattern) \(options) [\(matcher.prefilterDescription)]: from line \(index) misses line \(matching)")
                if found == nil || found! > ends[matching] { return }
            }
        }
        #expect(compiled > 100)
    }
}
