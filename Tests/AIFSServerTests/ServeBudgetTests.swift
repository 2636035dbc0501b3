import AIFSTestSupport
import Foundation
import MCP
import Testing

/// One output budget for every answer (issue 19, part 5): each tool family fits its
/// answer to `--max-output-bytes` and, where it can go on, says how.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ServeBudgetTests {
    let directory: TemporaryDirectory
    var root: String { directory.path("root") }
    /// A small budget, so small trees overflow it.
    static let budget = 8192

    init() throws {
        directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path("root"), withIntermediateDirectories: true)
    }

    func start(budget: Int = ServeBudgetTests.budget) async throws -> ServerProcess {
        try await ServerProcess.start(["--root", root, "--max-output-bytes", String(budget)], in: directory.path)
    }

    /// Both forms of `result` within `budget` bytes: the text, and the structured
    /// content as the server writes it (slashes unescaped).
    func expectWithinBudget(_ result: CallTool.Result, _ budget: Int = ServeBudgetTests.budget, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(result.text.utf8.count <= budget, "text is \(result.text.utf8.count) bytes", sourceLocation: sourceLocation)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let structured = try encoder.encode(result.structuredContent)
        #expect(structured.count <= budget, "structuredContent is \(structured.count) bytes", sourceLocation: sourceLocation)
    }

    /// `count` files under `root/<under>` with long names, so a listing of them needs
    /// several budgets.
    func manyFiles(_ count: Int, under: String = "many") throws -> [String] {
        let names = (0..<count).map { String(format: "file-%04d-", $0) + String(repeating: "x", count: 40) + ".txt" }
        try directory.tree(Dictionary(uniqueKeysWithValues: names.map { ("root/\(under)/\($0)", "needle \($0)\n") }))
        return names
    }

    @Test func readFileStopsAtTheBudgetAndNextContinues() async throws {
        let lines = (1...2000).map { "line \($0) of the file, with some words to fill it\n" }
        try directory.tree(["root/long.txt": lines.joined()])
        let server = try await start()
        var collected = ""
        var arguments: [String: Value] = ["path": "long.txt"]
        var pages = 0
        while true {
            let page = try await server.call("read_file", arguments)
            #expect(page.isError != true, "\(page.text)")
            try expectWithinBudget(page)
            collected += page["content"]?.stringValue ?? ""
            pages += 1
            guard page["truncated"] == true else { break }
            let next = try #require(page["next"]?.stringValue)
            #expect(next.hasPrefix("lineStart="), "\(next)")
            arguments = ["path": "long.txt", "lineStart": .int(Int(next.dropFirst("lineStart=".count)) ?? 0)]
            if pages > 50 { break }
        }
        #expect(collected == lines.joined(), "the pages join into the file")
        #expect(pages >= 10)

        // Numbered lines are longer than the bytes read: still within the budget.
        let numbered = try await server.call("read_file", ["path": "long.txt", "lineNumbers": true])
        try expectWithinBudget(numbered)
        #expect(numbered["truncated"] == true)
        #expect(numbered.text.contains("[truncated: continue with lineStart="), "\(numbered.text.suffix(200))")

        // A byte range asked for beyond the budget comes back cut, with where to go on.
        let bytes = try await server.call("read_file", ["path": "long.txt", "byteOffset": 0, "byteLength": 60000])
        try expectWithinBudget(bytes)
        #expect(bytes["truncated"] == true)
        #expect(bytes["next"]?.stringValue?.hasPrefix("byteOffset=") == true)

        // A UTF-16 file (decoded whole) is cut at a line too, and goes on from it.
        var utf16: [UInt8] = [0xFF, 0xFE]
        for unit in lines.joined().utf16 { utf16 += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        try Data(utf16).write(to: URL(fileURLWithPath: directory.path("root/wide.txt")))
        var wide = ""
        var start = 1
        for _ in 0..<50 {
            let page = try await server.call("read_file", ["path": "wide.txt", "lineStart": .int(start)])
            #expect(page.isError != true, "\(page.text)")
            try expectWithinBudget(page)
            wide += page["content"]?.stringValue ?? ""
            guard page["truncated"] == true, let next = page["next"]?.stringValue, next.hasPrefix("lineStart=") else { break }
            start = Int(next.dropFirst("lineStart=".count)) ?? 0
        }
        #expect(wide == lines.joined(), "the UTF-16 pages join into the text")

        // read_multiple_files shares the budget.
        try directory.tree(["root/long2.txt": lines.joined()])
        let several = try await server.call("read_multiple_files", ["paths": ["long.txt", "long2.txt"]])
        try expectWithinBudget(several)
        #expect(several["files"]?.arrayValue?.allSatisfy { $0.objectValue?["truncated"] == true } == true)
        #expect(await server.close() == 0)
    }

    @Test func listingsAndSearchesPageWithinTheBudget() async throws {
        let names = try manyFiles(400)
        let server = try await start()
        // list_directory: every name once, in order, each page within the budget.
        for (tool, key, arguments) in [
            ("list_directory", "entries", ["path": "many", "maxEntries": 10000] as [String: Value]),
            ("search_files", "paths", ["pattern": "*.txt", "maxResults": 20000]),
            ("directory_tree", "entries", ["path": "many", "maxEntries": 20000]),
        ] {
            var seen: [String] = []
            var cursor: Value?
            var pages = 0
            repeat {
                var call = arguments
                if let cursor { call["cursor"] = cursor }
                let page = try await server.call(tool, call)
                #expect(page.isError != true, "\(tool): \(page.text)")
                try expectWithinBudget(page)
                for entry in page[key]?.arrayValue ?? [] {
                    let name = entry.stringValue ?? entry.objectValue?["name"]?.stringValue ?? entry.objectValue?["path"]?.stringValue ?? ""
                    seen.append(String(name.split(separator: "/").last ?? ""))
                }
                cursor = page["nextCursor"]?.stringValue.map { Value.string($0) }
                #expect((cursor != nil) == (page["truncated"]?.boolValue == true), "\(tool): \(String(describing: page["truncated"]))")
                pages += 1
            } while cursor != nil && pages < 100
            #expect(seen == names, "\(tool): every entry once, in order, over \(pages) pages: \(seen.count) seen, \(Set(seen).count) distinct, first \(seen.first ?? "")")
            #expect(pages > 1, "\(tool)")
        }

        // search_content: every matching line once, over pages within the budget.
        var found: [String] = []
        var cursor: Value?
        repeat {
            var call: [String: Value] = ["pattern": "needle", "literal": true, "maxResults": 5000]
            if let cursor { call["cursor"] = cursor }
            let page = try await server.call("search_content", call)
            #expect(page.isError != true, "\(page.text)")
            try expectWithinBudget(page)
            found += (page["matches"]?.arrayValue ?? []).compactMap { $0.objectValue?["text"]?.stringValue }
            cursor = page["nextCursor"]?.stringValue.map { Value.string($0) }
        } while cursor != nil && found.count <= names.count
        #expect(found == names.map { "needle \($0)" })
        #expect(await server.close() == 0)
    }

    @Test func batchResultsPageWithinTheBudget() async throws {
        let names = try manyFiles(300)
        let server = try await start()
        for tool in ["batch_read", "batch_operations"] {
            var hashed: [String] = []
            var cursor: Value?
            var pages = 0
            repeat {
                var call: [String: Value] = ["operation": "hash", "paths": ["many"], "maxResults": 1000]
                if let cursor { call["cursor"] = cursor }
                let page = try await server.call(tool, call)
                #expect(page.isError != true, "\(tool): \(page.text)")
                try expectWithinBudget(page)
                hashed += (page["results"]?.arrayValue ?? []).compactMap {
                    $0.objectValue?["path"]?.stringValue.map { String($0.split(separator: "/").last ?? "") }
                }
                cursor = page["nextCursor"]?.stringValue.map { Value.string($0) }
                pages += 1
            } while cursor != nil && pages < 100
            #expect(hashed == names, "\(tool): every file once, in order, over \(pages) pages")
            #expect(pages > 1)
        }
        // batch_read reads only.
        let refused = try await server.call("batch_read", ["operation": "delete", "paths": ["many"]])
        #expect(refused.isError == true)
        #expect(refused.text.contains("not a reading operation"), "\(refused.text)")
        let unknown = try await server.call("batch_read", ["operation": "hash", "dryRun": true])
        #expect(unknown.isError == true)
        #expect(unknown.text.contains("unknown argument 'dryRun'"), "\(unknown.text)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path("root/many")).count == names.count)
        #expect(await server.close() == 0)
    }

    /// An answer that cannot page (a long diff) is cut, and says so in both forms.
    @Test func whatCannotPageIsCutAndSaysSo() async throws {
        let lines = (1...3000).map { "value \($0) = \($0 * 7)\n" }
        try directory.tree(["root/big.txt": lines.joined()])
        let server = try await start()
        let diff = try await server.call("edit_file", [
            "path": "big.txt", "edits": [["oldText": "value", "newText": "VALUE", "replaceAll": true]], "dryRun": true,
        ])
        #expect(diff.isError != true, "\(diff.text)")
        try expectWithinBudget(diff)
        #expect(diff["truncated"] == true)
        #expect(diff.text.contains("[cut: the answer is over the output budget of \(Self.budget) bytes"), "\(diff.text.suffix(300))")
        #expect(try String(contentsOfFile: directory.path("root/big.txt"), encoding: .utf8) == lines.joined(), "a dry run")
        #expect(await server.close() == 0)
    }

    @Test func changesSinceAndWatchEventsPageWithinTheBudget() async throws {
        let server = try await start()
        let clock = try #require(try await server.call("get_clock")["clock"]?.stringValue)
        let watch = try await server.call("start_watching", ["paths": ["."]])
        let watchID = try #require(watch["watchId"]?.stringValue)
        let names = try manyFiles(300)

        var changed: [String] = []
        var cursor: Value?
        var pages = 0
        repeat {
            var call: [String: Value] = ["clock": .string(clock), "limit": 5000]
            if let cursor { call["cursor"] = cursor }
            let page = try await server.call("changes_since", call)
            #expect(page.isError != true, "\(page.text)")
            try expectWithinBudget(page)
            changed += (page["changes"]?.arrayValue ?? []).compactMap {
                $0.objectValue?["path"]?.stringValue.map { String($0.split(separator: "/").last ?? "") }
            }
            cursor = page["nextCursor"]?.stringValue.map { Value.string($0) }
            pages += 1
        } while cursor != nil && pages < 100
        #expect(changed == names, "over \(pages) pages")
        #expect(pages > 1)

        // The watcher's events: read on (no cursor) until every file has come, each
        // read within the budget and none lost.
        var added = Set<String>()
        let deadline = ContinuousClock.now + .seconds(30)
        var reads = 0
        while added.count < names.count, ContinuousClock.now < deadline {
            let page = try await server.call("get_watch_events", ["watchId": .string(watchID), "max": 10000])
            try expectWithinBudget(page)
            #expect(page["dropped"] == 0)
            for event in page["events"]?.arrayValue ?? [] where event.objectValue?["event"]?.stringValue == "add" {
                if let path = event.objectValue?["path"]?.stringValue, path.hasSuffix(".txt") {
                    added.insert(String(path.split(separator: "/").last ?? ""))
                }
            }
            reads += 1
        }
        #expect(added == Set(names), "\(added.count) of \(names.count) after \(reads) reads")
        #expect(await server.close() == 0)
    }

    /// An error's text keeps to the budget too: a refused write shows the lines changed
    /// since the read, up to 8 KiB of them.
    @Test func anErrorKeepsToTheBudget() async throws {
        try directory.tree(["root/table.txt": "row 1\nrow 2\n"])
        let server = try await start(budget: 4096)
        let version = try #require(try await server.call("read_file", ["path": "table.txt"])["version"]?.stringValue)
        // Someone else grows the file: the refusal's diff (up to 8 KiB) is longer than
        // the budget.
        try (1...3000).map { "row \($0)\n" }.joined().write(toFile: directory.path("root/table.txt"), atomically: true, encoding: .utf8)
        let refused = try await server.call("write_file", ["path": "table.txt", "content": "x\n", "expectedVersion": .string(version)])
        #expect(refused.isError == true)
        #expect(refused.text.utf8.count <= 4096, "\(refused.text.utf8.count) bytes")
        #expect(refused.text.contains("changed since it was read"), "\(refused.text.prefix(300))")
        #expect(refused.text.contains("+row 3"), "the diff's start: \(refused.text.prefix(600))")
        #expect(refused.text.hasSuffix("ask for less]"), "\(refused.text.suffix(200))")
        #expect(await server.close() == 0)
    }

    @Test func theFlagIsChecked() async throws {
        let (status, _, error) = try runAIFS(["serve", "--max-output-bytes", "10"])
        #expect(status == 2)
        #expect(error.contains("--max-output-bytes 10 is out of range"), "\(error)")
    }

    /// Runs `aifs` with `arguments` and stdin closed; its status, stdout and stderr.
    func runAIFS(_ arguments: [String]) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServerProcess.executable)
        process.arguments = arguments
        process.environment = ServerProcess.testEnvironment
        process.standardInput = FileHandle.nullDevice
        // The pipes too inside the lock (see ServerProcess: a process started meanwhile
        // would inherit them).
        let (output, error) = try ChildProcesses.locked { () throws -> (Pipe, Pipe) in
            let output = Pipe()
            let error = Pipe()
            process.standardOutput = output
            process.standardError = error
            try process.run()
            return (output, error)
        }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
}
