#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#else
#error("Unsupported Platform")
#endif

/// A conversion from one character set to UTF-8 through the C library's iconv (part of
/// glibc: nothing to load).
///
/// ## Threading
/// One converter per file being searched; not `Sendable` (iconv keeps shift state).
final class IconvConverter {
    private let descriptor: iconv_t

    /// Opens a conversion from `charset` (an iconv name such as `CP932`) to UTF-8; nil
    /// when the C library does not know it.
    ///
    /// The corresponding C function is `iconv_open`.
    init?(from charset: String) {
        let opened = iconv_open("UTF-8", charset)
        guard let opened, opened != iconv_t(bitPattern: -1) else { return nil }
        descriptor = opened
    }

    deinit { iconv_close(descriptor) }

    /// How one call ended.
    enum Stop {
        /// All input was converted.
        case done
        /// The output buffer is full.
        case outputFull
        /// The input holds a byte sequence that is not valid in the charset, at the
        /// input position reached.
        case invalid
        /// The input ends in the middle of a sequence.
        case incomplete
    }

    /// Converts as much of `input` as fits into `output`.
    ///
    /// - Returns: The bytes of `input` consumed, of `output` written, and why it stopped.
    ///
    /// The corresponding C function is `iconv`.
    func convert(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) -> (consumed: Int, written: Int, stop: Stop) {
        guard let inputBase = input.baseAddress, input.count > 0, let outputBase = output.baseAddress else {
            return (0, 0, input.isEmpty ? .done : .outputFull)
        }
        var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(mutating: inputBase)
            .assumingMemoryBound(to: CChar.self)
        var inLeft = input.count
        var outPointer: UnsafeMutablePointer<CChar>? = outputBase.assumingMemoryBound(to: CChar.self)
        var outLeft = output.count
        let result = iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft)
        let consumed = input.count - inLeft
        let written = output.count - outLeft
        guard result == -1 else { return (consumed, written, .done) }
        switch errno {
        case E2BIG: return (consumed, written, .outputFull)
        case EILSEQ: return (consumed, written, .invalid)
        default: return (consumed, written, .incomplete)
        }
    }
}
