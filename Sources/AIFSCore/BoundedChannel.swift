/// A bounded queue from blocking producer threads to one async consumer, with
/// back-pressure both ways.
///
/// Producers run on dedicated threads (walkers, searchers) and call ``send(_:)``, which
/// blocks the thread while the queue holds ``capacity`` elements. The consumer awaits
/// ``next()``. When the consumer goes away (its task is cancelled, or it calls
/// ``cancel()``), ``send(_:)`` returns `false` at once so producers can stop.
///
/// ```swift
/// let channel = BoundedChannel<Int>(capacity: 64)
/// DedicatedThreads.start(name: "producer") {
///     for i in 0..<1000 where !channel.send(i) { break }
///     channel.finish()
/// }
/// while let value = try await channel.next() { print(value) }
/// ```
///
/// ## Threading
/// ``send(_:)`` and ``finish(throwing:)`` from any thread (they may block: never call
/// them from Swift's cooperative pool); ``next()`` from one task at a time.
public final class BoundedChannel<Element: Sendable>: Sendable {
    private struct State {
        var buffer: [Element] = []
        var head = 0
        var finished = false
        var failure: (any Error)?
        var cancelled = false
        var waiter: CheckedContinuation<Element?, any Error>?

        var count: Int { buffer.count - head }

        mutating func popFirst() -> Element? {
            guard head < buffer.count else { return nil }
            let element = buffer[head]
            head += 1
            if head > 1024 && head * 2 > buffer.count {
                buffer.removeFirst(head)
                head = 0
            }
            return element
        }
    }

    /// How many elements may wait before producers block.
    public let capacity: Int
    private let lock = ConditionLock()
    // nonisolated(unsafe): only touched while `lock` is held.
    private nonisolated(unsafe) var state = State()

    /// Creates a channel that holds at most `capacity` (at least 1) waiting elements.
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Hands `element` to the consumer, blocking while the queue is full.
    ///
    /// - Returns: `false` when the consumer has gone away; the element was dropped.
    @discardableResult
    public func send(_ element: Element) -> Bool {
        lock.lock()
        while state.count >= capacity && !state.cancelled && state.waiter == nil {
            lock.wait()
        }
        if state.cancelled || state.finished {
            lock.unlock()
            return false
        }
        if let waiter = state.waiter {
            state.waiter = nil
            lock.unlock()
            waiter.resume(returning: element)
            return true
        }
        state.buffer.append(element)
        lock.unlock()
        return true
    }

    /// Ends the stream: the consumer gets the waiting elements, then `nil` (or the error).
    public func finish(throwing error: (any Error)? = nil) {
        lock.lock()
        guard !state.finished else {
            lock.unlock()
            return
        }
        state.finished = true
        state.failure = error
        let waiter = state.waiter
        state.waiter = nil
        lock.broadcast()
        lock.unlock()
        if let waiter {
            if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
        }
    }

    /// The consumer is done: producers' ``send(_:)`` returns `false` from now on.
    public func cancel() {
        lock.lock()
        state.cancelled = true
        state.buffer.removeAll()
        state.head = 0
        let waiter = state.waiter
        state.waiter = nil
        lock.broadcast()
        lock.unlock()
        waiter?.resume(returning: nil)
    }

    /// Whether the consumer has gone away.
    public var isCancelled: Bool { lock.withLock { state.cancelled } }

    /// The next element, or `nil` at the end.
    ///
    /// - Throws: The error given to ``finish(throwing:)``, after the elements sent
    ///   before it.
    public func next() async throws -> Element? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Element?, any Error>) in
                lock.lock()
                if let element = state.popFirst() {
                    lock.broadcast()
                    lock.unlock()
                    continuation.resume(returning: element)
                } else if state.cancelled {
                    lock.unlock()
                    continuation.resume(returning: nil)
                } else if state.finished {
                    let failure = state.failure
                    state.failure = nil
                    lock.unlock()
                    if let failure { continuation.resume(throwing: failure) } else { continuation.resume(returning: nil) }
                } else {
                    state.waiter = continuation
                    // A producer blocked on a full queue can hand over directly now.
                    lock.broadcast()
                    lock.unlock()
                }
            }
        } onCancel: {
            cancel()
        }
    }
}
