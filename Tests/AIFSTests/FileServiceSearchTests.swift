import AIFS
import AIFSCore
import AIFSSearch
import AIFSTestSupport
import AIFSWatch
import Testing

@Suite struct FileServiceSearchTests {
    func lines(_ stream: SearchStream) async throws -> [SearchLine] {
        var lines: [SearchLine] = []
        for try await event in stream {
            if case .line(let line) = event { lines.append(line) }
        }
        return lines.sorted { ($0.path, $0.absoluteOffset) < ($1.path, $1.absoluteOffset) }
    }

    @Test(.timeLimit(.minutes(1)))
    func streamsMatchesWithPositionsAndSubmatches() async throws {
        let dir = try TemporaryDirectory()
        try dir.file("a.swift", "let x = 1\n// TODO: one\n")
        try dir.file("sub/b.swift", "TODO two TODO\nnothing\n")
        let service = FileService(roots: try Roots([dir.path]))
        let found = try await lines(try service.search(SearchQuery(patterns: ["TODO"]), in: []))
        #expect(found.map(\.path) == [dir.path("a.swift"), dir.path("sub/b.swift")])
        #expect(found.map(\.lineNumber) == [2, 1])
        #expect(found.map(\.text) == ["// TODO: one", "TODO two TODO"])
        #expect(found[1].submatches == [0..<4, 9..<13])
        #expect(found[0].absoluteOffset == 10)
    }

    @Test(.timeLimit(.minutes(1)))
    func contextAndErrorsArriveAsEvents() async throws {
        let dir = try TemporaryDirectory()
        try dir.file("a.txt", "before\nneedle\nafter\n")
        var configuration = FileService.streamingSearchConfiguration
        configuration.beforeContext = 1
        configuration.afterContext = 1
        var kinds: [SearchLine.Kind] = []
        var errors: [SearchError] = []
        for try await event in try FileService.unrestricted().search(
            SearchQuery(patterns: ["needle"]), in: [dir.path("a.txt"), dir.path("missing")], configuration: configuration)
        {
            switch event {
            case .line(let line): kinds.append(line.kind)
            case .error(let error): errors.append(error)
            default: break
            }
        }
        #expect(kinds == [.before, .match, .after])
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("missing") == true)
    }

    /// A line no regex engine decides and a line cut to the buffer arrive as errors,
    /// before their file's finish; the cut line says where its piece starts.
    /// https://github.com/aifs/aifs/issues/15
    @Test(.timeLimit(.minutes(1)))
    func issue15_problemsArriveAsErrorsAndCutLinesSayWhereTheyStart() async throws {
        let dir = try TemporaryDirectory()
        try dir.file("undecided.txt", "first b\n\(String(repeating: "a", count: 30))b\n")
        try dir.file("long.txt", "short\n" + String(repeating: "y", count: 60) + "NEEDLE\n")
        var configuration = FileService.streamingSearchConfiguration
        configuration.initialBufferSize = 8
        configuration.maximumBufferSize = 32
        var lines: [SearchLine] = []
        var errors: [SearchError] = []
        for try await event in try FileService.unrestricted().search(
            SearchQuery(patterns: [#"(a+)+\1$|b$|NEEDLE"#]), in: [dir.path("undecided.txt"), dir.path("long.txt")],
            configuration: configuration)
        {
            switch event {
            case .line(let line): lines.append(line)
            case .error(let error): errors.append(error)
            default: break
            }
        }
        #expect(Set(errors.map(\.code)) == [.undecidedLine, .longLineCut])
        let cut = try #require(lines.first { $0.isCut })
        #expect(cut.lineNumber == 2 && cut.absoluteOffset == 6)
        // Pieces 0..<32, 24..<56, 48..<67: NEEDLE at 60 is in the last.
        #expect(cut.lineOffset == 48)
        #expect(cut.submatches.map { Int(cut.lineOffset) + $0.lowerBound } == [60])
        #expect(lines.filter { !$0.isCut }.map(\.text) == ["first b"])
    }

    @Test(.timeLimit(.minutes(1)))
    func leavingTheLoopEarlyStopsTheSearch() async throws {
        let dir = try TemporaryDirectory()
        for i in 0..<200 {
            try dir.file("f\(i).txt", String(repeating: "match here\n", count: 200))
        }
        // A tiny queue: the workers block almost at once and must be released by the
        // cancellation, or this test hangs past its time limit.
        var seen = 0
        for try await event in try FileService.unrestricted().search(SearchQuery(patterns: ["match"]), in: [dir.path], capacity: 2) {
            if case .line = event { seen += 1 }
            if seen == 5 { break }
        }
        #expect(seen == 5)
    }

    @Test func badQueriesAndPathsAreTypedErrors() throws {
        let dir = try TemporaryDirectory()
        try dir.directory("root")
        let service = FileService(roots: try Roots([dir.path("root")]))
        let invalid = #expect(throws: SearchError.self) { try service.search(SearchQuery(patterns: ["a(b"]), in: []) }
        #expect(invalid?.code == .invalidPattern)
        let outside = #expect(throws: SearchError.self) { try service.search(SearchQuery(patterns: ["x"]), in: [dir.path]) }
        #expect(outside?.message.contains("outside the allowed roots") == true)
        let none = #expect(throws: SearchError.self) { try service.search(SearchQuery(patterns: []), in: []) }
        #expect(none?.code == .invalidArgument)
    }
}

@Suite struct FileServiceWatchTests {
    @Test(.timeLimit(.minutes(1)))
    func watchesInsideTheRootsAndRefusesOutside() async throws {
        let dir = try TemporaryDirectory()
        let root = try dir.directory("root")
        let service = FileService(roots: try Roots([root]))
        let outside = #expect(throws: WatchError.self) { try service.watch([dir.path]) }
        #expect(outside?.code == .invalidArgument)
        #expect(outside?.message.contains("outside the allowed roots") == true)

        let watcher = try service.watch([])
        defer { watcher.stop() }
        var iterator = watcher.events.makeAsyncIterator()
        while let event = await iterator.next() {
            if case .ready = event.kind { break }
        }
        try dir.file("root/new.txt", "x")
        while let event = await iterator.next() {
            if event.kind == .add {
                #expect(event.path == root + "/new.txt")
                break
            }
        }
    }
}
