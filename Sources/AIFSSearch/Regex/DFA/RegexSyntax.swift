/// A regular pattern as a tree, for the lazy DFA: characters, concatenation,
/// alternation and bounded or unbounded repetition, nothing else.
///
/// Produced by ``RegexSyntaxParser`` from PCRE2 syntax. Everything whose meaning is not
/// a plain set of strings (anchors, word boundaries, lookaround, backreferences,
/// possessive and atomic constructs, `\p{…}`) has no node: the parser gives up on it and
/// the pattern stays with PCRE2.
indirect enum RegexSyntax: Hashable, Sendable {
    /// Matches the empty string.
    case empty
    /// One character from the set.
    case character(ScalarSet)
    case concatenation([RegexSyntax])
    case alternation([RegexSyntax])
    /// `minimum` to `maximum` (nil: unbounded) repetitions.
    case repetition(RegexSyntax, minimum: Int, maximum: Int?)
}

extension RegexSyntax {
    /// Whether a repetition that can repeat more than once holds an unbounded one, as in
    /// `([a-z]+\s+){5}` or `(\w+,)*`: where a backtracking engine retries the ways of
    /// splitting a run between the inner and the outer repetition.
    var hasNestedRepetition: Bool {
        switch self {
        case .empty, .character: false
        case .concatenation(let items), .alternation(let items): items.contains { $0.hasNestedRepetition }
        case .repetition(let item, _, let maximum):
            ((maximum ?? 2) > 1 && item.hasUnboundedRepetition) || item.hasNestedRepetition
        }
    }

    /// The bytes a match can start with (the lead bytes of its first characters), and
    /// whether it can be empty.
    var firstBytes: (bytes: [Bool], canBeEmpty: Bool) {
        var bytes = [Bool](repeating: false, count: 256)
        let canBeEmpty = addFirstBytes(to: &bytes)
        return (bytes, canBeEmpty)
    }

    /// Adds the first bytes to `bytes`; returns whether the node can match the empty
    /// string (so what follows it can start a match too).
    private func addFirstBytes(to bytes: inout [Bool]) -> Bool {
        switch self {
        case .empty:
            return true
        case .character(let set):
            for range in set.ranges {
                let low = Int(ScalarSet.leadByte(of: range.lowerBound))
                let high = Int(ScalarSet.leadByte(of: range.upperBound))
                // UTF-8 keeps the order of scalars: the leads in between are all there.
                for byte in low...high where byte < 0x80 || (0xC2...0xF4).contains(byte) { bytes[byte] = true }
            }
            return false
        case .concatenation(let items):
            for item in items where !item.addFirstBytes(to: &bytes) { return false }
            return true
        case .alternation(let branches):
            var canBeEmpty = false
            for branch in branches where branch.addFirstBytes(to: &bytes) { canBeEmpty = true }
            return canBeEmpty
        case .repetition(let item, let minimum, _):
            return item.addFirstBytes(to: &bytes) || minimum == 0
        }
    }

    private var hasUnboundedRepetition: Bool {
        switch self {
        case .empty, .character: false
        case .concatenation(let items), .alternation(let items): items.contains { $0.hasUnboundedRepetition }
        case .repetition(let item, _, let maximum): maximum == nil || item.hasUnboundedRepetition
        }
    }
}

/// Reads PCRE2 syntax (compiled with UTF and UCP, not multiline, not extended) into
/// ``RegexSyntax``, with ripgrep's meaning of `\w` (see ``UnicodeWordRewriter``) and
/// PCRE2's case folding for `(?i)`.
///
/// It assumes PCRE2 has compiled the pattern already (errors are PCRE2's to report): on
/// anything it does not model, or anything malformed, it throws ``Unsupported``, never
/// crashes.
struct RegexSyntaxParser {
    /// The pattern uses syntax the DFA does not model; `reason` says which, for logs.
    struct Unsupported: Error {
        var reason: String
    }

    private let bytes: [UInt8]
    private var position = 0

    /// Parses `pattern`, compiled caseless or not.
    static func parse(_ pattern: String, caseless: Bool) throws(Unsupported) -> RegexSyntax {
        var parser = RegexSyntaxParser(bytes: Array(pattern.utf8))
        let tree = try parser.parseAlternation(caseless: caseless, depth: 0)
        guard parser.position == parser.bytes.count else { throw Unsupported(reason: "unbalanced )") }
        return tree
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    // MARK: Structure

    private mutating func parseAlternation(caseless initial: Bool, depth: Int) throws(Unsupported) -> RegexSyntax {
        guard depth < 100 else { throw Unsupported(reason: "nesting") }
        var caseless = initial
        var branches: [RegexSyntax] = []
        while true {
            branches.append(try parseSequence(caseless: &caseless, depth: depth))
            guard position < bytes.count, bytes[position] == UInt8(ascii: "|") else { break }
            position += 1
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    private mutating func parseSequence(caseless: inout Bool, depth: Int) throws(Unsupported) -> RegexSyntax {
        var items: [RegexSyntax] = []
        while position < bytes.count, bytes[position] != UInt8(ascii: "|"), bytes[position] != UInt8(ascii: ")") {
            let atoms = try parseAtom(caseless: &caseless, depth: depth)
            guard var item = atoms.last else { continue }
            items += atoms.dropLast()
            while let (minimum, maximum) = try parseQuantifier() {
                item = .repetition(item, minimum: minimum, maximum: maximum)
            }
            items.append(item)
        }
        return items.count == 1 ? items[0] : .concatenation(items)
    }

    // MARK: Atoms

    /// The items of one atom: usually one; none for `(?i)`, `(?#…)` and an empty `\Q\E`;
    /// several for `\Q…\E` (a quantifier after it repeats the last character only).
    private mutating func parseAtom(caseless: inout Bool, depth: Int) throws(Unsupported) -> [RegexSyntax] {
        let byte = bytes[position]
        switch byte {
        case UInt8(ascii: "\\"):
            if startsWith("\\Q") {
                position += 2
                var items: [RegexSyntax] = []
                while position < bytes.count, !startsWith("\\E") {
                    items.append(try literal(scalar(), caseless: caseless))
                }
                if startsWith("\\E") { position += 2 }
                return items
            }
            if startsWith("\\E") {
                position += 2
                return []
            }
            return [try parseEscape(caseless: caseless)]
        case UInt8(ascii: "["):
            return [.character(try parseClass(caseless: caseless))]
        case UInt8(ascii: "("):
            return try parseGroup(caseless: &caseless, depth: depth).map { [$0] } ?? []
        case UInt8(ascii: "."):
            position += 1
            return [.character(ScalarSet.all.subtracting(0x0A))]
        case UInt8(ascii: "^"), UInt8(ascii: "$"):
            throw Unsupported(reason: "anchor")
        case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"):
            throw Unsupported(reason: "quantifier without an item")
        case UInt8(ascii: "{"):
            if try braceQuantifier() != nil { throw Unsupported(reason: "quantifier without an item") }
            position += 1
            return [try literal(UInt32(byte), caseless: caseless)]
        default:
            return [try literal(scalar(), caseless: caseless)]
        }
    }

    private func literal(_ scalar: UInt32, caseless: Bool) throws(Unsupported) -> RegexSyntax {
        let set = ScalarSet(scalar)
        return .character(caseless ? set.caseFolded() : set)
    }

    /// An escape outside a class.
    private mutating func parseEscape(caseless: Bool) throws(Unsupported) -> RegexSyntax {
        guard position + 1 < bytes.count else { throw Unsupported(reason: "trailing backslash") }
        let letter = bytes[position + 1]
        if letter >= 0x80 || !isAlphanumeric(letter) {
            position += 1
            return try literal(scalar(), caseless: caseless)
        }
        if let set = try classEscape(inClass: false) { return .character(set) }
        guard let value = try characterEscape() else {
            throw Unsupported(reason: "escape \\" + String(UnicodeScalar(letter)))
        }
        return try literal(value, caseless: caseless)
    }

    /// `\d \D \s \S \w \W` at `position` (consumed), or nil with `position` unchanged.
    /// Inside a class `\W` keeps PCRE2's own meaning (see UnicodeWordRewriter), which is
    /// not modelled.
    private mutating func classEscape(inClass: Bool) throws(Unsupported) -> ScalarSet? {
        let set: ScalarSet
        switch bytes[position + 1] {
        case UInt8(ascii: "d"): set = RegexSyntaxParser.digit
        case UInt8(ascii: "D"): set = RegexSyntaxParser.digit.inverted()
        case UInt8(ascii: "s"): set = RegexSyntaxParser.space
        case UInt8(ascii: "S"): set = RegexSyntaxParser.space.inverted()
        case UInt8(ascii: "w"): set = RegexSyntaxParser.word
        case UInt8(ascii: "W"):
            if inClass { throw Unsupported(reason: "\\W in a class") }
            set = RegexSyntaxParser.word.inverted()
        default: return nil
        }
        position += 2
        return set
    }

    static let digit = ScalarSet(pairs: UnicodeTables.digit)
    static let space = ScalarSet(pairs: UnicodeTables.space)
    static let word = ScalarSet(pairs: UnicodeTables.word)

    /// An escape that stands for one character (`\n`, `\x{e9}`, `\0`, `\e`), with
    /// `position` at the backslash; nil for any other escape, with `position` unchanged.
    private mutating func characterEscape() throws(Unsupported) -> UInt32? {
        let simple: [UInt8: UInt32] = [
            UInt8(ascii: "a"): 0x07, UInt8(ascii: "e"): 0x1B, UInt8(ascii: "f"): 0x0C,
            UInt8(ascii: "n"): 0x0A, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
        ]
        let letter = bytes[position + 1]
        if let value = simple[letter] {
            position += 2
            return value
        }
        switch letter {
        case UInt8(ascii: "x"):
            var cursor = position + 2
            var value: UInt32 = 0
            if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "{") {
                cursor += 1
                var digits = 0
                while cursor < bytes.count, let digit = hexValue(bytes[cursor]) {
                    value = value &* 16 &+ digit
                    digits += 1
                    cursor += 1
                }
                guard digits > 0, digits <= 6, cursor < bytes.count, bytes[cursor] == UInt8(ascii: "}") else {
                    throw Unsupported(reason: "\\x{…}")
                }
                cursor += 1
            } else {
                var digits = 0
                while digits < 2, cursor < bytes.count, let digit = hexValue(bytes[cursor]) {
                    value = value * 16 + digit
                    digits += 1
                    cursor += 1
                }
                // `\x` alone is NUL in PCRE2.
            }
            guard value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value) else { throw Unsupported(reason: "\\x") }
            position = cursor
            return value
        case UInt8(ascii: "0"):
            var cursor = position + 2
            var value: UInt32 = 0
            var digits = 0
            while digits < 2, cursor < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(bytes[cursor]) {
                value = value * 8 + UInt32(bytes[cursor] - UInt8(ascii: "0"))
                digits += 1
                cursor += 1
            }
            position = cursor
            return value
        default:
            return nil
        }
    }

    /// A character class, with `position` at `[`.
    private mutating func parseClass(caseless: Bool) throws(Unsupported) -> ScalarSet {
        position += 1
        var negated = false
        if position < bytes.count, bytes[position] == UInt8(ascii: "^") {
            negated = true
            position += 1
        }
        /// Members that case folding applies to (characters and ranges).
        var literals = ScalarSet()
        /// Members it does not apply to (`\d`, `\s`, `\w` and their complements).
        var escapes = ScalarSet()
        var first = true
        while true {
            guard position < bytes.count else { throw Unsupported(reason: "unterminated class") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "]"), !first {
                position += 1
                break
            }
            first = false
            if byte == UInt8(ascii: "["), position + 1 < bytes.count,
               [UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "=")].contains(bytes[position + 1]) {
                throw Unsupported(reason: "POSIX class")
            }
            if byte == UInt8(ascii: "\\") {
                guard position + 1 < bytes.count else { throw Unsupported(reason: "unterminated class") }
                if startsWith("\\Q") || startsWith("\\E") { throw Unsupported(reason: "\\Q in a class") }
                if let set = try classEscape(inClass: true) {
                    escapes.formUnion(set)
                    // `[\d-z]`: the `-` is a literal.
                    continue
                }
            }
            let low = try classCharacter()
            if position + 1 < bytes.count, bytes[position] == UInt8(ascii: "-"), bytes[position + 1] != UInt8(ascii: "]") {
                position += 1
                if bytes[position] == UInt8(ascii: "["), position + 1 < bytes.count,
                   [UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "=")].contains(bytes[position + 1]) {
                    throw Unsupported(reason: "POSIX class")
                }
                if bytes[position] == UInt8(ascii: "\\"), position + 1 < bytes.count,
                   [UInt8(ascii: "d"), UInt8(ascii: "D"), UInt8(ascii: "s"), UInt8(ascii: "S"), UInt8(ascii: "w"),
                    UInt8(ascii: "W")].contains(bytes[position + 1]) {
                    throw Unsupported(reason: "range to a class escape")
                }
                let high = try classCharacter()
                guard low <= high else { throw Unsupported(reason: "range out of order") }
                literals.insert(low...high)
            } else {
                literals.insert(low...low)
            }
        }
        var set = caseless ? literals.caseFolded() : literals
        set.formUnion(escapes)
        return negated ? set.inverted() : set
    }

    /// One character inside a class: a literal character or a character escape (`\b` is
    /// a backspace there).
    private mutating func classCharacter() throws(Unsupported) -> UInt32 {
        guard position < bytes.count else { throw Unsupported(reason: "unterminated class") }
        guard bytes[position] == UInt8(ascii: "\\") else { return scalar() }
        guard position + 1 < bytes.count else { throw Unsupported(reason: "unterminated class") }
        let letter = bytes[position + 1]
        if letter >= 0x80 || !isAlphanumeric(letter) {
            position += 1
            return scalar()
        }
        if letter == UInt8(ascii: "b") {
            position += 2
            return 0x08
        }
        guard let value = try characterEscape() else {
            throw Unsupported(reason: "escape \\" + String(UnicodeScalar(letter)) + " in a class")
        }
        return value
    }

    /// A parenthesised construct; nil for an option setting that applies to the rest of
    /// the enclosing group (`(?i)`), which changes `caseless`.
    private mutating func parseGroup(caseless: inout Bool, depth: Int) throws(Unsupported) -> RegexSyntax? {
        position += 1
        var innerCaseless = caseless
        if startsWith("*") { throw Unsupported(reason: "verb") }
        if startsWith("?") {
            position += 1
            guard position < bytes.count else { throw Unsupported(reason: "(?") }
            switch bytes[position] {
            case UInt8(ascii: "#"):
                guard let close = bytes[position...].firstIndex(of: UInt8(ascii: ")")) else {
                    throw Unsupported(reason: "comment")
                }
                position = close + 1
                return nil
            case UInt8(ascii: ":"):
                position += 1
            case UInt8(ascii: "<"):
                position += 1
                if startsWith("=") || startsWith("!") { throw Unsupported(reason: "lookbehind") }
                try skipGroupName(until: UInt8(ascii: ">"))
            case UInt8(ascii: "'"):
                position += 1
                try skipGroupName(until: UInt8(ascii: "'"))
            case UInt8(ascii: "P"):
                guard startsWith("P<") else { throw Unsupported(reason: "(?P") }
                position += 2
                try skipGroupName(until: UInt8(ascii: ">"))
            default:
                // Only `i` and `-i` are modelled; other letters change `.`, anchors or
                // whitespace.
                var cursor = position
                var value = caseless
                var negate = false
                while cursor < bytes.count, bytes[cursor] != UInt8(ascii: ")"), bytes[cursor] != UInt8(ascii: ":") {
                    switch bytes[cursor] {
                    case UInt8(ascii: "i"): value = !negate
                    case UInt8(ascii: "-"): negate = true
                    default: throw Unsupported(reason: "group or option (?" + String(UnicodeScalar(bytes[cursor])))
                    }
                    cursor += 1
                }
                guard cursor < bytes.count, cursor > position else { throw Unsupported(reason: "(?") }
                position = cursor + 1
                if bytes[cursor] == UInt8(ascii: ")") {
                    caseless = value
                    return nil
                }
                innerCaseless = value
            }
        }
        let inner = try parseAlternation(caseless: innerCaseless, depth: depth + 1)
        guard position < bytes.count, bytes[position] == UInt8(ascii: ")") else { throw Unsupported(reason: "unclosed (") }
        position += 1
        return inner
    }

    private mutating func skipGroupName(until terminator: UInt8) throws(Unsupported) {
        while position < bytes.count, bytes[position] != terminator {
            let byte = bytes[position]
            guard byte >= 0x80 || isAlphanumeric(byte) || byte == UInt8(ascii: "_") else {
                throw Unsupported(reason: "group name")
            }
            position += 1
        }
        guard position < bytes.count else { throw Unsupported(reason: "group name") }
        position += 1
    }

    // MARK: Quantifiers

    private mutating func parseQuantifier() throws(Unsupported) -> (Int, Int?)? {
        guard position < bytes.count else { return nil }
        var bounds: (Int, Int?)
        switch bytes[position] {
        case UInt8(ascii: "*"): bounds = (0, nil)
        case UInt8(ascii: "+"): bounds = (1, nil)
        case UInt8(ascii: "?"): bounds = (0, 1)
        case UInt8(ascii: "{"):
            guard let braced = try braceQuantifier() else { return nil }
            bounds = (braced.minimum, braced.maximum)
            position = braced.end - 1
        default:
            return nil
        }
        position += 1
        if position < bytes.count, bytes[position] == UInt8(ascii: "+") { throw Unsupported(reason: "possessive") }
        // A lazy quantifier finds the same lines.
        if position < bytes.count, bytes[position] == UInt8(ascii: "?") { position += 1 }
        return bounds
    }

    /// `{n}`, `{n,}` or `{n,m}` at `position`, not consumed; nil when the brace is a
    /// literal. The forms whose meaning changed in PCRE2 10.43 (`{,m}`, spaces) are not
    /// modelled.
    private func braceQuantifier() throws(Unsupported) -> (minimum: Int, maximum: Int?, end: Int)? {
        var cursor = position + 1
        var content: [UInt8] = []
        while cursor < bytes.count, bytes[cursor] != UInt8(ascii: "}") {
            let byte = bytes[cursor]
            guard isDigit(byte) || byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ") else { return nil }
            content.append(byte)
            cursor += 1
        }
        guard cursor < bytes.count, !content.isEmpty else { return nil }
        let parts = content.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard !content.contains(UInt8(ascii: " ")), parts.count <= 2, !parts[0].isEmpty, parts[0].count <= 5,
              let minimum = Int(String(decoding: parts[0], as: UTF8.self)) else { throw Unsupported(reason: "{…}") }
        var maximum: Int? = minimum
        if parts.count == 2 {
            if parts[1].isEmpty {
                maximum = nil
            } else {
                guard parts[1].count <= 5, let value = Int(String(decoding: parts[1], as: UTF8.self)), value >= minimum
                else { throw Unsupported(reason: "{…}") }
                maximum = value
            }
        }
        return (minimum, maximum, cursor + 1)
    }

    // MARK: Bytes

    private func startsWith(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        return text.withUTF8Buffer { prefix in
            prefix.indices.allSatisfy { bytes[position + $0] == prefix[$0] }
        }
    }

    /// The scalar at `position` (decoded from the pattern's UTF-8), which advances past it.
    private mutating func scalar() -> UInt32 {
        let lead = bytes[position]
        let length = lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        let end = Swift.min(position + length, bytes.count)
        defer { position = end }
        guard length > 1 else { return UInt32(lead) }
        var value = UInt32(lead) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for byte in bytes[(position + 1)..<end] { value = value << 6 | UInt32(byte & 0x3F) }
        return value
    }
}

extension ScalarSet {
    /// The set without `scalar`.
    func subtracting(_ scalar: UInt32) -> ScalarSet {
        var result: [ClosedRange<UInt32>] = []
        for range in ranges {
            guard range.contains(scalar) else {
                result.append(range)
                continue
            }
            if range.lowerBound < scalar { result.append(range.lowerBound...(scalar - 1)) }
            if range.upperBound > scalar { result.append((scalar + 1)...range.upperBound) }
        }
        return ScalarSet(ranges: result)
    }
}

private func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
private func isAlphanumeric(_ byte: UInt8) -> Bool {
    isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
}

private func hexValue(_ byte: UInt8) -> UInt32? {
    if isDigit(byte) { return UInt32(byte - UInt8(ascii: "0")) }
    let lower = byte | 0x20
    if (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(lower) { return UInt32(lower - UInt8(ascii: "a") + 10) }
    return nil
}
