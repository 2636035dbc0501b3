import AIFSSearch
import Testing

// Every expectation below is the output of ripgrep 13.0.0 (`rg -j1 …`, one thread so
// files come in the order given) on the files described in `Fixtures`, copied byte for
// byte; the command is in the comment above each.

/// Prints `files` with a standard printer set up by `configure`, as the test searcher
/// reports them for `matcher`.
private func standardOutput(
    _ files: [TestFile], matcher: any Matcher = TestLiteralMatcher("hello"),
    searcher configureSearcher: (inout TestSearcher) -> Void = { _ in },
    _ configure: (inout StandardPrinter.Configuration) -> Void
) -> (bytes: [UInt8], printer: StandardPrinter, collector: ByteCollector) {
    var configuration = StandardPrinter.Configuration()
    configure(&configuration)
    var searcher = TestSearcher(matcher)
    configureSearcher(&searcher)
    searcher.invert = configuration.invert
    let collector = ByteCollector()
    let printer = StandardPrinter(configuration: configuration, matcher: matcher, target: collector)
    for file in files {
        printer.binaryDetection = .none
        searcher.search(file, sink: printer)
    }
    return (collector.bytes, printer, collector)
}

private let red = "\u{1B}[0m\u{1B}[1m\u{1B}[31m"
private let green = "\u{1B}[0m\u{1B}[32m"
private let magenta = "\u{1B}[0m\u{1B}[35m"
private let reset = "\u{1B}[0m"

@Suite struct StandardPrinterLinesTests {
    // rg hello a.txt (a last line without terminator gets one)
    @Test func plainLines() {
        let output = standardOutput([Fixtures.a]) { _ in }.bytes
        expectOutput(output, "hello world\nhello foo hello\nhello end\n")
    }

    // rg -n -H hello a.txt b.txt c.txt (CRLF printed as is)
    @Test func filenameAndLineNumbers() {
        let output = standardOutput([Fixtures.a, Fixtures.b, Fixtures.c]) {
            $0.withFilename = true
            $0.lineNumber = true
        }.bytes
        expectOutput(
            output,
            "a.txt:1:hello world\na.txt:3:hello foo hello\na.txt:7:hello end\nb.txt:2:hello again\r\n")
    }

    // rg --column hello a.txt (the column implies line numbers)
    @Test func columnImpliesLineNumber() {
        let output = standardOutput([Fixtures.a]) { $0.column = true }.bytes
        expectOutput(output, "1:1:hello world\n3:1:hello foo hello\n7:1:hello end\n")
    }

    // rg --heading -n -H hello a.txt b.txt
    @Test func heading() {
        let output = standardOutput([Fixtures.a, Fixtures.b]) {
            $0.withFilename = true
            $0.heading = true
            $0.lineNumber = true
            $0.fileSeparator = StandardPrinter.Configuration.ripgrepFileSeparator(
                heading: true, context: false, contextSeparator: $0.contextSeparator)
        }.bytes
        expectOutput(output, "a.txt\n1:hello world\n3:hello foo hello\n7:hello end\n\nb.txt\n2:hello again\r\n")
    }

    // rg --heading --no-filename hello a.txt b.txt (the empty line stays)
    @Test func headingWithoutFilename() {
        let output = standardOutput([Fixtures.a, Fixtures.b]) {
            $0.heading = true
            $0.fileSeparator = []
        }.bytes
        expectOutput(output, "hello world\nhello foo hello\nhello end\n\nhello again\r\n")
    }

    // rg -v -n hello a.txt
    @Test func invert() {
        let output = standardOutput([Fixtures.a]) {
            $0.invert = true
            $0.lineNumber = true
        }.bytes
        expectOutput(output, "2:foo bar\n4:baz\n5:qux\n6:quux\n")
    }

    // printf 'x\xff\xfeabc\n' > bad.txt; rg x bad.txt, and the same under a directory
    // whose file name is not UTF-8: rg -H x np → np/f\xffo:x\xff\xfeabc
    @Test func invalidUTF8LineAndPathPrintedAsIs() {
        let line: [UInt8] = [0x78, 0xFF, 0xFE, 0x61, 0x62, 0x63, 0x0A]
        let path: [UInt8] = Array("np/f".utf8) + [0xFF] + Array("o".utf8)
        let plain = standardOutput([TestFile(path: Array("bad.txt".utf8), contents: line)], matcher: TestLiteralMatcher("x")) { _ in }
        #expect(plain.bytes == line)
        let named = standardOutput([TestFile(path: path, contents: line)], matcher: TestLiteralMatcher("x")) {
            $0.withFilename = true
        }
        #expect(named.bytes == path + [UInt8(ascii: ":")] + line)
    }

    // Each output line is one record, so parallel workers never interleave half lines.
    @Test func everyLineIsOneRecord() {
        let result = standardOutput([Fixtures.a, Fixtures.b]) {
            $0.withFilename = true
            $0.heading = true
            $0.fileSeparator = []
        }
        // The heading and the separator travel with the file's first line.
        #expect(result.collector.recordCount == 4)
        #expect(result.collector.endOfLastRecord == result.bytes.count)
    }
}

@Suite struct StandardPrinterColorTests {
    // rg --color always -n --column -H hello a.txt b.txt
    @Test func colorWithColumn() {
        let output = standardOutput([Fixtures.a, Fixtures.b]) {
            $0.color = true
            $0.lineNumber = true
            $0.column = true
            $0.withFilename = true
        }.bytes
        let expected =
            "\u{1B}[0m\u{1B}[35ma.txt\u{1B}[0m:\u{1B}[0m\u{1B}[32m1\u{1B}[0m:\u{1B}[0m1\u{1B}[0m:\u{1B}[0m\u{1B}[1m\u{1B}[31mhello\u{1B}[0m world\n"
            + "\u{1B}[0m\u{1B}[35ma.txt\u{1B}[0m:\u{1B}[0m\u{1B}[32m3\u{1B}[0m:\u{1B}[0m1\u{1B}[0m:\u{1B}[0m\u{1B}[1m\u{1B}[31mhello\u{1B}[0m foo \u{1B}[0m\u{1B}[1m\u{1B}[31mhello\u{1B}[0m\n"
            + "\u{1B}[0m\u{1B}[35ma.txt\u{1B}[0m:\u{1B}[0m\u{1B}[32m7\u{1B}[0m:\u{1B}[0m1\u{1B}[0m:\u{1B}[0m\u{1B}[1m\u{1B}[31mhello\u{1B}[0m end\n"
            + "\u{1B}[0m\u{1B}[35mb.txt\u{1B}[0m:\u{1B}[0m\u{1B}[32m2\u{1B}[0m:\u{1B}[0m1\u{1B}[0m:\u{1B}[0m\u{1B}[1m\u{1B}[31mhello\u{1B}[0m again\r\n"
        expectOutput(output, expected)
    }

    // rg --color always --heading -n -H hello a.txt b.txt
    @Test func colorWithHeading() {
        let output = standardOutput([Fixtures.a, Fixtures.b]) {
            $0.color = true
            $0.heading = true
            $0.lineNumber = true
            $0.withFilename = true
            $0.fileSeparator = []
        }.bytes
        let expected =
            "\(magenta)a.txt\(reset)\n"
            + "\(green)1\(reset):\(red)hello\(reset) world\n"
            + "\(green)3\(reset):\(red)hello\(reset) foo \(red)hello\(reset)\n"
            + "\(green)7\(reset):\(red)hello\(reset) end\n"
            + "\n"
            + "\(magenta)b.txt\(reset)\n"
            + "\(green)2\(reset):\(red)hello\(reset) again\r\n"
        expectOutput(output, expected)
    }

    // printf 'hellohello x\nabc\n' > adj.txt; rg --color always hello adj.txt
    // (adjacent matches share one coloured span)
    @Test func adjacentMatchesShareOneSpan() {
        let output = standardOutput([TestFile("adj.txt", "hellohello x\nabc\n")]) { $0.color = true }.bytes
        expectOutput(output, "\(red)hellohello\(reset) x\n")
    }

    // printf 'hello\nll\n' > run.txt; rg --color always 'l*' adj.txt run.txt
    // (empty matches colour nothing)
    @Test func emptyMatchesColourNothing() {
        let output = standardOutput(
            [TestFile("adj.txt", "hellohello x\nabc\n"), TestFile("run.txt", "hello\nll\n")],
            matcher: TestRunMatcher(byte: UInt8(ascii: "l"))
        ) {
            $0.color = true
            $0.withFilename = true
        }.bytes
        let expected =
            "\(magenta)adj.txt\(reset):he\(red)ll\(reset)ohe\(red)ll\(reset)o x\n"
            + "\(magenta)adj.txt\(reset):abc\n"
            + "\(magenta)run.txt\(reset):he\(red)ll\(reset)o\n"
            + "\(magenta)run.txt\(reset):\(red)ll\(reset)\n"
        expectOutput(output, expected)
    }

    // rg --color always -v -n --column -C1 hello a.txt
    // (inverted: the context lines are the matching ones, coloured with columns)
    @Test func invertColoursContextLines() {
        let output = standardOutput([Fixtures.a], searcher: { $0.before = 1; $0.after = 1 }) {
            $0.color = true
            $0.invert = true
            $0.lineNumber = true
            $0.column = true
        }.bytes
        let expected =
            "\(green)1\(reset)-\(reset)1\(reset)-\(red)hello\(reset) world\n"
            + "\(green)2\(reset):foo bar\n"
            + "\(green)3\(reset)-\(reset)1\(reset)-\(red)hello\(reset) foo \(red)hello\(reset)\n"
            + "\(green)4\(reset):baz\n"
            + "\(green)5\(reset):qux\n"
            + "\(green)6\(reset):quux\n"
            + "\(green)7\(reset)-\(reset)1\(reset)-\(red)hello\(reset) end\n"
        expectOutput(output, expected)
    }
}

@Suite struct StandardPrinterContextTests {
    private func contextConfiguration(_ configuration: inout StandardPrinter.Configuration) {
        configuration.withFilename = true
        configuration.lineNumber = true
        configuration.fileSeparator = StandardPrinter.Configuration.ripgrepFileSeparator(
            heading: configuration.heading, context: true, contextSeparator: configuration.contextSeparator)
    }

    // rg -n -C1 -H hello a.txt ctx.txt (`--` between groups and between files)
    @Test func contextWithBreaks() {
        let output = standardOutput([Fixtures.a, Fixtures.ctx], searcher: { $0.before = 1; $0.after = 1 }) {
            contextConfiguration(&$0)
        }.bytes
        expectOutput(
            output,
            "a.txt:1:hello world\na.txt-2-foo bar\na.txt:3:hello foo hello\na.txt-4-baz\n--\na.txt-6-quux\na.txt:7:hello end\n--\nctx.txt-1-l1\nctx.txt:2:l2 hello\nctx.txt-3-l3\n--\nctx.txt-6-l6\nctx.txt:7:l7 hello\nctx.txt-8-l8\n--\nctx.txt-10-l10\nctx.txt:11:l11 hello\nctx.txt-12-l12\n"
        )
    }

    // rg --heading -n -C1 -H hello a.txt ctx.txt (an empty line between files instead)
    @Test func contextWithHeading() {
        let output = standardOutput([Fixtures.a, Fixtures.ctx], searcher: { $0.before = 1; $0.after = 1 }) {
            $0.heading = true
            contextConfiguration(&$0)
        }.bytes
        expectOutput(
            output,
            "a.txt\n1:hello world\n2-foo bar\n3:hello foo hello\n4-baz\n--\n6-quux\n7:hello end\n\nctx.txt\n1-l1\n2:l2 hello\n3-l3\n--\n6-l6\n7:l7 hello\n8-l8\n--\n10-l10\n11:l11 hello\n12-l12\n"
        )
    }

    // rg --color always -n -C1 -H hello a.txt ctx.txt (separators are not coloured)
    @Test func contextInColor() {
        let output = standardOutput([Fixtures.a, Fixtures.ctx], searcher: { $0.before = 1; $0.after = 1 }) {
            $0.color = true
            contextConfiguration(&$0)
        }.bytes
        let a = "\(magenta)a.txt\(reset)"
        let ctx = "\(magenta)ctx.txt\(reset)"
        let expected =
            "\(a):\(green)1\(reset):\(red)hello\(reset) world\n"
            + "\(a)-\(green)2\(reset)-foo bar\n"
            + "\(a):\(green)3\(reset):\(red)hello\(reset) foo \(red)hello\(reset)\n"
            + "\(a)-\(green)4\(reset)-baz\n--\n"
            + "\(a)-\(green)6\(reset)-quux\n"
            + "\(a):\(green)7\(reset):\(red)hello\(reset) end\n--\n"
            + "\(ctx)-\(green)1\(reset)-l1\n"
            + "\(ctx):\(green)2\(reset):l2 \(red)hello\(reset)\n"
            + "\(ctx)-\(green)3\(reset)-l3\n--\n"
            + "\(ctx)-\(green)6\(reset)-l6\n"
            + "\(ctx):\(green)7\(reset):l7 \(red)hello\(reset)\n"
            + "\(ctx)-\(green)8\(reset)-l8\n--\n"
            + "\(ctx)-\(green)10\(reset)-l10\n"
            + "\(ctx):\(green)11\(reset):l11 \(red)hello\(reset)\n"
            + "\(ctx)-\(green)12\(reset)-l12\n"
        expectOutput(output, expected)
    }

    // rg -C1 --context-separator XX --field-match-separator '=' --field-context-separator '~' -n -H hello a.txt b.txt
    @Test func customSeparators() {
        let output = standardOutput([Fixtures.a, Fixtures.b], searcher: { $0.before = 1; $0.after = 1 }) {
            $0.contextSeparator = Array("XX".utf8)
            $0.fieldMatchSeparator = Array("=".utf8)
            $0.fieldContextSeparator = Array("~".utf8)
            contextConfiguration(&$0)
        }.bytes
        expectOutput(
            output,
            "a.txt=1=hello world\na.txt~2~foo bar\na.txt=3=hello foo hello\na.txt~4~baz\nXX\na.txt~6~quux\na.txt=7=hello end\nXX\nb.txt~1~nothing\nb.txt=2=hello again\r\nb.txt~3~x\n"
        )
    }

    // rg -n -C1 -H --no-context-separator hello a.txt ctx.txt
    @Test func noContextSeparator() {
        let output = standardOutput([Fixtures.a, Fixtures.ctx], searcher: { $0.before = 1; $0.after = 1 }) {
            $0.contextSeparator = nil
            contextConfiguration(&$0)
        }.bytes
        expectOutput(
            output,
            "a.txt:1:hello world\na.txt-2-foo bar\na.txt:3:hello foo hello\na.txt-4-baz\na.txt-6-quux\na.txt:7:hello end\nctx.txt-1-l1\nctx.txt:2:l2 hello\nctx.txt-3-l3\nctx.txt-6-l6\nctx.txt:7:l7 hello\nctx.txt-8-l8\nctx.txt-10-l10\nctx.txt:11:l11 hello\nctx.txt-12-l12\n"
        )
    }
}

@Suite struct StandardPrinterOnlyMatchingTests {
    // rg -o -n --column -H hello a.txt ctx.txt (several matches per line)
    @Test func onlyMatchingWithColumns() {
        let output = standardOutput([Fixtures.a, Fixtures.ctx]) {
            $0.onlyMatching = true
            $0.lineNumber = true
            $0.column = true
            $0.withFilename = true
        }.bytes
        expectOutput(
            output,
            "a.txt:1:1:hello\na.txt:3:1:hello\na.txt:3:11:hello\na.txt:7:1:hello\nctx.txt:2:4:hello\nctx.txt:7:4:hello\nctx.txt:11:5:hello\n"
        )
    }

    // rg --color always -o -n --column hello a.txt
    @Test func onlyMatchingInColor() {
        let output = standardOutput([Fixtures.a]) {
            $0.onlyMatching = true
            $0.color = true
            $0.column = true
        }.bytes
        let expected =
            "\(green)1\(reset):\(reset)1\(reset):\(red)hello\(reset)\n"
            + "\(green)3\(reset):\(reset)1\(reset):\(red)hello\(reset)\n"
            + "\(green)3\(reset):\(reset)11\(reset):\(red)hello\(reset)\n"
            + "\(green)7\(reset):\(reset)1\(reset):\(red)hello\(reset)\n"
        expectOutput(output, expected)
    }

    // rg -o -v -C1 -n --column hello a.txt
    // (inverted lines have no match and print whole; context lines print their matches)
    @Test func onlyMatchingInverted() {
        let output = standardOutput([Fixtures.a], searcher: { $0.before = 1; $0.after = 1 }) {
            $0.onlyMatching = true
            $0.invert = true
            $0.column = true
        }.bytes
        expectOutput(output, "1-1-hello\n2:foo bar\n3-1-hello\n3-11-hello\n4:baz\n5:qux\n6:quux\n7-1-hello\n")
    }

    // rg -o -n -H 'l*' adj.txt run.txt: empty matches print as empty lines, but not the
    // one right after a match, nor one at the very end of a line.
    @Test func onlyMatchingEmptyMatches() {
        let output = standardOutput(
            [TestFile("adj.txt", "hellohello x\nabc\n"), TestFile("run.txt", "hello\nll\n")],
            matcher: TestRunMatcher(byte: UInt8(ascii: "l"))
        ) {
            $0.onlyMatching = true
            $0.lineNumber = true
            $0.withFilename = true
        }.bytes
        expectOutput(
            output,
            "adj.txt:1:\nadj.txt:1:\nadj.txt:1:ll\nadj.txt:1:\nadj.txt:1:\nadj.txt:1:ll\nadj.txt:1:\nadj.txt:1:\nadj.txt:1:\nadj.txt:2:\nadj.txt:2:\nadj.txt:2:\nadj.txt:2:\nrun.txt:1:\nrun.txt:1:\nrun.txt:1:ll\nrun.txt:1:\nrun.txt:2:ll\n"
        )
    }
}

@Suite struct StandardPrinterMaxColumnsTests {
    // rg -n -M 10 -H hello a.txt ctx.txt (the limit counts the terminator)
    @Test func omitsLongLines() {
        let output = standardOutput([Fixtures.a, Fixtures.ctx]) {
            $0.maxColumns = 10
            $0.lineNumber = true
            $0.withFilename = true
        }.bytes
        expectOutput(
            output,
            "a.txt:1:[Omitted long matching line]\na.txt:3:[Omitted long matching line]\na.txt:7:hello end\nctx.txt:2:l2 hello\nctx.txt:7:l7 hello\nctx.txt:11:l11 hello\n"
        )
    }

    // rg --color always -n -M 10 hello a.txt (with matches known, they are counted)
    @Test func omittedLinesInColorCountMatches() {
        let output = standardOutput([Fixtures.a]) {
            $0.maxColumns = 10
            $0.color = true
            $0.lineNumber = true
        }.bytes
        expectOutput(
            output,
            "\(green)1\(reset):[Omitted long line with 1 matches]\n\(green)3\(reset):[Omitted long line with 2 matches]\n\(green)7\(reset):\(red)hello\(reset) end\n"
        )
    }

    // rg -M 5 -n -C1 -H again b.txt
    @Test func omitsLongContextLines() {
        let output = standardOutput([Fixtures.b], matcher: TestLiteralMatcher("again"), searcher: { $0.before = 1; $0.after = 1 }) {
            $0.maxColumns = 5
            $0.lineNumber = true
            $0.withFilename = true
        }.bytes
        expectOutput(output, "b.txt-1-[Omitted long context line]\nb.txt:2:[Omitted long matching line]\nb.txt-3-x\n")
    }

    // rg -o -M 3 hello a.txt (each match is measured on its own)
    @Test func onlyMatchingMeasuresTheMatch() {
        let output = standardOutput([Fixtures.a]) {
            $0.maxColumns = 3
            $0.onlyMatching = true
        }.bytes
        expectOutput(output, String(repeating: "[Omitted long matching line]\n", count: 4))
    }
}

@Suite struct StandardPrinterSummaryModeTests {
    // rg -c -H hello a.txt ctx.txt c.txt (no line for a count of zero)
    @Test func count() {
        let output = standardOutput([Fixtures.a, Fixtures.ctx, Fixtures.c]) {
            $0.mode = .count
            $0.withFilename = true
        }.bytes
        expectOutput(output, "a.txt:3\nctx.txt:3\n")
    }

    // rg -c hello a.txt
    @Test func countWithoutFilename() {
        let output = standardOutput([Fixtures.a]) { $0.mode = .count }.bytes
        expectOutput(output, "3\n")
    }

    // rg -c --include-zero -H hello a.txt c.txt
    @Test func countIncludingZero() {
        let output = standardOutput([Fixtures.a, Fixtures.c]) {
            $0.mode = .count
            $0.withFilename = true
            $0.includeZeroCounts = true
        }.bytes
        expectOutput(output, "a.txt:3\nc.txt:0\n")
    }

    // rg --count-matches -H hello a.txt ctx.txt
    @Test func countMatches() {
        let output = standardOutput([Fixtures.a, Fixtures.ctx]) {
            $0.mode = .countMatches
            $0.withFilename = true
        }.bytes
        expectOutput(output, "a.txt:4\nctx.txt:3\n")
    }

    // rg -v --count-matches -H hello a.txt ctx.txt (inverted, lines are counted)
    @Test func countMatchesInverted() {
        let output = standardOutput([Fixtures.a, Fixtures.ctx]) {
            $0.mode = .countMatches
            $0.invert = true
            $0.withFilename = true
        }.bytes
        expectOutput(output, "a.txt:4\nctx.txt:9\n")
    }

    // rg -l hello a.txt c.txt ctx.txt; the search of a file stops at its first match.
    @Test func filesWithMatches() {
        let result = standardOutput([Fixtures.a, Fixtures.c, Fixtures.ctx]) { $0.mode = .filesWithMatches }
        expectOutput(result.bytes, "a.txt\nctx.txt\n")
        #expect(result.printer.stats.matchedLines == 2)
    }

    // rg --files-without-match hello a.txt c.txt ctx.txt
    @Test func filesWithoutMatch() {
        let output = standardOutput([Fixtures.a, Fixtures.c, Fixtures.ctx]) { $0.mode = .filesWithoutMatch }.bytes
        expectOutput(output, "c.txt\n")
    }

    // rg --color always -c -H hello a.txt ctx.txt; rg --color always -l hello a.txt ctx.txt
    @Test func summaryInColor() {
        let counts = standardOutput([Fixtures.a, Fixtures.ctx]) {
            $0.mode = .count
            $0.color = true
            $0.withFilename = true
        }.bytes
        expectOutput(counts, "\(magenta)a.txt\(reset):3\n\(magenta)ctx.txt\(reset):3\n")
        let paths = standardOutput([Fixtures.a, Fixtures.ctx]) {
            $0.mode = .filesWithMatches
            $0.color = true
        }.bytes
        expectOutput(paths, "\(magenta)a.txt\(reset)\n\(magenta)ctx.txt\(reset)\n")
    }
}

@Suite struct StandardPrinterNullTests {
    // rg -0 -n -H hello a.txt b.txt
    @Test func nullAfterPathInLines() {
        let output = standardOutput([Fixtures.a, Fixtures.b]) {
            $0.null = true
            $0.lineNumber = true
            $0.withFilename = true
        }.bytes
        expectOutput(output, "a.txt\01:hello world\na.txt\03:hello foo hello\na.txt\07:hello end\nb.txt\02:hello again\r\n")
    }

    // rg -0 --heading -n -H hello b.txt a.txt (the heading ends with NUL, not newline)
    @Test func nullAfterHeading() {
        let output = standardOutput([Fixtures.b, Fixtures.a]) {
            $0.null = true
            $0.heading = true
            $0.lineNumber = true
            $0.withFilename = true
            $0.fileSeparator = []
        }.bytes
        expectOutput(output, "b.txt\02:hello again\r\n\na.txt\01:hello world\n3:hello foo hello\n7:hello end\n")
    }

    // rg -0 -l hello a.txt b.txt; rg -0 -c -H hello a.txt b.txt;
    // rg -0 --files-without-match hello a.txt c.txt
    @Test func nullInSummaryModes() {
        let list = standardOutput([Fixtures.a, Fixtures.b]) {
            $0.mode = .filesWithMatches
            $0.null = true
        }.bytes
        expectOutput(list, "a.txt\0b.txt\0")
        let counts = standardOutput([Fixtures.a, Fixtures.b]) {
            $0.mode = .count
            $0.null = true
            $0.withFilename = true
        }.bytes
        expectOutput(counts, "a.txt\03\nb.txt\01\n")
        let without = standardOutput([Fixtures.a, Fixtures.c]) {
            $0.mode = .filesWithoutMatch
            $0.null = true
        }.bytes
        expectOutput(without, "c.txt\0")
    }
}
