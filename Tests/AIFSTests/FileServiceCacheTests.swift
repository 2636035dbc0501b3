import AIFS
import AIFSCache
import AIFSCore
import AIFSTestSupport
import AIFSWatch
import Foundation
import Testing

/// `readFile` through the content cache: the same answers as from disk, never stale,
/// invalidated by watcher events; `readFiles` in order with per-file errors.
@Suite struct FileServiceCacheTests {
    static let settledClock: @Sendable () -> Int64 = { FileIdentity.currentTime() + 10_000_000_000 }

    func cachedService(_ dir: TemporaryDirectory) throws -> FileService {
        FileService(roots: try Roots([dir.path]), contentCache: FileContentCache(wallClock: Self.settledClock))
    }

    /// Every range read from the cache equals the same range read from disk.
    @Test func everyRangeFromTheCacheMatchesTheDisk() throws {
        let dir = try TemporaryDirectory()
        var text = ""
        for number in 1...20_000 { text += "line \(number) " + String(repeating: "é", count: number % 7) + "\n" }
        text += "no terminator"
        try dir.file("f.txt", text)
        let plain = FileService(roots: try Roots([dir.path]))
        let cached = try cachedService(dir)
        let ranges: [ReadRange] = [
            .whole, .head(lines: 0), .head(lines: 3), .head(lines: 19_999), .tail(lines: 1), .tail(lines: 5_000),
            .lines(start: 7, end: 9), .lines(start: 19_990, end: nil), .lines(start: 30_000, end: nil),
            .bytes(offset: 0, length: 10), .bytes(offset: 100_000, length: nil), .bytes(offset: 10_000_000, length: 5),
        ]
        for limit in [FileService.defaultReadLimit, 1_000] {
            for range in ranges {
                let expected = try plain.readFile(path: "f.txt", range: range, maxBytes: limit)
                #expect(try cached.readFile(path: "f.txt", range: range, maxBytes: limit) == expected, "\(range) \(limit)")
            }
        }
        let stats = try #require(cached.stats().contentCache)
        #expect(stats.misses == 1)
        #expect(stats.hits == ranges.count * 2 - 1)
    }

    @Test func aRewriteIsReadBackAtOnce() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.file("f.txt", "one\n")
        let service = FileService(roots: try Roots([dir.path]), contentCache: FileContentCache())
        for version in ["two\n", "six\n", "ten\n", "longer now\n", "x\n"] {
            try version.write(toFile: path, atomically: false, encoding: .utf8)
            #expect(try service.readFile(path: "f.txt").bytes == Array(version.utf8))
        }
        // Replaced by a rename (a new inode), as editors save.
        try "renamed in\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try service.readFile(path: "f.txt").bytes == Array("renamed in\n".utf8))
    }

    @Test func binaryFilesAndErrorsBehaveAsWithoutTheCache() throws {
        let dir = try TemporaryDirectory()
        try Data([0x41, 0, 0x42]).write(to: URL(fileURLWithPath: dir.path("bin")))
        try dir.directory("sub")
        let service = try cachedService(dir)
        #expect(throws: CoreError.self) { try service.readFile(path: "bin") }
        #expect(try service.readFile(path: "bin", range: .bytes(offset: 1, length: 2)).bytes == [0, 0x42])
        #expect(throws: CoreError.self) { try service.readFile(path: "sub") }
        #expect(throws: CoreError.self) { try service.readFile(path: "missing") }
        #expect(throws: CoreError.self) { try service.readFile(path: "../outside") }
    }

    /// A watcher's events drop the entries of what changed.
    @Test func watcherEventsInvalidate() async throws {
        let dir = try TemporaryDirectory()
        let a = try dir.file("a.txt", "a\n")
        let b = try dir.file("sub/b.txt", "b\n")
        let service = try cachedService(dir)
        _ = try service.readFile(path: "a.txt")
        _ = try service.readFile(path: "sub/b.txt")
        let cache = try #require(service.contentCache)
        #expect(cache.peek(a) != nil && cache.peek(b) != nil)

        var options = WatchOptions()
        options.ignoreInitial = true
        let watcher = try service.watch([dir.path], options: options)
        defer { watcher.stop() }
        var iterator = watcher.events.makeAsyncIterator()
        while let event = await iterator.next() {
            service.invalidateCache(for: event)
            if case .ready = event.kind { break }
        }
        try "changed\n".write(toFile: a, atomically: false, encoding: .utf8)
        try FileManager.default.removeItem(atPath: dir.path("sub"))
        var sawChange = false
        var sawUnlinkDir = false
        // Generous: only a failure waits this long, and a loaded machine can take seconds.
        let deadline = ContinuousClock.now + .seconds(30)
        while !(sawChange && sawUnlinkDir), ContinuousClock.now < deadline, let event = await iterator.next() {
            service.invalidateCache(for: event)
            if event.kind == .change && event.path == a { sawChange = true }
            if event.kind == .unlinkDir && event.path == dir.path("sub") { sawUnlinkDir = true }
        }
        #expect(sawChange && sawUnlinkDir)
        #expect(cache.peek(a) == nil)
        #expect(cache.peek(b) == nil)
        #expect(try service.readFile(path: "a.txt").bytes == Array("changed\n".utf8))
    }

    @Test func readFilesKeepsTheOrderAndIsolatesErrors() throws {
        let dir = try TemporaryDirectory()
        var paths: [String] = []
        for index in 0..<50 {
            try dir.file("f\(index).txt", "file \(index)\n")
            paths.append("f\(index).txt")
        }
        paths.insert("missing.txt", at: 10)
        paths.append("../escape.txt")
        let service = try cachedService(dir)
        let results = service.readFiles(paths, concurrency: 4)
        #expect(results.count == paths.count)
        for (path, result) in zip(paths, results) {
            switch result {
            case .success(let content):
                #expect(content.bytes == Array("file \(path.dropFirst().dropLast(4))\n".utf8))
            case .failure(let error):
                #expect(path == "missing.txt" || path == "../escape.txt", "\(error)")
            }
        }
        #expect(results.filter { (try? $0.get()) == nil }.count == 2)
    }
}

/// `lines(of:)` and `chunks(of:size:)`: numbers, offsets, long lines, bad input.
@Suite struct FileServiceStreamTests {
    @Test func linesCarryNumbersAndOffsets() async throws {
        let dir = try TemporaryDirectory()
        let text = "alpha\r\nbeta\n\ngamma"
        try dir.file("f.txt", text)
        let service = FileService(roots: try Roots([dir.path]))
        var lines: [FileLine] = []
        for try await line in try service.lines(of: "f.txt") { lines.append(line) }
        #expect(lines.map(\.text) == ["alpha", "beta", "", "gamma"])
        #expect(lines.map(\.number) == [1, 2, 3, 4])
        #expect(lines.map(\.offset) == [0, 7, 12, 13])
        #expect(lines.allSatisfy { $0.isComplete })
    }

    /// Lines across chunk boundaries, in a file of several chunks.
    @Test func aFileOfManyChunks() async throws {
        let dir = try TemporaryDirectory()
        var text = ""
        var offsets: [Int] = []
        for number in 1...300_000 {
            offsets.append(text.utf8.count)
            text += "\(number) " + String(repeating: "x", count: number % 13) + "\n"
        }
        try dir.file("big.txt", text)
        let service = FileService.unrestricted()
        var count = 0
        for try await line in try service.lines(of: dir.path("big.txt")) {
            count += 1
            if line.number != count || line.offset != Int64(offsets[count - 1])
                || line.text != "\(count) " + String(repeating: "x", count: count % 13)
            {
                Issue.record("line \(count): \(line)")
                break
            }
        }
        #expect(count == 300_000)
        var total = 0
        var expectedOffset: Int64 = 0
        for try await chunk in try service.chunks(of: dir.path("big.txt"), size: 100_000) {
            #expect(chunk.offset == expectedOffset)
            expectedOffset += Int64(chunk.bytes.count)
            total += chunk.bytes.count
        }
        #expect(total == text.utf8.count)
    }

    @Test func aLongLineComesInPieces() async throws {
        let dir = try TemporaryDirectory()
        try dir.file("long.txt", String(repeating: "a", count: 2_500) + "\nshort\n")
        let service = FileService.unrestricted()
        var pieces: [FileLine] = []
        for try await line in try service.lines(of: dir.path("long.txt"), maxLineLength: 1_000) { pieces.append(line) }
        #expect(pieces.map(\.bytes.count) == [1_000, 1_000, 500, 5])
        #expect(pieces.map(\.number) == [1, 1, 1, 2])
        #expect(pieces.map(\.offset) == [0, 1_000, 2_000, 2_501])
        #expect(pieces.map(\.isComplete) == [false, false, true, true])
    }

    @Test func stoppingEarlyAndEmptyFiles() async throws {
        let dir = try TemporaryDirectory()
        try dir.file("empty.txt", "")
        try dir.file("many.txt", String(repeating: "line\n", count: 500_000))
        let service = FileService.unrestricted()
        var lines = 0
        for try await _ in try service.lines(of: dir.path("empty.txt")) { lines += 1 }
        #expect(lines == 0)
        for try await line in try service.lines(of: dir.path("many.txt")) where line.number == 3 { break }
        // The reader thread ends when the iterator goes: many more iterations must not
        // pile up threads or descriptors.
        for _ in 0..<200 {
            for try await _ in try service.chunks(of: dir.path("many.txt"), size: 4_096) { break }
        }
    }

    @Test func badInputIsRefusedAtOnce() throws {
        let dir = try TemporaryDirectory()
        try dir.directory("sub")
        try dir.file("f.txt", "x")
        let service = FileService(roots: try Roots([dir.path]))
        #expect(throws: CoreError.self) { try service.lines(of: "sub") }
        #expect(throws: CoreError.self) { try service.chunks(of: "missing") }
        #expect(throws: CoreError.self) { try service.chunks(of: "f.txt", size: 0) }
        #expect(throws: CoreError.self) { try service.lines(of: "/etc/passwd") }
    }
}

/// The encoding report of `readFile`.
@Suite struct FileServiceEncodingTests {
    @Test func encodingsAreRecognised() throws {
        let dir = try TemporaryDirectory()
        let files: [(String, [UInt8], TextEncoding)] = [
            ("ascii.txt", Array("plain text\n".utf8), .ascii),
            ("utf8.txt", Array("café ☕\n".utf8), .utf8),
            ("bom.txt", [0xEF, 0xBB, 0xBF] + Array("hello\n".utf8), .utf8WithByteOrderMark),
            ("latin1.txt", [0x63, 0x61, 0x66, 0xE9, 0x0A], .other8Bit),
            ("utf16.txt", [0xFF, 0xFE, 0x68, 0x00, 0x69, 0x00], .utf16LittleEndian),
            ("utf16be.txt", [0xFE, 0xFF, 0x00, 0x68, 0x00, 0x69], .utf16BigEndian),
            ("binary.bin", [0x7F, 0x45, 0x4C, 0x46, 0x00, 0x01], .binary),
        ]
        let service = FileService(roots: try Roots([dir.path]))
        for (name, bytes, expected) in files {
            try Data(bytes).write(to: URL(fileURLWithPath: dir.path(name)))
            let content = try service.readFile(path: name, range: .bytes(offset: 0, length: nil))
            #expect(content.encoding == expected, "\(name)")
        }
        // A multi-byte character cut by the end of the 8 KiB probe is still UTF-8.
        let cut = String(repeating: "a", count: 8_191) + "é and more"
        try dir.file("cut.txt", cut)
        #expect(try service.readFile(path: "cut.txt").encoding == .utf8)
    }
}
