import Synchronization

/// A thread-safe in-memory cache with count and byte limits, time-to-live, dispose
/// callbacks, shared loads and statistics, which keeps frequently used entries better
/// than plain LRU (W-TinyLFU).
///
/// ```swift
/// var configuration = CacheConfiguration<String, [UInt8]>(countLimit: 1_000, byteBudget: 32 << 20)
/// configuration.size = { _, bytes in bytes.count }
/// let cache = Cache(configuration: configuration)
/// cache.set("a", [1, 2, 3])
/// let bytes = try await cache.fetch("b") { try await readWholeFile("b") }
/// print(cache.get("a") ?? [], bytes, cache.stats.hitRate)
/// ```
///
/// Every operation is O(1) (amortized, and with no allocation once the cache has held
/// its peak number of entries), except ``removeAll(where:)``, ``removeAll()``,
/// ``purgeExpired()`` and ``shrink(toBytes:)``, which are O(n) in the entries they look
/// at.
///
/// ## Eviction
/// When a limit is exceeded, the cache evicts by W-TinyLFU (Caffeine's policy): new
/// entries pass through a small LRU window; to enter the main space, an entry must have
/// been used more often recently (by a count-min frequency sketch) than the entry it
/// would displace. So a scan of many cold keys passes through without flushing the hot
/// ones, while recency still decides within each segment. One consequence: when the
/// cache is full of entries with a history, a brand-new entry can be the one evicted,
/// right after ``set(_:_:timeToLive:)`` stored it.
///
/// ## Time
/// Time comes only from the clock given to ``init(configuration:clock:)``. Expiry is
/// checked lazily, when an entry is looked up; ``purgeExpired()`` removes every expired
/// entry at once. An expired entry still counts against the limits until then, and is
/// evicted like any other.
///
/// ## Threading
/// Every method may be called from any thread or task, concurrently. State lives behind
/// one `Mutex`; the callbacks of ``CacheConfiguration`` (size, onDispose) and loads run
/// outside it, on the calling thread or task, so they may call back into the cache.
///
/// ## Known problems
/// - A load runs in the task of the ``fetch(_:load:)`` caller that started it. If that
///   task is cancelled and the load throws `CancellationError`, every waiter gets it too;
///   a waiter whose own task is cancelled keeps waiting until the load ends.
/// - One lock serializes all operations, reads included (a hit reorders lists). At
///   hundreds of nanoseconds per operation this matters only under heavy contention.
public final class Cache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    let state: Mutex<CacheState<Key, Value>>
    let configuration: CacheConfiguration<Key, Value>
    /// The clock's reading in nanoseconds since the cache was made.
    let now: @Sendable () -> Int64

    /// Creates an empty cache.
    ///
    /// - Parameters:
    ///   - configuration: The limits and callbacks.
    ///   - clock: The source of time for time-to-live; tests pass a manual clock.
    public init(
        configuration: CacheConfiguration<Key, Value>,
        clock: some Clock<Duration> = ContinuousClock()
    ) {
        self.configuration = configuration
        self.state = Mutex(CacheState(configuration: configuration))
        let start = clock.now
        self.now = { nanoseconds(start.duration(to: clock.now)) }
    }

    /// Creates an empty cache with just the common limits.
    ///
    /// - Parameters:
    ///   - countLimit: The most entries, or `nil` for no limit.
    ///   - byteBudget: The most bytes by `size`, or `nil` for no limit.
    ///   - timeToLive: How long entries live, or `nil` for ever.
    ///   - size: An entry's size in bytes.
    public convenience init(
        countLimit: Int? = nil,
        byteBudget: Int? = nil,
        timeToLive: Duration? = nil,
        size: @escaping @Sendable (Key, Value) -> Int = { _, _ in 1 }
    ) {
        var configuration = CacheConfiguration<Key, Value>(
            countLimit: countLimit, byteBudget: byteBudget, timeToLive: timeToLive)
        configuration.size = size
        self.init(configuration: configuration)
    }

    /// The live value for `key`, counting a hit or a miss.
    ///
    /// A hit records the use (for eviction) and, with ``CacheConfiguration/updateAgeOnGet``,
    /// restarts the entry's time-to-live. An expired entry is removed
    /// (``DisposeReason/expired``) and counts as a miss.
    ///
    /// - Returns: The value, or `nil`; for an expired entry with
    ///   ``CacheConfiguration/allowStale``, its stale value.
    public func get(_ key: Key) -> Value? {
        var disposals: [Disposal<Key, Value>] = []
        let value = state.withLock { state in state.get(key, now: now, disposals: &disposals) }
        if !disposals.isEmpty { dispose(disposals) }
        return value
    }

    /// The value for `key` without counting, recording a use or removing anything.
    ///
    /// - Returns: The live value, or `nil`; for an expired entry with
    ///   ``CacheConfiguration/allowStale``, its stale value.
    public func peek(_ key: Key) -> Value? {
        state.withLock { state in state.peek(key, now: now) }
    }

    /// Stores `value` under `key`, then evicts what the limits require.
    ///
    /// An old value for `key` is disposed of as ``DisposeReason/replaced``. A value larger
    /// than ``CacheConfiguration/largestEntrySize`` or ``CacheConfiguration/byteBudget``
    /// is not stored (and counted in ``CacheStats/rejections``, not disposed of); the old
    /// value is still removed as ``DisposeReason/replaced``, because it is no longer the
    /// current one. A load of `key` in progress is not stored when it ends.
    ///
    /// - Parameters:
    ///   - key: The key.
    ///   - value: The value.
    ///   - timeToLive: How long this entry lives, instead of the configured time; zero
    ///     or negative stores an entry that is already expired.
    public func set(_ key: Key, _ value: Value, timeToLive: Duration? = nil) {
        let size = configuration.size(key, value)
        let disposals = state.withLock { state in
            var disposals: [Disposal<Key, Value>] = []
            state.set(key, value, size: size, timeToLive: timeToLive, now: now, disposals: &disposals)
            return disposals
        }
        dispose(disposals)
    }

    /// Removes `key` (``DisposeReason/deleted``); a load of it in progress is not stored.
    ///
    /// - Returns: The removed value, or `nil` if there was none or it had expired
    ///   (then it is disposed of as ``DisposeReason/expired``).
    @discardableResult
    public func remove(_ key: Key) -> Value? {
        let (value, disposals) = state.withLock { state in
            var disposals: [Disposal<Key, Value>] = []
            let value = state.remove(key, now: now, disposals: &disposals)
            return (value, disposals)
        }
        dispose(disposals)
        return value
    }

    /// Removes every key for which `shouldRemove` is true (``DisposeReason/deleted``):
    /// the invalidation of a directory or a prefix. O(n).
    ///
    /// `shouldRemove` runs outside the lock, on a snapshot of the keys; a key set while it
    /// runs is not removed. Loads in progress of removed keys are not stored.
    ///
    /// - Returns: How many entries were removed.
    @discardableResult
    public func removeAll(where shouldRemove: (Key) throws -> Bool) rethrows -> Int {
        let keys = try state.withLock { state in state.allKeys }.filter(shouldRemove)
        guard !keys.isEmpty else { return 0 }
        let (removed, disposals) = state.withLock { state in
            var disposals: [Disposal<Key, Value>] = []
            let removed = state.remove(keys: keys, disposals: &disposals)
            return (removed, disposals)
        }
        dispose(disposals)
        return removed
    }

    /// Removes every entry (``DisposeReason/deleted``); loads in progress are not stored.
    public func removeAll() {
        let disposals = state.withLock { state in
            var disposals: [Disposal<Key, Value>] = []
            state.removeAll(disposals: &disposals)
            return disposals
        }
        dispose(disposals)
    }

    /// Removes every expired entry (``DisposeReason/expired``). O(n).
    ///
    /// - Returns: How many entries were removed.
    @discardableResult
    public func purgeExpired() -> Int {
        let (removed, disposals) = state.withLock { state in
            var disposals: [Disposal<Key, Value>] = []
            let removed = state.purgeExpired(now: now, disposals: &disposals)
            return (removed, disposals)
        }
        dispose(disposals)
        return removed
    }

    /// Evicts entries (``DisposeReason/evicted``) until the cache holds at most `bytes`
    /// bytes, coldest first: probation, then the window, then protected, each from its
    /// least recently used end. For a memory monitor; the limits stay as configured.
    public func shrink(toBytes bytes: Int) {
        let disposals = state.withLock { state in
            var disposals: [Disposal<Key, Value>] = []
            state.shrink(toBytes: bytes, disposals: &disposals)
            return disposals
        }
        dispose(disposals)
    }

    /// A snapshot of the counters and the current contents.
    public var stats: CacheStats {
        state.withLock { state in state.snapshot }
    }

    /// The broken invariants of the state, for tests: an empty list when all hold. O(n).
    func invariantViolations() -> [String] {
        state.withLock { state in state.invariantViolations() }
    }

    /// Carries out the disposals collected under the lock, now that it is released.
    func dispose(_ disposals: [Disposal<Key, Value>]) {
        guard let onDispose = configuration.onDispose else { return }
        for disposal in disposals { onDispose(disposal.key, disposal.value, disposal.reason) }
    }
}
