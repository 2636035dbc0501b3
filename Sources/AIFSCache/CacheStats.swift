/// Why an entry left a ``Cache``, as told to ``CacheConfiguration/onDispose``.
public enum DisposeReason: Hashable, Sendable, CustomStringConvertible {
    /// The cache needed room: a count or byte limit, or ``Cache/shrink(toBytes:)``.
    case evicted
    /// Its time-to-live ran out.
    case expired
    /// ``Cache/remove(_:)``, ``Cache/removeAll(where:)`` or ``Cache/removeAll()``.
    case deleted
    /// ``Cache/set(_:_:timeToLive:)`` stored a new value for its key, or tried to store
    /// one too large to keep.
    case replaced

    public var description: String {
        switch self {
        case .evicted: "evicted"
        case .expired: "expired"
        case .deleted: "deleted"
        case .replaced: "replaced"
        }
    }
}

/// A snapshot of a ``Cache``'s counters, taken under its lock.
///
/// Counters only grow (they start at zero when the cache is made); ``count`` and ``bytes``
/// describe the contents at the moment of the snapshot.
public struct CacheStats: Hashable, Sendable, CustomStringConvertible {
    /// Lookups by ``Cache/get(_:)`` and ``Cache/fetch(_:load:)`` that found a live entry.
    public var hits = 0
    /// Lookups by ``Cache/get(_:)`` and ``Cache/fetch(_:load:)`` that found nothing live
    /// (absent, or expired).
    public var misses = 0
    /// Loads run by ``Cache/fetch(_:load:)`` that returned a value.
    public var loads = 0
    /// Loads run by ``Cache/fetch(_:load:)`` that threw.
    public var loadFailures = 0
    /// Entries removed for room (``DisposeReason/evicted``).
    public var evictions = 0
    /// Entries removed because their time ran out (``DisposeReason/expired``).
    public var expirations = 0
    /// Entries removed on request (``DisposeReason/deleted``).
    public var deletions = 0
    /// Entries whose value was replaced (``DisposeReason/replaced``).
    public var replacements = 0
    /// Values not stored because they were larger than the largest entry size or the budget.
    public var rejections = 0
    /// Entries now in the cache.
    public var count = 0
    /// Bytes now in the cache, by ``CacheConfiguration/size``.
    public var bytes = 0

    /// Creates empty statistics.
    public init() {}

    /// The number of entries that left for `reason`.
    public func removals(_ reason: DisposeReason) -> Int {
        switch reason {
        case .evicted: evictions
        case .expired: expirations
        case .deleted: deletions
        case .replaced: replacements
        }
    }

    /// `hits / (hits + misses)`, or 0 before the first lookup.
    public var hitRate: Double {
        hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses)
    }

    public var description: String {
        "hits \(hits), misses \(misses), loads \(loads), load failures \(loadFailures), "
            + "evictions \(evictions), expirations \(expirations), deletions \(deletions), "
            + "replacements \(replacements), rejections \(rejections), count \(count), bytes \(bytes)"
    }
}
