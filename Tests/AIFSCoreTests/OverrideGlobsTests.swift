import Testing

@testable import AIFSCore

/// One row: `-g` globs, a path, whether it is a directory, the verdict.
struct OverrideGlobsCase: Sendable, CustomTestStringConvertible {
    var globs: [String]
    var path: String
    var isDirectory: Bool
    var expected: IgnoreMatch
    var caseInsensitive: Bool

    init(
        _ globs: [String],
        _ path: String,
        directory: Bool = false,
        _ expected: IgnoreMatch,
        caseInsensitive: Bool = false
    ) {
        self.globs = globs
        self.path = path
        self.isDirectory = directory
        self.expected = expected
        self.caseInsensitive = caseInsensitive
    }

    var testDescription: String {
        "\(globs) ~ '\(path)'\(isDirectory ? "/" : "") → \(expected)"
    }
}

@Suite("OverrideGlobs")
struct OverrideGlobsTests {
    static let cases: [OverrideGlobsCase] = [
        // Whitelist and exclusion together.
        OverrideGlobsCase(["*.foo", "!*.bar"], "a.foo", .whitelist),
        OverrideGlobsCase(["*.foo", "!*.bar"], "a.foo", directory: true, .whitelist),
        OverrideGlobsCase(["*.foo", "!*.bar"], "a.rs", .ignore),
        OverrideGlobsCase(["*.foo", "!*.bar"], "a.rs", directory: true, .none),
        OverrideGlobsCase(["*.foo", "!*.bar"], "a.bar", .ignore),
        OverrideGlobsCase(["*.foo", "!*.bar"], "a.bar", directory: true, .ignore),
        // Only exclusions: unmatched paths are left alone.
        OverrideGlobsCase(["!*.bar"], "a.rs", .none),
        OverrideGlobsCase(["!*.bar"], "a.rs", directory: true, .none),
        OverrideGlobsCase(["!*.bar"], "a.bar", .ignore),
        // Precedence: the last match wins.
        OverrideGlobsCase(["*.foo", "!*.bar.foo"], "a.foo", .whitelist),
        OverrideGlobsCase(["*.foo", "!*.bar.foo"], "a.baz", .ignore),
        OverrideGlobsCase(["*.foo", "!*.bar.foo"], "a.bar.foo", .ignore),
        OverrideGlobsCase(["!*.bar.foo", "*.foo"], "a.bar.foo", .whitelist),
        // Gitignore path rules apply.
        OverrideGlobsCase(["/foo", "bar/*.rs", "baz/**"], "bar/lib.rs", .whitelist),
        OverrideGlobsCase(["/foo", "bar/*.rs", "baz/**"], "bar/wat/lib.rs", .ignore),
        OverrideGlobsCase(["/foo", "bar/*.rs", "baz/**"], "wat/bar/lib.rs", .ignore),
        OverrideGlobsCase(["/foo", "bar/*.rs", "baz/**"], "foo", .whitelist),
        OverrideGlobsCase(["/foo", "bar/*.rs", "baz/**"], "wat/foo", .ignore),
        OverrideGlobsCase(["/foo", "bar/*.rs", "baz/**"], "baz", .ignore),
        OverrideGlobsCase(["/foo", "bar/*.rs", "baz/**"], "baz/a/b", .whitelist),
        OverrideGlobsCase(["!/bar"], "foo/bar", .none),
        // Directories are never ignored for matching nothing.
        OverrideGlobsCase(["*.rs"], "src/foo.rs", .whitelist),
        OverrideGlobsCase(["*.rs"], "src/foo.c", .ignore),
        OverrideGlobsCase(["*.rs"], "src/foo", .ignore),
        OverrideGlobsCase(["*.rs"], "src/foo", directory: true, .none),
        OverrideGlobsCase(["src/**/*.rs"], "outside", directory: true, .none),
        OverrideGlobsCase(["src/**/*.rs"], "src/nested/main.rs", .whitelist),
        // Directory-only globs.
        OverrideGlobsCase(["!vendor/"], "vendor", directory: true, .ignore),
        OverrideGlobsCase(["!vendor/"], "vendor", .none),
        // Case folding (`--iglob`).
        OverrideGlobsCase(["*.html"], "foo.HTML", .whitelist, caseInsensitive: true),
        OverrideGlobsCase(["*.html"], "foo.HTM", .ignore, caseInsensitive: true),
        OverrideGlobsCase(["*.html"], "foo.HTML", .ignore),
        // Comments and blanks are gitignore lines too, so they do nothing.
        OverrideGlobsCase(["#*.rs"], "a.rs", .none),
        OverrideGlobsCase(["\\#*.rs"], "#a.rs", .whitelist),
        OverrideGlobsCase(["  "], "a", .none),
        OverrideGlobsCase([], "a", .none),
    ]

    @Test("Globs decide paths as ripgrep's -g does", arguments: cases)
    func matching(_ row: OverrideGlobsCase) throws {
        let globs = try OverrideGlobs(row.globs, caseInsensitive: row.caseInsensitive)
        let viaString = globs.match(row.path, isDirectory: row.isDirectory)
        let viaBytes = Array(row.path.utf8).withUnsafeBufferPointer {
            globs.match($0, isDirectory: row.isDirectory)
        }
        #expect(viaString == viaBytes)
        #expect(viaBytes == row.expected)
    }

    @Test("isEmpty and hasWhitelist reflect the globs")
    func properties() throws {
        #expect(try OverrideGlobs([]).isEmpty)
        #expect(try OverrideGlobs(["# just a comment"]).isEmpty)
        #expect(try !OverrideGlobs(["*.rs"]).isEmpty)
        #expect(try OverrideGlobs(["*.rs"]).hasWhitelist)
        #expect(try !OverrideGlobs(["!*.rs"]).hasWhitelist)
        #expect(try OverrideGlobs(["!*.rs", "*.c"]).hasWhitelist)
        #expect(try !OverrideGlobs([]).hasWhitelist)
    }

    /// (globs, the glob the message must name, its 0-based position, words of the problem)
    static let invalid: [([String], String, Int, String)] = [
        (["*.rs", "a[b"], "a[b", 1, "unclosed character class"),
        (["{x"], "{x", 0, "unclosed alternation"),
        (["!src/{a"], "!src/{a", 5, "unclosed alternation"),
        (["/[z-a]"], "/[z-a]", 2, "invalid character range 'z-a'"),
        (["x}"], "x}", 1, "'}' without a matching '{'"),
    ]

    @Test("An invalid glob throws invalidGlob naming it", arguments: invalid)
    func invalidGlob(_ globs: [String], _ named: String, _ position: Int, _ problem: String) {
        let error = #expect(throws: CoreError.self) { try OverrideGlobs(globs) }
        #expect(error?.code == .invalidGlob)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("invalid glob '\(named)': \(problem) at position \(position);"), "\(message)")
    }
}
