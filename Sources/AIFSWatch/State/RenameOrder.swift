/// The order of the renames one poll found.
enum RenameOrder {
    /// Renames in an order that can have happened: one whose source name another takes
    /// comes first (`b -> c` before `d -> b`). No order makes a cycle (`a -> e` and
    /// `e -> a`): it went through a name no poll saw (a swap), or one of its pairs is no
    /// rename at all (`rm -r e; mv a e; mkdir a`, the new `a` given `e`'s freed inode
    /// number, both empty). One pair of each cycle is given back (`broken`), to be
    /// reported as unlink and add, which ends the same either way; applied one rename
    /// at a time, a cycle lost a directory (found by the random-operations test).
    static func ordered<Pair>(
        _ pairs: [Pair], paths: (Pair) -> (from: String, to: String)
    ) -> (ordered: [Pair], broken: [Pair]) {
        guard pairs.count > 1 else { return (pairs, []) }
        var remaining = pairs
        var result: [Pair] = []
        var broken: [Pair] = []
        while !remaining.isEmpty {
            let sources = Set(remaining.map { paths($0).from })
            let ready = remaining.indices.filter { !sources.contains(paths(remaining[$0]).to) }
            if ready.isEmpty {
                // Each name is the source of one pair and the destination of one at most,
                // so what is left is cycles: taking one pair out opens its cycle.
                broken.append(remaining.removeFirst())
                continue
            }
            for index in ready { result.append(remaining[index]) }
            let taken = Set(ready)
            remaining = remaining.indices.filter { !taken.contains($0) }.map { remaining[$0] }
        }
        return (result, broken)
    }
}
