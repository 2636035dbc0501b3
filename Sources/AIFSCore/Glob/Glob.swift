/// A compiled glob pattern with the semantics of ripgrep's globs (Rust's `globset`),
/// matched against '/'-separated relative paths.
///
/// Syntax:
/// - `?` matches one character (one Unicode scalar) and `*` any run of characters;
///   with ``Options/literalSeparator`` (the default) neither matches '/'.
/// - `[abc]`, `[a-z]`, `[!a-z]`, `[^a-z]` match one character from (or not from) a
///   class. A `]` or `-` first in the class is literal, a `-` last is literal, and a
///   backslash inside a class is literal too, as in `globset`. With
///   ``Options/literalSeparator`` a class never matches '/', as in git.
/// - `{a,b,c}` matches any of the comma-separated globs; groups nest. An empty
///   alternative is dropped, so `foo{,.txt}` matches only `foo.txt`, as in ripgrep.
/// - `\x` matches `x` literally (with ``Options/backslashEscape``).
/// - `**` is recursive only as a whole path component: `**/x` matches `x` at any depth,
///   `x/**` matches everything under `x` (not `x` itself), `a/**/b` matches `a/b`,
///   `a/x/b`, `a/x/y/b`, and a bare `**` matches everything. Elsewhere `**` is `*`.
///
/// Matching is on UTF-8 bytes and takes time linear in the path length times the
/// pattern length, whatever the pattern; common shapes (a literal, `*.ext`, `**/name`,
/// `prefix*`, `dir/**`) are recognised at compile time and matched by plain byte
/// comparisons.
///
/// ```swift
/// let rust = try Glob("**/*.rs")
/// rust.matches("src/main.rs")   // true
/// rust.matches("README.md")     // false
/// ```
public struct Glob: Sendable, Hashable {
    /// Settings that change how a pattern matches.
    public struct Options: Sendable, Hashable {
        /// Whether letters match regardless of case. ASCII letters fold fully; other
        /// scalars match their simple (one-scalar) upper, lower and title case forms.
        public var caseInsensitive: Bool
        /// Whether only a literal '/' in the pattern can match a '/' in the path, so
        /// `*`, `?` and classes stay within one path component.
        public var literalSeparator: Bool
        /// Whether `\x` matches `x` literally. When false a backslash is an ordinary
        /// character.
        public var backslashEscape: Bool

        /// Creates options; the defaults are those of ripgrep's globs.
        public init(caseInsensitive: Bool = false, literalSeparator: Bool = true, backslashEscape: Bool = true) {
            self.caseInsensitive = caseInsensitive
            self.literalSeparator = literalSeparator
            self.backslashEscape = backslashEscape
        }
    }

    /// The pattern as given.
    public let pattern: String
    let options: Options
    /// Gitignore files treat an unclosed `[` as a literal, as git does; everything else
    /// reports it, because a typo there should not silently match nothing.
    let allowUnclosedClass: Bool
    let matcher: GlobMatcher

    /// Compiles a pattern.
    ///
    /// - Throws: ``CoreError`` with code ``CoreError/Code/invalidGlob`` when the pattern
    ///   is malformed; the message names the pattern, the 0-based position of the
    ///   problem and how to fix it.
    public init(_ pattern: String, options: Options = Options()) throws(CoreError) {
        do {
            try self.init(compiling: pattern, options: options, allowUnclosedClass: false)
        } catch {
            throw CoreError(.invalidGlob, error.message(pattern: pattern, position: error.position), path: nil)
        }
    }

    init(compiling pattern: String, options: Options, allowUnclosedClass: Bool) throws(GlobSyntaxError) {
        let tokens = try GlobParser.parse(
            pattern,
            backslashEscape: options.backslashEscape,
            allowUnclosedClass: allowUnclosedClass
        )
        self.pattern = pattern
        self.options = options
        self.allowUnclosedClass = allowUnclosedClass
        self.matcher = GlobMatcher(tokens: tokens, options: options)
    }

    /// Whether `path` (relative, '/'-separated, no leading "./") matches the pattern.
    public func matches(_ path: String) -> Bool {
        var path = path
        return path.withUTF8 { matcher.matches($0) }
    }

    /// Whether the UTF-8 bytes of `path` match the pattern.
    ///
    /// This is the form for directory walks: it does not allocate. Bytes that are not
    /// valid UTF-8 still match `?`, `*` and negated classes, one byte at a time.
    public func matches(_ path: UnsafeBufferPointer<UInt8>) -> Bool {
        matcher.matches(path)
    }

    /// Globs are equal when their patterns and options are, as in `globset`.
    public static func == (lhs: Glob, rhs: Glob) -> Bool {
        lhs.pattern == rhs.pattern && lhs.options == rhs.options
            && lhs.allowUnclosedClass == rhs.allowUnclosedClass
    }

    /// Hashes the pattern and options.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(pattern)
        hasher.combine(options)
        hasher.combine(allowUnclosedClass)
    }
}

/// How one compiled glob decides a match: a byte comparison for the shapes that allow
/// it, the automaton (behind cheap literal checks) for the rest.
///
/// `@unchecked Sendable`: it is immutable after init; its byte buffer is owned, never
/// written again, and freed in deinit.
final class GlobMatcher: @unchecked Sendable {
    enum Strategy: Equatable {
        case everything
        /// The path equals the literal.
        case literal([UInt8])
        /// The path is the literal, or ends with '/' and the literal (`**/name`).
        case componentSuffix([UInt8])
        /// The path ends with the literal; with `noSlashBefore`, nothing before it is
        /// a '/' (`*.ext` versus `**/*.ext`).
        case suffix([UInt8], noSlashBefore: Bool)
        /// The path starts with the literal; with `noSlashAfter`, nothing after it is
        /// a '/' (`name*` versus `dir/**`).
        case prefix([UInt8], noSlashAfter: Bool)
        case automaton
    }

    private enum Kind: UInt8 {
        case everything, literal, componentSuffix, suffix, prefix, automaton
    }

    // The hot path reads only these plain fields and one owned byte buffer: switching
    // over enum payloads or reading arrays costs reference counting on every call,
    // which was most of the time of a typical rule.
    private let kind: Kind
    /// `noSlashBefore` or `noSlashAfter`.
    private let restrictSlash: Bool
    /// Whether the literals are lowercased ASCII to compare with ASCII folding.
    private let foldASCII: Bool
    /// The strategy's literal, then (automaton only) the literal bytes every match
    /// starts with, ends with, and contains elsewhere (`foo` in `**/foo/**`); they
    /// reject most paths before the automaton runs.
    private let storage: UnsafeMutableBufferPointer<UInt8>
    private let literal: UnsafeBufferPointer<UInt8>
    private let requiredPrefix: UnsafeBufferPointer<UInt8>
    private let requiredSuffix: UnsafeBufferPointer<UInt8>
    private let requiredInner: UnsafeBufferPointer<UInt8>
    private let automaton: GlobAutomaton?

    init(tokens: [GlobToken], options: Options) {
        let fold = options.caseInsensitive
        foldASCII = fold
        var literal: [UInt8] = []
        var prefix: [UInt8] = []
        var suffix: [UInt8] = []
        var inner: [UInt8] = []
        var restrict = false
        switch GlobMatcher.strategy(for: tokens, options: options) {
        case .everything:
            kind = .everything
        case .literal(let bytes):
            kind = .literal
            literal = bytes
        case .componentSuffix(let bytes):
            kind = .componentSuffix
            literal = bytes
        case .suffix(let bytes, let noSlashBefore):
            kind = .suffix
            literal = bytes
            restrict = noSlashBefore
        case .prefix(let bytes, let noSlashAfter):
            kind = .prefix
            literal = bytes
            restrict = noSlashAfter
        case .automaton:
            kind = .automaton
            // Case folding compares bytewise only for ASCII, so the runs stop at the first
            // scalar that would need Unicode folding.
            func comparable(_ token: GlobToken) -> Bool {
                if case .literal(let c) = token { return !fold || c.isASCII }
                return false
            }
            prefix = GlobMatcher.literalBytes(tokens.prefix(while: comparable), fold: fold)
            suffix = GlobMatcher.literalBytes(tokens.reversed().prefix(while: comparable).reversed(), fold: fold)
            var longest: ArraySlice<GlobToken> = []
            var i = 0
            while i < tokens.count {
                var j = i
                while j < tokens.count && comparable(tokens[j]) { j += 1 }
                if j - i > longest.count && i > 0 && j < tokens.count { longest = tokens[i..<j] }
                i = j + 1
            }
            inner = GlobMatcher.literalBytes(longest, fold: fold)
        }
        restrictSlash = restrict
        automaton = kind == .automaton ? GlobAutomaton(GlobCompiler(options: options).root(for: tokens)) : nil
        let all = literal + prefix + suffix + inner
        storage = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(all.count, 1))
        _ = storage.initialize(from: all)
        let base = UnsafeBufferPointer(storage)
        func slice(_ start: Int, _ count: Int) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: base[start..<(start + count)])
        }
        self.literal = slice(0, literal.count)
        requiredPrefix = slice(literal.count, prefix.count)
        requiredSuffix = slice(literal.count + prefix.count, suffix.count)
        requiredInner = slice(literal.count + prefix.count + suffix.count, inner.count)
    }

    deinit {
        storage.deallocate()
    }

    typealias Options = Glob.Options

    func matches(_ path: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = path.count
        switch kind {
        case .everything:
            return true
        case .literal:
            return n == literal.count && hasBytes(path, at: 0, literal)
        case .componentSuffix:
            let start = n - literal.count
            if start < 0 || !hasBytes(path, at: start, literal) { return false }
            return start == 0 || path[start - 1] == 0x2F
        case .suffix:
            let start = n - literal.count
            if start < 0 || !hasBytes(path, at: start, literal) { return false }
            return !restrictSlash || !containsSlash(path, from: 0, to: start)
        case .prefix:
            if n < literal.count || !hasBytes(path, at: 0, literal) { return false }
            return !restrictSlash || !containsSlash(path, from: literal.count, to: n)
        case .automaton:
            if n < requiredPrefix.count + requiredSuffix.count { return false }
            if !hasBytes(path, at: 0, requiredPrefix) { return false }
            if !hasBytes(path, at: n - requiredSuffix.count, requiredSuffix) { return false }
            if !requiredInner.isEmpty && !containsBytes(path, requiredInner) { return false }
            return automaton.unsafelyUnwrapped.matches(path)
        }
    }

    @inline(__always)
    private func hasBytes(
        _ path: UnsafeBufferPointer<UInt8>,
        at start: Int,
        _ literal: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        var i = 0
        if foldASCII {
            while i < literal.count {
                let b = path[start &+ i]
                if literal[i] != ((b &- 0x41) < 26 ? b | 0x20 : b) { return false }
                i &+= 1
            }
        } else {
            while i < literal.count {
                if literal[i] != path[start &+ i] { return false }
                i &+= 1
            }
        }
        return true
    }

    private func containsBytes(_ path: UnsafeBufferPointer<UInt8>, _ literal: UnsafeBufferPointer<UInt8>) -> Bool {
        let first = literal[0]
        var i = 0
        let last = path.count - literal.count
        while i <= last {
            let b = path[i]
            if (foldASCII ? ((b &- 0x41) < 26 ? b | 0x20 : b) : b) == first && hasBytes(path, at: i, literal) {
                return true
            }
            i &+= 1
        }
        return false
    }

    @inline(__always)
    private func containsSlash(_ path: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Bool {
        var i = start
        while i < end {
            if path[i] == 0x2F { return true }
            i &+= 1
        }
        return false
    }

    /// Recognises the common shapes. Case-insensitive patterns qualify only when their
    /// literals are ASCII, since only ASCII folding is a byte-for-byte comparison.
    private static func strategy(for tokens: [GlobToken], options: Options) -> Strategy {
        let fold = options.caseInsensitive
        let separator = options.literalSeparator
        func literal(_ slice: ArraySlice<GlobToken>, allowSlash: Bool) -> [UInt8]? {
            guard slice.allSatisfy({ $0.isLiteral }) else { return nil }
            var scalars = String.UnicodeScalarView()
            for case .literal(let c) in slice {
                if c == "/" && !allowSlash { return nil }
                if fold && !c.isASCII { return nil }
                scalars.append(c)
            }
            return literalBytes(scalars, fold: fold)
        }
        guard let head = tokens.first else { return .literal([]) }
        if tokens == [.recursivePrefix] { return .everything }
        if let bytes = literal(tokens[...], allowSlash: true) { return .literal(bytes) }
        if head == .recursivePrefix {
            if let bytes = literal(tokens.dropFirst(), allowSlash: true) {
                return .componentSuffix(bytes)
            }
            if tokens.count >= 2, tokens[1] == .zeroOrMore,
                let bytes = literal(tokens.dropFirst(2), allowSlash: !separator)
            {
                return .suffix(bytes, noSlashBefore: false)
            }
        }
        if head == .zeroOrMore, let bytes = literal(tokens.dropFirst(), allowSlash: !separator) {
            return .suffix(bytes, noSlashBefore: separator)
        }
        if let tail = tokens.last, tail == .zeroOrMore || tail == .recursiveSuffix,
            var bytes = literal(tokens.dropLast(), allowSlash: true)
        {
            if tail == .recursiveSuffix {
                bytes.append(0x2F)
                return .prefix(bytes, noSlashAfter: false)
            }
            return .prefix(bytes, noSlashAfter: separator)
        }
        return .automaton
    }

    private static func literalBytes(_ scalars: String.UnicodeScalarView, fold: Bool) -> [UInt8] {
        let bytes = Array(String(scalars).utf8)
        return fold ? bytes.map { ($0 &- 0x41) < 26 ? $0 | 0x20 : $0 } : bytes
    }

    private static func literalBytes(_ tokens: some Sequence<GlobToken>, fold: Bool) -> [UInt8] {
        var scalars = String.UnicodeScalarView()
        for case .literal(let c) in tokens { scalars.append(c) }
        return literalBytes(scalars, fold: fold)
    }
}

extension GlobToken {
    var isLiteral: Bool {
        if case .literal = self { return true }
        return false
    }
}
