import AIFSTestSupport
import Testing

@testable import AIFSCore

/// One row of a match table: `pattern` against `path` should give `expected`.
struct GlobMatchCase: Sendable, CustomTestStringConvertible {
    var pattern: String
    var path: String
    var expected: Bool
    var options = Glob.Options()

    init(_ pattern: String, _ path: String, _ expected: Bool, _ options: Glob.Options = Glob.Options()) {
        self.pattern = pattern
        self.path = path
        self.expected = expected
        self.options = options
    }

    var testDescription: String { "'\(pattern)' ~ '\(path)' → \(expected)" }
}

private let caseless = Glob.Options(caseInsensitive: true)
private let slashFree = Glob.Options(literalSeparator: false)
private let noEscape = Glob.Options(backslashEscape: false)

/// Both entry points must agree, so every row checks the String and the byte form.
private func check(_ glob: Glob, _ path: String) -> Bool {
    let viaString = glob.matches(path)
    let viaBytes = Array(path.utf8).withUnsafeBufferPointer { glob.matches($0) }
    #expect(viaString == viaBytes, "String and byte forms disagree on '\(path)'")
    return viaBytes
}

@Suite("Glob")
struct GlobTests {
    static let cases: [GlobMatchCase] = [
        // Literals.
        GlobMatchCase("a", "a", true),
        GlobMatchCase("abc", "abc", true),
        GlobMatchCase("abc", "abcd", false),
        GlobMatchCase("abc", "ab", false),
        GlobMatchCase("a", "foo/a", false),
        GlobMatchCase("foo/bar", "foo/bar", true),
        GlobMatchCase("./foo", "foo", false),
        GlobMatchCase("", "", true),
        GlobMatchCase("", "a", false),
        GlobMatchCase("☃", "☃", true),
        GlobMatchCase("a,b", "a,b", true),
        GlobMatchCase(",", ",", true),
        // `?`.
        GlobMatchCase("?", "a", true),
        GlobMatchCase("?", "", false),
        GlobMatchCase("?", "ab", false),
        GlobMatchCase("a?c", "abc", true),
        GlobMatchCase("a?c", "a/c", false),
        GlobMatchCase("?.txt", "é.txt", true),  // one scalar, two bytes
        GlobMatchCase("??.txt", "é.txt", false),
        GlobMatchCase("?", "☃", true),
        // `*`.
        GlobMatchCase("*", "", true),
        GlobMatchCase("*", "anything", true),
        GlobMatchCase("*", "a/b", false),
        GlobMatchCase("*.rs", "main.rs", true),
        GlobMatchCase("*.rs", ".rs", true),
        GlobMatchCase("*.rs", "src/main.rs", false),
        GlobMatchCase("*.rs", "main.rs.bak", false),
        GlobMatchCase("a*b", "a_b", true),
        GlobMatchCase("a*b*c", "abc", true),
        GlobMatchCase("a*b*c", "a___b___c", true),
        GlobMatchCase("a*b*c", "abcd", false),
        GlobMatchCase("abc*abc*abc", "abcabcabcabcabcabcabc", true),
        GlobMatchCase("abc*abc*abc", "abcabcabcabcabcabcabca", false),
        GlobMatchCase("a*a*a*a*a*a*a*a*a", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true),
        GlobMatchCase("a*b[xyz]c*d", "abxcdbxcddd", true),
        GlobMatchCase("*hello.txt", "gareth_says_hello.txt", true),
        GlobMatchCase("*hello.txt", "hello.txt-and-then-some", false),
        GlobMatchCase("*hello.txt", "some/path/to/hello.txt", false),
        GlobMatchCase("src/*", "src/main.rs", true),
        GlobMatchCase("src/*", "src/a/main.rs", false),
        GlobMatchCase("foo*", "foobar", true),
        GlobMatchCase("foo*", "foo/bar", false),
        GlobMatchCase("some/*/needle.txt", "some/one/needle.txt", true),
        GlobMatchCase("some/*/needle.txt", "some/needle.txt", false),
        GlobMatchCase("some/*/needle.txt", "some/one/two/needle.txt", false),
        // `**` as a whole component.
        GlobMatchCase("**", "", true),
        GlobMatchCase("**", "abcde", true),
        GlobMatchCase("**", "a/b/c", true),
        GlobMatchCase("**", "/x/.asdf", true),
        GlobMatchCase("**/", "a/b", true),
        GlobMatchCase("**/test", "test", true),
        GlobMatchCase("**/test", "one/test", true),
        GlobMatchCase("**/test", "one/two/test", true),
        GlobMatchCase("**/test", "atest", false),
        GlobMatchCase("**/foo", "foofoo", false),
        GlobMatchCase("**/foo/bar", "foo/bar", true),
        GlobMatchCase("**/foo/bar", "x/foo/bar", true),
        GlobMatchCase("**/foo/bar", "foofoo/bar", false),
        GlobMatchCase("**/*.rs", "main.rs", true),
        GlobMatchCase("**/*.rs", "a/b/main.rs", true),
        GlobMatchCase("**/*.rs", "a/b/main.rc", false),
        GlobMatchCase("**/.*", ".abc", true),
        GlobMatchCase("**/.*", "abc/.abc", true),
        GlobMatchCase("**/.*", "abc/ab.c", false),
        GlobMatchCase("**/*", "a/b/c", true),
        GlobMatchCase("test/**", "test/one", true),
        GlobMatchCase("test/**", "test/one/two", true),
        GlobMatchCase("test/**", "test", false),
        GlobMatchCase("test/**", "testing/one", false),
        GlobMatchCase(".*/**", ".abc/abc", true),
        GlobMatchCase(".*/**", ".abc", false),
        GlobMatchCase("a/**/b", "a/b", true),
        GlobMatchCase("a/**/b", "a/x/b", true),
        GlobMatchCase("a/**/b", "a/x/y/b", true),
        GlobMatchCase("a/**/b", "a/xb", false),
        GlobMatchCase("a/**/b", "ab", false),
        GlobMatchCase("some/**/needle.txt", "some/other/notthis.txt", false),
        GlobMatchCase("some/**/**/needle.txt", "some/one/two/needle.txt", true),
        GlobMatchCase("some/**/**/needle.txt", "some/needle.txt", true),
        GlobMatchCase("a/**/**", "a/b", true),
        GlobMatchCase("/**/test", "/one/test", true),
        GlobMatchCase("/**/test", "/test", true),
        GlobMatchCase("/**/test", "test", false),
        GlobMatchCase("src/**/*.rs", "src/main.rs", true),
        GlobMatchCase("src/**/*.rs", "src/a/b/main.rs", true),
        GlobMatchCase("src/**/*.rs", "lib/src/main.rs", false),
        // `**` not a whole component acts as `*`.
        GlobMatchCase("a**", "abc", true),
        GlobMatchCase("a**", "a/bc", false),
        GlobMatchCase("**a", "bca", true),
        GlobMatchCase("**a", "b/a", false),
        GlobMatchCase("a/**b", "a/xb", true),
        GlobMatchCase("a/**b", "a/x/b", false),
        GlobMatchCase("***", "abc", true),
        // Classes.
        GlobMatchCase("a[0-9]b", "a0b", true),
        GlobMatchCase("a[0-9]b", "a9b", true),
        GlobMatchCase("a[0-9]b", "a_b", false),
        GlobMatchCase("a[!0-9]b", "a_b", true),
        GlobMatchCase("a[!0-9]b", "a0b", false),
        GlobMatchCase("a[^0-9]b", "a_b", true),
        GlobMatchCase("a[^0-9]b", "a9b", false),
        GlobMatchCase("[a-z123]", "1", true),
        GlobMatchCase("[abc-]", "-", true),
        GlobMatchCase("[-abc]", "-", true),
        GlobMatchCase("[-a-c]", "b", true),
        GlobMatchCase("[!-]", "-", false),
        GlobMatchCase("[]]", "]", true),
        GlobMatchCase("[]-z]", "a", true),
        GlobMatchCase("[!]]", "a", true),
        GlobMatchCase("[!]]", "]", false),
        GlobMatchCase("_[[]_[]]_[?]_[*]_!_", "_[_]_?_*_!_", true),
        GlobMatchCase("[é]", "é", true),  // ranges are on scalars, not bytes
        GlobMatchCase("[à-ÿ]x", "éx", true),
        GlobMatchCase("[à-ÿ]x", "ex", false),
        GlobMatchCase("a[!x]b", "a/b", false),  // classes never match '/'
        GlobMatchCase("a[/]b", "a/b", false),
        GlobMatchCase("[\\]]", "\\]", true),  // a backslash inside a class is literal
        // Alternation.
        GlobMatchCase("{a,b}", "a", true),
        GlobMatchCase("{a,b}", "b", true),
        GlobMatchCase("{a,b}", "c", false),
        GlobMatchCase("{a,b}", "ab", false),
        GlobMatchCase("{*.foo,*.bar,*.wat}", "test.bar", true),
        GlobMatchCase("{*.foo,*.bar,*.wat}", "test.baz", false),
        GlobMatchCase("{**/src/**,foo}", "abc/src/bar", true),
        GlobMatchCase("{**/src/**,foo}", "foo", true),
        GlobMatchCase("{**/src/**,foo}", "abc/src", false),
        GlobMatchCase("{[}],foo}", "}", true),
        GlobMatchCase("{foo}", "foo", true),
        GlobMatchCase("{}", "", true),
        GlobMatchCase("{,}", "", true),
        GlobMatchCase("foo{,.txt}", "foo.txt", true),
        GlobMatchCase("foo{,.txt}", "foo", false),  // ripgrep drops empty alternatives
        GlobMatchCase("{a,b{c,d}}", "bd", true),
        GlobMatchCase("{a,b{c,d}}", "a", true),
        GlobMatchCase("{a,b{c,d}}", "b", false),
        GlobMatchCase("src/{lib,bin}/*.rs", "src/bin/x.rs", true),
        GlobMatchCase("src/{lib,bin}/*.rs", "src/doc/x.rs", false),
        // Escapes.
        GlobMatchCase("\\[", "[", true),
        GlobMatchCase("\\?", "?", true),
        GlobMatchCase("\\?", "a", false),
        GlobMatchCase("\\*", "*", true),
        GlobMatchCase("\\*", "x", false),
        GlobMatchCase("\\a", "a", true),
        GlobMatchCase("\\{a,b\\}", "{a,b}", true),
        GlobMatchCase("\\\\", "\\", true),
        // Case folding.
        GlobMatchCase("aBcDeFg", "abcdefg", true, caseless),
        GlobMatchCase("aBcDeFg", "ABCDEFG", true, caseless),
        GlobMatchCase("aBcDeFg", "abcdefg", false),
        GlobMatchCase("*.html", "INDEX.HTML", true, caseless),
        GlobMatchCase("*.HTML", "index.html", true, caseless),
        GlobMatchCase("**/readme", "docs/README", true, caseless),
        GlobMatchCase("src/*", "SRC/x", true, caseless),
        GlobMatchCase("[a-c]x", "BX", true, caseless),
        GlobMatchCase("[!a-c]x", "BX", false, caseless),
        GlobMatchCase("straße", "STRAßE", true, caseless),
        GlobMatchCase("ÉTÉ/*.txt", "été/x.txt", true, caseless),
        GlobMatchCase("Σ*", "σx", true, caseless),
        GlobMatchCase("ς", "σ", true, caseless),
        GlobMatchCase("[à-ÿ]", "É", true, caseless),
        GlobMatchCase("é", "É", false),
        // Options.
        GlobMatchCase("*", "a/b", true, slashFree),
        GlobMatchCase("a?b", "a/b", true, slashFree),
        GlobMatchCase("*.c", "mozilla-sha1/sha1.c", true, slashFree),
        GlobMatchCase("*hello.txt", "some/path/to/hello.txt", true, slashFree),
        GlobMatchCase("a[!x]b", "a/b", true, slashFree),
        GlobMatchCase("\\*", "\\x", true, noEscape),
        GlobMatchCase("\\[a-z]", "\\a", true, noEscape),
        GlobMatchCase("a\\", "a\\", true, noEscape),
    ]

    @Test("Pattern matches path as ripgrep does", arguments: cases)
    func matching(_ row: GlobMatchCase) throws {
        let glob = try Glob(row.pattern, options: row.options)
        #expect(check(glob, row.path) == row.expected)
    }

    /// Invalid patterns: (pattern, 0-based position named in the message, words of the problem).
    static let invalid: [(String, Int, String)] = [
        ("[a", 0, "unclosed character class"),
        ("[a-", 0, "unclosed character class"),
        ("[", 0, "unclosed character class"),
        ("[]", 0, "unclosed character class"),
        ("[!]", 0, "unclosed character class"),
        ("ab/[!", 3, "unclosed character class"),
        ("[z-a]", 1, "invalid character range 'z-a'"),
        ("x[z--]", 2, "invalid character range 'z--'"),
        ("{a,b", 0, "unclosed alternation"),
        ("x{a,{b,c}", 1, "unclosed alternation"),
        ("a,b}", 3, "'}' without a matching '{'"),
        ("{a,b}}", 5, "'}' without a matching '{'"),
        ("abc\\", 3, "trailing backslash"),
        ("\\", 0, "trailing backslash"),
        ("é[", 1, "unclosed character class"),  // positions count scalars, not bytes
    ]

    @Test("Invalid pattern throws invalidGlob naming the pattern and position", arguments: invalid)
    func invalidPattern(_ pattern: String, _ position: Int, _ problem: String) {
        let error = #expect(throws: CoreError.self) { try Glob(pattern) }
        #expect(error?.code == .invalidGlob)
        let message = error?.message ?? ""
        #expect(message.contains("'\(pattern)'"), "message names the pattern: \(message)")
        #expect(message.contains("at position \(position);"), "message names the position: \(message)")
        #expect(message.contains(problem), "message names the problem: \(message)")
        #expect(error?.path == nil)
    }

    @Test("Message of an unclosed class matches the documented wording")
    func unclosedClassWording() {
        let error = #expect(throws: CoreError.self) { try Glob("[a-") }
        #expect(
            error?.message
                == "invalid glob '[a-': unclosed character class at position 0; close it with ']' or escape '[' as '\\['"
        )
    }

    @Test("Without backslash escapes the advice does not suggest them")
    func adviceWithoutEscapes() {
        let error = #expect(throws: CoreError.self) { try Glob("[a", options: noEscape) }
        #expect(error?.message.contains("'[[]'") == true)
    }

    @Test("A trailing backslash is literal when escapes are off")
    func trailingBackslashLiteral() throws {
        #expect(try Glob("a\\", options: noEscape).matches("a\\"))
    }

    @Test("Pathological patterns finish quickly (no exponential backtracking)")
    func pathological() throws {
        let long = String(repeating: "a", count: 20_000)
        #expect(try Glob("a*a*a*a*a*a*a*a*a*a*a*a*b").matches(long) == false)
        #expect(try Glob("a*a*a*a*a*a*a*a*a*a*a*a*").matches(long) == true)
        #expect(try Glob("**/a*a*a*a*a*a*a*a*a*a*a*b").matches("x/" + long) == false)
        // More than 64 automaton states takes the multi-word path.
        let many = String(repeating: "a*", count: 60) + "b"
        #expect(try Glob(many).matches(long) == false)
        #expect(try Glob(many).matches(long + "b") == true)
        let deep = Array(repeating: "a", count: 2_000).joined(separator: "/")
        #expect(try Glob("**/a/**/a/**/a/**/b").matches(deep) == false)
        #expect(try Glob("{*a*a*a*b,**/a*a*a*c}").matches(long) == false)
        let brackets = String(repeating: "[", count: 5_000)
        #expect(throws: CoreError.self) { try Glob(brackets) }
    }

    @Test("Long literal patterns (over 64 states) match")
    func longPatterns() throws {
        let name = String(repeating: "abcdefgh/", count: 12) + "file.txt"
        let glob = try Glob(String(repeating: "abcdefgh/", count: 12) + "*.txt")
        #expect(glob.matches(name))
        #expect(!glob.matches(name + "x"))
        let mixed = try Glob("[a-h]" + String(repeating: "bcdefgh?", count: 10) + "{x,y}")
        #expect(mixed.matches("a" + String(repeating: "bcdefghZ", count: 10) + "y"))
        #expect(!mixed.matches("a" + String(repeating: "bcdefgh/", count: 10) + "y"))
    }

    @Test("Invalid UTF-8 in a path is stepped over byte by byte")
    func invalidUTF8() throws {
        let path: [UInt8] = [0x61, 0xFF, 0x2E, 0x72, 0x73]  // "a\xFF.rs"
        func matches(_ pattern: String) throws -> Bool {
            let glob = try Glob(pattern)
            return path.withUnsafeBufferPointer { glob.matches($0) }
        }
        #expect(try matches("*.rs"))
        #expect(try matches("a?.rs"))
        #expect(try matches("a[!x].rs"))
        #expect(try !matches("a[a-z].rs"))
        #expect(try !matches("a.rs"))
        let truncated: [UInt8] = [0x78, 0xC3]  // "x" and half of "é"
        #expect(try truncated.withUnsafeBufferPointer { try Glob("x?").matches($0) })
    }

    @Test("Globs compare by pattern and options")
    func equality() throws {
        #expect(try Glob("*.rs") == Glob("*.rs"))
        #expect(try Glob("*.rs") != Glob("*.RS"))
        #expect(try Glob("*.rs") != Glob("*.rs", options: caseless))
        #expect(try Set([Glob("a"), Glob("a"), Glob("b")]).count == 2)
        #expect(try Glob("x/**").pattern == "x/**")
    }

    @Test("Options default to ripgrep's")
    func defaults() {
        let options = Glob.Options()
        #expect(options.caseInsensitive == false)
        #expect(options.literalSeparator == true)
        #expect(options.backslashEscape == true)
    }

    /// Random patterns checked against a plain backtracking matcher written straight from
    /// globset's regex translation; it catches disagreements between the fast paths, the
    /// automaton and the spec, in each mode.
    @Test(
        "Agrees with a reference backtracking matcher on random patterns",
        arguments: [Glob.Options(), caseless, slashFree, Glob.Options(caseInsensitive: true, literalSeparator: false)]
    )
    func differential(_ options: Glob.Options) throws {
        var rng = SplitMix64(state: 0x5EED)
        let atoms = [
            "a", "b", "B", "/", "*", "?", "**", "**/", "/**", "/**/", "[ab]", "[!a]", "{a,b*}", "{,a}", "é", ".",
        ]
        let pathAtoms = ["a", "b", "A", "B", "/", "é", "É", ".", "ab"]
        var checked = 0
        for _ in 0..<2_000 {
            var pattern = ""
            for _ in 0..<rng.next(upTo: 6) + 1 { pattern += atoms[rng.next(upTo: atoms.count)] }
            guard let glob = try? Glob(pattern, options: options) else { continue }
            let tokens = try GlobParser.parse(pattern, backslashEscape: true, allowUnclosedClass: false)
            let reference = GlobReferenceMatcher(tokens: tokens, options: options)
            for _ in 0..<12 {
                var path = ""
                for _ in 0..<rng.next(upTo: 7) { path += pathAtoms[rng.next(upTo: pathAtoms.count)] }
                let expected = reference.matches(Array(path.unicodeScalars))
                #expect(check(glob, path) == expected, "pattern '\(pattern)' path '\(path)'")
                checked += 1
            }
        }
        #expect(checked > 5_000)
    }
}

/// Backtracking over globset's regex for each token (`[^/]*` for `*`, `(?:/?|.*/)` for
/// a leading `**/`, `/.*` for a trailing `/**`, `(?:/|/.*/)` for `/**/`). Case folding
/// compares simple lowercase mappings. Exponential, fine for short inputs.
struct GlobReferenceMatcher {
    let tokens: [GlobToken]
    let options: Glob.Options

    func matches(_ path: [Unicode.Scalar]) -> Bool {
        if tokens == [.recursivePrefix] { return true }
        return run(tokens[...], path, 0) { $0 == path.count }
    }

    private func fold(_ c: Unicode.Scalar) -> Unicode.Scalar {
        guard options.caseInsensitive else { return c }
        let lower = c.properties.lowercaseMapping.unicodeScalars
        return lower.count == 1 ? lower.first! : c
    }

    /// Whether a wildcard (`?`, `*`, a class) may take this scalar.
    private func free(_ c: Unicode.Scalar) -> Bool {
        !options.literalSeparator || c != "/"
    }

    private func run(
        _ tokens: ArraySlice<GlobToken>,
        _ path: [Unicode.Scalar],
        _ i: Int,
        _ done: (Int) -> Bool
    ) -> Bool {
        guard let token = tokens.first else { return done(i) }
        let rest = tokens.dropFirst()
        func next(_ j: Int) -> Bool { run(rest, path, j, done) }
        let n = path.count
        switch token {
        case .literal(let c):
            return i < n && fold(path[i]) == fold(c) && next(i + 1)
        case .any:
            return i < n && free(path[i]) && next(i + 1)
        case .zeroOrMore:
            var j = i
            while true {
                if next(j) { return true }
                if j >= n || !free(path[j]) { return false }
                j += 1
            }
        case .recursivePrefix:
            if next(i) { return true }
            for j in i..<n where path[j] == "/" && next(j + 1) { return true }
            return false
        case .recursiveSuffix:
            guard i < n && path[i] == "/" else { return false }
            for j in (i + 1)...n where next(j) { return true }
            return false
        case .recursiveZeroOrMore:
            guard i < n && path[i] == "/" else { return false }
            if next(i + 1) { return true }
            for j in (i + 1)..<n where path[j] == "/" && next(j + 1) { return true }
            return false
        case .characterClass(let negated, let ranges):
            guard i < n && free(path[i]) else { return false }
            let c = path[i]
            let inside =
                ranges.contains { $0.contains(c.value) }
                || options.caseInsensitive
                    && ranges.contains { range in
                        range.lazy.compactMap(Unicode.Scalar.init).contains { fold($0) == fold(c) }
                    }
            return inside != negated && next(i + 1)
        case .alternates(let branches):
            let kept = branches.filter { !isEmptyRegex($0) }
            if kept.isEmpty { return next(i) }
            return kept.contains { branch in run(branch[...], path, i) { next($0) } }
        }
    }

    private func isEmptyRegex(_ tokens: [GlobToken]) -> Bool {
        tokens.allSatisfy { token in
            if case .alternates(let branches) = token { return branches.allSatisfy(isEmptyRegex) }
            return false
        }
    }
}
