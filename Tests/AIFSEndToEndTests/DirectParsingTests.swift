import AIFSTestSupport
import Foundation
import Testing

/// `search` and `files` build their command without ArgumentParser when they can
/// (issue 18's start-up). With `AIFS_TEST_PARSED_COMMAND` set, `aifs` prints which parser
/// built the command and every value in it: the direct parser must build exactly what
/// ArgumentParser builds, for every option, and leave to ArgumentParser whatever it is
/// not sure of, so errors keep their words and statuses.
/// Issue 18.
@Suite struct DirectParsingTests {
    /// Every long option of `search` (its walk and listing options included), with a
    /// value where it takes one.
    static let searchOptions: [(String, String?)] = [
        ("hidden", nil), ("no-hidden", nil), ("no-ignore", nil), ("ignore", nil), ("no-ignore-parent", nil),
        ("ignore-parent", nil), ("no-ignore-vcs", nil), ("ignore-vcs", nil), ("no-ignore-dot", nil), ("ignore-dot", nil),
        ("no-ignore-exclude", nil), ("ignore-exclude", nil), ("no-ignore-global", nil), ("ignore-global", nil),
        ("no-ignore-files", nil), ("ignore-files", nil), ("no-require-git", nil), ("require-git", nil),
        ("ignore-file", "x.ignore"), ("ignore-file-case-insensitive", nil), ("no-ignore-file-case-insensitive", nil),
        ("follow", nil), ("no-follow", nil), ("max-depth", "2"), ("maxdepth", "3"), ("glob", "*.txt"), ("iglob", "*.TXT"),
        ("glob-case-insensitive", nil), ("no-glob-case-insensitive", nil), ("max-filesize", "1K"),
        ("one-file-system", nil), ("no-one-file-system", nil), ("sort", "path"), ("sortr", "modified"),
        ("threads", "2"), ("type", "py"), ("type-not", "rust"), ("type-add", "foo:*.foo"), ("type-clear", "py"),
        ("type-list", nil), ("no-messages", nil), ("messages", nil), ("null", nil), ("no-config", nil),
        ("path-separator", "\\"),
        ("regexp", "-x"), ("fixed-strings", nil), ("no-fixed-strings", nil), ("ignore-case", nil), ("smart-case", nil),
        ("case-sensitive", nil), ("word-regexp", nil), ("line-regexp", nil), ("invert-match", nil),
        ("no-invert-match", nil), ("count", nil), ("count-matches", nil), ("files-with-matches", nil),
        ("files-without-match", nil), ("json", nil), ("files", nil), ("no-json", nil), ("only-matching", nil),
        ("line-number", nil), ("no-line-number", nil), ("column", nil), ("no-column", nil), ("after-context", "1"),
        ("before-context", "2"), ("context", "3"), ("max-count", "4"), ("max-columns", "5"), ("text", nil),
        ("no-text", nil), ("binary", nil), ("no-binary", nil), ("no-unicode", nil), ("unicode", nil), ("crlf", nil),
        ("no-crlf", nil), ("null-data", nil), ("colors", "match:fg:red"), ("search-zip", nil), ("no-search-zip", nil),
        ("pre", "cat"), ("no-pre", nil), ("pre-glob", "*.gz"), ("multiline", nil), ("no-multiline", nil),
        ("multiline-dotall", nil), ("no-multiline-dotall", nil), ("file", "patterns.txt"), ("replace", "$1"),
        ("no-replace", nil), ("byte-offset", nil), ("no-byte-offset", nil), ("trim", nil), ("no-trim", nil),
        ("vimgrep", nil), ("max-columns-preview", nil), ("no-max-columns-preview", nil), ("passthru", nil),
        ("passthrough", nil), ("pcre2", nil), ("no-pcre2", nil), ("engine", "auto"), ("regex-size-limit", "1M"),
        ("dfa-size-limit", "2M"), ("encoding", "latin1"), ("no-encoding", nil), ("stats", nil), ("no-stats", nil),
        ("quiet", nil), ("with-filename", nil), ("no-filename", nil), ("heading", nil), ("no-heading", nil),
        ("color", "always"), ("include-zero", nil), ("no-include-zero", nil), ("context-separator", "--"),
        ("no-context-separator", nil), ("field-context-separator", "-"), ("field-match-separator", "|"),
    ]

    /// Each option alone, in its `--long=value` and `--long value` spellings.
    static let singleOptions: [[String]] = searchOptions.flatMap { name, value -> [[String]] in
        guard let value else { return [["--\(name)", "pat", "dir"]] }
        return [["--\(name)=\(value)", "pat", "dir"], ["--\(name)", value, "pat", "dir"]]
    }

    /// Everything at once, twice in a row (the last of each wins), and the forms of
    /// ripgrep's syntax the argument tests use.
    static let combinedForms: [[String]] = {
        let everything = searchOptions.filter { !["json", "no-json", "type-list", "files"].contains($0.0) }
            .flatMap { name, value in value.map { ["--\(name)=\($0)"] } ?? ["--\(name)"] }
        return [everything + ["pat", "dir"], everything + everything.reversed() + ["--", "-pat", "dir"]]
            + RipgrepArgumentTests.valueForms + RipgrepArgumentTests.syntaxForms + RipgrepArgumentTests.statusForms
            + RipgrepArgumentTests.ripgrep14Forms.map(\.ours) + [["pat"], [], ["--replace=", "a", "b"], ["-r", "", "a"]]
    }()

    static let filesForms: [[String]] = [
        [], ["dir"], ["-0", "--hidden", "-g", "*.txt", "-tpy", "--sort=path", "a", "b"], ["--type-list"],
        ["-uu", "-d1", "--max-filesize", "10", "--no-messages", "--path-separator=\\", "--", "-dir"],
    ]

    /// The output of `aifs ARGUMENTS` with `AIFS_TEST_PARSED_COMMAND` set: which parser,
    /// then the command's values.
    static func parsed(_ arguments: [String], forcingArgumentParser: Bool) throws -> CommandResult {
        let dir = try TemporaryDirectory("parsed")
        let hook = forcingArgumentParser ? "argument-parser" : "direct"
        return try AIFS.run(arguments, in: dir.path, environment: ["AIFS_TEST_PARSED_COMMAND": hook])
    }

    static func expectSameCommand(_ arguments: [String]) throws {
        let direct = try parsed(arguments, forcingArgumentParser: false)
        let full = try parsed(arguments, forcingArgumentParser: true)
        #expect(direct.status == 0 && full.status == 0, "\(arguments)\ndirect: \(direct)\nfull: \(full)")
        #expect(direct.stdout.hasPrefix("direct\n"), "\(arguments) was left to ArgumentParser: \(direct)")
        #expect(full.stdout.hasPrefix("argument-parser\n"), "\(full)")
        #expect(
            direct.stdout.drop { $0 != "\n" } == full.stdout.drop { $0 != "\n" },
            "\(arguments)\ndirect: \(direct)\nfull: \(full)")
        // An option left unset would print as `*definition*`, and crash `run()`.
        #expect(!direct.stdout.contains("*definition*"), "\(arguments): \(direct)")
    }

    @Test(arguments: singleOptions)
    func eachOptionIsReadAsArgumentParserReadsIt(_ arguments: [String]) throws {
        try Self.expectSameCommand(["search"] + arguments)
    }

    @Test(arguments: combinedForms)
    func combinedOptionsAreReadAsArgumentParserReadsThem(_ arguments: [String]) throws {
        try Self.expectSameCommand(["search"] + arguments)
    }

    @Test(arguments: filesForms)
    func filesIsReadAsArgumentParserReadsIt(_ arguments: [String]) throws {
        try Self.expectSameCommand(["files"] + arguments)
    }

    /// Command lines the direct parser leaves to ArgumentParser: help, unknown options,
    /// values that do not convert, flags given a value, failed validation, and the other
    /// commands. The output and status are ArgumentParser's either way.
    static let leftToArgumentParser: [[String]] = [
        ["search", "--help"], ["search", "-h"], ["files", "--help"], ["--help"], ["--version"], ["search", "-iZ", "x"],
        ["search", "--no-such-flag", "x"], ["search", "-A", "one", "x"], ["search", "--threads=many", "x"],
        ["search", "--color=sometimes", "x"], ["search", "--sort=size", "x"], ["search", "--hidden=yes", "x"],
        ["search", "x", "-A"], ["search", "--json", "-o", "x"], ["search", "--engine=rust", "x"],
        ["search", "-m", "-1", "x"], ["search", "--regex-size-limit=lots", "x"], ["files", "--files"],
        ["files", "-i"], ["read", "x"], ["stats"],
    ]

    @Test(arguments: leftToArgumentParser)
    func whatItIsNotSureOfIsLeftToArgumentParser(_ arguments: [String]) throws {
        let direct = try Self.parsed(arguments, forcingArgumentParser: false)
        let full = try Self.parsed(arguments, forcingArgumentParser: true)
        #expect(!direct.stdout.hasPrefix("direct\n"), "\(arguments): \(direct)")
        #expect(direct.status == full.status, "\(arguments)\ndirect: \(direct)\nfull: \(full)")
        #expect(direct.stdout == full.stdout, "\(arguments)\ndirect: \(direct)\nfull: \(full)")
        #expect(direct.stderr == full.stderr, "\(arguments)\ndirect: \(direct)\nfull: \(full)")
    }
}
