@testable import AIFSCache
import AIFSCore
import AIFSTestSupport
import Foundation
import Testing

/// The file-content cache: hits checked against the file's identity, racy reads not
/// kept, large files not cached, invalidation.
@Suite struct FileContentCacheTests {
    /// A wall clock ten seconds ahead: every file looks settled, so reads are kept.
    static let settledClock: @Sendable () -> Int64 = { FileIdentity.currentTime() + 10_000_000_000 }
    /// A wall clock ten seconds behind: every file looks just written, whatever the
    /// scheduler does between a write and the read that follows it.
    static let racyClock: @Sendable () -> Int64 = { FileIdentity.currentTime() - 10_000_000_000 }

    func read(_ cache: FileContentCache, _ path: String) throws -> [UInt8]? {
        try cache.contents(ofFileAt: path, identity: FileIdentity(path: path))?.bytes
    }

    @Test func aSettledFileIsKeptAndHitUntilItChanges() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.file("a.txt", "first version\n")
        let cache = FileContentCache(wallClock: Self.settledClock)
        #expect(try read(cache, path) == Array("first version\n".utf8))
        #expect(cache.peek(path) != nil)
        #expect(try read(cache, path) == Array("first version\n".utf8))
        #expect(cache.stats.hits == 1)
        #expect(cache.stats.misses == 1)

        try "second, longer version\n".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(try read(cache, path) == Array("second, longer version\n".utf8))
        #expect(cache.stats.staleEntries == 1)
        #expect(cache.stats.hits == 1)
    }

    /// git's racy problem: a same-size rewrite in the same clock tick keeps the identity,
    /// so contents read that soon after a write must not be kept.
    @Test func aSameSizeRewriteInTheSameSecondIsSeen() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.file("racy.txt", "aaaa")
        // With the real clock, whether a read counts as racy depends on how long the
        // scheduler left us between the write and the read: the clock is pinned instead.
        let cache = FileContentCache(wallClock: Self.racyClock)
        #expect(try read(cache, path) == Array("aaaa".utf8))
        try "bbbb".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(try read(cache, path) == Array("bbbb".utf8))
        try "cccc".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(try read(cache, path) == Array("cccc".utf8))
        #expect(cache.stats.racySkips == 3)
        #expect(cache.peek(path) == nil)
    }

    /// A kept entry whose file is rewritten with the same size, after the racy window, is
    /// read again: the hit check compares more than the size and the inode (both
    /// unchanged by an in-place rewrite). The times are set explicitly, so the rewrite's
    /// modification time differs from the first one whatever the clock's granularity.
    @Test func aSameSizeRewriteAfterTheRacyWindowIsReadFresh() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.file("same-size.txt", "first contents\n")
        let written: Int64 = 1_700_000_000_000_000_000
        try Self.setModificationTime(path, written)
        // The wall clock is ten seconds ahead, past both times (and the change time the
        // kernel sets): every read is outside the racy window and kept.
        let cache = FileContentCache(wallClock: Self.settledClock)
        let inode = try FileIdentity(path: path).inode
        #expect(try read(cache, path) == Array("first contents\n".utf8))
        #expect(cache.peek(path) != nil, "the first read is kept")

        // Rewrite in place (same inode), same size, then a later modification time.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.write(contentsOf: Data("other contents\n".utf8))
        try handle.close()
        try Self.setModificationTime(path, written + 1_000_000_000)
        let rewritten = try FileIdentity(path: path)
        #expect(rewritten.inode == inode && rewritten.size == 15)

        #expect(try read(cache, path) == Array("other contents\n".utf8))
        #expect(cache.stats.staleEntries == 1)
        #expect(cache.stats.hits == 0)
        #expect(cache.peek(path)?.bytes == Array("other contents\n".utf8), "the fresh read is kept")
    }

    /// Sets a file's modification time to `nanoseconds` since the epoch (to the
    /// microsecond, which is all the racy-window tests need).
    static func setModificationTime(_ path: String, _ nanoseconds: Int64) throws {
        let date = Date(timeIntervalSince1970: Double(nanoseconds / 1_000) / 1_000_000)
        try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: path)
    }

    @Test func theRacyWindowFollowsTheTimestamps() throws {
        let cache = FileContentCache(configuration: .init(timestampGranularity: 25_000_000))
        func identity(mtime: Int64, ctime: Int64) -> FileIdentity {
            FileIdentity(
                device: 1, inode: 2, size: 3, modificationTime: mtime, changeTime: ctime, kind: .regular,
                permissions: 0o644)
        }
        let now: Int64 = 1_764_160_000_123_456_789
        #expect(cache.isSettled(identity(mtime: now - 30_000_000, ctime: now - 30_000_000), at: now))
        #expect(!cache.isSettled(identity(mtime: now - 10_000_000, ctime: now - 30_000_000), at: now))
        #expect(!cache.isSettled(identity(mtime: now - 30_000_000, ctime: now - 1), at: now))
        // Whole-second times: a coarse file system, a two-second window.
        let second: Int64 = 1_764_160_000_000_000_000
        #expect(!cache.isSettled(identity(mtime: second, ctime: second), at: second + 1_500_000_000))
        #expect(cache.isSettled(identity(mtime: second, ctime: second), at: second + 2_000_000_000))
    }

    @Test func filesLargerThanTheLargestSizeAreNotCached() throws {
        let dir = try TemporaryDirectory()
        let small = try dir.file("small.txt", String(repeating: "x", count: 100))
        let large = try dir.file("large.txt", String(repeating: "y", count: 101))
        let cache = FileContentCache(configuration: .init(largestFileSize: 100), wallClock: Self.settledClock)
        #expect(try read(cache, small)?.count == 100)
        #expect(try read(cache, large) == nil)
        #expect(cache.peek(large) == nil)
        #expect(cache.stats.bypasses == 1)
    }

    @Test func theByteBudgetEvicts() throws {
        let dir = try TemporaryDirectory()
        let cache = FileContentCache(
            configuration: .init(byteBudget: 10_000, largestFileSize: 5_000), wallClock: Self.settledClock)
        for index in 0..<10 {
            let path = try dir.file("f\(index).txt", String(repeating: "z", count: 3_000))
            _ = try read(cache, path)
        }
        #expect(cache.stats.cache.bytes <= 10_000)
        #expect(cache.stats.cache.evictions >= 7)
    }

    @Test func invalidationDropsFilesAndDirectories() throws {
        let dir = try TemporaryDirectory()
        let a = try dir.file("src/a.txt", "a")
        let b = try dir.file("src/deep/b.txt", "b")
        let c = try dir.file("srcfile.txt", "c")
        let cache = FileContentCache(wallClock: Self.settledClock)
        for path in [a, b, c] { _ = try read(cache, path) }
        cache.invalidate(path: a)
        #expect(cache.peek(a) == nil)
        #expect(cache.peek(b) != nil)
        cache.invalidate(directory: dir.path("src"))
        #expect(cache.peek(b) == nil)
        #expect(cache.peek(c) != nil, "a sibling whose name starts like the directory stays")
        cache.invalidateAll()
        #expect(cache.peek(c) == nil)
        #expect(cache.stats.invalidations == 3)
    }

    @Test func errorsAreTyped() throws {
        let dir = try TemporaryDirectory()
        let cache = FileContentCache()
        let missing = dir.path("missing.txt")
        let identity = FileIdentity(
            device: 0, inode: 0, size: 1, modificationTime: 0, changeTime: 0, kind: .regular, permissions: 0)
        #expect(throws: CoreError.self) { try cache.contents(ofFileAt: missing, identity: identity) }
        #expect(cache.peek(missing) == nil)
    }

    @Test func shrinkingForMemoryPressure() throws {
        let dir = try TemporaryDirectory()
        let cache = FileContentCache(wallClock: Self.settledClock)
        for index in 0..<8 {
            _ = try read(cache, try dir.file("f\(index)", String(repeating: "q", count: 1_000)))
        }
        let before = cache.currentBytes
        cache.shrink(toBytes: before / 2)
        #expect(cache.currentBytes <= before / 2)
    }
}
