/// A recursive-descent reader of PCRE2 pattern syntax that computes ``PatternInfo``, for
/// ``PatternAnalysis``.
///
/// It throws ``GiveUp`` on syntax it does not model, and records in
/// ``dependsOnLineBounds`` every construct whose meaning depends on where the subject
/// ends. It assumes the pattern compiles, so malformed input only has to end in `GiveUp`
/// or a harmless answer, never a crash: every read is bounds-checked.
struct PatternParser {
    /// The pattern uses syntax the analysis does not model.
    struct GiveUp: Error {}

    private let bytes: [UInt8]
    private var position = 0
    /// Inside `\Q…\E`.
    private var quoting = false
    private(set) var dependsOnLineBounds = false

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses the whole pattern, compiled caseless or not.
    mutating func parsePattern(caseless: Bool) throws(GiveUp) -> PatternInfo {
        let info = try parseAlternation(caseless: caseless, depth: 0)
        // Only an unbalanced `)` stops the top level early, and PCRE2 rejects that.
        guard position == bytes.count else { throw GiveUp() }
        return info
    }

    // MARK: Structure

    /// Branches separated by `|`, up to the `)` that closes the group (not consumed) or the
    /// end. Option changes such as `(?i)` last to the end of the group, across branches.
    private mutating func parseAlternation(caseless initialCaseless: Bool, depth: Int) throws(GiveUp) -> PatternInfo {
        guard depth < 200 else { throw GiveUp() }
        var caseless = initialCaseless
        var branches: [PatternInfo] = []
        while true {
            branches.append(try parseSequence(caseless: &caseless, depth: depth))
            if !quoting, position < bytes.count, bytes[position] == UInt8(ascii: "|") {
                position += 1
                continue
            }
            break
        }
        return PatternInfo.alternation(branches)
    }

    private mutating func parseSequence(caseless: inout Bool, depth: Int) throws(GiveUp) -> PatternInfo {
        var items: [PatternInfo] = []
        while position < bytes.count {
            if !quoting, bytes[position] == UInt8(ascii: "|") || bytes[position] == UInt8(ascii: ")") { break }
            guard var item = try parseAtom(caseless: &caseless, depth: depth) else { continue }
            while let quantifier = try parseQuantifier() {
                item = PatternInfo.repeated(item, min: quantifier.min, max: quantifier.max)
                if quantifier.possessive { dependsOnLineBounds = true }
            }
            items.append(item)
        }
        return PatternInfo.concatenation(items)
    }

    // MARK: Atoms

    /// One item, or nil for syntax that matches nothing by itself (`(?i)`, `(?#…)`, `\E`,
    /// the `\Q` that opens a quotation).
    private mutating func parseAtom(caseless: inout Bool, depth: Int) throws(GiveUp) -> PatternInfo? {
        if quoting {
            if startsWith("\\E") {
                position += 2
                quoting = false
                return nil
            }
            return PatternInfo.literal(scalarBytes(), caseless: caseless)
        }
        let byte = bytes[position]
        switch byte {
        case UInt8(ascii: "\\"):
            return try parseEscape(caseless: caseless)
        case UInt8(ascii: "["):
            return try parseClass(caseless: caseless)
        case UInt8(ascii: "("):
            return try parseGroup(caseless: &caseless, depth: depth)
        case UInt8(ascii: "."):
            position += 1
            return .unknown
        case UInt8(ascii: "^"), UInt8(ascii: "$"):
            position += 1
            dependsOnLineBounds = true
            return .empty
        case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"):
            // A quantifier with nothing to repeat (after `(?i)` or `\E`): PCRE2 either
            // rejects it or gives it a meaning not modelled here.
            throw GiveUp()
        case UInt8(ascii: "{"):
            if try quantifierBrace() != nil { throw GiveUp() }
            position += 1
            return PatternInfo.literal([byte], caseless: caseless)
        default:
            return PatternInfo.literal(scalarBytes(), caseless: caseless)
        }
    }

    /// An escape outside a class.
    private mutating func parseEscape(caseless: Bool) throws(GiveUp) -> PatternInfo? {
        guard position + 1 < bytes.count else { throw GiveUp() }
        let letter = bytes[position + 1]
        if letter >= 0x80 || !isAlphanumeric(letter) {
            // `\` before any other character makes it literal (`\.`, `\(`, `\\`).
            position += 1
            return PatternInfo.literal(scalarBytes(), caseless: caseless)
        }
        position += 2
        switch letter {
        case UInt8(ascii: "Q"):
            quoting = true
            return nil
        case UInt8(ascii: "E"):
            return nil
        case UInt8(ascii: "b"), UInt8(ascii: "B"):
            return .empty
        case UInt8(ascii: "A"), UInt8(ascii: "z"), UInt8(ascii: "Z"), UInt8(ascii: "G"), UInt8(ascii: "K"):
            dependsOnLineBounds = true
            return .empty
        case UInt8(ascii: "d"), UInt8(ascii: "D"), UInt8(ascii: "w"), UInt8(ascii: "W"),
             UInt8(ascii: "s"), UInt8(ascii: "S"), UInt8(ascii: "h"), UInt8(ascii: "H"),
             UInt8(ascii: "v"), UInt8(ascii: "V"), UInt8(ascii: "R"), UInt8(ascii: "X"):
            return .unknown
        case UInt8(ascii: "N"):
            // `\N` is "not a newline"; `\N{U+…}` names a character (not modelled).
            if position < bytes.count, bytes[position] == UInt8(ascii: "{") { throw GiveUp() }
            return .unknown
        case UInt8(ascii: "p"), UInt8(ascii: "P"):
            try skipPropertyName()
            return .unknown
        default:
            position -= 2
            guard let scalar = try characterEscape() else { throw GiveUp() }
            return PatternInfo.literal(Array(String(scalar).utf8), caseless: caseless)
        }
    }

    /// An escape that stands for one character, valid both in and out of classes (`\n`,
    /// `\x{e9}`, `\0`), with `position` at the backslash; nil for any other escape, with
    /// `position` unchanged.
    private mutating func characterEscape() throws(GiveUp) -> Unicode.Scalar? {
        guard position + 1 < bytes.count else { throw GiveUp() }
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "a"): 0x07, UInt8(ascii: "e"): 0x1B, UInt8(ascii: "f"): 0x0C,
            UInt8(ascii: "n"): 0x0A, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
        ]
        let letter = bytes[position + 1]
        if let value = simple[letter] {
            position += 2
            return Unicode.Scalar(value)
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
                guard digits > 0, digits <= 8, cursor < bytes.count, bytes[cursor] == UInt8(ascii: "}") else {
                    throw GiveUp()
                }
                cursor += 1
            } else {
                // `\xhh`: up to two hex digits. In UTF mode the value is a code point, so
                // `\xe9` is é, two bytes, not the byte 0xE9.
                var digits = 0
                while digits < 2, cursor < bytes.count, let digit = hexValue(bytes[cursor]) {
                    value = value * 16 + digit
                    digits += 1
                    cursor += 1
                }
                guard digits > 0 else { throw GiveUp() }
            }
            guard let scalar = Unicode.Scalar(value) else { throw GiveUp() }
            position = cursor
            return scalar
        case UInt8(ascii: "0"):
            // `\0` and up to two more octal digits.
            var cursor = position + 2
            var value: UInt32 = 0
            var digits = 0
            while digits < 2, cursor < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(bytes[cursor]) {
                value = value * 8 + UInt32(bytes[cursor] - UInt8(ascii: "0"))
                digits += 1
                cursor += 1
            }
            position = cursor
            return Unicode.Scalar(value)
        default:
            return nil
        }
    }

    /// Skips `{Name}`, `{^Name}` or a single letter after `\p` or `\P`.
    private mutating func skipPropertyName() throws(GiveUp) {
        guard position < bytes.count else { throw GiveUp() }
        if bytes[position] == UInt8(ascii: "{") {
            guard let close = bytes[position...].firstIndex(of: UInt8(ascii: "}")) else { throw GiveUp() }
            position = close + 1
        } else {
            position += 1
        }
    }

    /// A character class. One that can only match one character (`[a]`, `[.]`) is that
    /// literal; any other is one unknown character.
    private mutating func parseClass(caseless: Bool) throws(GiveUp) -> PatternInfo {
        position += 1
        var negated = false
        if position < bytes.count, bytes[position] == UInt8(ascii: "^") {
            negated = true
            position += 1
        }
        var members: Set<[UInt8]> = []
        var onlySingles = true
        var first = true
        var classQuoting = false
        var previousWasSingle = false
        while true {
            guard position < bytes.count else { throw GiveUp() }
            let byte = bytes[position]
            if classQuoting {
                if startsWith("\\E") {
                    position += 2
                    classQuoting = false
                } else {
                    members.insert(scalarBytes())
                    previousWasSingle = true
                }
                continue
            }
            // `]` first in the class is a member, not the end.
            if byte == UInt8(ascii: "]"), !first {
                position += 1
                break
            }
            first = false
            if byte == UInt8(ascii: "-"), previousWasSingle, position + 1 < bytes.count,
               bytes[position + 1] != UInt8(ascii: "]") {
                // A range such as a-z: more than one character (or so it is treated).
                onlySingles = false
                position += 1
                if bytes[position] == UInt8(ascii: "\\") {
                    if try characterEscape() == nil { throw GiveUp() }
                } else if bytes[position] == UInt8(ascii: "[") {
                    throw GiveUp()
                } else {
                    _ = scalarBytes()
                }
                previousWasSingle = false
                continue
            }
            if byte == UInt8(ascii: "[") {
                // A POSIX class such as [:alpha:]; [. and [= are errors in PCRE2.
                if position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: ":") {
                    guard let end = findPOSIXClassEnd(from: position + 2) else { throw GiveUp() }
                    position = end
                    onlySingles = false
                    previousWasSingle = false
                    continue
                }
                if position + 1 < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "=")].contains(bytes[position + 1]) {
                    throw GiveUp()
                }
                position += 1
                members.insert([byte])
                previousWasSingle = true
                continue
            }
            if byte == UInt8(ascii: "\\") {
                guard position + 1 < bytes.count else { throw GiveUp() }
                let letter = bytes[position + 1]
                if letter >= 0x80 || !isAlphanumeric(letter) {
                    position += 1
                    members.insert(scalarBytes())
                    previousWasSingle = true
                    continue
                }
                switch letter {
                case UInt8(ascii: "Q"):
                    position += 2
                    classQuoting = true
                case UInt8(ascii: "E"):
                    position += 2
                case UInt8(ascii: "b"):
                    // In a class, \b is a backspace.
                    position += 2
                    members.insert([0x08])
                    previousWasSingle = true
                case UInt8(ascii: "d"), UInt8(ascii: "D"), UInt8(ascii: "w"), UInt8(ascii: "W"),
                     UInt8(ascii: "s"), UInt8(ascii: "S"), UInt8(ascii: "h"), UInt8(ascii: "H"),
                     UInt8(ascii: "v"), UInt8(ascii: "V"):
                    position += 2
                    onlySingles = false
                    previousWasSingle = false
                case UInt8(ascii: "p"), UInt8(ascii: "P"):
                    position += 2
                    try skipPropertyName()
                    onlySingles = false
                    previousWasSingle = false
                default:
                    guard let scalar = try characterEscape() else { throw GiveUp() }
                    members.insert(Array(String(scalar).utf8))
                    previousWasSingle = true
                }
                continue
            }
            members.insert(scalarBytes())
            previousWasSingle = true
        }
        if !negated, onlySingles, members.count == 1, let member = members.first {
            return PatternInfo.literal(member, caseless: caseless)
        }
        return .unknown
    }

    /// The position after the `:]` that ends a POSIX class name starting at `start` (after
    /// `[:`), or nil when there is none.
    private func findPOSIXClassEnd(from start: Int) -> Int? {
        var cursor = start
        if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "^") { cursor += 1 }
        while cursor < bytes.count, isAlphanumeric(bytes[cursor]) { cursor += 1 }
        guard cursor + 1 < bytes.count, bytes[cursor] == UInt8(ascii: ":"),
              bytes[cursor + 1] == UInt8(ascii: "]") else { return nil }
        return cursor + 2
    }

    /// A parenthesised construct: a group, lookaround, or an option setting.
    private mutating func parseGroup(caseless: inout Bool, depth: Int) throws(GiveUp) -> PatternInfo? {
        position += 1  // (
        var innerCaseless = caseless
        var zeroWidth = false
        if startsWith("*") {
            // Verbs ((*SKIP), (*UTF)) and alpha assertions ((*pla:…)): not modelled.
            throw GiveUp()
        }
        if startsWith("?") {
            position += 1
            guard position < bytes.count else { throw GiveUp() }
            switch bytes[position] {
            case UInt8(ascii: "#"):
                guard let close = bytes[position...].firstIndex(of: UInt8(ascii: ")")) else { throw GiveUp() }
                position = close + 1
                return nil
            case UInt8(ascii: ":"), UInt8(ascii: "|"):
                position += 1
            case UInt8(ascii: ">"):
                position += 1
                dependsOnLineBounds = true
            case UInt8(ascii: "="), UInt8(ascii: "!"):
                position += 1
                zeroWidth = true
            case UInt8(ascii: "<"):
                position += 1
                if startsWith("=") || startsWith("!") {
                    position += 1
                    zeroWidth = true
                } else {
                    try skipGroupName(until: UInt8(ascii: ">"))
                }
            case UInt8(ascii: "'"):
                position += 1
                try skipGroupName(until: UInt8(ascii: "'"))
            case UInt8(ascii: "P"):
                // (?P<name>…) names a group; (?P=name) and (?P>name) refer to one.
                guard startsWith("P<") else { throw GiveUp() }
                position += 2
                try skipGroupName(until: UInt8(ascii: ">"))
            default:
                // Option letters: (?i) changes the rest of the enclosing group, (?i:…)
                // only its own contents.
                guard let (newCaseless, scoped) = try parseOptionSetting(caseless: caseless) else {
                    throw GiveUp()
                }
                if !scoped {
                    caseless = newCaseless
                    return nil
                }
                innerCaseless = newCaseless
            }
        }
        let inner = try parseAlternation(caseless: innerCaseless, depth: depth + 1)
        guard position < bytes.count, bytes[position] == UInt8(ascii: ")") else { throw GiveUp() }
        position += 1
        if zeroWidth {
            // Lookaround matches no bytes; what it looks at may lie outside the line.
            dependsOnLineBounds = true
            return .empty
        }
        return inner
    }

    /// Skips a group name and its terminator.
    private mutating func skipGroupName(until terminator: UInt8) throws(GiveUp) {
        while position < bytes.count, bytes[position] != terminator {
            let byte = bytes[position]
            guard byte >= 0x80 || isAlphanumeric(byte) || byte == UInt8(ascii: "_") else { throw GiveUp() }
            position += 1
        }
        guard position < bytes.count else { throw GiveUp() }
        position += 1
    }

    /// Reads option letters after `(?` up to `)` or `:`. Returns the caseless state after
    /// them and whether they open a scoped group (`:`); nil for anything other than option
    /// letters, with `position` unchanged.
    private mutating func parseOptionSetting(caseless: Bool) throws(GiveUp) -> (Bool, Bool)? {
        var cursor = position
        var result = caseless
        var negate = false
        if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "^") {
            // (?^) unsets i, m, n, s and x.
            result = false
            cursor += 1
        }
        while cursor < bytes.count {
            let byte = bytes[cursor]
            switch byte {
            case UInt8(ascii: "i"):
                result = !negate
            case UInt8(ascii: "-"):
                negate = true
            case UInt8(ascii: "m"), UInt8(ascii: "n"), UInt8(ascii: "s"), UInt8(ascii: "U"), UInt8(ascii: "J"):
                break  // no effect on which literals a match contains
            case UInt8(ascii: "x"):
                // Extended mode changes what whitespace and # mean.
                throw GiveUp()
            case UInt8(ascii: ")"), UInt8(ascii: ":"):
                position = cursor + 1
                return (result, byte == UInt8(ascii: ":"))
            default:
                return nil  // (?R), (?1), (?&name), (?(…), (?C…), …
            }
            cursor += 1
        }
        return nil
    }

    // MARK: Quantifiers

    /// A quantifier after an item, with its lazy (`?`) or possessive (`+`) suffix.
    private mutating func parseQuantifier() throws(GiveUp) -> (min: Int, max: Int?, possessive: Bool)? {
        if quoting {
            // In \Q…\E everything is literal; a quantifier right after \E applies to the
            // last quoted character.
            guard startsWith("\\E") else { return nil }
            position += 2
            quoting = false
        }
        guard position < bytes.count else { return nil }
        var bounds: (min: Int, max: Int?)
        switch bytes[position] {
        case UInt8(ascii: "*"): bounds = (0, nil)
        case UInt8(ascii: "+"): bounds = (1, nil)
        case UInt8(ascii: "?"): bounds = (0, 1)
        case UInt8(ascii: "{"):
            guard let braced = try quantifierBrace() else { return nil }
            bounds = (braced.min, braced.max)
            position = braced.end - 1
        default:
            return nil
        }
        position += 1
        var possessive = false
        if position < bytes.count, bytes[position] == UInt8(ascii: "+") {
            possessive = true
            position += 1
        } else if position < bytes.count, bytes[position] == UInt8(ascii: "?") {
            position += 1
        }
        return (bounds.min, bounds.max, possessive)
    }

    /// Reads `{n}`, `{n,}` or `{n,m}` at `position` without consuming it. Returns nil when
    /// the brace is a literal `{` (as in `{abc}`), and gives up on the forms whose meaning
    /// changed in PCRE2 10.43 (`{,m}` and spaces inside), so the analysis is right for
    /// whichever version is loaded.
    private func quantifierBrace() throws(GiveUp) -> (min: Int, max: Int?, end: Int)? {
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
        guard !content.contains(UInt8(ascii: " ")), parts.count <= 2, !parts[0].isEmpty,
              let minimum = Int(String(decoding: parts[0], as: UTF8.self)) else { throw GiveUp() }
        var maximum: Int? = minimum
        if parts.count == 2 {
            if parts[1].isEmpty {
                maximum = nil
            } else {
                guard let value = Int(String(decoding: parts[1], as: UTF8.self)) else { throw GiveUp() }
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

    /// The UTF-8 bytes of the character at `position`, which advances past it.
    private mutating func scalarBytes() -> [UInt8] {
        let lead = bytes[position]
        let length = lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        let end = Swift.min(position + length, bytes.count)
        defer { position = end }
        return Array(bytes[position..<end])
    }
}

private func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
private func isLetter(_ byte: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) }
private func isAlphanumeric(_ byte: UInt8) -> Bool { isDigit(byte) || isLetter(byte) }

private func hexValue(_ byte: UInt8) -> UInt32? {
    if isDigit(byte) { return UInt32(byte - UInt8(ascii: "0")) }
    let lower = byte | 0x20
    if (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(lower) { return UInt32(lower - UInt8(ascii: "a") + 10) }
    return nil
}
