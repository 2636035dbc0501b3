import AIFSSearch
import Benchmark

/// Counts matching lines, the way `aifs search -c` does.
final class CountingSink: Sink {
    var count = 0
    func matched(_ match: SinkMatch) -> Bool {
        count += 1
        return true
    }
}

/// The searcher over 16 MiB of text in memory: matchers and the buffered loop, no I/O.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        maxDuration: .seconds(5))

    // Deterministic prose-like text: words from a fixed list, a few needles.
    var generator = UInt64(0x9E37_79B9_7F4A_7C15)
    func random() -> UInt64 {
        generator &+= 0x9E37_79B9_7F4A_7C15
        var z = generator
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    let words = [
        "the", "file", "system", "watcher", "reads", "lines", "from", "buffers", "search", "pattern", "cache",
        "memory", "worker", "agent", "tool", "server", "stream", "event", "directory", "index",
    ]
    var text: [UInt8] = []
    text.reserveCapacity(16 << 20)
    while text.count < 16 << 20 {
        let wordsInLine = 6 + Int(random() % 10)
        for index in 0..<wordsInLine {
            if index > 0 { text.append(UInt8(ascii: " ")) }
            text.append(contentsOf: words[Int(random() % UInt64(words.count))].utf8)
        }
        if random() % 5_000 == 0 { text.append(contentsOf: " Sherlock Holmes".utf8) }
        text.append(UInt8(ascii: "\n"))
    }
    let haystack = text

    for (name, query) in [
        ("literal", { var q = SearchQuery(patterns: ["Sherlock"]); q.literal = true; return q }()),
        ("literal -i", { var q = SearchQuery(patterns: ["sherlock"]); q.literal = true; q.caseMode = .insensitive; return q }()),
        ("regex, inner literal", SearchQuery(patterns: [#"\w+\s+Holmes"#])),
        ("regex, no literal", SearchQuery(patterns: [#"[A-Z][a-z]+\s+[A-Z][a-z]+"#])),
    ] {
        // The matcher's prefilter alone, without the searcher's lines: every candidate
        // position over the whole buffer with `candidate(in:from:)`, the buffer-wide scan
        // the searcher makes before it confirms a line with `firstMatch`.
        Benchmark("matcher prefilter over 16 MiB in memory: \(name)") { benchmark in
            let matcher = try query.makeMatcher()
            for _ in benchmark.scaledIterations {
                var candidates = 0
                haystack.withUnsafeBufferPointer { buffer in
                    var start = 0
                    while start < buffer.count, let position = matcher.candidate(in: buffer, from: start) {
                        candidates += 1
                        start = position + 1
                    }
                }
                blackHole(candidates)
            }
        }
        Benchmark("search 16 MiB in memory: \(name)") { benchmark in
            let matcher = try query.makeMatcher()
            let searcher = Searcher(matcher: matcher)
            let sink = CountingSink()
            for _ in benchmark.scaledIterations {
                try searcher.search(bytes: haystack, sink: sink)
            }
            blackHole(sink.count)
        }
    }
}
