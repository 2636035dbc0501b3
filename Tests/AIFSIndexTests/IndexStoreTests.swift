import AIFSCore
@testable import AIFSIndex
import AIFSSearch
import AIFSTestSupport
import Foundation
import Testing

/// The index without a watcher: posting lists, saving and loading, and what a damaged
/// saved index turns into. https://github.com/aifs/aifs/issues/17
@Suite struct IndexStoreTests {
    func candidates(_ index: LiveIndex, _ pattern: String, under base: String) throws -> [String]? {
        let matcher = try SearchQuery(patterns: [pattern]).makeMatcher()
        return index.candidates(for: matcher, configuration: SearcherConfiguration(), walkOptions: WalkOptions(), under: Array(base.utf8))?
            .paths.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func postingListsRoundTripAndRejectDamage() {
        var random = SplitMix64(seed: 5)
        for _ in 0..<200 {
            var numbers = Set<UInt32>()
            for _ in 0..<random.next(upTo: 300) { numbers.insert(UInt32(random.next(upTo: 1 << 30))) }
            let sorted = numbers.sorted()
            var bytes: [UInt8] = []
            PostingList.encode(sorted, into: &bytes)
            var decoded: [UInt32] = []
            #expect(bytes.withUnsafeBufferPointer { PostingList.decode($0, into: &decoded) })
            #expect(decoded == sorted)
        }
        var decoded: [UInt32] = []
        // A varint that runs off the end, and a zero delta, are refused.
        #expect(![UInt8]([5, 0x80]).withUnsafeBufferPointer { PostingList.decode($0, into: &decoded) })
        #expect(![UInt8]([5, 0]).withUnsafeBufferPointer { PostingList.decode($0, into: &decoded) })
        #expect(PostingList.intersection([1, 3, 5, 9], [3, 4, 9]) == [3, 9])
        #expect(PostingList.union([1, 3, 5], [2, 3, 9]) == [1, 2, 3, 5, 9])
    }

    @Test func aSavedIndexLoadsAndReadsWhatChangedWhileItWasDown() throws {
        let dir = try TemporaryDirectory()
        let cache = try TemporaryDirectory("cache")
        try dir.file("a.txt", "alpha only\n")
        try dir.file("b.txt", "bravo only\n")
        try dir.file("sub/c.txt", "charlie only\n")
        let store = IndexStore(directory: cache.path + "/aifs/index")
        let first = LiveIndex(root: dir.path, walkOptions: WalkOptions())
        first.build(store: store)
        #expect(first.phase == .ready)
        #expect(first.statistics().diskBytes > 0)
        #expect(FileManager.default.fileExists(atPath: store.path(for: dir.path)))
        #expect(try candidates(first, "bravo", under: dir.path) == [dir.path("b.txt")])

        // While no server runs: a change, a deletion, a new file in a new directory.
        try dir.file("a.txt", "alpha and zebra\n")
        try FileManager.default.removeItem(atPath: dir.path("b.txt"))
        try dir.file("new/d.txt", "zebra too\n")

        let second = LiveIndex(root: dir.path, walkOptions: WalkOptions())
        second.build(store: store)
        let statistics = second.statistics()
        #expect(second.phase == .ready)
        #expect(statistics.reason?.contains("loaded") == true)
        #expect(statistics.files == 3)
        #expect(try candidates(second, "zebra", under: dir.path) == [dir.path("a.txt"), dir.path("new/d.txt")])
        // The changed and new files are candidates of every search until re-read.
        #expect(statistics.dirtyFiles == 2)
        #expect(try candidates(second, "bravo", under: dir.path) == [dir.path("a.txt"), dir.path("new/d.txt")])
        second.reindexDirty()
        #expect(try candidates(second, "bravo", under: dir.path) == [])
        #expect(try candidates(second, "charlie", under: dir.path) == [dir.path("sub/c.txt")])
    }

    enum Damage: CaseIterable {
        case flippedByte, truncated, empty, otherVersion, otherRoot
    }

    @Test(arguments: Damage.allCases)
    func aDamagedSavedIndexIsDiscardedNeverTrusted(_ damage: Damage) throws {
        let dir = try TemporaryDirectory()
        let cache = try TemporaryDirectory("cache")
        for index in 0..<30 { try dir.file("f\(index).txt", "word\(index) common text\n") }
        let store = IndexStore(directory: cache.path)
        LiveIndex(root: dir.path, walkOptions: WalkOptions()).build(store: store)
        let file = store.path(for: dir.path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        switch damage {
        case .flippedByte: bytes[bytes.count / 2] ^= 0x5A
        case .truncated: bytes.removeLast(bytes.count / 3)
        case .empty: bytes = []
        case .otherVersion:
            bytes[8] = 99
            bytes.removeLast(8)
            withUnsafeBytes(of: IndexFormat.hash(bytes).littleEndian) { bytes.append(contentsOf: $0) }
        case .otherRoot:
            let other = try TemporaryDirectory("other")
            let otherStore = IndexStore(directory: cache.path)
            try FileManager.default.removeItem(atPath: file)
            LiveIndex(root: other.path, walkOptions: WalkOptions()).build(store: otherStore)
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: otherStore.path(for: other.path))))
        }
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        try dir.file("f3.txt", "changed meanwhile\n")

        let index = LiveIndex(root: dir.path, walkOptions: WalkOptions())
        index.build(store: store)
        let statistics = index.statistics()
        #expect(index.phase == .ready)
        #expect(statistics.reason?.contains("discarded") == true, "\(statistics.reason ?? "no reason")")
        #expect(statistics.files == 30)
        #expect(try candidates(index, "word3", under: dir.path) == [])
        #expect(try candidates(index, "meanwhile", under: dir.path) == [dir.path("f3.txt")])
        #expect(try candidates(index, "word12", under: dir.path) == [dir.path("f12.txt")])
    }

    @Test func anUnwritableStoreKeepsTheIndexInMemoryAndSaysWhy() throws {
        let dir = try TemporaryDirectory()
        try dir.file("a.txt", "alpha\n")
        let blocker = try dir.file("not-a-directory", "")
        let index = LiveIndex(root: dir.path, walkOptions: WalkOptions())
        index.build(store: IndexStore(directory: blocker + "/index"))
        #expect(index.phase == .ready)
        #expect(index.statistics().reason?.contains("not saved") == true)
        #expect(try candidates(index, "alpha", under: dir.path) == [dir.path("a.txt")])
    }

    @Test func changesRecordedByHandAreInTheNextAnswer() throws {
        let dir = try TemporaryDirectory()
        try dir.file("a.txt", "alpha\n")
        let index = LiveIndex(root: dir.path, walkOptions: WalkOptions())
        index.build()
        try dir.file("a.txt", "omega\n")
        index.record(.changed(Array(dir.path("a.txt").utf8)))
        #expect(try candidates(index, "omega", under: dir.path) == [dir.path("a.txt")])
        #expect(index.reindexDirty() == 1)
        #expect(index.statistics().dirtyFiles == 0)
        #expect(try candidates(index, "omega", under: dir.path) == [dir.path("a.txt")])
        #expect(try candidates(index, "nothing", under: dir.path) == [])
        try dir.file("b/c.txt", "omega\n")
        index.record(.createdDirectory(Array(dir.path("b").utf8)))
        #expect(try candidates(index, "omega", under: dir.path) == [dir.path("a.txt"), dir.path("b/c.txt")])
        try FileManager.default.removeItem(atPath: dir.path("b"))
        index.record(.removedDirectory(Array(dir.path("b").utf8)))
        #expect(try candidates(index, "omega", under: dir.path) == [dir.path("a.txt")])
    }
}

extension IndexStoreTests {
    @Test func newNestedDirectoriesAndRenamesAreFound() throws {
        let dir = try TemporaryDirectory()
        try dir.file("a.txt", "alpha\n")
        let index = LiveIndex(root: dir.path, walkOptions: WalkOptions())
        index.build()
        try dir.file("new/deeper/n.txt", "omega\n")
        index.record(.createdDirectory(Array(dir.path("new").utf8)))
        #expect(try candidates(index, "omega", under: dir.path) == [dir.path("new/deeper/n.txt")])
        try dir.file("a.txt", "omega moved\n")
        rename(dir.path("a.txt"), dir.path("moved.txt"))
        index.record(.renamed(from: Array(dir.path("a.txt").utf8), to: Array(dir.path("moved.txt").utf8)))
        let found = try candidates(index, "moved", under: dir.path)
        // The new file is a candidate until it is read: candidates may be more than the matches.
        #expect(found?.contains(dir.path("moved.txt")) == true)
        #expect(found?.contains(dir.path("a.txt")) == false)
        index.reindexDirty()
        #expect(try candidates(index, "moved", under: dir.path) == [dir.path("moved.txt")])
    }

    /// Two servers on one root save at once: the file is one of their indexes, whole.
    @Test func twoBuildsSavingAtOnceLeaveOneSoundFile() async throws {
        let dir = try TemporaryDirectory()
        let cache = try TemporaryDirectory("cache")
        for index in 0..<200 { try dir.file("d\(index % 7)/f\(index).txt", "word\(index) shared text \(index * 31)\n") }
        let store = IndexStore(directory: cache.path)
        let root = dir.path
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask { LiveIndex(root: root, walkOptions: WalkOptions()).build(store: store, loading: false) }
            }
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
        let index = LiveIndex(root: dir.path, walkOptions: WalkOptions())
        index.build(store: store)
        #expect(index.statistics().reason?.contains("loaded") == true, "\(index.statistics().reason ?? "")")
        #expect(try candidates(index, "word123", under: dir.path) == [dir.path("d4/f123.txt")])
    }

    /// A big file is indexed in overlapping windows: it is a candidate only when one
    /// window holds every trigram of the literal, and a match across a window's edge,
    /// even one longer than the overlap, still finds it.
    @Test func bigFilesAreIndexedInWindows() throws {
        let dir = try TemporaryDirectory()
        let size = 3 << 20
        func filler(_ count: Int) -> [UInt8] {
            var random = SplitMix64(seed: 9)
            let letters = Array("abcfghijkmopqrstuvwxyz \n".utf8)  // no d, e, l, n: no trigram of "needle"
            return (0..<count).map { _ in letters[random.next(upTo: letters.count)] }
        }
        // Every trigram of "needle" far apart, never together: not a candidate.
        var scattered = filler(size)
        for (position, piece) in [(100, "nee"), (1_000_000, "eed"), (2_000_000, "edl"), (2_900_000, "dle")] {
            scattered.replaceSubrange(position..<(position + 3), with: Array(piece.utf8))
        }
        try Data(scattered).write(to: URL(fileURLWithPath: dir.path("scattered.txt")))
        // "needle" across the first window's edge, and a 600-byte literal across the second.
        var across = filler(size)
        let edge = IndexBuilder.windowSize
        across.replaceSubrange((edge - 3)..<(edge + 3), with: Array("needle".utf8))
        let long = Array(String(repeating: "de", count: 300).utf8)
        across.replaceSubrange((2 * edge - 300)..<(2 * edge + 300), with: long)
        try Data(across).write(to: URL(fileURLWithPath: dir.path("across.txt")))
        let cache = try TemporaryDirectory("cache")
        let store = IndexStore(directory: cache.path)
        let built = LiveIndex(root: dir.path, walkOptions: WalkOptions())
        built.build(store: store)
        let loaded = LiveIndex(root: dir.path, walkOptions: WalkOptions())
        loaded.build(store: store)
        #expect(loaded.statistics().reason?.contains("loaded") == true)
        for index in [built, loaded] {
            #expect(try candidates(index, "needle", under: dir.path) == [dir.path("across.txt")])
            let matcher = try SearchQuery(patterns: [String(decoding: long, as: UTF8.self)]).makeMatcher()
            #expect(index.candidates(for: matcher, configuration: SearcherConfiguration(), walkOptions: WalkOptions(), under: Array(dir.path.utf8))?
                .paths == [Array(dir.path("across.txt").utf8)])
        }
    }
}
