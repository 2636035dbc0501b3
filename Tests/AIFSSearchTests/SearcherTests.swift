import AIFSCore
import AIFSTestSupport
import Testing

@testable import AIFSSearch

/// Everything a sink is told, in order, as plain values.
enum SinkEvent: Equatable, CustomStringConvertible {
    case begin(String)
    case match(String, line: Int?, offset: Int64)
    case context(String, line: Int?, offset: Int64, ContextKind)
    case contextBreak
    case binary(Int64)
    case finish(lines: Int, binary: Int64?)

    var description: String {
        switch self {
        case .begin(let path): "begin(\(path))"
        case .match(let text, let line, let offset): "match(\(text.debugDescription), \(line.map(String.init) ?? "-"), @\(offset))"
        case .context(let text, let line, let offset, let kind): "context(\(text.debugDescription), \(line.map(String.init) ?? "-"), @\(offset), \(kind))"
        case .contextBreak: "--"
        case .binary(let offset): "binary(@\(offset))"
        case .finish(let lines, let binary): "finish(\(lines), binary: \(binary.map(String.init) ?? "nil"))"
        }
    }
}

final class RecordingSink: Sink {
    var events: [SinkEvent] = []
    var lastFinish: SinkFinish?
    var stopAfterMatches: Int?
    /// For each reported line that was cut (a piece of an over-long line): its index in
    /// `events` and where the piece starts within the line.
    var cuts: [Int: Int64] = [:]

    func begin(path: [UInt8]) -> Bool {
        events.append(.begin(String(decoding: path, as: UTF8.self)))
        return true
    }

    func matched(_ match: SinkMatch) -> Bool {
        if match.isCut { cuts[events.count] = match.lineOffset }
        events.append(.match(String(decoding: match.bytes, as: UTF8.self), line: match.lineNumber, offset: match.absoluteOffset))
        if let stop = stopAfterMatches {
            return events.filter { if case .match = $0 { true } else { false } }.count < stop
        }
        return true
    }

    func context(_ context: SinkContext) -> Bool {
        if context.isCut { cuts[events.count] = context.lineOffset }
        events.append(.context(String(decoding: context.bytes, as: UTF8.self), line: context.lineNumber,
                               offset: context.absoluteOffset, context.kind))
        return true
    }

    func contextBreak() -> Bool {
        events.append(.contextBreak)
        return true
    }

    func binaryData(offset: Int64) -> Bool {
        events.append(.binary(offset))
        return true
    }

    func finish(_ finish: SinkFinish) {
        lastFinish = finish
        events.append(.finish(lines: finish.matchedLines, binary: finish.binaryOffset))
    }
}

/// Candidates at every `a` (false positives included); matches need "ab".
struct FalsePositiveMatcher: Matcher {
    func firstMatch(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Range<Int>? {
        guard haystack.count >= 2, start <= haystack.count - 2 else { return nil }
        for i in start...(haystack.count - 2) where haystack[i] == UInt8(ascii: "a") && haystack[i + 1] == UInt8(ascii: "b") {
            return i..<(i + 2)
        }
        return nil
    }

    func candidate(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < haystack.count else { return nil }
        return (start..<haystack.count).first { haystack[$0] == UInt8(ascii: "a") }
    }
}

/// Matches the empty string at the start of every line.
struct EveryLineMatcher: Matcher {
    func firstMatch(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Range<Int>? {
        start <= haystack.count ? start..<start : nil
    }
}

/// What the searcher must report, computed the slow and obvious way: line by line.
func referenceEvents(
    _ text: [UInt8], matcher: any Matcher, configuration: SearcherConfiguration, path: String = "<memory>"
) -> [SinkEvent] {
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
    let reported = lines.map { line -> Bool in
        let content = line.last == UInt8(ascii: "\n") ? Array(line.dropLast()) : line
        let matches = content.withUnsafeBufferPointer { matcher.firstMatch(in: $0, from: 0) != nil }
        return matches != configuration.invert
    }
    let before = configuration.beforeContext, after = configuration.afterContext
    var events: [SinkEvent] = [.begin(path)]
    var lastPrinted: Int?
    var remaining = 0, count = 0, maxReached = false
    func number(_ i: Int) -> Int? { configuration.lineNumbers ? i + 1 : nil }
    func lineText(_ i: Int) -> String { String(decoding: lines[i], as: UTF8.self) }
    func breakIfNeeded(_ i: Int) {
        if before > 0 || after > 0, let last = lastPrinted, i > last + 1 { events.append(.contextBreak) }
    }
    for i in lines.indices {
        if maxReached && remaining == 0 { break }
        if reported[i] {
            if maxReached {
                remaining -= 1
            } else {
                let lower = lastPrinted.map { $0 + 1 } ?? 0
                for j in max(lower, i - before)..<i {
                    breakIfNeeded(j)
                    events.append(.context(lineText(j), line: number(j), offset: offsets[j], .before))
                    lastPrinted = j
                }
            }
            breakIfNeeded(i)
            events.append(.match(lineText(i), line: number(i), offset: offsets[i]))
            lastPrinted = i
            count += 1
            if !maxReached {
                remaining = after
                if let limit = configuration.maxReportedLines, count >= limit { maxReached = true }
            }
        } else if remaining > 0 {
            breakIfNeeded(i)
            events.append(.context(lineText(i), line: number(i), offset: offsets[i], .after))
            lastPrinted = i
            remaining -= 1
        }
    }
    events.append(.finish(lines: count, binary: nil))
    return events
}

func search(
    _ text: [UInt8], matcher: any Matcher, configuration: SearcherConfiguration
) throws -> (events: [SinkEvent], finish: SinkFinish?) {
    let sink = RecordingSink()
    try Searcher(matcher: matcher, configuration: configuration).search(bytes: text, sink: sink)
    return (sink.events, sink.lastFinish)
}

/// Buffer sizes from absurdly small (every line straddles reads) to the default.
let bufferSizes = [1, 2, 3, 5, 8, 13, 64, 4096, 256 * 1024]

@Suite struct SearcherTests {
    @Test(arguments: bufferSizes)
    func matchesTheLineByLineReferenceAtEveryBufferSize(_ bufferSize: Int) throws {
        var generator = SplitMix64(seed: UInt64(bufferSize))
        let matchers: [any Matcher] = [try LiteralMatcher("ab"), FalsePositiveMatcher(), EveryLineMatcher(), try LiteralMatcher("zzz")]
        for round in 0..<150 {
            let text = randomText(&generator, long: round % 10 == 0)
            var configuration = SearcherConfiguration()
            configuration.initialBufferSize = bufferSize
            configuration.binaryDetection = .none
            configuration.invert = generator.next() % 4 == 0
            configuration.lineNumbers = generator.next() % 2 == 0
            configuration.beforeContext = Int(generator.next() % 3)
            configuration.afterContext = Int(generator.next() % 4)
            configuration.maxReportedLines = [nil, nil, 1, 2][Int(generator.next() % 4)]
            for matcher in matchers {
                let expected = referenceEvents(text, matcher: matcher, configuration: configuration)
                let (actual, _) = try search(text, matcher: matcher, configuration: configuration)
                #expect(actual == expected, "text \(String(decoding: text, as: UTF8.self).debugDescription) \(configuration) \(type(of: matcher))")
                if actual != expected { return }
            }
        }
    }

    @Test(arguments: [1, 7, 4096])
    func reportsLineNumbersOffsetsAndTheLastLineWithoutTerminator(_ bufferSize: Int) throws {
        var configuration = SearcherConfiguration()
        configuration.lineNumbers = true
        configuration.initialBufferSize = bufferSize
        let text = Array("one\ntwo needle\r\nthree\nneedle four".utf8)
        let (events, finish) = try search(text, matcher: try LiteralMatcher("needle"), configuration: configuration)
        #expect(events == [
            .begin("<memory>"),
            .match("two needle\r\n", line: 2, offset: 4),
            .match("needle four", line: 4, offset: 22),
            .finish(lines: 2, binary: nil),
        ])
        #expect(finish?.bytesSearched == Int64(text.count))
    }

    @Test func maxCountZeroReportsNothing() throws {
        var configuration = SearcherConfiguration()
        configuration.maxReportedLines = 0
        let (events, _) = try search(Array("a\na\n".utf8), matcher: try LiteralMatcher("a"), configuration: configuration)
        #expect(events == [.begin("<memory>"), .finish(lines: 0, binary: nil)])
    }

    @Test func contextAroundMatchesWithBreaks() throws {
        var configuration = SearcherConfiguration()
        configuration.lineNumbers = true
        configuration.beforeContext = 1
        configuration.afterContext = 1
        let text = Array("a\nX\nb\nc\nd\nX\ne\n".utf8)
        let (events, _) = try search(text, matcher: try LiteralMatcher("X"), configuration: configuration)
        #expect(events == [
            .begin("<memory>"),
            .context("a\n", line: 1, offset: 0, .before),
            .match("X\n", line: 2, offset: 2),
            .context("b\n", line: 3, offset: 4, .after),
            .contextBreak,
            .context("d\n", line: 5, offset: 8, .before),
            .match("X\n", line: 6, offset: 10),
            .context("e\n", line: 7, offset: 12, .after),
            .finish(lines: 2, binary: nil),
        ])
    }

    @Test func maxCountKeepsTrailingContextLikeRipgrep() throws {
        // rg -n -m1 -A3 a  on  a1 b a2 c d a3  prints 1:a1 2-b 3:a2 4-c
        var configuration = SearcherConfiguration()
        configuration.lineNumbers = true
        configuration.afterContext = 3
        configuration.maxReportedLines = 1
        let (events, _) = try search(Array("a1\nb\na2\nc\nd\na3\n".utf8), matcher: try LiteralMatcher("a"), configuration: configuration)
        #expect(events == [
            .begin("<memory>"),
            .match("a1\n", line: 1, offset: 0),
            .context("b\n", line: 2, offset: 3, .after),
            .match("a2\n", line: 3, offset: 5),
            .context("c\n", line: 4, offset: 8, .after),
            .finish(lines: 2, binary: nil),
        ])
    }

    @Test(arguments: [1, 4, 64, 4096])
    func binaryFilesQuitBeforeTheBufferWithTheNul(_ bufferSize: Int) throws {
        var configuration = SearcherConfiguration()
        configuration.initialBufferSize = bufferSize
        configuration.binaryDetection = .quit
        let small = Array("hello one\nworld\n\0binary hello\n".utf8)
        let (events, _) = try search(small, matcher: try LiteralMatcher("hello"), configuration: configuration)
        // Whatever the buffer size, nothing after the NUL is reported and the offset is right.
        #expect(events.last == .finish(lines: events.filter { if case .match = $0 { true } else { false } }.count, binary: 16))
        #expect(events.contains(.binary(16)))
        #expect(!events.contains(.match("\0binary hello\n", line: nil, offset: 16)))
        if bufferSize >= small.count {
            #expect(events == [.begin("<memory>"), .binary(16), .finish(lines: 0, binary: 16)])
        }
    }

    /// ripgrep 14 reading a file named explicitly: the NUL is reported when the 64 KiB
    /// read holding it is (here, before any line is searched), NULs read as line ends,
    /// and the whole file is searched (the printer decides to stop).
    @Test(arguments: [1, 4, 64, 4096])
    func binaryFilesConvertReportsTheNulBeforeItsRead(_ bufferSize: Int) throws {
        var configuration = SearcherConfiguration()
        configuration.initialBufferSize = bufferSize
        configuration.binaryDetection = .convert
        let text = Array("hello one\nworld\n\0binary hello\nhello again\n".utf8)
        let (events, _) = try search(text, matcher: try LiteralMatcher("hello"), configuration: configuration)
        #expect(events == [
            .begin("<memory>"), .binary(16), .match("hello one\n", line: nil, offset: 0),
            .match("binary hello\n", line: nil, offset: 17), .match("hello again\n", line: nil, offset: 30),
            .finish(lines: 3, binary: 16),
        ])
    }

    /// A NUL after ripgrep's first 64 KiB read: the lines of that read are searched
    /// before the NUL is reported, at every buffer size.
    @Test(arguments: [1, 4096, 65536, 1 << 20])
    func binaryDataIsReportedWhereRipgrepReadsIt(_ bufferSize: Int) throws {
        var configuration = SearcherConfiguration()
        configuration.initialBufferSize = bufferSize
        configuration.binaryDetection = .quit
        var text: [UInt8] = []
        for index in 0..<10_000 { text += Array("line \(index) hello\n".utf8) }
        text.insert(0, at: 100_000)
        let (events, _) = try search(text, matcher: try LiteralMatcher("hello"), configuration: configuration)
        // ripgrep reads 3 bytes, then up to 65,536: its last complete line ends at
        // 65,530 ("line 4164 hello"), the next read holds the NUL.
        let matches = events.filter { if case .match = $0 { true } else { false } }
        #expect(matches.count == 4165)
        #expect(events.last == .finish(lines: 4165, binary: 100_000))
        #expect(events.dropLast().last == .binary(100_000))
    }

    @Test func textModeSearchesThroughNulBytes() throws {
        var configuration = SearcherConfiguration()
        configuration.binaryDetection = .none
        let text = Array("a\0b\nhello\0\n".utf8)
        let (events, _) = try search(text, matcher: try LiteralMatcher("hello"), configuration: configuration)
        #expect(events == [.begin("<memory>"), .match("hello\0\n", line: nil, offset: 4), .finish(lines: 1, binary: nil)])
    }

    @Test func sinkCanStopTheSearch() throws {
        let sink = RecordingSink()
        sink.stopAfterMatches = 2
        let text = Array(String(repeating: "x\n", count: 100).utf8)
        try Searcher(matcher: try LiteralMatcher("x")).search(bytes: text, sink: sink)
        #expect(sink.events.count == 4)  // begin, 2 matches, finish
        #expect(sink.events.last == .finish(lines: 2, binary: nil))
    }

    @Test func longLinesGrowTheBufferAndStayWhole() throws {
        var configuration = SearcherConfiguration()
        configuration.initialBufferSize = 16
        configuration.lineNumbers = true
        let long = String(repeating: "y", count: 100_000) + "needle" + String(repeating: "z", count: 50_000)
        let text = Array("first\n\(long)\nlast needle\n".utf8)
        let (events, _) = try search(text, matcher: try LiteralMatcher("needle"), configuration: configuration)
        #expect(events.count == 4)
        #expect(events[1] == .match(long + "\n", line: 2, offset: 6))
        #expect(events[2] == .match("last needle\n", line: 3, offset: Int64(6 + long.utf8.count + 1)))
    }

    @Test func overLongLinesAreSearchedInPieces() throws {
        var configuration = SearcherConfiguration()
        configuration.initialBufferSize = 64
        configuration.maximumBufferSize = 256
        configuration.lineNumbers = true
        let text = Array((String(repeating: "a", count: 1000) + "needle" + String(repeating: "b", count: 1000) + "\nnext needle\n").utf8)
        let (events, _) = try search(text, matcher: try LiteralMatcher("needle"), configuration: configuration)
        let matches = events.compactMap { event -> Int? in
            if case .match(_, let line, _) = event { return line }
            return nil
        }
        // The long line is found and reported once; line numbers stay right after it.
        #expect(matches == [1, 2])
    }

    /// Searching a file gives what searching its bytes in memory gives, at buffer sizes
    /// that end reads in mid-line, exactly at the file's end, or past it (where the read
    /// that would return 0 is skipped).
    @Test(arguments: [1, 3, 64, 4096])
    func filesOnDiskSearchAsTheirBytesDo(_ bufferSize: Int) throws {
        let dir = try TemporaryDirectory()
        var generator = SplitMix64(seed: UInt64(bufferSize) + 77)
        var configuration = SearcherConfiguration()
        configuration.initialBufferSize = bufferSize
        configuration.binaryDetection = .none
        configuration.lineNumbers = true
        var texts = (0..<40).map { round in randomText(&generator, long: round % 4 == 0) }
        texts += [[], Array(repeating: UInt8(ascii: "a"), count: bufferSize), Array("ab\n".utf8) + Array(repeating: UInt8(ascii: "b"), count: bufferSize)]
        for (index, text) in texts.enumerated() {
            // ASCII only, so the text survives the trip through a String.
            let path = try dir.file("t\(index)", String(decoding: text, as: UTF8.self))
            let (expected, _) = try search(text, matcher: try LiteralMatcher("ab"), configuration: configuration)
            let sink = RecordingSink()
            try Searcher(matcher: try LiteralMatcher("ab"), configuration: configuration)
                .search(path: path, displayPath: Array("<memory>".utf8), sink: sink)
            #expect(sink.events == expected, "text \(String(decoding: text, as: UTF8.self).debugDescription)")
        }
    }

    @Test func readsFilesFromDisk() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.file("a.txt", "alpha\nbeta needle\ngamma\n")
        var configuration = SearcherConfiguration()
        configuration.lineNumbers = true
        let sink = RecordingSink()
        try Searcher(matcher: try LiteralMatcher("needle"), configuration: configuration)
            .search(path: path, displayPath: Array("a.txt".utf8), sink: sink)
        #expect(sink.events == [.begin("a.txt"), .match("beta needle\n", line: 2, offset: 6), .finish(lines: 1, binary: nil)])

        let missing = #expect(throws: SearchError.self) {
            try Searcher(matcher: try LiteralMatcher("x")).search(path: dir.path("missing"), sink: RecordingSink())
        }
        #expect(missing?.code == .io)
        #expect(missing?.message.contains("missing") == true)
        let directory = #expect(throws: SearchError.self) {
            try Searcher(matcher: try LiteralMatcher("x")).search(path: dir.path, sink: RecordingSink())
        }
        #expect(directory?.message.contains("it is a directory") == true)
    }
}

func randomText(_ generator: inout SplitMix64, long: Bool) -> [UInt8] {
    let alphabet = Array("ab\nxb\n".utf8)
    let length = long ? Int(generator.next() % 400) : Int(generator.next() % 40)
    return (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
}
