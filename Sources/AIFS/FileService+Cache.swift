public import AIFSCache
public import AIFSCore
public import AIFSWatch
public import Logging
import Synchronization

/// The figures of a ``FileService``: its content cache and memory monitor.
public struct FileServiceStats: Sendable, Hashable {
    /// The content cache's counters, or `nil` when the service has none.
    public var contentCache: FileContentCacheStats?
    /// The memory monitor's figures, or `nil` when the service has none.
    public var memory: MemoryMonitorStats?
}

extension FileService {
    /// A service for a long-running face (the MCP server): small files read through a
    /// content cache that checks each hit against the file's identity, and a memory
    /// monitor that shrinks the cache when the process nears its memory budget. Start
    /// the monitor with ``startMemoryMonitor()`` when serving begins.
    ///
    /// - Parameters:
    ///   - roots: The directories paths must stay inside.
    ///   - cacheBytes: The cache's byte budget.
    ///   - logger: Where the monitor reports pressure.
    public static func withContentCache(roots: Roots, cacheBytes: Int, logger: Logger) -> FileService {
        FileService(
            roots: roots, contentCache: FileContentCache(configuration: FileContentCache.Configuration(byteBudget: cacheBytes)),
            memoryMonitor: MemoryMonitor(logger: logger))
    }

    /// Takes a first memory sample and starts the monitor's periodic sampling (nothing
    /// without a monitor).
    public func startMemoryMonitor() {
        guard let memoryMonitor else { return }
        _ = memoryMonitor.sample()
        memoryMonitor.start()
    }

    /// Stops the monitor's sampling.
    public func stopMemoryMonitor() { memoryMonitor?.stop() }

    /// Drops the cached contents a watcher event makes stale: the file of a `change`,
    /// `add` or `unlink`, both paths of a `rename` (with everything under them, for a
    /// directory), everything under an `unlinkDir` or `addDir`, and the whole cache on a
    /// `rescan`, when the kernel lost events.
    ///
    /// The identity check on every hit already keeps reads correct; this frees the
    /// memory at once and closes the racy window for watched trees.
    public func invalidateCache(for event: WatchEvent) {
        guard let contentCache else { return }
        switch event.kind {
        case .add, .change, .unlink:
            contentCache.invalidate(path: event.path)
        case .addDir, .unlinkDir:
            contentCache.invalidate(directory: event.path)
        case .rename(let from):
            contentCache.invalidate(directory: from)
            contentCache.invalidate(directory: event.path)
        case .rescan:
            contentCache.invalidateAll()
        case .ready, .error:
            break
        }
    }

    /// Reads several files on up to `concurrency` threads at once.
    ///
    /// - Parameters:
    ///   - paths: The files, with roots resolved inside them.
    ///   - range: The part of each file.
    ///   - maxBytes: The most bytes returned per file.
    ///   - concurrency: How many reads run at once (at least 1); by default the number
    ///     of processors.
    /// - Returns: One result per path, in the order of `paths`: the content, or the
    ///   error for that file alone.
    ///
    /// ## Threading
    /// Blocks the calling thread until every read is done.
    public func readFiles(
        _ paths: [String], range: ReadRange = .whole, maxBytes: Int = FileService.defaultReadLimit,
        concurrency: Int = DedicatedThreads.processorCount
    ) -> [Result<FileContent, CoreError>] {
        guard paths.count > 1 else {
            return paths.map { path in Result { () throws(CoreError) in try readFile(path: path, range: range, maxBytes: maxBytes) } }
        }
        let results = Mutex([Result<FileContent, CoreError>?](repeating: nil, count: paths.count))
        let next = Atomic<Int>(0)
        let service = self
        DedicatedThreads.run(count: min(max(1, concurrency), paths.count), name: "aifs-read") { _ in
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < paths.count else { return }
                let result = Result { () throws(CoreError) in
                    try service.readFile(path: paths[index], range: range, maxBytes: maxBytes)
                }
                results.withLock { $0[index] = result }
            }
        }
        return results.withLock { $0.map { $0! } }
    }

    /// The content cache's and memory monitor's figures now.
    public func stats() -> FileServiceStats {
        FileServiceStats(contentCache: contentCache?.stats, memory: memoryMonitor?.stats)
    }
}
