import AIFSCore

/// The pieces of JSON the ``JSONPrinter`` writes, byte-compatible with ripgrep 13's
/// serde_json output.
enum JSONEncoding {
    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Appends ripgrep's "arbitrary data" object: `{"text":"…"}` when `bytes` are valid
    /// UTF-8, otherwise `{"bytes":"<base64>"}`.
    static func appendData(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        if isValidUTF8(bytes) {
            out.append(contentsOf: #"{"text":"#.utf8)
            appendString(bytes, to: &out)
        } else {
            out.append(contentsOf: #"{"bytes":""#.utf8)
            appendBase64(bytes, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Appends `bytes`, which are valid UTF-8, as a quoted JSON string escaped as
    /// serde_json escapes (AIFSCore's one JSON escaping).
    static func appendString(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        JSONBytes.appendString(validUTF8: bytes, to: &out)
    }

    /// Appends a Swift string (always valid UTF-8) as a quoted JSON string.
    static func appendString(_ string: String, to out: inout [UInt8]) {
        JSONBytes.appendString(string, to: &out)
    }

    /// Appends standard base64 (RFC 4648, `+/`, padded with `=`), as ripgrep's own
    /// encoder writes it.
    static func appendBase64(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var index = 0
        while index + 3 <= bytes.count {
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(base64Alphabet[Int(group >> 18 & 63)])
            out.append(base64Alphabet[Int(group >> 12 & 63)])
            out.append(base64Alphabet[Int(group >> 6 & 63)])
            out.append(base64Alphabet[Int(group & 63)])
            index += 3
        }
        switch bytes.count - index {
        case 1:
            let group = UInt32(bytes[index]) << 16
            out.append(base64Alphabet[Int(group >> 18 & 63)])
            out.append(base64Alphabet[Int(group >> 12 & 63)])
            out.append(contentsOf: "==".utf8)
        case 2:
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out.append(base64Alphabet[Int(group >> 18 & 63)])
            out.append(base64Alphabet[Int(group >> 12 & 63)])
            out.append(base64Alphabet[Int(group >> 6 & 63)])
            out.append(UInt8(ascii: "="))
        default:
            break
        }
    }

    /// Whether `bytes` are well-formed UTF-8 as Rust's `str::from_utf8` requires: no
    /// overlong forms, no surrogates, nothing above U+10FFFF, no truncated sequences.
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        while index < bytes.count {
            let length = UTF8Scalars.validSequenceLength(in: bytes, at: index)
            if length == 0 { return false }
            index += length
        }
        return true
    }
}
