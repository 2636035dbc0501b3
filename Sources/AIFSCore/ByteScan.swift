/// Fast scans over bytes: the primitives line-oriented code is built from.
///
/// `firstIndex` and `lastIndex` are the C library's `memchr` and `memrchr`, which use
/// vector instructions; ``count(of:in:)`` counts eight bytes at a time.
public enum ByteScan {
    /// The index of the first `byte` in `buffer[range]`, or `nil`.
    ///
    /// The corresponding C function is `memchr`.
    @inlinable
    public static func firstIndex(
        of byte: UInt8, in buffer: UnsafeBufferPointer<UInt8>, range: Range<Int>
    ) -> Int? {
        guard !range.isEmpty, let base = buffer.baseAddress else { return nil }
        return ByteScanImplementation.memchr(base, byte, range)
    }

    /// The index of the last `byte` in `buffer[range]`, or `nil`.
    ///
    /// The corresponding C function is `memrchr`.
    @inlinable
    public static func lastIndex(
        of byte: UInt8, in buffer: UnsafeBufferPointer<UInt8>, range: Range<Int>
    ) -> Int? {
        guard !range.isEmpty, let base = buffer.baseAddress else { return nil }
        return ByteScanImplementation.memrchr(base, byte, range)
    }

    /// Whether `count` bytes at `a` equal those at `b`.
    ///
    /// The corresponding C function is `memcmp`.
    @inlinable
    public static func equal(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, count: Int) -> Bool {
        ByteScanImplementation.memcmp(a, b, count) == 0
    }

    /// How many times `byte` occurs in `buffer[range]`.
    public static func count(of byte: UInt8, in buffer: UnsafeBufferPointer<UInt8>, range: Range<Int>) -> Int {
        guard !range.isEmpty, let base = buffer.baseAddress else { return 0 }
        var total = 0
        var index = range.lowerBound
        let end = range.upperBound
        // Eight bytes at a time: a byte equal to `byte` becomes zero after the XOR, and
        // ((x & 0x7f…) + 0x7f…) | x has its high bit clear exactly in zero bytes (no
        // carry crosses bytes), so the complement's high bits count them exactly.
        let pattern = UInt64(byte) &* 0x0101_0101_0101_0101
        let low7: UInt64 = 0x7f7f_7f7f_7f7f_7f7f
        let high: UInt64 = 0x8080_8080_8080_8080
        let raw = UnsafeRawPointer(base)
        while index + 8 <= end {
            let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ pattern
            let spread = ((word & low7) &+ low7) | word
            total += (~spread & high).nonzeroBitCount
            index += 8
        }
        while index < end {
            if base[index] == byte { total += 1 }
            index += 1
        }
        return total
    }
}

/// The libc calls behind ``ByteScan``.
@usableFromInline
enum ByteScanImplementation {
    @usableFromInline
    static func memchr(_ base: UnsafePointer<UInt8>, _ byte: UInt8, _ range: Range<Int>) -> Int? {
        guard let found = system_memchr(base + range.lowerBound, CInt(byte), range.count) else { return nil }
        return UnsafeRawPointer(found) - UnsafeRawPointer(base)
    }

    @usableFromInline
    static func memrchr(_ base: UnsafePointer<UInt8>, _ byte: UInt8, _ range: Range<Int>) -> Int? {
        guard let found = system_memrchr(base + range.lowerBound, CInt(byte), range.count) else { return nil }
        return UnsafeRawPointer(found) - UnsafeRawPointer(base)
    }

    @usableFromInline
    static func memcmp(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> CInt {
        system_memcmp(a, b, count)
    }
}
