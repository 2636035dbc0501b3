import AIFS
import AIFSCore
import AIFSTestSupport
import Foundation
import Testing

/// `FileService.readFile`: every range, across the 64 KiB chunks it streams through.
@Suite struct FileServiceReadTests {
    /// `count` numbered lines of `width` bytes each (terminator included).
    static func numbered(_ count: Int, width: Int = 10) -> String {
        var text = ""
        text.reserveCapacity(count * width)
        for number in 1...count {
            let digits = String(number)
            text += String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits + "\n"
        }
        return text
    }

    func line(_ number: Int, width: Int = 10) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits + "\n"
    }

    @Test func wholeHeadLinesAndTail() throws {
        let dir = try TemporaryDirectory()
        try dir.file("f.txt", "one\ntwo\nthree")
        let service = FileService(roots: try Roots([dir.path]))
        let whole = try service.readFile(path: "f.txt")
        #expect(whole.bytes == Array("one\ntwo\nthree".utf8))
        #expect((whole.firstLine, whole.lastLine, whole.lineCount, whole.truncated) == (1, 3, 3, false))
        #expect(try service.readFile(path: "f.txt", range: .head(lines: 2)).bytes == Array("one\ntwo\n".utf8))
        #expect(try service.readFile(path: "f.txt", range: .lines(start: 2, end: 2)).bytes == Array("two\n".utf8))
        #expect(try service.readFile(path: "f.txt", range: .lines(start: 3, end: nil)).bytes == Array("three".utf8))
        #expect(try service.readFile(path: "f.txt", range: .lines(start: 9, end: nil)).bytes == [])
        let tail = try service.readFile(path: "f.txt", range: .tail(lines: 2))
        #expect(tail.bytes == Array("two\nthree".utf8))
        #expect(tail.firstLine == 2)
        #expect(try service.readFile(path: "f.txt", range: .tail(lines: 9)).bytes == Array("one\ntwo\nthree".utf8))
        #expect(try service.readFile(path: "f.txt", range: .tail(lines: 0)).bytes == [])
    }

    @Test func emptyFile() throws {
        let dir = try TemporaryDirectory()
        try dir.file("empty", "")
        let service = FileService(roots: try Roots([dir.path]))
        for range in [ReadRange.whole, .head(lines: 3), .tail(lines: 3), .lines(start: 1, end: 2)] {
            let content = try service.readFile(path: "empty", range: range)
            #expect(content.bytes.isEmpty, "\(range)")
            #expect(content.lastLine == nil, "\(range)")
        }
    }

    @Test func rangesAcrossChunkBoundaries() throws {
        let dir = try TemporaryDirectory()
        // 30,000 lines of 10 bytes: 300,000 bytes, several 64 KiB chunks.
        try dir.file("big.txt", Self.numbered(30_000))
        let service = FileService(roots: try Roots([dir.path]))
        let middle = try service.readFile(path: "big.txt", range: .lines(start: 6_550, end: 6_556))
        #expect(String(decoding: middle.bytes, as: UTF8.self) == (6_550...6_556).map { line($0) }.joined())
        #expect(middle.byteOffset == 6_549 * 10)
        let tail = try service.readFile(path: "big.txt", range: .tail(lines: 7_000))
        #expect(tail.bytes.count == 70_000)
        #expect(String(decoding: tail.bytes.prefix(10), as: UTF8.self) == line(23_001))
        #expect(tail.byteOffset == 230_000)
        #expect(tail.truncated == false)
    }

    @Test func limitsCutAtLineEnds() throws {
        let dir = try TemporaryDirectory()
        try dir.file("big.txt", Self.numbered(30_000))
        let service = FileService(roots: try Roots([dir.path]))
        let whole = try service.readFile(path: "big.txt", maxBytes: 1_005)
        #expect(whole.bytes.count == 1_000)
        #expect(whole.truncated)
        #expect(whole.lastLine == 100)
        let tail = try service.readFile(path: "big.txt", range: .tail(lines: 500), maxBytes: 1_005)
        #expect(tail.truncated)
        #expect(tail.bytes.count == 1_000)
        #expect(String(decoding: tail.bytes.suffix(10), as: UTF8.self) == line(30_000))
        let bytes = try service.readFile(path: "big.txt", range: .bytes(offset: 299_995, length: 100))
        #expect(bytes.bytes.count == 5)
        #expect(!bytes.truncated)
    }

    @Test func cutsALongLineOnACharacterBoundary() throws {
        let dir = try TemporaryDirectory()
        try dir.file("wide.txt", String(repeating: "é", count: 100))
        let service = FileService(roots: try Roots([dir.path]))
        let content = try service.readFile(path: "wide.txt", maxBytes: 11)
        #expect(content.bytes.count == 10)
        #expect(String(validating: content.bytes, as: UTF8.self) != nil)
        #expect(content.truncated)
    }

    @Test func refusals() throws {
        let dir = try TemporaryDirectory()
        try dir.file("bin", "ab\u{0}cd")
        try dir.directory("sub")
        let service = FileService(roots: try Roots([dir.path]))
        #expect(throws: CoreError.self) { try service.readFile(path: "bin") }
        #expect(try service.readFile(path: "bin", range: .bytes(offset: 1, length: 2)).bytes == [0x62, 0])
        #expect(try service.readFile(path: "bin", range: .bytes(offset: 1, length: 2)).isBinary)
        #expect(throws: CoreError.self) { try service.readFile(path: "sub") }
        #expect(throws: CoreError.self) { try service.readFile(path: "../x") }
        #expect(throws: CoreError.self) { try service.readFile(path: "bin", range: .lines(start: 0, end: nil)) }
        do {
            _ = try service.readFile(path: "bin")
        } catch {
            #expect(error.message.contains("binary"))
        }
        #expect(mkfifo(dir.path("fifo"), 0o600) == 0)
        #expect(throws: CoreError.self) { try service.readFile(path: "fifo") }
    }
}
