/// How GNU coreutils write a file name into a line of output, for the batch text lines
/// that follow `sha256sum` and `wc`: a name with a newline must not split its line.
enum CoreutilsNames {
    /// The name as `sha256sum` writes it when it has a backslash, a newline or a carriage
    /// return (`\\`, `\n`, `\r`; the line then starts with a backslash, so that
    /// `sha256sum -c` reads it back), or `nil` when it is written as it is.
    static func checksumEscaped(_ name: String) -> String? {
        guard name.utf8.contains(where: { $0 == backslash || $0 == newline || $0 == carriageReturn }) else { return nil }
        var escaped: [UInt8] = []
        escaped.reserveCapacity(name.utf8.count + 4)
        for byte in name.utf8 {
            switch byte {
            case backslash: escaped += [backslash, backslash]
            case newline: escaped += [backslash, UInt8(ascii: "n")]
            case carriageReturn: escaped += [backslash, UInt8(ascii: "r")]
            default: escaped.append(byte)
            }
        }
        return String(decoding: escaped, as: UTF8.self)
    }

    /// The name as `wc` writes it when it has a newline: quoted for a POSIX shell, with
    /// control characters in `$'…'` (`'a'$'\n''b'`), or `nil` when it is written as it is.
    /// Bytes above ASCII stay as they are, as `wc` leaves them in a UTF-8 locale.
    static func wcQuoted(_ name: String) -> String? {
        guard name.utf8.contains(newline) else { return nil }
        let quote = UInt8(ascii: "'")
        var quoted: [UInt8] = [quote]
        var inEscapes = false
        for byte in name.utf8 {
            if byte < 0x20 || byte == 0x7F {
                // Close the plain quote and open (or stay in) a $'…' run.
                if !inEscapes { quoted += [quote, UInt8(ascii: "$"), quote] }
                inEscapes = true
                appendEscape(of: byte, to: &quoted)
                continue
            }
            if inEscapes {
                // Close the $'…' run and reopen the plain quote.
                quoted += [quote, quote]
                inEscapes = false
            }
            if byte == quote {
                quoted += Array(#"'\''"#.utf8)
            } else {
                quoted.append(byte)
            }
        }
        quoted.append(quote)
        return String(decoding: quoted, as: UTF8.self)
    }

    private static func appendEscape(of byte: UInt8, to quoted: inout [UInt8]) {
        let letters: [UInt8: Character] = [7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r"]
        quoted.append(backslash)
        if let letter = letters[byte], let ascii = letter.asciiValue {
            quoted.append(ascii)
        } else {
            // Three octal digits, as \001 or \177.
            quoted += [byte >> 6, (byte >> 3) & 7, byte & 7].map { UInt8(ascii: "0") + $0 }
        }
    }

    private static let backslash = UInt8(ascii: "\\")
    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
}
