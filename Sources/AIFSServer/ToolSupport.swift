import AIFS
import AIFSCore
import AIFSSearch
import Dispatch
import Foundation
import MCP
import Synchronization

/// A tool call that failed: the message an agent sees, in a result with `isError: true`.
struct ToolFailure: Error, Sendable {
    /// What went wrong and what to do.
    var message: String
    /// A short machine-readable kind: `outsideRoots`, `notFound`, `invalidArgument`, …
    var code: String

    init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    init(_ error: CoreError) {
        self.init("\(error.code)", Self.worded(error))
    }

    /// The error's message, with its hint in this server's words (its tools and
    /// arguments; the CLI words the same hints with its flags).
    static func worded(_ error: some AIFSError) -> String {
        error.message { hint in
            switch hint {
            case .listDirectory: "list it with list_directory or directory_tree, or pass a file"
            case .readByteRange: "ask for a byte range instead (read_file's byteOffset and byteLength give base64)"
            case .allowOverwrite: "set overwrite to true to replace it"
            default: nil
            }
        }
    }

    init(_ error: SearchError) {
        self.init("\(error.code)", error.message)
    }
}

/// What a tool returns when it succeeds: the structured result (matching the tool's
/// output schema) and its short text rendering.
struct ToolOutput: Sendable {
    var structured: Value
    var text: String
}

/// A tool: its description for `tools/list` and what it does.
struct ToolDefinition: Sendable {
    var tool: Tool
    var run: @Sendable (Arguments, ToolContext) async throws(ToolFailure) -> ToolOutput
}

/// What every tool call gets: the facade, how to show paths, the server's running
/// watchers, and where its progress goes.
struct ToolContext: Sendable {
    /// The roots and the facade over them, which the client's roots may replace.
    let workspace: Workspace
    /// The facade, confined to the roots in force.
    var service: FileService { workspace.current.service }
    /// The roots in force.
    var roots: Roots { workspace.current.roots }
    let watchers: WatchRegistry
    /// The tracker behind `get_clock` and `changes_since`, started on first use.
    let changes = ChangeTracking()
    /// The results of paged queries, so later pages do not shift.
    let snapshots = ResultSnapshots()
    /// The server's tool calls, counted.
    let calls = CallCounters()
    /// `search_content` calls searching at once (``searchConcurrency``); the others wait.
    let searches = ConcurrencyLimit(ToolContext.searchConcurrency)
    /// Searches at once: each one already runs on every core, so more only add memory
    /// (buffers and collected lines per search), not speed.
    static let searchConcurrency = max(2, DedicatedThreads.processorCount)
    /// Sends this call's progress notifications; `nil` when the request carried no
    /// progress token.
    var progress: ProgressReporter? = nil
    /// The bound on every answer (`--max-output-bytes`).
    let budget: OutputBudget
    /// The live indexes of the roots (off with `--no-index`).
    let indexing: Indexing

    /// A context over `roots` with `service` confined to them.
    init(
        service: FileService, roots: Roots, watchers: WatchRegistry, pinned: Bool = true, budget: OutputBudget = OutputBudget(),
        indexing: Indexing = Indexing(enabled: false)
    ) {
        workspace = Workspace(service: service, roots: roots, pinned: pinned)
        self.watchers = watchers
        self.budget = budget
        self.indexing = indexing
    }

    /// A canonical path as shown to the agent: relative to the first root when inside
    /// it (tools resolve relative paths against the first root, so it round-trips),
    /// otherwise absolute.
    func display(_ path: String) -> String {
        let first = roots.paths[0]
        if path == first { return "." }
        let prefix = first.hasSuffix("/") ? first : first + "/"
        if path.hasPrefix(prefix) { return String(path.dropFirst(prefix.count)) }
        return path
    }

    /// A path through the roots' gate (the same one the facade uses).
    func resolve(_ path: String) throws(ToolFailure) -> String {
        do { return try roots.resolve(path) } catch { throw ToolFailure(error) }
    }
}

/// The server's tool calls: running now, and how each finished.
///
/// ## Threading
/// Any thread; each figure is atomic on its own.
final class CallCounters: Sendable {
    /// Calls started and not finished.
    let running = Atomic<Int>(0)
    /// Calls answered with a result.
    let succeeded = Atomic<Int>(0)
    /// Calls answered with an error result.
    let failed = Atomic<Int>(0)
    /// Calls the client cancelled (`notifications/cancelled`), which got no answer.
    let cancelled = Atomic<Int>(0)
}

/// Runs blocking file-system work on the shared ``AIFSCore/BlockingExecutor``, never
/// on the cooperative pool.
func onDedicatedThread<T: Sendable>(
    _ body: @escaping @Sendable () throws(ToolFailure) -> T
) async throws(ToolFailure) -> T {
    try await BlockingExecutor.shared.perform(body)
}

/// Runs blocking work that cannot fail on the shared ``AIFSCore/BlockingExecutor``.
func onDedicatedThreadNonThrowing<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await BlockingExecutor.shared.perform(body)
}

/// A tool's arguments, decoded with messages that name the argument and what was
/// expected.
struct Arguments: Sendable {
    let tool: String
    let values: [String: Value]

    /// Refuses names the tool does not know (a misspelt `lineStart` silently ignored
    /// would return the wrong lines).
    func checkKnown(_ names: [String]) throws(ToolFailure) {
        let unknown = values.keys.filter { !names.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw ToolFailure(
                "invalidArgument",
                "\(tool): unknown argument\(unknown.count == 1 ? "" : "s") \(unknown.map { "'\($0)'" }.joined(separator: ", ")); "
                    + "the arguments are \(names.joined(separator: ", "))")
        }
    }

    private func present(_ name: String) -> Value? {
        guard let value = values[name], !value.isNull else { return nil }
        return value
    }

    /// The raw value of an argument, or `nil` when it is absent or null.
    func value(_ name: String) -> Value? { present(name) }

    private func mistyped(_ name: String, _ expected: String, _ value: Value) -> ToolFailure {
        ToolFailure("invalidArgument", "\(tool): argument '\(name)' must be \(expected), not \(value)")
    }

    func requiredString(_ name: String) throws(ToolFailure) -> String {
        guard let value = try string(name) else {
            throw ToolFailure("invalidArgument", "\(tool): missing required argument '\(name)'")
        }
        return value
    }

    func string(_ name: String) throws(ToolFailure) -> String? {
        guard let value = present(name) else { return nil }
        guard let string = value.stringValue else { throw mistyped(name, "a string", value) }
        return string
    }

    func int(_ name: String, minimum: Int? = nil, maximum: Int? = nil) throws(ToolFailure) -> Int? {
        guard let value = present(name) else { return nil }
        let number: Int
        if let int = value.intValue {
            number = int
        } else if let double = value.doubleValue, double.rounded() == double, abs(double) < 1e15 {
            number = Int(double)
        } else {
            throw mistyped(name, "an integer", value)
        }
        if let minimum, number < minimum {
            throw ToolFailure("invalidArgument", "\(tool): argument '\(name)' must be at least \(minimum), not \(number)")
        }
        if let maximum, number > maximum {
            throw ToolFailure("invalidArgument", "\(tool): argument '\(name)' must be at most \(maximum), not \(number)")
        }
        return number
    }

    func bool(_ name: String) throws(ToolFailure) -> Bool? {
        guard let value = present(name) else { return nil }
        guard let bool = value.boolValue else { throw mistyped(name, "true or false", value) }
        return bool
    }

    func strings(_ name: String) throws(ToolFailure) -> [String]? {
        guard let value = present(name) else { return nil }
        if let single = value.stringValue { return [single] }
        guard let array = value.arrayValue else { throw mistyped(name, "an array of strings", value) }
        var result: [String] = []
        for element in array {
            guard let string = element.stringValue else { throw mistyped(name, "an array of strings", value) }
            result.append(string)
        }
        return result
    }

    /// An object whose values are strings (`{"a.txt": "…"}`).
    func stringMap(_ name: String) throws(ToolFailure) -> [String: String]? {
        guard let value = present(name) else { return nil }
        guard let object = value.objectValue else { throw mistyped(name, "an object of strings", value) }
        var result: [String: String] = [:]
        for (key, element) in object {
            guard let string = element.stringValue else {
                throw ToolFailure("invalidArgument", "\(tool): '\(name)' must map each path to a version string; '\(key)' maps to \(element)")
            }
            result[key] = string
        }
        return result
    }

    /// A cursor from a previous result: the offset of the next item.
    func cursor() throws(ToolFailure) -> Int {
        guard let text = try string("cursor") else { return 0 }
        guard let offset = Int(text), offset >= 0 else {
            throw ToolFailure(
                "invalidArgument",
                "\(tool): cursor '\(text)' is not one this server gave; pass the nextCursor of a previous result, or leave it out to start")
        }
        return offset
    }
}

/// Builders for the JSON Schemas of the tools' arguments and results.
enum Schema {
    static func object(
        _ properties: KeyValuePairs<String, Value>, required: [String] = [], description: String? = nil,
        closed: Bool = true
    ) -> Value {
        var object: [String: Value] = [
            "type": "object",
            "properties": .object(Dictionary(uniqueKeysWithValues: properties.map { ($0.key, $0.value) })),
        ]
        if !required.isEmpty { object["required"] = .array(required.map { .string($0) }) }
        if closed { object["additionalProperties"] = false }
        if let description { object["description"] = .string(description) }
        return .object(object)
    }

    static func string(_ description: String, example: String? = nil, enum values: [String]? = nil) -> Value {
        var object: [String: Value] = ["type": "string", "description": .string(description)]
        if let example { object["examples"] = [.string(example)] }
        if let values { object["enum"] = .array(values.map { .string($0) }) }
        return .object(object)
    }

    static func integer(_ description: String, example: Int? = nil, minimum: Int? = nil, maximum: Int? = nil) -> Value {
        var object: [String: Value] = ["type": "integer", "description": .string(description)]
        if let example { object["examples"] = [.int(example)] }
        if let minimum { object["minimum"] = .int(minimum) }
        if let maximum { object["maximum"] = .int(maximum) }
        return .object(object)
    }

    static func boolean(_ description: String, example: Bool? = nil) -> Value {
        var object: [String: Value] = ["type": "boolean", "description": .string(description)]
        if let example { object["examples"] = [.bool(example)] }
        return .object(object)
    }

    static func array(_ items: Value, _ description: String, example: [Value]? = nil) -> Value {
        var object: [String: Value] = ["type": "array", "items": items, "description": .string(description)]
        if let example { object["examples"] = [.array(example)] }
        return .object(object)
    }

    static func nullable(_ schema: Value) -> Value {
        guard case .object(var object) = schema, let type = object["type"] else { return schema }
        object["type"] = [type, "null"]
        return .object(object)
    }

    /// The output fields every bounded listing shares.
    static let truncated = boolean("Whether more results exist than were returned; pass nextCursor to get them.")
    static let nextCursor = nullable(string("Pass as `cursor` to get the next page; null on the last page.", example: "100"))
}

extension Value {
    /// A JSON array of strings.
    static func strings(_ strings: [String]) -> Value { .array(strings.map { .string($0) }) }
}
