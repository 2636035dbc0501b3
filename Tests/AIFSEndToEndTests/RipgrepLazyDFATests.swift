import AIFSTestSupport
import Foundation
import Testing

/// Regexes without a required literal, which run on the lazy DFA (or on PCRE2 where
/// that measured faster: design note 0011), against the installed `rg`, byte for byte:
/// the bench patterns and others, on text with multi-byte characters, long runs without
/// a match (the DFA's two walks) and lines that match only across a line end (issue 18).
@Suite struct RipgrepLazyDFATests {
    static let rg = Process.which("rg")

    static let forms: [[String]] = [
        ["-n", #"([a-z]+\s+){5}\d{6}"#], ["-c", #"([a-z]+\s+){5}\d{6}"#], ["-o", #"([a-z]+\s+){5}\d{6}"#],
        ["-n", "[A-Z][a-z]{12}"], ["-o", "[A-Z][a-z]+Manager"], ["-c", "[a-z]{20}"], ["-o", #"\w+\s\d"#],
        ["-n", "-i", "[a-z]{3}[0-9]{3}"], ["-o", #"\s{3}\S"#], ["-n", #"[^\x00-\x7f]{2}"#], ["-o", #"\d{2,3}[éü]"#],
        ["-n", "-e", "[a-z]{11}x", "-e", #"\d{7}"#], ["--column", "-n", #"([a-z]+\s+){2}\d{3}"#],
        ["-n", "-v", #"[a-z]+\s\w"#], ["-o", "-i", "[é][a-z]+"],
    ]

    @Test(.enabled(if: rg != nil, "ripgrep is not installed"), arguments: forms)
    func searchesAsRipgrep(_ arguments: [String]) throws {
        let dir = try TemporaryDirectory("dfa")
        var text = ""
        var random = SplitMix64(seed: 18)
        let words = ["alpha", "beta", "gamma", "Extraordinarily", "FileManager", "naïve", "café", "Ünïcode", "x",
                     "supercalifragilisticx", "日本", "123456", "42é", "907ü", "\t", "  ", "ÉCOLE", "abcdefghijk"]
        for line in 0..<6000 {
            // Long stretches of lines without digits, then a few with them.
            let count = 1 + random.next(upTo: 9)
            var parts: [String] = []
            for _ in 0..<count {
                var word = words[random.next(upTo: words.count)]
                if line % 400 > 20, word.contains(where: \.isNumber) { word = "word" }
                parts.append(word)
            }
            text += parts.joined(separator: " ") + "\n"
        }
        // A match only across a line end, which no line holds.
        text += "one two three four five\n123456 end\n"
        _ = try dir.file("t.txt", text)
        let ours = try AIFS.run(["search"] + arguments + ["t.txt"], in: dir.path)
        let theirs = try Process.capture(Self.rg!, arguments + ["t.txt"], in: dir.path)
        #expect(ours.status == theirs.status, "\(arguments)\nours: \(ours.stderr)\ntheirs: \(theirs.stderr)")
        #expect(ours.stdout == theirs.stdout, "\(arguments): outputs differ (\(ours.stdout.count) and \(theirs.stdout.count) bytes)")
    }
}
