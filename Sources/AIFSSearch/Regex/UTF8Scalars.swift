/// UTF-8 boundary arithmetic on raw bytes that may not be valid UTF-8.
enum UTF8Scalars {
    /// The length of the valid UTF-8 sequence at `position` (1 to 4), or 0 when the bytes
    /// there are not one (a stray continuation byte, a truncated sequence, an overlong
    /// form, a surrogate or a value above U+10FFFF), following the Unicode standard's
    /// table of well-formed byte sequences.
    static func validSequenceLength(in bytes: UnsafeBufferPointer<UInt8>, at position: Int) -> Int {
        let lead = bytes[position]
        if lead < 0x80 { return 1 }
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: return 0
        }
        guard position + length <= bytes.count, secondRange.contains(bytes[position + 1]) else { return 0 }
        for index in (position + 2)..<(position + length) where bytes[index] & 0xC0 != 0x80 {
            return 0
        }
        return length
    }

    /// `position` if it is not inside a valid multi-byte sequence, else the end of that
    /// sequence: where a search asked to start at `position` should start.
    ///
    /// A position among invalid bytes is left alone: PCRE2 treats invalid bytes as
    /// unmatchable, so starting there loses nothing.
    static func boundary(atOrAfter position: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard position > 0, position < bytes.count, bytes[position] & 0xC0 == 0x80 else { return position }
        // A lead byte is at most 3 bytes back.
        var lead = position - 1
        while lead > 0, lead > position - 3, bytes[lead] & 0xC0 == 0x80 {
            lead -= 1
        }
        let length = validSequenceLength(in: bytes, at: lead)
        return lead + length > position ? lead + length : position
    }

    /// Whether the last character of `bytes` is not valid UTF-8 (an invalid byte, or a
    /// sequence cut short by the end).
    static func endsInInvalidSequence(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let last = bytes.last, last >= 0x80 else { return false }
        var lead = bytes.count - 1
        while lead > 0, lead > bytes.count - 4, bytes[lead] & 0xC0 == 0x80 {
            lead -= 1
        }
        return lead + validSequenceLength(in: bytes, at: lead) != bytes.count
    }
}
