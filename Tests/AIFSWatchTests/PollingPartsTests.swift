import AIFSCore
import Testing

@testable import AIFSWatch

/// The order of one poll's renames: source first, and one pair of each cycle given back.
@Suite struct RenameOrderTests {
    private func order(_ pairs: [(String, String)]) -> (ordered: [String], broken: [String]) {
        let (ordered, broken) = RenameOrder.ordered(pairs) { (from: $0.0, to: $0.1) }
        return (ordered.map { "\($0.0)>\($0.1)" }, broken.map { "\($0.0)>\($0.1)" })
    }

    @Test func aChainComesSourceFirst() {
        #expect(order([("d", "b"), ("b", "c")]) == (["b>c", "d>b"], []))
        #expect(order([("c", "a"), ("a", "e"), ("x", "c")]) == (["a>e", "c>a", "x>c"], []))
    }

    @Test func aCycleGivesOnePairBack() {
        #expect(order([("a", "e"), ("e", "a")]) == (["e>a"], ["a>e"]))
        #expect(order([("a", "b"), ("b", "c"), ("c", "a"), ("x", "y")]) == (["x>y", "c>a", "b>c"], ["a>b"]))
    }
}

/// The identities the tree keeps for polled entries move and go with their entries.
@Suite struct WatchTreeIdentityTests {
    private func entry(_ inode: UInt64) -> PolledEntry {
        PolledEntry(FileIdentity(
            device: 1, inode: inode, size: 1, modificationTime: 1, changeTime: 1, kind: .regular, permissions: 0o644))
    }

    @Test func identitiesMoveAndGoWithTheirEntries() {
        var tree = WatchTree()
        tree.insert("/r", kind: .directory)
        tree.insert("/r/d", kind: .directory)
        tree.insert("/r/d/f", kind: .file)
        tree.setIdentity(entry(2), of: "/r/d")
        tree.setIdentity(entry(3), of: "/r/d/f")
        tree.setIdentity(entry(9), of: "/r/missing")  // not in the tree: ignored
        #expect(tree.identity(of: "/r/missing") == nil)
        #expect(tree.identities(in: "/r/d") == ["f": entry(3)])
        tree.move("/r/d", to: "/r/e")
        #expect(tree.identity(of: "/r/d") == nil && tree.identity(of: "/r/d/f") == nil)
        #expect(tree.identity(of: "/r/e") == entry(2))
        #expect(tree.identity(of: "/r/e/f") == entry(3))
        tree.remove("/r/e")
        #expect(tree.identities(in: "/r").isEmpty && tree.identities(in: "/r/e").isEmpty)
        tree.insert("/r/e", kind: .directory)
        #expect(tree.identity(of: "/r/e") == nil)
    }
}
