import AIFSTestSupport
import Foundation
import MCP
import Testing

/// read_file's lineNumbers, encoding and line ranges past the end (issue 19, part 5).
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ServeReadOptionsTests {
    let directory: TemporaryDirectory
    var root: String { directory.path("root") }

    init() throws {
        directory = try TemporaryDirectory()
        try directory.tree(["root/five.txt": "one\ntwo\nthree\nfour\nfive\n"])
        try Data([0x63, 0x61, 0x66, 0xE9, 0x20, 0x80, 0x0A]).write(to: URL(fileURLWithPath: directory.path("root/latin.txt")))
        var utf16: [UInt8] = [0xFF, 0xFE]
        for unit in "héllo\nwörld\n".utf16 { utf16 += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        try Data(utf16).write(to: URL(fileURLWithPath: directory.path("root/utf16.txt")))
    }

    func start() async throws -> ServerProcess {
        try await ServerProcess.start(["--root", root], in: directory.path)
    }

    @Test func lineNumbersNumberTheRealLinesWithAHeader() async throws {
        let server = try await start()
        let whole = try await server.call("read_file", ["path": "five.txt", "lineNumbers": true])
        #expect(whole.text == "[five.txt: lines 1-5 of 5]\n     1\tone\n     2\ttwo\n     3\tthree\n     4\tfour\n     5\tfive\n")
        #expect(whole["content"]?.stringValue == "one\ntwo\nthree\nfour\nfive\n", "structuredContent keeps the raw text")
        let range = try await server.call("read_file", ["path": "five.txt", "lineStart": 2, "lineEnd": 3, "lineNumbers": true])
        #expect(range.text == "[five.txt: lines 2-3 of 5]\n     2\ttwo\n     3\tthree\n")
        let tail = try await server.call("read_file", ["path": "five.txt", "tail": 2, "lineNumbers": true])
        #expect(tail.text == "[five.txt: lines 4-5 of 5]\n     4\tfour\n     5\tfive\n")
        let plain = try await server.call("read_file", ["path": "five.txt", "head": 1])
        #expect(plain.text == "one\n")
        #expect(await server.close() == 0)
    }

    @Test func aLineStartPastTheEndSaysHowManyLinesThereAre() async throws {
        let server = try await start()
        let past = try await server.call("read_file", ["path": "five.txt", "lineStart": 9])
        #expect(past.isError == true)
        #expect(past.text.contains("has 5 lines; lineStart 9 is past its end"), "\(past.text)")
        let last = try await server.call("read_file", ["path": "five.txt", "lineStart": 5])
        #expect(last["content"]?.stringValue == "five\n")
        #expect(await server.close() == 0)
    }

    @Test func encodingsAreDecodedInsteadOfReplaced() async throws {
        let server = try await start()
        let latin = try await server.call("read_file", ["path": "latin.txt"])
        #expect(latin["content"]?.stringValue == "café €\n", "Windows-1252, not U+FFFD: \(latin.text)")
        #expect(latin["decodedAs"]?.stringValue == "windows-1252")
        let asLatin1 = try await server.call("read_file", ["path": "latin.txt", "encoding": "latin1"])
        #expect(asLatin1["content"]?.stringValue == "café \u{80}\n")
        let raw = try await server.call("read_file", ["path": "latin.txt", "encoding": "utf-8"])
        #expect(raw["content"]?.stringValue == "caf\u{FFFD} \u{FFFD}\n")
        let utf16 = try await server.call("read_file", ["path": "utf16.txt"])
        #expect(utf16.isError != true, "\(utf16.text)")
        #expect(utf16["content"]?.stringValue == "héllo\nwörld\n")
        #expect(utf16["decodedAs"]?.stringValue == "utf-16le")
        let second = try await server.call("read_file", ["path": "utf16.txt", "lineStart": 2, "lineNumbers": true])
        #expect(second.text.contains("     2\twörld"), "\(second.text)")
        let unknown = try await server.call("read_file", ["path": "five.txt", "encoding": "ebcdic"])
        #expect(unknown.isError == true)
        #expect(await server.close() == 0)
    }

    /// An error repeats input cut short: a 1 MiB path does not make a 1 MiB error.
    @Test func errorsQuoteLongInputCutShort() async throws {
        let server = try await start()
        let long = String(repeating: "x", count: 1 << 20)
        let failed = try await server.call("read_file", ["path": .string(long)])
        #expect(failed.isError == true)
        #expect(failed.text.utf8.count < 1024, "\(failed.text.utf8.count) bytes")
        #expect(failed.text.contains("bytes left out]"), "\(failed.text.prefix(300))")
        #expect(await server.close() == 0)
    }

    /// A cursor names a snapshot of its query's results: pages do not shift when files
    /// come and go between them, and a cursor from another query is refused
    /// (issue 19, part 4).
    @Test func pagesDoNotShiftAndCursorsBelongToTheirQuery() async throws {
        for index in 1...6 { try directory.file("root/paged/f\(index).txt", "\(index)\n") }
        let server = try await start()
        let first = try await server.call("search_files", ["path": "paged", "pattern": "*.txt", "maxResults": 3])
        #expect(first["paths"] == ["paged/f1.txt", "paged/f2.txt", "paged/f3.txt"])
        let cursor = try #require(first["nextCursor"]?.stringValue)
        // Between the pages, a file is added at the front and one is removed.
        try directory.file("root/paged/f0.txt", "0\n")
        try FileManager.default.removeItem(atPath: directory.path("root/paged/f5.txt"))
        let second = try await server.call("search_files", ["path": "paged", "pattern": "*.txt", "maxResults": 3, "cursor": .string(cursor)])
        #expect(second["paths"] == ["paged/f4.txt", "paged/f5.txt", "paged/f6.txt"], "the snapshot's page, not a shifted one")
        #expect(second["totalCount"] == 6)

        let other = try await server.call("search_files", ["path": "paged", "pattern": "*.md", "cursor": .string(cursor)])
        #expect(other.isError == true)
        #expect(other.text.contains("belongs to another query"), "\(other.text)")
        let bogus = try await server.call("list_directory", ["path": "paged", "cursor": "12"])
        #expect(bogus.isError == true)
        #expect(bogus.text.contains("not one this server gave"), "\(bogus.text)")
        #expect(await server.close() == 0)
    }

    /// A capped search answer is the first lines in path order, as `rg --sort path`
    /// would give them, the same on every run; its pages come from one snapshot; and
    /// files matched never exceed files searched (issue 19, part 4).
    @Test func aCappedSearchIsTheFirstLinesInPathOrder() async throws {
        let body = String(repeating: "match here\n", count: 50)
        for letter in "abcdefghijklmnopqrstuvwxyz" {
            for index in 0..<10 { try directory.file("root/many/\(letter)/f\(index).txt", body) }
        }
        let server = try await start()
        var seen: [String] = []
        var cursor: String?
        repeat {
            var arguments: [String: Value] = ["pattern": "match", "path": "many", "maxResults": 5000]
            if let cursor { arguments["cursor"] = .string(cursor) }
            let page = try await server.call("search_content", arguments)
            #expect(page.isError != true, "\(page.text.prefix(300))")
            #expect(page["complete"] == false)
            let stats = try #require(page["stats"]?.objectValue)
            #expect(stats["totalMatches"] == 10_000)
            #expect(stats["filesMatched"] == 260)
            #expect((stats["filesMatched"]?.intValue ?? 0) <= (stats["filesSearched"]?.intValue ?? 0))
            seen += (page["matches"]?.arrayValue ?? []).compactMap { $0.objectValue?["path"]?.stringValue }
            cursor = page["nextCursor"]?.stringValue
        } while cursor != nil
        #expect(seen.count == 10_000)
        #expect(seen.first == "many/a/f0.txt")
        #expect(seen.last == "many/t/f9.txt", "200 files of 50 matches, a to t in path order")
        #expect(!seen.contains { $0.hasPrefix("many/u/") })
        #expect(seen == seen.sorted(), "path order")
        #expect(await server.close() == 0)
    }

    /// search_content's outputMode (files_with_matches, count), sort by modification
    /// time, headLimit and ripgrep's file types (issues 18 and 19).
    @Test func searchOutputModesTypesAndSorting() async throws {
        try directory.file("root/s/old.py", "needle\n")
        try directory.file("root/s/new.py", "needle\nneedle\n")
        try directory.file("root/s/mid.rs", "needle\n")
        let now = Date()
        for (name, age) in [("old.py", 300.0), ("mid.rs", 200.0), ("new.py", 100.0)] {
            try FileManager.default.setAttributes([.modificationDate: now - age], ofItemAtPath: directory.path("root/s/\(name)"))
        }
        let server = try await start()
        let files = try await server.call("search_content", ["pattern": "needle", "path": "s", "outputMode": "files_with_matches", "sort": "modified"])
        #expect(files["files"] == ["s/new.py", "s/mid.rs", "s/old.py"], "newest first: \(files.text)")
        #expect(files.text == "s/new.py\ns/mid.rs\ns/old.py")
        let counts = try await server.call("search_content", ["pattern": "needle", "path": "s", "outputMode": "count"])
        #expect(counts.text == "s/mid.rs:1\ns/new.py:2\ns/old.py:1")
        let python = try await server.call("search_content", ["pattern": "needle", "path": "s", "type": ["py"], "outputMode": "files_with_matches"])
        #expect(python["files"] == ["s/new.py", "s/old.py"])
        let head = try await server.call("search_content", ["pattern": "needle", "path": "s", "headLimit": 2])
        #expect(head["matches"]?.arrayValue?.count == 2)
        #expect(head["truncated"] == true)
        #expect(head["nextCursor"] == .null)
        let unknown = try await server.call("search_content", ["pattern": "needle", "type": ["nosuchtype"]])
        #expect(unknown.isError == true)
        #expect(await server.close() == 0)
    }
}
