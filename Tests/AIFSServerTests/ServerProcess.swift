import AIFSTestSupport
import Foundation
import Logging
import MCP
import Synchronization
import SystemPackage

/// The built `aifs serve` as a process, talked to through the swift-sdk `Client` over
/// its stdin and stdout.
final class ServerProcess: Sendable {
    /// The `aifs` executable next to the test bundle (SwiftPM builds it first because
    /// the test target depends on it).
    static let executable = BuiltProducts.executable(named: "aifs")

    /// The environment servers run in: the saved live indexes go to a directory of the
    /// tests', not the user's `~/.cache`.
    static let testEnvironment = ProcessInfo.processInfo.environment.merging(["XDG_CACHE_HOME": "/tmp/aifs-tests/xdg-cache"]) { $1 }

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
    ///
    /// - Parameter roots: When given, the client declares the roots capability and
    ///   answers `roots/list` with these directories.
    static func start(_ arguments: [String], in directory: String, roots: [String]? = nil) async throws -> ServerProcess {
        let (process, input, output, exited, gone) = try launch(arguments, in: directory)
        var capabilities = Client.Capabilities()
        if roots != nil { capabilities.roots = .init(listChanged: true) }
        let client = Client(name: "aifs-tests", version: "1.0", capabilities: capabilities)
        if let roots {
            await client.withRootsHandler { roots.map { Root(uri: URL(fileURLWithPath: $0).absoluteString, name: nil) } }
        }
        let transport = EndingTransport(StdioTransport(
            input: FileDescriptor(rawValue: output.fileHandleForReading.fileDescriptor),
            output: FileDescriptor(rawValue: input.fileHandleForWriting.fileDescriptor)))
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
        process.environment = testEnvironment
        process.standardError = FileHandle.nullDevice
        let (exited, continuation) = AsyncStream<Int32>.makeStream()
        let (gone, goneContinuation) = AsyncStream<Void>.makeStream()
        process.terminationHandler = { process in
            continuation.yield(process.terminationStatus)
            continuation.finish()
            goneContinuation.finish()
        }
        // The pipes too: made while another process starts, they would leak into it.
        let (input, output) = try ChildProcesses.locked {
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            return (input, output)
        }
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

/// The SDK's `StdioTransport`, except that its message stream ends with an error when
/// the server's output ends.
///
/// The SDK's client loop asks its transport for the stream again whenever the stream
/// ends normally, and gets the same finished stream back at once: once the server's
/// output had ended, the loop spun on the cooperative pool until `disconnect()`. Two
/// such clients took both threads of this 2-core machine's pool and the whole test run
/// hung (gdb: both pool threads in the closure of `Client.connect`, the servers alive).
/// An error ends the client's loop instead.
actor EndingTransport: Transport {
    struct OutputEnded: Error, CustomStringConvertible {
        var description: String { "the server's output ended" }
    }

    private let inner: StdioTransport
    private var upstream: AsyncThrowingStream<Data, any Error>?
    private var forwarded: AsyncThrowingStream<Data, any Error>?
    nonisolated let logger: Logger

    init(_ inner: StdioTransport) {
        self.inner = inner
        logger = inner.logger
    }

    func connect() async throws {
        try await inner.connect()
        upstream = await inner.receive()
    }

    func disconnect() async { await inner.disconnect() }

    func send(_ data: Data) async throws { try await inner.send(data) }

    func receive() -> AsyncThrowingStream<Data, any Error> {
        if let forwarded { return forwarded }
        let (stream, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        let upstream = self.upstream
        let task = Task {
            do {
                if let upstream { for try await data in upstream { continuation.yield(data) } }
                continuation.finish(throwing: OutputEnded())
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        forwarded = stream
        return stream
    }
}
