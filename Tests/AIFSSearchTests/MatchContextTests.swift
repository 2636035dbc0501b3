import AIFSSearch
import Testing

/// Each match gets the context lines that stand within its own context, also the ones
/// the searcher reported once between two close matches.
@Suite struct MatchContextTests {
    private func line(_ number: Int, _ kind: SearchLine.Kind) -> SearchLine {
        SearchLine(pathBytes: Array("f".utf8), lineNumber: number, absoluteOffset: Int64(number * 10), bytes: Array("l\(number)".utf8),
                   submatches: kind == .match ? [0..<1] : [], kind: kind)
    }

    @Test func closeMatchesShareTheLinesBetweenThem() {
        let lines = [line(1, .before), line(2, .before), line(3, .match), line(4, .after), line(5, .match), line(6, .after), line(7, .after)]
        let matches = MatchWithContext.group(lines, beforeContext: 2, afterContext: 2)
        #expect(matches.map { $0.line.lineNumber } == [3, 5])
        #expect(matches[0].before.map(\.lineNumber) == [1, 2])
        #expect(matches[0].after.map(\.lineNumber) == [4])
        #expect(matches[1].before.map(\.lineNumber) == [4])
        #expect(matches[1].after.map(\.lineNumber) == [6, 7])
    }

    @Test func aGapInTheNumbersEndsTheContextAndTheLimitHolds() {
        let lines = [line(2, .match), line(3, .after), line(9, .before), line(10, .match), line(20, .match)]
        let matches = MatchWithContext.group(lines, beforeContext: 3, afterContext: 3, limit: 2)
        #expect(matches.count == 2)
        #expect(matches[0].after.map(\.lineNumber) == [3])
        #expect(matches[1].before.map(\.lineNumber) == [9])
        #expect(MatchWithContext.group(lines, beforeContext: 0, afterContext: 0).allSatisfy { $0.before.isEmpty && $0.after.isEmpty })
    }
}
