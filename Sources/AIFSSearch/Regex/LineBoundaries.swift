#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#else
#error("Unsupported Platform")
#endif
import CAIFSShims

/// Finding `\n`-terminated lines in a buffer, for the prefilter paths that work line by
/// line.
enum LineBoundaries {
    /// The offset of the first byte of the line that holds `position`: just after the
    /// last `\n` before it, or 0.
    static func start(containing position: Int, in haystack: UnsafeBufferPointer<UInt8>) -> Int {
        guard position > 0, let base = haystack.baseAddress else { return 0 }
        guard let newline = caifs_memrchr(base, Int32(UInt8(ascii: "\n")), min(position, haystack.count)) else {
            return 0
        }
        return UnsafeRawPointer(newline) - UnsafeRawPointer(base) + 1
    }

    /// The offset of the first `\n` at or after `position`, or `haystack.count`.
    static func end(from position: Int, in haystack: UnsafeBufferPointer<UInt8>) -> Int {
        guard position < haystack.count, let base = haystack.baseAddress else { return haystack.count }
        guard let newline = memchr(base + position, Int32(UInt8(ascii: "\n")), haystack.count - position) else {
            return haystack.count
        }
        return UnsafeRawPointer(newline) - UnsafeRawPointer(base)
    }
}
