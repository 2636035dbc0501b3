import AIFSTestSupport
import AIFSCache
import Foundation
import Synchronization

/// Records every dispose callback, in order.
final class DisposeLog<Key: Sendable & Equatable, Value: Sendable & Equatable>: Sendable {
    struct Event: Equatable, Sendable, CustomStringConvertible {
        var key: Key
        var value: Value
        var reason: DisposeReason
        var description: String { "\(key)=\(value) \(reason)" }
    }

    private let storage = Mutex<[Event]>([])

    var events: [Event] { storage.withLock { $0 } }

    /// The callback to put in ``CacheConfiguration/onDispose``.
    var callback: @Sendable (Key, Value, DisposeReason) -> Void {
        { [self] key, value, reason in
            storage.withLock { $0.append(Event(key: key, value: value, reason: reason)) }
        }
    }
}

/// Draws ranks 0..<count with probability proportional to 1 / (rank + 1)^exponent.
struct ZipfGenerator {
    private var cumulative: [Double] = []

    init(count: Int, exponent: Double) {
        var sum = 0.0
        for rank in 1...count {
            sum += 1 / pow(Double(rank), exponent)
            cumulative.append(sum)
        }
        cumulative = cumulative.map { $0 / sum }
    }

    func next(using generator: inout some RandomNumberGenerator) -> Int {
        let u = Double.random(in: 0..<1, using: &generator)
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] < u { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// A plain LRU of `capacity` keys: the baseline the hit-rate tests compare against.
struct ReferenceLRU {
    private var capacity: Int
    private var index: [Int: Int] = [:]
    private var keys: [Int] = []
    private var previous: [Int] = []
    private var next: [Int] = []
    private var head = -1  // least recently used
    private var tail = -1  // most recently used

    init(capacity: Int) { self.capacity = capacity }

    /// Looks `key` up, inserting it on a miss; returns whether it was a hit.
    mutating func access(_ key: Int) -> Bool {
        if let slot = index[key] {
            unlink(slot)
            append(slot)
            return true
        }
        let slot: Int
        if keys.count < capacity {
            keys.append(key)
            previous.append(-1)
            next.append(-1)
            slot = keys.count - 1
        } else {
            slot = head
            unlink(slot)
            index[keys[slot]] = nil
            keys[slot] = key
        }
        index[key] = slot
        append(slot)
        return false
    }

    private mutating func unlink(_ slot: Int) {
        if previous[slot] >= 0 { next[previous[slot]] = next[slot] } else { head = next[slot] }
        if next[slot] >= 0 { previous[next[slot]] = previous[slot] } else { tail = previous[slot] }
    }

    private mutating func append(_ slot: Int) {
        previous[slot] = tail
        next[slot] = -1
        if tail >= 0 { next[tail] = slot } else { head = slot }
        tail = slot
    }
}

/// A counter that tasks can share (an `Atomic` itself cannot be captured).
final class Counter: Sendable {
    private let atomic = Atomic<Int>(0)
    var value: Int { atomic.load(ordering: .acquiring) }
    func increment() { atomic.add(1, ordering: .acquiringAndReleasing) }
}
