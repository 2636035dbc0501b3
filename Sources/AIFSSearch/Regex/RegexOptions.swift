/// How ``RegexMatcher`` interprets its patterns; each option mirrors a ripgrep flag.
public struct RegexOptions: Sendable, Hashable {
    /// Letters match either case (`rg -i`).
    ///
    /// Case folding is Unicode's: besides ASCII, `é` matches `É`, and `k` and `s` also
    /// match the Kelvin sign (U+212A) and long s (U+017F).
    public var caseInsensitive = false

    /// Match only where the match is neither preceded nor followed by a word character
    /// (`rg -w`): each pattern `P` is searched as `(?<!\w)(?:P)(?!\w)`.
    public var wordBoundary = false

    /// Match only whole lines (`rg -x`): each pattern `P` is searched as `^(?:P)$`. The
    /// searcher hands the matcher one line without its terminator, so `^` and `$` are the
    /// line's ends. When both this and ``wordBoundary`` are set, this one wins, as in
    /// ripgrep.
    public var wholeLine = false

    /// Patterns are literal strings, not regular expressions (`rg -F`): every character
    /// matches itself.
    public var literal = false

    /// Unicode-aware classes (ripgrep's default; `--no-unicode` turns it off): `\w`,
    /// `\b` and `-w` follow UTS #18 (marks are word characters, see
    /// `UnicodeWordRewriter`), and `\d` and `\s` are Unicode's. Off, those four are
    /// ASCII-only.
    public var unicode = true

    /// Matches may span lines (`-U`, `--multiline`): `^` and `$` match at line ends
    /// inside the subject, and `\n` can be matched. The searcher then hands the matcher
    /// the whole file.
    public var multiline = false

    /// With ``multiline``, `.` also matches `\n` (`--multiline-dotall`).
    public var dotAll = false

    /// Creates the default options: case-sensitive regular expressions, matching anywhere.
    public init() {}
}
