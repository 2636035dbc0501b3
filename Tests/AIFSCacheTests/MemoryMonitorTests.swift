import AIFSCache
import AIFSCore
import Logging
import Synchronization
import Testing

/// The memory monitor with fake readings: acts above the threshold, shrinks the caches,
/// logs the figures.
@Suite struct MemoryMonitorTests {
    /// Records every log message.
    struct RecordingHandler: LogHandler {
        let recorder: Recorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recorder.records.withLock { $0.append((event.level, event.message.description)) }
        }
    }

    final class Recorder: Sendable {
        let records = Mutex<[(Logger.Level, String)]>([])
        var logger: Logger {
            Logger(label: "test") { _ in RecordingHandler(recorder: self) }
        }
        var messages: [String] { records.withLock { $0.map(\.1) } }
    }

    final class FakeResident: Sendable {
        let bytes = Atomic<Int>(0)
    }

    func filledCache(bytes: Int) -> Cache<Int, Int> {
        let cache = Cache<Int, Int>(countLimit: nil, byteBudget: nil, size: { _, size in size })
        for key in 0..<10 { cache.set(key, bytes / 10) }
        return cache
    }

    @Test func belowTheThresholdNothingHappens() {
        let recorder = Recorder()
        let resident = FakeResident()
        resident.bytes.store(700, ordering: .relaxed)
        let monitor = MemoryMonitor(
            configuration: .init(budget: 1_000, threshold: 0.8), logger: recorder.logger,
            limit: MemoryLimit(bytes: 4_000, source: .machine),
            readResident: { resident.bytes.load(ordering: .relaxed) })
        let cache = filledCache(bytes: 1_000)
        monitor.register(cache, name: "test")
        let sample = monitor.sample()
        #expect(sample.relieved == false)
        #expect(cache.currentBytes == 1_000)
        #expect(recorder.messages.isEmpty)
        #expect(monitor.stats.samples == 1)
        #expect(monitor.stats.residentBytes == 700)
        #expect(monitor.stats.cacheBytes == ["test": 1_000])
    }

    @Test func aboveTheThresholdTheCachesShrinkAndAWarningNamesTheFigures() {
        let recorder = Recorder()
        let resident = FakeResident()
        resident.bytes.store(850 << 20, ordering: .relaxed)
        let monitor = MemoryMonitor(
            configuration: .init(budget: 1_000 << 20, threshold: 0.8, retainedFraction: 0.5),
            logger: recorder.logger, limit: MemoryLimit(bytes: 4_000 << 20, source: .cgroupV2),
            readResident: { resident.bytes.load(ordering: .relaxed) })
        let first = filledCache(bytes: 1_000)
        let second = filledCache(bytes: 2_000)
        monitor.register(first, name: "first")
        monitor.register(second, name: "second")
        let sample = monitor.sample()
        #expect(sample.relieved)
        #expect(first.currentBytes <= 500)
        #expect(second.currentBytes <= 1_000)
        #expect(sample.freedBytes >= 1_500)
        #expect(monitor.stats.pressureEvents == 1)
        #expect(monitor.stats.peakResidentBytes == 850 << 20)
        let messages = recorder.messages
        #expect(messages.count == 1)
        #expect(messages.first?.contains("resident 850 MiB of a 1000 MiB budget (85%, threshold 80%)") == true)

        resident.bytes.store(100 << 20, ordering: .relaxed)
        #expect(monitor.sample().relieved == false)
        #expect(monitor.stats.peakResidentBytes == 850 << 20)
        #expect(monitor.stats.residentBytes == 100 << 20)
    }

    @Test func theBudgetDefaultsToTheLimit() {
        let monitor = MemoryMonitor(limit: MemoryLimit(bytes: 123_456, source: .cgroupV1), readResident: { 1 })
        #expect(monitor.budget == 123_456)
        #expect(monitor.stats.limitSource == "cgroup v1 memory.limit_in_bytes")
    }

    @Test func aFailedReadingIsCountedNotFatal() {
        let monitor = MemoryMonitor(
            limit: MemoryLimit(bytes: 1_000, source: .machine),
            readResident: { () throws(CoreError) -> Int in throw CoreError(.io, "no /proc") })
        #expect(monitor.sample().residentBytes == nil)
        #expect(monitor.stats.readFailures == 1)
    }

    @Test func theRealReadingsAreSane() throws {
        let resident = try SystemMemory.residentBytes()
        #expect(resident > 1 << 20)
        let limit = SystemMemory.limit()
        #expect(limit.bytes > resident)
    }
}

