public import AIFSCore
public import Logging
import Synchronization

/// Watches this process's resident memory and, when it passes a threshold of its budget,
/// shrinks the registered caches, hands free heap memory back to the system and logs a
/// warning with the figures.
///
/// ```swift
/// let monitor = MemoryMonitor()
/// monitor.register(contentCache, name: "file contents")
/// monitor.start()          // samples every `interval` until stop()
/// print(monitor.stats.residentBytes)
/// ```
///
/// ## Threading
/// Every method may be called from any thread. The periodic sampling runs in a task;
/// one sample reads `/proc/self/statm`, which never waits on a disk.
public final class MemoryMonitor: Sendable {
    /// When the monitor acts and how hard.
    public struct Configuration: Sendable, Hashable {
        /// The memory the process may use, in bytes; `nil` means the limit it runs under
        /// (its cgroup's, or the machine's memory).
        public var budget: Int?
        /// The fraction of the budget above which the monitor acts (default 0.8).
        public var threshold: Double
        /// The fraction of their bytes the caches keep when the monitor acts (default 0.5).
        public var retainedFraction: Double
        /// How often ``start()`` samples (default 5 s).
        public var interval: Duration

        /// Creates a configuration.
        public init(
            budget: Int? = nil, threshold: Double = 0.8, retainedFraction: Double = 0.5,
            interval: Duration = .seconds(5)
        ) {
            self.budget = budget
            self.threshold = threshold
            self.retainedFraction = retainedFraction
            self.interval = interval
        }
    }

    /// The settings.
    public let configuration: Configuration
    /// The limit the process runs under, read when the monitor was made.
    public let limit: MemoryLimit
    private let logger: Logger
    private let readResident: @Sendable () throws(CoreError) -> Int
    private let state = Mutex(State())

    private struct State {
        var caches: [(name: String, cache: any ShrinkableCache)] = []
        var stats = MemoryMonitorStats()
        var task: Task<Void, Never>?
    }

    /// Creates a monitor; it does nothing until ``start()`` or ``sample()``.
    ///
    /// - Parameters:
    ///   - configuration: Budget, threshold, how much to keep, interval.
    ///   - logger: Where warnings go.
    ///   - limit: The limit to measure against; by default read from the cgroup or the
    ///     machine.
    ///   - readResident: The resident memory in bytes; tests pass a fake reading.
    public init(
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "aifs.memory"),
        limit: MemoryLimit = SystemMemory.limit(),
        readResident: @escaping @Sendable () throws(CoreError) -> Int = { () throws(CoreError) in
            try SystemMemory.residentBytes()
        }
    ) {
        self.configuration = configuration
        self.limit = limit
        self.logger = logger
        self.readResident = readResident
        state.withLock { state in
            state.stats.limitBytes = limit.bytes
            state.stats.limitSource = limit.source.rawValue
            state.stats.budgetBytes = configuration.budget ?? limit.bytes
            state.stats.threshold = configuration.threshold
        }
    }

    deinit {
        state.withLock { $0.task }?.cancel()
    }

    /// The budget in bytes: the configured one or the limit.
    public var budget: Int { configuration.budget ?? limit.bytes }

    /// Adds a cache to shrink under pressure.
    public func register(_ cache: any ShrinkableCache, name: String) {
        state.withLock { state in state.caches.append((name, cache)) }
    }

    /// Starts sampling every ``Configuration/interval``; does nothing if already started.
    public func start() {
        state.withLock { state in
            guard state.task == nil else { return }
            let interval = configuration.interval
            state.task = Task.detached(priority: .utility) { [weak self] in
                while !Task.isCancelled {
                    do { try await Task.sleep(for: interval) } catch { return }
                    guard let self else { return }
                    _ = self.sample()
                }
            }
        }
    }

    /// Stops the sampling.
    public func stop() {
        let task = state.withLock { state in
            defer { state.task = nil }
            return state.task
        }
        task?.cancel()
    }

    /// Takes one reading and, above the threshold, relieves the pressure.
    ///
    /// - Returns: What was seen and done.
    @discardableResult
    public func sample() -> MemorySample {
        let resident: Int
        do {
            resident = try readResident()
        } catch {
            state.withLock { $0.stats.readFailures += 1 }
            return MemorySample(residentBytes: nil, budgetBytes: budget, relieved: false, freedBytes: 0)
        }
        let budget = self.budget
        let thresholdBytes = Int(Double(budget) * configuration.threshold)
        let caches = state.withLock { state in
            state.stats.samples += 1
            state.stats.residentBytes = resident
            state.stats.peakResidentBytes = max(state.stats.peakResidentBytes, resident)
            return state.caches
        }
        guard resident > thresholdBytes else {
            return MemorySample(residentBytes: resident, budgetBytes: budget, relieved: false, freedBytes: 0)
        }
        // Shrink outside the lock: the caches take their own.
        var before = 0
        var after = 0
        for (_, cache) in caches {
            let bytes = cache.currentBytes
            before += bytes
            cache.shrink(toBytes: Int(Double(bytes) * configuration.retainedFraction))
            after += cache.currentBytes
        }
        let trimmed = SystemMemory.releaseFreeMemory()
        let freed = before - after
        state.withLock { state in
            state.stats.pressureEvents += 1
            state.stats.cacheBytesFreed += freed
        }
        let percent = Double(resident) / Double(max(1, budget)) * 100
        logger.warning(
            "memory pressure: resident \(Self.mebibytes(resident)) of a \(Self.mebibytes(budget)) budget (\(Int(percent.rounded()))%, threshold \(Int((configuration.threshold * 100).rounded()))%); caches shrunk from \(Self.mebibytes(before)) to \(Self.mebibytes(after)); malloc_trim \(trimmed ? "released memory" : "had nothing to release")",
            metadata: [
                "residentBytes": "\(resident)", "budgetBytes": "\(budget)", "limitSource": "\(limit.source.rawValue)",
                "cacheBytesBefore": "\(before)", "cacheBytesAfter": "\(after)",
            ])
        return MemorySample(residentBytes: resident, budgetBytes: budget, relieved: true, freedBytes: freed)
    }

    /// The figures so far, with the registered caches' sizes now.
    public var stats: MemoryMonitorStats {
        let (stats, caches) = state.withLock { state in (state.stats, state.caches) }
        var result = stats
        result.cacheBytes = Dictionary(caches.map { ($0.name, $0.cache.currentBytes) }, uniquingKeysWith: +)
        return result
    }

    /// `bytes` in MiB with one decimal below 100 MiB, for messages.
    public static func describe(_ bytes: Int) -> String { mebibytes(bytes) }

    static func mebibytes(_ bytes: Int) -> String {
        let value = Double(bytes) / 1_048_576
        return value >= 100 ? "\(Int(value.rounded())) MiB" : "\((value * 10).rounded() / 10) MiB"
    }
}

/// One reading of a ``MemoryMonitor``.
public struct MemorySample: Sendable, Hashable {
    /// The resident memory, or `nil` when it could not be read.
    public var residentBytes: Int?
    /// The budget it was measured against.
    public var budgetBytes: Int
    /// Whether the reading was above the threshold and the caches were shrunk.
    public var relieved: Bool
    /// The cache bytes freed by this sample.
    public var freedBytes: Int
}

/// The figures of a ``MemoryMonitor``.
public struct MemoryMonitorStats: Sendable, Hashable {
    /// The last resident memory read, in bytes (0 before the first sample).
    public var residentBytes = 0
    /// The largest resident memory read.
    public var peakResidentBytes = 0
    /// The limit the process runs under.
    public var limitBytes = 0
    /// Where the limit was read ("cgroup v2 memory.max", …).
    public var limitSource = ""
    /// The budget the threshold applies to.
    public var budgetBytes = 0
    /// The fraction of the budget that triggers relief.
    public var threshold = 0.0
    /// Samples taken.
    public var samples = 0
    /// Samples that could not read the resident memory.
    public var readFailures = 0
    /// Samples above the threshold.
    public var pressureEvents = 0
    /// Cache bytes freed by all relief so far.
    public var cacheBytesFreed = 0
    /// The registered caches' bytes now, by name.
    public var cacheBytes: [String: Int] = [:]

    /// Creates empty figures.
    public init() {}
}
