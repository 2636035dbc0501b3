import AIFSCore
import AIFSSearch
import AIFSTestSupport
import Foundation
import Testing

@testable import AIFSWork

@Suite struct BatchTests {
    func items(_ dir: TemporaryDirectory, _ names: [String]) -> [BatchItem] {
        names.map { BatchItem(path: dir.path($0)) }
    }

    @Test(.timeLimit(.minutes(1)))
    func hashCountAndStatInInputOrderWithPerFileErrors() async throws {
        let dir = try TemporaryDirectory()
        try dir.file("abc.txt", "abc")
        try dir.file("words.txt", "one two\n  three\tfour\nfive")
        try dir.file("empty.txt", "")
        let names = ["abc.txt", "missing.txt", "words.txt", "empty.txt"]
        var options = BatchOptions()
        options.workers = 3
        let (hashes, summary) = await BatchRunner.collect(items(dir, names), operation: .hash, options: options)
        #expect(hashes.map(\.index) == [0, 1, 2, 3])
        #expect(try hashes[0].outcome.get() == .digest("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", bytes: 3))
        #expect(try hashes[3].outcome.get() == .digest("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", bytes: 0))
        guard case .failure(let error) = hashes[1].outcome else { Issue.record("expected an error"); return }
        #expect(error.code == .notFound)
        #expect(summary.succeeded == 3 && summary.failed == 1 && summary.notTried == 0)

        let (counts, _) = await BatchRunner.collect(items(dir, ["words.txt", "abc.txt"]), operation: .count)
        #expect(try counts[0].outcome.get() == .counts(lines: 2, words: 5, bytes: 25))
        #expect(try counts[1].outcome.get() == .counts(lines: 0, words: 1, bytes: 3))

        let (stats, _) = await BatchRunner.collect(items(dir, ["abc.txt"]), operation: .stat)
        guard case .success(.status(let identity)) = stats[0].outcome else { Issue.record("expected a status"); return }
        #expect(identity.size == 3)
    }

    @Test(.timeLimit(.minutes(1)))
    func countSpansBufferBoundaries() async throws {
        let dir = try TemporaryDirectory()
        // Words straddle the 1 MiB buffer boundary.
        let text = String(repeating: "ab cd\n", count: 400_000)
        try dir.file("big.txt", text)
        let (counts, _) = await BatchRunner.collect(items(dir, ["big.txt"]), operation: .count)
        #expect(try counts[0].outcome.get() == .counts(lines: 400_000, words: 800_000, bytes: Int64(text.utf8.count)))
    }

    @Test(.timeLimit(.minutes(1)))
    func searchCountsMatchingLines() async throws {
        let dir = try TemporaryDirectory()
        try dir.file("a.txt", "TODO one\nnothing\nTODO two\n")
        try dir.file("b.txt", "none here\n")
        let matcher = try SearchQuery(patterns: ["TODO"]).makeMatcher()
        let (results, _) = await BatchRunner.collect(items(dir, ["a.txt", "b.txt"]), operation: .search(matcher))
        #expect(try results.map { try $0.outcome.get() } == [.matches(lines: 2, bytes: 26), .matches(lines: 0, bytes: 10)])
    }

    @Test(.timeLimit(.minutes(1)))
    func copyRefusesExistingDestinationsUnlessOverwriting() async throws {
        let dir = try TemporaryDirectory()
        try dir.file("src/a.txt", "a")
        try dir.file("src/b.txt", "b")
        try dir.file("out/b.txt", "old")
        chmod(dir.path("src/a.txt"), 0o604)
        let items = ["a.txt", "b.txt"].map { BatchItem(path: dir.path("src/" + $0), destination: dir.path("out/" + $0)) }
        let (first, summary) = await BatchRunner.collect(items, operation: .copy)
        #expect(try first[0].outcome.get() == .changed(destination: dir.path("out/a.txt"), dryRun: false))
        guard case .failure(let error) = first[1].outcome else { Issue.record("expected alreadyExists"); return }
        #expect(error.code == .alreadyExists)
        #expect(summary.failed == 1)
        #expect(read(dir.path("out/b.txt")) == "old")
        #expect(snapshot(dir.path("out"))["a.txt"] == "604:a")
        var options = BatchOptions()
        options.overwrite = true
        _ = await BatchRunner.collect(items, operation: .copy, options: options)
        #expect(read(dir.path("out/b.txt")) == "b")
    }

    @Test(.timeLimit(.minutes(1)))
    func dryRunsChangeNothing() async throws {
        let dir = try TemporaryDirectory()
        try dir.file("a.txt", "a")
        try dir.file("b.txt", "b")
        let before = snapshot(dir.path)
        var options = BatchOptions()
        options.dryRun = true
        let moves = [BatchItem(path: dir.path("a.txt"), destination: dir.path("moved/a.txt"))]
        let (moved, _) = await BatchRunner.collect(moves, operation: .move, options: options)
        #expect(try moved[0].outcome.get() == .changed(destination: dir.path("moved/a.txt"), dryRun: true))
        let (deleted, _) = await BatchRunner.collect(items(dir, ["a.txt", "nope"]), operation: .delete, options: options)
        #expect(try deleted[0].outcome.get() == .removed(dryRun: true))
        #expect((try? deleted[1].outcome.get()) == nil)
        let rule = try RenameRule(pattern: #"^(\w)\.txt$"#, replacement: "$1.md")
        let (renamed, _) = await BatchRunner.collect(items(dir, ["a.txt"]), operation: .rename(rule), options: options)
        #expect(try renamed[0].outcome.get() == .changed(destination: dir.path("a.md"), dryRun: true))
        #expect(snapshot(dir.path) == before)
    }

    @Test(.timeLimit(.minutes(1)))
    func moveDeleteAndRenameChangeTheTree() async throws {
        let dir = try TemporaryDirectory()
        try dir.file("report-2024.txt", "r")
        try dir.file("notes-2023.txt", "n")
        try dir.file("keep.md", "k")
        try dir.file("gone.txt", "g")
        let rule = try RenameRule(pattern: #"^(?<name>\w+)-(\d+)\.txt$"#, replacement: "$2-${name}.txt")
        let (renamed, _) = await BatchRunner.collect(items(dir, ["report-2024.txt", "notes-2023.txt", "keep.md"]), operation: .rename(rule))
        #expect(try renamed.map { try $0.outcome.get() } == [
            .changed(destination: dir.path("2024-report.txt"), dryRun: false),
            .changed(destination: dir.path("2023-notes.txt"), dryRun: false),
            .unchanged,
        ])
        let (moved, _) = await BatchRunner.collect([BatchItem(path: dir.path("keep.md"), destination: dir.path("sub/keep.md"))], operation: .move)
        #expect((try? moved[0].outcome.get()) != nil)
        _ = await BatchRunner.collect(items(dir, ["gone.txt"]), operation: .delete)
        #expect(Set(snapshot(dir.path).keys) == ["2024-report.txt", "2023-notes.txt", "sub/", "sub/keep.md"])
    }

    @Test func renameRulesParseAndValidate() throws {
        #expect(try RenameRule(pattern: "a", replacement: "$$x").rename("abc") == "$xbc")
        #expect(throws: WorkError.self) { try RenameRule(pattern: "(", replacement: "x") }
        #expect(throws: WorkError.self) { try RenameRule(pattern: "a", replacement: "${x") }
        #expect(throws: WorkError.self) { try RenameRule(pattern: "a", replacement: "$3").rename("a") }
        #expect(throws: WorkError.self) { try RenameRule(pattern: "a", replacement: "x/y").rename("a") }
        #expect(try RenameRule(pattern: "z", replacement: "y").rename("a") == nil)
    }

    /// The old plan's load test, for correctness: 10,000 reads at once all succeed, in
    /// order. How long they take is a benchmark's business (`scripts/bench batch`), not
    /// a test's: the machines are shared.
    @Test(.timeLimit(.minutes(1)))
    func tenThousandConcurrentReadsAllSucceed() async throws {
        let dir = try TemporaryDirectory()
        for i in 0..<100 { try dir.file("f\(i).txt", String(repeating: "line \(i)\n", count: 50)) }
        let items = (0..<10_000).map { BatchItem(path: dir.path("f\($0 % 100).txt")) }
        let (results, summary) = await BatchRunner.collect(items, operation: .count)
        #expect(results.count == 10_000)
        #expect(summary.failed == 0)
        #expect(results.map(\.index) == Array(0..<10_000))
        #expect(results.allSatisfy { (try? $0.outcome.get()) == .counts(lines: 50, words: 100, bytes: Int64(50 * "line \($0.index % 100)\n".utf8.count)) })
    }
}

@Suite struct CountCompatibilityTests {
    /// GNU wc in the C locale: bytes that are neither whitespace nor printable ASCII
    /// (UTF-8 sequences, controls) neither start nor end a word.
    @Test(.timeLimit(.minutes(1)))
    func wordsAreCountedAsWcCountsThemInTheCLocale() async throws {
        let dir = try TemporaryDirectory()
        try dir.file("mixed.txt", "a\u{01}b \u{80} c\ncafé  naïve \u{A0}x\n")
        let (results, _) = await BatchRunner.collect([BatchItem(path: dir.path("mixed.txt"))], operation: .count)
        // printf 'a\001b \302\200 c\ncafé  naïve \302\240x\n' | LC_ALL=C wc → 2 5 27
        #expect(try results[0].outcome.get() == .counts(lines: 2, words: 5, bytes: 27))
    }
}

@Suite struct BatchCancellationTests {
    @Test(.timeLimit(.minutes(1)))
    func cancellingTheTaskStopsTheBatchAndCountsWhatWasNotTried() async throws {
        let dir = try TemporaryDirectory()
        for i in 0..<50 { try dir.file("f\(i).txt", "x") }
        let items = (0..<5_000).map { BatchItem(path: dir.path("f\($0 % 50).txt")) }
        var options = BatchOptions()
        options.workers = 1
        var seen = 0
        let summary = await BatchRunner.run(items, operation: .hash, options: options) { result in
            seen += 1
            #expect(result.index == seen - 1)
            if seen == 10 { withUnsafeCurrentTask { $0?.cancel() } }
        }
        #expect(summary.notTried > 0)
        #expect(summary.succeeded + summary.failed + summary.notTried == 5_000)
        #expect(summary.succeeded == seen)
    }
}

@Suite struct BatchSpecialFileTests {
    /// A FIFO, a socket, a device or a directory named explicitly is an error for that
    /// file that names its kind, never a hang; the regular file beside them is read.
    @Test(.timeLimit(.minutes(1)))
    func specialFilesAreRefusedNotRead() async throws {
        let dir = try TemporaryDirectory()
        #expect(mkfifo(dir.path("pipe"), 0o600) == 0)
        let socket = try UnixSocket(path: dir.path("socket"))
        defer { socket.close() }
        try dir.file("ok.txt", "ok\n")
        try dir.directory("folder")
        let items = [dir.path("pipe"), dir.path("socket"), "/dev/zero", dir.path("folder"), dir.path("ok.txt")].map { BatchItem(path: $0) }
        for operation in [BatchOperation.hash, .count, .search(try SearchQuery(patterns: ["ok"]).makeMatcher())] {
            let (results, summary) = await BatchRunner.collect(items, operation: operation)
            #expect(summary.failed == 4 && summary.succeeded == 1, "\(operation.name)")
            let messages = results.prefix(4).map { result -> String in
                guard case .failure(let error) = result.outcome else { return "no error" }
                #expect(error.code == .invalidArgument)
                return error.message
            }
            for (index, message) in messages.enumerated() {
                let kind = index == 3 ? "it is a directory, not a regular file" : "it is a special file (FIFO, socket or device), not a regular file"
                #expect(message == "cannot read '\(items[index].path)': \(kind)", "\(operation.name)")
            }
            guard case .success = results[4].outcome else { Issue.record("\(operation.name): ok.txt failed"); continue }
        }
    }

    /// A listening AF_UNIX socket bound at a path.
    struct UnixSocket {
        let descriptor: CInt

        init(path: String) throws {
            descriptor = Glibc.socket(AF_UNIX, CInt(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            let capacity = MemoryLayout.size(ofValue: address.sun_path)
            guard bytes.count < capacity else { throw POSIXError(.ENAMETOOLONG) }
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard bound == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        }

        func close() { _ = Glibc.close(descriptor) }
    }
}

@Suite struct CrossFileSystemTests {
    /// /dev/shm is a tmpfs on Linux machines; the test runs where it is another file
    /// system than the temporary directory.
    static var otherFileSystem: String? {
        guard let shm = try? FileIdentity(path: "/dev/shm"), let tmp = try? FileIdentity(path: "/tmp"),
              shm.device != tmp.device, access("/dev/shm", W_OK) == 0
        else { return nil }
        return "/dev/shm"
    }

    @Test(.timeLimit(.minutes(1)), .enabled(if: otherFileSystem != nil))
    func moveAcrossFileSystemsCopiesThenRemoves() async throws {
        let dir = try TemporaryDirectory()
        try dir.file("a.txt", "across\n")
        chmod(dir.path("a.txt"), 0o640)
        let target = "\(Self.otherFileSystem!)/aifs-move-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: target) }
        let items = [BatchItem(path: dir.path("a.txt"), destination: target + "/sub/a.txt")]
        let (results, _) = await BatchRunner.collect(items, operation: .move)
        #expect(try results[0].outcome.get() == .changed(destination: target + "/sub/a.txt", dryRun: false))
        #expect(!FileManager.default.fileExists(atPath: dir.path("a.txt")))
        #expect(read(target + "/sub/a.txt") == "across\n")
        #expect(snapshot(target + "/sub")["a.txt"]?.hasPrefix("640:") == true)
        // And back, onto an existing file: refused without overwrite, done with it.
        try dir.file("a.txt", "newer\n")
        let back = [BatchItem(path: target + "/sub/a.txt", destination: dir.path("a.txt"))]
        let (refused, _) = await BatchRunner.collect(back, operation: .move)
        #expect((try? refused[0].outcome.get()) == nil)
        var options = BatchOptions()
        options.overwrite = true
        let (moved, _) = await BatchRunner.collect(back, operation: .move, options: options)
        #expect((try? moved[0].outcome.get()) != nil)
        #expect(read(dir.path("a.txt")) == "across\n")
    }

    @Test(.timeLimit(.minutes(1)), .enabled(if: otherFileSystem != nil))
    func aTransactionMovesAcrossFileSystemsAndRollsBack() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.file("a.txt", "a\n")
        let target = "\(Self.otherFileSystem!)/aifs-txn-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).txt"
        defer { try? FileManager.default.removeItem(atPath: target) }
        var options = TransactionOptions()
        options.stateDirectory = state.path
        options._failOperation = 2
        let transaction = Transaction(operations: [
            .init(type: .move, path: dir.path("a.txt"), destination: target),
            .init(type: .write, path: dir.path("b.txt"), content: "b"),
        ])
        #expect(throws: WorkError.self) { try TransactionRunner.run(transaction, options: options) }
        #expect(read(dir.path("a.txt")) == "a\n")
        #expect(!FileManager.default.fileExists(atPath: target))
        options._failOperation = nil
        _ = try TransactionRunner.run(transaction, options: options)
        #expect(read(target) == "a\n")
        #expect(!FileManager.default.fileExists(atPath: dir.path("a.txt")))
    }
}

@Suite struct BatchVanishedFileTests {
    /// A file the walk found but another process removed before its turn is not a
    /// typo: the message says what happened (issue 15, defect 9). A path the user
    /// named that does not exist still says to check it.
    @Test(.timeLimit(.minutes(1)))
    func issue15_aFileThatVanishedMidBatchSaysSo() async throws {
        let dir = try TemporaryDirectory()
        let items = [
            BatchItem(path: dir.path("vanished.txt"), foundByWalk: true),
            BatchItem(path: dir.path("typo.txt")),
        ]
        var messages: [String] = []
        _ = await BatchRunner.run(items, operation: .hash, options: BatchOptions()) { result in
            if case .failure(let error) = result.outcome { messages.append(error.message) }
        }
        #expect(messages.count == 2)
        #expect(messages.first?.contains("it was found by the walk but is gone now (removed or moved by another process while the batch ran)") == true)
        #expect(messages.first?.contains("typos") == false)
        #expect(messages.last?.contains("typos") == true)
    }
}
