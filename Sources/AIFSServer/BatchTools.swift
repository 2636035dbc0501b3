import AIFS
import AIFSCore
import AIFSSearch
import AIFSWork
import MCP
import Synchronization

/// `batch_operations`: one operation over many files on the worker pool.
enum BatchTools {
    static let operations = ["hash", "count", "search", "stat", "copy", "move", "delete", "rename"]
    static let defaultResults = 200
    static let maximumResults = 1_000

    static let batchOperations = ToolDefinition(
        tool: Tool(
            name: "batch_operations",
            title: "Run one operation over many files",
            description: """
                One operation on many files, on every core: hash, count, search, stat (paged) or copy, move, \
                delete, rename (regex, $1/${name}). Files as search picks them; one result each.
                """,
            inputSchema: Schema.object(
                [
                    "operation": Schema.string("What to do to each file.", example: "hash", enum: operations),
                    "paths": Schema.array(
                        Schema.string("A file or directory."), "Where the files are (default: the first root).",
                        example: ["Sources"]),
                    "glob": Schema.string("Only files matching this glob.", example: "*.swift"),
                    "exclude": DirectoryTools.excludeSchema,
                    "pattern": Schema.string(
                        "search: regex (or text with literal); rename: regex on file names.",
                        example: "TODO"),
                    "literal": Schema.boolean("search: pattern is literal text.", example: false),
                    "caseMode": Schema.string(
                        "search: sensitive (default), insensitive or smart.", example: "smart", enum: ["sensitive", "insensitive", "smart"]),
                    "replacement": Schema.string("rename: the new name ($1, ${name}, $0).", example: "$1.md"),
                    "destination": Schema.string("copy/move: the target directory.", example: "backup"),
                    "dryRun": Schema.boolean("For changes: only report what would happen.", example: true),
                    "overwrite": Schema.boolean("copy/move/rename: replace existing files.", example: false),
                    "maxResults": Schema.integer(
                        "Results per page (default 200).", example: 200, minimum: 1, maximum: maximumResults),
                    "cursor": DirectoryTools.cursorSchema,
                ], required: ["operation"]),
            annotations: Tool.Annotations(readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false),
            outputSchema: Schema.object(
                [
                    "operation": Schema.string("The operation run.", example: "hash"),
                    "results": Schema.array(
                        Schema.object(
                            [
                                "path": Schema.string("The file.", example: "Sources/App/main.swift"),
                                "ok": Schema.boolean("Whether the operation succeeded for this file."),
                                "error": Schema.nullable(Schema.string("Why it failed for this file.")),
                            ], required: ["path", "ok"], closed: false),
                        "One result per file (hash: sha256; count: lines, words, bytes; search: matchingLines; stat: kind, size, permissions; changes: destination or removed, and dryRun)."),
                    "summary": Schema.object(
                        [
                            "files": Schema.integer("Files chosen in all.", example: 1200),
                            "processed": Schema.integer("Files this call worked on.", example: 200),
                            "succeeded": Schema.integer("Of those, how many succeeded.", example: 199),
                            "failed": Schema.integer("Of those, how many failed.", example: 1),
                            "notTried": Schema.integer("Files not tried because the call was cancelled.", example: 0),
                            "bytes": Schema.integer("Bytes read.", example: 10_485_760),
                            "elapsedMs": Schema.number("Wall-clock time of the work in milliseconds.", example: 41.5),
                        ], required: ["files", "processed", "succeeded", "failed"], closed: false),
                    "walkErrors": DirectoryTools.errorsSchema,
                    "truncated": Schema.truncated,
                    "nextCursor": Schema.nextCursor,
                ], required: ["operation", "results", "summary", "truncated", "nextCursor"])),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown([
                "operation", "paths", "glob", "exclude", "pattern", "literal", "caseMode", "replacement", "destination",
                "dryRun", "overwrite", "maxResults", "cursor",
            ])
            let name = try arguments.requiredString("operation")
            let operation = try makeOperation(name, arguments)
            let paths = try arguments.strings("paths") ?? ["."]
            guard !paths.isEmpty else { throw ToolFailure("invalidArgument", "batch_operations: 'paths' is empty; leave it out for the first root") }
            let limit = try arguments.int("maxResults", minimum: 1, maximum: maximumResults) ?? defaultResults
            let cursor = try arguments.cursor()
            let destination = try arguments.string("destination")
            switch name {
            case "copy", "move":
                guard destination != nil else {
                    throw ToolFailure("invalidArgument", "batch_operations: \(name) needs 'destination', the directory the files go to")
                }
            default:
                guard destination == nil else {
                    throw ToolFailure("invalidArgument", "batch_operations: 'destination' is only for copy and move, not \(name)")
                }
            }
            if operation.changesFiles, cursor != 0 {
                throw ToolFailure(
                    "invalidArgument",
                    "batch_operations: \(name) changes files and runs on every chosen file in one call; it takes no cursor")
            }
            var options = WalkOptions()
            let base = try context.resolve(paths[0])
            options.globBase = (try? FileIdentity(path: base))?.kind == .directory ? base : context.roots.paths[0]
            if let glob = try arguments.string("glob") { options.globs.append(glob) }
            options.globs += (try arguments.strings("exclude") ?? []).map { "!" + $0 }
            var batchOptions = BatchOptions()
            batchOptions.dryRun = try arguments.bool("dryRun") ?? false
            batchOptions.overwrite = try arguments.bool("overwrite") ?? false

            let service = context.service
            let walkOptions = options
            let (items, walkErrors) = try await onDedicatedThread { () throws(ToolFailure) -> ([BatchItem], [CoreError]) in
                do throws(WorkError) {
                    return try service.batchItems(paths, walkOptions: walkOptions, destinationDirectory: destination)
                } catch {
                    throw ToolFailure(error)
                }
            }
            // Reading operations page through the files; changes take them all at once
            // (a second page chosen after the first changed the tree would skip files).
            let chosen = operation.changesFiles ? items[...] : items[min(cursor, items.count)..<min(cursor + limit, items.count)]
            let done = DoneCounter()
            let collected = Mutex<[BatchResult]>([])
            let summary: BatchSummary
            do throws(WorkError) {
                summary = try await withProgress(context.progress, total: chosen.count, done: done) { () async throws(WorkError) -> BatchSummary in
                    try await service.runBatch(Array(chosen), operation: operation, options: batchOptions) { result in
                        done.value.add(1, ordering: .relaxed)
                        collected.withLock { $0.append(result) }
                    }
                }
            } catch {
                throw ToolFailure(error)
            }
            if Task.isCancelled { throw ToolFailure("cancelled", "batch_operations: the client cancelled the request") }

            var results = collected.withLock { $0 }
            var truncated = false
            var next: Value = .null
            if operation.changesFiles {
                // Failures first: they are what needs attention.
                results.sort { lhs, rhs in
                    let (left, right) = (lhs.isFailure, rhs.isFailure)
                    return left != right ? left : lhs.index < rhs.index
                }
                truncated = results.count > limit
                results = Array(results.prefix(limit))
            } else if cursor + chosen.count < items.count {
                truncated = true
                next = .string(String(cursor + chosen.count))
            }
            let values = results.map { value(of: $0, context: context) }
            let elapsed = summary.elapsed.components
            let milliseconds = Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
            let structured: Value = [
                "operation": .string(name),
                "results": .array(values),
                "summary": [
                    "files": .int(items.count), "processed": .int(summary.total), "succeeded": .int(summary.succeeded),
                    "failed": .int(summary.failed), "notTried": .int(summary.notTried), "bytes": .int(Int(summary.bytes)),
                    "elapsedMs": .double(milliseconds),
                ],
                "walkErrors": .array(walkErrors.prefix(20).map { .string($0.message) }),
                "truncated": .bool(truncated),
                "nextCursor": next,
            ]
            var lines = results.map { render($0, context: context) }
            lines.append(
                "\(name): \(summary.succeeded) ok, \(summary.failed) failed of \(summary.total) processed (\(items.count) files chosen)"
                    + (batchOptions.dryRun && operation.changesFiles ? ", dry run: nothing changed" : "")
                    + (truncated ? "; more results: \(next.stringValue.map { "cursor \($0)" } ?? "failures are listed first")" : ""))
            return ToolOutput(structured: structured, text: lines.joined(separator: "\n"))
        })

    static func makeOperation(_ name: String, _ arguments: Arguments) throws(ToolFailure) -> BatchOperation {
        let pattern = try arguments.string("pattern")
        let replacement = try arguments.string("replacement")
        func refuse(_ argument: String) throws(ToolFailure) {
            throw ToolFailure("invalidArgument", "batch_operations: '\(argument)' does not apply to \(name)")
        }
        if name != "search" {
            if try arguments.bool("literal") != nil { try refuse("literal") }
            if try arguments.string("caseMode") != nil { try refuse("caseMode") }
        }
        if name != "search" && name != "rename", pattern != nil { try refuse("pattern") }
        if name != "rename", replacement != nil { try refuse("replacement") }
        switch name {
        case "hash": return .hash
        case "count": return .count
        case "stat": return .stat
        case "copy": return .copy
        case "move": return .move
        case "delete": return .delete
        case "search":
            guard let pattern, !pattern.isEmpty else {
                throw ToolFailure("invalidArgument", "batch_operations: search needs 'pattern', the text or regex to count")
            }
            var query = SearchQuery(patterns: [pattern])
            query.literal = try arguments.bool("literal") ?? false
            if let mode = try arguments.string("caseMode") {
                guard let parsed = CaseMode(rawValue: mode) else {
                    throw ToolFailure("invalidArgument", "batch_operations: caseMode must be sensitive, insensitive or smart, not '\(mode)'")
                }
                query.caseMode = parsed
            }
            do throws(SearchError) { return .search(try query.makeMatcher()) } catch { throw ToolFailure(error) }
        case "rename":
            guard let pattern, let replacement else {
                throw ToolFailure("invalidArgument", "batch_operations: rename needs 'pattern' (a regex on the file name) and 'replacement'")
            }
            do throws(WorkError) { return .rename(try RenameRule(pattern: pattern, replacement: replacement)) } catch {
                throw ToolFailure(error)
            }
        default:
            throw ToolFailure(
                "invalidArgument", "batch_operations: unknown operation '\(name)'; the operations are \(operations.joined(separator: ", "))")
        }
    }

    /// Files done so far, shared by the result callback and the progress task.
    final class DoneCounter: Sendable {
        let value = Atomic<Int>(0)
    }

    /// Runs `body` while a task reports `done` as progress, when the call asked for it.
    static func withProgress<T: Sendable>(
        _ progress: ProgressReporter?, total: Int, done: DoneCounter,
        _ body: () async throws(WorkError) -> T
    ) async throws(WorkError) -> T {
        guard let progress else { return try await body() }
        let reporter = Task {
            await progress.report(0, total: Double(total), message: "0 of \(total) files")
            while !Task.isCancelled {
                try? await Task.sleep(for: ProgressReporter.interval)
                let count = done.value.load(ordering: .relaxed)
                await progress.report(Double(count), total: Double(total), message: "\(count) of \(total) files")
            }
        }
        defer { reporter.cancel() }
        return try await body()
    }

    static func value(of result: BatchResult, context: ToolContext) -> Value {
        var object: [String: Value] = ["path": .string(context.display(result.item.path))]
        switch result.outcome {
        case .failure(let error):
            object["ok"] = false
            object["error"] = .string(error.message)
        case .success(let value):
            object["ok"] = true
            object["error"] = .null
            switch value {
            case .digest(let hex, let bytes):
                object["sha256"] = .string(hex)
                object["bytes"] = .int(Int(bytes))
            case .counts(let lines, let words, let bytes):
                object["lines"] = .int(Int(lines))
                object["words"] = .int(Int(words))
                object["bytes"] = .int(Int(bytes))
            case .matches(let lines, let bytes):
                object["matchingLines"] = .int(lines)
                object["bytes"] = .int(Int(bytes))
            case .status(let identity):
                object["kind"] = .string("\(identity.kind)")
                object["size"] = .int(Int(identity.size))
                object["permissions"] = .string("0" + String(identity.permissions, radix: 8))
                object["modified"] = .string(ReadTools.isoDate(identity.modificationTime))
            case .changed(let destination, let dryRun):
                object["destination"] = .string(context.display(destination))
                object["dryRun"] = .bool(dryRun)
            case .removed(let dryRun):
                object["removed"] = true
                object["dryRun"] = .bool(dryRun)
            case .unchanged:
                object["unchanged"] = true
            }
        }
        return .object(object)
    }

    static func render(_ result: BatchResult, context: ToolContext) -> String {
        let path = context.display(result.item.path)
        switch result.outcome {
        case .failure(let error): return "\(path): error: \(error.message)"
        case .success(let value):
            switch value {
            case .digest(let hex, _): return "\(hex)  \(path)"
            case .counts(let lines, let words, let bytes): return "\(lines) \(words) \(bytes) \(path)"
            case .matches(let lines, _): return "\(path):\(lines)"
            case .status(let identity): return "\(path): \(identity.kind), \(identity.size) bytes, mode 0\(String(identity.permissions, radix: 8))"
            case .changed(let destination, let dryRun): return "\(path) -> \(context.display(destination))\(dryRun ? " (dry run)" : "")"
            case .removed(let dryRun): return "\(path): removed\(dryRun ? " (dry run)" : "")"
            case .unchanged: return "\(path): unchanged"
            }
        }
    }
}

extension BatchResult {
    var isFailure: Bool {
        if case .failure = outcome { return true }
        return false
    }
}
