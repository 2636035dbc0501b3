/// How letter case is compared.
public enum CaseMode: String, Sendable, Hashable, CaseIterable {
    /// Case matters (the default; `-s`).
    case sensitive
    /// Case does not matter (`-i`).
    case insensitive
    /// Case does not matter unless a pattern has an uppercase letter (`-S`).
    case smart
}

/// What to look for: the patterns and how to read them, as ripgrep's flags say it.
///
/// ``makeMatcher()`` picks the fastest matcher that gives the same answers: a plain
/// case-sensitive literal gets ``LiteralMatcher``; everything else ``RegexMatcher``.
public struct SearchQuery: Sendable, Hashable {
    /// One or more patterns; a line matches if any does (`-e P1 -e P2`).
    public var patterns: [String]
    /// Treat patterns as literal strings, not regular expressions (`-F`).
    public var literal = false
    /// How case is compared.
    public var caseMode: CaseMode = .sensitive
    /// Match only whole words (`-w`).
    public var wordBoundary = false
    /// Match only whole lines (`-x`).
    public var wholeLine = false
    /// Unicode-aware `\w`, `\b`, `\d`, `\s` and `-w` (ripgrep's default; off with
    /// `--no-unicode`). See ``RegexOptions/unicode``.
    public var unicode = true
    /// Matches may span lines (`-U`); see ``RegexOptions/multiline``.
    public var multiline = false
    /// With ``multiline``, `.` matches `\n` too (`--multiline-dotall`).
    public var dotAll = false

    /// A query for `patterns` with the defaults.
    public init(patterns: [String]) {
        self.patterns = patterns
    }

    /// Whether the search ignores case, after applying smart case.
    public var ignoresCase: Bool {
        switch caseMode {
        case .sensitive: false
        case .insensitive: true
        case .smart: !patterns.contains(where: SearchQuery.hasUppercaseLiteral)
        }
    }

    /// Compiles the query.
    ///
    /// - Throws: ``SearchError`` with `.invalidPattern` (naming the pattern and the
    ///   offset of the problem) or `.invalidArgument` when there is no pattern.
    public func makeMatcher() throws(SearchError) -> any Matcher {
        guard !patterns.isEmpty else {
            throw SearchError(.invalidArgument, "no pattern given; pass one, or several with -e")
        }
        if patterns.count == 1, !ignoresCase, !wordBoundary, !wholeLine, !multiline,
           let pattern = patterns.first, !pattern.isEmpty,
           literal || !pattern.contains(where: SearchQuery.isMetacharacter)
        {
            return try LiteralMatcher(pattern)
        }
        var options = RegexOptions()
        options.caseInsensitive = ignoresCase
        options.wordBoundary = wordBoundary
        options.wholeLine = wholeLine
        options.literal = literal
        options.unicode = unicode
        options.multiline = multiline
        options.dotAll = dotAll
        return try RegexMatcher(patterns: patterns, options: options)
    }

    static func isMetacharacter(_ character: Character) -> Bool {
        "\\.^$|?*+()[]{}".contains(character)
    }

    /// Whether a pattern has an uppercase letter outside an escape (`\S` and `\W` are
    /// classes, not letters), which turns smart case sensitive, as in ripgrep.
    static func hasUppercaseLiteral(_ pattern: String) -> Bool {
        var escaped = false
        for character in pattern {
            if escaped {
                escaped = false
                continue
            }
            if character == "\\" {
                escaped = true
                continue
            }
            if character.isUppercase { return true }
        }
        return false
    }
}
