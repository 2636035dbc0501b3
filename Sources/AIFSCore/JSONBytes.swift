/// JSON text written byte by byte: the one escaping every JSON aifs writes goes
/// through (the CLI's `watch`, `batch`, `apply` and `stats` lines, the search printer's
/// ripgrep records, the MCP server's answers).
///
/// Strings are escaped as serde_json (ripgrep) and Foundation's `JSONEncoder` escape
/// them: `\"` and `\\`, the short forms `\b \t \n \f \r`, `\u00xx` (lower-case hex) for
/// the other control characters, and everything else (`/`, DEL, non-ASCII) as it is.
/// Bytes that are not valid UTF-8 become U+FFFD, so the output is always valid JSON.
///
/// ## Design rationale
/// Appending to a `[UInt8]` with no `String` in between: the search printer writes a
/// record per match and the server a whole page of results per answer, and both are
/// measured (see BENCHMARKS.md). Escaping works on runs: the bytes between two
/// characters to escape are copied whole, straight into the array's spare room.
public enum JSONBytes {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `string` as a quoted JSON string.
    public static func appendString(_ string: String, to out: inout [UInt8]) {
        var string = string
        string.withUTF8 { appendEscaped($0, to: &out) }
    }

    /// Appends `bytes` as a quoted JSON string; bytes that are not valid UTF-8 become
    /// U+FFFD, as `String(decoding:as:)` repairs them.
    public static func appendString(bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        if String(validating: bytes, as: UTF8.self) != nil {
            appendEscaped(bytes, to: &out)
        } else {
            appendString(String(decoding: bytes, as: UTF8.self), to: &out)
        }
    }

    /// Appends `bytes`, which the caller has checked are valid UTF-8, as a quoted JSON
    /// string (the search printer checks ripgrep's way first: valid text is a string,
    /// anything else base64).
    public static func appendString(validUTF8 bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        appendEscaped(bytes, to: &out)
    }

    /// `string` as a quoted JSON string.
    public static func quoted(_ string: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count + 2)
        appendString(string, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends a literal's bytes straight from the binary (keys, punctuation).
    public static func append(_ literal: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Appends `value` in decimal.
    public static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        appendInteger(value.magnitude, to: &out)
    }

    /// Appends `value` in decimal.
    public static func appendInteger(_ value: Int, to out: inout [UInt8]) {
        appendInteger(Int64(value), to: &out)
    }

    /// "00" to "99": two digits per division.
    private static let digitPairs: [UInt8] = (0..<100).flatMap {
        [UInt8(ascii: "0") + UInt8($0 / 10), UInt8(ascii: "0") + UInt8($0 % 10)]
    }

    /// Appends `value` in decimal, without making a `String`.
    public static func appendInteger(_ value: UInt64, to out: inout [UInt8]) {
        var magnitude = value
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: UInt64 has at most 20 digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var start = buffer.count
            while magnitude >= 10 {
                let pair = Int(magnitude % 100) * 2
                magnitude /= 100
                start -= 2
                buffer[start] = digitPairs[pair]
                buffer[start + 1] = digitPairs[pair + 1]
            }
            if magnitude > 0 || start == buffer.count {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(magnitude)
            }
            out.append(contentsOf: buffer[start...])
        }
    }

    /// The escaping itself, for bytes known to be valid UTF-8. Every byte of a
    /// multi-byte sequence is 0x80 or above, so escaping byte by byte is escaping
    /// character by character.
    private static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        // Written straight into the array's spare room: at most six bytes per byte
        // (`\u00XX`) and the quotes; what is not used is cut off at the end.
        let start = out.count
        let room = bytes.count * 6 + 2
        out.append(contentsOf: repeatElement(0, count: room))
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int in
            let destination = buffer.baseAddress! + start
            var position = 0
            destination[position] = UInt8(ascii: "\"")
            position += 1
            var runStart = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                let run = index - runStart
                if run > 0 {
                    (destination + position).update(from: bytes.baseAddress! + runStart, count: run)
                    position += run
                }
                runStart = index + 1
                destination[position] = UInt8(ascii: "\\")
                position += 1
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): destination[position] = byte
                case 0x08: destination[position] = UInt8(ascii: "b")
                case 0x0C: destination[position] = UInt8(ascii: "f")
                case 0x0A: destination[position] = UInt8(ascii: "n")
                case 0x0D: destination[position] = UInt8(ascii: "r")
                case 0x09: destination[position] = UInt8(ascii: "t")
                default:
                    destination[position] = UInt8(ascii: "u")
                    destination[position + 1] = UInt8(ascii: "0")
                    destination[position + 2] = UInt8(ascii: "0")
                    destination[position + 3] = hexDigits[Int(byte >> 4)]
                    position += 4
                    destination[position] = hexDigits[Int(byte & 0x0F)]
                }
                position += 1
            }
            let run = bytes.count - runStart
            if run > 0 {
                (destination + position).update(from: bytes.baseAddress! + runStart, count: run)
                position += run
            }
            destination[position] = UInt8(ascii: "\"")
            return position + 1
        }
        out.removeLast(room - written)
    }
}
