import AIFSTestSupport
import Foundation
import MCP
import Synchronization
import SystemPackage

/// The built `aifs serve` as a process, talked to through the swift-sdk `Client` over
/// its stdin and stdout.
final class ServerProcess: Sendable {
    /// The `aifs` executable next to the test bundle (SwiftPM builds it first because
    /// the test target depends on it).
    static let executable = BuiltProducts.executable(named: "aifs")

    let process: Process
    let client: Client
    let stdin: FileHandle
    let exited: AsyncStream<Int32>

    /// Every server's pipes, kept open until the test process ends. The SDK's
    /// `StdioTransport` does not own its descriptors and its read loop may poll on
    /// after a test ends; were a pipe closed, the next test's pipe could get the same
    /// descriptor number and the stale loop would steal its messages.
    private static let pipes = Mutex<[Pipe]>([])

    private init(process: Process, client: Client, stdin: FileHandle, exited: AsyncStream<Int32>) {
        self.process = process
        self.client = client
        self.stdin = stdin
        self.exited = exited
    }

    /// Starts `aifs serve` with `arguments` in `directory` and initializes a client.
    static func start(_ arguments: [String], in directory: String) async throws -> ServerProcess {
        let (process, input, output, exited, gone) = try launch(arguments, in: directory)
        let client = Client(name: "aifs-tests", version: "1.0")
        let transport = StdioTransport(
            input: FileDescriptor(rawValue: output.fileHandleForReading.fileDescriptor),
            output: FileDescriptor(rawValue: input.fileHandleForWriting.fileDescriptor))
        try await client.connect(transport: transport)
        // The SDK's client loop asks its transport for the message stream again each
        // time one ends, and a finished stream ends at once: once the server has exited
        // the loop spins on the cooperative pool until `disconnect()`, starving every
        // other test. Disconnect as soon as the process is gone, whatever the test does.
        Task.detached { [client] in
            for await _ in gone { break }
            await client.disconnect()
        }
        return ServerProcess(process: process, client: client, stdin: input.fileHandleForWriting, exited: exited)
    }

    /// Launches `aifs serve arguments…` with piped stdin and stdout (stderr discarded).
    static func launch(
        _ arguments: [String], in directory: String
    ) throws -> (Process, Pipe, Pipe, AsyncStream<Int32>, AsyncStream<Void>) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let (exited, continuation) = AsyncStream<Int32>.makeStream()
        let (gone, goneContinuation) = AsyncStream<Void>.makeStream()
        process.terminationHandler = { process in
            continuation.yield(process.terminationStatus)
            continuation.finish()
            goneContinuation.finish()
        }
        try process.run()
        pipes.withLock { $0 += [input, output] }
        return (process, input, output, exited, gone)
    }

    /// Calls a tool and returns the whole result (content, structuredContent, isError).
    func call(_ name: String, _ arguments: [String: Value] = [:]) async throws -> CallTool.Result {
        let context = try await client.send(CallTool.request(.init(name: name, arguments: arguments)))
        return try await context.value
    }

    /// Closes the server's stdin and returns its exit status.
    func close() async -> Int32 {
        try? stdin.close()
        var status: Int32 = -1
        for await exit in exited {
            status = exit
            break
        }
        await client.disconnect()
        return status
    }

    deinit {
        if process.isRunning { process.terminate() }
        let client = self.client
        Task { await client.disconnect() }
    }
}

extension CallTool.Result {
    /// The text of the first content block.
    var text: String {
        if case .text(let text, _, _)? = content.first { return text }
        return ""
    }

    /// A field of the structured content.
    subscript(_ key: String) -> Value? { structuredContent?.objectValue?[key] }
}
