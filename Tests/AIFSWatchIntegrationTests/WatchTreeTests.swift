import Testing

@testable import AIFSWatch

/// The pure parts: the tree state and the parsing of kernel records.
@Suite struct WatchTreeTests {
    @Test func removeReturnsDeepestFirst() {
        var tree = WatchTree()
        tree.insert("/r", kind: .directory)
        tree.insert("/r/a", kind: .directory)
        tree.insert("/r/a/f", kind: .file)
        tree.insert("/r/g", kind: .file)
        let removed = tree.remove("/r/a").map(\.path)
        #expect(removed == ["/r/a/f", "/r/a"])
        #expect(tree.subtree("/r").map(\.path) == ["/r", "/r/g"])
    }

    @Test func moveReRootsTheSubtree() {
        var tree = WatchTree()
        tree.insert("/r", kind: .directory)
        tree.insert("/r/a", kind: .directory)
        tree.insert("/r/a/f", kind: .file)
        let moved = tree.move("/r/a", to: "/r/b")
        #expect(moved.map(\.to) == ["/r/b", "/r/b/f"])
        #expect(tree.kind(of: "/r/a/f") == nil)
        #expect(tree.kind(of: "/r/b/f") == .file)
        #expect(tree.subtree("/r").map(\.path) == ["/r", "/r/b", "/r/b/f"])
    }

    @Test func parsesInotifyRecords() {
        // wd=3 mask=IN_CREATE cookie=0 len=8 "a.txt\0\0\0", then wd=1 IN_Q_OVERFLOW len=0.
        var bytes: [UInt8] = []
        func append32<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        append32(Int32(3)); append32(UInt32(0x100)); append32(UInt32(0)); append32(UInt32(8))
        bytes += Array("a.txt".utf8) + [0, 0, 0]
        append32(Int32(-1)); append32(UInt32(0x4000)); append32(UInt32(0)); append32(UInt32(0))
        var events: [RawEvent] = []
        bytes.withUnsafeBytes { InotifyBackend.parse($0, into: &events) }
        #expect(events == [
            RawEvent(descriptor: WatchDescriptor(rawValue: 3), mask: .create, name: "a.txt"),
            RawEvent(descriptor: WatchDescriptor(rawValue: -1), mask: .queueOverflow),
        ])
    }
}
