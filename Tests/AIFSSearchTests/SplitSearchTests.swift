import AIFSCore
import AIFSTestSupport
import Foundation
import Testing

@testable import AIFSSearch

// A big file searched on several threads (SearchSplitting) must give the answer of the
// same search on one thread, byte for byte: every sink call, every printer's output,
// the statistics and the problems. Real files in a temporary directory; the thresholds
// are lowered so that files of a few hundred KiB are split into parts of 64 KiB and up,
// and matches are placed on the lines around every place a file can be cut.

extension TemporaryDirectory {
    /// Creates a file holding `bytes`; returns its path.
    fileprivate func write(_ name: String, bytes: [UInt8]) throws -> String {
        let full = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
        return full
    }
}

/// Everything a sink is told, with all the fields a printer may use.
private final class FullRecorder: Sink {
    /// Each call, and the bytes of its line.
    struct Event: Equatable {
        var call: String
        var bytes: [UInt8] = []
    }

    var events: [Event] = []
    var finish: SinkFinish?
    /// Stop (return false) at this matched line, counting from 1.
    var stopAtMatch: Int?
    private var matches = 0

    func begin(path: [UInt8]) -> Bool {
        events.append(Event(call: "begin \(String(decoding: path, as: UTF8.self))"))
        return true
    }

    func matched(_ match: SinkMatch) -> Bool {
        matches += 1
        events.append(Event(
            call: "match \(match.lineNumber.map(String.init) ?? "-") @\(match.absoluteOffset)+\(match.lineOffset)"
                + " cut=\(match.isCut)",
            bytes: Array(match.bytes)))
        return matches != stopAtMatch
    }

    func context(_ context: SinkContext) -> Bool {
        events.append(Event(
            call: "context \(context.kind) \(context.lineNumber.map(String.init) ?? "-") @\(context.absoluteOffset)"
                + "+\(context.lineOffset) cut=\(context.isCut)",
            bytes: Array(context.bytes)))
        return true
    }

    func contextBreak() -> Bool {
        events.append(Event(call: "--"))
        return true
    }

    func binaryData(offset: Int64) -> Bool {
        events.append(Event(call: "binary @\(offset)"))
        return true
    }

    func finish(_ finish: SinkFinish) {
        var finish = finish
        finish.elapsedNanoseconds = 0
        self.finish = finish
    }
}

/// Passes everything on to a printer, with the time taken set to 0 so that the
/// statistics and JSON `end` messages can be compared.
private final class TimelessSink: Sink {
    let inner: any Sink

    init(_ inner: any Sink) { self.inner = inner }

    func begin(path: [UInt8]) -> Bool { inner.begin(path: path) }
    func matched(_ match: SinkMatch) -> Bool { inner.matched(match) }
    func context(_ context: SinkContext) -> Bool { inner.context(context) }
    func contextBreak() -> Bool { inner.contextBreak() }
    func binaryData(offset: Int64) -> Bool { inner.binaryData(offset: offset) }
    func finish(_ finish: SinkFinish) {
        var finish = finish
        finish.elapsedNanoseconds = 0
        inner.finish(finish)
    }
}

/// Cuts the file short at the first match it is told of.
private final class TruncatingSink: Sink {
    let path: String
    let size: UInt64
    var offsets: [Int64] = []
    var finished = false

    init(path: String, size: UInt64) {
        self.path = path
        self.size = size
    }

    func matched(_ match: SinkMatch) -> Bool {
        if offsets.isEmpty, let handle = FileHandle(forWritingAtPath: path) {
            try? handle.truncate(atOffset: size)
            try? handle.close()
        }
        offsets.append(match.absoluteOffset)
        return true
    }

    func finish(_ finish: SinkFinish) { finished = true }
}

/// A deterministic generator (SplitMix64), so a failing case can be replayed.
private struct Random {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Text of about `size` bytes: words, `needle` on some lines (twice on a few), empty
/// lines, `longLines` lines of 5-40 KiB, and `needle` written over the lines around
/// every place a file of this size is cut into 2, 3 or 4 parts.
private func text(size: Int, seed: UInt64, terminator: [UInt8] = [10], longLines: Bool = false) -> [UInt8] {
    var random = Random(state: seed)
    let words = ["alpha", "beta", "gamma", "delta", "x123", "haystack", "é", "straw"]
    var bytes: [UInt8] = []
    while bytes.count < size {
        if longLines && random.below(200) == 0 {
            let length = 5_000 + random.below(35_000)
            for index in 0..<length { bytes.append(index % 997 == 500 && random.below(3) == 0 ? UInt8(ascii: "n") : UInt8(ascii: "a") + UInt8(index % 26)) }
            if random.below(2) == 0 { bytes += Array("needle".utf8) }
        } else if random.below(15) != 0 {
            for _ in 0..<random.below(12) {
                let chance = random.below(100)
                bytes += Array((chance < 2 ? "needle" : chance < 3 ? "Needle" : words[random.below(words.count)]).utf8)
                bytes.append(UInt8(ascii: " "))
            }
        }
        bytes += terminator
    }
    for parts in 2...4 {
        for part in 1..<parts {
            let nominal = bytes.count / parts * part
            for place in [nominal - 3, nominal, nominal + 4, nominal + 40] where place >= 0 && place + 6 <= bytes.count {
                // Over bytes of one line only, so the line structure stays.
                if !bytes[place..<(place + 6)].contains(terminator.last!) {
                    bytes.replaceSubrange(place..<(place + 6), with: Array("needle".utf8))
                }
            }
        }
    }
    return bytes
}

/// Splitting thresholds low enough for test files.
private func splitting(threads: Int) -> SearchSplitting {
    var splitting = SearchSplitting()
    splitting.threads = threads
    splitting.minimumFileSize = 0
    splitting.minimumPartSize = 64 * 1024
    return splitting
}

/// The answers of one search, as a sink and the printers see them.
private struct Answers: Equatable {
    var events: [FullRecorder.Event]
    var finish: SinkFinish?
    var problems: [String]
    var printed: [UInt8]
    var stats: Stats
    var json: [UInt8]
    var parts: Int
}

private func search(
    _ path: String, matcher: any Matcher, configuration: SearcherConfiguration, threads: Int,
    binaryDetection: BinaryDetection = .convertMapped, printer: StandardPrinter.Configuration, stopAtMatch: Int? = nil,
    json printsJSON: Bool
) throws -> Answers {
    var configuration = configuration
    configuration.splitting = threads == 1 ? .never : splitting(threads: threads)
    let searcher = Searcher(matcher: matcher, configuration: configuration)
    let recorder = FullRecorder()
    recorder.stopAtMatch = stopAtMatch
    try searcher.search(path: path, binaryDetection: binaryDetection, sink: recorder)
    let parts = searcher.partsSearched
    let problems = searcher.problems.map(\.message)

    let output = ByteCollector()
    let standard = StandardPrinter(configuration: printer, matcher: matcher, target: output)
    standard.binaryDetection = binaryDetection
    try searcher.search(path: path, binaryDetection: binaryDetection, sink: TimelessSink(standard))
    #expect(searcher.partsSearched == parts)

    let jsonOutput = ByteCollector()
    guard printsJSON else {
        return Answers(
            events: recorder.events, finish: recorder.finish, problems: problems, printed: output.bytes,
            stats: standard.stats, json: [], parts: parts)
    }
    var jsonConfiguration = JSONPrinter.Configuration()
    jsonConfiguration.invert = configuration.invert
    jsonConfiguration.crlf = configuration.crlf
    jsonConfiguration.lineTerminator = configuration.lineTerminator
    let json = JSONPrinter(configuration: jsonConfiguration, matcher: matcher, target: jsonOutput)
    try searcher.search(path: path, binaryDetection: binaryDetection, sink: TimelessSink(json))
    return Answers(
        events: recorder.events, finish: recorder.finish, problems: problems, printed: output.bytes,
        stats: standard.stats, json: jsonOutput.bytes, parts: parts)
}

/// Searches on 1 thread, then on 2, 3 and 4; expects the same answers (the JSON printer's
/// too when `json`: it is slow in debug builds), and expects the file to be split when
/// `splits`.
private func expectSameAnswers(
    _ path: String, matcher: any Matcher, configuration: SearcherConfiguration = SearcherConfiguration(),
    binaryDetection: BinaryDetection = .convertMapped, printer: StandardPrinter.Configuration = StandardPrinter.Configuration(),
    stopAtMatch: Int? = nil, splits: Bool = true, json: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let one = try search(
        path, matcher: matcher, configuration: configuration, threads: 1, binaryDetection: binaryDetection,
        printer: printer, stopAtMatch: stopAtMatch, json: json)
    #expect(one.parts == 1, sourceLocation: sourceLocation)
    for threads in 2...4 {
        let several = try search(
            path, matcher: matcher, configuration: configuration, threads: threads, binaryDetection: binaryDetection,
            printer: printer, stopAtMatch: stopAtMatch, json: json)
        #expect(splits ? several.parts == threads : several.parts == 1, "\(threads) threads", sourceLocation: sourceLocation)
        #expect(several.events == one.events, "\(threads) threads: the sink's calls", sourceLocation: sourceLocation)
        #expect(several.finish == one.finish, "\(threads) threads: the finish", sourceLocation: sourceLocation)
        #expect(several.problems == one.problems, "\(threads) threads: the problems", sourceLocation: sourceLocation)
        #expect(several.printed == one.printed, "\(threads) threads: the printed output", sourceLocation: sourceLocation)
        #expect(several.stats == one.stats, "\(threads) threads: the statistics", sourceLocation: sourceLocation)
        #expect(several.json == one.json, "\(threads) threads: the JSON", sourceLocation: sourceLocation)
    }
}

private func lineNumbered(_ configure: (inout SearcherConfiguration) -> Void = { _ in }) -> SearcherConfiguration {
    var configuration = SearcherConfiguration()
    configuration.lineNumbers = true
    configure(&configuration)
    return configuration
}

private func printing(_ configure: (inout StandardPrinter.Configuration) -> Void) -> StandardPrinter.Configuration {
    var configuration = StandardPrinter.Configuration()
    configuration.lineNumber = true
    configure(&configuration)
    return configuration
}

@Suite("One big file split across threads")
struct SplitSearchTests {
    @Test func linesNumbersAndOffsetsMatchOneThread() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("big.txt", bytes: text(size: 310_000, seed: 1))
        let matcher = try LiteralMatcher("needle")
        try expectSameAnswers(path, matcher: matcher)
        try expectSameAnswers(path, matcher: matcher, configuration: lineNumbered(), printer: printing { _ in }, json: true)
        try expectSameAnswers(path, matcher: matcher, configuration: lineNumbered(), printer: printing {
            $0.column = true
            $0.byteOffset = true
            $0.withFilename = true
            $0.color = true
        })
        try expectSameAnswers(path, matcher: matcher, configuration: lineNumbered(), printer: printing {
            $0.onlyMatching = true
            $0.column = true
        })
        try expectSameAnswers(path, matcher: matcher, configuration: lineNumbered(), printer: printing {
            $0.replacement = Replacement(Array("[$0]".utf8))
        })
        try expectSameAnswers(path, matcher: matcher, configuration: lineNumbered(), printer: printing { $0.stats = true })
    }

    @Test func invertedCountsAndLists() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("big.txt", bytes: text(size: 300_000, seed: 2))
        let matcher = try LiteralMatcher("needle")
        let inverted = lineNumbered { $0.invert = true }
        try expectSameAnswers(path, matcher: matcher, configuration: inverted, printer: printing { $0.invert = true })
        for mode in [StandardPrinter.Mode.count, .countMatches, .filesWithMatches, .filesWithoutMatch] {
            for stats in [false, true] {
                try expectSameAnswers(path, matcher: matcher, printer: printing {
                    $0.mode = mode
                    $0.stats = stats
                })
                try expectSameAnswers(path, matcher: matcher, configuration: inverted, printer: printing {
                    $0.mode = mode
                    $0.invert = true
                    $0.stats = stats
                })
            }
        }
    }

    @Test func regexCaseInsensitiveAndNoMatch() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("big.txt", bytes: text(size: 305_000, seed: 3))
        var options = RegexOptions()
        options.caseInsensitive = true
        let regex = try RegexMatcher(patterns: ["ne+dle\\b", "x[0-9]{3}$"], options: options)
        try expectSameAnswers(path, matcher: regex, configuration: lineNumbered(), printer: printing { $0.onlyMatching = true })
        let none = try LiteralMatcher("no such words")
        try expectSameAnswers(path, matcher: none, configuration: lineNumbered(), printer: printing { $0.stats = true })
        try expectSameAnswers(path, matcher: none, printer: printing { $0.mode = .filesWithoutMatch })
    }

    @Test func crlfNullDataAndNoTrailingNewline() throws {
        let directory = try TemporaryDirectory()
        let crlf = try directory.write("crlf.txt", bytes: text(size: 295_000, seed: 4, terminator: [13, 10]))
        let regex = try RegexMatcher(patterns: ["needle $", "^beta"])
        try expectSameAnswers(crlf, matcher: regex, configuration: lineNumbered { $0.crlf = true }, printer: printing {
            $0.crlf = true
            $0.column = true
        })

        let records = try directory.write("records.bin", bytes: text(size: 295_000, seed: 5, terminator: [0]))
        let nullData = lineNumbered {
            $0.lineTerminator = 0
            $0.binaryDetection = .none
        }
        try expectSameAnswers(
            records, matcher: try LiteralMatcher("needle"), configuration: nullData, binaryDetection: .none,
            printer: printing { $0.lineTerminator = 0 }, json: true)

        var unterminated = text(size: 295_000, seed: 6)
        unterminated += Array("last needle without a newline".utf8)
        let path = try directory.write("unterminated.txt", bytes: unterminated)
        try expectSameAnswers(path, matcher: try LiteralMatcher("needle"), configuration: lineNumbered(), printer: printing { _ in })
        try expectSameAnswers(
            path, matcher: try LiteralMatcher("without"), configuration: lineNumbered(), printer: printing { $0.stats = true })
    }

    /// A NUL byte in a matching line of a later part: one report of binary data, then
    /// the printer's note and its stop, and the bytes searched of one thread.
    @Test func binaryDataInALaterPart() throws {
        let directory = try TemporaryDirectory()
        let matcher = try LiteralMatcher("needle")
        for (name, fraction) in [("early", 0.3), ("middle", 0.5), ("late", 0.8)] {
            var bytes = text(size: 305_000, seed: 7)
            let place = Int(Double(bytes.count) * fraction)
            let lineEnd = bytes[place...].firstIndex(of: 10)!
            bytes.replaceSubrange(lineEnd..<lineEnd, with: Array(" needle \0 needle".utf8))
            // And a NUL in a line that does not match, further on.
            let later = bytes[(lineEnd + 1000)...].firstIndex(of: 10)!
            bytes.insert(0, at: later)
            let path = try directory.write("\(name).bin", bytes: bytes)
            try expectSameAnswers(path, matcher: matcher, configuration: lineNumbered(), printer: printing { _ in }, json: true)
            try expectSameAnswers(path, matcher: matcher, configuration: lineNumbered(), printer: printing { $0.stats = true })
            try expectSameAnswers(path, matcher: matcher, printer: printing { $0.mode = .count })
            try expectSameAnswers(
                path, matcher: matcher, configuration: lineNumbered(), binaryDetection: .none, printer: printing { _ in })
        }
        // A NUL in the first 64 KiB is reported before any line, as ripgrep's mapped search.
        var bytes = text(size: 300_000, seed: 8)
        bytes[1000] = 0
        let path = try directory.write("first.bin", bytes: bytes)
        try expectSameAnswers(path, matcher: matcher, configuration: lineNumbered(), printer: printing { $0.stats = true })
    }

    /// The sink stops at a match in any part: the same calls, and the bytes searched
    /// of one thread's buffer that held the line.
    @Test func sinkStopsInAnyPart() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("big.txt", bytes: text(size: 305_000, seed: 9))
        let matcher = try LiteralMatcher("needle")
        let total = try search(
            path, matcher: matcher, configuration: SearcherConfiguration(), threads: 1, printer: printing { _ in }, json: false
        ).finish!.matchedLines
        for stop in [1, total / 4, total / 3, total / 2, total * 2 / 3, total - 1, total] {
            try expectSameAnswers(path, matcher: matcher, configuration: lineNumbered(), stopAtMatch: stop)
        }
    }

    /// Lines longer than the largest buffer, searched in pieces, with their problems
    /// named by line number.
    @Test func linesLongerThanTheBuffer() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("long.txt", bytes: text(size: 420_000, seed: 10, longLines: true))
        let small = lineNumbered {
            $0.initialBufferSize = 4096
            $0.maximumBufferSize = 16384
        }
        let literal = try LiteralMatcher("needle")
        try expectSameAnswers(path, matcher: literal, configuration: small, printer: printing { $0.column = true })
        let regex = try RegexMatcher(patterns: ["n[a-z]{3}le|zz+"])
        try expectSameAnswers(path, matcher: regex, configuration: small, printer: printing { $0.onlyMatching = true })
        var inverted = small
        inverted.invert = true
        try expectSameAnswers(path, matcher: literal, configuration: inverted, printer: printing { $0.invert = true })
        var unnumbered = small
        unnumbered.lineNumbers = false
        try expectSameAnswers(path, matcher: literal, configuration: unnumbered, printer: printing { $0.lineNumber = false })
        for stop in [3, 40] {
            try expectSameAnswers(path, matcher: literal, configuration: small, stopAtMatch: stop)
        }
    }

    /// The file shrinks while its parts are searched: the parts are read, never mapped,
    /// so nothing crashes; each part ends where the file now does, and the search ends.
    @Test func fileTruncatedDuringTheSearch() throws {
        let directory = try TemporaryDirectory()
        let bytes = text(size: 400_000, seed: 12)
        let matcher = try LiteralMatcher("needle")
        var configuration = lineNumbered()
        configuration.splitting = splitting(threads: 4)
        for newSize in [0, 1000, 150_000, 390_000] {
            let path = try directory.write("big.txt", bytes: bytes)
            let sink = TruncatingSink(path: path, size: UInt64(newSize))
            let searcher = Searcher(matcher: matcher, configuration: configuration)
            try searcher.search(path: path, binaryDetection: .convertMapped, sink: sink)
            #expect(searcher.partsSearched == 4)
            #expect(sink.finished)
            #expect(sink.offsets == sink.offsets.sorted())
            #expect(sink.offsets.allSatisfy { $0 < Int64(bytes.count) })
        }
    }

    /// What cannot be split is searched on one thread, with the same answers.
    @Test func whatIsNotSplit() throws {
        let directory = try TemporaryDirectory()
        let body = text(size: 295_000, seed: 11)
        let path = try directory.write("big.txt", bytes: body)
        let matcher = try LiteralMatcher("needle")
        try expectSameAnswers(path, matcher: matcher, configuration: lineNumbered { $0.afterContext = 1 }, splits: false)
        try expectSameAnswers(path, matcher: matcher, configuration: lineNumbered { $0.beforeContext = 2 }, splits: false)
        try expectSameAnswers(path, matcher: matcher, configuration: lineNumbered { $0.passthru = true }, splits: false)
        try expectSameAnswers(path, matcher: matcher, configuration: lineNumbered { $0.maxReportedLines = 5 }, splits: false)
        try expectSameAnswers(path, matcher: matcher, binaryDetection: .quit, splits: false)
        try expectSameAnswers(path, matcher: matcher, binaryDetection: .convert, splits: false)
        var multiline = RegexOptions()
        multiline.multiline = true
        let spanning = try RegexMatcher(patterns: ["needle\\nalpha"], options: multiline)
        try expectSameAnswers(path, matcher: spanning, configuration: lineNumbered { $0.multiline = true }, splits: false)
        let bom = try directory.write("bom.txt", bytes: [0xEF, 0xBB, 0xBF] + body)
        try expectSameAnswers(bom, matcher: matcher, configuration: lineNumbered(), splits: false)
        let utf16 = try directory.write("utf16.txt", bytes: [0xFF, 0xFE] + body.flatMap { [$0, 0] })
        try expectSameAnswers(utf16, matcher: matcher, configuration: lineNumbered(), splits: false)
        try expectSameAnswers(
            path, matcher: matcher, configuration: lineNumbered { $0.encoding = try! SearchEncoding(label: "latin1") },
            splits: false)
        // Too small to be worth it.
        var unsplit = SearcherConfiguration()
        unsplit.splitting.threads = 4
        let searcher = Searcher(matcher: matcher, configuration: unsplit)
        try searcher.search(path: path, sink: FullRecorder())
        #expect(searcher.partsSearched == 1)
    }
}
