import Testing

@testable import AIFSCore

/// One row: a gitignore file's `lines`, a path, whether it is a directory, the verdict.
struct IgnoreRulesCase: Sendable, CustomTestStringConvertible {
    var lines: [String]
    var path: String
    var isDirectory: Bool
    var expected: IgnoreMatch
    var caseInsensitive: Bool

    init(
        _ lines: [String],
        _ path: String,
        directory: Bool = false,
        _ expected: IgnoreMatch,
        caseInsensitive: Bool = false
    ) {
        self.lines = lines
        self.path = path
        self.isDirectory = directory
        self.expected = expected
        self.caseInsensitive = caseInsensitive
    }

    var testDescription: String {
        "\(lines) ~ '\(path)'\(isDirectory ? "/" : "") → \(expected)"
    }
}

/// Both entry points must agree.
private func verdict(_ rules: IgnoreRules, _ path: String, directory: Bool) -> IgnoreMatch {
    let viaString = rules.match(path, isDirectory: directory)
    let viaBytes = Array(path.utf8).withUnsafeBufferPointer { rules.match($0, isDirectory: directory) }
    #expect(viaString == viaBytes)
    return viaBytes
}

@Suite("IgnoreRules")
struct IgnoreRulesTests {
    static let cases: [IgnoreRulesCase] = [
        // A name without a slash matches at any depth.
        IgnoreRulesCase(["months"], "months", .ignore),
        IgnoreRulesCase(["months"], "a/b/months", .ignore),
        IgnoreRulesCase(["amonths"], "months", .none),
        IgnoreRulesCase(["monthsa"], "months", .none),
        IgnoreRulesCase(["*.lock"], "Cargo.lock", .ignore),
        IgnoreRulesCase(["*.rs"], "src/main.rs", .ignore),
        IgnoreRulesCase(["target"], "grep/target", directory: true, .ignore),
        IgnoreRulesCase(["s*.rs"], "sfoo.rs", .ignore),
        IgnoreRulesCase(["s*.rs"], "src/foo.rs", .none),
        // Comments, blanks and escapes.
        IgnoreRulesCase(["#foo"], "#foo", .none),
        IgnoreRulesCase(["\\#foo"], "#foo", .ignore),
        IgnoreRulesCase([" #foo"], " #foo", .ignore),
        IgnoreRulesCase(["", "   ", "# comment"], "foo", .none),
        IgnoreRulesCase(["\\!xy"], "!xy", .ignore),
        IgnoreRulesCase(["\\["], "[", .ignore),
        IgnoreRulesCase(["\\*"], "*", .ignore),
        IgnoreRulesCase(["\\*"], "x", .none),
        IgnoreRulesCase(["\\a"], "a", .ignore),
        IgnoreRulesCase(["[abc"], "[abc", .ignore),  // unclosed '[' is literal, as in git
        IgnoreRulesCase(["x[abc"], "xa", .none),
        // Negation: the last matching rule wins.
        IgnoreRulesCase(["*.log", "!keep.log"], "debug.log", .ignore),
        IgnoreRulesCase(["*.log", "!keep.log"], "keep.log", .whitelist),
        IgnoreRulesCase(["*.log", "!keep.log"], "logs/keep.log", .whitelist),
        IgnoreRulesCase(["!keep.log", "*.log"], "keep.log", .ignore),
        IgnoreRulesCase(["!src/main.rs", "*.rs"], "src/main.rs", .ignore),
        IgnoreRulesCase(["*.rs", "!src/main.rs"], "src/main.rs", .whitelist),
        IgnoreRulesCase(["*", "!*/"], "src", directory: true, .whitelist),
        IgnoreRulesCase(["*", "!*/"], "file", .ignore),
        IgnoreRulesCase(["*", "!**/"], "foo", directory: true, .whitelist),
        IgnoreRulesCase(["!/bar"], "foo/bar", .none),
        // Anchoring with a leading slash.
        IgnoreRulesCase(["/build"], "build", .ignore),
        IgnoreRulesCase(["/build"], "src/build", .none),
        IgnoreRulesCase(["/*.c"], "cat-file.c", .ignore),
        IgnoreRulesCase(["/*.c"], "mozilla-sha1/sha1.c", .none),
        IgnoreRulesCase(["/src/*.rs"], "src/main.rs", .ignore),
        IgnoreRulesCase(["/src/*.rs"], "src/grep/src/main.rs", .none),
        // A slash in the middle anchors too.
        IgnoreRulesCase(["doc/*.txt"], "doc/notes.txt", .ignore),
        IgnoreRulesCase(["doc/*.txt"], "a/doc/x.txt", .none),
        IgnoreRulesCase(["doc/*.txt"], "doc/sub/x.txt", .none),
        IgnoreRulesCase(["path1/*"], "path1/foo", .ignore),
        IgnoreRulesCase(["path1/*"], "path2/path1/foo", .none),
        IgnoreRulesCase([".a/b"], ".a/b", .ignore),
        // Directory-only rules.
        IgnoreRulesCase(["build/"], "build", directory: true, .ignore),
        IgnoreRulesCase(["build/"], "build", .none),
        IgnoreRulesCase(["build/"], "src/build", directory: true, .ignore),
        IgnoreRulesCase(["/build/"], "src/build", directory: true, .none),
        IgnoreRulesCase(["foo\\/"], "foo", directory: true, .ignore),
        IgnoreRulesCase(["foo\\/"], "foo", .none),
        IgnoreRulesCase(["**/"], "foo/bar", directory: true, .ignore),
        IgnoreRulesCase(["**/"], "foo/bar", .none),
        IgnoreRulesCase(["logs", "!logs/"], "logs", .ignore),  // the dir-only negation skips files
        IgnoreRulesCase(["logs", "!logs/"], "logs", directory: true, .whitelist),
        // `**`.
        IgnoreRulesCase(["**"], "foo.rs", .ignore),
        IgnoreRulesCase(["**/foo"], "foo", .ignore),
        IgnoreRulesCase(["**/foo"], "src/foo", .ignore),
        IgnoreRulesCase(["**/foo/bar"], "src/foo/bar", .ignore),
        IgnoreRulesCase(["**/foo/bar"], "foo/src/bar", .none),
        IgnoreRulesCase(["**/foo/**"], "wat/src/foo/bar/baz", .ignore),
        IgnoreRulesCase(["**/foo/**"], "wat/src/afoo/bar/baz", .none),
        IgnoreRulesCase(["**/foo/**"], "wat/src/foo", directory: true, .none),
        IgnoreRulesCase(["foo/**"], "foo/x", .ignore),
        IgnoreRulesCase(["foo/**"], "foo/x/y/z", .ignore),
        IgnoreRulesCase(["foo/**"], "foo", directory: true, .none),
        IgnoreRulesCase(["foo/**"], "bar/foo/x", .none),
        IgnoreRulesCase(["a/**/b"], "a/b", .ignore),
        IgnoreRulesCase(["a/**/b"], "a/x/y/b", .ignore),
        IgnoreRulesCase(["a/**/b"], "x/a/b", .none),
        IgnoreRulesCase(["**/**/*"], "a/foo.rs", .ignore),
        // Trailing whitespace.
        IgnoreRulesCase(["foo  "], "foo", .ignore),
        IgnoreRulesCase(["foo\t"], "foo", .ignore),
        IgnoreRulesCase(["node_modules/ "], "node_modules", directory: true, .ignore),
        IgnoreRulesCase(["foo\\ "], "foo ", .ignore),
        IgnoreRulesCase(["foo\\ "], "foo", .none),
        IgnoreRulesCase(["foo\\  "], "foo ", .ignore),
        IgnoreRulesCase(["foo\\\\ "], "foo\\", .ignore),
        // A CR left on a line is dropped, as are stray BOMs on the first.
        IgnoreRulesCase(["*.tmp\r"], "a.tmp", .ignore),
        IgnoreRulesCase(["\u{FEFF}*.tmp"], "a.tmp", .ignore),
        // Alternation works, as in ripgrep (git has none).
        IgnoreRulesCase(["*.{jpg,png}"], "img/x.png", .ignore),
        IgnoreRulesCase(["*.{jpg,png}"], "x.gif", .none),
        // Case folding.
        IgnoreRulesCase(["*.html"], "foo.HTML", .ignore, caseInsensitive: true),
        IgnoreRulesCase(["*.html"], "foo.HTML", .none),
        IgnoreRulesCase(["*.html"], "foo.htm", .none, caseInsensitive: true),
        IgnoreRulesCase(["/Build/"], "BUILD", directory: true, .ignore, caseInsensitive: true),
        IgnoreRulesCase(["Été/**"], "ÉTÉ/x", .ignore, caseInsensitive: true),
    ]

    @Test("Rules decide paths as ripgrep's gitignore matcher does", arguments: cases)
    func matching(_ row: IgnoreRulesCase) {
        let rules = IgnoreRules(lines: row.lines, source: ".gitignore", caseInsensitive: row.caseInsensitive)
        #expect(rules.problems.isEmpty)
        #expect(verdict(rules, row.path, directory: row.isDirectory) == row.expected)
    }

    @Test("Parsing bytes handles CRLF, a BOM and a missing final newline")
    func parsingBytes() {
        let text = "\u{FEFF}# generated\r\n*.log\r\n!keep.log\r\n\r\nbuild/\r\n/dist"
        let rules = IgnoreRules(parsing: Array(text.utf8), source: "repo/.gitignore")
        #expect(rules.problems.isEmpty)
        #expect(rules.source == "repo/.gitignore")
        #expect(verdict(rules, "a.log", directory: false) == .ignore)
        #expect(verdict(rules, "keep.log", directory: false) == .whitelist)
        #expect(verdict(rules, "build", directory: true) == .ignore)
        #expect(verdict(rules, "build", directory: false) == .none)
        #expect(verdict(rules, "dist", directory: false) == .ignore)
        #expect(verdict(rules, "x/dist", directory: false) == .none)
        #expect(verdict(rules, "# generated", directory: false) == .none)
    }

    @Test("A BOM before a comment still leaves a comment")
    func bomComment() {
        let rules = IgnoreRules(parsing: Array("\u{FEFF}#x\n".utf8), source: ".ignore")
        #expect(rules.isEmpty)
    }

    @Test("Empty and comment-only files have no rules")
    func emptyFiles() {
        #expect(IgnoreRules(parsing: [], source: ".gitignore").isEmpty)
        #expect(IgnoreRules(parsing: Array("\n\n\n".utf8), source: ".gitignore").isEmpty)
        #expect(IgnoreRules(lines: ["# a", "", "  "], source: ".gitignore").isEmpty)
        #expect(!IgnoreRules(lines: ["a"], source: ".gitignore").isEmpty)
        #expect(IgnoreRules(lines: [], source: ".gitignore").match("a", isDirectory: false) == .none)
    }

    @Test("Invalid lines are skipped and reported with source, line and position")
    func problems() throws {
        let rules = IgnoreRules(
            lines: ["*.log", "{a,b", "keep[z-a]", "!/foo{x", "ok", "trailing\\"],
            source: "proj/.gitignore"
        )
        #expect(rules.problems.count == 4)
        #expect(rules.problems.allSatisfy { $0.code == .invalidGlob && $0.path == "proj/.gitignore" })
        let messages = rules.problems.map(\.message)
        #expect(messages[0].hasPrefix("proj/.gitignore:2: invalid glob '{a,b': unclosed alternation at position 0"))
        #expect(messages[1].hasPrefix("proj/.gitignore:3: invalid glob 'keep[z-a]': invalid character range 'z-a' at position 5"))
        #expect(messages[2].hasPrefix("proj/.gitignore:4: invalid glob '!/foo{x': unclosed alternation at position 5"))
        #expect(messages[3].hasPrefix("proj/.gitignore:6: invalid glob 'trailing\\': trailing backslash escapes nothing at position 8"))
        #expect(messages.allSatisfy { $0.hasSuffix("the line was skipped") })
        // The valid lines still apply.
        #expect(rules.match("x.log", isDirectory: false) == .ignore)
        #expect(rules.match("ok", isDirectory: false) == .ignore)
        #expect(rules.match("{a,b", isDirectory: false) == .none)
    }

    @Test("A line that is not UTF-8 is reported and the rest still apply")
    func invalidUTF8Line() {
        var bytes = Array("*.a\n".utf8)
        bytes += [0x66, 0xFF, 0x0A]
        bytes += Array("*.b\n".utf8)
        let rules = IgnoreRules(parsing: bytes, source: ".gitignore")
        #expect(rules.problems.count == 1)
        #expect(rules.problems.first?.message.hasPrefix(".gitignore:2:") == true)
        #expect(rules.match("x.a", isDirectory: false) == .ignore)
        #expect(rules.match("x.b", isDirectory: false) == .ignore)
    }

    @Test("Many rules on a long path stay correct")
    func manyRules() {
        var lines: [String] = []
        for i in 0..<200 { lines.append("*.ext\(i)") }
        lines.append("!important.ext7")
        let rules = IgnoreRules(lines: lines, source: ".gitignore")
        #expect(rules.match("deep/dir/file.ext7", isDirectory: false) == .ignore)
        #expect(rules.match("deep/dir/important.ext7", isDirectory: false) == .whitelist)
        #expect(rules.match("deep/dir/file.ext200", isDirectory: false) == .none)
    }
}
