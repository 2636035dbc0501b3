import AIFS
import AIFSCore
@testable import AIFSServer
import AIFSTestSupport
import Foundation
import MCP
import Synchronization
import Testing

/// The server's own path for `tools/call`, driven directly: more calls than may run at
/// once, one of them cancelled while it waits and one while it runs.
@Suite(.timeLimit(.minutes(1)))
struct ToolCallFastPathTests {
    /// Holds every call of the `block` tool until it is opened.
    actor Gate {
        private var isOpen = false
        private var held: [CheckedContinuation<Void, Never>] = []
        private var watchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

        func pass() async {
            guard !isOpen else { return }
            await withCheckedContinuation { continuation in
                held.append(continuation)
                let ready = watchers.filter { held.count >= $0.count }
                watchers.removeAll { held.count >= $0.count }
                for watcher in ready { watcher.continuation.resume() }
            }
        }

        /// Returns once `count` calls are held.
        func waitUntilHolding(_ count: Int) async {
            guard held.count < count else { return }
            await withCheckedContinuation { watchers.append((count, $0)) }
        }

        func open() {
            isOpen = true
            for continuation in held { continuation.resume() }
            held = []
        }
    }

    func line(_ id: Int) -> Data {
        Data(#"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"block","arguments":{"n":\#(id)}}}"#.utf8)
    }

    @Test func callsBeyondTheLimitWaitForAPlaceAndCancelledOnesAreNeverAnswered() async throws {
        let gate = Gate()
        let tool = ToolDefinition(
            tool: Tool(name: "block", description: "waits for the gate", inputSchema: .object([:])),
            run: { arguments, _ throws(ToolFailure) in
                await gate.pass()
                return ToolOutput(structured: .object([:]), text: "done \(arguments.values["n"]?.intValue ?? -1)")
            })
        let directory = try TemporaryDirectory()
        let roots = try Roots([directory.path])
        let context = ToolContext(service: FileService(roots: roots), roots: roots, watchers: WatchRegistry())
        let answers = Mutex<[Int]>([])
        let (answered, arrival) = AsyncStream<Void>.makeStream()
        let fastPath = ToolCallFastPath(tools: ["block": tool], context: context, sendProgress: { _ in }) { data in
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            answers.withLock { $0.append(object?["id"] as? Int ?? -1) }
            arrival.yield()
        }
        // Before the client's initialize, calls are left to the SDK.
        #expect(!fastPath.take(line(1), received: { _ in }))
        fastPath.enable()
        let total = ToolCallFastPath.maximumRunning + 6
        for id in 1...total { #expect(fastPath.take(line(id), received: { _ in })) }
        // Not a call: left to the SDK.
        #expect(!fastPath.take(Data(#"{"jsonrpc":"2.0","id":999,"method":"tools/list"}"#.utf8), received: { _ in }))

        await gate.waitUntilHolding(ToolCallFastPath.maximumRunning)
        let waitingID = ToolCallFastPath.maximumRunning + 3
        fastPath.cancel("n:\(waitingID)")
        fastPath.cancel("n:3")
        await gate.open()
        var iterator = answered.makeAsyncIterator()
        for _ in 0..<(total - 2) { _ = await iterator.next() }
        let ids = answers.withLock { $0 }
        #expect(Set(ids) == Set(1...total).subtracting([3, waitingID]))
        #expect(ids.count == total - 2)
    }
}
