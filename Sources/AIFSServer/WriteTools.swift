import AIFS
import AIFSCore
import AIFSWork
import Foundation
import MCP

extension ToolFailure {
    init(_ error: WorkError) {
        self.init("\(error.code)", Self.worded(error))
    }
}

/// `write_file`, `edit_file` and `transaction`: changes through the facade, atomic and
/// confined to the roots.
enum WriteTools {
    static let editSchema = Schema.array(
        Schema.object(
            [
                "oldText": Schema.string(
                    "The exact text to replace, whitespace and line ends included; it must occur exactly once.",
                    example: "let limit = 10\n"),
                "newText": Schema.string("The text to put in its place (may be empty).", example: "let limit = 20\n"),
                "replaceAll": Schema.boolean("Replace every occurrence instead of exactly one.", example: false),
                "expectedReplacements": Schema.integer("Replace every occurrence, failing unless there are exactly this many.", example: 2),
            ], required: ["oldText", "newText"]),
        "Replacements, applied in order.",
        example: [["oldText": "let limit = 10\n", "newText": "let limit = 20\n"]])

    static let expectedVersionSchema = Schema.string(
        "Write only if the file has this version (from a read).",
        example: "0f343b0931126a20f133d67c2b018a3b-15")

    // MARK: write_file

    static let writeFile = ToolDefinition(
        tool: Tool(
            name: "write_file",
            title: "Write a file",
            description: """
                Create or replace a whole file atomically (mode kept, missing directories made).
                """,
            inputSchema: Schema.object(
                [
                    "path": Schema.string("The file.", example: "Sources/App/Config.swift"),
                    "content": Schema.string("The whole new contents, as UTF-8 text.", example: "let limit = 20\n"),
                    "expectedVersion": expectedVersionSchema,
                ], required: ["path", "content"]),
            annotations: Tool.Annotations(readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false),
            outputSchema: Schema.object(
                [
                    "path": Schema.string("The file written.", example: "Sources/App/Config.swift"),
                    "bytesWritten": Schema.integer("The size of the new contents in bytes.", example: 15),
                    "created": Schema.boolean("Whether the file did not exist before."),
                    "version": Schema.string("The new contents' version.", example: "0f343b0931126a20f133d67c2b018a3b-15"),
                ], required: ["path", "bytesWritten", "created"])),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown(["path", "content", "expectedVersion"])
            let path = try arguments.requiredString("path")
            let content = try arguments.requiredString("content")
            let expectedVersion = try arguments.string("expectedVersion")
            let resolved = try context.resolve(path)
            let existed = (try? FileIdentity(path: resolved)) != nil
            let version: ContentVersion
            do throws(WorkError) {
                version = try await context.service.writeFile(path: path, content: content, expectedVersion: expectedVersion)
            } catch {
                throw ToolFailure(error)
            }
            let shown = context.display(resolved)
            let bytes = content.utf8.count
            return ToolOutput(
                structured: [
                    "path": .string(shown), "bytesWritten": .int(bytes), "created": .bool(!existed), "version": .string(version.description),
                ],
                text: "\(existed ? "replaced" : "created") \(shown) (\(bytes) bytes)")
        })

    // MARK: edit_file

    static let editFile = ToolDefinition(
        tool: Tool(
            name: "edit_file",
            title: "Edit a file",
            description: """
                Replace exact text (each oldText once, unless replaceAll or expectedReplacements); returns the \
                diff; writes nothing if an edit fails.
                """,
            inputSchema: Schema.object(
                [
                    "path": Schema.string("The file to edit.", example: "Sources/App/Config.swift"),
                    "edits": editSchema,
                    "dryRun": Schema.boolean("Only return the diff.", example: false),
                    "expectedVersion": expectedVersionSchema,
                ], required: ["path", "edits"]),
            annotations: Tool.Annotations(readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false),
            outputSchema: Schema.object(
                [
                    "path": Schema.string("The file edited.", example: "Sources/App/Config.swift"),
                    "diff": Schema.string(
                        "The unified diff from the old contents to the new.",
                        example: "--- a/Sources/App/Config.swift\n+++ b/Sources/App/Config.swift\n@@ -1 +1 @@\n-let limit = 10\n+let limit = 20\n"),
                    "applied": Schema.boolean("Whether the file was changed (false for a dry run or edits that change nothing)."),
                    "edits": Schema.integer("How many edits were applied.", example: 1),
                    "version": Schema.string("The version of the contents after the edits (what they would be, for a dry run)."),
                ], required: ["path", "diff", "applied", "edits"])),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown(["path", "edits", "dryRun", "expectedVersion"])
            let path = try arguments.requiredString("path")
            let edits = try textEdits(arguments.value("edits"), tool: "edit_file", name: "edits")
            let dryRun = try arguments.bool("dryRun") ?? false
            let expectedVersion = try arguments.string("expectedVersion")
            let resolved = try context.resolve(path)
            let result: EditResult
            do throws(WorkError) {
                result = try await context.service.editFile(path: path, edits: edits, dryRun: dryRun, expectedVersion: expectedVersion)
            } catch {
                throw ToolFailure(error)
            }
            let shown = context.display(resolved)
            let changed = !result.diff.isEmpty
            let applied = !dryRun && changed
            let heading = dryRun ? "dry run: \(shown) would change" : applied ? "edited \(shown)" : "\(shown) unchanged"
            let newBytes = Array(result.text.utf8)
            let version = ContentVersion.of(newBytes)
            if applied { context.service.remember(newBytes, as: version) }
            return ToolOutput(
                structured: [
                    "path": .string(shown), "diff": .string(result.diff), "applied": .bool(applied), "edits": .int(edits.count),
                    "version": .string(version.description),
                ],
                text: changed ? "\(heading)\n\(result.diff)" : "\(shown): the edits change nothing")
        })

    /// Decodes `[{oldText, newText}]`, naming the bad element.
    static func textEdits(_ value: Value?, tool: String, name: String) throws(ToolFailure) -> [TextEdit] {
        guard let value else { throw ToolFailure("invalidArgument", "\(tool): missing required argument '\(name)'") }
        guard let array = value.arrayValue else {
            throw ToolFailure("invalidArgument", "\(tool): '\(name)' must be an array of {oldText, newText} objects")
        }
        guard !array.isEmpty else { throw ToolFailure("invalidArgument", "\(tool): '\(name)' is empty; give at least one edit") }
        var edits: [TextEdit] = []
        for (index, element) in array.enumerated() {
            guard let object = element.objectValue, let old = object["oldText"]?.stringValue,
                let new = object["newText"]?.stringValue
            else {
                throw ToolFailure(
                    "invalidArgument", "\(tool): \(name)[\(index)] must be an object with string fields oldText and newText")
            }
            let known: Set = ["oldText", "newText", "replaceAll", "expectedReplacements"]
            let unknown = object.keys.filter { !known.contains($0) }.sorted()
            guard unknown.isEmpty else {
                throw ToolFailure(
                    "invalidArgument",
                    "\(tool): \(name)[\(index)] has unknown fields \(unknown.joined(separator: ", ")); only oldText, newText, replaceAll and expectedReplacements")
            }
            var replaceAll: Bool?
            if let value = object["replaceAll"], value != .null {
                guard let flag = value.boolValue else {
                    throw ToolFailure("invalidArgument", "\(tool): \(name)[\(index)].replaceAll must be true or false")
                }
                replaceAll = flag
            }
            var expected: Int?
            if let value = object["expectedReplacements"], value != .null {
                guard let count = value.intValue, count >= 0 else {
                    throw ToolFailure("invalidArgument", "\(tool): \(name)[\(index)].expectedReplacements must be a whole number, 0 or more")
                }
                expected = count
            }
            edits.append(TextEdit(oldText: old, newText: new, replaceAll: replaceAll, expectedReplacements: expected))
        }
        return edits
    }

    // MARK: transaction

    static let transaction = ToolDefinition(
        tool: Tool(
            name: "transaction",
            title: "Apply several changes all or nothing",
            description: """
                Apply file operations all or nothing: create/write {path, content}, update {path, updates}, \
                move {path, destination}, delete {path}, each with optional expectedVersion.
                """,
            inputSchema: Schema.object(
                [
                    "operations": Schema.array(
                        Schema.object(
                            [
                                "type": Schema.string(
                                    "What to do.", example: "update", enum: ["create", "write", "update", "move", "delete"]),
                                "path": Schema.string("The file the operation works on.", example: "Sources/App/Config.swift"),
                                "content": Schema.string("For create and write: the whole contents.", example: "let limit = 20\n"),
                                "updates": editSchema,
                                "destination": Schema.string("For move: where the file goes.", example: "Sources/App/Settings.swift"),
                                "expectedVersion": expectedVersionSchema,
                            ], required: ["type", "path"]),
                        "The operations, applied in order.",
                        example: [
                            ["type": "update", "path": "a.swift", "updates": [["oldText": "10", "newText": "20"]]],
                            ["type": "move", "path": "old.txt", "destination": "new.txt"],
                        ]),
                    "dryRun": Schema.boolean("Only check and return the diffs.", example: false),
                ], required: ["operations"]),
            annotations: Tool.Annotations(readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false),
            outputSchema: Schema.object(
                [
                    "applied": Schema.boolean("Whether the changes were made (false for a dry run)."),
                    "operations": Schema.array(
                        Schema.object(
                            [
                                "type": Schema.string("The operation.", example: "update"),
                                "path": Schema.string("The file.", example: "a.swift"),
                                "destination": Schema.nullable(Schema.string("Where a moved file went.", example: "new.txt")),
                                "diff": Schema.nullable(Schema.string("For create, write and update: the unified diff.")),
                            ], required: ["type", "path"], closed: false),
                        "Each operation as applied, in order."),
                ], required: ["applied", "operations"])),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown(["operations", "dryRun"])
            guard let operations = arguments.value("operations") else {
                throw ToolFailure("invalidArgument", "transaction: missing required argument 'operations'")
            }
            let dryRun = try arguments.bool("dryRun") ?? false
            // The facade's decoder names the operation and field that is wrong, in the
            // same words as `aifs apply`.
            let document: [UInt8]
            do {
                document = Array(try JSONEncoder().encode(Value.object(["operations": operations])))
            } catch {
                throw ToolFailure("invalidArgument", "transaction: 'operations' could not be read: \(error)")
            }
            let report: TransactionReport
            do throws(WorkError) {
                let transaction = try Transaction.decode(json: document)
                report = try await context.service.applyTransaction(transaction, dryRun: dryRun)
            } catch {
                throw ToolFailure(error)
            }
            return output(of: report, context: context)
        })

    /// A transaction's report as a tool answer: each operation with its diff.
    static func output(of report: TransactionReport, context: ToolContext) -> ToolOutput {
        var steps: [Value] = []
        var lines: [String] = [report.applied ? "applied \(report.steps.count) operations" : "dry run: \(report.steps.count) operations would apply"]
        for step in report.steps {
            let path = context.display(step.path)
            let destination = step.destination.map { context.display($0) }
            steps.append([
                "type": .string(step.type.rawValue), "path": .string(path),
                "destination": destination.map { .string($0) } ?? .null,
                "diff": step.diff.map { .string($0) } ?? .null,
            ])
            lines.append("\(step.type.rawValue) \(path)\(destination.map { " -> \($0)" } ?? "")")
            if let diff = step.diff, !diff.isEmpty { lines.append(diff) }
        }
        return ToolOutput(structured: ["applied": .bool(report.applied), "operations": .array(steps)], text: lines.joined(separator: "\n"))
    }

    // MARK: apply_patch

    static let applyPatch = ToolDefinition(
        tool: Tool(
            name: "apply_patch",
            title: "Apply a patch all or nothing",
            description: """
                Apply a Codex patch (*** Begin Patch, Add/Delete/Update File, Move to, @@ hunks, *** \
                End Patch) all or nothing; a hunk that matches nothing shows the closest lines.
                """,
            inputSchema: Schema.object(
                [
                    "patch": Schema.string("The patch text.", example: "*** Begin Patch\n*** Update File: a.py\n@@\n-x = 1\n+x = 2\n*** End Patch\n"),
                    "dryRun": Schema.boolean("Only return the diffs.", example: false),
                    "expectedVersions": Schema.object(
                        [:], description: "{path: version} from reads; refused if one changed.", closed: false),
                ], required: ["patch"]),
            annotations: Tool.Annotations(readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false),
            outputSchema: transaction.tool.outputSchema),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown(["patch", "dryRun", "expectedVersions"])
            let patch = try arguments.requiredString("patch")
            let dryRun = try arguments.bool("dryRun") ?? false
            let expectedVersions = try arguments.stringMap("expectedVersions") ?? [:]
            let report: TransactionReport
            do throws(WorkError) {
                report = try await context.service.applyPatch(patch, dryRun: dryRun, expectedVersions: expectedVersions)
            } catch {
                throw ToolFailure(error)
            }
            return output(of: report, context: context)
        })

    // MARK: create_directory and move_file

    static let createDirectory = ToolDefinition(
        tool: Tool(
            name: "create_directory",
            title: "Create a directory",
            description: "Create a directory and missing parents; one that exists is fine.",
            inputSchema: Schema.object(
                ["path": Schema.string("The directory to create.", example: "Sources/App/Models")], required: ["path"]),
            annotations: Tool.Annotations(readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false),
            outputSchema: Schema.object(
                [
                    "path": Schema.string("The directory.", example: "Sources/App/Models"),
                    "created": Schema.boolean("False when it existed already."),
                ], required: ["path", "created"])),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown(["path"])
            let path = try arguments.requiredString("path")
            let created: Bool
            do throws(WorkError) { created = try await context.service.createDirectory(path: path) } catch { throw ToolFailure(error) }
            let shown = context.display(try context.resolve(path))
            return ToolOutput(
                structured: ["path": .string(shown), "created": .bool(created)],
                text: created ? "created \(shown)/" : "\(shown)/ exists already")
        })

    static let moveFile = ToolDefinition(
        tool: Tool(
            name: "move_file",
            title: "Move or rename a file or directory",
            description: "Move or rename a file or directory; the destination must not exist (missing parents are made).",
            inputSchema: Schema.object(
                [
                    "source": Schema.string("What to move.", example: "Sources/old.swift"),
                    "destination": Schema.string("Its new path.", example: "Sources/new.swift"),
                ], required: ["source", "destination"]),
            annotations: Tool.Annotations(readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false),
            outputSchema: Schema.object(
                [
                    "source": Schema.string("Where it was.", example: "Sources/old.swift"),
                    "destination": Schema.string("Where it is now.", example: "Sources/new.swift"),
                ], required: ["source", "destination"])),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown(["source", "destination"])
            let source = try arguments.requiredString("source")
            let destination = try arguments.requiredString("destination")
            do throws(WorkError) { try await context.service.moveFile(from: source, to: destination) } catch { throw ToolFailure(error) }
            return ToolOutput(
                structured: ["source": .string(source), "destination": .string(destination)],
                text: "moved \(source) to \(destination)")
        })
}
