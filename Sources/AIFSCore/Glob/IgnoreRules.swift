/// The verdict of ignore rules on one path.
public enum IgnoreMatch: Sendable, Hashable {
    /// No rule matched: the rules have no opinion.
    case none
    /// The last matching rule ignores the path.
    case ignore
    /// The last matching rule whitelists the path (a `!` rule in a gitignore file, a
    /// plain glob among override globs).
    case whitelist
}

/// The rules of one gitignore-syntax file (`.gitignore`, `.ignore`, `.rgignore`, ...),
/// read the way ripgrep's `ignore` crate reads them.
///
/// Each line is one rule:
/// - blank lines and lines starting with `#` are skipped (`\#` starts a literal `#`);
/// - trailing whitespace is dropped unless a backslash escapes it (`foo\ `);
/// - a leading `!` turns the rule into a whitelist (`\!` starts a literal `!`);
/// - a trailing `/` limits the rule to directories;
/// - a leading `/`, or a `/` anywhere but the end, anchors the rule to the directory
///   holding the file; a rule without one matches at any depth;
/// - `dir/**` matches everything inside `dir` but not `dir` itself;
/// - unlike git, `{a,b}` alternation works, as it does in ripgrep; an unclosed `[` is
///   literal, as in git.
///
/// ```swift
/// let rules = IgnoreRules(lines: ["*.log", "!keep.log", "/build/"], source: ".gitignore")
/// rules.match("debug.log", isDirectory: false)   // .ignore
/// rules.match("keep.log", isDirectory: false)    // .whitelist
/// rules.match("src/build", isDirectory: true)    // .none: `/build/` is anchored
/// ```
public struct IgnoreRules: Sendable {
    /// Where the rules came from, usually the file's path; it names the file in
    /// ``problems``.
    public let source: String
    /// One error per line that was skipped because it is not a valid glob (or not
    /// UTF-8), each naming ``source``, the line number and the problem.
    public private(set) var problems: [CoreError]
    private var rules: [GitignoreRule]

    /// Whether there are no rules, so every path gets ``IgnoreMatch/none``.
    public var isEmpty: Bool { rules.isEmpty }

    /// Parses the contents of a gitignore-syntax file.
    ///
    /// Lines end with LF or CRLF, and a UTF-8 byte order mark before the first line is
    /// skipped. Lines that are not valid globs are skipped and reported in ``problems``;
    /// the other lines still apply, as in git and ripgrep.
    ///
    /// - Parameters:
    ///   - contents: The bytes of the file.
    ///   - source: The file's path, for messages.
    ///   - caseInsensitive: Whether rules match regardless of case (for file systems
    ///     that fold case).
    public init(parsing contents: [UInt8], source: String, caseInsensitive: Bool = false) {
        self.source = source
        self.problems = []
        self.rules = []
        var lineStart = 0
        var lineNumber = 0
        while lineStart < contents.count {
            var lineEnd = lineStart
            while lineEnd < contents.count && contents[lineEnd] != 0x0A { lineEnd += 1 }
            lineNumber += 1
            var start = lineStart
            var end = lineEnd
            if lineNumber == 1 {
                // Git skips a byte order mark that some editors write; ripgrep strips
                // any number of them.
                while end - start >= 3 && contents[start] == 0xEF && contents[start + 1] == 0xBB
                    && contents[start + 2] == 0xBF
                {
                    start += 3
                }
            }
            if end > start && contents[end - 1] == 0x0D { end -= 1 }
            if let line = String(validating: contents[start..<end], as: UTF8.self) {
                add(line: line, number: lineNumber, caseInsensitive: caseInsensitive)
            } else {
                problems.append(
                    CoreError(
                        .invalidGlob,
                        "\(source):\(lineNumber): the line is not valid UTF-8 and was skipped; save the file as UTF-8",
                        path: source
                    )
                )
            }
            lineStart = lineEnd + 1
        }
    }

    /// Parses gitignore-syntax lines, one rule per element; numbers in ``problems``
    /// count from 1. As with file contents, a byte order mark before the first line and
    /// a CR left at the end of a line are dropped.
    public init(lines: [String], source: String, caseInsensitive: Bool = false) {
        self.source = source
        self.problems = []
        self.rules = []
        for (index, var line) in lines.enumerated() {
            if index == 0 {
                while line.unicodeScalars.first == "\u{FEFF}" { line.unicodeScalars.removeFirst() }
            }
            if line.unicodeScalars.last == "\r" { line.unicodeScalars.removeLast() }
            add(line: line, number: index + 1, caseInsensitive: caseInsensitive)
        }
    }

    private mutating func add(line: String, number: Int, caseInsensitive: Bool) {
        do {
            if let rule = try GitignoreRule(line: line, caseInsensitive: caseInsensitive, allowUnclosedClass: true) {
                rules.append(rule)
            }
        } catch {
            problems.append(
                CoreError(.invalidGlob, "\(source):\(number): \(error.message); the line was skipped", path: source)
            )
        }
    }

    /// Decides a path: the last rule that matches wins, and a directory-only rule
    /// (trailing `/`) counts only when `isDirectory` is true.
    ///
    /// - Parameters:
    ///   - relativePath: UTF-8 bytes of the path relative to the directory holding the
    ///     file: '/'-separated, with no leading "./" or "/".
    ///   - isDirectory: Whether the path names a directory.
    /// - Returns: ``IgnoreMatch/none`` when no rule matches. Does not allocate.
    public func match(_ relativePath: UnsafeBufferPointer<UInt8>, isDirectory: Bool) -> IgnoreMatch {
        GitignoreRule.lastMatch(in: rules, relativePath, isDirectory: isDirectory)
    }

    /// Decides a path given as a string; see ``match(_:isDirectory:)-(UnsafeBufferPointer<UInt8>,_)``.
    public func match(_ relativePath: String, isDirectory: Bool) -> IgnoreMatch {
        var path = relativePath
        return path.withUTF8 { match($0, isDirectory: isDirectory) }
    }
}

/// One gitignore line, compiled.
struct GitignoreRule: Sendable {
    let glob: Glob
    /// The glob's matcher without reference counting: scanning many rules per path
    /// otherwise pays an atomic retain and release per rule. `glob` keeps it alive.
    unowned(unsafe) let matcher: GlobMatcher
    /// The line started with `!`.
    let isWhitelist: Bool
    /// The line ended with `/`.
    let isDirectoryOnly: Bool

    struct LineError: Error {
        /// "invalid glob '<line>': <problem> at position <n>; <advice>", the position
        /// counted in the line as written.
        let message: String
    }

    /// Compiles one line as GitignoreBuilder::add_line does; nil for blank lines and
    /// comments.
    init?(line: String, caseInsensitive: Bool, allowUnclosedClass: Bool) throws(LineError) {
        var s = Array(line.unicodeScalars)
        if s.first == "#" { return nil }
        var end = s.count
        while end > 0 && s[end - 1].properties.isWhitespace { end -= 1 }
        // `foo\ ` keeps its escaped space; ripgrep checks only for a final "\ ", which
        // also keeps the space of `foo\\ ` (escaped backslash) and loses `foo\  `.
        if end < s.count && s[end] == " " && GitignoreRule.endsWithOddBackslashes(s[..<end]) {
            end += 1
        }
        s.removeSubrange(end...)
        if s.isEmpty { return nil }

        var start = 0
        var whitelist = false
        var anchored = false
        if s.count >= 2 && s[0] == "\\" && (s[1] == "!" || s[1] == "#") {
            start = 1
        } else {
            if s[0] == "!" {
                whitelist = true
                start = 1
            }
            if start < s.count && s[start] == "/" {
                anchored = true
                start += 1
            }
        }
        var bodyEnd = s.count
        var directoryOnly = false
        if bodyEnd > start && s[bodyEnd - 1] == "/" {
            directoryOnly = true
            bodyEnd -= 1
            // `foo\/` ends in an escaped slash: drop the escape with it.
            if GitignoreRule.endsWithOddBackslashes(s[start..<bodyEnd]) { bodyEnd -= 1 }
        }
        let body = s[start..<bodyEnd]
        var actual = String.UnicodeScalarView()
        var added = 0
        if !anchored && !body.contains("/") && !body.elementsEqual(["*", "*"]) {
            actual.append(contentsOf: "**/".unicodeScalars)
            added = 3
        }
        actual.append(contentsOf: body)
        // A standard `dir/**` matches `dir/` too; appending `/*` insists on an entry
        // inside, which is what gitignore means.
        if actual.count >= 3 && actual.reversed().starts(with: ["*", "*", "/"]) {
            actual.append(contentsOf: "/*".unicodeScalars)
        }
        do {
            glob = try Glob(
                compiling: String(actual),
                options: Glob.Options(caseInsensitive: caseInsensitive, literalSeparator: true, backslashEscape: true),
                allowUnclosedClass: allowUnclosedClass
            )
        } catch {
            let position = min(max(error.position - added + start, 0), max(s.count - 1, 0))
            throw LineError(message: error.message(pattern: String(String.UnicodeScalarView(s)), position: position))
        }
        matcher = glob.matcher
        isWhitelist = whitelist
        isDirectoryOnly = directoryOnly
    }

    private static func endsWithOddBackslashes(_ scalars: ArraySlice<Unicode.Scalar>) -> Bool {
        var count = 0
        var i = scalars.endIndex
        while i > scalars.startIndex && scalars[i - 1] == "\\" {
            count += 1
            i -= 1
        }
        return count % 2 == 1
    }

    /// The verdict of the last rule that applies; rules are scanned from the end so the
    /// first hit decides.
    static func lastMatch(
        in rules: [GitignoreRule],
        _ path: UnsafeBufferPointer<UInt8>,
        isDirectory: Bool
    ) -> IgnoreMatch {
        rules.withUnsafeBufferPointer { rules in
            var i = rules.count - 1
            while i >= 0 {
                if (isDirectory || !rules[i].isDirectoryOnly) && rules[i].matcher.matches(path) {
                    return rules[i].isWhitelist ? .whitelist : .ignore
                }
                i -= 1
            }
            return .none
        }
    }
}
