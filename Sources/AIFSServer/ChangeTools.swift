import AIFS
import AIFSCore
import AIFSWatch
import AIFSWork
import MCP
import Synchronization

/// The server's one ``AIFS/ChangeTracker`` over all its roots, started by the first
/// `get_clock` or `changes_since`.
///
/// ## Threading
/// Any thread; ``tracker(roots:)`` blocks while the first call starts it.
final class ChangeTracking: Sendable {
    private let started = Mutex<ChangeTracker?>(nil)
    /// The tracker once started; never locked for long, unlike `started`, which is
    /// held through the start's initial scan.
    private let published = Mutex<ChangeTracker?>(nil)

    /// The running tracker, started over `roots` if it is not running yet.
    func tracker(roots: [String]) throws(WatchError) -> ChangeTracker {
        // Held while starting, so two first calls start one tracker.
        try started.withLock { running throws(WatchError) -> ChangeTracker in
            if let running { return running }
            let tracker = try ChangeTracker(roots: roots)
            running = tracker
            published.withLock { $0 = tracker }
            return tracker
        }
    }

    /// The clock every answer carries: the running tracker's clock of what it has
    /// recorded (no cookie sync), or nil while no `get_clock` or `changes_since` has
    /// started one. Never starts the tracker: a watcher over every root on every
    /// server, for answers that an agent may never use, costs an inotify instance, a
    /// thread and a walk of the roots.
    var recordedClock: String? {
        published.withLock { $0 }?.recordedClock()
    }
}

/// `get_clock` and `changes_since`: what changed since the agent's last turn, with
/// watchman's `since` semantics.
enum ChangeTools {
    static let annotations = Tool.Annotations(readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: false)

    static let getClock = ToolDefinition(
        tool: Tool(
            name: "get_clock",
            title: "The change clock now",
            description: "A clock for changes_since (every answer's structuredContent.clock is one too).",
            inputSchema: Schema.object([:], required: []),
            annotations: annotations,
            outputSchema: Schema.object(
                ["clock": Schema.string("The clock.", example: "aifs:k2x9:42")], required: ["clock"])),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown([])
            let tracking = context.changes
            let roots = context.roots.paths
            let clock = try await onDedicatedThread { () throws(ToolFailure) -> String in
                do throws(WatchError) { return try tracking.tracker(roots: roots).currentClock() } catch {
                    throw ToolFailure("watchFailed", "get_clock: \(error.message)")
                }
            }
            return ToolOutput(structured: ["clock": .string(clock)], text: "clock \(clock)")
        })

    static let defaultLimit = 500

    static let changesSince = ToolDefinition(
        tool: Tool(
            name: "changes_since",
            title: "What changed since a clock",
            description: """
                Files created, changed, deleted or renamed under path since a clock, with versions, complete \
                up to the call. Paged.
                """,
            inputSchema: Schema.object(
                [
                    "clock": Schema.string("A clock from get_clock or any answer."),
                    "path": Schema.string("Only under this directory (default: first root)."),
                    "limit": Schema.integer("Entries per page (default 500).", minimum: 1, maximum: 5000),
                    "cursor": Schema.string("A previous nextCursor."),
                ], required: ["clock"]),
            annotations: annotations,
            outputSchema: Schema.object(
                [
                    "changes": Schema.array(
                        Schema.object(
                            [
                                "path": Schema.string("The file."),
                                "kind": Schema.string("What happened.", enum: ["created", "changed", "deleted", "renamed"]),
                                "version": Schema.nullable(Schema.string("The file's content version now; null when deleted.")),
                                "from": Schema.nullable(Schema.string("For renamed: the old path.")),
                            ], required: ["path", "kind"], closed: false),
                        "One entry per file, sorted by path."),
                    "clock": Schema.string("The clock to pass next time."),
                    "isFreshInstance": Schema.boolean("The answer lists what exists, not what changed since the clock."),
                    "truncated": Schema.boolean("More entries follow: pass nextCursor."),
                    "nextCursor": Schema.nullable(Schema.string("Continues this answer.")),
                ], required: ["changes", "clock", "isFreshInstance", "truncated"])),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown(["clock", "path", "limit", "cursor"])
            let clock = try arguments.requiredString("clock")
            let path = try arguments.string("path") ?? "."
            let limit = try arguments.int("limit", minimum: 1, maximum: 5000) ?? defaultLimit
            let cursor = try arguments.string("cursor")
            let directory = try context.resolve(path)
            // A cursor is the clock of the first page and the last path shown.
            var since = clock
            var after: String?
            if let cursor {
                guard let separator = cursor.firstIndex(of: "|") else {
                    throw ToolFailure("invalidArgument", "changes_since: '\(cursor)' is not a cursor from changes_since; call it again without cursor")
                }
                since = String(cursor[..<separator])
                after = String(cursor[cursor.index(after: separator)...])
            }
            let tracking = context.changes
            let roots = context.roots.paths
            let service = context.service
            let (since_, after_) = (since, after)
            let (answer, versions) = try await onDedicatedThread { () throws(ToolFailure) -> (ChangeTracker.Answer, [String: String]) in
                let answer: ChangeTracker.Answer
                do throws(WatchError) {
                    answer = try tracking.tracker(roots: roots).changes(since: since_, under: directory, after: after_, limit: limit)
                } catch {
                    throw ToolFailure("watchFailed", "changes_since: \(error.message)")
                }
                var versions: [String: String] = [:]
                for change in answer.changes where change.kind != "deleted" {
                    if let version = try? service.version(of: change.path) { versions[change.path] = version.description }
                }
                return (answer, versions)
            }
            /// The first `count` changes as the answer shows them.
            func render(_ count: Int) -> ToolOutput {
                let shownChanges = answer.changes.prefix(count)
                var entries: [Value] = []
                var lines: [String] = []
                for change in shownChanges {
                    let shown = context.display(change.path)
                    var entry: [String: Value] = [
                        "path": .string(shown), "kind": .string(change.kind),
                        "version": versions[change.path].map { .string($0) } ?? .null,
                    ]
                    if let from = change.from { entry["from"] = .string(context.display(from)) }
                    entries.append(.object(entry))
                    lines.append("\(change.kind) \(shown)\(change.from.map { " (from \(context.display($0)))" } ?? "")")
                }
                // Cut by the tracker's limit or by the output budget: the cursor goes on
                // after the last path shown.
                let truncated = answer.truncated || count < answer.changes.count
                let next = truncated ? shownChanges.last.map { since + "|" + $0.path } : nil
                var text = answer.isFreshInstance
                    ? "fresh instance: the clock is not this server's, or events were lost; \(entries.count) files exist\(truncated ? " on this page" : "")"
                    : "\(entries.count) change\(entries.count == 1 ? "" : "s") since \(since)"
                if !lines.isEmpty { text += ":\n" + lines.joined(separator: "\n") }
                if let next { text += "\n[more: pass cursor \(next)]" }
                text += "\nclock \(answer.clock)"
                return ToolOutput(
                    structured: [
                        "changes": .array(entries), "clock": .string(answer.clock), "isFreshInstance": .bool(answer.isFreshInstance),
                        "truncated": .bool(truncated), "nextCursor": next.map { .string($0) } ?? .null,
                    ],
                    text: text)
            }
            let fitting = context.budget.fittingCount(answer.changes[...]) { slice in render(slice.count) }
            return render(fitting)
        })
}
