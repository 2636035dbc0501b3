/// Decodes one file's bytes to UTF-8, in pieces, as they are read.
///
/// UTF-16 and windows-1252 are decoded here; other encodings go through iconv. Bytes
/// that are not valid become U+FFFD, as ripgrep's decoder (`encoding_rs`) does.
///
/// ## Threading
/// One per file being searched.
final class Transcoder {
    private enum Engine {
        case utf16(bigEndian: Bool)
        case windows1252
        case iconv(IconvConverter)
    }

    private let engine: Engine
    private static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// A transcoder for a transcoding kind; nil for the kinds that pass bytes through.
    init?(_ kind: SearchEncoding.Kind) {
        switch kind {
        case .automatic, .none: return nil
        case .utf16LittleEndian: engine = .utf16(bigEndian: false)
        case .utf16BigEndian: engine = .utf16(bigEndian: true)
        case .windows1252: engine = .windows1252
        case .iconv(let charset):
            guard let converter = IconvConverter(from: charset) else { return nil }
            engine = .iconv(converter)
        }
    }

    /// Decodes from the start of `input`, appending UTF-8 to `output`.
    ///
    /// - Parameter atEnd: No more input follows: an incomplete last sequence is
    ///   decoded as U+FFFD instead of being left for the next call.
    /// - Returns: How many bytes of `input` were consumed; the rest must be passed again,
    ///   with more after it.
    func decode(_ input: UnsafeBufferPointer<UInt8>, atEnd: Bool, into output: inout [UInt8]) -> Int {
        switch engine {
        case .utf16(let bigEndian): return decodeUTF16(input, bigEndian: bigEndian, atEnd: atEnd, into: &output)
        case .windows1252: return decodeWindows1252(input, into: &output)
        case .iconv(let converter): return decodeIconv(converter, input, atEnd: atEnd, into: &output)
        }
    }

    private func decodeUTF16(
        _ input: UnsafeBufferPointer<UInt8>, bigEndian: Bool, atEnd: Bool, into output: inout [UInt8]
    ) -> Int {
        func unit(at index: Int) -> UInt32 {
            bigEndian ? UInt32(input[index]) << 8 | UInt32(input[index + 1])
                : UInt32(input[index + 1]) << 8 | UInt32(input[index])
        }
        var index = 0
        while index + 1 < input.count {
            let first = unit(at: index)
            if first < 0xD800 || first > 0xDFFF {
                Self.appendUTF8(first, to: &output)
                index += 2
            } else if first <= 0xDBFF {
                guard index + 3 < input.count else {
                    if !atEnd { return index }
                    output += Self.replacement
                    index += 2
                    continue
                }
                let second = unit(at: index + 2)
                if (0xDC00...0xDFFF).contains(second) {
                    Self.appendUTF8(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00), to: &output)
                    index += 4
                } else {
                    output += Self.replacement
                    index += 2
                }
            } else {
                output += Self.replacement
                index += 2
            }
        }
        if index < input.count && atEnd {
            output += Self.replacement
            index = input.count
        }
        return index
    }

    /// windows-1252's 0x80-0x9F (WHATWG: the five unassigned bytes map to C1 controls).
    private static let windows1252High: [UInt32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,
        0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
        0x0153, 0x9D, 0x017E, 0x0178,
    ]

    private func decodeWindows1252(_ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) -> Int {
        output.reserveCapacity(output.count + input.count * 2)
        for byte in input {
            if byte < 0x80 {
                output.append(byte)
            } else if byte < 0xA0 {
                Self.appendUTF8(Self.windows1252High[Int(byte - 0x80)], to: &output)
            } else {
                Self.appendUTF8(UInt32(byte), to: &output)
            }
        }
        return input.count
    }

    private func decodeIconv(
        _ converter: IconvConverter, _ input: UnsafeBufferPointer<UInt8>, atEnd: Bool, into output: inout [UInt8]
    ) -> Int {
        var consumed = 0
        var scratch = [UInt8](repeating: 0, count: max(64, input.count * 4))
        while consumed < input.count {
            let rest = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(input)[consumed...])
            let (used, written, stop) = scratch.withUnsafeMutableBytes { converter.convert(rest, into: $0) }
            output += scratch[..<written]
            consumed += used
            switch stop {
            case .done, .outputFull:
                continue
            case .invalid:
                output += Self.replacement
                consumed += 1
            case .incomplete:
                guard atEnd else { return consumed }
                output += Self.replacement
                return input.count
            }
        }
        return consumed
    }

    private static func appendUTF8(_ scalar: UInt32, to output: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            output.append(UInt8(scalar))
        case 0x80..<0x800:
            output.append(UInt8(0xC0 | scalar >> 6))
            output.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            output.append(UInt8(0xE0 | scalar >> 12))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        default:
            output.append(UInt8(0xF0 | scalar >> 18))
            output.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
