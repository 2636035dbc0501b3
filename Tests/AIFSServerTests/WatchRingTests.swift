@testable import AIFSServer
import AIFSTestSupport
import AIFSWatch
import Testing

/// The ring a watcher's events wait in for `get_watch_events`: filling it past its
/// capacity drops the oldest events, and counts them.
struct WatchRingTests {
    func entry(_ directory: TemporaryDirectory) throws -> WatchRegistry.Entry {
        let watcher = try Watcher(paths: [directory.path])
        return WatchRegistry.Entry(id: "w1", watcher: watcher, paths: [directory.path], startedAt: 0)
    }

    func event(_ number: Int) -> WatchEvent {
        WatchEvent(.change, path: "/tmp/f\(number)", timestamp: Int64(number))
    }

    @Test func pagesInOrderBeforeTheRingIsFull() throws {
        let directory = try TemporaryDirectory()
        var entry = try entry(directory)
        defer { entry.watcher.stop() }
        for number in 0..<10 { entry.append(event(number)) }
        #expect(entry.firstSequence == 0)
        #expect(entry.events(from: 0, limit: 3).map(\.sequence) == [0, 1, 2])
        #expect(entry.events(from: 8, limit: 5).map(\.sequence) == [8, 9])
        #expect(entry.events(from: 10, limit: 5).isEmpty)
        #expect(entry.dropped == 0)
        #expect(entry.counts == ["change": 10])
    }

    @Test func aFullRingDropsTheOldestAndCountsWhatWasNotRead() throws {
        let directory = try TemporaryDirectory()
        var entry = try entry(directory)
        defer { entry.watcher.stop() }
        let capacity = WatchRegistry.capacity
        entry.readCursor = 3  // the first three were read
        for number in 0..<(capacity + 5) { entry.append(event(number)) }
        #expect(entry.ring.count == capacity)
        #expect(entry.firstSequence == 5)
        // Five fell out of the ring; three of them had been read.
        #expect(entry.dropped == 2)
        // A cursor before the ring starts at its oldest event, in order across the wrap.
        let page = entry.events(from: 0, limit: 4)
        #expect(page.map(\.sequence) == [5, 6, 7, 8])
        #expect(page.map(\.event.path) == ["/tmp/f5", "/tmp/f6", "/tmp/f7", "/tmp/f8"])
        let last = entry.events(from: capacity + 2, limit: 10)
        #expect(last.map(\.sequence) == [capacity + 2, capacity + 3, capacity + 4])
    }
}
