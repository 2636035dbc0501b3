/// ripgrep's refusal of a pattern that names a line terminator when lines are searched
/// one at a time: such a pattern could never match, so ripgrep says so instead of
/// finding nothing ("the literal "\n" is not allowed in a regex") and suggests `-U`.
public enum LiteralNewline {
    /// Whether `pattern` holds a newline that can only match one: the character itself,
    /// or, in a regex, `\n`, `\x0A`, `\x{A}` or `\012` outside a character class.
    /// `[\n]` counts too. Other classes (`[\na]`, `\s`, `[^a]`) are left alone: a line holds no newline for them
    /// to match, as in ripgrep, which takes `\n` out of them.
    public static func appears(in pattern: String, literal: Bool) -> Bool {
        let bytes = Array(pattern.utf8)
        if bytes.contains(0x0A) { return true }
        if literal { return false }
        var index = 0
        var inClass = false
        var classStart = 0
        var quoting = false
        while index < bytes.count {
            let byte = bytes[index]
            if quoting {
                if byte == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "E") { quoting = false }
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\\"), index + 1 < bytes.count {
                let next = bytes[index + 1]
                if !inClass {
                    switch next {
                    case UInt8(ascii: "n"): return true
                    case UInt8(ascii: "Q"): quoting = true
                    case UInt8(ascii: "x"): if hexValue(bytes, after: index + 2) == 0x0A { return true }
                    case UInt8(ascii: "0"):
                        if index + 3 < bytes.count, bytes[index + 2] == UInt8(ascii: "1"), bytes[index + 3] == UInt8(ascii: "2") {
                            return true
                        }
                    default: break
                    }
                }
                index += 2
                continue
            }
            if inClass {
                if byte == UInt8(ascii: "]") && index > classStart { inClass = false }
            } else if byte == UInt8(ascii: "[") {
                // A class of the newline alone can match nothing else either.
                if bytes[(index + 1)...].starts(with: Array(#"\n]"#.utf8)) { return true }
                inClass = true
                classStart = index + 1
                if classStart < bytes.count && bytes[classStart] == UInt8(ascii: "^") { classStart += 1 }
            }
            index += 1
        }
        return false
    }

    /// The value of `\xHH` or `\x{H…}` whose digits start at `start`.
    private static func hexValue(_ bytes: [UInt8], after start: Int) -> Int? {
        var index = start
        var braced = false
        if index < bytes.count && bytes[index] == UInt8(ascii: "{") {
            braced = true
            index += 1
        }
        var value = 0
        var digits = 0
        while index < bytes.count, digits < (braced ? 8 : 2), let digit = Int(String(UnicodeScalar(bytes[index])), radix: 16) {
            value = value * 16 + digit
            digits += 1
            index += 1
        }
        guard digits > 0 else { return nil }
        if braced && (index >= bytes.count || bytes[index] != UInt8(ascii: "}")) { return nil }
        return value
    }

    /// ripgrep's message, with its advice.
    public static let message = """
        the literal "\\n" is not allowed in a regex

        Consider enabling multiline mode with the --multiline flag (or -U for short).
        When multiline mode is enabled, new line characters can be matched.
        """
}
