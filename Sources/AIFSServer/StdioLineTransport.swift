import AIFSCore
public import Foundation
public import Logging
public import MCP
import Synchronization

/// The MCP stdio transport, with a blocking read of standard input on a thread of its
/// own: newline-delimited JSON-RPC messages in on stdin, out on stdout.
///
/// The SDK's `StdioTransport` makes stdin non-blocking and sleeps 10 ms whenever it is
/// empty, so each request waits up to 10 ms before it is even read. Here a dedicated
/// thread sits in `read(2)` and wakes the moment a message arrives.
///
/// End of file on stdin (the client closed it or exited) finishes ``receive()``'s
/// stream, which ends the server's message loop — once every request received has been
/// answered (or after ``drainTimeout``), so a client that writes its requests and closes
/// stdin still gets every answer.
///
/// ## Threading
/// An actor. The reader thread only touches the stream's continuation, which is
/// `Sendable`. ``send(_:)`` writes each message with whole `write(2)` calls under the
/// console's lock, so messages never interleave.
///
/// ## Known problems
/// Incoming messages are not bounded: a client that writes faster than the server
/// handles requests makes them queue in memory. A line longer than 64 MiB is dropped
/// (with a log line) rather than buffered without end.
public actor StdioLineTransport: Transport {
    /// Where transport events are logged (standard error; never stdout, which is the
    /// protocol's).
    public nonisolated let logger: Logger

    private let messages: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private var connected = false
    private let tracker = RequestTracker()

    /// How long, after end of file, the transport waits for answers still owed.
    static let drainTimeout: Duration = .seconds(5)

    /// The longest message accepted.
    static let maximumMessageSize = 64 * 1024 * 1024

    /// Creates a transport over the process's standard input and output.
    public init(logger: Logger) {
        self.logger = logger
        (messages, continuation) = AsyncThrowingStream.makeStream()
    }

    /// Starts the reader thread.
    public func connect() async throws {
        guard !connected else { return }
        connected = true
        let continuation = self.continuation
        let logger = self.logger
        let tracker = self.tracker
        DedicatedThreads.start(name: "aifs-stdin") {
            StdioLineTransport.readLoop(into: continuation, tracker: tracker, logger: logger)
        }
    }

    /// Ends the stream of incoming messages.
    public func disconnect() async {
        connected = false
        continuation.finish()
    }

    /// Writes one message and its newline to standard output.
    public func send(_ data: Data) async throws {
        var line = data
        line.append(UInt8(ascii: "\n"))
        try line.withUnsafeBytes { bytes in try Console.standardOutput.write(bytes) }
        if StdioLineTransport.isResponse(data) { tracker.answered() }
    }

    /// Whether an outgoing message answers a request. The SDK encodes with sorted keys,
    /// so a response begins `{"error":` or `{"id":…,"jsonrpc":"2.0","result":`, where a
    /// request of ours would have `"method"` after `"jsonrpc"`.
    static func isResponse(_ data: Data) -> Bool {
        let prefix = data.prefix(512)
        if prefix.starts(with: Array(#"{"error":"#.utf8)) { return true }
        guard prefix.starts(with: Array(#"{"id":"#.utf8)) else { return false }
        return prefix.range(of: Data(#","jsonrpc":"2.0","result":"#.utf8)) != nil
    }

    /// Whether an incoming message is a request (it has an `id` and a `method`), which
    /// the server owes an answer.
    static func isRequest(_ data: Data) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return object["id"] != nil && object["method"] != nil
    }

    /// The incoming messages, one JSON value each, without their newlines.
    public func receive() -> AsyncThrowingStream<Data, any Error> { messages }

    /// Reads stdin until end of file, yielding each complete line that is not blank.
    static func readLoop(
        into continuation: AsyncThrowingStream<Data, any Error>.Continuation, tracker: RequestTracker, logger: Logger
    ) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var pending: [UInt8] = []
        var discarding = false
        func emit(_ line: ArraySlice<UInt8>) {
            var line = line
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            guard line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else { return }
            let message = Data(line)
            if isRequest(message) { tracker.received() }
            continuation.yield(message)
        }
        while true {
            let count: Int
            do {
                count = try buffer.withUnsafeMutableBytes { try StandardInput.read(into: $0) }
            } catch {
                logger.error("cannot read standard input: \(error)")
                continuation.finish(throwing: error)
                return
            }
            if count == 0 { break }
            var start = 0
            while let newline = buffer[start..<count].firstIndex(of: UInt8(ascii: "\n")) {
                if discarding {
                    discarding = false
                } else if pending.isEmpty {
                    emit(buffer[start..<newline])
                } else {
                    pending.append(contentsOf: buffer[start..<newline])
                    emit(pending[...])
                }
                pending.removeAll(keepingCapacity: true)
                start = newline + 1
            }
            if !discarding { pending.append(contentsOf: buffer[start..<count]) }
            if pending.count > maximumMessageSize {
                logger.error("dropping a message longer than \(maximumMessageSize) bytes")
                pending = []
                discarding = true
            }
        }
        if !pending.isEmpty && !discarding { emit(pending[...]) }
        logger.debug("standard input closed")
        Task {
            await tracker.drained(within: drainTimeout)
            continuation.finish()
        }
    }
}

/// Counts the requests received and not yet answered.
///
/// ## Threading
/// Any thread; the state is behind a mutex.
final class RequestTracker: Sendable {
    private struct State {
        var pending = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    func received() { state.withLock { $0.pending += 1 } }

    func answered() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.pending = max(0, state.pending - 1)
            guard state.pending == 0 else { return [] }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when no answer is owed, or after `timeout`.
    func drained(within timeout: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let key = state.withLock { state -> Int? in
                guard state.pending > 0 else { return nil }
                state.nextWaiter += 1
                state.waiters[state.nextWaiter] = continuation
                return state.nextWaiter
            }
            guard let key else {
                continuation.resume()
                return
            }
            Task {
                try? await Task.sleep(for: timeout)
                self.state.withLock { $0.waiters.removeValue(forKey: key) }?.resume()
            }
        }
    }
}
