import AIFS
import AIFSCache
public import AIFSCore
import Foundation
import Logging
import MCP
import Synchronization

/// The aifs MCP server: the file-system tools, confined to the roots, over stdio.
///
/// ```swift
/// let server = AIFSMCPServer(roots: try Roots(["."]))
/// try await server.run()   // returns when the client closes stdin
/// ```
///
/// Every tool calls ``AIFS/FileService``; every path goes through its ``AIFSCore/Roots``.
/// A failure of any kind — a path outside the roots, a missing file, an invalid
/// pattern, an unknown tool, a missing or mistyped argument — is a tool result with
/// `isError: true` and a message that says what to do, never a protocol error.
///
/// ## Threading
/// ``run()`` once. Tool calls run concurrently; their blocking file-system work runs on
/// dedicated threads, not on Swift's cooperative pool.
public struct AIFSMCPServer: Sendable {
    /// The name and version the server announces.
    public static let name = "aifs"
    /// The version the server announces.
    public static let version = "0.1.0"

    let context: ToolContext
    let tools: [ToolDefinition]
    let logger: Logger

    /// A server for `roots`, logging to standard error.
    ///
    /// - Parameters:
    ///   - pinned: Whether `roots` were given (`--root`); when not, a client that
    ///     supports roots gives them instead.
    ///   - maxOutputBytes: The most bytes of each form of an answer (its text, its
    ///     structured content); at least ``minimumOutputBytes``.
    ///   - index: Whether to keep a live index of each root for `search_content`.
    public init(roots: Roots, pinned: Bool = true, maxOutputBytes: Int = AIFSMCPServer.defaultOutputBytes, index: Bool = true) {
        var logger = Logger(label: "aifs.serve") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .notice
        self.logger = logger
        // Small files are read through a cache that checks each hit against the file's
        // identity; the monitor shrinks it when the process nears its memory budget.
        let service = FileService.withContentCache(roots: roots, cacheBytes: Self.contentCacheBytes, logger: logger)
        let bytes = min(OutputBudget.maximumBytes, max(OutputBudget.minimumBytes, maxOutputBytes))
        context = ToolContext(
            service: service, roots: roots, watchers: WatchRegistry(), pinned: pinned, budget: OutputBudget(bytes: bytes),
            indexing: Indexing(enabled: index))
        tools = AIFSMCPServer.catalog
    }

    /// The output budget by default: 80 KiB of each form of an answer, about 20,000 tokens.
    public static let defaultOutputBytes = OutputBudget.defaultBytes
    /// The smallest output budget accepted.
    public static let minimumOutputBytes = OutputBudget.minimumBytes
    /// The largest output budget accepted.
    public static let maximumOutputBytes = OutputBudget.maximumBytes

    /// The content cache's limits: 32 MiB of files, half the library's default. The
    /// server's target is 100 MiB resident under load (64 calls in flight, searches
    /// among them); the idle process is 33 MiB, so a full 64 MiB cache left no room
    /// (design note 0004, "Memory under load").
    static let contentCacheBytes = 32 << 20

    /// Every tool, in the order `tools/list` shows them.
    static let catalog: [ToolDefinition] = [
        ReadTools.readFile, ReadTools.readMultipleFiles, DirectoryTools.listDirectory, DirectoryTools.directoryTree,
        ReadTools.getFileInfo, DirectoryTools.searchFiles, SearchTools.searchContent,
        StatsTools.getFilesystemStats, WatchTools.startWatching, WatchTools.getWatchEvents, WatchTools.stopWatching,
        WatchTools.getWatcherStats, WriteTools.writeFile, WriteTools.editFile, WriteTools.transaction, WriteTools.applyPatch, WriteTools.createDirectory, WriteTools.moveFile,
        ChangeTools.getClock, ChangeTools.changesSince, RootsTools.listAllowedDirectories,
        BatchTools.batchOperations, BatchTools.batchRead,
    ]

    /// Serves over stdin and stdout until the client closes stdin and every request
    /// received has been answered.
    ///
    /// - Throws: When the transport cannot start.
    public func run() async throws {
        let roots = context.roots.paths.joined(separator: ", ")
        let server = Server(
            name: AIFSMCPServer.name, version: AIFSMCPServer.version,
            instructions: """
                File-system tools confined to these roots: \(roots). Relative paths are relative to \
                the first root. Every answer is bounded (\(context.budget.bytes) bytes): when one says \
                truncated:true, pass its nextCursor as cursor (read_file: its next) to get more.
                """,
            capabilities: Server.Capabilities(
                resources: .init(subscribe: true, listChanged: false), tools: .init(listChanged: false)))
        let byName = Dictionary(uniqueKeysWithValues: tools.map { ($0.tool.name, $0) })
        let list = tools.map { $0.tool.listed() }
        let context = self.context
        await server.withMethodHandler(MCP.ListTools.self) { _ in
            MCP.ListTools.Result(tools: list)
        }
        let sendProgress: @Sendable (ProgressNotification.Parameters) async -> Void = { [weak server] parameters in
            try? await server?.notify(ProgressNotification.message(parameters))
        }
        await server.withMethodHandler(CallTool.self) { parameters in
            let result = await AIFSMCPServer.call(parameters, tools: byName, context: context, sendProgress: sendProgress)
            // A call the client cancelled gets no answer (the SDK sends none on
            // CancellationError): the client has stopped waiting for it.
            try Task.checkCancellation()
            return result
        }
        let subscriptions = ResourceSubscriptions { [weak server] uri in
            try? await server?.notify(ResourceUpdatedNotification.message(.init(uri: uri)))
        }
        await server.withMethodHandler(ListResources.self) { parameters in
            try await FileResources.list(parameters.cursor, context: context)
        }
        await server.withMethodHandler(ListResourceTemplates.self) { _ in
            ListResourceTemplates.Result(templates: [
                Resource.Template(
                    uriTemplate: "file://{path}", name: "file",
                    description: "A file inside the roots, by absolute path (file:///abs/path).")
            ])
        }
        await server.withMethodHandler(ReadResource.self) { parameters in
            try await FileResources.read(parameters.uri, context: context)
        }
        await server.withMethodHandler(ResourceSubscribe.self) { parameters in
            try await subscriptions.subscribe(parameters.uri, context: context)
            return Empty()
        }
        await server.withMethodHandler(ResourceUnsubscribe.self) { parameters in
            try subscriptions.unsubscribe(parameters.uri, context: context)
            return Empty()
        }
        // The client's roots, when it has them and --root did not pin ours: asked once
        // the client says it is initialized, and again whenever it says they changed.
        let clientHasRoots = Atomic<Bool>(false)
        let workspace = context.workspace
        let indexing = context.indexing
        let logger = self.logger
        let askForRoots: @Sendable () -> Void = { [weak server] in
            guard !workspace.pinned, clientHasRoots.load(ordering: .relaxed) else { return }
            Task {
                guard let server else { return }
                do {
                    let roots = try await server.listRoots()
                    logger.notice("\(workspace.adopt(clientRoots: roots))")
                    let current = workspace.current
                    indexing.start(roots: current.roots, service: current.service, logger: logger)
                } catch {
                    logger.notice("the client did not give its roots: \(error); the roots stay")
                }
            }
        }
        await server.onNotification(InitializedNotification.self) { _ in askForRoots() }
        await server.onNotification(RootsListChangedNotification.self) { _ in askForRoots() }
        context.service.startMemoryMonitor()
        defer { context.service.stopMemoryMonitor() }
        // The indexes build in the background; searches scan until they are ready.
        indexing.start(roots: context.roots, service: context.service, logger: logger)
        defer { indexing.stop() }
        let transport = StdioLineTransport(logger: logger)
        // tools/call requests skip the SDK's decoding once the client has initialized.
        let fastPath = ToolCallFastPath(tools: byName, context: context, sendProgress: sendProgress) { data in
            try? await transport.send(data)
        }
        await transport.route(toolCallsTo: fastPath)
        try await server.start(transport: transport) { _, capabilities in
            clientHasRoots.store(capabilities.roots != nil, ordering: .relaxed)
            fastPath.enable()
        }
        logger.info("serving \(roots)")
        await server.waitUntilCompleted()
        context.watchers.stopAll()
        subscriptions.stopAll()
        await server.stop()
    }

    /// Runs one call; every failure becomes an error result.
    ///
    /// - Parameter sendProgress: Sends a progress notification, for calls whose
    ///   request carries `_meta.progressToken`.
    static func call(
        _ parameters: CallTool.Parameters, tools: [String: ToolDefinition], context: ToolContext,
        sendProgress: (@Sendable (ProgressNotification.Parameters) async -> Void)? = nil
    ) async -> CallTool.Result {
        guard let definition = tools[parameters.name] else {
            let names = tools.keys.sorted().joined(separator: ", ")
            return failure(ToolFailure("unknownTool", "unknown tool '\(parameters.name)'; the tools are \(names)"))
        }
        let arguments = Arguments(tool: parameters.name, values: parameters.arguments ?? [:])
        var context = context
        if let token = parameters._meta?.progressToken, let sendProgress {
            context.progress = ProgressReporter(token: token, send: sendProgress)
        }
        let calls = context.calls
        calls.running.add(1, ordering: .relaxed)
        defer { calls.running.subtract(1, ordering: .relaxed) }
        let result: CallTool.Result
        // Every answer carries the change clock, so changes_since can start from any of
        // them (null until get_clock or changes_since started change tracking). Taken
        // before the tool runs: a change recorded after it is listed by changes_since, so
        // nothing that happened after (or while) the tool looked at a file is missed; a
        // change just before may be listed again.
        let clock = context.changes.recordedClock
        do throws(ToolFailure) {
            var output = context.budget.enforce(try await definition.run(arguments, context))
            if case .object(var fields) = output.structured, fields["clock"] == nil {
                fields["clock"] = clock.map { .string($0) } ?? .null
                output.structured = .object(fields)
            }
            result = CallTool.Result(
                content: [.text(text: output.text, annotations: nil, _meta: nil)],
                structuredContent: Optional(output.structured), isError: false)
        } catch {
            result = failure(error, budget: context.budget)
        }
        if Task.isCancelled {
            calls.cancelled.add(1, ordering: .relaxed)
        } else if result.isError == true {
            calls.failed.add(1, ordering: .relaxed)
        } else {
            calls.succeeded.add(1, ordering: .relaxed)
        }
        return result
    }

    /// - Parameter budget: The output budget, which an error's text keeps to as well (a
    ///   refused write's diff can be 8 KiB).
    static func failure(_ failure: ToolFailure, budget: OutputBudget? = nil) -> CallTool.Result {
        var output = ToolOutput(structured: .null, text: "error: \(quotesCut(failure.message))")
        if let budget { output = budget.enforce(output) }
        return CallTool.Result(content: [.text(text: output.text, annotations: nil, _meta: nil)], isError: true)
    }

    /// The longest quoted input an error repeats: a 10 MB path must not make a 10 MB
    /// error.
    static let longestQuote = 256

    /// `message` with every quoted run ('…') longer than ``longestQuote`` bytes cut to
    /// its start and end around a count of what was left out.
    static func quotesCut(_ message: String) -> String {
        guard message.utf8.count > longestQuote else { return message }
        var output = ""
        var rest = Substring(message)
        while let open = rest.firstIndex(of: "'") {
            output += rest[...open]
            let after = rest.index(after: open)
            guard let close = rest[after...].firstIndex(of: "'") else {
                rest = rest[after...]
                break
            }
            let quoted = rest[after..<close]
            if quoted.utf8.count > longestQuote {
                let head = quoted.prefix(longestQuote / 2)
                let tail = quoted.suffix(32)
                output += head + "…[\(quoted.utf8.count - head.utf8.count - tail.utf8.count) bytes left out]…" + tail
            } else {
                output += quoted
            }
            output += "'"
            rest = rest[rest.index(after: close)...]
        }
        output += rest
        // Whatever is not quoted is the server's own words, except that a very long
        // message is still bounded.
        if output.utf8.count > 64 * 1024 { output = String(output.prefix(64 * 1024)) + "…[error cut at 64 KiB]" }
        return output
    }
}
