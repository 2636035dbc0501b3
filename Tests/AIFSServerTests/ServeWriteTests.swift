import AIFSTestSupport
import Foundation
import MCP
import Testing

/// `write_file`, `edit_file`, `transaction` and `batch_operations` over stdio.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ServeWriteTests {
    let directory: TemporaryDirectory
    var root: String { directory.path("root") }

    init() throws {
        directory = try TemporaryDirectory()
        try directory.tree([
            "root/config.swift": "let limit = 10\nlet name = \"aifs\"\n",
            "root/twice.txt": "same\nother\nsame\n",
            "root/src/a.swift": "// TODO: a\nlet a = 1\n",
            "root/src/b.swift": "let b = 2\n",
            "root/src/c.md": "# TODO\n",
            "root-evil/secret.txt": "do not touch\n",
        ])
    }

    func start() async throws -> ServerProcess {
        try await ServerProcess.start(["--root", root], in: directory.path)
    }

    func contents(_ relative: String) -> String? {
        try? String(contentsOfFile: directory.path(relative), encoding: .utf8)
    }

    /// Text that looks like a data URL is text: the SDK's own decoding made it binary
    /// data, which the tools refused as "not a string".
    @Test func argumentsThatLookLikeDataURLsStayText() async throws {
        let server = try await start()
        let written = try await server.call("write_file", ["path": "inline.html", "content": "data:,hello\n"])
        #expect(written.isError != true, "\(written.text)")
        #expect(contents("root/inline.html") == "data:,hello\n")
        let image = "<img src=\"data:image/png;base64,iVBORw0KGgo=\">"
        _ = try await server.call("write_file", ["path": "page.html", "content": .string(image + "\n")])
        let edited = try await server.call(
            "edit_file", ["path": "page.html", "edits": [["oldText": "data:image/png;base64,iVBORw0KGgo=", "newText": "data:,x"]]])
        #expect(edited.isError != true, "\(edited.text)")
        #expect(contents("root/page.html") == "<img src=\"data:,x\">\n")
        let found = try await server.call("search_content", ["pattern": "data:,x", "literal": true])
        #expect(found.isError != true, "\(found.text)")
        #expect(found.text.contains("page.html"))
        _ = await server.close()
    }

    /// Many calls in flight at once, more than run at a time: every one is answered,
    /// with its own file.
    @Test func manyConcurrentCallsAreEachAnsweredWithTheirOwnResult() async throws {
        for index in 0..<200 { try directory.file("root/many/f\(index).txt", "file \(index)\n") }
        let server = try await start()
        let answers = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<200 {
                group.addTask { (index, try await server.call("read_file", ["path": .string("many/f\(index).txt")]).text) }
            }
            var answers: [Int: String] = [:]
            for try await (index, text) in group { answers[index] = text }
            return answers
        }
        #expect(answers.count == 200)
        for index in 0..<200 { #expect(answers[index]?.contains("file \(index)\n") == true, "\(index): \(answers[index] ?? "none")") }
        _ = await server.close()
    }

    @Test func writeFileCreatesReplacesAndKeepsTheMode() async throws {
        let server = try await start()
        let created = try await server.call("write_file", ["path": "new/dir/file.txt", "content": "hello\n"])
        #expect(created.isError != true, "\(created.text)")
        #expect(created["created"] == true)
        #expect(contents("root/new/dir/file.txt") == "hello\n")

        try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: directory.path("root/config.swift"))
        // Read first so the content cache may hold the old text; the write must drop it.
        _ = try await server.call("read_file", ["path": "config.swift"])
        let replaced = try await server.call("write_file", ["path": "config.swift", "content": "let limit = 99\n"])
        #expect(replaced["created"] == false)
        #expect(replaced["bytesWritten"]?.intValue == 15)
        let mode = try FileManager.default.attributesOfItem(atPath: directory.path("root/config.swift"))[.posixPermissions] as? Int
        #expect(mode == 0o750)
        #expect(try await server.call("read_file", ["path": "config.swift"])["content"]?.stringValue == "let limit = 99\n")

        for (path, expected) in [("../root-evil/secret.txt", "outside"), ("/etc/passwd", "outside"), ("src", "directory")] {
            let refused = try await server.call("write_file", ["path": .string(path), "content": "x"])
            #expect(refused.isError == true, "\(path)")
            #expect(refused.text.contains(expected), "\(path): \(refused.text)")
        }
        #expect(contents("root-evil/secret.txt") == "do not touch\n")
        #expect(await server.close() == 0)
    }

    @Test func editFileReturnsADiffAndRefusesAmbiguity() async throws {
        let server = try await start()
        let preview = try await server.call("edit_file", [
            "path": "config.swift", "edits": [["oldText": "limit = 10", "newText": "limit = 20"]], "dryRun": true,
        ])
        #expect(preview.isError != true, "\(preview.text)")
        #expect(preview["applied"] == false)
        #expect(preview["diff"]?.stringValue?.contains("-let limit = 10\n+let limit = 20") == true)
        #expect(contents("root/config.swift") == "let limit = 10\nlet name = \"aifs\"\n")

        let edit = try await server.call("edit_file", [
            "path": "config.swift",
            "edits": [["oldText": "limit = 10", "newText": "limit = 20"], ["oldText": "\"aifs\"", "newText": "\"engine\""]],
        ])
        #expect(edit["applied"] == true)
        #expect(contents("root/config.swift") == "let limit = 20\nlet name = \"engine\"\n")

        let ambiguous = try await server.call("edit_file", ["path": "twice.txt", "edits": [["oldText": "same", "newText": "x"]]])
        #expect(ambiguous.isError == true)
        #expect(ambiguous.text.contains("2 times"), "\(ambiguous.text)")
        #expect(ambiguous.text.contains("1") && ambiguous.text.contains("3"), "the lines: \(ambiguous.text)")
        #expect(contents("root/twice.txt") == "same\nother\nsame\n")

        let missing = try await server.call("edit_file", ["path": "twice.txt", "edits": [["oldText": "absent", "newText": "x"]]])
        #expect(missing.isError == true)
        let malformed = try await server.call("edit_file", ["path": "twice.txt", "edits": [["old": "same"]]])
        #expect(malformed.isError == true)
        #expect(malformed.text.contains("edits[0]"))
        #expect(await server.close() == 0)
    }

    @Test func transactionsAreAllOrNothing() async throws {
        let server = try await start()
        let failing = try await server.call("transaction", [
            "operations": [
                ["type": "write", "path": "created.txt", "content": "new\n"],
                ["type": "update", "path": "config.swift", "updates": [["oldText": "limit = 10", "newText": "limit = 30"]]],
                ["type": "update", "path": "twice.txt", "updates": [["oldText": "same", "newText": "x"]]],
            ],
        ])
        #expect(failing.isError == true)
        #expect(failing.text.contains("twice.txt"), "\(failing.text)")
        #expect(contents("root/created.txt") == nil)
        #expect(contents("root/config.swift") == "let limit = 10\nlet name = \"aifs\"\n")

        let dry = try await server.call("transaction", [
            "operations": [["type": "move", "path": "src/b.swift", "destination": "src/b2.swift"]], "dryRun": true,
        ])
        #expect(dry["applied"] == false)
        #expect(contents("root/src/b.swift") != nil)

        let applied = try await server.call("transaction", [
            "operations": [
                ["type": "create", "path": "created.txt", "content": "new\n"],
                ["type": "move", "path": "src/b.swift", "destination": "src/b2.swift"],
                ["type": "delete", "path": "src/c.md"],
            ],
        ])
        #expect(applied.isError != true, "\(applied.text)")
        #expect(applied["applied"] == true)
        #expect(applied["operations"]?.arrayValue?.count == 3)
        #expect(contents("root/created.txt") == "new\n")
        #expect(contents("root/src/b2.swift") == "let b = 2\n")
        #expect(contents("root/src/c.md") == nil)

        let escape = try await server.call("transaction", [
            "operations": [["type": "write", "path": "../root-evil/secret.txt", "content": "gotcha"]],
        ])
        #expect(escape.isError == true)
        #expect(contents("root-evil/secret.txt") == "do not touch\n")
        let malformed = try await server.call("transaction", ["operations": [["type": "explode", "path": "x"]]])
        #expect(malformed.isError == true)
        #expect(await server.close() == 0)
    }

    @Test func batchOperationsReadPageAndChange() async throws {
        let server = try await start()
        let hashes = try await server.call("batch_operations", ["operation": "hash", "paths": ["src"]])
        #expect(hashes.isError != true, "\(hashes.text)")
        let results = try #require(hashes["results"]?.arrayValue)
        #expect(results.compactMap { $0.objectValue?["path"]?.stringValue } == ["src/a.swift", "src/b.swift", "src/c.md"])
        // sha256("# TODO\n"), as sha256sum prints it.
        #expect(results.last?.objectValue?["sha256"]?.stringValue == "0e478b525adbeeb1b1de7674e1a00353d1d75eee666537ff0c1c13d3187322fe")
        #expect(hashes["summary"]?.objectValue?["succeeded"]?.intValue == 3)

        let page = try await server.call("batch_operations", ["operation": "count", "paths": ["src"], "maxResults": 2])
        #expect(page["truncated"] == true)
        #expect(page["nextCursor"]?.stringValue == "2")
        let rest = try await server.call("batch_operations", ["operation": "count", "paths": ["src"], "maxResults": 2, "cursor": "2"])
        #expect(rest["results"]?.arrayValue?.first?.objectValue?["lines"]?.intValue == 1)
        #expect(rest["truncated"] == false)

        let search = try await server.call("batch_operations", ["operation": "search", "pattern": "TODO", "glob": "*.swift"])
        let searched = try #require(search["results"]?.arrayValue)
        // Every chosen file gets its count, zero included.
        let counts = Dictionary(uniqueKeysWithValues: searched.compactMap { result -> (String, Int)? in
            guard let object = result.objectValue, let path = object["path"]?.stringValue else { return nil }
            return (path, object["matchingLines"]?.intValue ?? -1)
        })
        #expect(counts == ["config.swift": 0, "src/a.swift": 1, "src/b.swift": 0], "\(search.text)")

        let dryDelete = try await server.call("batch_operations", ["operation": "delete", "paths": ["src"], "dryRun": true])
        #expect(dryDelete["summary"]?.objectValue?["succeeded"]?.intValue == 3)
        #expect(contents("root/src/a.swift") != nil)

        let copy = try await server.call("batch_operations", ["operation": "copy", "paths": ["src"], "destination": "backup"])
        #expect(copy.isError != true, "\(copy.text)")
        #expect(contents("root/backup/a.swift") == "// TODO: a\nlet a = 1\n")
        let again = try await server.call("batch_operations", ["operation": "copy", "paths": ["src"], "destination": "backup"])
        #expect(again["summary"]?.objectValue?["failed"]?.intValue == 3, "existing destinations are errors without overwrite")

        let rename = try await server.call("batch_operations", [
            "operation": "rename", "paths": ["backup"], "pattern": #"^(.*)\.swift$"#, "replacement": "$1.txt",
        ])
        #expect(rename.isError != true, "\(rename.text)")
        #expect(contents("root/backup/a.txt") != nil)

        for arguments: [String: Value] in [
            ["operation": "explode"], ["operation": "copy", "paths": ["src"]], ["operation": "hash", "pattern": "x"],
            ["operation": "delete", "cursor": "2"], ["operation": "hash", "paths": ["../root-evil"]],
            ["operation": "search", "pattern": "("],
        ] {
            let refused = try await server.call("batch_operations", arguments)
            #expect(refused.isError == true, "\(arguments): \(refused.text)")
        }
        let escape = try await server.call("batch_operations", ["operation": "move", "paths": ["src"], "destination": "../root-evil"])
        #expect(escape.isError == true)
        #expect(contents("root/src/a.swift") != nil)
        #expect(await server.close() == 0)
    }

    /// `apply_patch` (Codex's format) lands all or nothing: a hunk that matches nothing
    /// changes no file and shows the closest lines; a dry run only shows the diffs.
    @Test func applyPatchIsAllOrNothing() async throws {
        let server = try await start()
        let failing = try await server.call("apply_patch", [
            "patch": .string("""
                *** Begin Patch
                *** Add File: notes/new.md
                +# New
                *** Update File: config.swift
                @@
                -let limit = 10
                +let limit = 30
                *** Update File: src/b.swift
                @@
                -let b = 3
                +let b = 4
                *** End Patch
                """),
        ])
        #expect(failing.isError == true)
        #expect(failing.text.contains("hunk 1 of 1") && failing.text.contains("'src/b.swift'"), "\(failing.text)")
        #expect(failing.text.contains("1: let b = 2"), "the closest line, numbered: \(failing.text)")
        #expect(contents("root/notes/new.md") == nil)
        #expect(contents("root/config.swift") == "let limit = 10\nlet name = \"aifs\"\n")

        let patch = """
            *** Begin Patch
            *** Add File: notes/new.md
            +# New
            *** Update File: config.swift
            @@ let limit = 10
            -let name = "aifs"
            +let name = "engine"
            *** Update File: src/b.swift
            *** Move to: src/bee.swift
            @@
            -let b = 2
            +let b = 4
            *** Delete File: src/c.md
            *** End Patch
            """
        let dry = try await server.call("apply_patch", ["patch": .string(patch), "dryRun": true])
        #expect(dry.isError != true, "\(dry.text)")
        #expect(dry["applied"] == false)
        #expect(dry.text.contains("-let name = \"aifs\"\n+let name = \"engine\""), "\(dry.text)")
        #expect(contents("root/src/b.swift") == "let b = 2\n")

        let applied = try await server.call("apply_patch", ["patch": .string(patch)])
        #expect(applied.isError != true, "\(applied.text)")
        #expect(applied["applied"] == true)
        #expect(contents("root/notes/new.md") == "# New\n")
        #expect(contents("root/config.swift") == "let limit = 10\nlet name = \"engine\"\n")
        #expect(contents("root/src/b.swift") == nil)
        #expect(contents("root/src/bee.swift") == "let b = 4\n")
        #expect(contents("root/src/c.md") == nil)

        let escape = try await server.call("apply_patch", [
            "patch": .string("*** Begin Patch\n*** Add File: ../root-evil/x.txt\n+x\n*** End Patch\n"),
        ])
        #expect(escape.isError == true)
        #expect(contents("root-evil/x.txt") == nil)
        #expect(await server.close() == 0)
    }

    /// `edit_file`'s replaceAll and expectedReplacements.
    @Test func editFileReplacesEveryOccurrenceWhenAsked() async throws {
        let server = try await start()
        let wrongCount = try await server.call("edit_file", [
            "path": "twice.txt", "edits": [["oldText": "same", "newText": "x", "expectedReplacements": 3]],
        ])
        #expect(wrongCount.isError == true)
        #expect(wrongCount.text.contains("occurs 2 times (on lines 1, 3), not the 3 expectedReplacements says"), "\(wrongCount.text)")
        #expect(contents("root/twice.txt") == "same\nother\nsame\n")
        let counted = try await server.call("edit_file", [
            "path": "twice.txt", "edits": [["oldText": "same", "newText": "x", "expectedReplacements": 2]],
        ])
        #expect(counted.isError != true, "\(counted.text)")
        #expect(contents("root/twice.txt") == "x\nother\nx\n")
        let all = try await server.call("edit_file", ["path": "twice.txt", "edits": [["oldText": "x", "newText": "y", "replaceAll": true]]])
        #expect(all.isError != true, "\(all.text)")
        #expect(contents("root/twice.txt") == "y\nother\ny\n")
        #expect(await server.close() == 0)
    }

    /// `create_directory` and `move_file`, as in the official server's contract, inside
    /// the roots only.
    @Test func createDirectoryAndMoveFile() async throws {
        let server = try await start()
        let made = try await server.call("create_directory", ["path": "new/deep/dir"])
        #expect(made["created"] == true, "\(made.text)")
        #expect(FileManager.default.fileExists(atPath: directory.path("root/new/deep/dir")))
        #expect(try await server.call("create_directory", ["path": "new/deep/dir"])["created"] == false)
        let onFile = try await server.call("create_directory", ["path": "config.swift"])
        #expect(onFile.isError == true)
        #expect(onFile.text.contains("it exists and is a regular file"), "\(onFile.text)")

        let moved = try await server.call("move_file", ["source": "src/b.swift", "destination": "new/b.swift"])
        #expect(moved.isError != true, "\(moved.text)")
        #expect(contents("root/new/b.swift") == "let b = 2\n")
        #expect(contents("root/src/b.swift") == nil)
        let directoryMove = try await server.call("move_file", ["source": "new/deep", "destination": "moved/deep"])
        #expect(directoryMove.isError != true, "\(directoryMove.text)")
        #expect(FileManager.default.fileExists(atPath: directory.path("root/moved/deep/dir")))
        let taken = try await server.call("move_file", ["source": "config.swift", "destination": "twice.txt"])
        #expect(taken.isError == true)
        #expect(contents("root/twice.txt") == "same\nother\nsame\n")
        let escape = try await server.call("move_file", ["source": "config.swift", "destination": "../root-evil/config.swift"])
        #expect(escape.isError == true)
        #expect(contents("root/config.swift") != nil)
        let outside = try await server.call("create_directory", ["path": "../root-evil/made"])
        #expect(outside.isError == true)
        #expect(!FileManager.default.fileExists(atPath: directory.path("root-evil/made")))
        #expect(await server.close() == 0)
    }
}
