/// JSON string literals for the CLI's JSON output (`watch`, `batch --json`, `apply
/// --json`, `stats`), escaped as JSON requires: `"` and `\` with a backslash, `\n`,
/// `\r`, `\t` by name, other control bytes as `\u00XX`; everything else as is.
enum JSONString {
    /// Appends `text` as a JSON string literal to `output`.
    ///
    /// Every byte of a multi-byte UTF-8 sequence is 0x80 or above, so escaping byte by
    /// byte is the same as escaping scalar by scalar; runs with nothing to escape (the
    /// usual case) are copied whole.
    static func append(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { source in
            var start = 0
            for index in 0..<source.count {
                let byte = source[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: source[start..<index]))
                start = index + 1
                output.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(byte)
                case UInt8(ascii: "\n"): output.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): output.append(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): output.append(UInt8(ascii: "t"))
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    output.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: source[start...]))
        }
        output.append(UInt8(ascii: "\""))
    }

    /// `text` as a JSON string literal.
    static func quoted(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + 2)
        append(text, to: &output)
        return String(decoding: output, as: UTF8.self)
    }
}
