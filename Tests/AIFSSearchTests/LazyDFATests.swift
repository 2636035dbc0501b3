import AIFSTestSupport
import Foundation
import Testing

@testable import AIFSSearch

/// The lazy DFA against PCRE2: random patterns from a grammar (classes, alternation,
/// repetition, `(?i)`, multi-byte characters) on random lines (multi-byte and invalid
/// UTF-8), where the DFA's verdict on each line must be PCRE2's; and the matcher's
/// candidates, as the searcher uses them, must find exactly PCRE2's lines.
///
/// The reference is PCRE2's interpreter with `NO_DOTSTAR_ANCHOR`. Its JIT (10.42)
/// matches `(?i)[^k]` on invalid UTF-8, even past the subject's end, and a pattern that
/// starts with `.*` is otherwise anchored at the start, which invalid UTF-8 then blocks
/// (`.*k` does not match `A\xFFk`): see design note 0011.
///
/// `AIFS_DFA_SEEDS=first-last` runs other seeds (each seed is 40 patterns on 60 lines),
/// e.g. `AIFS_DFA_SEEDS=1-20000 swift test --skip-build --filter LazyDFATests`.
@Suite struct LazyDFATests {
    static let seeds: [UInt64] = {
        let text = ProcessInfo.processInfo.environment["AIFS_DFA_SEEDS"] ?? ""
        let range = text.split(separator: "-").compactMap { UInt64($0) }
        if range.count == 2 && range[0] <= range[1] { return Array(range[0]...range[1]) }
        return Array(1...12)
    }()

    @Test func verdictsEqualPCRE2OnRandomPatterns() throws {
        var failures: [String] = []
        var tried = 0
        var accepted = 0
        for seed in Self.seeds {
            var random = SplitMix64(seed: seed)
            for _ in 0..<40 {
                let pattern = RandomPattern.pattern(&random, depth: 0)
                var options = RegexOptions()
                options.caseInsensitive = random.next(upTo: 4) == 0
                tried += 1
                guard let matcher = try? RegexMatcher(
                    patterns: [pattern], options: options, engine: .pcre2Interpreter, dfa: .always),
                      let reference = try? Self.reference(pattern, caseless: options.caseInsensitive) else {
                    continue
                }
                guard let syntax = try? RegexSyntaxParser.parse(pattern, caseless: options.caseInsensitive),
                      let dfa = LazyDFA(syntax), let small = LazyDFA(syntax, byteBudget: 4 << 10) else { continue }
                accepted += 1
                let lines = (0..<60).map { _ in RandomPattern.line(&random) }
                for line in lines {
                    let expected = line.withUnsafeBufferPointer { reference.program.match($0, from: 0) }
                    let pcre2 = if case .match = expected { true } else { false }
                    for (name, engine) in [("dfa", dfa), ("small cache", small)] {
                        let outcome = line.withUnsafeBufferPointer { engine.firstMatchEnd(in: $0, from: 0) }
                        if outcome == .gaveUp, name == "small cache" { continue }
                        let found = if case .match = outcome { true } else { false }
                        if found != pcre2 {
                            failures.append("seed \(seed) \(name) /\(pattern)/\(options.caseInsensitive ? "i" : "") on "
                                + "\(line.map { String(format: "%02x", $0) }.joined()): DFA \(found), PCRE2 \(pcre2)")
                        }
                    }
                }
                // The buffer as the searcher sees it: candidates, then PCRE2 per line.
                let buffer = Array(lines.joined(separator: [UInt8(ascii: "\n")])) + [UInt8(ascii: "\n")]
                let expectedLines = lines.indices.filter { index in
                    lines[index].withUnsafeBufferPointer {
                        if case .match = matcher.matchResult(in: $0, from: 0) { true } else { false }
                    }
                }
                let foundLines = Self.searchedLines(buffer, matcher: matcher)
                if foundLines != expectedLines {
                    failures.append("seed \(seed) /\(pattern)/ searched lines \(foundLines), expected \(expectedLines)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.prefix(8).joined(separator: "\n"))")
        // Most generated patterns are within what the DFA models.
        #expect(accepted * 10 > tried * 7, "accepted \(accepted) of \(tried)")
    }

    /// Long haystacks, where the search runs two walks over adjacent windows: the first
    /// match end must be the one walk's, also with a cache small enough to be cleared
    /// in the middle of the two walks.
    @Test func twoWalksFindTheFirstMatchEndOfOneWalk() throws {
        var failures: [String] = []
        var long = 0
        for seed in Self.seeds {
            var random = SplitMix64(seed: seed &+ 1000)
            for _ in 0..<12 {
                let pattern = RandomPattern.pattern(&random, depth: 0)
                let caseless = random.next(upTo: 4) == 0
                guard (try? RegexMatcher(patterns: [pattern], options: RegexOptions(), engine: .pcre2Interpreter)) != nil,
                      let syntax = try? RegexSyntaxParser.parse(pattern, caseless: caseless),
                      let dfa = LazyDFA(syntax), let small = LazyDFA(syntax, byteBudget: 6 << 10)
                else { continue }
                // Lines without a match, with a few matching lines among them.
                var lines: [[UInt8]] = []
                var matching: [[UInt8]] = []
                for _ in 0..<3000 where lines.count < 900 {
                    let line = RandomPattern.line(&random)
                    let matches = line.withUnsafeBufferPointer { dfa.firstMatchEnd(in: $0, from: 0, twoWalks: false) }
                    if matches == .noMatch { lines.append(line) } else if matching.count < 4 { matching.append(line) }
                }
                for line in matching { lines.insert(line, at: random.next(upTo: lines.count + 1)) }
                let buffer = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
                if buffer.count >= 4 * LazyDFACache.firstWindow { long += 1 }
                for start in [0, random.next(upTo: max(1, buffer.count))] {
                    let expected = buffer.withUnsafeBufferPointer { dfa.firstMatchEnd(in: $0, from: start, twoWalks: false) }
                    for (name, engine) in [("dfa", dfa), ("small cache", small)] {
                        let found = buffer.withUnsafeBufferPointer { engine.firstMatchEnd(in: $0, from: start) }
                        if found != expected, found != .gaveUp {
                            failures.append("seed \(seed) \(name) /\(pattern)/ from \(start) of \(buffer.count): \(found), one walk \(expected)")
                        }
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.prefix(8).joined(separator: "\n"))")
        #expect(long >= 40, "only \(long) haystacks long enough for two walks")
    }

    /// PCRE2's interpreter, as RegexMatcher compiles the pattern, with `NO_DOTSTAR_ANCHOR`.
    static func reference(_ pattern: String, caseless: Bool) throws -> PCRE2Code {
        guard case .success(let library) = PCRE2Library.shared else { throw CancellationError() }
        let options = PCRE2.utf | PCRE2.ucp | PCRE2.matchInvalidUTF | (caseless ? PCRE2.caseless : 0) | 0x0000_8000
        return try PCRE2Code(
            pattern: Array(UnicodeWordRewriter.rewrite(pattern).utf8), options: options, jit: false, library: library)
    }

    /// The searcher's loop over candidates (Searcher.nextMatchingLine), as line indices.
    static func searchedLines(_ buffer: [UInt8], matcher: RegexMatcher) -> [Int] {
        buffer.withUnsafeBufferPointer { haystack in
            var result: [Int] = []
            var scan = 0
            while scan < haystack.count, let found = matcher.candidate(in: haystack, from: scan) {
                let candidate = max(found, scan)
                guard candidate < haystack.count else { break }
                let lineStart = haystack[scan..<candidate].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? scan
                let lineEnd = haystack[candidate...].firstIndex(of: UInt8(ascii: "\n")) ?? haystack.count
                let line = UnsafeBufferPointer(rebasing: haystack[lineStart..<lineEnd])
                if case .match = matcher.matchResult(in: line, from: 0) {
                    result.append(haystack[..<lineStart].count { $0 == UInt8(ascii: "\n") })
                }
                scan = lineEnd + 1
            }
            return result
        }
    }

    @Test func benchPatternsUseTheDFA() throws {
        for pattern in [#"([a-z]+\s+){5}\d{6}"#, "[a-z]{20}", #"\w+\s\d"#, "(?i)[a-z]{3}é", #"[A-Z](\w+\s?)*[0-9]{3}"#] {
            let matcher = try RegexMatcher(patterns: [pattern])
            #expect(matcher.prefilterDescription == "lazy DFA", "\(pattern)")
        }
        // Rare first bytes: PCRE2's JIT skips to them and is faster.
        for pattern in ["[A-Z][a-z]{12}", "[0-9]{5}[a-z]"] {
            let matcher = try RegexMatcher(patterns: [pattern])
            #expect(matcher.prefilterDescription == "whole buffer", "\(pattern)")
        }
        for pattern in [#"\bfoo"#, "^a+", "a$", #"(a)\1"#, "(?=a)b", "a++", #"\p{Lu}"#, "[[:alpha:]]"] {
            let matcher = try RegexMatcher(patterns: [pattern])
            #expect(matcher.dfa == nil, "\(pattern)")
        }
    }

    @Test func unicodeClassesAndFolding() throws {
        let cases: [(String, Bool, String, Bool)] = [
            (#"\w"#, false, "\u{0301}", true),  // a combining mark is a word character for ripgrep
            (#"\d"#, false, "٣", true),
            (#"\s"#, false, "\u{2003}", true),
            (#"\s"#, false, "\u{200B}", false),
            ("k", true, "\u{212A}", true),  // Kelvin sign
            ("s", true, "\u{017F}", true),  // long s
            ("[^k]", true, "\u{212A}", false),
            ("é", true, "É", true),
            (".", false, "\n", false),
            ("[^a]", false, "\u{FFFF}", true),
        ]
        for (pattern, caseless, text, expected) in cases {
            let dfa = try #require(LazyDFA(try RegexSyntaxParser.parse(pattern, caseless: caseless)))
            let outcome = Array(text.utf8).withUnsafeBufferPointer { dfa.firstMatchEnd(in: $0, from: 0) }
            #expect((outcome != .noMatch) == expected, "/\(pattern)/ on \(text.unicodeScalars.map(\.value))")
        }
        // Invalid UTF-8 matches no class, not even a negated one or `.`.
        for bytes: [UInt8] in [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0x80]] {
            for pattern in [".", "[^a]", #"\W"#, #"\S"#, #"\D"#] {
                let dfa = try #require(LazyDFA(try RegexSyntaxParser.parse(pattern, caseless: false)))
                #expect(bytes.withUnsafeBufferPointer { dfa.firstMatchEnd(in: $0, from: 0) } == .noMatch)
            }
        }
    }

    @Test func utf8SequencesEncodeExactlyTheSet() {
        var random = SplitMix64(seed: 3)
        for _ in 0..<200 {
            var set = ScalarSet()
            for _ in 0..<3 {
                let low = UInt32(random.next(upTo: 0x110000))
                let high = min(0x10FFFF, low + UInt32(random.next(upTo: random.next(upTo: 2) == 0 ? 300 : 70000)))
                set.insert(low...high)
            }
            let sequences = set.utf8Sequences
            for _ in 0..<300 {
                // Scalars near the ranges' ends, and anywhere.
                let probe: UInt32
                if let range = set.ranges.randomElement(using: &random), random.next(upTo: 2) == 0 {
                    let edge = random.next(upTo: 2) == 0 ? range.lowerBound : range.upperBound
                    probe = UInt32(clamping: Int(edge) + random.next(upTo: 5) - 2)
                } else {
                    probe = UInt32(random.next(upTo: 0x110000))
                }
                guard let scalar = Unicode.Scalar(probe) else { continue }
                let bytes = Array(String(scalar).utf8)
                let encoded = sequences.contains { sequence in
                    sequence.count == bytes.count && zip(sequence, bytes).allSatisfy { $0.contains($1) }
                }
                #expect(encoded == set.contains(probe), "U+\(String(probe, radix: 16)) in \(set.ranges)")
            }
        }
    }
}

/// The grammar of the random patterns and lines.
enum RandomPattern {
    static let characters = ["a", "b", "c", "k", "s", "A", "B", "K", "S", "é", "É", "ß", "\u{212A}", "\u{017F}",
                             "日", "😀", "\u{0301}", "1", "7", "٣", " ", "\t", "-", "_", "\u{00A0}", "\u{2003}", "x"]
    static let escaped = [#"\."#, #"\-"#, #"\x{e9}"#, #"\x41"#, #"\t"#, #"\Qa.\E"#, #"\\"#]
    static let classes = [
        #"\d"#, #"\w"#, #"\s"#, #"\D"#, #"\W"#, #"\S"#, ".", "[a-c]", "[^ab]", "[é-ü]", "[^\\d\\s]", "[\\w-]",
        "[A-Z]", "[a-z]", "[k-s]", "[^k]", "[日😀]", "[^\\x{1F600}]", "[\\S]", "[-a]", "[]a]", "[^]]",
    ]

    static func pattern(_ random: inout SplitMix64, depth: Int) -> String {
        let items = 1 + random.next(upTo: depth == 0 ? 4 : 3)
        var result = ""
        for _ in 0..<items { result += item(&random, depth: depth) }
        if depth < 2, random.next(upTo: 6) == 0 { result += "|" + pattern(&random, depth: depth + 1) }
        return result
    }

    static func item(_ random: inout SplitMix64, depth: Int) -> String {
        var atom: String
        switch random.next(upTo: 10) {
        case 0...3: atom = characters[random.next(upTo: characters.count)]
        case 4: atom = escaped[random.next(upTo: escaped.count)]
        case 5...7: atom = classes[random.next(upTo: classes.count)]
        default:
            let opening = ["(", "(?:", "(?i:", "(?-i:", "(?<name>"][random.next(upTo: 5)]
            atom = depth < 3 ? opening + pattern(&random, depth: depth + 1) + ")" : "x"
        }
        if atom.hasPrefix("\\Q") { return atom }
        switch random.next(upTo: 12) {
        case 0: atom += "*"
        case 1: atom += "+"
        case 2: atom += "?"
        case 3: atom += "{\(random.next(upTo: 3))}"
        case 4: atom += "{\(random.next(upTo: 2)),}"
        case 5: atom += "{\(random.next(upTo: 2)),\(2 + random.next(upTo: 3))}"
        case 6: atom += "+?"
        default: break
        }
        return atom
    }

    static let invalid: [[UInt8]] = [[0xFF], [0xC3], [0xE2, 0x82], [0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
                                     [0xC0, 0xAF], [0xF0, 0x9F, 0x98]]

    static func line(_ random: inout SplitMix64) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<random.next(upTo: 14) {
            if random.next(upTo: 9) == 0 {
                bytes += invalid[random.next(upTo: invalid.count)]
            } else {
                bytes += Array(characters[random.next(upTo: characters.count)].utf8)
            }
        }
        return bytes
    }
}
