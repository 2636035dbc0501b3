import AIFSSearch

/// Trigrams: every run of three bytes of a file, ASCII letters lowercased, as a 24-bit
/// key (`b0 << 16 | b1 << 8 | b2`).
///
/// Folding case at index time lets one index serve every case mode: a case-sensitive
/// query asks for the folded trigrams too, and the search confirms the case.
enum Trigrams {
    /// The number of possible keys.
    static let keySpace = 1 << 24

    /// Byte to folded byte.
    static let fold: [UInt8] = (0...255).map { RequiredSubstrings.foldedASCII(UInt8($0)) }

    /// The keys of `literal` (already folded), in order, with repeats; empty when it is
    /// shorter than three bytes.
    static func keys(of literal: [UInt8]) -> [UInt32] {
        guard literal.count >= 3 else { return [] }
        var keys: [UInt32] = []
        keys.reserveCapacity(literal.count - 2)
        for index in 0..<(literal.count - 2) {
            let b0 = UInt32(fold[Int(literal[index])])
            let b1 = UInt32(fold[Int(literal[index + 1])])
            let b2 = UInt32(fold[Int(literal[index + 2])])
            keys.append(b0 << 16 | b1 << 8 | b2)
        }
        return keys
    }
}

/// Collects the distinct trigrams of one file at a time, with a bitmap of every key so
/// that each byte costs a shift, a lookup and a test.
///
/// ## Threading
/// One per thread.
final class TrigramCollector {
    private let seen: UnsafeMutablePointer<UInt64>
    /// The distinct keys of the bytes given since the last ``reset()``, in first-seen order.
    private(set) var keys: [UInt32] = []

    init() {
        let words = Trigrams.keySpace / 64
        seen = .allocate(capacity: words)
        seen.initialize(repeating: 0, count: words)
    }

    deinit { seen.deallocate() }

    /// Adds the trigrams of `bytes`. `carry` holds the last two bytes of the previous
    /// piece of the same file (as `b0 << 8 | b1`, with `count` of them valid), so that
    /// trigrams across piece boundaries are counted; it is updated for the next piece.
    func add(_ bytes: UnsafeBufferPointer<UInt8>, carry: inout (value: UInt32, count: Int)) {
        var window = carry.value
        var valid = carry.count
        Trigrams.fold.withUnsafeBufferPointer { fold in
            for byte in bytes {
                window = (window << 8 | UInt32(fold[Int(byte)])) & 0xFF_FFFF
                if valid < 2 {
                    valid += 1
                    continue
                }
                let word = Int(window >> 6), bit = UInt64(1) << (window & 63)
                if seen[word] & bit == 0 {
                    seen[word] |= bit
                    keys.append(window)
                }
            }
        }
        carry = (window & 0xFFFF, valid)
    }

    /// Forgets the keys collected, ready for the next file.
    func reset() {
        for key in keys { seen[Int(key >> 6)] = 0 }
        keys.removeAll(keepingCapacity: true)
    }
}
