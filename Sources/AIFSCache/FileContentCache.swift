public import AIFSCore
import Synchronization

/// A file's contents as the ``FileContentCache`` holds them.
public struct CachedFile: Sendable {
    /// The canonical path the contents were read from.
    public let path: String
    /// The identity of the file the contents were read from; a hit requires the file's
    /// identity now to be equal.
    public let identity: FileIdentity
    /// The whole contents.
    public let bytes: [UInt8]

    /// Creates an entry.
    public init(path: String, identity: FileIdentity, bytes: [UInt8]) {
        self.path = path
        self.identity = identity
        self.bytes = bytes
    }
}

/// A cache of whole file contents that is never stale: every hit is checked against the
/// file's identity now (device, inode, size, modification and change times in ns),
/// contents that might have changed without changing the identity are never stored, and
/// watcher events drop entries as soon as their files change.
///
/// ```swift
/// let cache = FileContentCache()
/// let now = try FileIdentity(path: "/srv/project/README.md")
/// if let file = try cache.contents(ofFileAt: "/srv/project/README.md", identity: now) {
///     print(file.bytes.count)  // cached or just read; nil only for files too large to keep
/// }
/// ```
///
/// ## The racy-write rule
/// A write that keeps the size and lands within the file system's timestamp granularity
/// of the previous one leaves the identity unchanged (git's "racy clean" problem).
/// Contents read less than ``Configuration/timestampGranularity`` after the file's
/// modification or change time are therefore returned but not stored: a later write in
/// the same tick could not be told apart. Files on file systems with whole-second times
/// (their times have no nanoseconds) get a 2-second window.
///
/// ## Threading
/// Every method may be called from any thread. ``contents(ofFileAt:identity:)`` blocks
/// on file I/O on a miss: call it from a thread that may block.
///
/// ## Known problems
/// Times on a network file system come from the server's clock; a server clock that runs
/// far behind ours could make a racy entry look safe. Watch such trees with the polling
/// backend, whose events still invalidate.
public final class FileContentCache: Sendable {
    /// The limits of a ``FileContentCache``.
    public struct Configuration: Sendable, Hashable {
        /// The most files held.
        public var countLimit: Int
        /// The most bytes held.
        public var byteBudget: Int
        /// Files larger than this are never cached; readers stream them instead.
        public var largestFileSize: Int
        /// How long after a file's last modification its contents are not trusted, in
        /// nanoseconds: the kernel's coarse clock tick with a margin.
        public var timestampGranularity: Int64

        /// Creates a configuration: by default 4,096 files, 64 MiB, files up to 1 MiB,
        /// and a 25 ms racy window.
        public init(
            countLimit: Int = 4096, byteBudget: Int = 64 << 20, largestFileSize: Int = 1 << 20,
            timestampGranularity: Int64 = 25_000_000
        ) {
            self.countLimit = countLimit
            self.byteBudget = byteBudget
            self.largestFileSize = largestFileSize
            self.timestampGranularity = timestampGranularity
        }
    }

    /// The limits.
    public let configuration: Configuration
    let cache: Cache<String, CachedFile>
    private let wallClock: @Sendable () -> Int64
    private let counters = Counters()

    /// Creates an empty cache.
    ///
    /// - Parameters:
    ///   - configuration: The limits.
    ///   - wallClock: The time now in ns since the epoch, compared with file times for
    ///     the racy-write rule; tests pass their own.
    public init(
        configuration: Configuration = Configuration(),
        wallClock: @escaping @Sendable () -> Int64 = { FileIdentity.currentTime() }
    ) {
        self.configuration = configuration
        var cacheConfiguration = CacheConfiguration<String, CachedFile>(
            countLimit: configuration.countLimit, byteBudget: configuration.byteBudget)
        cacheConfiguration.size = { key, file in file.bytes.count + key.utf8.count }
        cacheConfiguration.largestEntrySize = configuration.largestFileSize + 4096
        self.cache = Cache(configuration: cacheConfiguration)
        self.wallClock = wallClock
    }

    /// The contents of the regular file at `path`: the cached ones when the file's
    /// identity is still `identity`, or else read now (and stored when that is safe).
    ///
    /// - Parameters:
    ///   - path: The canonical path of a regular file (the key; callers resolve links).
    ///   - identity: The file's identity, just read by the caller (one `stat`).
    /// - Returns: The contents, or `nil` when the file is larger than
    ///   ``Configuration/largestFileSize``: stream it instead.
    /// - Throws: ``CoreError`` when the file cannot be opened or read.
    public func contents(ofFileAt path: String, identity: FileIdentity) throws(CoreError) -> CachedFile? {
        guard identity.size <= Int64(configuration.largestFileSize) else {
            counters.bypasses.add(1, ordering: .relaxed)
            return nil
        }
        if let cached = cache.get(path) {
            if cached.identity == identity {
                counters.hits.add(1, ordering: .relaxed)
                return cached
            }
            // Changed since it was cached: drop it now rather than when it is evicted.
            cache.remove(path)
            counters.staleEntries.add(1, ordering: .relaxed)
        }
        counters.misses.add(1, ordering: .relaxed)
        return try load(path)
    }

    /// Reads the file and stores it unless it changed while being read or may still
    /// change unseen.
    private func load(_ path: String) throws(CoreError) -> CachedFile? {
        let startedAt = wallClock()
        let file = try ReadableFile(path: path)
        let before = try file.identity()
        guard before.kind == .regular else {
            throw CoreError(.invalidArgument, "cannot cache '\(path)': it is not a regular file", path: path)
        }
        guard before.size <= Int64(configuration.largestFileSize) else {
            counters.bypasses.add(1, ordering: .relaxed)
            return nil
        }
        // One byte more than the size: a file that grew is seen to have grown.
        var bytes = [UInt8](repeating: 0, count: Int(before.size) + 1)
        var filled = 0
        while filled < bytes.count {
            let count = try bytes.withUnsafeMutableBytes { raw in
                Result { () throws(CoreError) -> Int in
                    try file.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]), atOffset: Int64(filled))
                }
            }.get()
            if count == 0 { break }
            filled += count
        }
        bytes.removeLast(bytes.count - filled)
        let after = try file.identity()
        let entry = CachedFile(path: path, identity: after, bytes: bytes)
        guard after == before, Int64(filled) == after.size else {
            counters.racySkips.add(1, ordering: .relaxed)
            return entry
        }
        guard isSettled(after, at: startedAt) else {
            counters.racySkips.add(1, ordering: .relaxed)
            return entry
        }
        cache.set(path, entry)
        return entry
    }

    /// Whether contents read at `readTime` cannot hide a later same-size write: the
    /// file's last modification and change are older than the timestamp granularity.
    func isSettled(_ identity: FileIdentity, at readTime: Int64) -> Bool {
        identity.isSettled(at: readTime, granularity: configuration.timestampGranularity)
    }

    /// The cached contents of `path` without checking the file or counting a lookup,
    /// for tests and diagnostics.
    public func peek(_ path: String) -> CachedFile? {
        cache.peek(path)
    }

    /// Drops the entry of `path`, if any.
    public func invalidate(path: String) {
        if cache.remove(path) != nil { counters.invalidations.add(1, ordering: .relaxed) }
    }

    /// Drops the entries of `directory` and everything under it.
    public func invalidate(directory: String) {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        let removed = cache.removeAll { key in key == directory || key.hasPrefix(prefix) }
        counters.invalidations.add(removed, ordering: .relaxed)
    }

    /// Drops every entry.
    public func invalidateAll() {
        let count = cache.stats.count
        cache.removeAll()
        counters.invalidations.add(count, ordering: .relaxed)
    }

    /// The counters and the contents now.
    public var stats: FileContentCacheStats {
        FileContentCacheStats(
            hits: counters.hits.load(ordering: .relaxed),
            misses: counters.misses.load(ordering: .relaxed),
            staleEntries: counters.staleEntries.load(ordering: .relaxed),
            racySkips: counters.racySkips.load(ordering: .relaxed),
            bypasses: counters.bypasses.load(ordering: .relaxed),
            invalidations: counters.invalidations.load(ordering: .relaxed),
            cache: cache.stats)
    }

    private final class Counters: Sendable {
        let hits = Atomic<Int>(0)
        let misses = Atomic<Int>(0)
        let staleEntries = Atomic<Int>(0)
        let racySkips = Atomic<Int>(0)
        let bypasses = Atomic<Int>(0)
        let invalidations = Atomic<Int>(0)
    }
}

extension FileContentCache: ShrinkableCache {
    public var currentBytes: Int { cache.stats.bytes }

    public func shrink(toBytes bytes: Int) {
        cache.shrink(toBytes: bytes)
    }
}

/// A snapshot of a ``FileContentCache``'s counters.
public struct FileContentCacheStats: Sendable, Hashable {
    /// Lookups answered from memory after the identity check.
    public var hits: Int
    /// Lookups that read the file.
    public var misses: Int
    /// Entries found changed (identity differs) at lookup and dropped; each is also a miss.
    public var staleEntries: Int
    /// Reads not stored: the file changed while being read, or too recently to trust.
    public var racySkips: Int
    /// Lookups of files larger than the largest cached size.
    public var bypasses: Int
    /// Entries dropped by ``FileContentCache/invalidate(path:)`` and its siblings
    /// (watcher events).
    public var invalidations: Int
    /// The underlying cache's counters (evictions, bytes, entries).
    public var cache: CacheStats
}
