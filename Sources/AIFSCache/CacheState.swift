/// An entry that left the cache, to be handed to `onDispose` after the lock is released.
struct Disposal<Key, Value> {
    var key: Key
    var value: Value
    var reason: DisposeReason
}

/// The whole state of a ``Cache``: entries, eviction policy, pending loads and counters.
///
/// A pure state machine (STYLE rule 22): every method runs under the cache's lock, reads
/// time only through its `now` argument, and never calls user code. What must happen
/// outside the lock (dispose callbacks, resuming waiters) is returned as data.
///
/// The eviction policy (``EvictionPolicy``, W-TinyLFU) owns the slots' order, sizes and
/// times; this type adds the keys and values in parallel arrays indexed by slot, the
/// index from key to slot, the pending loads and the counters.
///
/// ## Invariants
/// - `index[key] == slot` iff `keys[slot] == key`; free slots have `keys[slot] == nil`
///   and `values[slot] == nil` (so a cache never keeps an evicted value alive).
/// - `keys.count == values.count == policy.links.count`.
/// - After each mutating method returns, the cache is within its limits.
struct CacheState<Key: Hashable & Sendable, Value: Sendable> {
    /// A fetch in progress: the waiters of one load of one key.
    struct PendingLoad {
        var id: Int
        var waiters: [CheckedContinuation<Value?, any Error>] = []
        /// Set when the key was set or removed during the load: its result is returned
        /// to the waiters but not stored, since it may predate the change.
        var invalidated = false
    }

    /// What ``startFetch(_:now:disposals:)`` decided.
    enum FetchStep {
        case hit(Value)
        case load(id: Int)
        case wait
    }

    /// What ``enqueue(_:for:now:)`` did with a waiter.
    enum EnqueueStep {
        case queued
        case hit(Value)
        /// The load finished between the caller's two lock acquisitions without leaving a
        /// value; start over.
        case retry
    }

    private var policy: EvictionPolicy
    private var keys: [Key?] = []
    private var values: [Value?] = []
    private var index: [Key: Int32] = [:]
    /// Reused for the slots one eviction chooses, so that evicting allocates nothing.
    private var evicted: [Int32] = []
    private var loadsInFlight: [Key: PendingLoad] = [:]
    private var nextLoadID = 0
    private var stats = CacheStats()

    private let largestEntrySize: Int
    private let defaultTimeToLive: Int64
    private let updateAgeOnGet: Bool
    private let allowStale: Bool
    private let collectsDisposals: Bool

    init(configuration: CacheConfiguration<Key, Value>) {
        let countLimit = configuration.countLimit.map { max(0, $0) } ?? .max
        let byteBudget = configuration.byteBudget.map { max(0, $0) } ?? .max
        policy = EvictionPolicy(countLimit: countLimit, byteBudget: byteBudget)
        largestEntrySize = min(configuration.largestEntrySize ?? .max, byteBudget)
        defaultTimeToLive = configuration.timeToLive.map(nanoseconds) ?? .max
        updateAgeOnGet = configuration.updateAgeOnGet
        allowStale = configuration.allowStale
        collectsDisposals = configuration.onDispose != nil
    }

    /// The counters, with the current contents.
    var snapshot: CacheStats {
        var stats = stats
        stats.count = policy.count
        stats.bytes = policy.bytes
        return stats
    }

    /// Every key, in no particular order.
    var allKeys: [Key] { Array(index.keys) }

    private func isExpired(_ slot: Int, now: () -> Int64) -> Bool {
        let expiry = policy.links[slot].expiry
        return expiry != .max && now() >= expiry
    }

    // MARK: Lookups

    /// A lookup that counts a hit or a miss and, on a hit, records the use.
    mutating func get(_ key: Key, now: () -> Int64, disposals: inout [Disposal<Key, Value>]) -> Value? {
        guard let found = index[key] else {
            stats.misses += 1
            return nil
        }
        let slot = Int(found)
        let expiry = policy.links[slot].expiry
        if expiry != .max {
            let time = now()
            if time >= expiry {
                stats.misses += 1
                let value = values[slot]
                remove(at: slot, reason: .expired, disposals: &disposals)
                return allowStale ? value : nil
            }
            if updateAgeOnGet { policy.refreshExpiry(slot, now: time) }
        }
        stats.hits += 1
        policy.recordAccess(slot)
        return values[slot]
    }

    /// A lookup that changes nothing: no counters, no recency, no removal of expired entries.
    func peek(_ key: Key, now: () -> Int64) -> Value? {
        guard let found = index[key] else { return nil }
        let slot = Int(found)
        if !allowStale && isExpired(slot, now: now) { return nil }
        return values[slot]
    }

    // MARK: Changes

    /// Stores `value` under `key`; see ``Cache/set(_:_:timeToLive:)`` for the rules.
    mutating func set(
        _ key: Key, _ value: Value, size: Int, timeToLive: Duration?, now: () -> Int64,
        disposals: inout [Disposal<Key, Value>]
    ) {
        loadsInFlight[key]?.invalidated = true
        store(key, value, size: size, timeToLive: timeToLive, now: now, disposals: &disposals)
    }

    private mutating func store(
        _ key: Key, _ value: Value, size: Int, timeToLive: Duration?, now: () -> Int64,
        disposals: inout [Disposal<Key, Value>]
    ) {
        let size = max(0, size)
        let existing = index[key].map(Int.init)
        guard size <= largestEntrySize else {
            stats.rejections += 1
            if let existing { remove(at: existing, reason: .replaced, disposals: &disposals) }
            return
        }
        let ttl = timeToLive.map(nanoseconds) ?? defaultTimeToLive
        let expiry = ttl == .max ? Int64.max : adding(now(), ttl)
        if let slot = existing {
            let old = values[slot]!
            values[slot] = value
            policy.update(slot, size: size, expiry: expiry, timeToLive: ttl)
            stats.replacements += 1
            if collectsDisposals { disposals.append(Disposal(key: key, value: old, reason: .replaced)) }
            policy.recordAccess(slot)
        } else {
            let slot = policy.insert(size: size, hash: key.hashValue, expiry: expiry, timeToLive: ttl)
            if slot == keys.count {
                keys.append(key)
                values.append(value)
            } else {
                keys[slot] = key
                values[slot] = value
            }
            index[key] = Int32(slot)
        }
        policy.evict(into: &evicted)
        releaseEvicted(disposals: &disposals)
    }

    /// Removes `key`. An expired entry is removed as ``DisposeReason/expired`` and gives `nil`.
    mutating func remove(_ key: Key, now: () -> Int64, disposals: inout [Disposal<Key, Value>]) -> Value? {
        loadsInFlight[key]?.invalidated = true
        guard let found = index[key] else { return nil }
        let slot = Int(found)
        if isExpired(slot, now: now) {
            remove(at: slot, reason: .expired, disposals: &disposals)
            return nil
        }
        let value = values[slot]
        remove(at: slot, reason: .deleted, disposals: &disposals)
        return value
    }

    /// Removes those of `keys` still present, as ``DisposeReason/deleted``.
    mutating func remove(keys: [Key], disposals: inout [Disposal<Key, Value>]) -> Int {
        var removed = 0
        for key in keys {
            loadsInFlight[key]?.invalidated = true
            if let slot = index[key] {
                remove(at: Int(slot), reason: .deleted, disposals: &disposals)
                removed += 1
            }
        }
        return removed
    }

    /// Removes every entry as ``DisposeReason/deleted`` and invalidates every load.
    mutating func removeAll(disposals: inout [Disposal<Key, Value>]) {
        for key in loadsInFlight.keys { loadsInFlight[key]?.invalidated = true }
        for slot in policy.liveSlots { remove(at: slot, reason: .deleted, disposals: &disposals) }
    }

    /// Removes every expired entry; returns how many. O(n).
    mutating func purgeExpired(now: () -> Int64, disposals: inout [Disposal<Key, Value>]) -> Int {
        let time = now()
        var removed = 0
        for slot in policy.liveSlots where time >= policy.links[slot].expiry {
            remove(at: slot, reason: .expired, disposals: &disposals)
            removed += 1
        }
        return removed
    }

    /// Evicts the coldest entries until the cache holds at most `bytes` bytes.
    mutating func shrink(toBytes bytes: Int, disposals: inout [Disposal<Key, Value>]) {
        policy.shrink(toBytes: bytes, into: &evicted)
        releaseEvicted(disposals: &disposals)
    }

    // MARK: Shared loads

    /// The first half of a fetch: a hit, or permission to load, or an order to wait.
    mutating func startFetch(_ key: Key, now: () -> Int64, disposals: inout [Disposal<Key, Value>]) -> FetchStep {
        if let found = index[key] {
            let slot = Int(found)
            if !isExpired(slot, now: now) {
                if let value = get(key, now: now, disposals: &disposals) { return .hit(value) }
            } else {
                remove(at: slot, reason: .expired, disposals: &disposals)
            }
        }
        stats.misses += 1
        if loadsInFlight[key] != nil { return .wait }
        nextLoadID += 1
        loadsInFlight[key] = PendingLoad(id: nextLoadID)
        return .load(id: nextLoadID)
    }

    /// Adds a waiter to the load of `key`, or answers at once if there is none any more.
    mutating func enqueue(
        _ waiter: CheckedContinuation<Value?, any Error>, for key: Key, now: () -> Int64
    ) -> EnqueueStep {
        if loadsInFlight[key] != nil {
            loadsInFlight[key]!.waiters.append(waiter)
            return .queued
        }
        if let found = index[key], !isExpired(Int(found), now: now) {
            return .hit(values[Int(found)]!)
        }
        return .retry
    }

    /// Ends load `id` of `key`: stores a successful value unless the key changed during
    /// the load, and returns the waiters to resume.
    mutating func finishLoad(
        _ key: Key, id: Int, value: Value?, size: Int, now: () -> Int64,
        disposals: inout [Disposal<Key, Value>]
    ) -> [CheckedContinuation<Value?, any Error>] {
        guard let load = loadsInFlight[key], load.id == id else { return [] }
        loadsInFlight[key] = nil
        if let value {
            stats.loads += 1
            if !load.invalidated {
                store(key, value, size: size, timeToLive: nil, now: now, disposals: &disposals)
            }
        } else {
            stats.loadFailures += 1
        }
        return load.waiters
    }

    /// The broken invariants, for tests: an empty list when all hold. O(n).
    func invariantViolations() -> [String] {
        var problems = policy.invariantViolations()
        if keys.count != policy.links.count || values.count != keys.count {
            problems.append("\(keys.count) keys, \(values.count) values, \(policy.links.count) links")
        }
        let live = Set(policy.liveSlots)
        if index.count != live.count { problems.append("\(index.count) keys indexed, \(live.count) live") }
        for (key, slot) in index where keys[Int(slot)] != key || values[Int(slot)] == nil || !live.contains(Int(slot)) {
            problems.append("index entry for slot \(slot) does not match")
        }
        for slot in keys.indices where !live.contains(slot) && (keys[slot] != nil || values[slot] != nil) {
            problems.append("free slot \(slot) keeps its key or value")
        }
        return problems
    }

    // MARK: Storage

    /// Removes live slot `slot`, counting and (if wanted) reporting its departure.
    private mutating func remove(at slot: Int, reason: DisposeReason, disposals: inout [Disposal<Key, Value>]) {
        policy.remove(slot)
        forget(slot, reason: reason, disposals: &disposals)
    }

    /// Frees the slots the policy chose to evict.
    private mutating func releaseEvicted(disposals: inout [Disposal<Key, Value>]) {
        guard !evicted.isEmpty else { return }
        for slot in evicted {
            policy.release(Int(slot))
            forget(Int(slot), reason: .evicted, disposals: &disposals)
        }
        evicted.removeAll(keepingCapacity: true)
    }

    private mutating func forget(_ slot: Int, reason: DisposeReason, disposals: inout [Disposal<Key, Value>]) {
        let key = keys[slot]!
        let value = values[slot]!
        keys[slot] = nil
        values[slot] = nil
        index[key] = nil
        switch reason {
        case .evicted: stats.evictions += 1
        case .expired: stats.expirations += 1
        case .deleted: stats.deletions += 1
        case .replaced: stats.replacements += 1
        }
        if collectsDisposals { disposals.append(Disposal(key: key, value: value, reason: reason)) }
    }
}
