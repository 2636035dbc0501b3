import AIFS
import AIFSCache
import AIFSCore
import AIFSIndex
import AIFSSearch
import AIFSTestSupport
import Foundation
import Testing

/// The live index against the scan: the same answers on random trees and queries, after
/// random changes made just before the search, and across `.gitignore` edits.
/// https://github.com/aifs/aifs/issues/17
@Suite struct LiveIndexTests {
    /// What a user sees of a search: its lines and problems, in path and line order.
    /// Files searched without a match leave no trace (the index reads fewer of them).
    static func answer(_ stream: SearchStream) async throws -> [String] {
        var lines: [String] = []
        var errors: [String] = []
        var binary: [String: String] = [:]
        for try await event in stream {
            switch event {
            case .line(let line):
                lines.append("\(line.path):\(line.lineNumber ?? 0):\(line.kind):\(line.absoluteOffset):\(line.text):\(line.submatches)")
            case .binaryFile(let path, let offset):
                binary[String(decoding: path, as: UTF8.self)] = "binary \(offset)"
            case .error(let error):
                errors.append("error \(error.message)")
            case .fileFinished:
                break
            }
        }
        let matchedPaths = Set(lines.map { String($0.prefix { $0 != ":" }) })
        let binaryLines = binary.filter { matchedPaths.contains($0.key) }.map { "\($0.key): \($0.value)" }
        return lines.sorted() + binaryLines.sorted() + errors.sorted()
    }

    static let words = [
        "alpha", "Beta", "gamma", "DELTA", "epsilon", "zeta", "FileManager", "fileManager", "return", "función",
        "naïve", "x1", "needle", "haystack", "deinit", "straße", "KELVIN", "ab", "abc123", "foo_bar",
    ]

    /// A random tree: text files in nested directories, a hidden file, an ignored
    /// directory, a binary file with text before its NUL, a UTF-16 file.
    static func makeTree(in dir: TemporaryDirectory, random: inout SplitMix64) throws {
        try dir.file(".gitignore", "ignored/\n*.log\n")
        try dir.directory(".git")
        for index in 0..<40 {
            let depth = random.next(upTo: 3)
            var path = ""
            for level in 0..<depth { path += "d\(random.next(upTo: 3))_\(level)/" }
            var text = ""
            for _ in 0..<(1 + random.next(upTo: 12)) {
                for _ in 0..<(1 + random.next(upTo: 6)) { text += words[random.next(upTo: words.count)] + " " }
                text += "\n"
            }
            try dir.file(path + "f\(index).txt", text)
        }
        try dir.file("ignored/secret.txt", "needle alpha\n")
        try dir.file("noise.log", "needle alpha\n")
        try dir.file(".hidden.txt", "needle alpha\n")
        try Data("needle here\nalpha\0binary tail needle\n".utf8).write(to: URL(fileURLWithPath: dir.path("blob.bin")))
        var utf16 = Data([0xFF, 0xFE])
        utf16.append("needle in utf-16\n".data(using: .utf16LittleEndian)!)
        try utf16.write(to: URL(fileURLWithPath: dir.path("wide.txt")))
    }

    static func randomQuery(_ random: inout SplitMix64) -> SearchQuery {
        let word = words[random.next(upTo: words.count)]
        var query: SearchQuery
        switch random.next(upTo: 8) {
        case 0: query = SearchQuery(patterns: [String(word.prefix(2 + random.next(upTo: 4)))])
        case 1: query = SearchQuery(patterns: ["\(word)|\(words[random.next(upTo: words.count)])"])
        case 2: query = SearchQuery(patterns: ["[a-z]+\(word.suffix(3))"])
        case 3: query = SearchQuery(patterns: ["\\w+\\d{2}"])
        case 4: query = SearchQuery(patterns: [word, words[random.next(upTo: words.count)]])
        case 5:
            query = SearchQuery(patterns: [word + "."])
            query.literal = true
        case 6: query = SearchQuery(patterns: ["(?i)\(word)"])
        default: query = SearchQuery(patterns: [word])
        }
        query.caseMode = [CaseMode.sensitive, .insensitive, .smart][random.next(upTo: 3)]
        query.wordBoundary = random.next(upTo: 4) == 0
        return query
    }

    static func configuration(_ random: inout SplitMix64) -> SearcherConfiguration {
        var configuration = FileService.streamingSearchConfiguration
        if random.next(upTo: 3) == 0 {
            configuration.beforeContext = random.next(upTo: 2)
            configuration.afterContext = random.next(upTo: 2)
        }
        if random.next(upTo: 4) == 0 { configuration.maxReportedLines = 1 }
        return configuration
    }

    /// Searches with the index and by scanning; both answers, and how the index was used.
    static func both(
        _ service: FileService, _ tree: TreeIndex, _ query: SearchQuery, in path: String,
        configuration: SearcherConfiguration = FileService.streamingSearchConfiguration
    ) async throws -> (indexed: [String], scanned: [String], use: IndexUse) {
        let report = IndexUseReport()
        let indexed = try await answer(try service.search(query, in: [path], configuration: configuration, index: tree, report: report))
        let scanned = try await answer(try service.search(query, in: [path], configuration: configuration))
        return (indexed, scanned, report.use)
    }

    static func startIndex(_ service: FileService, _ dir: TemporaryDirectory) throws -> TreeIndex {
        let tree = try service.liveIndex(root: dir.path, store: nil)
        #expect(tree.waitUntilBuilt(timeout: .seconds(60)), "the index was not built: \(tree.index.statistics())")
        return tree
    }

    static func seeds(_ variable: String, default range: ClosedRange<UInt64>) -> [UInt64] {
        guard let text = ProcessInfo.processInfo.environment[variable] else { return Array(range) }
        let parts = text.split(separator: "-").compactMap { UInt64($0) }
        return parts.count == 2 ? Array(parts[0]...parts[1]) : parts
    }

    @Test(.timeLimit(.minutes(2)))
    func randomTreesAndQueriesAnswerAsTheScan() async throws {
        for seed in Self.seeds("AIFS_INDEX_SEEDS", default: 1...4) {
            var random = SplitMix64(seed: seed)
            let dir = try TemporaryDirectory()
            try Self.makeTree(in: dir, random: &random)
            let service = FileService(roots: try Roots([dir.path]))
            let tree = try Self.startIndex(service, dir)
            defer { tree.stop() }
            #expect(tree.index.statistics().unindexedFiles == 1, "the UTF-16 file is searched every time")
            for _ in 0..<40 {
                let query = Self.randomQuery(&random)
                let configuration = Self.configuration(&random)
                let base = random.next(upTo: 4) == 0 ? dir.path("d0_0") : dir.path
                guard FileManager.default.fileExists(atPath: base) else { continue }
                let (indexed, scanned, use) = try await Self.both(service, tree, query, in: base, configuration: configuration)
                #expect(indexed == scanned, "seed \(seed): \(query.patterns) \(query.caseMode) -w \(query.wordBoundary)")
                #expect(use.usedIndex, "seed \(seed): \(use.reason ?? "")")
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aSelectiveLiteralReadsFewFiles() async throws {
        let dir = try TemporaryDirectory()
        for index in 0..<200 { try dir.file("src/file\(index).swift", "let value\(index) = \(index)\n") }
        try dir.file("src/special.swift", "let needleInAHaystack = 1\n")
        let service = FileService(roots: try Roots([dir.path]))
        let tree = try Self.startIndex(service, dir)
        defer { tree.stop() }
        let (indexed, scanned, use) = try await Self.both(service, tree, SearchQuery(patterns: ["needleInAHaystack"]), in: dir.path)
        #expect(indexed == scanned)
        #expect(indexed.count == 1)
        #expect(use.usedIndex && use.candidates == 1 && use.filesUnderBase == 201)
        // Inverted searches, other walks and explicit files scan, and say why.
        var inverted = FileService.streamingSearchConfiguration
        inverted.invert = true
        let report = IndexUseReport()
        _ = try await Self.answer(try service.search(SearchQuery(patterns: ["x"]), in: [dir.path], configuration: inverted, index: tree, report: report))
        #expect(!report.use.usedIndex && report.use.reason != nil)
        var hidden = WalkOptions()
        hidden.includeHidden = true
        let other = IndexUseReport()
        _ = try await Self.answer(try service.search(SearchQuery(patterns: ["x"]), in: [dir.path], walkOptions: hidden, index: tree, report: other))
        #expect(!other.use.usedIndex)
    }

    /// Write, then search at once: every kind of change is in the very next answer.
    @Test(.timeLimit(.minutes(5)))
    func writeThenSearchIsNeverStale() async throws {
        let trials = Int(ProcessInfo.processInfo.environment["AIFS_INDEX_TRIALS"] ?? "") ?? 150
        let dir = try TemporaryDirectory()
        var random = SplitMix64(seed: 17)
        try Self.makeTree(in: dir, random: &random)
        let service = FileService(roots: try Roots([dir.path]))
        let tree = try Self.startIndex(service, dir)
        defer { tree.stop() }
        var files = try FileManager.default.subpathsOfDirectory(atPath: dir.path)
            .filter { $0.hasSuffix(".txt") && !$0.hasPrefix(".") && !$0.hasPrefix("ignored") && $0 != "wide.txt" }
        var stale = 0
        for trial in 0..<trials {
            let token = "tok\(trial)en"
            let kind = trial % 6
            switch kind {
            case 0:  // append to a file
                let path = dir.path(files[random.next(upTo: files.count)])
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
                try handle.seekToEnd()
                try handle.write(contentsOf: Data("\(token)\n".utf8))
                try handle.close()
            case 1:  // a new file in a new directory
                let relative = "new\(trial)/deeper/n.txt"
                try dir.file(relative, "\(token)\n")
                files.append(relative)
            case 2:  // an atomic save: write aside, rename over
                let relative = files[random.next(upTo: files.count)]
                try dir.file(relative + ".tmp~", "\(token) saved\n")
                try FileManager.default.moveItem(atPath: dir.path(relative + ".tmp~"), toPath: dir.path(relative + ".swap"))
                rename(dir.path(relative + ".swap"), dir.path(relative))
            case 3:  // delete a file holding the token of the trial before
                let relative = files.remove(at: random.next(upTo: files.count))
                try dir.file(relative, "tok\(trial - 1)en\n")
                try FileManager.default.removeItem(atPath: dir.path(relative))
            case 4:  // rename a file
                let index = random.next(upTo: files.count)
                let relative = files[index]
                try dir.file(relative, "\(token) moved\n")
                let target = "moved\(trial).txt"
                rename(dir.path(relative), dir.path(target))
                files[index] = target
            default:  // truncate and rewrite in place
                let path = dir.path(files[random.next(upTo: files.count)])
                try Data("\(token) rewritten\n".utf8).write(to: URL(fileURLWithPath: path))
            }
            let query = SearchQuery(patterns: [kind == 3 ? "tok\(trial - 1)en" : token])
            let (indexed, scanned, use) = try await Self.both(service, tree, query, in: dir.path)
            if indexed != scanned || !use.usedIndex { stale += 1 }
            #expect(indexed == scanned, "trial \(trial) (change \(kind)): \(use) \(tree.index.statistics())")
            #expect(use.usedIndex, "trial \(trial): \(use.reason ?? "")")
            if kind != 3 { #expect(!indexed.isEmpty, "trial \(trial) (change \(kind)): the write is not in the answer") }
        }
        #expect(stale == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func aGitignoreEditBringsFilesInAndTakesThemOut() async throws {
        let dir = try TemporaryDirectory()
        try dir.directory(".git")
        try dir.file(".gitignore", "build/\n")
        try dir.file("build/out.txt", "needle built\n")
        try dir.file("src/a.txt", "needle source\n")
        let service = FileService(roots: try Roots([dir.path]))
        let tree = try Self.startIndex(service, dir)
        defer { tree.stop() }
        let query = SearchQuery(patterns: ["needle"])
        var (indexed, scanned, _) = try await Self.both(service, tree, query, in: dir.path)
        #expect(indexed == scanned && indexed.count == 1)
        try dir.file(".gitignore", "src/\n")
        (indexed, scanned, _) = try await Self.both(service, tree, query, in: dir.path)
        #expect(indexed == scanned)
        #expect(indexed.count == 1 && indexed[0].contains("build/out.txt"))
        try dir.file("src/.gitignore", "")
        try FileManager.default.removeItem(atPath: dir.path(".gitignore"))
        (indexed, scanned, _) = try await Self.both(service, tree, query, in: dir.path)
        #expect(indexed == scanned && indexed.count == 2)
    }

    @Test(.timeLimit(.minutes(1)))
    func anIndexOverItsMemoryBudgetIsDroppedAndSearchesScan() async throws {
        let dir = try TemporaryDirectory()
        for index in 0..<20 { try dir.file("f\(index).txt", "alpha beta gamma \(index)\n") }
        let service = FileService(roots: try Roots([dir.path]))
        let tree = try service.liveIndex(root: dir.path, memoryBudget: 1024, store: nil)
        defer { tree.stop() }
        #expect(!tree.waitUntilBuilt(timeout: .seconds(60)))
        let statistics = tree.index.statistics()
        #expect(statistics.phase == .off)
        #expect(statistics.reason?.contains("budget") == true)
        let (indexed, scanned, use) = try await Self.both(service, tree, SearchQuery(patterns: ["gamma 1"]), in: dir.path)
        #expect(indexed == scanned && indexed.count == 11)
        #expect(!use.usedIndex && use.reason?.contains("budget") == true)
    }

    @Test(.timeLimit(.minutes(1)))
    func theMemoryMonitorDropsTheIndexUnderPressure() async throws {
        let dir = try TemporaryDirectory()
        for index in 0..<20 { try dir.file("f\(index).txt", "alpha beta gamma \(index)\n") }
        // A process at 99 MiB of a 100 MiB budget: past the monitor's threshold.
        let monitor = MemoryMonitor(configuration: MemoryMonitor.Configuration(budget: 100 << 20), readResident: { 99 << 20 })
        let service = FileService(roots: try Roots([dir.path]), memoryMonitor: monitor)
        let tree = try Self.startIndex(service, dir)
        defer { tree.stop() }
        _ = monitor.sample()
        let statistics = tree.index.statistics()
        #expect(statistics.phase == .off)
        #expect(statistics.reason?.contains("memory monitor") == true)
        let (indexed, scanned, use) = try await Self.both(service, tree, SearchQuery(patterns: ["gamma 1"]), in: dir.path)
        #expect(indexed == scanned && indexed.count == 11)
        #expect(!use.usedIndex)
    }

    /// A file whose name is not UTF-8: its events reach the index as lossy strings, so a
    /// change to it makes the index check every file's identity, and the answer has it.
    @Test(.timeLimit(.minutes(1)))
    func aChangeToAFileWhoseNameIsNotUTF8IsInTheNextAnswer() async throws {
        let dir = try TemporaryDirectory()
        try dir.file("plain.txt", "alpha\n")
        let name = Array(dir.path.utf8) + [UInt8(ascii: "/"), 0x66, 0xFF, 0x2E, 0x74, 0x78, 0x74]
        func write(_ text: String) {
            let fd = (name + [0]).withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
            #expect(fd >= 0)
            _ = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        write("alpha\n")
        let service = FileService(roots: try Roots([dir.path]))
        let tree = try Self.startIndex(service, dir)
        defer { tree.stop() }
        write("omega\n")
        let (indexed, scanned, use) = try await Self.both(service, tree, SearchQuery(patterns: ["omega"]), in: dir.path)
        #expect(indexed == scanned && indexed.count == 1)
        #expect(use.usedIndex)
    }

    /// The watcher's random operations (create, mkdir, append, `rm -r`, `mv` of files and
    /// directories, atomic saves), each followed at once by an indexed search and a scan.
    @Test(.timeLimit(.minutes(3)))
    func randomOperationsThenSearchAnswerAsTheScan() async throws {
        let count = Int(ProcessInfo.processInfo.environment["AIFS_INDEX_OPERATIONS"] ?? "") ?? 100
        for seed in Self.seeds("AIFS_INDEX_OPERATION_SEEDS", default: 1...3) {
            let dir = try TemporaryDirectory()
            try dir.tree(["a/x.txt": "x new", "b/": ""])
            let service = FileService(roots: try Roots([dir.path]))
            let tree = try Self.startIndex(service, dir)
            defer { tree.stop() }
            var operations = RandomFileOperations(root: dir.path, seed: seed)
            let patterns = ["new", "more", "saved", "newmore", "w|e", "[a-z]{5}"]
            var done = 0
            var drawn = 0
            while done < count && drawn < count * 50 {
                drawn += 1
                guard let operation = try operations.step() else { continue }
                done += 1
                let query = SearchQuery(patterns: [patterns[done % patterns.count]])
                let (indexed, scanned, use) = try await Self.both(service, tree, query, in: dir.path)
                #expect(indexed == scanned, "seed \(seed), after \(operation): \(query.patterns)")
                #expect(use.usedIndex, "seed \(seed): \(use.reason ?? "")")
            }
            #expect(done == count)
        }
    }
}
