import AIFSCore
import AIFSProcess
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
    /// Takes `tools/call` requests before the SDK sees them; set before ``connect()``.
    private var fastPath: ToolCallFastPath?

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
        let fastPath = self.fastPath
        DedicatedThreads.start(name: "aifs-stdin") {
            StdioLineTransport.readLoop(into: continuation, tracker: tracker, fastPath: fastPath, logger: logger)
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
        if let id = StdioLineTransport.responseID(data) { tracker.answered(id) }
    }

    /// The request id an outgoing message answers, or `nil` when it is not a response.
    /// The SDK encodes with sorted keys, so a response begins `{"error":` (small: parsed
    /// whole) or `{"id":…,"jsonrpc":"2.0","result":` (perhaps huge: only the id is
    /// parsed), where a request of ours would have `"method"` after `"jsonrpc"`.
    static func responseID(_ data: Data) -> String? {
        let prefix = data.prefix(512)
        if prefix.starts(with: Array(#"{"error":"#.utf8)) {
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            return object["id"].flatMap(idKey)
        }
        let start = Array(#"{"id":"#.utf8)
        guard prefix.starts(with: start),
            let end = prefix.range(of: Data(#","jsonrpc":"2.0","result":"#.utf8))
        else { return nil }
        let fragment = prefix[(prefix.startIndex + start.count)..<end.lowerBound]
        guard let id = try? JSONSerialization.jsonObject(with: Data(fragment), options: .fragmentsAllowed) else { return nil }
        return idKey(id)
    }

    /// What the server owes for an incoming message: an answer to a request (it has an
    /// `id` and a `method`), or nothing more for a request the client cancelled
    /// (`notifications/cancelled`: the SDK sends no answer then).
    enum Incoming: Equatable {
        case request(id: String)
        case cancellation(of: String)
        case other
    }

    static func classify(_ data: Data) -> Incoming {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return .other }
        return classify(object)
    }

    /// ``classify(_:)-(Data)`` for a message already decoded.
    static func classify(_ object: [String: Any]) -> Incoming {
        guard let method = object["method"] as? String else { return .other }
        if let id = object["id"].flatMap(idKey) { return .request(id: id) }
        if method == "notifications/cancelled",
            let parameters = object["params"] as? [String: Any],
            let id = parameters["requestId"].flatMap(idKey)
        {
            return .cancellation(of: id)
        }
        return .other
    }

    /// A request id as a key: `n:7` for a number, `s:abc` for a string.
    static func idKey(_ value: Any) -> String? {
        if let string = value as? String { return "s:" + string }
        if let number = value as? Int { return "n:\(number)" }
        if let number = value as? NSNumber { return "n:\(number.int64Value)" }
        return nil
    }

    /// ``idKey(_:)`` for an id already decoded.
    static func idKey(_ id: ID) -> String {
        switch id {
        case .string(let string): "s:" + string
        case .number(let number): "n:\(number)"
        }
    }

    /// The incoming messages, one JSON value each, without their newlines.
    public func receive() -> AsyncThrowingStream<Data, any Error> { messages }

    /// Hands `tools/call` requests to `fastPath` instead of the SDK (see
    /// ``ToolCallFastPath``); call before ``connect()``.
    func route(toolCallsTo fastPath: ToolCallFastPath) { self.fastPath = fastPath }

    /// Reads stdin until end of file, yielding each complete line that is not blank
    /// (or handing it to `fastPath`, which may take it).
    static func readLoop(
        into continuation: AsyncThrowingStream<Data, any Error>.Continuation, tracker: RequestTracker,
        fastPath: ToolCallFastPath? = nil, logger: Logger
    ) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var pending: [UInt8] = []
        var discarding = false
        func emit(_ line: ArraySlice<UInt8>) {
            var line = line
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            guard line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else { return }
            let message = Data(line)
            // A tools/call the fast path takes is decoded there, once.
            if let fastPath, fastPath.take(message, received: tracker.received) { return }
            let object: [String: Any]
            switch JSONRPCChecks.check(message) {
            case .pass(let decoded): object = decoded
            case .ignore: return
            case .reject(let answer):
                // Under the console's lock, whole, as send(_:) writes: never interleaved.
                var line = answer
                line.append(UInt8(ascii: "\n"))
                try? line.withUnsafeBytes { bytes in try Console.standardOutput.write(bytes) }
                return
            }
            switch classify(object) {
            case .request(let id):
                tracker.received(id)
            case .cancellation(let id):
                tracker.answered(id)
                fastPath?.cancel(id)
            case .other: break
            }
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

/// The requests received and not yet answered (nor cancelled by the client), by id.
///
/// ## Threading
/// Any thread; the state is behind a mutex.
final class RequestTracker: Sendable {
    private struct State {
        var pending: Set<String> = []
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    func received(_ id: String) { state.withLock { _ = $0.pending.insert(id) } }

    /// The request `id` was answered, or cancelled; answering it again does nothing.
    func answered(_ id: String) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard state.pending.remove(id) != nil, state.pending.isEmpty else { return [] }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when no answer is owed, or after `timeout`.
    func drained(within timeout: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let key = state.withLock { state -> Int? in
                guard !state.pending.isEmpty else { return nil }
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
