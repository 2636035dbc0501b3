/// The answers of the reading engine (`FileReader`): which part of a file, what was
/// read, and what encoding its first bytes suggest.

/// Which part of a file `FileService.readFile(path:range:maxBytes:)` returns.
public enum ReadRange: Sendable, Hashable {
    /// The whole file (up to the byte limit).
    case whole
    /// The first `lines` lines.
    case head(lines: Int)
    /// The last `lines` lines, read from the end of the file: a huge log costs only
    /// the bytes of its last lines.
    case tail(lines: Int)
    /// Lines `start` through `end`, 1-based and inclusive; `end == nil` means to the
    /// end of the file.
    case lines(start: Int, end: Int?)
    /// `length` bytes (`nil`: up to the byte limit) from byte `offset`. The only range
    /// that reads binary files.
    case bytes(offset: Int64, length: Int?)
}

/// What `FileService.readFile(path:range:maxBytes:)` read.
public struct FileContent: Sendable, Hashable {
    /// The canonical path of the file.
    public var path: String
    /// The bytes read. For the line ranges they are whole lines (each with its
    /// terminator, except perhaps the file's last line).
    public var bytes: [UInt8]
    /// The size of the file when it was opened.
    public var fileSize: Int64
    /// The offset in the file of the first byte of ``bytes``.
    public var byteOffset: Int64
    /// The number of the first line in ``bytes`` (1-based), when known: always for
    /// `whole`, `head` and `lines`; for `tail` only when the read reached the start
    /// of the file.
    public var firstLine: Int?
    /// The number of lines in ``bytes`` (a last line without a terminator counts).
    public var lineCount: Int
    /// Whether the limit cut the range short: more of what was asked for exists.
    public var truncated: Bool
    /// Whether the file looks binary (a NUL byte in its first 8 KiB). Only byte ranges
    /// of binary files are returned.
    public var isBinary: Bool
    /// The encoding the file's first 8 KiB suggest.
    public var encoding: TextEncoding

    /// The number of the last line in ``bytes``, when ``firstLine`` is known.
    public var lastLine: Int? {
        guard let firstLine, lineCount > 0 else { return nil }
        return firstLine + lineCount - 1
    }
}

/// What a file's first bytes say about its encoding.
public enum TextEncoding: String, Sendable, Hashable {
    /// Only bytes below 0x80 (also valid UTF-8).
    case ascii
    /// Valid UTF-8 with characters beyond ASCII.
    case utf8 = "utf-8"
    /// UTF-8 that starts with a byte-order mark (EF BB BF).
    case utf8WithByteOrderMark = "utf-8 with BOM"
    /// UTF-16, little-endian, by its byte-order mark (FF FE); binary to a byte reader.
    case utf16LittleEndian = "utf-16le"
    /// UTF-16, big-endian, by its byte-order mark (FE FF); binary to a byte reader.
    case utf16BigEndian = "utf-16be"
    /// Text that is not valid UTF-8: a legacy 8-bit encoding such as Latin-1, shown with
    /// U+FFFD where bytes are not UTF-8.
    case other8Bit = "8-bit, not UTF-8"
    /// A NUL byte and no UTF-16 byte-order mark: not text.
    case binary

    /// Classifies the first bytes of a file (the 8 KiB probe). A character cut by the
    /// end of the probe does not count against UTF-8.
    package static func detect(_ probe: ArraySlice<UInt8>) -> TextEncoding {
        if probe.starts(with: [0xFF, 0xFE]) { return .utf16LittleEndian }
        if probe.starts(with: [0xFE, 0xFF]) { return .utf16BigEndian }
        let hasZero = probe.withUnsafeBufferPointer { buffer in
            ByteScan.firstIndex(of: 0, in: buffer, range: 0..<buffer.count) != nil
        }
        if hasZero { return .binary }
        if isASCII(probe) { return .ascii }
        var bytes = probe
        // Drop a partial character at the end: the probe may cut one in two.
        var back = bytes.endIndex
        while back > bytes.startIndex, bytes[back - 1] & 0xC0 == 0x80, bytes.endIndex - back < 3 { back -= 1 }
        if back > bytes.startIndex, bytes[back - 1] >= 0xC0 { bytes = bytes[..<(back - 1)] }
        guard String(validating: bytes, as: UTF8.self) != nil else { return .other8Bit }
        return probe.starts(with: [0xEF, 0xBB, 0xBF]) ? .utf8WithByteOrderMark : .utf8
    }

    /// Whether every byte is below 0x80, eight bytes at a time.
    package static func isASCII(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBytes { raw in
            var index = 0
            var high: UInt64 = 0
            while index + 8 <= raw.count {
                high |= raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                index += 8
            }
            while index < raw.count {
                high |= UInt64(raw[index])
                index += 1
            }
            return high & 0x8080_8080_8080_8080 == 0
        }
    }
}

extension ReadRange {
    /// Whether this is a byte range (`.bytes`), which reads binary files too.
    public var isByteRange: Bool {
        if case .bytes = self { return true }
        return false
    }
}
