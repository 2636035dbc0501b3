import AIFSTestSupport
import Foundation
import MCP
import Synchronization
import Testing

/// The rest of issue 19's agent loop: a clock in every answer, guarded patches, and
/// progress through one big file.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ServeAgentLoopTests {
    let directory: TemporaryDirectory
    var root: String { directory.path("root") }

    init() throws {
        directory = try TemporaryDirectory()
        try directory.tree(["root/a.txt": "one\ntwo\nthree\n", "root/b.txt": "alpha\nbeta\n"])
    }

    func start() async throws -> ServerProcess {
        try await ServerProcess.start(["--root", root], in: directory.path)
    }

    func contents(_ relative: String) -> String? {
        try? String(contentsOfFile: directory.path(relative), encoding: .utf8)
    }

    /// Every answer carries the clock once change tracking runs (null before: no tool
    /// starts a watcher but get_clock and changes_since), and changes_since from any
    /// answer's clock lists what changed after it.
    @Test func everyAnswerCarriesTheClock() async throws {
        let server = try await start()
        let before = try await server.call("read_file", ["path": "a.txt"])
        #expect(before["clock"] == .null, "no tracker yet: \(String(describing: before.structuredContent))")
        let started = try #require(try await server.call("get_clock")["clock"]?.stringValue)
        let answers = [
            try await server.call("read_file", ["path": "a.txt"]),
            try await server.call("list_directory", ["path": "."]),
            try await server.call("search_content", ["pattern": "two"]),
            try await server.call("get_file_info", ["path": "a.txt"]),
            try await server.call("batch_read", ["operation": "count"]),
            try await server.call("list_allowed_directories"),
            try await server.call("get_filesystem_stats"),
        ]
        for answer in answers {
            let clock = try #require(answer["clock"]?.stringValue, "\(answer.text)")
            // The same tracker's clock: aifs:<instance>:<sequence>.
            #expect(clock.split(separator: ":").dropLast() == started.split(separator: ":").dropLast(), "\(clock) \(started)")
        }
        // The clock of a read, then a write by another process: changes_since from the
        // read's clock lists it.
        let read = try await server.call("read_file", ["path": "b.txt"])
        let clock = try #require(read["clock"]?.stringValue)
        try "gamma\n".write(toFile: directory.path("root/c.txt"), atomically: false, encoding: .utf8)
        let changes = try await server.call("changes_since", ["clock": .string(clock)])
        let paths = (changes["changes"]?.arrayValue ?? []).compactMap { $0.objectValue?["path"]?.stringValue }
        #expect(paths.contains("c.txt"), "\(changes.text)")
        #expect(!paths.contains("a.txt"), "\(changes.text)")
        // An answer's clock is taken before the tool runs: changes_since from a write's
        // clock lists the write itself, and what came after.
        let write = try await server.call("write_file", ["path": "d.txt", "content": "d\n"])
        let afterWrite = try #require(write["clock"]?.stringValue)
        try "e\n".write(toFile: directory.path("root/e.txt"), atomically: false, encoding: .utf8)
        let later = try await server.call("changes_since", ["clock": .string(afterWrite)])
        let laterPaths = (later["changes"]?.arrayValue ?? []).compactMap { $0.objectValue?["path"]?.stringValue }
        #expect(laterPaths.contains("e.txt"), "\(later.text)")
        #expect(laterPaths.contains("d.txt"), "\(later.text)")
        #expect(await server.close() == 0)
    }

    @Test func applyPatchRefusesAFileChangedSinceItsRead() async throws {
        let server = try await start()
        let versionA = try #require(try await server.call("read_file", ["path": "a.txt"])["version"]?.stringValue)
        let versionB = try #require(try await server.call("read_file", ["path": "b.txt"])["version"]?.stringValue)
        let patch = """
            *** Begin Patch
            *** Update File: a.txt
            @@
            -two
            +TWO
            *** Update File: b.txt
            @@
             alpha
            -beta
            +BETA
            *** End Patch

            """
        // Someone else changes b.txt after the read (its hunk would still apply).
        try "alpha\nbeta\ngamma\n".write(toFile: directory.path("root/b.txt"), atomically: true, encoding: .utf8)
        let refused = try await server.call("apply_patch", [
            "patch": .string(patch), "expectedVersions": ["a.txt": .string(versionA), "b.txt": .string(versionB)],
        ])
        #expect(refused.isError == true)
        #expect(refused.text.contains("'b.txt' changed since it was read"), "\(refused.text)")
        #expect(refused.text.contains("read it again"), "\(refused.text)")
        #expect(refused.text.contains("+gamma"), "the lines that changed: \(refused.text)")
        #expect(contents("root/a.txt") == "one\ntwo\nthree\n", "all or nothing")

        // A path the patch does not touch, and a malformed argument.
        let stray = try await server.call("apply_patch", ["patch": .string(patch), "expectedVersions": ["other.txt": .string(versionA)]])
        #expect(stray.isError == true)
        #expect(stray.text.contains("expectedVersions names 'other.txt'"), "\(stray.text)")
        let mistyped = try await server.call("apply_patch", ["patch": .string(patch), "expectedVersions": ["a.txt": 3]])
        #expect(mistyped.isError == true)
        #expect(mistyped.text.contains("'expectedVersions' must map each path to a version string"), "\(mistyped.text)")

        // With the current versions it applies; an absolute path names the same file.
        let current = try #require(try await server.call("read_file", ["path": "b.txt"])["version"]?.stringValue)
        let applied = try await server.call("apply_patch", [
            "patch": .string(patch),
            "expectedVersions": [.init(stringLiteral: directory.path("root/a.txt")): .string(versionA), "b.txt": .string(current)],
        ])
        #expect(applied.isError != true, "\(applied.text)")
        #expect(contents("root/a.txt") == "one\nTWO\nthree\n")
        #expect(contents("root/b.txt") == "alpha\nBETA\ngamma\n")
        #expect(await server.close() == 0)
    }

    /// Progress by bytes read moves while one big file is searched.
    @Test func progressMovesWhileOneBigFileIsSearched() async throws {
        // 256 MiB of lines, none matching: long enough to search for several progress
        // intervals on any machine.
        let path = directory.path("root/big.log")
        let line = Array((String(repeating: "lorem ipsum dolor sit amet ", count: 4) + "\n").utf8)
        var block: [UInt8] = []
        while block.count < 1 << 20 { block += line }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        #expect(descriptor >= 0)
        for _ in 0..<256 {
            let written = block.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            #expect(written == block.count)
        }
        close(descriptor)
        let size = Double(256 * block.count)

        let server = try await start()
        let notifications = Mutex<[ProgressNotification.Parameters]>([])
        await server.client.onNotification(ProgressNotification.self) { message in
            notifications.withLock { $0.append(message.params) }
        }
        let token = ProgressToken.string("big-file")
        let result = try await server.client.send(CallTool.request(.init(
            name: "search_content", arguments: ["pattern": "n[e]+dle", "path": "big.log"], meta: Metadata(progressToken: token)))).value
        #expect(result.isError != true, "\(result.text)")
        #expect(result["stats"]?.objectValue?["bytesSearched"] == .int(Int(size)))
        // Notifications are sent before the answer, but the client may hand them to the
        // handler after it: wait for the last one (the whole file) with a deadline.
        let deadline = ContinuousClock.now + .seconds(10)
        while notifications.withLock({ $0.filter { $0.progressToken == token }.count }) < 2, ContinuousClock.now < deadline {
            await Task.yield()
        }
        let reported = notifications.withLock { $0.filter { $0.progressToken == token } }
        #expect(reported.allSatisfy { $0.total == size }, "the file's size is the total")
        let inside = reported.filter { $0.progress > 0 && $0.progress < size }
        #expect(!inside.isEmpty, "progress inside the file: \(reported.map(\.progress))")
        #expect(zip(reported, reported.dropFirst()).allSatisfy { $0.progress < $1.progress }, "monotonic")
        #expect(reported.allSatisfy { ($0.message ?? "").contains("bytes read") })
        #expect(await server.close() == 0)
    }
}
