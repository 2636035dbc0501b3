/// The limits and behaviour of a ``Cache``: how much it holds, how long entries live, and
/// whom it tells when an entry goes.
///
/// Every limit is optional; a configuration with none of them makes an unbounded map
/// (with time-to-live, if set). Size limits are enforced on every ``Cache/set(_:_:timeToLive:)``,
/// time-to-live lazily on access and in ``Cache/purgeExpired()``.
///
/// ```swift
/// var configuration = CacheConfiguration<String, [UInt8]>(countLimit: 10_000, byteBudget: 64 << 20)
/// configuration.size = { _, bytes in bytes.count }
/// configuration.largestEntrySize = 4 << 20
/// configuration.timeToLive = .seconds(30)
/// ```
public struct CacheConfiguration<Key, Value>: Sendable {
    /// The most entries the cache holds, or `nil` for no count limit. `0` stores nothing
    /// (every entry is evicted as soon as it is set); negative values count as `0`.
    public var countLimit: Int?

    /// The most bytes (the sum of ``size`` over the entries) the cache holds, or `nil`
    /// for no byte limit. Negative values count as `0`.
    public var byteBudget: Int?

    /// The size of an entry in bytes, counted against ``byteBudget`` and
    /// ``largestEntrySize``; by default 1, so that bytes count entries.
    ///
    /// Called once per ``Cache/set(_:_:timeToLive:)`` and per load, outside the cache's
    /// lock; negative results count as 0.
    public var size: @Sendable (Key, Value) -> Int

    /// The largest entry that may be stored, in bytes, or `nil` for no limit beyond
    /// ``byteBudget``. A larger entry is not stored (see ``Cache/set(_:_:timeToLive:)``).
    public var largestEntrySize: Int?

    /// How long an entry lives after it is set, unless its own time-to-live says
    /// otherwise; `nil` means entries do not expire.
    public var timeToLive: Duration?

    /// Whether a ``Cache/get(_:)`` hit restarts the entry's time-to-live
    /// (`updateAgeOnGet` in other caches). ``Cache/peek(_:)`` never does.
    public var updateAgeOnGet: Bool

    /// Whether ``Cache/get(_:)`` and ``Cache/peek(_:)`` return an expired entry's value
    /// instead of `nil`. A `get` still removes the expired entry (reason ``DisposeReason/expired``)
    /// and counts a miss. ``Cache/fetch(_:load:)`` never returns stale values.
    public var allowStale: Bool

    /// Called once for every entry that leaves the cache, with the reason.
    ///
    /// ## Threading
    /// Called after the cache's lock is released, on the thread of the operation that
    /// removed the entry, in the order the entries left. It may call back into the cache.
    /// Keep it short: the operation that triggered it returns only after it.
    public var onDispose: (@Sendable (Key, Value, DisposeReason) -> Void)?

    /// Creates a configuration; set the other properties afterwards.
    ///
    /// - Parameters:
    ///   - countLimit: The most entries, or `nil` for no limit.
    ///   - byteBudget: The most bytes by ``size``, or `nil` for no limit.
    ///   - timeToLive: How long entries live, or `nil` for ever.
    public init(countLimit: Int? = nil, byteBudget: Int? = nil, timeToLive: Duration? = nil) {
        self.countLimit = countLimit
        self.byteBudget = byteBudget
        self.size = { _, _ in 1 }
        self.largestEntrySize = nil
        self.timeToLive = timeToLive
        self.updateAgeOnGet = false
        self.allowStale = false
        self.onDispose = nil
    }
}
