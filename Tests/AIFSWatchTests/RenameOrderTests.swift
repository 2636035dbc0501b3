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
