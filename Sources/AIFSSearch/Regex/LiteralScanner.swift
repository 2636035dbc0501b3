#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#else
#error("Unsupported Platform")
#endif

/// Finds a ``RequiredLiteral`` in bytes: the prefilter's inner loop.
///
/// Two strategies, chosen once from ``ByteFrequencies``:
/// - when the literal has an exact byte rarer than ``memchrFrequencyLimit``, `memchr` for
///   that byte, then compare the rest. glibc's memchr runs at 11-19 GB/s on the 2-core
///   development machine while hits are rare, but each hit costs a call, so it loses on
///   common bytes;
/// - otherwise the "packed pair" scan (as in Hyperscan and Rust's memchr crate): compare
///   32 positions at a time against the literal's two rarest bytes at their offsets, and
///   compare the whole literal only where both agree. Letters that match either case are
///   compared after `| 0x20`. 7-9 GB/s, and it keeps false hits rare even for a literal
///   made of common letters such as caseless `error`.
///
/// `memmem` (caifs_memmem) was measured too: 6.7-7.4 GB/s on 7- and 9-byte literals and
/// 1.8 GB/s on `fn`, below both, and it cannot fold case.
///
/// ## Design rationale
/// The pair scan uses two `SIMD16<UInt8>` per step rather than one `SIMD32<UInt8>`: on
/// x86-64 without AVX2 the Swift 6.3 compiler turns `any()` of a 32-lane mask into
/// per-lane code, 100 times slower.
struct LiteralScanner: Sendable {
    /// memchr is used for an exact byte at most this frequent (in parts per 2^24, as in
    /// ``ByteFrequencies``): about 0.8%, where the two strategies measured even.
    static let memchrFrequencyLimit: UInt32 = 134_000

    private enum Strategy: Sendable {
        case memchr(index: Int)
        case pair(first: Int, second: Int)
    }

    let literal: RequiredLiteral
    private let bytes: [UInt8]
    private let foldMask: [UInt8]
    private let strategy: Strategy

    /// - Precondition: `literal` is not empty.
    init(_ literal: RequiredLiteral) {
        precondition(!literal.isEmpty, "an empty literal excludes nothing")
        self.literal = literal
        let bytes = literal.bytes
        let foldMask = literal.foldMask
        self.bytes = bytes
        self.foldMask = foldMask
        let frequencies = bytes.indices.map { ByteFrequencies.of(bytes[$0], foldsCase: foldMask[$0] != 0) }
        let exactIndices = bytes.indices.filter { foldMask[$0] == 0 }
        if let rarestExact = exactIndices.min(by: { frequencies[$0] < frequencies[$1] }),
           frequencies[rarestExact] <= Self.memchrFrequencyLimit || bytes.count == 1 {
            strategy = .memchr(index: rarestExact)
        } else {
            let ranked = bytes.indices.sorted { frequencies[$0] < frequencies[$1] }
            let first = ranked[0]
            let second = ranked.count > 1 ? ranked[1] : first
            strategy = .pair(first: min(first, second), second: max(first, second))
        }
    }

    /// Whether this scanner calls memchr (for tests and logs).
    var usesMemchr: Bool {
        if case .memchr = strategy { return true }
        return false
    }

    /// The start of the first occurrence of the literal in `haystack` that starts at or
    /// after `start` and before `limit`, or nil.
    func firstOccurrence(in haystack: UnsafeBufferPointer<UInt8>, from start: Int, before limit: Int) -> Int? {
        guard let base = haystack.baseAddress else { return nil }
        // The last start at which the literal fits, and that is before `limit`.
        let lastStart = min(limit - 1, haystack.count - bytes.count)
        guard start >= 0, start <= lastStart else { return nil }
        return bytes.withUnsafeBufferPointer { needle in
            foldMask.withUnsafeBufferPointer { mask in
                switch strategy {
                case .memchr(let index):
                    return Self.memchrScan(base, from: start, through: lastStart, needle, mask, index)
                case .pair(let first, let second):
                    return Self.pairScan(base, from: start, through: lastStart, needle, mask, first, second)
                }
            }
        }
    }

    @inline(__always)
    private static func matches(
        _ base: UnsafePointer<UInt8>, at position: Int,
        _ needle: UnsafeBufferPointer<UInt8>, _ mask: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        for index in 0..<needle.count where base[position + index] | mask[index] != needle[index] {
            return false
        }
        return true
    }

    private static func memchrScan(
        _ base: UnsafePointer<UInt8>, from start: Int, through lastStart: Int,
        _ needle: UnsafeBufferPointer<UInt8>, _ mask: UnsafeBufferPointer<UInt8>, _ index: Int
    ) -> Int? {
        var position = start
        let byte = Int32(needle[index])
        while position <= lastStart {
            let searchFrom = position + index
            let remaining = lastStart + index + 1 - searchFrom
            guard let hit = memchr(base + searchFrom, byte, remaining) else { return nil }
            let candidate = UnsafeRawPointer(hit) - UnsafeRawPointer(base) - index
            if matches(base, at: candidate, needle, mask) { return candidate }
            position = candidate + 1
        }
        return nil
    }

    private static func pairScan(
        _ base: UnsafePointer<UInt8>, from start: Int, through lastStart: Int,
        _ needle: UnsafeBufferPointer<UInt8>, _ mask: UnsafeBufferPointer<UInt8>, _ first: Int, _ second: Int
    ) -> Int? {
        let firstByte = SIMD16<UInt8>(repeating: needle[first])
        let secondByte = SIMD16<UInt8>(repeating: needle[second])
        let firstMask = SIMD16<UInt8>(repeating: mask[first])
        let secondMask = SIMD16<UInt8>(repeating: mask[second])
        let raw = UnsafeRawPointer(base)
        var position = start
        // Each step reads 16 bytes at position+16+second; position+31 <= lastStart keeps
        // that inside the haystack, because lastStart + needle.count <= count.
        while position + 31 <= lastStart {
            let low = (raw.loadUnaligned(fromByteOffset: position + first, as: SIMD16<UInt8>.self) | firstMask .== firstByte)
                .& (raw.loadUnaligned(fromByteOffset: position + second, as: SIMD16<UInt8>.self) | secondMask .== secondByte)
            let high = (raw.loadUnaligned(fromByteOffset: position + 16 + first, as: SIMD16<UInt8>.self) | firstMask .== firstByte)
                .& (raw.loadUnaligned(fromByteOffset: position + 16 + second, as: SIMD16<UInt8>.self) | secondMask .== secondByte)
            if any(low .| high) {
                for lane in 0..<16 where low[lane] && matches(base, at: position + lane, needle, mask) {
                    return position + lane
                }
                for lane in 0..<16 where high[lane] && matches(base, at: position + 16 + lane, needle, mask) {
                    return position + 16 + lane
                }
            }
            position += 32
        }
        while position <= lastStart {
            if matches(base, at: position, needle, mask) { return position }
            position += 1
        }
        return nil
    }
}

/// Finds the first occurrence of any literal of a ``RequiredLiteralSet``.
struct LiteralSetScanner: Sendable {
    let scanners: [LiteralScanner]

    init(_ set: RequiredLiteralSet) {
        scanners = set.members.map(LiteralScanner.init)
    }

    /// The start of the leftmost occurrence of any member at or after `start`, or nil.
    ///
    /// Each later member is only searched for before the best occurrence so far, so the
    /// total work stays one pass over the haystack per member at most.
    func firstOccurrence(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var best: Int?
        for scanner in scanners {
            if let found = scanner.firstOccurrence(in: haystack, from: start, before: best ?? haystack.count) {
                best = found
            }
        }
        return best
    }
}
