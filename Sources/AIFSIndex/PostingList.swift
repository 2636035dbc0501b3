/// Sorted lists of file numbers, stored as deltas in LEB128 varints: the first number
/// as it is, each next one as its distance from the one before (always at least 1).
///
/// Source files share most of their trigrams with many other files, so the deltas are
/// small and most take one byte.
enum PostingList {
    /// Appends `value` as a varint.
    @inline(__always)
    static func appendVarint(_ value: UInt32, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Encodes a sorted list without duplicates.
    static func encode(_ numbers: some Sequence<UInt32>, into bytes: inout [UInt8]) {
        var previous: UInt32?
        for number in numbers {
            appendVarint(previous.map { number - $0 } ?? number, to: &bytes)
            previous = number
        }
    }

    /// Decodes a list encoded by ``encode(_:into:)``, appending to `numbers`. Returns
    /// false when the bytes are malformed (a varint runs past the end or overflows, or a
    /// delta is zero): a corrupt list is never trusted.
    @discardableResult
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, into numbers: inout [UInt32]) -> Bool {
        var index = 0
        var previous: UInt32 = 0
        var first = true
        while index < bytes.count {
            var value: UInt32 = 0
            var shift: UInt32 = 0
            while true {
                guard index < bytes.count, shift <= 28 else { return false }
                let byte = bytes[index]
                index += 1
                value |= UInt32(byte & 0x7F) << shift
                if byte & 0x80 == 0 { break }
                shift += 7
            }
            if first {
                previous = value
                first = false
            } else {
                guard value > 0 else { return false }
                let (sum, overflow) = previous.addingReportingOverflow(value)
                guard !overflow else { return false }
                previous = sum
            }
            numbers.append(previous)
        }
        return true
    }

    /// The numbers in both sorted lists.
    static func intersection(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        var result: [UInt32] = []
        result.reserveCapacity(min(a.count, b.count))
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] < b[j] {
                i += 1
            } else if a[i] > b[j] {
                j += 1
            } else {
                result.append(a[i])
                i += 1
                j += 1
            }
        }
        return result
    }

    /// The numbers in either sorted list.
    static func union(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        var result: [UInt32] = []
        result.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i] < b[j]) {
                result.append(a[i])
                i += 1
            } else if i == a.count || b[j] < a[i] {
                result.append(b[j])
                j += 1
            } else {
                result.append(a[i])
                i += 1
                j += 1
            }
        }
        return result
    }
}
