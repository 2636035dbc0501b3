import AIFS
import AIFSCore
import MCP

/// `list_directory`, `directory_tree` and `search_files`: the walker through the facade.
enum DirectoryTools {
    static let readOnly = ReadTools.readOnly

    static let includeHiddenSchema = Schema.boolean(
        "Include hidden entries.", example: false)
    static let respectIgnoreSchema = Schema.boolean(
        "Honour .gitignore/.ignore (default true).", example: true)
    static let excludeSchema = Schema.array(
        Schema.string("A glob, as in .gitignore: without '/' it matches a name at any depth."),
        "Globs to leave out.", example: ["*.o", "build/**"])
    static let cursorSchema = Schema.string(
        "A previous nextCursor.", example: "500")
    static let errorsSchema = Schema.array(
        Schema.string("A problem met while walking; the walk went on."),
        "Directories that could not be read (at most 20).")

    /// Walk options from the shared arguments: ripgrep's defaults unless changed.
    static func walkOptions(_ arguments: Arguments, base: String) throws(ToolFailure) -> WalkOptions {
        var options = WalkOptions()
        options.includeHidden = try arguments.bool("includeHidden") ?? false
        options.respectIgnoreFiles = try arguments.bool("respectIgnoreFiles") ?? true
        options.globBase = base
        return options
    }

    /// Walks from a directory given by the agent, refusing files and missing paths with
    /// clear messages. The walk stops when the call is cancelled, and reports the
    /// entries found so far as progress when the call asked for it.
    static func walkDirectory(
        _ path: String, options: WalkOptions, context: ToolContext, tool: String
    ) async throws(ToolFailure) -> (base: String, entries: [WalkEntry], errors: [CoreError]) {
        let service = context.service
        return try await cancellableWalk(progress: context.progress, describe: { "\($0) entries found" }) {
            control throws(ToolFailure) -> (String, [WalkEntry], [CoreError]) in
            do {
                let info = try service.fileInfo(path: path)
                guard info.identity.kind == .directory else {
                    throw ToolFailure(
                        "notADirectory",
                        "\(tool): '\(path)' is \(info.identity.kind.phrase), not a directory; pass a directory (read a file with read_file)")
                }
                let (entries, errors) = try service.files([info.path], options: options, control: control)
                return (info.path, entries, errors)
            } catch let error as CoreError {
                throw ToolFailure(error)
            } catch let failure as ToolFailure {
                throw failure
            } catch {
                throw ToolFailure("io", "\(tool): \(error)")
            }
        }
    }

    static func page<T>(_ items: [T], cursor: Int, limit: Int) -> (items: ArraySlice<T>, next: Value) {
        let start = min(cursor, items.count)
        let end = min(items.count, start + limit)
        return (items[start..<end], end < items.count ? .string(String(end)) : .null)
    }

    static func errorValues(_ errors: [CoreError]) -> Value {
        .array(errors.prefix(20).map { .string($0.message) })
    }

    static func relative(_ path: String, to base: String) -> String {
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    static func kindName(_ entry: WalkEntry) -> String {
        entry.isSymlink ? "symlink" : "\(entry.kind)"
    }

    /// A name as `ls -F` shows it: `dir/`, `link@`, `file`.
    static func decorated(_ name: String, kind: String) -> String {
        kind == "directory" ? name + "/" : kind == "symlink" ? name + "@" : name
    }

    // MARK: list_directory

    static let listDirectory = ToolDefinition(
        tool: Tool(
            name: "list_directory",
            title: "List a directory",
            description: """
                One directory's entries (hidden and ignored included), sorted, with kind and size. Paged.
                """,
            inputSchema: Schema.object(
                [
                    "path": Schema.string("The directory; '.' is the first root.", example: "Sources"),
                    "maxEntries": Schema.integer("Entries per page (default 500).", example: 500, minimum: 1, maximum: 10000),
                    "cursor": cursorSchema,
                ], required: ["path"]),
            annotations: readOnly,
            outputSchema: Schema.object(
                [
                    "path": Schema.string("The directory, relative to the first root when inside it.", example: "Sources"),
                    "entries": Schema.array(
                        Schema.object(
                            [
                                "name": Schema.string("The entry's name.", example: "main.swift"),
                                "kind": Schema.string("What it is (a symbolic link is not followed).", example: "file", enum: ["file", "directory", "symlink", "other"]),
                                "size": Schema.nullable(Schema.integer("Size in bytes (of the link itself for a symlink).", example: 812)),
                            ], required: ["name", "kind"]),
                        "The entries, sorted by name."),
                    "totalCount": Schema.integer("How many entries the directory has.", example: 12),
                    "truncated": Schema.truncated,
                    "nextCursor": Schema.nextCursor,
                    "errors": errorsSchema,
                ], required: ["path", "entries", "totalCount", "truncated"])),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown(["path", "maxEntries", "cursor"])
            let path = try arguments.requiredString("path")
            let limit = try arguments.int("maxEntries", minimum: 1, maximum: 10000) ?? 500
            var options = WalkOptions()
            options.includeHidden = true
            options.respectIgnoreFiles = false
            options.maxDepth = 1
            let base = try context.resolve(path)
            var errors: [CoreError] = []
            /// A page as the answer shows it; the pager cuts the page where this fits the budget.
            func render(_ page: Page<WalkEntry>) -> ToolOutput {
                let shown = page.items
                let next = page.next
                var values: [Value] = []
                var lines: [String] = []
                for entry in shown {
                    let name = relative(entry.path, to: base)
                    let size = (try? FileIdentity(path: entry.path, followSymlinks: false)).map { Value.int(Int($0.size)) } ?? .null
                    let kind = kindName(entry)
                    values.append(["name": .string(name), "kind": .string(kind), "size": size])
                    lines.append(decorated(name, kind: kind))
                }
                let truncated = page.truncated
                if truncated { lines.append("[\(shown.count) of \(page.total) entries; \(next.stringValue.map { "more with cursor \($0)" } ?? "too many to page: narrow the request")]") }
                if page.total == 0 { lines.append("(empty directory)") }
                return ToolOutput(
                    structured: [
                        "path": .string(context.display(base)), "entries": .array(values), "totalCount": .int(page.total),
                        "truncated": .bool(truncated), "nextCursor": next, "errors": errorValues(errors),
                    ],
                    text: lines.joined(separator: "\n"))
            }
            let page = try await context.page(arguments, limit: limit, pageSizeArgument: "maxEntries", render: render) { () throws(ToolFailure) -> [WalkEntry] in
                let (_, entries, walkErrors) = try await walkDirectory(path, options: options, context: context, tool: "list_directory")
                errors = walkErrors
                return entries.filter { $0.depth == 1 }
            }
            return render(page)
        })

    // MARK: directory_tree

    static let directoryTree = ToolDefinition(
        tool: Tool(
            name: "directory_tree",
            title: "Directory tree",
            description: """
                The tree under a directory to maxDepth (default 3), sorted; hidden and ignored entries \
                skipped unless told. Paged.
                """,
            inputSchema: Schema.object(
                [
                    "path": Schema.string("Directory (default: the first root).", example: "."),
                    "maxDepth": Schema.integer("Levels to descend (default 3).", example: 3, minimum: 1, maximum: 64),
                    "exclude": excludeSchema,
                    "includeHidden": includeHiddenSchema,
                    "respectIgnoreFiles": respectIgnoreSchema,
                    "maxEntries": Schema.integer("Entries per page (default 1000).", example: 1000, minimum: 1, maximum: 20000),
                    "cursor": cursorSchema,
                ], required: ["path"]),
            annotations: readOnly,
            outputSchema: Schema.object(
                [
                    "path": Schema.string("The top directory, relative to the first root when inside it.", example: "."),
                    "entries": Schema.array(
                        Schema.object(
                            [
                                "path": Schema.string("The entry, relative to the top directory.", example: "Sources/App/main.swift"),
                                "kind": Schema.string("What it is (a symbolic link is not followed).", example: "file", enum: ["file", "directory", "symlink", "other"]),
                                "depth": Schema.integer("Levels below the top directory (1 for its children).", example: 3),
                            ], required: ["path", "kind", "depth"]),
                        "The entries, sorted by path."),
                    "totalCount": Schema.integer("How many entries the tree has down to maxDepth.", example: 42),
                    "truncated": Schema.truncated,
                    "nextCursor": Schema.nextCursor,
                    "errors": errorsSchema,
                ], required: ["path", "entries", "totalCount", "truncated"])),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown(["path", "maxDepth", "exclude", "includeHidden", "respectIgnoreFiles", "maxEntries", "cursor"])
            let path = try arguments.requiredString("path")
            let depth = try arguments.int("maxDepth", minimum: 1, maximum: 64) ?? 3
            let limit = try arguments.int("maxEntries", minimum: 1, maximum: 20000) ?? 1000
            let top = try context.resolve(path)
            var options = try walkOptions(arguments, base: top)
            options.maxDepth = depth
            options.globs = (try arguments.strings("exclude") ?? []).map { "!" + $0 }
            var errors: [CoreError] = []
            /// A page as the answer shows it; the pager cuts the page where this fits the budget.
            func render(_ page: Page<WalkEntry>) -> ToolOutput {
                let shown = page.items
                let next = page.next
                var values: [Value] = []
                var lines: [String] = page.isFirst ? [context.display(top) + "/"] : []
                for entry in shown {
                    let relativePath = relative(entry.path, to: top)
                    let kind = kindName(entry)
                    values.append(["path": .string(relativePath), "kind": .string(kind), "depth": .int(entry.depth)])
                    let name = relativePath.split(separator: "/").last.map(String.init) ?? relativePath
                    let indent = String(repeating: "  ", count: entry.depth)
                    lines.append(indent + decorated(name, kind: kind))
                }
                let truncated = page.truncated
                if truncated { lines.append("[\(shown.count) of \(page.total) entries; \(next.stringValue.map { "more with cursor \($0)" } ?? "too many to page: narrow the request")]") }
                return ToolOutput(
                    structured: [
                        "path": .string(context.display(top)), "entries": .array(values), "totalCount": .int(page.total),
                        "truncated": .bool(truncated), "nextCursor": next, "errors": errorValues(errors),
                    ],
                    text: lines.joined(separator: "\n"))
            }
            let page = try await context.page(arguments, limit: limit, pageSizeArgument: "maxEntries", render: render) { () throws(ToolFailure) -> [WalkEntry] in
                let (_, entries, walkErrors) = try await walkDirectory(path, options: options, context: context, tool: "directory_tree")
                errors = walkErrors
                return entries.filter { $0.depth >= 1 }
            }
            return render(page)
        })

    // MARK: search_files

    static let searchFiles = ToolDefinition(
        tool: Tool(
            name: "search_files",
            title: "Find files by name",
            description: """
                Files whose path matches a glob ('*.swift' at any depth), sorted; hidden and ignored \
                skipped unless told. Paged.
                """,
            inputSchema: Schema.object(
                [
                    "path": Schema.string("Directory (default: the first root).", example: "Sources"),
                    "pattern": Schema.string("The glob file paths must match.", example: "*.swift"),
                    "exclude": excludeSchema,
                    "includeHidden": includeHiddenSchema,
                    "respectIgnoreFiles": respectIgnoreSchema,
                    "maxResults": Schema.integer("Paths per page (default 200).", example: 200, minimum: 1, maximum: 20000),
                    "cursor": cursorSchema,
                ], required: ["pattern"]),
            annotations: readOnly,
            outputSchema: Schema.object(
                [
                    "paths": Schema.array(
                        Schema.string("A matching file, relative to the first root when inside it."),
                        "The matching files, sorted by path.", example: ["Sources/App/main.swift"]),
                    "totalCount": Schema.integer("How many files match.", example: 1),
                    "truncated": Schema.truncated,
                    "nextCursor": Schema.nextCursor,
                    "errors": errorsSchema,
                ], required: ["paths", "totalCount", "truncated"])),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown(["path", "pattern", "exclude", "includeHidden", "respectIgnoreFiles", "maxResults", "cursor"])
            let path = try arguments.string("path") ?? "."
            let pattern = try arguments.requiredString("pattern")
            guard !pattern.isEmpty else { throw ToolFailure("invalidArgument", "search_files: 'pattern' is empty; pass a glob such as '*.swift'") }
            let limit = try arguments.int("maxResults", minimum: 1, maximum: 20000) ?? 200
            let base = try context.resolve(path)
            var options = try walkOptions(arguments, base: base)
            options.globs = [pattern] + (try arguments.strings("exclude") ?? []).map { "!" + $0 }
            var errors: [CoreError] = []
            /// A page as the answer shows it; the pager cuts the page where this fits the budget.
            func render(_ page: Page<String>) -> ToolOutput {
                let shown = page.items
                let next = page.next
                let truncated = page.truncated
                var lines = Array(shown)
                if page.total == 0 { lines.append("no file under '\(path)' matches '\(pattern)'") }
                if truncated { lines.append("[\(shown.count) of \(page.total) files; \(next.stringValue.map { "more with cursor \($0)" } ?? "too many to page: narrow the request")]") }
                return ToolOutput(
                    structured: [
                        "paths": .strings(Array(shown)), "totalCount": .int(page.total), "truncated": .bool(truncated),
                        "nextCursor": next, "errors": errorValues(errors),
                    ],
                    text: lines.joined(separator: "\n"))
            }
            let page = try await context.page(arguments, limit: limit, pageSizeArgument: "maxResults", render: render) { () throws(ToolFailure) -> [String] in
                let (_, entries, walkErrors) = try await walkDirectory(path, options: options, context: context, tool: "search_files")
                errors = walkErrors
                return entries.filter { $0.kind != .directory && $0.depth >= 1 }.map { context.display($0.path) }
            }
            return render(page)
        })
}
