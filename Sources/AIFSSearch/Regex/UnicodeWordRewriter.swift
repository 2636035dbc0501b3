/// Gives `\w`, `\W`, `\b` and `\B` ripgrep's meaning before a pattern goes to PCRE2.
///
/// ripgrep's regex engine follows UTS #18: a word character is alphabetic, a mark
/// (Mn, Mc, Me), a decimal digit, connector punctuation or a join control. PCRE2 with
/// UCP counts letters, all numbers and `_`, and no marks, so `1️⃣deinit` (a digit, a
/// variation selector and a combining keycap before `deinit`) would hold a whole word
/// `deinit`. The rewrite spells the class out: `\w` becomes `[W]`, `\W` `[^W]`, `\w`
/// inside a class adds `W` to it, and `\b`/`\B` become look-arounds on `W`.
///
/// ## Known problems
/// - `\W` inside a character class (`[\W\d]`) keeps PCRE2's meaning: a class cannot
///   hold the complement of another.
/// - `[[:word:]]` keeps PCRE2's meaning.
/// - ripgrep's "alphabetic" also holds a few symbols (Other_Alphabetic outside the
///   marks, such as the circled letters Ⓐ); `\p{L}\p{Nl}` does not.
enum UnicodeWordRewriter {
    /// The members of ripgrep's `\w`, for a PCRE2 class.
    static let wordClassBody = #"\p{L}\p{Nl}\p{M}\p{Nd}\p{Pc}\x{200C}\x{200D}"#
    static let word = "[\(wordClassBody)]"
    static let notWord = "[^\(wordClassBody)]"
    static let boundary = "(?:(?<=\(word))(?!\(word))|(?<!\(word))(?=\(word)))"
    static let notBoundary = "(?:(?<=\(word))(?=\(word))|(?<!\(word))(?!\(word)))"

    /// `pattern` with its word escapes rewritten; anything it does not understand is
    /// copied as it is, so PCRE2 still reports the pattern's own errors.
    static func rewrite(_ pattern: String) -> String {
        let bytes = Array(pattern.utf8)
        guard bytes.contains(UInt8(ascii: "\\")) else { return pattern }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 64)
        var index = 0
        var inClass = false
        /// Index of the first member of the current class (where `]` is literal).
        var classStart = 0
        var quoting = false
        while index < bytes.count {
            let byte = bytes[index]
            if quoting {
                if byte == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "E") {
                    quoting = false
                    output += [byte, bytes[index + 1]]
                    index += 2
                } else {
                    output.append(byte)
                    index += 1
                }
                continue
            }
            if byte == UInt8(ascii: "\\") && index + 1 < bytes.count {
                let next = bytes[index + 1]
                switch next {
                case UInt8(ascii: "Q"):
                    quoting = true
                    output += [byte, next]
                case UInt8(ascii: "w"):
                    output += Array((inClass ? wordClassBody : word).utf8)
                case UInt8(ascii: "W") where !inClass:
                    output += Array(notWord.utf8)
                case UInt8(ascii: "b") where !inClass:
                    output += Array(boundary.utf8)
                case UInt8(ascii: "B") where !inClass:
                    output += Array(notBoundary.utf8)
                default:
                    output += [byte, next]
                }
                index += 2
                continue
            }
            if inClass {
                if byte == UInt8(ascii: "]") && index > classStart {
                    inClass = false
                } else if byte == UInt8(ascii: "["), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: ":"),
                          let end = posixClassEnd(bytes, from: index + 2)
                {
                    output += bytes[index..<end]
                    index = end
                    continue
                }
                output.append(byte)
                index += 1
                continue
            }
            if byte == UInt8(ascii: "[") {
                inClass = true
                output.append(byte)
                index += 1
                if index < bytes.count && bytes[index] == UInt8(ascii: "^") {
                    output.append(bytes[index])
                    index += 1
                }
                classStart = index
                continue
            }
            if byte == UInt8(ascii: "("), index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "?"),
               bytes[index + 2] == UInt8(ascii: "#")
            {
                // A comment runs to the first `)`, whatever it holds.
                let end = bytes[index...].firstIndex(of: UInt8(ascii: ")")).map { $0 + 1 } ?? bytes.count
                output += bytes[index..<end]
                index = end
                continue
            }
            output.append(byte)
            index += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The end (past `:]`) of a POSIX class `[:name:]` whose name starts at `start`.
    private static func posixClassEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        if index < bytes.count && bytes[index] == UInt8(ascii: "^") { index += 1 }
        while index < bytes.count, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[index]) { index += 1 }
        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: ":"), bytes[index + 1] == UInt8(ascii: "]") else {
            return nil
        }
        return index + 2
    }
}
