/// Override globs with the semantics of ripgrep's `-g/--glob` (and `--iglob`).
///
/// Each glob is read as one gitignore line with the meaning of `!` inverted: a plain
/// glob whitelists what it matches and `!glob` ignores it; the last matching glob wins.
/// Once any plain glob exists, a file that no glob matches is ignored, so `-g '*.rs'`
/// means "only Rust files"; directories are never ignored for matching nothing, so a
/// walk still descends into them.
///
/// ```swift
/// let globs = try OverrideGlobs(["*.rs", "!build.rs"])
/// globs.match("src/main.rs", isDirectory: false)   // .whitelist
/// globs.match("build.rs", isDirectory: false)      // .ignore
/// globs.match("README.md", isDirectory: false)     // .ignore (matches nothing)
/// globs.match("src", isDirectory: true)            // .none
/// ```
public struct OverrideGlobs: Sendable {
    /// Rules as a gitignore file would read them; `isWhitelist` marks the `!` globs,
    /// which here ignore.
    private let rules: [GitignoreRule]

    /// Whether at least one glob whitelists (has no leading `!`), which makes files
    /// that match no glob ignored.
    public let hasWhitelist: Bool

    /// Whether there are no globs, so every path gets ``IgnoreMatch/none``.
    public var isEmpty: Bool { rules.isEmpty }

    /// Compiles override globs, in order of increasing precedence.
    ///
    /// As in ripgrep, a glob that is blank or starts with `#` is a gitignore comment and
    /// does nothing; write `\#` for a literal `#`.
    ///
    /// - Parameters:
    ///   - patterns: The globs, as given to `-g`.
    ///   - caseInsensitive: Whether they match regardless of case (`--glob-case-insensitive`).
    ///   - caseInsensitivePatterns: Globs that always match regardless of case
    ///     (`--iglob`), after `patterns` in precedence.
    /// - Throws: ``CoreError`` with code ``CoreError/Code/invalidGlob`` for the first glob
    ///   that does not parse, naming it, the position and the problem. Unlike gitignore
    ///   files, an unclosed `[` is an error here, as in ripgrep.
    public init(_ patterns: [String], caseInsensitive: Bool = false, caseInsensitivePatterns: [String] = []) throws(CoreError) {
        var rules: [GitignoreRule] = []
        let all = patterns.map { ($0, caseInsensitive) } + caseInsensitivePatterns.map { ($0, true) }
        for (pattern, foldsCase) in all {
            do {
                if let rule = try GitignoreRule(
                    line: pattern,
                    caseInsensitive: foldsCase,
                    allowUnclosedClass: false
                ) {
                    rules.append(rule)
                }
            } catch {
                throw CoreError(.invalidGlob, error.message, path: nil)
            }
        }
        self.rules = rules
        self.hasWhitelist = rules.contains { !$0.isWhitelist }
    }

    /// Decides a path as ripgrep's `Override::matched` does: the last matching glob
    /// decides (a plain glob whitelists, a `!` glob ignores); when none matches, a file
    /// is ignored if any whitelisting glob exists, and a directory gets
    /// ``IgnoreMatch/none``.
    ///
    /// - Parameters:
    ///   - relativePath: UTF-8 bytes of the path relative to the search root:
    ///     '/'-separated, with no leading "./" or "/".
    ///   - isDirectory: Whether the path names a directory.
    /// - Returns: The verdict. Does not allocate.
    public func match(_ relativePath: UnsafeBufferPointer<UInt8>, isDirectory: Bool) -> IgnoreMatch {
        if rules.isEmpty { return .none }
        switch GitignoreRule.lastMatch(in: rules, relativePath, isDirectory: isDirectory) {
        case .ignore:
            return .whitelist
        case .whitelist:
            return .ignore
        case .none:
            return hasWhitelist && !isDirectory ? .ignore : .none
        }
    }

    /// Decides a path given as a string; see ``match(_:isDirectory:)-(UnsafeBufferPointer<UInt8>,_)``.
    public func match(_ relativePath: String, isDirectory: Bool) -> IgnoreMatch {
        var path = relativePath
        return path.withUTF8 { match($0, isDirectory: isDirectory) }
    }
}
