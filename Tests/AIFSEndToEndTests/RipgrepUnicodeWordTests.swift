import AIFSTestSupport
import Foundation
import Testing

/// ripgrep's word characters (UTS #18): combining marks (Mn, Mc, Me) are part of a word
/// for `\w`, `\b`, `\B` and `-w`; `--no-unicode` makes them ASCII (issue 18). Compared
/// byte for byte with the installed `rg`.
@Suite struct RipgrepUnicodeWordTests {
    static let rg = Process.which("rg")

    static let forms: [[String]] = [
        ["-w", "deinit"], ["-o", #"\w+"#], ["-o", #"\bna"#], ["-o", #"\b\w"#], ["-c", #"\Bdeinit"#],
        ["-o", #"[\w]+"#], ["-o", #"[^\w\s]+"#], ["-o", #"\W+"#], ["--no-unicode", "-o", #"\w+"#], ["-o", #"x\b"#],
        ["-wo", "cafe"], ["-w", "-o", "a_b"], ["-o", #"[[:alpha:]\w]+"#],
        ["--no-unicode", "--unicode", "-o", #"\w+"#], ["-F", "-w", "deinit"],
    ]

    @Test(.enabled(if: rg != nil, "ripgrep is not installed"), arguments: forms)
    func wordsAsRipgrep(_ arguments: [String]) throws {
        let dir = try TemporaryDirectory("words")
        _ = try dir.file("w.txt", "named(1\u{FE0F}\u{20E3}deinit))\nx deinit y\nnai\u{0308}ve cafe\u{0301} x\u{00B2} a_b \\w 7\n")
        let ours = try AIFS.run(["search"] + arguments + ["w.txt"], in: dir.path)
        let theirs = try Process.capture(Self.rg!, arguments + ["w.txt"], in: dir.path)
        #expect(ours.status == theirs.status, "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
        #expect(ours.stdout == theirs.stdout, "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
    }

    /// PCRE2 syntax ripgrep's default engine lacks (aifs's engine is PCRE2, as
    /// `rg -P`): quoted and commented `\w` stay as written.
    @Test func quotedAndCommentedEscapesAreLeftAlone() throws {
        let dir = try TemporaryDirectory()
        _ = try dir.file("w.txt", "a \\w 7\n")
        let quoted = try AIFS.run(["search", "-o", #"\Q\w\E"#, "w.txt"], in: dir.path)
        #expect(quoted.stdout == "\\w\n", "\(quoted)")
        let commented = try AIFS.run(["search", "-o", #"(?#\w)\d"#, "w.txt"], in: dir.path)
        #expect(commented.stdout == "7\n", "\(commented)")
    }

    /// The issue's example, stated: `named(1️⃣deinit))` holds no whole word `deinit`.
    @Test func keycapDigitIsPartOfTheWord() throws {
        let dir = try TemporaryDirectory()
        _ = try dir.file("w.swift", "named(1\u{FE0F}\u{20E3}deinit))\n")
        let result = try AIFS.run(["search", "-w", "deinit", "w.swift"], in: dir.path)
        #expect(result.status == 1, "\(result)")
    }
}
