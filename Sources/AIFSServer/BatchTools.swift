import AIFS
import AIFSCore
import AIFSSearch
import AIFSWork
import MCP
import Synchronization

/// `batch_operations`: one operation over many files on the worker pool.
enum BatchTools {
    static let operations = ["hash", "count", "search", "stat", "copy", "move", "delete", "rename"]
    /// The operations that change no file: `batch_read` offers these alone.
    static let readingOperations = ["hash", "count", "search", "stat"]
    /// The operations that change files, which `batch_operations` lists.
    static let changingOperations = ["copy", "move", "delete", "rename"]
    static let pathsSchema = Schema.array(
        Schema.string("A file or directory."), "Files or directories (default: first root).", example: ["Sources"])
    static let globSchema = Schema.string("Only files matching this glob.", example: "*.swift")
    static let maxResultsSchema = Schema.integer("Results per page (default 200).", example: 200, minimum: 1, maximum: maximumResults)
    static let defaultResults = 200
    static let maximumResults = 1_000

    static let batchOperations = ToolDefinition(
        tool: Tool(
            name: "batch_operations",
            title: "Run one operation over many files",
            description: """
                Copy, move, delete or rename (regex, $1/${name}) many files, on every core; failures first. \
                batch_read hashes, counts, searches, stats.
                """,
            // The reading operations (and their literal, caseMode and cursor) are still
            // accepted here, as before batch_read, but listed only there.
            inputSchema: Schema.object(
                [
                    "operation": Schema.string("What to do to each file.", example: "move", enum: changingOperations),
                    "paths": pathsSchema,
                    "glob": globSchema,
                    "exclude": DirectoryTools.excludeSchema,
                    "pattern": Schema.string("rename: a regex on file names.", example: "(.*)\\.txt"),
                    "replacement": Schema.string("rename: the new name ($1, ${name}, $0).", example: "$1.md"),
                    "destination": Schema.string("copy/move: the target directory.", example: "backup"),
                    "dryRun": Schema.boolean("Only report what would happen.", example: true),
                    "overwrite": Schema.boolean("Replace existing files.", example: false),
                    "maxResults": maxResultsSchema,
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
            try await run(arguments, context: context, readOnly: false)
        })

    /// `batch_read`: `batch_operations`' reading operations, annotated read-only so a
    /// client can run them without asking (issue 19: hash, count, search and stat
    /// needed approval through a tool marked destructive).
    static let batchRead = ToolDefinition(
        tool: Tool(
            name: "batch_read",
            title: "Read many files at once",
            description: "Hash (sha256), count (lines, words, bytes), search (matching lines) or stat many files, on every core. Paged.",
            inputSchema: readingSchema,
            annotations: ReadTools.readOnly,
            outputSchema: batchOperations.tool.outputSchema),
        run: { arguments, context async throws(ToolFailure) in
            try await run(arguments, context: context, readOnly: true)
        })

    /// `batch_read`'s arguments: `batch_operations`' for the reading operations.
    static let readingSchema = Schema.object(
        [
            "operation": Schema.string("What to do to each file.", example: "hash", enum: readingOperations),
            "paths": pathsSchema,
            "glob": globSchema,
            "exclude": DirectoryTools.excludeSchema,
            "pattern": Schema.string("search: a regex, or text with literal.", example: "TODO"),
            "literal": Schema.boolean("search: pattern is text."),
            "caseMode": Schema.string("search: sensitive (default), insensitive or smart.", enum: ["sensitive", "insensitive", "smart"]),
            "maxResults": maxResultsSchema,
            "cursor": DirectoryTools.cursorSchema,
        ], required: ["operation"])

    /// `batch_operations` and `batch_read`: the files chosen, the operation run on the
    /// worker pool, the results that fit the output budget.
    ///
    /// - Parameter readOnly: For `batch_read`: only the reading operations and their
    ///   arguments.
    static func run(_ arguments: Arguments, context: ToolContext, readOnly: Bool) async throws(ToolFailure) -> ToolOutput {
        let tool = arguments.tool
        if readOnly {
            try arguments.checkKnown(["operation", "paths", "glob", "exclude", "pattern", "literal", "caseMode", "maxResults", "cursor"])
        } else {
            try arguments.checkKnown([
                "operation", "paths", "glob", "exclude", "pattern", "literal", "caseMode", "replacement", "destination",
                "dryRun", "overwrite", "maxResults", "cursor",
            ])
        }
        let name = try arguments.requiredString("operation")
        if readOnly, !readingOperations.contains(name) {
            throw ToolFailure(
                "invalidArgument",
                "batch_read: '\(name)' is not a reading operation; the operations are \(readingOperations.joined(separator: ", ")) (batch_operations changes files)")
        }
        let operation = try makeOperation(name, arguments)
        let paths = try arguments.strings("paths") ?? ["."]
        guard !paths.isEmpty else { throw ToolFailure("invalidArgument", "\(tool): 'paths' is empty; leave it out for the first root") }
        let limit = try arguments.int("maxResults", minimum: 1, maximum: maximumResults) ?? defaultResults
        let cursor = try arguments.cursor()
        let destination = try arguments.string("destination")
        switch name {
        case "copy", "move":
            guard destination != nil else {
                throw ToolFailure("invalidArgument", "\(tool): \(name) needs 'destination', the directory the files go to")
            }
        default:
            guard destination == nil else {
                throw ToolFailure("invalidArgument", "\(tool): 'destination' is only for copy and move, not \(name)")
            }
        }
        if operation.changesFiles, cursor != 0 {
            throw ToolFailure(
                "invalidArgument",
                "\(tool): \(name) changes files and runs on every chosen file in one call; it takes no cursor")
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
        if Task.isCancelled { throw ToolFailure("cancelled", "\(tool): the client cancelled the request") }

        var results = collected.withLock { $0 }
        if operation.changesFiles {
            // Failures first: they are what needs attention.
            results.sort { lhs, rhs in
                let (left, right) = (lhs.isFailure, rhs.isFailure)
                return left != right ? left : lhs.index < rhs.index
            }
        } else {
            // In file order, so a page cut by the output budget goes on at the right file.
            results.sort { $0.index < $1.index }
        }
        let elapsed = summary.elapsed.components
        let milliseconds = Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
        let start = min(cursor, items.count)
        /// The first `count` results as the answer shows them.
        func render(_ count: Int) -> ToolOutput {
            let shown = results.prefix(count)
            var truncated = false
            var next: Value = .null
            if operation.changesFiles {
                truncated = results.count > min(count, limit)
            } else if start + count < items.count {
                // The rest of the page, cut by the output budget, or the next pages.
                truncated = true
                next = .string(String(start + count))
            }
            let values = shown.map { value(of: $0, context: context) }
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
            var lines = shown.map { self.render($0, context: context) }
            lines.append(
                "\(name): \(summary.succeeded) ok, \(summary.failed) failed of \(summary.total) processed (\(items.count) files chosen)"
                    + (batchOptions.dryRun && operation.changesFiles ? ", dry run: nothing changed" : "")
                    + (truncated ? "; more results: \(next.stringValue.map { "cursor \($0)" } ?? "failures are listed first")" : ""))
            return ToolOutput(structured: structured, text: lines.joined(separator: "\n"))
        }
        let count = context.budget.fittingCount(results.prefix(limit)) { slice in render(slice.count) }
        return render(count)
    }

    static func makeOperation(_ name: String, _ arguments: Arguments) throws(ToolFailure) -> BatchOperation {
        let pattern = try arguments.string("pattern")
        let replacement = try arguments.string("replacement")
        func refuse(_ argument: String) throws(ToolFailure) {
            throw ToolFailure("invalidArgument", "\(arguments.tool): '\(argument)' does not apply to \(name)")
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
                throw ToolFailure("invalidArgument", "\(arguments.tool): search needs 'pattern', the text or regex to count")
            }
            var query = SearchQuery(patterns: [pattern])
            query.literal = try arguments.bool("literal") ?? false
            if let mode = try arguments.string("caseMode") {
                guard let parsed = CaseMode(rawValue: mode) else {
                    throw ToolFailure("invalidArgument", "\(arguments.tool): caseMode must be sensitive, insensitive or smart, not '\(mode)'")
                }
                query.caseMode = parsed
            }
            do throws(SearchError) { return .search(try query.makeMatcher()) } catch { throw ToolFailure(error) }
        case "rename":
            guard let pattern, let replacement else {
                throw ToolFailure("invalidArgument", "\(arguments.tool): rename needs 'pattern' (a regex on the file name) and 'replacement'")
            }
            do throws(WorkError) { return .rename(try RenameRule(pattern: pattern, replacement: replacement)) } catch {
                throw ToolFailure(error)
            }
        default:
            throw ToolFailure(
                "invalidArgument", "\(arguments.tool): unknown operation '\(name)'; the operations are \(operations.joined(separator: ", "))")
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
