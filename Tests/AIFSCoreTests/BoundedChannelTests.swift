import AIFSTestSupport
import Synchronization
import Testing

@testable import AIFSCore

@Suite struct BoundedChannelTests {
    struct Failure: Error, Equatable {}

    @Test(.timeLimit(.minutes(1)))
    func deliversEverythingInOrderThenEnds() async throws {
        let channel = BoundedChannel<Int>(capacity: 3)
        DedicatedThreads.start(name: "test-producer") {
            for i in 0..<1000 { channel.send(i) }
            channel.finish()
        }
        var received: [Int] = []
        while let value = try await channel.next() { received.append(value) }
        #expect(received == Array(0..<1000))
    }

    @Test(.timeLimit(.minutes(1)))
    func producersBlockWhileTheQueueIsFull() async throws {
        let channel = BoundedChannel<Int>(capacity: 2)
        let sent = Atomic<Int>(0)
        let done = BoundedChannel<Bool>(capacity: 1)
        DedicatedThreads.start(name: "test-producer") {
            for i in 0..<10 {
                channel.send(i)
                sent.add(1, ordering: .relaxed)
            }
            channel.finish()
            done.send(true)
            done.finish()
        }
        // Wait (with a deadline) until the producer is stuck on the full queue: it can
        // have sent the capacity, and not more, until we take something.
        let deadline = ContinuousClock.now + .seconds(30)
        while sent.load(ordering: .relaxed) < 2 && ContinuousClock.now < deadline { await Task.yield() }
        #expect(sent.load(ordering: .relaxed) == 2)
        var received: [Int] = []
        while let value = try await channel.next() { received.append(value) }
        #expect(received == Array(0..<10))
        #expect(try await done.next() == true)
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellingReleasesBlockedProducers() async throws {
        let channel = BoundedChannel<Int>(capacity: 1)
        let finished = BoundedChannel<Int>(capacity: 1)
        DedicatedThreads.start(name: "test-producer") {
            var accepted = 0
            for i in 0..<1_000_000 {
                guard channel.send(i) else { break }
                accepted += 1
            }
            finished.send(accepted)
            finished.finish()
        }
        #expect(try await channel.next() == 0)
        channel.cancel()
        let accepted = try await finished.next()
        #expect(accepted != nil && accepted! < 1_000_000)
        #expect(try await channel.next() == nil)
    }

    @Test(.timeLimit(.minutes(1)))
    func errorsArriveAfterTheElementsBeforeThem() async throws {
        let channel = BoundedChannel<Int>(capacity: 4)
        channel.send(1)
        channel.finish(throwing: Failure())
        #expect(try await channel.next() == 1)
        await #expect(throws: Failure.self) { _ = try await channel.next() }
        #expect(try await channel.next() == nil)
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellingTheConsumingTaskCancelsTheChannel() async throws {
        let channel = BoundedChannel<Int>(capacity: 1)
        let task = Task { try await channel.next() }
        // The consumer is waiting on an empty channel; cancel it.
        task.cancel()
        #expect(try await task.value == nil)
        #expect(channel.isCancelled)
        #expect(channel.send(1) == false)
    }
}
