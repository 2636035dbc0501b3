import AIFSTestSupport
import Foundation
import MCP
import Testing

/// End-to-end tests of `aifs serve`: the built binary, the swift-sdk client, real files.
///
/// Each test makes `<tmp>/root` (the only root) next to `<tmp>/root-evil` (a sibling
/// whose name starts like the root's, which must stay unreachable).
// Serialized: a server started while another test's pipes are open inherits their ends,
// and that other server would then never see end of file on its stdin.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ServeToolTests {
    let directory: TemporaryDirectory
    var root: String { directory.path("root") }

    init() throws {
        directory = try TemporaryDirectory()
        try directory.tree([
            "root/src/main.swift": "import Foundation\n\nfunc run() {\n    // TODO: parse\n    print(\"hi\")\n}\n",
            "root/src/util.swift": "func helper() -> Int {\n    return 42 // TODO\n}\n",
            "root/docs/guide.md": "# Guide\nNothing to do here.\n",
            "root/.hidden/secret.txt": "hidden TODO\n",
            "root-evil/secret.txt": "do not read me\n",
        ])
        try directory.symlink("root/escape", to: directory.path("root-evil/secret.txt"))
        try directory.symlink("root/escape-dir", to: directory.path("root-evil"))
        try Data([0x7F, 0x45, 0x4C, 0x46, 0x00, 0x01, 0x02, 0xFF]).write(to: URL(fileURLWithPath: directory.path("root/app.bin")))
    }

    func start() async throws -> ServerProcess {
        try await ServerProcess.start(["--root", root], in: directory.path)
    }

    // MARK: - Protocol

    @Test func initializeAndListTools() async throws {
        let server = try await start()
        let (tools, _) = try await server.client.listTools()
        #expect(Set(tools.map(\.name)) == [
            "read_file", "read_multiple_files", "list_directory", "directory_tree", "get_file_info",
            "search_files", "search_content", "get_filesystem_stats", "start_watching", "get_watch_events",
            "stop_watching", "get_watcher_stats", "write_file", "edit_file", "transaction", "batch_operations",
            "apply_patch", "create_directory", "move_file", "get_clock", "changes_since", "list_allowed_directories",
            "batch_read",
        ])
        let changing: Set = ["write_file", "edit_file", "transaction", "batch_operations", "apply_patch", "create_directory", "move_file"]
        for tool in tools {
            // A hint at the specification's default (readOnlyHint false, destructiveHint
            // true) is left out of the listing; absent means the default.
            #expect((tool.annotations.readOnlyHint ?? false) == !changing.contains(tool.name), "\(tool.name)")
            // A read-only tool's destructiveHint is meaningless, and not listed.
            let destructive = tool.annotations.readOnlyHint == true ? tool.annotations.destructiveHint : (tool.annotations.destructiveHint ?? true)
            #expect((destructive ?? false) == (changing.contains(tool.name) && tool.name != "create_directory"), "\(tool.name)")
            // Output schemas are left out of the listing (issue 19: it must stay small).
            #expect(tool.outputSchema == nil, "\(tool.name)")
            let properties = tool.inputSchema.objectValue?["properties"]?.objectValue ?? [:]
            #expect(!properties.isEmpty || ["get_filesystem_stats", "get_clock", "list_allowed_directories"].contains(tool.name), "\(tool.name)")
            for (name, schema) in properties {
                let description = schema.objectValue?["description"]?.stringValue ?? ""
                #expect(!description.isEmpty, "\(tool.name).\(name) has no description")
            }
        }
        // Every agent pays for the listing on every turn (issue 19): under 16 KiB.
        let listing = try JSONEncoder().encode(tools)
        #expect(listing.count < 16 * 1024, "tools/list is \(listing.count) bytes")
        #expect(await server.close() == 0)
    }

    @Test func closingStdinExitsCleanly() async throws {
        let server = try await start()
        #expect(await server.close() == 0)
    }

    @Test func unknownToolIsAToolError() async throws {
        let server = try await start()
        let result = try await server.call("delete_everything", ["path": "."])
        #expect(result.isError == true)
        #expect(result.text.contains("unknown tool 'delete_everything'"))
        #expect(result.text.contains("read_file"))
    }

    @Test func missingMistypedAndUnknownArguments() async throws {
        let server = try await start()
        let missing = try await server.call("read_file", [:])
        #expect(missing.isError == true)
        #expect(missing.text.contains("missing required argument 'path'"))

        let mistyped = try await server.call("read_file", ["path": "src/main.swift", "head": "ten"])
        #expect(mistyped.isError == true)
        #expect(mistyped.text.contains("'head' must be an integer"))

        let unknown = try await server.call("read_file", ["path": "src/main.swift", "lines": 3])
        #expect(unknown.isError == true)
        #expect(unknown.text.contains("unknown argument 'lines'"))

        let conflicting = try await server.call("read_file", ["path": "src/main.swift", "head": 1, "tail": 1])
        #expect(conflicting.isError == true)
        #expect(conflicting.text.contains("at most one of"))
        // The server is still there.
        #expect(try await server.call("get_file_info", ["path": "src"]).isError == false)
    }

    // MARK: - Roots

    @Test func everyEscapeIsRefused() async throws {
        let server = try await start()
        let escapes = [
            "../root-evil/secret.txt",
            "src/../../root-evil/secret.txt",
            directory.path("root-evil/secret.txt"),
            "escape",
            "escape-dir/secret.txt",
            "/etc/passwd",
        ]
        for path in escapes {
            for (tool, arguments) in [
                ("read_file", ["path": Value.string(path)]),
                ("get_file_info", ["path": .string(path)]),
                ("read_multiple_files", ["paths": [.string(path)]]),
            ] {
                let result = try await server.call(tool, arguments)
                if tool == "read_multiple_files" {
                    let entry = result["files"]?.arrayValue?.first?.objectValue
                    #expect(entry?["error"]?.stringValue?.contains("outside the allowed roots") == true, "\(tool) \(path)")
                    #expect(entry?["content"] == .null, "\(tool) \(path)")
                } else {
                    #expect(result.isError == true, "\(tool) \(path)")
                    #expect(result.text.contains("outside the allowed roots"), "\(tool) \(path): \(result.text)")
                }
                #expect(!result.text.contains("do not read me"), "\(tool) \(path)")
            }
        }
        for (tool, arguments) in [
            ("list_directory", ["path": Value.string("escape-dir")]),
            ("directory_tree", ["path": .string("..")]),
            ("search_files", ["path": .string(directory.path("root-evil")), "pattern": "*.txt"]),
            ("search_content", ["path": .string("../root-evil"), "pattern": "read"]),
        ] {
            let result = try await server.call(tool, arguments)
            #expect(result.isError == true, "\(tool)")
            #expect(result.text.contains("outside the allowed roots"), "\(tool): \(result.text)")
        }
    }

    // MARK: - read_file

    @Test func readFileWholeHeadTailAndLines() async throws {
        let server = try await start()
        let whole = try await server.call("read_file", ["path": "src/main.swift"])
        #expect(whole.isError == false)
        #expect(whole["content"] == "import Foundation\n\nfunc run() {\n    // TODO: parse\n    print(\"hi\")\n}\n")
        #expect(whole.text.hasPrefix("import Foundation\n"))
        #expect(whole["lineStart"] == 1)
        #expect(whole["lineEnd"] == 6)
        #expect(whole["truncated"] == false)
        #expect(whole["encoding"] == "utf8")

        let head = try await server.call("read_file", ["path": "src/main.swift", "head": 2])
        #expect(head["content"] == "import Foundation\n\n")

        let tail = try await server.call("read_file", ["path": "src/main.swift", "tail": 2])
        #expect(tail["content"] == "    print(\"hi\")\n}\n")
        #expect(tail["lineStart"] == 5)
        #expect(tail["lineEnd"] == 6)

        let lines = try await server.call("read_file", ["path": "src/main.swift", "lineStart": 3, "lineEnd": 4])
        #expect(lines["content"] == "func run() {\n    // TODO: parse\n")
        #expect(lines["lineStart"] == 3)
        #expect(lines["lineEnd"] == 4)

        let absolute = try await server.call("read_file", ["path": .string(directory.path("root/src/util.swift")), "head": 1])
        #expect(absolute["content"] == "func helper() -> Int {\n")
        #expect(absolute["path"] == "src/util.swift")
    }

    @Test func readFileBinaryAndByteRanges() async throws {
        let server = try await start()
        let refused = try await server.call("read_file", ["path": "app.bin"])
        #expect(refused.isError == true)
        #expect(refused.text.contains("binary file"))
        #expect(refused.text.contains("byteOffset"))

        let bytes = try await server.call("read_file", ["path": "app.bin", "byteOffset": 0, "byteLength": 8])
        #expect(bytes.isError == false)
        #expect(bytes["encoding"] == "base64")
        #expect(bytes["content"]?.stringValue.flatMap { Data(base64Encoded: $0) } == Data([0x7F, 0x45, 0x4C, 0x46, 0x00, 0x01, 0x02, 0xFF]))

        let text = try await server.call("read_file", ["path": "src/util.swift", "byteOffset": 5, "byteLength": 6])
        #expect(text["encoding"] == "utf8")
        #expect(text["content"] == "helper")
    }

    @Test func readFileMissingDirectoryAndLargeFile() async throws {
        let server = try await start()
        let missing = try await server.call("read_file", ["path": "src/nope.swift"])
        #expect(missing.isError == true)
        #expect(missing.text.contains("no such file"))

        let isDirectory = try await server.call("read_file", ["path": "src"])
        #expect(isDirectory.isError == true)
        #expect(isDirectory.text.contains("is a directory"))

        // 400 KiB of numbered lines: the answer stops at 256 KiB on a line end.
        var big = ""
        for number in 1...40_000 { big += "line " + String(repeating: "0", count: 6 - String(number).count) + String(number) + "\n" }
        try directory.file("root/big.log", big)
        let whole = try await server.call("read_file", ["path": "big.log"])
        #expect(whole["truncated"] == true)
        let content = whole["content"]?.stringValue ?? ""
        #expect(content.utf8.count <= 256 * 1024)
        #expect(content.hasSuffix("\n"))
        let last = whole["lineEnd"]?.intValue ?? 0
        #expect(whole["next"] == .string("lineStart=\(last + 1)"))
        #expect(whole.text.contains("[truncated"))

        let next = try await server.call("read_file", ["path": "big.log", "lineStart": .int(last + 1), "lineEnd": .int(last + 1)])
        #expect(next["content"] == .string(String(format: "line %06d\n", last + 1)))

        let tail = try await server.call("read_file", ["path": "big.log", "tail": 3])
        #expect(tail["content"] == "line 039998\nline 039999\nline 040000\n")
        #expect(tail["truncated"] == false)
    }

    @Test func readMultipleFiles() async throws {
        let server = try await start()
        let result = try await server.call("read_multiple_files", ["paths": ["src/util.swift", "nope.txt", "docs/guide.md"]])
        #expect(result.isError == false)
        let files = result["files"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(files.count == 3)
        #expect(files.first?["content"] == "func helper() -> Int {\n    return 42 // TODO\n}\n")
        #expect(files.dropFirst().first?["error"]?.stringValue?.contains("no such file") == true)
        #expect(files.last?["content"] == "# Guide\nNothing to do here.\n")
        #expect(result.text.contains("== docs/guide.md =="))

        let empty = try await server.call("read_multiple_files", ["paths": []])
        #expect(empty.isError == true)
    }

    // MARK: - Listing

    @Test func listDirectoryAndPaging() async throws {
        let server = try await start()
        let result = try await server.call("list_directory", ["path": "."])
        #expect(result.isError == false)
        let names = result["entries"]?.arrayValue?.compactMap { $0.objectValue?["name"]?.stringValue } ?? []
        #expect(names == [".hidden", "app.bin", "docs", "escape", "escape-dir", "src"])
        let kinds = result["entries"]?.arrayValue?.compactMap { $0.objectValue?["kind"]?.stringValue } ?? []
        #expect(kinds == ["directory", "file", "directory", "symlink", "symlink", "directory"])

        let first = try await server.call("list_directory", ["path": ".", "maxEntries": 4])
        #expect(first["truncated"] == true)
        let cursor = try #require(first["nextCursor"]?.stringValue)
        let second = try await server.call("list_directory", ["path": ".", "maxEntries": 4, "cursor": .string(cursor)])
        #expect(second["entries"]?.arrayValue?.compactMap { $0.objectValue?["name"]?.stringValue } == ["escape-dir", "src"])
        #expect(second["nextCursor"] == .null)

        let file = try await server.call("list_directory", ["path": "src/main.swift"])
        #expect(file.isError == true)
        #expect(file.text.contains("not a directory"))

        let badCursor = try await server.call("list_directory", ["path": ".", "cursor": "abc"])
        #expect(badCursor.isError == true)
    }

    @Test func directoryTree() async throws {
        let server = try await start()
        let result = try await server.call("directory_tree", ["path": ".", "exclude": ["*.md"]])
        #expect(result.isError == false)
        let paths = result["entries"]?.arrayValue?.compactMap { $0.objectValue?["path"]?.stringValue } ?? []
        #expect(paths == ["app.bin", "docs", "escape", "escape-dir", "src", "src/main.swift", "src/util.swift"])
        #expect(result.text.contains("  src/\n    main.swift"))

        let shallow = try await server.call("directory_tree", ["path": ".", "maxDepth": 1])
        #expect(shallow["totalCount"] == 5)
    }

    @Test func getFileInfo() async throws {
        let server = try await start()
        let result = try await server.call("get_file_info", ["path": "src/util.swift"])
        #expect(result.isError == false)
        #expect(result["kind"] == "file")
        #expect(result["size"] == 47)
        #expect(result["isSymlink"] == false)
        #expect(result["modified"]?.stringValue?.hasSuffix("Z") == true)

        let missing = try await server.call("get_file_info", ["path": "gone"])
        #expect(missing.isError == true)
        #expect(missing.text.contains("no such file"))
    }

    @Test func searchFiles() async throws {
        let server = try await start()
        let result = try await server.call("search_files", ["pattern": "*.swift"])
        #expect(result["paths"] == ["src/main.swift", "src/util.swift"])
        #expect(result["totalCount"] == 2)

        let paged = try await server.call("search_files", ["pattern": "*.swift", "maxResults": 1])
        #expect(paged["paths"] == ["src/main.swift"])
        let cursor = try #require(paged["nextCursor"]?.stringValue)
        let rest = try await server.call("search_files", ["pattern": "*.swift", "maxResults": 1, "cursor": .string(cursor)])
        #expect(rest["paths"] == ["src/util.swift"])
        #expect(rest["nextCursor"] == .null)

        let excluded = try await server.call("search_files", ["pattern": "*.swift", "exclude": ["util.*"]])
        #expect(excluded["paths"] == ["src/main.swift"])

        let hidden = try await server.call("search_files", ["pattern": "*.txt", "includeHidden": true])
        #expect(hidden["paths"] == [".hidden/secret.txt"])

        let invalid = try await server.call("search_files", ["pattern": "a[b"])
        #expect(invalid.isError == true)
    }

    // MARK: - search_content

    @Test func searchContent() async throws {
        let server = try await start()
        let result = try await server.call("search_content", ["pattern": "TODO"])
        #expect(result.isError == false)
        let matches = result["matches"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(matches.map { $0["path"] } == ["src/main.swift", "src/util.swift"])
        #expect(matches.first?["line"] == 4)
        #expect(matches.first?["column"] == 8)
        #expect(matches.first?["text"] == "    // TODO: parse")
        #expect(matches.first?["submatches"] == [["end": 11, "start": 7, "text": "TODO"]])
        #expect(result["stats"]?.objectValue?["filesMatched"] == 2)
        #expect(result.text.contains("src/main.swift:4:8:    // TODO: parse"))

        let context = try await server.call("search_content", ["pattern": "print", "before": 1, "after": 1])
        let match = context["matches"]?.arrayValue?.first?.objectValue
        #expect(match?["before"] == ["    // TODO: parse"])
        #expect(match?["after"] == ["}"])

        let paged = try await server.call("search_content", ["pattern": "TODO", "maxResults": 1])
        #expect(paged["truncated"] == true)
        let rest = try await server.call("search_content", ["pattern": "TODO", "maxResults": 1, "cursor": paged["nextCursor"] ?? .null])
        #expect(rest["matches"]?.arrayValue?.first?.objectValue?["path"] == "src/util.swift")
        #expect(rest["nextCursor"] == .null)

        let options = try await server.call(
            "search_content",
            ["pattern": "todo", "caseMode": "insensitive", "include": ["*.md", "util.*"], "literal": true])
        #expect(options["matches"]?.arrayValue?.compactMap { $0.objectValue?["path"] } == ["src/util.swift"])

        let invalid = try await server.call("search_content", ["pattern": "(unclosed"])
        #expect(invalid.isError == true)
        #expect(invalid.text.contains("invalid pattern"))

        let badCase = try await server.call("search_content", ["pattern": "x", "caseMode": "loud"])
        #expect(badCase.isError == true)

        let none = try await server.call("search_content", ["pattern": "zebra"])
        #expect(none["matches"] == [])
        #expect(none.text.contains("no match"))
    }
}
