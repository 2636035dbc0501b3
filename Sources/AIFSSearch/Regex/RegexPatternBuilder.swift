/// Turns the user's patterns and ``RegexOptions`` into the one pattern that is compiled,
/// the way ripgrep's grep-pcre2 does.
enum RegexPatternBuilder {
    /// `literal` with every ASCII character other than a letter or digit escaped by a
    /// backslash, so that PCRE2 (and Swift's `Regex`) match it literally.
    ///
    /// Escaping each character, rather than wrapping in `\Q…\E`, works for literals that
    /// themselves contain `\E`. Non-ASCII characters are left alone: a backslash before
    /// one is an error in PCRE2, and they are never metacharacters.
    static func escaped(_ literal: String) -> String {
        var result = ""
        result.unicodeScalars.reserveCapacity(literal.unicodeScalars.count * 2)
        for scalar in literal.unicodeScalars {
            if scalar.isASCII, !(scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)) {
                result.unicodeScalars.append("\\")
            }
            result.unicodeScalars.append(scalar)
        }
        return result
    }

    /// Each pattern as it is compiled on its own: escaped in literal mode.
    static func pieces(of patterns: [String], options: RegexOptions) -> [String] {
        options.literal ? patterns.map(escaped) : patterns
    }

    /// The combined pattern: `(?:P1)|(?:P2)`, then wrapped for `-x` as `^(?:…)$` or for
    /// `-w` as `(?<!\w)(?:…)(?!\w)`.
    ///
    /// - Parameters:
    ///   - lookbehindAvailable: false for Swift's `Regex`, which has no lookbehind: the
    ///     `-w` wrapper then omits `(?<!\w)` and the engine checks it itself.
    /// - Precondition: `pieces` is not empty.
    static func combined(_ pieces: [String], options: RegexOptions, lookbehindAvailable: Bool = true) -> String {
        precondition(!pieces.isEmpty, "at least one pattern")
        let body = pieces.count == 1 ? pieces[0] : pieces.map { "(?:\($0))" }.joined(separator: "|")
        if options.wholeLine {
            return "^(?:\(body))$"
        }
        if options.wordBoundary {
            return (lookbehindAvailable ? "(?<!\\w)" : "") + "(?:\(body))(?!\\w)"
        }
        return body
    }
}
