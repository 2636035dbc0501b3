import AIFSCore
import AIFSTestSupport
import Testing

@testable import AIFSSearch

/// What the searcher must report when lines are longer than its largest buffer, the slow
/// way: each over-long line is cut into the pieces the searcher reads (the buffer's size,
/// each starting a quarter of a buffer before the previous one ended) and decided as one
/// line, reported once with its own number and offset and one piece as its bytes: the
/// first piece that matches, or the last one (see ``Searcher``, "Lines longer than the
/// buffer"). No before-context (the searcher's handling of it depends on what its
/// buffer holds; see the targeted tests).
///
/// - Returns: the events, the piece offsets of the cut lines by event index, and how
///   many lines were shown cut.
func referenceEventsWithLongLines(
    _ text: [UInt8], needle: [UInt8], configuration: SearcherConfiguration
) -> (events: [SinkEvent], cuts: [Int: Int64], cutLines: Int) {
    precondition(configuration.beforeContext == 0)
    let bufferSize = configuration.maximumBufferSize, overlap = bufferSize / 4
    var lines: [[UInt8]] = []
    var current: [UInt8] = []
    for byte in text {
        current.append(byte)
        if byte == UInt8(ascii: "\n") {
            lines.append(current)
            current = []
        }
    }
    if !current.isEmpty { lines.append(current) }
    let offsets = lines.reduce(into: [Int64(0)]) { $0.append($0.last! + Int64($1.count)) }

    func contains(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard bytes.count >= needle.count else { return false }
        return (bytes.startIndex...(bytes.endIndex - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
    func contentCount(_ line: [UInt8]) -> Int { line.last == UInt8(ascii: "\n") ? line.count - 1 : line.count }
    func pieces(_ line: [UInt8]) -> [Range<Int>] {
        let content = contentCount(line)
        var result: [Range<Int>] = []
        var start = 0
        while content - start >= bufferSize {
            result.append(start..<(start + bufferSize))
            start += bufferSize - overlap
        }
        result.append(start..<line.count)
        return result
    }

    /// For each line: whether it is reported, and the piece shown when it is reported
    /// and when it is context (nil for whole lines).
    struct Decision { var reported: Bool; var reportedPiece: Range<Int>?; var contextPiece: Range<Int>? }
    let decisions = lines.map { line -> Decision in
        let content = contentCount(line)
        guard content >= bufferSize else {
            return Decision(reported: contains(line[0..<content]) != configuration.invert, reportedPiece: nil, contextPiece: nil)
        }
        let all = pieces(line)
        let matching = all.first { contains(line[$0.lowerBound..<min($0.upperBound, content)]) }
        let matched = matching != nil
        return Decision(
            reported: matched != configuration.invert,
            reportedPiece: configuration.invert ? all.last : matching,
            contextPiece: configuration.invert ? matching : all.last)
    }

    var events: [SinkEvent] = [.begin("<memory>")]
    var cuts: [Int: Int64] = [:]
    var cutLines = 0
    var lastPrinted: Int?
    var remaining = 0, count = 0, maxReached = false
    let after = configuration.afterContext
    func number(_ i: Int) -> Int? { configuration.lineNumbers ? i + 1 : nil }
    func shown(_ i: Int, _ piece: Range<Int>?) -> String {
        guard let piece else { return String(decoding: lines[i], as: UTF8.self) }
        cuts[events.count] = Int64(piece.lowerBound)
        cutLines += 1
        return String(decoding: lines[i][piece], as: UTF8.self)
    }
    for i in lines.indices {
        if maxReached && remaining == 0 { break }
        if decisions[i].reported {
            if maxReached { remaining -= 1 }
            if after > 0, let last = lastPrinted, i > last + 1 { events.append(.contextBreak) }
            events.append(.match(shown(i, decisions[i].reportedPiece), line: number(i), offset: offsets[i]))
            lastPrinted = i
            count += 1
            if !maxReached {
                remaining = after
                if let limit = configuration.maxReportedLines, count >= limit { maxReached = true }
            }
        } else if remaining > 0 {
            if let last = lastPrinted, i > last + 1 { events.append(.contextBreak) }
            events.append(.context(shown(i, decisions[i].contextPiece), line: number(i), offset: offsets[i], .after))
            lastPrinted = i
            remaining -= 1
        }
    }
    events.append(.finish(lines: count, binary: nil))
    return (events, cuts, cutLines)
}

/// Lines longer than the searcher's largest buffer: decided and reported once, with true
/// numbers, offsets and columns, and said to be cut.
/// https://github.com/aifs/aifs/issues/15 (defect 6)
@Suite struct LongLineTests {
    /// Random short and over-long lines (some just under, at and over the buffer size),
    /// with a literal no longer than the overlap, so no match is lost at a seam.
    static func randomText(_ generator: inout SplitMix64, bufferSize: Int) -> [UInt8] {
        var text: [UInt8] = []
        for _ in 0..<(1 + generator.next(upTo: 8)) {
            let kind = generator.next(upTo: 4)
            let length = kind == 0
                ? generator.next(upTo: 6)
                : [bufferSize - 1, bufferSize, bufferSize + 1, bufferSize * 2 + generator.next(upTo: bufferSize * 3)][generator.next(upTo: 4)]
            for _ in 0..<length {
                let roll = generator.next(upTo: 20)
                text.append(roll == 0 ? UInt8(ascii: "a") : roll == 1 ? UInt8(ascii: "b") : UInt8(ascii: "y"))
            }
            if generator.next(upTo: 8) != 0 || text.isEmpty { text.append(UInt8(ascii: "\n")) }
        }
        return text
    }

    @Test("Over-long lines are reported once, as the model says", arguments: [4, 8, 16, 32])
    func issue15_overLongLinesMatchTheModel(_ bufferSize: Int) throws {
        var generator = SplitMix64(seed: UInt64(bufferSize) &* 31)
        let needle = Array("ab".utf8)
        let matcher = try LiteralMatcher(needle)
        for round in 0..<300 {
            let text = Self.randomText(&generator, bufferSize: bufferSize)
            var configuration = SearcherConfiguration()
            configuration.maximumBufferSize = bufferSize
            configuration.initialBufferSize = [1, 3, bufferSize][round % 3]
            configuration.binaryDetection = .none
            configuration.invert = generator.next() % 3 == 0
            configuration.lineNumbers = generator.next() % 2 == 0
            configuration.afterContext = Int(generator.next() % 3)
            configuration.maxReportedLines = [nil, nil, 1, 2][Int(generator.next() % 4)]
            let expected = referenceEventsWithLongLines(text, needle: needle, configuration: configuration)
            let sink = RecordingSink()
            try Searcher(matcher: matcher, configuration: configuration).search(bytes: text, sink: sink)
            let context = "text \(String(decoding: text, as: UTF8.self).debugDescription) \(configuration)"
            #expect(sink.events == expected.events, "\(context)")
            #expect(sink.cuts == expected.cuts, "\(context)")
            let problems = sink.lastFinish?.problems ?? []
            #expect(problems.count == min(expected.cutLines, Searcher.problemLimit + (expected.cutLines > Searcher.problemLimit ? 1 : 0)), "\(context) \(problems)")
            #expect(problems.allSatisfy { $0.code == .longLineCut })
            if sink.events != expected.events || sink.cuts != expected.cuts { return }
        }
    }

    /// `aaaa…` lines of 100 bytes with a buffer of 32: the needle at the start, in the
    /// middle, at the end, and across a seam.
    static func configuration(lineNumbers: Bool = true) -> SearcherConfiguration {
        var configuration = SearcherConfiguration()
        configuration.initialBufferSize = 8
        configuration.maximumBufferSize = 32
        configuration.lineNumbers = lineNumbers
        return configuration
    }

    static func longLine(needleAt position: Int, length: Int = 100) -> String {
        var line = Array(repeating: Character("y"), count: length)
        for (index, character) in "NEEDLE".enumerated() { line[position + index] = character }
        return String(line)
    }

    @Test("The needle at the start, middle, end and across a seam", arguments: [0, 30, 47, 94])
    func issue15_positionsInAnOverLongLine(_ position: Int) throws {
        let long = Self.longLine(needleAt: position)
        let text = Array("short\n\(long)\nNEEDLE after\n".utf8)
        let sink = RecordingSink()
        let searcher = Searcher(matcher: try LiteralMatcher("NEEDLE"), configuration: Self.configuration())
        try searcher.search(bytes: text, displayPath: Array("f.txt".utf8), sink: sink)
        // Pieces of 32 bytes overlapping by 8: 0..<32, 24..<56, 48..<80, 72..<101.
        let piece = [0..<32, 24..<56, 48..<80, 72..<101].first { $0.contains(position) && $0.contains(position + 5) }!
        let pieceText = String(decoding: Array((long + "\n").utf8)[piece], as: UTF8.self)
        #expect(sink.events == [
            .begin("f.txt"), .match(pieceText, line: 2, offset: 6), .match("NEEDLE after\n", line: 3, offset: 107),
            .finish(lines: 2, binary: nil),
        ])
        #expect(sink.cuts == [1: Int64(piece.lowerBound)])
        let problems = searcher.problems
        #expect(problems.count == 1)
        #expect(problems.first?.message.hasPrefix(
            "f.txt:2: the line is longer than the search buffer (32 bytes), so only \(piece.count) of its bytes, from byte \(piece.lowerBound) of the line on, are shown") == true,
            "\(problems)")
    }

    /// The printers give the line's own columns and offsets, not the piece's.
    @Test func issue15_printersShowTrueColumnsAndOffsets() throws {
        let long = Self.longLine(needleAt: 60)
        let text = Array("short\n\(long)\n".utf8)
        let matcher = try LiteralMatcher("NEEDLE")

        var standard = StandardPrinter.Configuration()
        standard.lineNumber = true
        standard.column = true
        standard.onlyMatching = true
        let collector = ByteCollector()
        try Searcher(matcher: matcher, configuration: Self.configuration())
            .search(bytes: text, sink: StandardPrinter(configuration: standard, matcher: matcher, target: collector))
        #expect(String(decoding: collector.bytes, as: UTF8.self) == "2:61:NEEDLE\n")

        standard.onlyMatching = false
        collector.removeAll()
        try Searcher(matcher: matcher, configuration: Self.configuration())
            .search(bytes: text, sink: StandardPrinter(configuration: standard, matcher: matcher, target: collector))
        // The piece 48..<80 holds the needle: column 61, the piece's text.
        let piece = String(long.dropFirst(48).prefix(32))
        #expect(String(decoding: collector.bytes, as: UTF8.self) == "2:61:\(piece)\n")

        collector.removeAll()
        try Searcher(matcher: matcher, configuration: Self.configuration())
            .search(bytes: text, sink: JSONPrinter(matcher: matcher, target: collector))
        let json = String(decoding: collector.bytes, as: UTF8.self)
        #expect(json.contains(#""line_number":2,"absolute_offset":6,"submatches":[{"match":{"text":"NEEDLE"},"start":60,"end":66}]"#),
                "\(json)")
    }

    @Test func issue15_aLongLineIsContextOnce() throws {
        var configuration = Self.configuration()
        configuration.afterContext = 1
        configuration.beforeContext = 1
        let long = String(repeating: "y", count: 100)
        let text = Array("NEEDLE one\n\(long)\nmiddle\n\(long)\nNEEDLE two\n".utf8)
        let sink = RecordingSink()
        let searcher = Searcher(matcher: try LiteralMatcher("NEEDLE"), configuration: configuration)
        try searcher.search(bytes: text, sink: sink)
        // After-context: the first long line's last piece (72..<101); before-context: the
        // second one's last bytes (an overlap's worth: 7 bytes and the terminator).
        let tail = String(repeating: "y", count: 28) + "\n"
        #expect(sink.events == [
            .begin("<memory>"),
            .match("NEEDLE one\n", line: 1, offset: 0),
            .context(tail, line: 2, offset: 11, .after),
            .contextBreak,
            .context(String(repeating: "y", count: 7) + "\n", line: 4, offset: 119, .before),
            .match("NEEDLE two\n", line: 5, offset: 220),
            .finish(lines: 2, binary: nil),
        ])
        #expect(sink.cuts == [2: 72, 4: 93])
        #expect(searcher.problems.count == 2)
    }

    /// A regex's match may be longer than the overlap: an over-long line it did not match
    /// is said to have been searched in pieces. A literal no longer than the overlap
    /// cannot be missed, so nothing is said.
    @Test func issue15_aPossibleMissAtASeamIsSaid() throws {
        let text = Array("\(String(repeating: "y", count: 100))\n".utf8)
        let regex = try RegexMatcher(patterns: ["y{40}z"])
        let sink = RecordingSink()
        let searcher = Searcher(matcher: regex, configuration: Self.configuration(lineNumbers: false))
        try searcher.search(bytes: text, displayPath: Array("f.txt".utf8), sink: sink)
        #expect(sink.events == [.begin("f.txt"), .finish(lines: 0, binary: nil)])
        #expect(searcher.problems.map(\.code) == [.longLineSearchedInPieces])
        #expect(searcher.problems.first?.message.hasPrefix(
            "f.txt: the line at byte offset 0: the line is longer than the search buffer (32 bytes), so it was searched in pieces that overlap by 8 bytes") == true)

        try Searcher(matcher: try LiteralMatcher("yz"), configuration: Self.configuration())
            .search(bytes: text, sink: sink)
        #expect(sink.lastFinish?.problems == [])
    }

    /// From a file, as from memory.
    @Test func issue15_filesOnDiskToo() throws {
        let dir = try TemporaryDirectory()
        let long = Self.longLine(needleAt: 80)
        let path = try dir.file("long.txt", "a\n\(long)\nb\n")
        let sink = RecordingSink()
        try Searcher(matcher: try LiteralMatcher("NEEDLE"), configuration: Self.configuration())
            .search(path: path, displayPath: Array("long.txt".utf8), sink: sink)
        #expect(sink.events == [
            .begin("long.txt"), .match(String(long.dropFirst(72)) + "\n", line: 2, offset: 2), .finish(lines: 1, binary: nil),
        ])
        #expect(sink.lastFinish?.problems.count == 1)
    }
}
