/// A matching line with the context lines around it, as an agent wants a match: whole,
/// on its own. The searcher reports context once, between matches (ripgrep's layout);
/// here each match gets its own copy of the lines that stand within its context, so
/// a line between two close matches is in the first one's `after` and the second
/// one's `before`.
public struct MatchWithContext: Sendable, Hashable {
    /// The matching line.
    public var line: SearchLine
    /// Up to `beforeContext` lines right before it, in order (never another match).
    public var before: [SearchLine]
    /// Up to `afterContext` lines right after it, in order (never another match).
    public var after: [SearchLine]

    /// Groups one file's reported lines, in the order the searcher reported them, into
    /// its matches with their context.
    ///
    /// - Parameters:
    ///   - lines: One file's matching and context lines, in file order.
    ///   - beforeContext: The `beforeContext` the search ran with.
    ///   - afterContext: The `afterContext` the search ran with.
    ///   - limit: At most this many matches.
    public static func group(
        _ lines: [SearchLine], beforeContext: Int, afterContext: Int, limit: Int = .max
    ) -> [MatchWithContext] {
        var matches: [MatchWithContext] = []
        for (index, line) in lines.enumerated() where line.kind == .match {
            guard matches.count < limit else { break }
            let number = line.lineNumber ?? 0
            var before: [SearchLine] = []
            var scan = index - 1
            // Only lines right before it (a gap in the numbers ends the context) that
            // are not matches themselves.
            while scan >= 0, before.count < beforeContext, lines[scan].kind != .match,
                lines[scan].lineNumber == number - before.count - 1
            {
                before.insert(lines[scan], at: 0)
                scan -= 1
            }
            var after: [SearchLine] = []
            scan = index + 1
            while scan < lines.count, after.count < afterContext, lines[scan].kind != .match,
                lines[scan].lineNumber == number + after.count + 1
            {
                after.append(lines[scan])
                scan += 1
            }
            matches.append(MatchWithContext(line: line, before: before, after: after))
        }
        return matches
    }
}
