import AIFSCore
import CAIFSShims

/// Finds a ``RequiredLiteral`` in bytes: the prefilter's inner loop, and the literal
/// matcher's.
///
/// Two strategies, chosen once from ``ByteFrequencies``:
/// - when the literal has an exact byte rarer than ``memchrFrequencyLimit`` (or is one
///   byte long), `memchr` for that byte, then compare the rest: glibc's memchr runs
///   near memory speed while hits are rare, but each hit costs a call;
/// - otherwise the "packed pair" scan (as in Hyperscan and Rust's memchr crate):
///   compare 32 positions at a time against the literal's two rarest bytes at their
///   offsets, and compare the whole literal only where both agree. Letters that match
///   either case are compared after `| 0x20`.
///
/// ## Design rationale
/// The pair scan is `caifs_find_pair` in the C shim, which picks AVX2 at run time:
/// Swift's SIMD types compile to SSE2 for the baseline target, and a Swift version
/// with two `SIMD16` per step ran at 7-9 GB/s. On a 1 GiB file of source text the C
/// version took the user time of a literal search from 68 ms to 43 ms, and that of a
/// literal with common letters (`Sendable`) from 174 ms to 52 ms. `memmem` measured
/// 6.7-7.4 GB/s on 7- and 9-byte literals and 1.8 GB/s on `fn`, and cannot fold case.
struct LiteralScanner: Sendable {
    /// memchr is used for an exact byte at most this frequent (in parts per 2^24, as in
    /// ``ByteFrequencies``): about 0.02%. Above it, memchr's restarts on every hit cost
    /// more than the AVX2 pair scan (`F` in `FileManager`, 0.5%, lost by a third).
    static let memchrFrequencyLimit: UInt32 = 4_000

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
        let byte = needle[index]
        let buffer = UnsafeBufferPointer(start: base, count: lastStart + index + 1)
        while position <= lastStart {
            let searchFrom = position + index
            guard let hit = ByteScan.firstIndex(of: byte, in: buffer, range: searchFrom..<buffer.count) else { return nil }
            let candidate = hit - index
            if matches(base, at: candidate, needle, mask) { return candidate }
            position = candidate + 1
        }
        return nil
    }

    private static func pairScan(
        _ base: UnsafePointer<UInt8>, from start: Int, through lastStart: Int,
        _ needle: UnsafeBufferPointer<UInt8>, _ mask: UnsafeBufferPointer<UInt8>, _ first: Int, _ second: Int
    ) -> Int? {
        var position = start
        while position <= lastStart {
            // lastStart + needle.count <= count, so every byte the scan reads exists.
            let found = caifs_find_pair(
                base, position, lastStart,
                needle[first], mask[first], first, needle[second], mask[second], second)
            guard found >= 0 else { return nil }
            if matches(base, at: found, needle, mask) { return found }
            position = found + 1
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
