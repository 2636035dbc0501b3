// The glob syntax of Rust's globset crate (as used by ripgrep), parsed into tokens.
//
// The tokens mirror globset's so the `**` rules come out the same: whether `**` is
// "recursive" depends on what surrounds it, which is easiest to decide while parsing and
// impossible to recover from a flat token list afterwards.

/// One element of a parsed glob.
enum GlobToken: Hashable, Sendable {
    /// One scalar, matched exactly (or case-folded).
    case literal(Unicode.Scalar)
    /// `?`: one scalar.
    case any
    /// `*`: any run of scalars.
    case zeroOrMore
    /// A leading `**/` (or a bare `**`): zero or more leading components.
    case recursivePrefix
    /// A trailing `/**`: a slash and then anything.
    case recursiveSuffix
    /// `/**/` in the middle: one slash, or a slash, anything, and a slash.
    case recursiveZeroOrMore
    /// `[...]`: inclusive scalar ranges, possibly negated.
    case characterClass(negated: Bool, ranges: [ClosedRange<UInt32>])
    /// `{a,b,...}`: each branch is a token sequence.
    case alternates([[GlobToken]])
}

/// A syntax error, with the 0-based scalar position of the offending character.
///
/// The message is rendered by the caller, because a gitignore line is compiled from a
/// rewritten pattern (`**/` prepended, `!` stripped) but must be reported against the
/// text the user wrote.
struct GlobSyntaxError: Error, Sendable {
    var position: Int
    var problem: String
    var advice: String

    func message(pattern: String, position: Int) -> String {
        "invalid glob '\(pattern)': \(problem) at position \(position); \(advice)"
    }
}

struct GlobParser {
    private let chars: [Unicode.Scalar]
    private let backslashEscape: Bool
    private let allowUnclosedClass: Bool
    /// Index of the next scalar to read; the current one is at `index - 1`.
    private var index = 0
    private var previous: Unicode.Scalar?
    private var current: Unicode.Scalar?
    /// Open alternation branches; tokens go to the last one. The first is the top level.
    private var branches: [[GlobToken]] = [[]]
    /// For each unclosed `{`: where its branches start in `branches`, and where it is.
    private var openBraces: [(branchStart: Int, position: Int)] = []
    /// Once one `[` proved unclosed, every later `[` is too; remembering that avoids
    /// quadratic rescans of patterns like `[[[[[[`.
    private var sawUnclosedClass = false

    static func parse(
        _ pattern: String,
        backslashEscape: Bool,
        allowUnclosedClass: Bool
    ) throws(GlobSyntaxError) -> [GlobToken] {
        var parser = GlobParser(
            chars: Array(pattern.unicodeScalars),
            backslashEscape: backslashEscape,
            allowUnclosedClass: allowUnclosedClass
        )
        return try parser.run()
    }

    private init(chars: [Unicode.Scalar], backslashEscape: Bool, allowUnclosedClass: Bool) {
        self.chars = chars
        self.backslashEscape = backslashEscape
        self.allowUnclosedClass = allowUnclosedClass
    }

    private mutating func run() throws(GlobSyntaxError) -> [GlobToken] {
        while let c = bump() {
            let position = index - 1
            switch c {
            case "?":
                push(.any)
            case "*":
                parseStar()
            case "[" where !sawUnclosedClass:
                try parseClass(openedAt: position)
            case "{":
                openBraces.append((branches.count, position))
                branches.append([])
            case "}":
                guard let open = openBraces.popLast() else {
                    throw GlobSyntaxError(
                        position: position,
                        problem: "'}' without a matching '{'",
                        advice: backslashEscape
                            ? "remove it or escape it as '\\}'" : "remove it or write '[}]'"
                    )
                }
                let alternatives = Array(branches[open.branchStart...])
                branches.removeSubrange(open.branchStart...)
                push(.alternates(alternatives))
            case "," where !openBraces.isEmpty:
                branches.append([])
            case "\\" where backslashEscape:
                guard let escaped = bump() else {
                    throw GlobSyntaxError(
                        position: position,
                        problem: "trailing backslash escapes nothing",
                        advice: "remove it or write '\\\\' for a literal backslash"
                    )
                }
                push(.literal(escaped))
            default:
                push(.literal(c))
            }
        }
        if let open = openBraces.last {
            throw GlobSyntaxError(
                position: open.position,
                problem: "unclosed alternation",
                advice: backslashEscape
                    ? "close it with '}' or escape '{' as '\\{'" : "close it with '}' or write '[{]'"
            )
        }
        return branches[0]
    }

    private mutating func bump() -> Unicode.Scalar? {
        previous = current
        if index < chars.count {
            current = chars[index]
            index += 1
        } else {
            current = nil
        }
        return current
    }

    private func peek() -> Unicode.Scalar? {
        index < chars.count ? chars[index] : nil
    }

    private mutating func push(_ token: GlobToken) {
        branches[branches.count - 1].append(token)
    }

    /// Decides what `*` or `**` means. `**` is recursive only as a whole path
    /// component (start of pattern or branch, or right after `/`, and followed by `/`,
    /// the end, or the end of a branch); anywhere else it is two plain stars.
    private mutating func parseStar() {
        let before = previous
        if peek() != "*" {
            push(.zeroOrMore)
            return
        }
        _ = bump()
        if branches[branches.count - 1].isEmpty {
            if let next = peek(), next != "/" {
                push(.zeroOrMore)
                push(.zeroOrMore)
            } else {
                push(.recursivePrefix)
                if peek() == "/" { _ = bump() }
            }
            return
        }
        guard before == "/" else {
            push(.zeroOrMore)
            push(.zeroOrMore)
            return
        }
        let isSuffix: Bool
        switch peek() {
        case nil:
            isSuffix = true
        case "," where !openBraces.isEmpty, "}" where !openBraces.isEmpty:
            isSuffix = true
        case "/":
            _ = bump()
            isSuffix = false
        default:
            push(.zeroOrMore)
            push(.zeroOrMore)
            return
        }
        // The token before is the '/' (or a recursive token that already ends in one);
        // it is folded into the recursive token so `a/**/**/b` collapses like globset's.
        let last = branches[branches.count - 1].removeLast()
        switch last {
        case .recursivePrefix:
            push(.recursivePrefix)
        case .recursiveSuffix:
            push(.recursiveSuffix)
        default:
            push(isSuffix ? .recursiveSuffix : .recursiveZeroOrMore)
        }
    }

    private mutating func parseClass(openedAt open: Int) throws(GlobSyntaxError) {
        let savedIndex = index
        let savedPrevious = previous
        let savedCurrent = current
        var ranges: [(lower: Unicode.Scalar, upper: Unicode.Scalar, position: Int)] = []
        var negated = false
        if let next = peek(), next == "!" || next == "^" {
            _ = bump()
            negated = true
        }
        var first = true
        var inRange = false
        while true {
            guard let c = bump() else {
                if allowUnclosedClass {
                    // Git treats an unclosed '[' as a literal; so does ripgrep for
                    // gitignore files. Resume right after the '['.
                    index = savedIndex
                    previous = savedPrevious
                    current = savedCurrent
                    sawUnclosedClass = true
                    push(.literal("["))
                    return
                }
                throw GlobSyntaxError(
                    position: open,
                    problem: "unclosed character class",
                    advice: backslashEscape
                        ? "close it with ']' or escape '[' as '\\['" : "close it with ']' or write '[[]'"
                )
            }
            let position = index - 1
            if c == "]" && !first {
                break
            }
            if c == "-" && !first {
                if inRange {
                    try extendLastRange(&ranges, to: c)
                    inRange = false
                } else {
                    inRange = true
                }
            } else {
                if inRange {
                    try extendLastRange(&ranges, to: c)
                } else {
                    ranges.append((c, c, position))
                }
                inRange = false
            }
            first = false
        }
        if inRange {
            // A '-' right before ']' is literal.
            ranges.append(("-", "-", index - 1))
        }
        push(.characterClass(negated: negated, ranges: ranges.map { $0.lower.value...$0.upper.value }))
    }

    private func extendLastRange(
        _ ranges: inout [(lower: Unicode.Scalar, upper: Unicode.Scalar, position: Int)],
        to upper: Unicode.Scalar
    ) throws(GlobSyntaxError) {
        let last = ranges[ranges.count - 1]
        guard upper.value >= last.lower.value else {
            throw GlobSyntaxError(
                position: last.position,
                problem: "invalid character range '\(last.lower)-\(upper)'",
                advice: "put the lower bound first, as in 'a-z'"
            )
        }
        ranges[ranges.count - 1].upper = upper
    }
}
