/// A count-min sketch of 4-bit counters that estimates how often each key was used
/// recently: the frequency filter of W-TinyLFU.
///
/// Four rows of `width` counters (a power of two, at least four times the cache's
/// capacity and at least 64; Caffeine's table has the same 16 counters per entry); a key
/// maps to one counter per row by double hashing, its estimate is the smallest of the
/// four. Counters saturate at 15. After `10 × capacity` increments (`sampleSize`) every
/// counter is halved ("aging"), so the sketch forgets old popularity and follows a
/// changing workload.
///
/// ## Invariants
/// - `table.count == 4 * width / 16`; `width` is a power of two, at least 64.
/// - `sampleSize == 10 * width / 4`.
/// - `additions < sampleSize`, except transiently inside ``increment(_:)``.
///
/// ## Design rationale
/// Caffeine's `FrequencySketch`, simplified: the four counters of a key live in four
/// separate rows instead of one 64-byte block. At our capacities (thousands of entries)
/// the whole table is a few kilobytes and stays in cache, so the block layout buys little.
struct FrequencySketch {
    private var table: [UInt64]
    private var width: Int
    private var additions = 0
    private var sampleSize: Int

    /// The largest number of counters per row; beyond it estimates just get coarser.
    private static var maximumWidth: Int { 1 << 24 }

    /// Creates a sketch for a cache of about `capacity` entries.
    init(capacity: Int) {
        width = Self.width(for: capacity)
        table = Array(repeating: 0, count: 4 * width / 16)
        sampleSize = 10 * width / 4
    }

    private static func width(for capacity: Int) -> Int {
        var width = 64
        while width / 4 < capacity && width < maximumWidth { width <<= 1 }
        return width
    }

    /// Grows the sketch (clearing it) when the cache holds more entries than it was sized
    /// for; a cache bounded only by bytes learns its entry count as it fills.
    mutating func ensureCapacity(_ capacity: Int) {
        guard capacity > width / 4 && width < Self.maximumWidth else { return }
        self = FrequencySketch(capacity: capacity)
    }

    /// The estimated number of recent uses of the key with this hash, 0...15.
    func frequency(_ hash: Int) -> Int {
        let (first, second) = Self.hashes(hash)
        var minimum = 15
        for row in 0..<4 {
            minimum = min(minimum, counter(row: row, first: first, second: second).value)
        }
        return minimum
    }

    /// Records one use of the key with this hash, aging the sketch when the sample is full.
    mutating func increment(_ hash: Int) {
        let (first, second) = Self.hashes(hash)
        var added = false
        for row in 0..<4 {
            let (word, shift, value) = counter(row: row, first: first, second: second)
            if value < 15 {
                table[word] &+= 1 << shift
                added = true
            }
        }
        guard added else { return }
        additions += 1
        if additions >= sampleSize { halve() }
    }

    /// Halves every counter, so that old uses weigh half as much as new ones.
    private mutating func halve() {
        for index in table.indices {
            table[index] = (table[index] >> 1) & 0x7777_7777_7777_7777
        }
        additions /= 2
    }

    private func counter(row: Int, first: UInt64, second: UInt64) -> (word: Int, shift: UInt64, value: Int) {
        let slot = Int(truncatingIfNeeded: (first &+ UInt64(row) &* second) >> 32) & (width - 1)
        let word = row * (width / 16) + slot >> 4
        let shift = UInt64(slot & 15) << 2
        return (word, shift, Int(truncatingIfNeeded: (table[word] >> shift) & 0xF))
    }

    /// Two independent 64-bit hashes (splitmix64 finalizer) for double hashing.
    private static func hashes(_ hash: Int) -> (UInt64, UInt64) {
        let first = mix(UInt64(bitPattern: Int64(hash)))
        return (first, mix(first) | 1)
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
