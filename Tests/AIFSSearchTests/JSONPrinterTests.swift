import AIFSSearch
import Testing

// Every expectation below is the output of ripgrep 13.0.0 (`rg -j1 --json …`) on the
// files described in `Fixtures` and below, copied byte for byte, with the elapsed times
// replaced by the ones each test reports (the first test's times are the ones rg
// actually printed in that run).

/// Prints `files` with a JSON printer, giving each file the elapsed time in `nanoseconds`,
/// and appends the summary message for the merged stats and `totalNanoseconds`.
private func jsonOutput(
    _ files: [TestFile], matcher: any Matcher = TestLiteralMatcher("hello"), invert: Bool = false,
    context: Int = 0, lineNumbers: Bool = true, nanoseconds: [Int64] = [], totalNanoseconds: Int64 = 1_000_000
) -> (lines: [String], printer: JSONPrinter, collector: ByteCollector) {
    var configuration = JSONPrinter.Configuration()
    configuration.invert = invert
    let collector = ByteCollector()
    let printer = JSONPrinter(configuration: configuration, matcher: matcher, target: collector)
    var searcher = TestSearcher(matcher)
    searcher.invert = invert
    searcher.before = context
    searcher.after = context
    searcher.lineNumbers = lineNumbers
    for (index, file) in files.enumerated() {
        searcher.elapsedNanoseconds = index < nanoseconds.count ? nanoseconds[index] : 1000
        searcher.search(file, sink: printer)
    }
    var total = Stats()
    total.add(printer.stats)
    let output = collector.bytes + JSONPrinter.summaryMessage(stats: total, totalElapsed: .nanoseconds(totalNanoseconds))
    return (lines(output), printer, collector)
}

/// The JSON Lines, checking that each ends with a newline.
private func lines(_ output: [UInt8]) -> [String] {
    #expect(output.last == UInt8(ascii: "\n"))
    return String(decoding: output, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        .dropLast().map(String.init)
}

private func expectLines(_ actual: [String], _ expected: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    for (got, want) in zip(actual, expected) {
        #expect(got == want, sourceLocation: sourceLocation)
    }
}

@Suite struct JSONPrinterTests {
    // rg --json hello a.txt b.txt c.txt: c.txt has no match, so no begin/end, and is not
    // counted in the summary's searches. The summary's keys are sorted.
    @Test func matchesAcrossFiles() {
        let result = jsonOutput(
            [Fixtures.a, Fixtures.b, Fixtures.c], nanoseconds: [4156, 10575], totalNanoseconds: 1_324_803)
        expectLines(result.lines, [
            #"{"type":"begin","data":{"path":{"text":"a.txt"}}}"#,
            #"{"type":"match","data":{"path":{"text":"a.txt"},"lines":{"text":"hello world\n"},"line_number":1,"absolute_offset":0,"submatches":[{"match":{"text":"hello"},"start":0,"end":5}]}}"#,
            #"{"type":"match","data":{"path":{"text":"a.txt"},"lines":{"text":"hello foo hello\n"},"line_number":3,"absolute_offset":20,"submatches":[{"match":{"text":"hello"},"start":0,"end":5},{"match":{"text":"hello"},"start":10,"end":15}]}}"#,
            #"{"type":"match","data":{"path":{"text":"a.txt"},"lines":{"text":"hello end"},"line_number":7,"absolute_offset":49,"submatches":[{"match":{"text":"hello"},"start":0,"end":5}]}}"#,
            #"{"type":"end","data":{"path":{"text":"a.txt"},"binary_offset":null,"stats":{"elapsed":{"secs":0,"nanos":4156,"human":"0.000004s"},"searches":1,"searches_with_match":1,"bytes_searched":58,"bytes_printed":636,"matched_lines":3,"matches":4}}}"#,
            #"{"type":"begin","data":{"path":{"text":"b.txt"}}}"#,
            #"{"type":"match","data":{"path":{"text":"b.txt"},"lines":{"text":"hello again\r\n"},"line_number":2,"absolute_offset":8,"submatches":[{"match":{"text":"hello"},"start":0,"end":5}]}}"#,
            #"{"type":"end","data":{"path":{"text":"b.txt"},"binary_offset":null,"stats":{"elapsed":{"secs":0,"nanos":10575,"human":"0.000011s"},"searches":1,"searches_with_match":1,"bytes_searched":23,"bytes_printed":231,"matched_lines":1,"matches":1}}}"#,
            #"{"data":{"elapsed_total":{"human":"0.001325s","nanos":1324803,"secs":0},"stats":{"bytes_printed":867,"bytes_searched":81,"elapsed":{"human":"0.000015s","nanos":14731,"secs":0},"matched_lines":4,"matches":5,"searches":2,"searches_with_match":2}},"type":"summary"}"#,
        ])
        #expect(result.printer.stats.searches == 2)
        // One record per message.
        #expect(result.collector.recordCount == 8)
    }

    // rg --json -C1 hello ctx.txt (context lines have empty submatches; no message for
    // a context break)
    @Test func contextLines() {
        let result = jsonOutput([Fixtures.ctx], context: 1, nanoseconds: [15483], totalNanoseconds: 905_632)
        expectLines(result.lines, [
            #"{"type":"begin","data":{"path":{"text":"ctx.txt"}}}"#,
            #"{"type":"context","data":{"path":{"text":"ctx.txt"},"lines":{"text":"l1\n"},"line_number":1,"absolute_offset":0,"submatches":[]}}"#,
            #"{"type":"match","data":{"path":{"text":"ctx.txt"},"lines":{"text":"l2 hello\n"},"line_number":2,"absolute_offset":3,"submatches":[{"match":{"text":"hello"},"start":3,"end":8}]}}"#,
            #"{"type":"context","data":{"path":{"text":"ctx.txt"},"lines":{"text":"l3\n"},"line_number":3,"absolute_offset":12,"submatches":[]}}"#,
            #"{"type":"context","data":{"path":{"text":"ctx.txt"},"lines":{"text":"l6\n"},"line_number":6,"absolute_offset":21,"submatches":[]}}"#,
            #"{"type":"match","data":{"path":{"text":"ctx.txt"},"lines":{"text":"l7 hello\n"},"line_number":7,"absolute_offset":24,"submatches":[{"match":{"text":"hello"},"start":3,"end":8}]}}"#,
            #"{"type":"context","data":{"path":{"text":"ctx.txt"},"lines":{"text":"l8\n"},"line_number":8,"absolute_offset":33,"submatches":[]}}"#,
            #"{"type":"context","data":{"path":{"text":"ctx.txt"},"lines":{"text":"l10\n"},"line_number":10,"absolute_offset":39,"submatches":[]}}"#,
            #"{"type":"match","data":{"path":{"text":"ctx.txt"},"lines":{"text":"l11 hello\n"},"line_number":11,"absolute_offset":43,"submatches":[{"match":{"text":"hello"},"start":4,"end":9}]}}"#,
            #"{"type":"context","data":{"path":{"text":"ctx.txt"},"lines":{"text":"l12\n"},"line_number":12,"absolute_offset":53,"submatches":[]}}"#,
            #"{"type":"end","data":{"path":{"text":"ctx.txt"},"binary_offset":null,"stats":{"elapsed":{"secs":0,"nanos":15483,"human":"0.000015s"},"searches":1,"searches_with_match":1,"bytes_searched":57,"bytes_printed":1379,"matched_lines":3,"matches":3}}}"#,
            #"{"data":{"elapsed_total":{"human":"0.000906s","nanos":905632,"secs":0},"stats":{"bytes_printed":1379,"bytes_searched":57,"elapsed":{"human":"0.000015s","nanos":15483,"secs":0},"matched_lines":3,"matches":3,"searches":1,"searches_with_match":1}},"type":"summary"}"#,
        ])
    }

    // rg --json -v -C1 hello a.txt (inverted: matches have no submatches, context lines
    // list theirs)
    @Test func inverted() {
        let result = jsonOutput([Fixtures.a], invert: true, context: 1)
        expectLines(result.lines, [
            #"{"type":"begin","data":{"path":{"text":"a.txt"}}}"#,
            #"{"type":"context","data":{"path":{"text":"a.txt"},"lines":{"text":"hello world\n"},"line_number":1,"absolute_offset":0,"submatches":[{"match":{"text":"hello"},"start":0,"end":5}]}}"#,
            #"{"type":"match","data":{"path":{"text":"a.txt"},"lines":{"text":"foo bar\n"},"line_number":2,"absolute_offset":12,"submatches":[]}}"#,
            #"{"type":"context","data":{"path":{"text":"a.txt"},"lines":{"text":"hello foo hello\n"},"line_number":3,"absolute_offset":20,"submatches":[{"match":{"text":"hello"},"start":0,"end":5},{"match":{"text":"hello"},"start":10,"end":15}]}}"#,
            #"{"type":"match","data":{"path":{"text":"a.txt"},"lines":{"text":"baz\n"},"line_number":4,"absolute_offset":36,"submatches":[]}}"#,
            #"{"type":"match","data":{"path":{"text":"a.txt"},"lines":{"text":"qux\n"},"line_number":5,"absolute_offset":40,"submatches":[]}}"#,
            #"{"type":"match","data":{"path":{"text":"a.txt"},"lines":{"text":"quux\n"},"line_number":6,"absolute_offset":44,"submatches":[]}}"#,
            #"{"type":"context","data":{"path":{"text":"a.txt"},"lines":{"text":"hello end"},"line_number":7,"absolute_offset":49,"submatches":[{"match":{"text":"hello"},"start":0,"end":5}]}}"#,
            #"{"type":"end","data":{"path":{"text":"a.txt"},"binary_offset":null,"stats":{"elapsed":{"secs":0,"nanos":1000,"human":"0.000001s"},"searches":1,"searches_with_match":1,"bytes_searched":58,"bytes_printed":1159,"matched_lines":4,"matches":0}}}"#,
            #"{"data":{"elapsed_total":{"human":"0.001000s","nanos":1000000,"secs":0},"stats":{"bytes_printed":1159,"bytes_searched":58,"elapsed":{"human":"0.000001s","nanos":1000,"secs":0},"matched_lines":4,"matches":0,"searches":1,"searches_with_match":1}},"type":"summary"}"#,
        ])
    }

    // python3 -c "open('ctl.txt','wb').write(b'x' + bytes(range(0, 10)) + bytes(range(11, 32))
    //     + b'\x7f\"\\\\ \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 /x\n')"; rg --json -a x ctl.txt
    // Every control character class: the short escapes, \u00xx in lower case, DEL, quote
    // and backslash, non-ASCII as is, `/` not escaped.
    @Test func escaping() {
        let contents: [UInt8] =
            [0x78] + Array(0..<10) + Array(11..<32) + [0x7F, 0x22, 0x5C, 0x20] + Array("é € 😀 /x\n".utf8)
        let result = jsonOutput([TestFile(path: Array("ctl.txt".utf8), contents: contents)], matcher: TestLiteralMatcher("x"))
        expectLines(Array(result.lines[1...2]), [
            #"{"type":"match","data":{"path":{"text":"ctl.txt"},"lines":{"text":"x\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\u000b\f\r\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\#u{7F}\"\\ é € 😀 /x\n"},"line_number":1,"absolute_offset":0,"submatches":[{"match":{"text":"x"},"start":0,"end":1},{"match":{"text":"x"},"start":49,"end":50}]}}"#,
            #"{"type":"end","data":{"path":{"text":"ctl.txt"},"binary_offset":null,"stats":{"elapsed":{"secs":0,"nanos":1000,"human":"0.000001s"},"searches":1,"searches_with_match":1,"bytes_searched":51,"bytes_printed":452,"matched_lines":1,"matches":2}}}"#,
        ])
    }

    // printf 'x\xff\xfeabc\n' > bad.txt; mkdir np; cp bad.txt np/f$'\xff'o;
    // rg --json x bad.txt np: invalid UTF-8 lines and paths become base64 "bytes".
    @Test func invalidUTF8BecomesBase64() {
        let line: [UInt8] = [0x78, 0xFF, 0xFE, 0x61, 0x62, 0x63, 0x0A]
        let result = jsonOutput(
            [
                TestFile(path: Array("bad.txt".utf8), contents: line),
                TestFile(path: Array("np/f".utf8) + [0xFF] + Array("o".utf8), contents: line),
            ], matcher: TestLiteralMatcher("x"))
        expectLines(result.lines, [
            #"{"type":"begin","data":{"path":{"text":"bad.txt"}}}"#,
            #"{"type":"match","data":{"path":{"text":"bad.txt"},"lines":{"bytes":"eP/+YWJjCg=="},"line_number":1,"absolute_offset":0,"submatches":[{"match":{"text":"x"},"start":0,"end":1}]}}"#,
            #"{"type":"end","data":{"path":{"text":"bad.txt"},"binary_offset":null,"stats":{"elapsed":{"secs":0,"nanos":1000,"human":"0.000001s"},"searches":1,"searches_with_match":1,"bytes_searched":7,"bytes_printed":229,"matched_lines":1,"matches":1}}}"#,
            #"{"type":"begin","data":{"path":{"bytes":"bnAvZv9v"}}}"#,
            #"{"type":"match","data":{"path":{"bytes":"bnAvZv9v"},"lines":{"bytes":"eP/+YWJjCg=="},"line_number":1,"absolute_offset":0,"submatches":[{"match":{"text":"x"},"start":0,"end":1}]}}"#,
            #"{"type":"end","data":{"path":{"bytes":"bnAvZv9v"},"binary_offset":null,"stats":{"elapsed":{"secs":0,"nanos":1000,"human":"0.000001s"},"searches":1,"searches_with_match":1,"bytes_searched":7,"bytes_printed":233,"matched_lines":1,"matches":1}}}"#,
            #"{"data":{"elapsed_total":{"human":"0.001000s","nanos":1000000,"secs":0},"stats":{"bytes_printed":462,"bytes_searched":14,"elapsed":{"human":"0.000002s","nanos":2000,"secs":0},"matched_lines":2,"matches":2,"searches":2,"searches_with_match":2}},"type":"summary"}"#,
        ])
    }

    // python3 -c "open('b64.txt','wb').write(b'\xff\n\xfex\n\xfdxx\nok\xe9x\n')"; rg --json -a x b64.txt
    // Base64 of 3 bytes (no padding), 4 (==) and 5 (=); a lone Latin-1 byte is invalid.
    @Test func base64Padding() {
        let contents: [UInt8] = [0xFF, 0x0A, 0xFE, 0x78, 0x0A, 0xFD, 0x78, 0x78, 0x0A, 0x6F, 0x6B, 0xE9, 0x78, 0x0A]
        let result = jsonOutput([TestFile(path: Array("b64.txt".utf8), contents: contents)], matcher: TestLiteralMatcher("x"))
        expectLines(Array(result.lines[1...4]), [
            #"{"type":"match","data":{"path":{"text":"b64.txt"},"lines":{"bytes":"/ngK"},"line_number":2,"absolute_offset":2,"submatches":[{"match":{"text":"x"},"start":1,"end":2}]}}"#,
            #"{"type":"match","data":{"path":{"text":"b64.txt"},"lines":{"bytes":"/Xh4Cg=="},"line_number":3,"absolute_offset":5,"submatches":[{"match":{"text":"x"},"start":1,"end":2},{"match":{"text":"x"},"start":2,"end":3}]}}"#,
            #"{"type":"match","data":{"path":{"text":"b64.txt"},"lines":{"bytes":"b2vpeAo="},"line_number":4,"absolute_offset":9,"submatches":[{"match":{"text":"x"},"start":3,"end":4}]}}"#,
            #"{"type":"end","data":{"path":{"text":"b64.txt"},"binary_offset":null,"stats":{"elapsed":{"secs":0,"nanos":1000,"human":"0.000001s"},"searches":1,"searches_with_match":1,"bytes_searched":14,"bytes_printed":608,"matched_lines":3,"matches":4}}}"#,
        ])
    }

    // printf 'abc' > noterm.txt; printf 'hellohello x\nabc\n' > adj.txt; rg --json 'z*' noterm.txt adj.txt
    // Empty submatches: the one at the very end of a line without terminator is dropped,
    // the one before a "\n" is kept.
    @Test func emptySubmatches() {
        let result = jsonOutput(
            [TestFile("noterm.txt", "abc"), TestFile("adj.txt", "hellohello x\nabc\n")], matcher: TestLiteralMatcher(""))
        let empties = { (range: ClosedRange<Int>) in
            range.map { #"{"match":{"text":""},"start":\#($0),"end":\#($0)}"# }.joined(separator: ",")
        }
        expectLines(result.lines, [
            #"{"type":"begin","data":{"path":{"text":"noterm.txt"}}}"#,
            #"{"type":"match","data":{"path":{"text":"noterm.txt"},"lines":{"text":"abc"},"line_number":1,"absolute_offset":0,"submatches":[{"match":{"text":""},"start":0,"end":0},{"match":{"text":""},"start":1,"end":1},{"match":{"text":""},"start":2,"end":2}]}}"#,
            #"{"type":"end","data":{"path":{"text":"noterm.txt"},"binary_offset":null,"stats":{"elapsed":{"secs":0,"nanos":1000,"human":"0.000001s"},"searches":1,"searches_with_match":1,"bytes_searched":3,"bytes_printed":304,"matched_lines":1,"matches":3}}}"#,
            #"{"type":"begin","data":{"path":{"text":"adj.txt"}}}"#,
            #"{"type":"match","data":{"path":{"text":"adj.txt"},"lines":{"text":"hellohello x\n"},"line_number":1,"absolute_offset":0,"submatches":["#
                + empties(0...12) + "]}}",
            #"{"type":"match","data":{"path":{"text":"adj.txt"},"lines":{"text":"abc\n"},"line_number":2,"absolute_offset":13,"submatches":["#
                + empties(0...3) + "]}}",
            #"{"type":"end","data":{"path":{"text":"adj.txt"},"binary_offset":null,"stats":{"elapsed":{"secs":0,"nanos":1000,"human":"0.000001s"},"searches":1,"searches_with_match":1,"bytes_searched":17,"bytes_printed":1004,"matched_lines":2,"matches":17}}}"#,
            #"{"data":{"elapsed_total":{"human":"0.001000s","nanos":1000000,"secs":0},"stats":{"bytes_printed":1308,"bytes_searched":20,"elapsed":{"human":"0.000002s","nanos":2000,"secs":0},"matched_lines":3,"matches":20,"searches":2,"searches_with_match":2}},"type":"summary"}"#,
        ])
    }

    // python3 -c "open('utf.txt','wb').write(b'x\xed\xa0\x80\nx\xc0\x80\nx\xf4\x90\x80\x80\n'
    //     b'x\xe2\x82\nx\xf0\x9f\x98\x80\nx\xef\xbf\xbf\nx\xed\x9f\xbf\n')"; rg --json -a x utf.txt
    // UTF-8 as Rust checks it: a surrogate, an overlong form, a code point above
    // U+10FFFF and a truncated sequence are bytes; U+1F600, U+FFFF and U+D7FF are text.
    @Test func utf8ValidationMatchesRust() {
        let contents: [UInt8] = [
            0x78, 0xED, 0xA0, 0x80, 0x0A, 0x78, 0xC0, 0x80, 0x0A, 0x78, 0xF4, 0x90, 0x80, 0x80, 0x0A,
            0x78, 0xE2, 0x82, 0x0A, 0x78, 0xF0, 0x9F, 0x98, 0x80, 0x0A, 0x78, 0xEF, 0xBF, 0xBF, 0x0A,
            0x78, 0xED, 0x9F, 0xBF, 0x0A,
        ]
        let result = jsonOutput([TestFile(path: Array("utf.txt".utf8), contents: contents)], matcher: TestLiteralMatcher("x"))
        let matches = result.lines.filter { $0.hasPrefix(#"{"type":"match""#) }
        let expected = [
            #"{"bytes":"eO2ggAo="}"#, #"{"bytes":"eMCACg=="}"#, #"{"bytes":"ePSQgIAK"}"#, #"{"bytes":"eOKCCg=="}"#,
            #"{"text":"x😀\n"}"#, "{\"text\":\"x\u{FFFF}\\n\"}", "{\"text\":\"x\u{D7FF}\\n\"}",
        ]
        #expect(matches.count == expected.count)
        for (line, data) in zip(matches, expected) {
            #expect(line.contains(#""lines":"# + data + #","line_number":"#), "\(line)")
        }
    }

    // rg --json -N hello b.txt (no line numbers: null)
    @Test func withoutLineNumbers() {
        let result = jsonOutput([Fixtures.b], lineNumbers: false)
        #expect(
            result.lines[1]
                == #"{"type":"match","data":{"path":{"text":"b.txt"},"lines":{"text":"hello again\r\n"},"line_number":null,"absolute_offset":8,"submatches":[{"match":{"text":"hello"},"start":0,"end":5}]}}"#
        )
        #expect(result.lines[2].contains(#""bytes_printed":234,"#))
    }

    // mkdir bin; rg --json hello bin (big.bin: 8261 matches, then the search quits at the
    // NUL; the end message carries its offset). Shortened to one match here: its
    // bytes_printed is rg's for `printf 'line 0 hello\n' > big.bin; rg --json hello ./big.bin`.
    @Test func binaryOffsetInEnd() {
        let collector = ByteCollector()
        let printer = JSONPrinter(matcher: TestLiteralMatcher("hello"), target: collector)
        _ = printer.begin(path: Array("./big.bin".utf8))
        var line = Array("line 0 hello\n".utf8)
        _ = line.withUnsafeMutableBufferPointer {
            printer.matched(SinkMatch(bytes: UnsafeBufferPointer($0), lineNumber: 1, absoluteOffset: 0))
        }
        _ = printer.binaryData(offset: 158_892)
        printer.finish(SinkFinish(bytesSearched: 131_066, binaryOffset: 158_892, matchedLines: 1, elapsedNanoseconds: 4_094_737))
        let output = lines(collector.bytes)
        #expect(
            output.last
                == #"{"type":"end","data":{"path":{"text":"./big.bin"},"binary_offset":158892,"stats":{"elapsed":{"secs":0,"nanos":4094737,"human":"0.004095s"},"searches":1,"searches_with_match":1,"bytes_searched":131066,"bytes_printed":239,"matched_lines":1,"matches":1}}}"#
        )
    }

    // A binary file without matches writes nothing at all, as in ripgrep.
    @Test func binaryFileWithoutMatchesWritesNothing() {
        let collector = ByteCollector()
        let printer = JSONPrinter(matcher: TestLiteralMatcher("hello"), target: collector)
        _ = printer.begin(path: Array("small.bin".utf8))
        _ = printer.binaryData(offset: 9)
        printer.finish(SinkFinish(bytesSearched: 0, binaryOffset: 9, matchedLines: 0, elapsedNanoseconds: 1))
        #expect(collector.bytes.isEmpty)
        #expect(printer.stats == Stats())
    }
}
