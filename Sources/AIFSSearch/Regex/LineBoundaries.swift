import AIFSCore

/// Finding `\n`-terminated lines in a buffer, for the prefilter paths that work line by
/// line.
enum LineBoundaries {
    /// The offset of the first byte of the line that holds `position`: just after the
    /// last `\n` before it, or 0.
    static func start(containing position: Int, in haystack: UnsafeBufferPointer<UInt8>) -> Int {
        guard position > 0 else { return 0 }
        return ByteScan.lastIndex(of: UInt8(ascii: "\n"), in: haystack, range: 0..<min(position, haystack.count)).map { $0 + 1 } ?? 0
    }

    /// The offset of the first `\n` at or after `position`, or `haystack.count`.
    static func end(from position: Int, in haystack: UnsafeBufferPointer<UInt8>) -> Int {
        guard position < haystack.count else { return haystack.count }
        return ByteScan.firstIndex(of: UInt8(ascii: "\n"), in: haystack, range: position..<haystack.count) ?? haystack.count
    }
}
