import AIFSSearch
import Testing

/// A literal finder, so the printer tests do not depend on the real matchers. An empty
/// needle matches the empty string everywhere, like ripgrep's `z*` on text without `z`.
struct TestLiteralMatcher: Matcher {
    let needle: [UInt8]

    init(_ needle: String) { self.needle = Array(needle.utf8) }

    func firstMatch(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Range<Int>? {
        guard start <= haystack.count - needle.count else { return nil }
        for position in start...(haystack.count - needle.count)
        where needle.indices.allSatisfy({ haystack[position + $0] == needle[$0] }) {
            return position..<(position + needle.count)
        }
        return nil
    }
}

/// The regex `b*` for one byte `b`: matches at every position, greedily, often empty.
/// It exercises ripgrep's rules for empty matches next to non-empty ones.
struct TestRunMatcher: Matcher {
    let byte: UInt8

    func firstMatch(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Range<Int>? {
        guard start <= haystack.count else { return nil }
        var end = start
        while end < haystack.count, haystack[end] == byte { end += 1 }
        return start..<end
    }
}

/// A file for ``TestSearcher``: its path and contents.
struct TestFile {
    var path: [UInt8]
    var contents: [UInt8]

    init(_ path: String, _ contents: String) {
        self.path = Array(path.utf8)
        self.contents = Array(contents.utf8)
    }

    init(path: [UInt8], contents: [UInt8]) {
        self.path = path
        self.contents = contents
    }
}

/// Drives a sink the way the searcher does for a text file: whole lines, line numbers,
/// offsets, before/after context and context breaks, with ripgrep's rules. Just enough
/// of a searcher to feed the printers the events ripgrep's printers see for the same
/// files, so expectations can be taken from real `rg` output.
struct TestSearcher {
    var matcher: any Matcher
    var invert = false
    var before = 0
    var after = 0
    var lineNumbers = true
    /// The nanoseconds reported in each file's ``SinkFinish``.
    var elapsedNanoseconds: Int64 = 1000

    init(_ matcher: any Matcher) { self.matcher = matcher }

    /// Searches `file`, ending with `finish`.
    func search(_ file: TestFile, sink: some Sink) {
        guard sink.begin(path: file.path) else {
            sink.finish(finishing(file, matchedLines: 0))
            return
        }
        var lines: [(start: Int, end: Int)] = []
        var start = 0
        for (index, byte) in file.contents.enumerated() where byte == UInt8(ascii: "\n") {
            lines.append((start, index + 1))
            start = index + 1
        }
        if start < file.contents.count { lines.append((start, file.contents.count)) }

        let isMatch: [Bool] = file.contents.withUnsafeBufferPointer { buffer in
            lines.map { line in
                var content = UnsafeBufferPointer(rebasing: buffer[line.start..<line.end])
                if content.last == UInt8(ascii: "\n") { content = UnsafeBufferPointer(rebasing: content.dropLast()) }
                return (matcher.firstMatch(in: content, from: 0) != nil) != invert
            }
        }
        var printed = Array(repeating: false, count: lines.count)
        for (index, matched) in isMatch.enumerated() where matched {
            for other in max(0, index - before)...min(lines.count - 1, index + after) { printed[other] = true }
        }
        var lastPrinted: Int?
        var matchedLines = 0
        var lastMatch: Int?
        file.contents.withUnsafeBufferPointer { buffer in
            for index in lines.indices where printed[index] {
                if let lastPrinted, lastPrinted + 1 < index, before + after > 0 {
                    guard sink.contextBreak() else { return }
                }
                lastPrinted = index
                let bytes = UnsafeBufferPointer(rebasing: buffer[lines[index].start..<lines[index].end])
                let number = lineNumbers ? index + 1 : nil
                let offset = Int64(lines[index].start)
                if isMatch[index] {
                    matchedLines += 1
                    lastMatch = index
                    guard sink.matched(SinkMatch(bytes: bytes, lineNumber: number, absoluteOffset: offset)) else { return }
                } else {
                    let kind: ContextKind = lastMatch.map { index - $0 <= after } == true ? .after : .before
                    guard sink.context(SinkContext(bytes: bytes, lineNumber: number, absoluteOffset: offset, kind: kind))
                    else { return }
                }
            }
        }
        sink.finish(finishing(file, matchedLines: matchedLines))
    }

    private func finishing(_ file: TestFile, matchedLines: Int) -> SinkFinish {
        SinkFinish(
            bytesSearched: Int64(file.contents.count), binaryOffset: nil, matchedLines: matchedLines,
            elapsedNanoseconds: elapsedNanoseconds)
    }
}

/// Compares printed bytes with the expected text, showing both as text on failure.
func expectOutput(
    _ actual: [UInt8], _ expected: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(
        actual == Array(expected.utf8),
        "got:\n\(String(decoding: actual, as: UTF8.self).debugDescription)\nwant:\n\(expected.debugDescription)",
        sourceLocation: sourceLocation)
}

/// The files most tests search. `a.txt` ends without a newline and `b.txt` has a CRLF
/// line, as the files the expectations were taken from with `rg 13.0.0`:
///
///     printf 'hello world\nfoo bar\nhello foo hello\nbaz\nqux\nquux\nhello end' > a.txt
///     printf 'nothing\nhello again\r\nx\n' > b.txt
///     printf 'none here\n' > c.txt
///     printf 'l1\nl2 hello\nl3\nl4\nl5\nl6\nl7 hello\nl8\nl9\nl10\nl11 hello\nl12\n' > ctx.txt
enum Fixtures {
    static let a = TestFile("a.txt", "hello world\nfoo bar\nhello foo hello\nbaz\nqux\nquux\nhello end")
    static let b = TestFile("b.txt", "nothing\nhello again\r\nx\n")
    static let c = TestFile("c.txt", "none here\n")
    static let ctx = TestFile("ctx.txt", "l1\nl2 hello\nl3\nl4\nl5\nl6\nl7 hello\nl8\nl9\nl10\nl11 hello\nl12\n")
}
