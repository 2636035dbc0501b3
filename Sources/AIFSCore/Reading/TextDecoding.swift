/// Turning a file's bytes into text when they are not UTF-8: what `read_file`'s
/// `encoding` does.
public enum TextDecoding {
    /// The encodings ``decode(_:as:)`` knows.
    public static let names = ["utf-8", "utf-16le", "utf-16be", "latin1", "windows-1252"]

    /// `bytes` as text in the named encoding; nil for an unknown name. UTF-8 repairs
    /// invalid bytes with U+FFFD; UTF-16 drops a leading byte-order mark.
    public static func decode(_ bytes: [UInt8], as name: String) -> String? {
        switch name.lowercased() {
        case "utf-8", "utf8":
            return String(decoding: bytes, as: UTF8.self)
        case "utf-16le", "utf-16be":
            let little = name.lowercased() == "utf-16le"
            var units: [UInt16] = []
            units.reserveCapacity(bytes.count / 2)
            var index = 0
            while index + 1 < bytes.count {
                let (a, b) = (UInt16(bytes[index]), UInt16(bytes[index + 1]))
                units.append(little ? a | b << 8 : a << 8 | b)
                index += 2
            }
            if units.first == 0xFEFF { units.removeFirst() }
            return String(decoding: units, as: UTF16.self)
        case "latin1", "iso-8859-1":
            return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        case "windows-1252", "cp1252":
            return String(String.UnicodeScalarView(bytes.map { windows1252($0) }))
        default:
            return nil
        }
    }

    /// Windows-1252: Latin-1 except 0x80-0x9F, which hold typographic characters.
    private static func windows1252(_ byte: UInt8) -> Unicode.Scalar {
        guard byte >= 0x80 && byte <= 0x9F else { return Unicode.Scalar(byte) }
        let table: [UInt32] = [
            0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
            0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
        ]
        return Unicode.Scalar(table[Int(byte - 0x80)]) ?? Unicode.Scalar(byte)
    }
}
