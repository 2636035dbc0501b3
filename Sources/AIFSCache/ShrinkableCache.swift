/// A cache a ``MemoryMonitor`` can shrink when memory runs short.
public protocol ShrinkableCache: AnyObject, Sendable {
    /// The bytes it holds now, by its own size measure.
    var currentBytes: Int { get }

    /// Evicts entries, coldest first, until it holds at most `bytes`.
    func shrink(toBytes bytes: Int)
}

extension Cache: ShrinkableCache {
    /// The bytes it holds now (``CacheStats/bytes``).
    public var currentBytes: Int { stats.bytes }
}
