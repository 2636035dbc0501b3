import AIFSCore
import Dispatch
import Foundation
import MCP
import Synchronization

/// Runs `tools/call` requests without the MCP SDK's request decoding.
///
/// The SDK (0.12.1) decodes every string of a request as a possible data URL, with a
/// regular expression that it builds and compiles again for each string, and it decodes
/// each request two or three times over: about 700 µs of CPU per `read_file` call, most
/// of the server's time under load (10,000 concurrent reads took 4.1-4.7 s). Worse, it
/// turns an argument that merely looks like a data URL (a `content` of "data:,hello", an
/// `oldText` holding an inline image) into binary data, which the tools then refuse as
/// "not a string".
///
/// So once the client has initialized, the transport hands each `tools/call` request
/// here. It is decoded once, its arguments as plain JSON values, run through
/// ``AIFSMCPServer/call(_:tools:context:sendProgress:)`` as the SDK's handler runs it,
/// and answered with the JSON the SDK writes (sorted keys, slashes unescaped; written by
/// ``ToolResultJSON`` where it can). A call the
/// client cancels gets no answer, as with the SDK. Every other message, and any line
/// that does not decode as a `tools/call` request, goes to the SDK as before.
///
/// ## Threading
/// ``take(_:)`` and ``cancel(_:)`` from the transport's reading thread, ``enable()``
/// from anywhere; calls run in tasks of their own.
final class ToolCallFastPath: Sendable {
    /// Calls running (or sending their answer) at once; later ones wait in arrival order.
    /// Without the bound, a client that sends faster than it reads had every answer held
    /// in memory at once: 10,000 pipelined `read_file` calls took the server to 330 MiB.
    static let maximumRunning = 64

    private struct State {
        var enabled = false
        /// The running calls by request id key (see `StdioLineTransport.idKey`).
        var running: [String: Task<Void, Never>] = [:]
        /// Calls waiting for a place, oldest first from `head`.
        var waiting: [(key: String, request: Request)] = []
        var head = 0
    }

    private let state = Mutex(State())
    private let tools: [String: ToolDefinition]
    private let context: ToolContext
    private let sendProgress: @Sendable (ProgressNotification.Parameters) async -> Void
    private let send: @Sendable (Data) async -> Void

    init(
        tools: [String: ToolDefinition], context: ToolContext,
        sendProgress: @escaping @Sendable (ProgressNotification.Parameters) async -> Void,
        send: @escaping @Sendable (Data) async -> Void
    ) {
        self.tools = tools
        self.context = context
        self.sendProgress = sendProgress
        self.send = send
    }

    /// Starts taking calls: after the client's `initialize`, as the SDK requires.
    func enable() { state.withLock { $0.enabled = true } }

    /// Takes `line` when it is a `tools/call` request, to run now or when a place is
    /// free, telling `received` its id key first; returns whether it took it.
    func take(_ line: Data, received: (String) -> Void) -> Bool {
        guard state.withLock({ $0.enabled }), line.range(of: Self.method) != nil || line.range(of: Self.escapedMethod) != nil,
            let request = try? JSONDecoder().decode(Request.self, from: line),
            request.jsonrpc == "2.0", request.method == "tools/call"
        else { return false }
        let key = StdioLineTransport.idKey(request.id)
        // Before the call can start: its answer must find the request counted.
        received(key)
        state.withLock { state in
            if state.running.count < Self.maximumRunning {
                start(request, key: key, in: &state)
            } else {
                state.waiting.append((key, request))
            }
        }
        return true
    }

    /// Cancels the call with request id `key`, if it is one of these: a running call
    /// stops and sends no answer, a waiting one never starts.
    func cancel(_ key: String) {
        let task = state.withLock { state -> Task<Void, Never>? in
            if let task = state.running[key] { return task }
            if let index = state.waiting[state.head...].firstIndex(where: { $0.key == key }) {
                state.waiting.remove(at: index)
            }
            return nil
        }
        task?.cancel()
    }

    /// Starts a call; made under the lock, so that it cannot finish and forget itself
    /// before it is recorded.
    private func start(_ request: Request, key: String, in state: inout State) {
        let parameters = CallTool.Parameters(
            name: request.params.name, arguments: request.params.arguments?.mapValues(\.value),
            meta: request.params._meta.map(Self.metadata))
        let (tools, context, sendProgress, send) = (self.tools, self.context, self.sendProgress, self.send)
        state.running[key] = Task { [weak self] in
            let result = await AIFSMCPServer.call(parameters, tools: tools, context: context, sendProgress: sendProgress)
            if !Task.isCancelled, let data = Self.answer(id: request.id, result: result) { await send(data) }
            self?.finish(key)
        }
    }

    /// The JSON-RPC answer, as the SDK would write it.
    private static func answer(id: ID, result: CallTool.Result) -> Data? {
        if let bytes = ToolResultJSON.response(id: id, result: result) { return Data(bytes) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try? encoder.encode(CallTool.response(id: id, result: result))
    }

    /// The request's `_meta`. Metadata's initializer sets the progress token apart (a
    /// `nil` one removes the field), so it is passed on its own.
    private static func metadata(_ fields: [String: PlainValue]) -> Metadata {
        var fields = fields.mapValues(\.value)
        let token: ProgressToken? =
            switch fields.removeValue(forKey: "progressToken") {
            case .string(let string)?: .string(string)
            case .int(let number)?: .integer(number)
            default: nil
            }
        return Metadata(progressToken: token, additionalFields: fields)
    }

    /// Frees the call's place and starts the oldest waiting call in it; the last call
    /// of a burst hands the memory freed back to the system (``IdleTrim``).
    private func finish(_ key: String) {
        let idle = state.withLock { state in
            state.running.removeValue(forKey: key)
            return state.running.isEmpty && state.head == state.waiting.count
        }
        if idle { IdleTrim.shared.request() }
        state.withLock { state in
            guard state.head < state.waiting.count else { return }
            let next = state.waiting[state.head]
            state.head += 1
            if state.head == state.waiting.count {
                state.waiting.removeAll(keepingCapacity: true)
                state.head = 0
            }
            start(next.request, key: next.key, in: &state)
        }
    }

    private static let method = Data(#""tools/call""#.utf8)
    /// As an encoder that escapes slashes writes it (Foundation's, by default).
    private static let escapedMethod = Data(#""tools\/call""#.utf8)

    /// A `tools/call` request, as far as a call needs it.
    private struct Request: Decodable, Sendable {
        var jsonrpc: String
        var id: ID
        var method: String
        var params: Parameters

        struct Parameters: Decodable, Sendable {
            var name: String
            var arguments: [String: PlainValue]?
            var _meta: [String: PlainValue]?
        }
    }
}

/// A JSON value decoded as it is written: unlike ``MCP/Value``'s decoding, a string
/// stays a string.
struct PlainValue: Decodable, Sendable {
    let value: Value

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            value = .null
        } else if let string = try? container.decode(String.self) {
            value = .string(string)
        } else if let bool = try? container.decode(Bool.self) {
            value = .bool(bool)
        } else if let int = try? container.decode(Int.self) {
            value = .int(int)
        } else if let double = try? container.decode(Double.self) {
            value = .double(double)
        } else if let array = try? container.decode([PlainValue].self) {
            value = .array(array.map(\.value))
        } else {
            value = .object(try container.decode([String: PlainValue].self).mapValues(\.value))
        }
    }
}

/// Hands the allocator's free memory back to the system (`malloc_trim`) when the
/// server has no call left, at most once per ``minimumInterval``.
///
/// Freed blocks in the middle of a heap stay resident until trimmed: after bursts of
/// concurrent calls the server settled at 82-84 MiB without it and 75 MiB with it
/// (BENCHMARKS.md, "The MCP server's memory under mixed concurrent load"). The trim runs on a worker thread, never on a
/// call's path; its CPU cost was within the noise of the mixed-load runs.
///
/// ## Threading
/// ``request()`` from any thread.
final class IdleTrim: Sendable {
    static let shared = IdleTrim()
    /// The shortest time between two trims, in nanoseconds.
    static let minimumInterval: Int64 = 100_000_000

    private let running = Atomic<Bool>(false)
    private let last = Atomic<Int64>(0)

    /// Trims on a worker thread unless a trim is running or ran within
    /// ``minimumInterval``.
    func request() {
        let now = Int64(bitPattern: DispatchTime.now().uptimeNanoseconds)
        guard now - last.load(ordering: .relaxed) >= Self.minimumInterval,
            !running.exchange(true, ordering: .acquiring)
        else { return }
        BlockingExecutor.shared.run { [self] in
            SystemMemory.releaseFreeMemory()
            last.store(Int64(bitPattern: DispatchTime.now().uptimeNanoseconds), ordering: .relaxed)
            running.store(false, ordering: .releasing)
        }
    }
}
