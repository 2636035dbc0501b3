import AIFS
import AIFSWatch
import Foundation
import MCP

/// `start_watching`, `get_watch_events`, `stop_watching` and `get_watcher_stats`: the
/// watcher through the facade, its events kept in ``WatchRegistry`` between calls.
enum WatchTools {
    /// Watching changes no file, so the tools are read-only for MCP; they are not
    /// idempotent (each start makes a new watcher, each read moves the cursor on).
    static let annotations = Tool.Annotations(
        readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: false)

    /// How long `start_watching` waits for the initial scan before it answers.
    static let readyTimeout: Duration = .seconds(10)

    static let watchIDSchema = Schema.string("The watchId start_watching returned.", example: "w1")

    static let eventSchema = Schema.object(
        [
            "event": Schema.string(
                "What happened (chokidar's names); ready: the initial scan is done; rescan: the kernel dropped events and the tree was scanned again (re-read what you cache).",
                example: "change",
                enum: ["add", "addDir", "change", "unlink", "unlinkDir", "rename", "ready", "rescan", "error"]),
            "path": Schema.string("The entry, relative to the first root when inside it.", example: "Sources/App/main.swift"),
            "time": Schema.string("When the watcher saw it (UTC, ISO 8601).", example: "2026-11-26T17:30:00.123Z"),
            "from": Schema.string("For rename: the old path.", example: "Sources/App/old.swift"),
            "message": Schema.string("For error: what went wrong.", example: "cannot read 'build': permission denied"),
        ], required: ["event", "path", "time"])

    /// `true`, `false` or `{stabilityThreshold, pollInterval}` (ms) as the option.
    static func awaitWriteFinish(_ value: Value?) throws(ToolFailure) -> AwaitWriteFinish? {
        guard let value else { return nil }
        if let enabled = value.boolValue { return enabled ? AwaitWriteFinish() : nil }
        guard let object = value.objectValue else {
            throw ToolFailure(
                "invalidArgument",
                "start_watching: 'awaitWriteFinish' must be true, false or {stabilityThreshold, pollInterval} in ms, not \(value)")
        }
        let unknown = object.keys.filter { $0 != "stabilityThreshold" && $0 != "pollInterval" }.sorted()
        guard unknown.isEmpty else {
            throw ToolFailure(
                "invalidArgument",
                "start_watching: awaitWriteFinish has unknown fields \(unknown.joined(separator: ", ")); only stabilityThreshold and pollInterval")
        }
        var option = AwaitWriteFinish()
        for (name, field) in object {
            guard let milliseconds = field.intValue, (1...86_400_000).contains(milliseconds) else {
                throw ToolFailure(
                    "invalidArgument", "start_watching: awaitWriteFinish.\(name) must be a number of milliseconds from 1 to 86400000, not \(field)")
            }
            if name == "stabilityThreshold" {
                option.stabilityThreshold = .milliseconds(milliseconds)
            } else {
                option.pollInterval = .milliseconds(milliseconds)
            }
        }
        return option
    }

    // MARK: start_watching

    static let startWatching = ToolDefinition(
        tool: Tool(
            name: "start_watching",
            title: "Start watching for changes",
            description: """
                Watch files or trees (inotify; polling on network/FUSE); returns a watchId once ready, for \
                get_watch_events and stop_watching. At most 16.
                """,
            inputSchema: Schema.object(
                [
                    "paths": Schema.array(
                        Schema.string("A file or directory inside the roots."),
                        "Files, or directories (recursive).", example: ["Sources", "Package.swift"]),
                    "ignored": Schema.array(
                        Schema.string("A gitignore line, matched against the path relative to its watched root."),
                        "Gitignore-style patterns to leave out.",
                        example: ["node_modules/", "*.tmp"]),
                    "depth": Schema.integer(
                        "Levels of subdirectories to watch.",
                        example: 2, minimum: 0, maximum: 1000),
                    "ignoreInitial": Schema.boolean(
                        "Skip add events for what exists now; default true.",
                        example: true),
                    "awaitWriteFinish": .object([
                        "description": .string(
                            "Report add/change once the size is stable: true (2 s) or {stabilityThreshold, pollInterval} ms."),
                        "anyOf": [
                            Schema.boolean("true: the default threshold and interval."),
                            Schema.object(
                                [
                                    "stabilityThreshold": Schema.integer("How long the size must stay the same, in ms.", example: 2000, minimum: 1),
                                    "pollInterval": Schema.integer("How often the size is checked, in ms.", example: 100, minimum: 1),
                                ], required: []),
                        ],
                        "examples": [.bool(true), ["stabilityThreshold": 500, "pollInterval": 50]],
                    ]),
                    "atomic": Schema.boolean(
                        "An atomic save (re-created within 100 ms) as one change (default true).",
                        example: true),
                    "usePolling": Schema.boolean(
                        "Poll stat snapshots instead of inotify.",
                        example: false),
                    "interval": Schema.integer("Polling interval in ms (default 100).", example: 1000, minimum: 10, maximum: 86_400_000),
                    "gitignore": Schema.boolean("Also leave out what .gitignore excludes.", example: true),
                ], required: ["paths"]),
            annotations: annotations,
            outputSchema: Schema.object(
                [
                    "watchId": Schema.string("Pass to get_watch_events, get_watcher_stats and stop_watching.", example: "w1"),
                    "paths": Schema.array(Schema.string("A watched path."), "The watched paths, relative to the first root when inside it.", example: ["Sources"]),
                    "ready": Schema.boolean("Whether the initial scan finished before the answer (false: it took over 10 s, or a root vanished; events still come)."),
                    "watches": Schema.integer("Kernel watches in use (one per directory).", example: 42),
                    "backends": Schema.object(
                        [:], description: "Each watched root and the backend watching it (inotify or polling).", closed: false),
                    "nextCursor": Schema.string("The cursor of the first event after the initial scan.", example: "0"),
                ], required: ["watchId", "paths", "ready", "watches", "backends", "nextCursor"])),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown([
                "paths", "ignored", "depth", "ignoreInitial", "awaitWriteFinish", "atomic", "usePolling", "interval", "gitignore",
            ])
            guard let paths = try arguments.strings("paths"), !paths.isEmpty else {
                throw ToolFailure("invalidArgument", "start_watching: missing required argument 'paths'; pass the files or directories to watch, e.g. [\".\"]")
            }
            var options = WatchOptions()
            options.ignored = try arguments.strings("ignored") ?? []
            options.depth = try arguments.int("depth", minimum: 0, maximum: 1000)
            options.ignoreInitial = try arguments.bool("ignoreInitial") ?? true
            options.awaitWriteFinish = try awaitWriteFinish(arguments.value("awaitWriteFinish"))
            if try arguments.bool("atomic") == false { options.atomic = nil }
            options.usePolling = try arguments.bool("usePolling") ?? false
            if let interval = try arguments.int("interval", minimum: 10, maximum: 86_400_000) {
                options.interval = .milliseconds(interval)
            }
            options.gitignore = try arguments.bool("gitignore") ?? false
            // followSymlinks is not offered: a followed link could lead the watch out of
            // the roots.
            let service = context.service
            let chosen = options
            let watcher = try await onDedicatedThread { () throws(ToolFailure) -> Watcher in
                do throws(WatchError) { return try service.watch(paths, options: chosen) } catch {
                    throw ToolFailure("\(error.code)", "start_watching: \(error.message)")
                }
            }
            let resolved = paths.compactMap { try? context.resolve($0) }
            let id = try context.watchers.add(watcher, paths: resolved, service: service, now: WatchTools.now())
            let ready = await context.watchers.waitUntilReady(id, timeout: readyTimeout)
            if Task.isCancelled {
                // The client will never learn the id: stop the watcher rather than leak it.
                _ = context.watchers.stop(id)
                throw ToolFailure("cancelled", "start_watching: the client cancelled the request")
            }
            let snapshot = context.watchers.snapshots(id).first
            let stats = snapshot?.stats ?? watcher.stats
            let backends = stats.backends.sorted { $0.key < $1.key }
            let structured: Value = [
                "watchId": .string(id), "paths": .strings(resolved.map(context.display)), "ready": .bool(ready),
                "watches": .int(stats.watches),
                "backends": .object(Dictionary(uniqueKeysWithValues: backends.map { (context.display($0.key), Value.string($0.value)) })),
                "nextCursor": .string(String(snapshot?.events ?? 0)),
            ]
            let text = """
                watching \(resolved.map(context.display).joined(separator: ", ")) as \(id) \
                (\(stats.watches) kernel watches, \(backends.map(\.value).uniqued().joined(separator: ", "))\
                \(ready ? "" : "; the initial scan is still running")); call get_watch_events with watchId \(id)
                """
            return ToolOutput(structured: structured, text: text)
        })

    // MARK: get_watch_events

    static let getWatchEvents = ToolDefinition(
        tool: Tool(
            name: "get_watch_events",
            title: "Changes seen by a watcher",
            description: """
                A watcher's events, oldest first, from the last call or a cursor; dropped > 0: events were \
                lost, re-read what you rely on.
                """,
            inputSchema: Schema.object(
                [
                    "watchId": watchIDSchema,
                    "cursor": Schema.string("A nextCursor (default: where the last call ended).", example: "120"),
                    "max": Schema.integer("Events per call (default 100).", example: 100, minimum: 1, maximum: 10000),
                ], required: ["watchId"]),
            annotations: annotations,
            outputSchema: Schema.object(
                [
                    "watchId": Schema.string("The watcher.", example: "w1"),
                    "events": Schema.array(eventSchema, "The events, oldest first."),
                    "nextCursor": Schema.string("Pass as cursor to read on from here.", example: "121"),
                    "truncated": Schema.boolean("Whether more events are waiting now."),
                    "dropped": Schema.integer("Events between the cursor and the first event returned that were dropped unread.", example: 0),
                    "running": Schema.boolean("False when the watch has ended (every watched root is gone)."),
                ], required: ["watchId", "events", "nextCursor", "truncated", "dropped", "running"])),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown(["watchId", "cursor", "max"])
            let id = try arguments.requiredString("watchId")
            let limit = try arguments.int("max", minimum: 1, maximum: 10000) ?? 100
            let cursor = try arguments.string("cursor") == nil ? nil : try arguments.cursor()
            guard let page = context.watchers.events(id, cursor: cursor, limit: limit, markRead: false) else {
                throw unknownWatcher(id, tool: "get_watch_events", context: context)
            }
            /// The page's first `count` events as the answer shows them.
            func render(_ count: Int) -> ToolOutput {
                let shownEvents = page.events.prefix(count)
                let nextCursor = count < page.events.count ? page.events[count].sequence : page.nextCursor
                let waiting = page.more || count < page.events.count
                var values: [Value] = []
                var lines: [String] = []
                for numbered in shownEvents {
                    let event = numbered.event
                    var value: [String: Value] = [
                        "event": .string(event.kind.name), "path": .string(context.display(event.path)),
                        "time": .string(time(event.timestamp)),
                    ]
                    var line = "\(event.kind.name) \(context.display(event.path))"
                    switch event.kind {
                    case .rename(let from):
                        value["from"] = .string(context.display(from))
                        line = "rename \(context.display(from)) -> \(context.display(event.path))"
                    case .error(let message):
                        value["message"] = .string(message)
                        line += ": \(message)"
                    default:
                        break
                    }
                    values.append(.object(value))
                    lines.append(line)
                }
                if page.missed > 0 { lines.insert("[\(page.missed) events were dropped before they were read]", at: 0) }
                if values.isEmpty { lines.append("no new events") }
                if waiting { lines.append("[more events; call again with cursor \(nextCursor)]") }
                if page.ended { lines.append("[the watch has ended: every watched root is gone]") }
                return ToolOutput(
                    structured: [
                        "watchId": .string(id), "events": .array(values), "nextCursor": .string(String(nextCursor)),
                        "truncated": .bool(waiting), "dropped": .int(page.missed), "running": .bool(!page.ended),
                    ],
                    text: lines.joined(separator: "\n"))
            }
            let count = context.budget.fittingCount(page.events[...]) { slice in render(slice.count) }
            context.watchers.markRead(id, upTo: count < page.events.count ? page.events[count].sequence : page.nextCursor)
            return render(count)
        })

    // MARK: stop_watching

    static let stopWatching = ToolDefinition(
        tool: Tool(
            name: "stop_watching",
            title: "Stop a watcher",
            description: "Stop a watcher and free its kernel watches; unread events are discarded.",
            inputSchema: Schema.object(["watchId": watchIDSchema], required: ["watchId"]),
            annotations: annotations,
            outputSchema: Schema.object(
                [
                    "watchId": Schema.string("The watcher stopped.", example: "w1"),
                    "events": Schema.integer("Events it reported in all.", example: 12),
                ], required: ["watchId", "events"])),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown(["watchId"])
            let id = try arguments.requiredString("watchId")
            guard let entry = context.watchers.stop(id) else {
                throw unknownWatcher(id, tool: "stop_watching", context: context)
            }
            return ToolOutput(
                structured: ["watchId": .string(id), "events": .int(entry.nextSequence)],
                text: "stopped \(id) (\(entry.nextSequence) events reported)")
        })

    // MARK: get_watcher_stats

    static let getWatcherStats = ToolDefinition(
        tool: Tool(
            name: "get_watcher_stats",
            title: "Watcher statistics",
            description: """
                Paths, event counts, kernel watches, backends and rescans of one watcher or all.
                """,
            inputSchema: Schema.object(["watchId": Schema.string("One watcher (default: every watcher).", example: "w1")]),
            annotations: annotations,
            outputSchema: Schema.object(
                [
                    "watchers": Schema.array(
                        Schema.object(
                            [
                                "watchId": Schema.string("The watcher.", example: "w1"),
                                "paths": Schema.array(Schema.string("A watched path."), "The watched paths.", example: ["Sources"]),
                                "events": Schema.integer("Events reported in all.", example: 12),
                                "eventCounts": Schema.object([:], description: "Events by kind, e.g. {\"change\": 10, \"add\": 2}.", closed: false),
                                "watches": Schema.integer("Kernel watches in use.", example: 42),
                                "backends": Schema.object([:], description: "Each watched root and its backend.", closed: false),
                                "rescans": Schema.integer("Kernel queue overflows, each followed by a rescan.", example: 0),
                                "bufferedEvents": Schema.integer("Events kept for get_watch_events.", example: 12),
                                "droppedEvents": Schema.integer("Events dropped unread (the buffer was full).", example: 0),
                                "ready": Schema.boolean("Whether the initial scan is done."),
                                "running": Schema.boolean("False when the watch has ended (every root gone)."),
                                "startedAt": Schema.string("When it started (UTC, ISO 8601).", example: "2026-11-26T17:30:00.123Z"),
                            ], required: ["watchId", "paths", "events", "eventCounts", "watches", "backends", "bufferedEvents", "droppedEvents"]),
                        "The watchers, in the order they were started."),
                ], required: ["watchers"])),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown(["watchId"])
            let id = try arguments.string("watchId")
            let snapshots = context.watchers.snapshots(id)
            if let id, snapshots.isEmpty { throw unknownWatcher(id, tool: "get_watcher_stats", context: context) }
            let lines = snapshots.map { snapshot in
                "\(snapshot.id): \(snapshot.paths.map(context.display).joined(separator: ", ")): \(snapshot.events) events, "
                    + "\(snapshot.stats.watches) watches, \(snapshot.buffered) buffered, \(snapshot.dropped) dropped"
                    + (snapshot.ended ? " (ended)" : "")
            }
            return ToolOutput(
                structured: ["watchers": .array(snapshots.map { value($0, context: context) })],
                text: lines.isEmpty ? "no watchers; start one with start_watching" : lines.joined(separator: "\n"))
        })

    /// One watcher as `get_watcher_stats` and `get_filesystem_stats` show it.
    static func value(_ snapshot: WatchRegistry.Snapshot, context: ToolContext) -> Value {
        [
            "watchId": .string(snapshot.id), "paths": .strings(snapshot.paths.map(context.display)),
            "events": .int(snapshot.events),
            "eventCounts": .object(snapshot.counts.mapValues { .int($0) }),
            "watches": .int(snapshot.stats.watches),
            "backends": .object(Dictionary(uniqueKeysWithValues: snapshot.stats.backends.map { (context.display($0.key), Value.string($0.value)) })),
            "rescans": .int(snapshot.stats.rescans), "bufferedEvents": .int(snapshot.buffered),
            "droppedEvents": .int(snapshot.dropped), "ready": .bool(snapshot.ready), "running": .bool(!snapshot.ended),
            "startedAt": .string(time(snapshot.startedAt)),
        ]
    }

    static func unknownWatcher(_ id: String, tool: String, context: ToolContext) -> ToolFailure {
        let running = context.watchers.ids()
        return ToolFailure(
            "unknownWatcher",
            "\(tool): no watcher '\(id)'; "
                + (running.isEmpty
                    ? "none is running (start one with start_watching)"
                    : "the running watchers are \(running.joined(separator: ", "))"))
    }

    /// Nanoseconds since the Unix epoch now.
    static func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1e9).rounded())
    }

    /// A timestamp in nanoseconds since the Unix epoch as UTC ISO 8601 with
    /// milliseconds.
    static func time(_ nanoseconds: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(nanoseconds) / 1e9)
        return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

extension Array where Element: Hashable {
    /// The elements without repeats, in their first order.
    func uniqued() -> [Element] {
        var seen: Set<Element> = []
        return filter { seen.insert($0).inserted }
    }
}
