/// The W-TinyLFU segment an entry lives in.
enum Region: UInt8 {
    /// The admission window: a small LRU that every new entry enters.
    case window
    /// The main space's probation segment: entries on trial, evicted first.
    case probation
    /// The main space's protected segment: entries used again while on probation.
    case protected
}

/// The eviction policy of a ``Cache``: which slots are live, in which segment and order,
/// how large, until when, and how often used. W-TinyLFU, after Caffeine.
///
/// New entries enter the window (about 1% of the limits). Entries pushed out of the window
/// become candidates at the young end of probation. While the cache is over a limit, the
/// oldest probation entry (the victim) and the youngest remaining candidate are compared
/// by their frequency in the sketch; the less used one is evicted, and on a tie the
/// candidate, so that a scan of cold keys cannot flush the main space. A hit on probation
/// promotes the entry to protected (about 80% of the main space); protected overflow is
/// demoted back to probation.
///
/// Slots are indices into `links` (and into the cache's key and value arrays); free slots
/// are chained through `next` and reused, so a warmed cache allocates nothing.
///
/// ## Design rationale
/// The policy knows nothing of keys and values, only slots and hashes: it is not generic,
/// so its code is compiled once, fully optimized, instead of running through generic
/// metadata in every client (which measured 1.3 µs per hit; see the module article).
///
/// ## Invariants
/// - Each live slot is in exactly the list named by its `region`; every list's `count`
///   and `bytes` are the sums over its slots.
/// - After ``evict(into:)`` returns, the totals are within the limits, unless nothing is
///   left to evict.
struct EvictionPolicy {
    struct Link {
        var previous: Int32 = -1
        var next: Int32 = -1
        var size = 0
        var hash = 0
        /// When the entry expires, in clock nanoseconds; `.max` for never.
        var expiry = Int64.max
        /// The entry's time-to-live in nanoseconds, for `updateAgeOnGet`; `.max` for none.
        var timeToLive = Int64.max
        var region = Region.window
    }

    struct List {
        var head: Int32 = -1
        var tail: Int32 = -1
        var count = 0
        var bytes = 0
    }

    private(set) var links: [Link] = []
    private var freeHead: Int32 = -1
    private var window = List()
    private var probation = List()
    private var protected = List()
    private var sketch: FrequencySketch

    private let maximumCount: Int
    private let maximumBytes: Int
    private let windowCount: Int
    private let windowBytes: Int
    private let protectedCount: Int
    private let protectedBytes: Int

    /// - Parameters:
    ///   - countLimit: The most entries; `.max` for none.
    ///   - byteBudget: The most bytes; `.max` for none.
    init(countLimit: Int, byteBudget: Int) {
        maximumCount = countLimit
        maximumBytes = byteBudget
        // Window 1%, protected 80% of the rest: Caffeine's initial split (it then adapts
        // the window with a hill climber, which we leave out). The window rounds up, so
        // that a small cache still has one window slot.
        func split(_ limit: Int) -> (window: Int, protected: Int) {
            guard limit != .max else { return (.max, .max) }
            let main = limit / 100 * 99 + limit % 100 * 99 / 100
            return (limit - main, main / 5 * 4 + main % 5 * 4 / 5)
        }
        (windowCount, protectedCount) = split(countLimit)
        (windowBytes, protectedBytes) = split(byteBudget)
        sketch = FrequencySketch(capacity: countLimit == .max ? 16 : countLimit)
    }

    var count: Int { window.count + probation.count + protected.count }
    var bytes: Int { window.bytes + probation.bytes + protected.bytes }
    private var isOverLimit: Bool { count > maximumCount || bytes > maximumBytes }

    /// The slot `links.count` (a new one) or a free one, now live at the young end of the
    /// window. The caller evicts afterwards.
    mutating func insert(size: Int, hash: Int, expiry: Int64, timeToLive: Int64) -> Int {
        let link = Link(size: size, hash: hash, expiry: expiry, timeToLive: timeToLive)
        let slot: Int
        if freeHead >= 0 {
            slot = Int(freeHead)
            freeHead = links[slot].next
            links[slot] = link
        } else {
            links.append(link)
            slot = links.count - 1
        }
        append(slot, to: .window)
        sketch.ensureCapacity(count)
        sketch.increment(hash)
        return slot
    }

    /// Unlinks and frees live slot `slot`.
    mutating func remove(_ slot: Int) {
        unlink(slot)
        release(slot)
    }

    /// Frees a slot that ``evict(into:)`` or ``shrink(toBytes:into:)`` already unlinked.
    mutating func release(_ slot: Int) {
        links[slot].next = freeHead
        freeHead = Int32(slot)
    }

    /// Gives live slot `slot` a new size and time; the caller evicts afterwards.
    mutating func update(_ slot: Int, size: Int, expiry: Int64, timeToLive: Int64) {
        let delta = size - links[slot].size
        switch links[slot].region {
        case .window: window.bytes += delta
        case .probation: probation.bytes += delta
        case .protected: protected.bytes += delta
        }
        links[slot].size = size
        links[slot].expiry = expiry
        links[slot].timeToLive = timeToLive
    }

    /// Restarts the time-to-live of live slot `slot` at `now`.
    mutating func refreshExpiry(_ slot: Int, now: Int64) {
        if links[slot].timeToLive != .max {
            links[slot].expiry = adding(now, links[slot].timeToLive)
        }
    }

    /// Records a use of live slot `slot`: frequency in the sketch, recency in its segment.
    mutating func recordAccess(_ slot: Int) {
        sketch.increment(links[slot].hash)
        let region = links[slot].region
        unlink(slot)
        switch region {
        case .window, .protected:
            append(slot, to: region)
        case .probation:
            append(slot, to: .protected)
            while protected.count > protectedCount || protected.bytes > protectedBytes,
                protected.head >= 0, protected.head != Int32(slot)
            {
                let demoted = Int(protected.head)
                unlink(demoted)
                append(demoted, to: .probation)
            }
        }
    }

    /// Moves window overflow to probation as candidates, then chooses (and unlinks, but
    /// does not free) slots until the totals are within the limits; appends them to
    /// `evicted` in eviction order. The caller frees them with ``release(_:)`` after
    /// taking their keys and values.
    ///
    /// - Note: Unlinked slots are taken out of the totals right away; they must be
    ///   freed before the next insert.
    mutating func evict(into evicted: inout [Int32]) {
        var candidates = 0
        while window.count > windowCount || window.bytes > windowBytes, window.head >= 0 {
            let slot = Int(window.head)
            unlink(slot)
            append(slot, to: .probation)
            candidates += 1
        }
        guard isOverLimit else { return }

        // Caffeine's evictFromMain: victims walk probation from the old end, candidates
        // from the young end; the less frequently used of each pair goes.
        var victimRegion = Region.probation
        var victim = probation.head
        var candidate = candidates > 0 ? probation.tail : -1
        func take(_ slot: Int) {
            unlink(slot)
            evicted.append(Int32(slot))
        }
        while isOverLimit {
            if victim < 0 && candidate < 0 {
                switch victimRegion {
                case .probation:
                    victimRegion = .protected
                    victim = protected.head
                case .protected:
                    victimRegion = .window
                    victim = window.head
                case .window:
                    return
                }
                continue
            }
            if victim < 0 || victim == candidate {
                let slot = Int(candidate)
                candidates -= 1
                if victim == candidate { victim = links[slot].next }
                candidate = candidates > 0 ? links[slot].previous : -1
                take(slot)
                continue
            }
            if candidate < 0 {
                let slot = Int(victim)
                victim = links[slot].next
                take(slot)
                continue
            }
            candidates -= 1
            let candidateFrequency = sketch.frequency(links[Int(candidate)].hash)
            let victimFrequency = sketch.frequency(links[Int(victim)].hash)
            if candidateFrequency > victimFrequency {
                let slot = Int(victim)
                victim = links[slot].next
                // When the victims have reached the candidates, the evicted victim may be
                // the next candidate: then no candidate is left.
                let previous = links[Int(candidate)].previous
                candidate = candidates > 0 && previous != Int32(slot) ? previous : -1
                take(slot)
            } else {
                let slot = Int(candidate)
                candidate = candidates > 0 ? links[slot].previous : -1
                take(slot)
            }
        }
    }

    /// Chooses (and unlinks) the coldest slots, probation, then window, then protected,
    /// each oldest first, until at most `bytes` remain; see ``evict(into:)``.
    mutating func shrink(toBytes bytes: Int, into evicted: inout [Int32]) {
        for region in [Region.probation, .window, .protected] {
            while self.bytes > bytes, let slot = head(of: region) {
                unlink(slot)
                evicted.append(Int32(slot))
            }
        }
    }

    /// Every live slot, window first, each segment oldest first.
    var liveSlots: [Int] {
        var slots: [Int] = []
        slots.reserveCapacity(count)
        for list in [window, probation, protected] {
            var slot = list.head
            while slot >= 0 {
                slots.append(Int(slot))
                slot = links[Int(slot)].next
            }
        }
        return slots
    }

    /// The broken invariants, for tests: an empty list when all hold. O(n).
    func invariantViolations() -> [String] {
        var problems: [String] = []
        var seen = Set<Int>()
        for (region, list) in [(Region.window, window), (.probation, probation), (.protected, protected)] {
            var slot = list.head
            var previous: Int32 = -1
            var count = 0
            var bytes = 0
            while slot >= 0 {
                let link = links[Int(slot)]
                if link.region != region { problems.append("slot \(slot) in \(region) list says \(link.region)") }
                if link.previous != previous { problems.append("slot \(slot) has previous \(link.previous), not \(previous)") }
                if !seen.insert(Int(slot)).inserted { problems.append("slot \(slot) is linked twice") }
                count += 1
                bytes += link.size
                previous = slot
                slot = link.next
                if count > links.count { return problems + ["\(region) list has a cycle"] }
            }
            if list.tail != previous { problems.append("\(region) tail \(list.tail), not \(previous)") }
            if list.count != count || list.bytes != bytes {
                problems.append("\(region) counts \(list.count)/\(list.bytes), not \(count)/\(bytes)")
            }
        }
        var free = freeHead
        var freeCount = 0
        while free >= 0 && freeCount <= links.count {
            if seen.contains(Int(free)) { problems.append("free slot \(free) is live") }
            freeCount += 1
            free = links[Int(free)].next
        }
        if seen.count + freeCount != links.count {
            problems.append("\(seen.count) live + \(freeCount) free != \(links.count) slots")
        }
        if isOverLimit { problems.append("over the limits: \(count) entries, \(bytes) bytes") }
        return problems
    }

    private func head(of region: Region) -> Int? {
        let head = switch region {
        case .window: window.head
        case .probation: probation.head
        case .protected: protected.head
        }
        return head >= 0 ? Int(head) : nil
    }

    private mutating func unlink(_ slot: Int) {
        let previous = links[slot].previous
        let next = links[slot].next
        let size = links[slot].size
        if previous >= 0 { links[Int(previous)].next = next }
        if next >= 0 { links[Int(next)].previous = previous }
        func update(_ list: inout List) {
            if previous < 0 { list.head = next }
            if next < 0 { list.tail = previous }
            list.count -= 1
            list.bytes -= size
        }
        switch links[slot].region {
        case .window: update(&window)
        case .probation: update(&probation)
        case .protected: update(&protected)
        }
        links[slot].previous = -1
        links[slot].next = -1
    }

    /// Appends slot `slot` at the young (most recently used) end of `region`.
    private mutating func append(_ slot: Int, to region: Region) {
        links[slot].region = region
        links[slot].next = -1
        let size = links[slot].size
        func update(_ list: inout List, links: inout [Link]) {
            links[slot].previous = list.tail
            if list.tail >= 0 { links[Int(list.tail)].next = Int32(slot) } else { list.head = Int32(slot) }
            list.tail = Int32(slot)
            list.count += 1
            list.bytes += size
        }
        switch region {
        case .window: update(&window, links: &links)
        case .probation: update(&probation, links: &links)
        case .protected: update(&protected, links: &links)
        }
    }
}

/// A duration in nanoseconds, saturating at the ends of `Int64`.
func nanoseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    if overflow { return seconds < 0 ? .min : .max }
    return adding(whole, attoseconds / 1_000_000_000)
}

/// `a + b`, saturating at the ends of `Int64`.
func adding(_ a: Int64, _ b: Int64) -> Int64 {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? (b > 0 ? .max : .min) : sum
}
