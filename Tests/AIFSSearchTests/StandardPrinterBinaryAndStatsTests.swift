import AIFSSearch
import Testing

// Expectations from ripgrep 13.0.0, as in StandardPrinterTests.swift. The binary files:
//
//     printf 'hello\nabc\0def\nhello again\n' > small.bin        (NUL at offset 9)
//     python3 -c "open('big.bin','wb').write(b''.join(b'line %d hello\n' % i
//         for i in range(10000)) + b'zz\0zz\nhello after\n')"    (NUL at 158892)
//
// ripgrep searches a file named on the command line with binary conversion (`rg hello
// small.bin`) and a file found in a directory with binary quitting (`rg hello .`); the
// searcher reports the binary data through `binaryData(offset:)`. For big.bin named
// explicitly, `--no-mmap` makes ripgrep read it in buffers as our searcher does (with a
// memory map it only checks the first 64 KiB for NUL bytes).

private let magenta = "\u{1B}[0m\u{1B}[35m"
private let reset = "\u{1B}[0m"

/// Feeds one binary file's events: `lines` as matches, then the NUL at `offset`, then
/// (converting) the match after it.
private func searchBinary(
    _ printer: StandardPrinter, path: String, detection: BinaryDetection, lines: [String] = [],
    offset: Int64, bytesSearched: Int64 = 6
) {
    printer.binaryDetection = detection
    _ = printer.begin(path: Array(path.utf8))
    var position: Int64 = 0
    for (index, line) in lines.enumerated() {
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBufferPointer { buffer in
            _ = printer.matched(SinkMatch(bytes: UnsafeBufferPointer(buffer), lineNumber: index + 1, absoluteOffset: position))
        }
        position += Int64(bytes.count)
    }
    _ = printer.binaryData(offset: offset)
    if detection.suppressesMatchesAfterBinaryData {
        // The searcher goes on to the next match, which the printer replaces with its note.
        var bytes = Array("hello after\n".utf8)
        bytes.withUnsafeMutableBufferPointer { buffer in
            #expect(!printer.matched(SinkMatch(bytes: UnsafeBufferPointer(buffer), lineNumber: nil, absoluteOffset: position)))
        }
    }
    printer.finish(SinkFinish(bytesSearched: bytesSearched, binaryOffset: offset, matchedLines: lines.count, elapsedNanoseconds: 1000))
}

private func printer(_ configure: (inout StandardPrinter.Configuration) -> Void) -> (StandardPrinter, ByteCollector) {
    var configuration = StandardPrinter.Configuration()
    configure(&configuration)
    let collector = ByteCollector()
    return (StandardPrinter(configuration: configuration, matcher: TestLiteralMatcher("hello"), target: collector), collector)
}

@Suite struct StandardPrinterBinaryTests {
    // rg hello small.bin
    @Test func explicitBinaryFileMatches() {
        let (printer, output) = printer { _ in }
        searchBinary(printer, path: "small.bin", detection: .convert, offset: 9)
        expectOutput(output.bytes, "binary file matches (found \"\\0\" byte around offset 9)\n")
        #expect(printer.hasMatched)
    }

    // rg -H hello small.bin; rg --color always -H hello small.bin; rg -0 -H hello small.bin
    // (the path is coloured, and ": " stays even with -0)
    @Test func explicitBinaryFileMatchesWithPath() {
        let (plain, plainOutput) = printer { $0.withFilename = true }
        searchBinary(plain, path: "small.bin", detection: .convert, offset: 9)
        expectOutput(plainOutput.bytes, "small.bin: binary file matches (found \"\\0\" byte around offset 9)\n")

        let (colored, coloredOutput) = printer {
            $0.withFilename = true
            $0.color = true
        }
        searchBinary(colored, path: "small.bin", detection: .convert, offset: 9)
        expectOutput(
            coloredOutput.bytes, "\(magenta)small.bin\(reset): binary file matches (found \"\\0\" byte around offset 9)\n")

        let (null, nullOutput) = printer {
            $0.withFilename = true
            $0.null = true
        }
        searchBinary(null, path: "bin/small.bin", detection: .convert, offset: 9)
        expectOutput(nullOutput.bytes, "bin/small.bin: binary file matches (found \"\\0\" byte around offset 9)\n")
    }

    // rg --no-mmap -n hello big.bin | tail -2: the lines before the binary buffer print,
    // then the message.
    @Test func explicitBinaryFileAfterLines() {
        let (printer, output) = printer { $0.lineNumber = true }
        searchBinary(
            printer, path: "big.bin", detection: .convert, lines: ["line 8259 hello\n", "line 8260 hello\n"],
            offset: 158_892)
        expectOutput(
            output.bytes,
            "1:line 8259 hello\n2:line 8260 hello\nbinary file matches (found \"\\0\" byte around offset 158892)\n")
    }

    // mkdir bin; rg hello bin | tail -3 (walked: the search quits at the binary data)
    @Test func walkedBinaryFileStopsAfterMatches() {
        let (printer, output) = printer { $0.withFilename = true }
        searchBinary(
            printer, path: "bin/big.bin", detection: .quit, lines: ["line 8259 hello\n", "line 8260 hello\n"],
            offset: 158_892)
        expectOutput(
            output.bytes,
            "bin/big.bin:line 8259 hello\nbin/big.bin:line 8260 hello\n"
                + "bin/big.bin: WARNING: stopped searching binary file after match (found \"\\0\" byte around offset 158892)\n"
        )
    }

    // rg hello bin (small.bin: the NUL is in the first buffer, nothing is printed)
    @Test func walkedBinaryFileWithoutMatchesPrintsNothing() {
        let (printer, output) = printer { $0.withFilename = true }
        searchBinary(printer, path: "bin/small.bin", detection: .quit, offset: 9)
        #expect(output.bytes.isEmpty)
        #expect(!printer.hasMatched)
        #expect(printer.stats.searches == 1)
        #expect(printer.stats.searchesWithMatch == 0)
    }

    // rg -j1 --heading hello a.txt bin/small.bin b.txt: the message gets no heading
    // and no separator before it, but counts as output for the next file's separator.
    @Test func binaryMessageBetweenHeadings() {
        let (printer, output) = printer {
            $0.withFilename = true
            $0.heading = true
            $0.fileSeparator = []
        }
        let searcher = TestSearcher(TestLiteralMatcher("hello"))
        searcher.search(Fixtures.a, sink: printer)
        searchBinary(printer, path: "bin/small.bin", detection: .convert, offset: 9)
        printer.binaryDetection = .convert
        searcher.search(Fixtures.b, sink: printer)
        expectOutput(
            output.bytes,
            "a.txt\nhello world\nhello foo hello\nhello end\n"
                + "bin/small.bin: binary file matches (found \"\\0\" byte around offset 9)\n"
                + "\nb.txt\nhello again\r\n")
    }

    // rg -j1 -C1 hello a.txt bin/small.bin b.txt
    @Test func binaryMessageBetweenContextFiles() {
        let (printer, output) = printer {
            $0.withFilename = true
            $0.fileSeparator = $0.contextSeparator
        }
        var searcher = TestSearcher(TestLiteralMatcher("hello"))
        searcher.before = 1
        searcher.after = 1
        searcher.search(Fixtures.a, sink: printer)
        searchBinary(printer, path: "bin/small.bin", detection: .convert, offset: 9)
        searcher.search(Fixtures.b, sink: printer)
        expectOutput(
            output.bytes,
            "a.txt:hello world\na.txt-foo bar\na.txt:hello foo hello\na.txt-baz\n--\na.txt-quux\na.txt:hello end\n"
                + "bin/small.bin: binary file matches (found \"\\0\" byte around offset 9)\n"
                + "--\nb.txt-nothing\nb.txt:hello again\r\nb.txt-x\n")
    }

    // rg -c hello bin; rg --files-without-match hello bin: quitting on binary data
    // filters the file out, whatever was counted before.
    @Test func walkedBinaryFileIsNeitherCountedNorListed() {
        for mode in [StandardPrinter.Mode.count, .countMatches, .filesWithoutMatch] {
            let (printer, output) = printer {
                $0.mode = mode
                $0.withFilename = true
            }
            searchBinary(printer, path: "bin/big.bin", detection: .quit, lines: ["line 0 hello\n"], offset: 158_892)
            searchBinary(printer, path: "bin/small.bin", detection: .quit, offset: 9)
            #expect(output.bytes.isEmpty, "\(mode)")
        }
    }

    // rg -l hello bin: big.bin is listed, because -l stops at the first match, before
    // the binary data is seen.
    @Test func filesWithMatchesStopsBeforeBinaryData() {
        let (printer, output) = printer { $0.mode = .filesWithMatches }
        printer.binaryDetection = .quit
        _ = printer.begin(path: Array("bin/big.bin".utf8))
        var line = Array("line 0 hello\n".utf8)
        let goOn = line.withUnsafeMutableBufferPointer {
            printer.matched(SinkMatch(bytes: UnsafeBufferPointer($0), lineNumber: 1, absoluteOffset: 0))
        }
        #expect(!goOn)
        printer.finish(SinkFinish(bytesSearched: 65536, binaryOffset: nil, matchedLines: 1, elapsedNanoseconds: 1))
        expectOutput(output.bytes, "bin/big.bin\n")
    }
}

@Suite struct StandardPrinterStatsTests {
    /// Runs a.txt, ctx.txt and c.txt (`rg -j1 … --stats hello a.txt ctx.txt c.txt`).
    private func stats(
        context: Int = 0, _ configure: (inout StandardPrinter.Configuration) -> Void
    ) -> (Stats, [UInt8]) {
        var configuration = StandardPrinter.Configuration()
        configuration.withFilename = true
        configuration.stats = true
        configure(&configuration)
        let collector = ByteCollector()
        let printer = StandardPrinter(configuration: configuration, matcher: TestLiteralMatcher("hello"), target: collector)
        var searcher = TestSearcher(TestLiteralMatcher("hello"))
        searcher.invert = configuration.invert
        searcher.before = context
        searcher.after = context
        for file in [Fixtures.a, Fixtures.ctx, Fixtures.c] { searcher.search(file, sink: printer) }
        return (printer.stats, collector.bytes)
    }

    private func figures(_ stats: Stats) -> [Int64] {
        [
            Int64(stats.matches), Int64(stats.matchedLines), Int64(stats.searchesWithMatch), Int64(stats.searches),
            stats.bytesPrinted, stats.bytesSearched,
        ]
    }

    // rg -j1 --stats hello a.txt ctx.txt c.txt, and with --color always, -n, -o, -C1,
    // --heading: bytes printed leave the colour escapes out and count the file
    // separators (with one thread).
    @Test func linesModes() {
        #expect(figures(stats { _ in }.0) == [7, 6, 2, 3, 108, 125])
        #expect(figures(stats { $0.color = true }.0) == [7, 6, 2, 3, 108, 125])
        #expect(figures(stats { $0.lineNumber = true }.0) == [7, 6, 2, 3, 121, 125])
        #expect(
            figures(stats {
                $0.color = true
                $0.column = true
            }.0) == [7, 6, 2, 3, 133, 125])
        #expect(figures(stats { $0.onlyMatching = true }.0) == [7, 6, 2, 3, 90, 125])
        #expect(
            figures(stats(context: 1) { $0.fileSeparator = $0.contextSeparator }.0) == [7, 6, 2, 3, 223, 125])
        #expect(
            figures(stats {
                $0.heading = true
                $0.fileSeparator = []
            }.0) == [7, 6, 2, 3, 81, 125])
    }

    // rg -j1 -v --stats hello a.txt ctx.txt c.txt: inverted lines hold no matches.
    @Test func inverted() {
        #expect(figures(stats { $0.invert = true }.0) == [0, 14, 3, 3, 162, 125])
    }

    // rg -j1 -c/-l/--files-without-match/--count-matches --stats hello a.txt ctx.txt c.txt:
    // ripgrep counts 0 bytes printed, and -l searches whole files to count.
    @Test func summaryModes() {
        #expect(figures(stats { $0.mode = .count }.0) == [7, 6, 2, 3, 0, 125])
        #expect(figures(stats { $0.mode = .filesWithMatches }.0) == [7, 6, 2, 3, 0, 125])
        #expect(figures(stats { $0.mode = .filesWithoutMatch }.0) == [7, 6, 2, 3, 0, 125])
        #expect(figures(stats { $0.mode = .countMatches }.0) == [7, 6, 2, 3, 0, 125])
        #expect(
            figures(stats {
                $0.mode = .countMatches
                $0.invert = true
            }.0) == [0, 14, 3, 3, 0, 125])
    }

    // rg --stats hello small.bin (the converted match counts; the message is printed)
    @Test func binaryMessageIsCounted() {
        let (printer, _) = printer { $0.stats = true }
        searchBinary(printer, path: "small.bin", detection: .convert, offset: 9, bytesSearched: 6)
        #expect(figures(printer.stats) == [1, 1, 1, 1, 54, 6])
    }

    // rg -j1 --stats --heading hello a.txt b.txt c.txt, whose block read
    // "0.000010 seconds spent searching" and "0.001488 seconds"; the times here are
    // chosen to print the same.
    @Test func statsBlock() {
        var configuration = StandardPrinter.Configuration()
        configuration.withFilename = true
        configuration.heading = true
        configuration.fileSeparator = []
        configuration.stats = true
        let collector = ByteCollector()
        let printer = StandardPrinter(configuration: configuration, matcher: TestLiteralMatcher("hello"), target: collector)
        var searcher = TestSearcher(TestLiteralMatcher("hello"))
        searcher.elapsedNanoseconds = 3500
        for file in [Fixtures.a, Fixtures.b, Fixtures.c] { searcher.search(file, sink: printer) }
        var total = Stats()
        total.add(printer.stats)
        let output = collector.bytes + Array(total.formatted(totalElapsed: .nanoseconds(1_488_000)).utf8)
        expectOutput(
            output,
            "a.txt\nhello world\nhello foo hello\nhello end\n\nb.txt\nhello again\r\n\n"
                + "5 matches\n4 matched lines\n2 files contained matches\n3 files searched\n"
                + "64 bytes printed\n91 bytes searched\n0.000010 seconds spent searching\n0.001488 seconds\n")
    }

    @Test func merging() {
        var first = Stats()
        first.matches = 2
        first.searches = 1
        first.elapsed = .nanoseconds(5)
        var second = Stats()
        second.matches = 3
        second.bytesPrinted = 7
        second.elapsed = .seconds(1)
        first.add(second)
        #expect(first.matches == 5 && first.searches == 1 && first.bytesPrinted == 7)
        #expect(first.elapsed == .nanoseconds(1_000_000_005))
        #expect(Stats().adding(second) == second)
    }

    // Rust's `format!("{:0.6}", secs as f64 + nanos as f64 / 1e9)`, which ripgrep uses,
    // printed these (rustc 1.95): it rounds the double's exact value, ties to even.
    @Test(arguments: [
        (Int64(0), Int64(0), "0.000000"), (2, 999_999_500, "2.999999"), (1, 500, "1.000001"),
        (123, 456_789_012, "123.456789"), (0, 1_324_803, "0.001325"), (0, 10_575, "0.000011"),
        (0, 7_812_500, "0.007812"), (0, 23_437_500, "0.023438"), (0, 500, "0.000000"),
        (0, 10_500, "0.000010"), (0, 1_500, "0.000002"), (3, 2_500, "3.000002"),
    ])
    func secondsLikeRust(seconds: Int64, nanoseconds: Int64, expected: String) {
        var stats = Stats()
        stats.elapsed = .seconds(seconds) + .nanoseconds(nanoseconds)
        let line = stats.formatted(totalElapsed: .zero).split(separator: "\n")[6]
        #expect(line == "\(expected) seconds spent searching")
    }
}
