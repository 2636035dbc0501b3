import AIFSTestSupport
import Foundation
import Glibc
import Testing

/// Runs `aifs` with extra environment variables (a private state directory, test
/// hooks) and standard input from a string.
func runAIFS(
    _ arguments: [String], in directory: String, environment: [String: String] = [:], input: String? = nil
) throws -> (result: CommandResult, reason: Process.TerminationReason) {
    try runProgram(AIFS.executable, arguments, in: directory, environment: environment, input: input)
}

/// Runs `executable` with `arguments` in `directory`, with standard input from
/// `input` (or /dev/null), and collects its output and how it ended.
func runProgram(
    _ executable: String, _ arguments: [String], in directory: String, environment: [String: String] = [:],
    input: String? = nil
) throws -> (result: CommandResult, reason: Process.TerminationReason) {
    let base = NSTemporaryDirectory() + "aifs-e2e-batch-\(getpid())-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
    _ = FileManager.default.createFile(atPath: base + ".in", contents: Data((input ?? "").utf8))
    defer {
        for suffix in [".out", ".err", ".in"] { try? FileManager.default.removeItem(atPath: base + suffix) }
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardInput = input == nil ? FileHandle.nullDevice : FileHandle(forReadingAtPath: base + ".in")
    process.standardOutput = FileHandle(forWritingAtPath: base + ".out")
    process.standardError = FileHandle(forWritingAtPath: base + ".err")
    try ChildProcesses.locked { try process.run() }
    process.waitUntilExit()
    let out = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
    let err = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
    return (CommandResult(stdout: out, stderr: err, status: process.terminationStatus), process.terminationReason)
}

/// Every file under a directory with its contents, to prove a tree unchanged.
func treeContents(_ directory: String) -> [String: String] {
    var result: [String: String] = [:]
    guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return result }
    for case let relative as String in enumerator {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: directory + "/" + relative, isDirectory: &isDirectory)
        result[relative] = isDirectory.boolValue ? "<dir>" : (try? String(contentsOfFile: directory + "/" + relative, encoding: .utf8)) ?? "<?>"
    }
    return result
}

@Suite struct BatchCommandTests {
    @Test(.timeLimit(.minutes(1)))
    func hashPrintsWhatSha256sumPrintsInPathOrder() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["b.txt": "bee\n", "a.txt": "abc", "sub/c.txt": "", "ignored.log": "x", ".gitignore": "*.log\n", ".git/": ""])
        let (result, _) = try runAIFS(["batch", "hash", "-j", "3"], in: dir.path)
        #expect(result.status == 0, "\(result)")
        #expect(result.lines == [
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a.txt",
            "\(sha256("bee\n"))  b.txt",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  sub/c.txt",
        ])
        if let tool = Process.which("sha256sum") {
            let peer = try Process.capture(tool, ["a.txt", "b.txt", "sub/c.txt"], in: dir.path)
            #expect(peer.lines == result.lines)
        }
    }

    /// Sizes around the 1 MiB read buffer: a file read in one short read, one that
    /// fills the buffer exactly, one a byte over; digests and counts as sha256sum and wc
    /// give them.
    @Test(.timeLimit(.minutes(1)))
    func filesAroundTheReadBufferSizeHashAndCountAsThePeersDo() throws {
        let dir = try TemporaryDirectory()
        var random = SplitMix64(seed: 7)
        let words: [[UInt8]] = ["alpha", "be", "\n", " ", "\t", "gamma\n", "  "].map { Array($0.utf8) }
        let megabyte = 1 << 20
        let sizes = [0, 1, megabyte - 1, megabyte, megabyte + 1, 3 * megabyte + 5]
        var names: [String] = []
        for (index, size) in sizes.enumerated() {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(size + 8)
            while bytes.count < size { bytes += words[random.next(upTo: words.count)] }
            let name = "f\(index).txt"
            try Data(bytes.prefix(size)).write(to: URL(fileURLWithPath: dir.path(name)))
            names.append(name)
        }
        let (hash, _) = try runAIFS(["batch", "hash", "--no-progress"] + names, in: dir.path)
        #expect(hash.status == 0, "\(hash)")
        let sha256sum = try Process.capture(try #require(Process.which("sha256sum")), names, in: dir.path)
        #expect(hash.lines == sha256sum.lines)
        let (count, _) = try runAIFS(["batch", "count", "--no-progress"] + names, in: dir.path)
        #expect(count.status == 0, "\(count)")
        let wc = try Process.capture(try #require(Process.which("wc")), names, in: dir.path)
        let wcLines = wc.lines.dropLast().map { $0.split(separator: " ").joined(separator: " ") }
        #expect(count.lines == Array(wcLines))
    }

    /// A name with a newline must not split its line: `hash` escapes names as
    /// `sha256sum` does (and `sha256sum -c` reads them back), `count` quotes names with a
    /// newline as `wc` does.
    @Test(.timeLimit(.minutes(1)))
    func namesWithNewlinesAndBackslashesAreWrittenAsTheCoreutilsWriteThem() throws {
        let dir = try TemporaryDirectory()
        let names = ["a\nb", "back\\slash", "carriage\rreturn", "it's\nx", "t\tb\nc", "\u{1}\n", "plain.txt"]
        for name in names { try Data("one two\n".utf8).write(to: URL(fileURLWithPath: dir.path(name))) }
        let (hash, _) = try runAIFS(["batch", "hash", "--no-progress"] + names, in: dir.path)
        #expect(hash.status == 0, "\(hash)")
        #expect(hash.lines.count == names.count, "one line per file: \(hash.stdout)")
        let sha256sum = try Process.capture(try #require(Process.which("sha256sum")), names, in: dir.path)
        #expect(hash.stdout == sha256sum.stdout)
        try Data(hash.stdout.utf8).write(to: URL(fileURLWithPath: dir.path("sums")))
        let check = try Process.capture(try #require(Process.which("sha256sum")), ["-c", "sums"], in: dir.path)
        #expect(check.status == 0, "\(check)")

        let (count, _) = try runAIFS(["batch", "count", "--no-progress"] + names, in: dir.path)
        #expect(count.status == 0, "\(count)")
        let wc = try Process.capture(try #require(Process.which("wc")), names, in: dir.path)
        // wc pads its numbers into columns; aifs writes them with one space.
        let wcLines = wc.lines.dropLast().map { line -> String in
            let fields = line.drop { $0 == " " }.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
            return fields.prefix(3).joined(separator: " ") + " " + String(fields.last ?? "")
        }
        #expect(count.lines == Array(wcLines))
        #expect(count.lines.first == "1 2 8 'a'$'\\n''b'")
    }

    func sha256(_ text: String) -> String {
        // "bee\n", computed with sha256sum once.
        text == "bee\n" ? "c150e5a8a604acebd8d15bd7bf8ea96b2874bdcc91dee6319977d353251283b0" : ""
    }

    @Test(.timeLimit(.minutes(1)))
    func unreadableAndMissingFilesAreErrorsAndTheBatchGoesOn() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["a.txt": "one two\n", "b.txt": "three\n"])
        let (result, _) = try runAIFS(["batch", "count", "--json", "a.txt", "missing.txt", "b.txt"], in: dir.path)
        #expect(result.status == 1, "\(result)")
        let records = result.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(records.count == 4)
        #expect(records.first?["type"] as? String == "error")
        #expect(records[1]["path"] as? String == "a.txt" && records[1]["words"] as? Int == 2)
        #expect(records[2]["path"] as? String == "b.txt" && records[2]["lines"] as? Int == 1)
        #expect(records[3]["type"] as? String == "summary" && records[3]["failed"] as? Int == 1 && records[3]["succeeded"] as? Int == 2)
        #expect(records[3]["total"] as? Int == 3)
        // The text summary counts the missing file among the batch's files too.
        let (text, _) = try runAIFS(["batch", "count", "--no-progress", "a.txt", "missing.txt", "b.txt"], in: dir.path)
        #expect(text.status == 1, "\(text)")
        #expect(text.stdout == "1 2 8 a.txt\n1 1 6 b.txt\n")
        #expect(text.stderr.contains("cannot read 'missing.txt': no such file or directory"), "\(text)")
        #expect(text.stderr.contains("count: 3 files, 2 ok, 1 failed;"), "\(text)")
    }

    /// Files go to the workers while the walk still runs; the output is still in path
    /// order, the walk's errors first, one result per file.
    @Test(.timeLimit(.minutes(1)))
    func manyFilesOnSeveralWorkersComeOutInPathOrder() throws {
        let dir = try TemporaryDirectory()
        var tree: [String: String] = [:]
        for d in ["q", "b", "b.c", "k"] {
            for f in 0..<80 { tree["\(d)/\((f * 31) % 80).txt"] = "\(d) \(f)\n" }
        }
        tree["b/c"] = "bc\n"
        try dir.tree(tree)
        let (result, _) = try runAIFS(["batch", "count", "--json", "-j", "2", ".", "missing"], in: dir.path)
        #expect(result.status == 1, "\(result)")
        let records = result.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(records.count == 1 + tree.count + 1)
        #expect(records.first?["type"] as? String == "error" && records.first?["path"] as? String == "missing")
        let results = records.filter { $0["type"] as? String == "result" }
        #expect(results.compactMap { $0["index"] as? Int } == Array(0..<tree.count))
        // Path order compares components: "./b/c" before "./b.c/…".
        let expected = tree.keys.map { "./" + $0 }.sorted {
            $0.split(separator: "/").lexicographicallyPrecedes($1.split(separator: "/")) { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }
        #expect(results.compactMap { $0["path"] as? String } == expected)
        #expect(results.allSatisfy { $0["ok"] as? Bool == true && $0["lines"] as? Int == 1 })
        #expect(records.last?["type"] as? String == "summary" && records.last?["succeeded"] as? Int == tree.count)
    }

    /// The records of the rarer operations (stat, delete, rename), as text lines and
    /// JSON Lines, from the one batch formatter.
    @Test(.timeLimit(.minutes(1)))
    func statDeleteAndRenameRecords() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["d/a.txt": "abc", "d/keep.md": "k"])
        var status = stat()
        #expect(lstat(dir.path("d/a.txt"), &status) == 0)
        let mode = String(status.st_mode & 0o7777, radix: 8)
        let (statText, _) = try runAIFS(["batch", "stat", "d/a.txt"], in: dir.path)
        #expect(statText.status == 0, "\(statText)")
        #expect(statText.lines == ["file 3 \(mode) \(status.st_mtim.tv_sec) d/a.txt"])
        let (statJSON, _) = try runAIFS(["batch", "stat", "--json", "d/a.txt"], in: dir.path)
        let record = try #require(statJSON.lines.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(record["kind"] as? String == "file" && record["size"] as? Int == 3)
        #expect(record["mode"] as? String == mode)
        #expect(record["inode"] as? UInt64 == UInt64(status.st_ino) && record["ok"] as? Bool == true)

        let (dryDelete, _) = try runAIFS(["batch", "delete", "--dry-run", "d"], in: dir.path)
        #expect(dryDelete.lines == ["would delete d/a.txt", "would delete d/keep.md"])
        let (rename, _) = try runAIFS(["batch", "rename", "--json", "--dry-run", "\\.txt$", ".text", "d"], in: dir.path)
        let renames = rename.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(renames.first?["destination"] as? String == "d/a.text" && renames.first?["dryRun"] as? Bool == true)
        #expect(renames.dropFirst().first?["unchanged"] as? Bool == true)
        let (delete, _) = try runAIFS(["batch", "delete", "--json", "d/keep.md"], in: dir.path)
        let deleted = delete.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(deleted.first?["removed"] as? Bool == true && deleted.first?["dryRun"] as? Bool == false)
        #expect(!FileManager.default.fileExists(atPath: dir.path("d/keep.md")))
    }

    @Test(.timeLimit(.minutes(1)))
    func copyRefusesExistingDestinationsAndDryRunChangesNothing() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["src/a.txt": "a", "src/deep/b.txt": "b", "out/a.txt": "old"])
        let before = treeContents(dir.path)
        let (dry, _) = try runAIFS(["batch", "copy", "--dry-run", "--overwrite", "--to", "out", "src"], in: dir.path)
        #expect(dry.status == 0, "\(dry)")
        #expect(dry.lines == ["would copy src/a.txt -> out/a.txt", "would copy src/deep/b.txt -> out/deep/b.txt"])
        #expect(treeContents(dir.path) == before)
        let (copy, _) = try runAIFS(["batch", "copy", "--to", "out", "src"], in: dir.path)
        #expect(copy.status == 1, "\(copy)")
        #expect(copy.stderr.contains("already exists"))
        #expect(treeContents(dir.path)["out/a.txt"] == "old")
        #expect(treeContents(dir.path)["out/deep/b.txt"] == "b")
        let (overwrite, _) = try runAIFS(["batch", "copy", "--overwrite", "--to", "out", "src"], in: dir.path)
        #expect(overwrite.status == 0, "\(overwrite)")
        #expect(treeContents(dir.path)["out/a.txt"] == "a")
    }

    @Test(.timeLimit(.minutes(1)))
    func renameMoveAndDelete() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["img/photo-1.jpeg": "1", "img/photo-2.jpeg": "2", "tmp/x.tmp": "x"])
        let (rename, _) = try runAIFS(["batch", "rename", #"^(.*)\.jpeg$"#, "$1.jpg", "img"], in: dir.path)
        #expect(rename.status == 0, "\(rename)")
        let (move, _) = try runAIFS(["batch", "move", "--to", "archive", "img"], in: dir.path)
        #expect(move.status == 0, "\(move)")
        let (delete, _) = try runAIFS(["batch", "delete", "tmp"], in: dir.path)
        #expect(delete.status == 0, "\(delete)")
        #expect(treeContents(dir.path) == ["archive": "<dir>", "archive/photo-1.jpg": "1", "archive/photo-2.jpg": "2", "img": "<dir>", "tmp": "<dir>"])
    }

    @Test(.timeLimit(.minutes(1)))
    func pathsCanComeFromStandardInputInTheOrderGiven() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["a.txt": "a\n", "b.txt": "b b\n", "c.txt": ""])
        let (lines, _) = try runAIFS(["batch", "count", "--files-from", "-"], in: dir.path, input: "c.txt\na.txt\n\nb.txt\n")
        #expect(lines.status == 0, "\(lines)")
        #expect(lines.lines == ["0 0 0 c.txt", "1 1 2 a.txt", "1 2 4 b.txt"])
        let (nul, _) = try runAIFS(["batch", "count", "-0", "--files-from", "-", "a.txt"], in: dir.path, input: "b.txt\u{0}missing.txt\u{0}")
        #expect(nul.status == 1, "\(nul)")
        #expect(nul.lines == ["1 1 2 a.txt", "1 2 4 b.txt"])
        #expect(nul.stderr.contains("missing.txt"))
    }

    @Test(.timeLimit(.minutes(1)))
    func searchCountsMatchingLinesPerFile() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["a.txt": "TODO\nno\nTODO later\n", "b.txt": "nothing\n"])
        let (result, _) = try runAIFS(["batch", "search", "TODO"], in: dir.path)
        #expect(result.status == 0, "\(result)")
        #expect(result.lines == ["a.txt:2"])
        let (none, _) = try runAIFS(["batch", "search", "absent"], in: dir.path)
        #expect(none.status == 1)
    }

    /// A file with a line no regex engine decides gets no count that may be wrong: it
    /// fails, naming the line. https://github.com/aifs/aifs/issues/15 (defect 7)
    @Test(.timeLimit(.minutes(1)))
    func issue15_searchFailsAFileWithAnUndecidedLine() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["a.txt": "first b\n\(String(repeating: "a", count: 30))b\n", "b.txt": "b\n"])
        let (result, _) = try runAIFS(["batch", "search", #"(a+)+\1$|b$"#], in: dir.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.lines == ["b.txt:1"])
        #expect(result.stderr.contains("a.txt: the line at byte offset 8: the regex engine gave up"), "\(result)")
        // The DFA decides the same line without the backreference.
        let (decided, _) = try runAIFS(["batch", "search", "(a+)+$|b$"], in: dir.path)
        #expect(decided.lines == ["a.txt:2", "b.txt:1"])
    }
}

@Suite struct ApplyCommandTests {
    @Test(.timeLimit(.minutes(1)))
    func appliesFromStandardInput() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.tree(["a.txt": "hello world\n"])
        let json = #"{"operations": [{"type": "update", "path": "a.txt", "updates": [{"oldText": "world", "newText": "there"}]}, {"type": "create", "path": "n/b.txt", "content": "b"}]}"#
        let (result, _) = try runAIFS(["apply", "-"], in: dir.path, environment: ["AIFS_STATE_DIR": state.path], input: json)
        #expect(result.status == 0, "\(result)")
        #expect(treeContents(dir.path) == ["a.txt": "hello there\n", "n": "<dir>", "n/b.txt": "b"])
    }

    @Test(.timeLimit(.minutes(1)))
    func malformedAndFailingTransactionsApplyNothing() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.tree(["a.txt": "x\nx\n"])
        let before = treeContents(dir.path)
        let environment = ["AIFS_STATE_DIR": state.path]
        let (malformed, _) = try runAIFS(["apply", "-"], in: dir.path, environment: environment, input: #"{"operations": [{"type": "write", "path": "b.txt""#)
        #expect(malformed.status == 2, "\(malformed)")
        #expect(malformed.stderr.contains("invalid transaction") && malformed.stderr.contains("nothing was applied"))
        let ambiguous = #"{"operations": [{"type": "write", "path": "b.txt", "content": "b"}, {"type": "update", "path": "a.txt", "updates": [{"oldText": "x", "newText": "y"}]}]}"#
        let (failing, _) = try runAIFS(["apply", "-"], in: dir.path, environment: environment, input: ambiguous)
        #expect(failing.status == 1, "\(failing)")
        #expect(failing.stderr.contains("operation 2 of 2") && failing.stderr.contains("occurs 2 times (on lines 1, 2)"))
        #expect(treeContents(dir.path) == before)
    }

    /// kill -9 in the middle of a transaction, then recovery when aifs next starts.
    @Test(.timeLimit(.minutes(1)))
    func aTransactionKilledMidwayIsRolledBackAtTheNextStart() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.tree(["a.txt": "original a\n", "b.txt": "original b\n", "c.txt": "original c\n"])
        let before = treeContents(dir.path)
        let json = """
            {"operations": [
              {"type": "write", "path": "a.txt", "content": "changed a\\n"},
              {"type": "delete", "path": "b.txt"},
              {"type": "move", "path": "c.txt", "destination": "moved/c.txt"},
              {"type": "create", "path": "new.txt", "content": "new\\n"}
            ]}
            """
        let environment = ["AIFS_STATE_DIR": state.path]
        let (killed, reason) = try runAIFS(
            ["apply", "-"], in: dir.path, environment: environment.merging(["AIFS_TEST_KILL_AFTER_OPERATIONS": "2"]) { $1 }, input: json)
        #expect(reason == .uncaughtSignal && killed.status == 9, "\(killed)")
        // Half applied: a.txt changed, b.txt gone, the rest not yet.
        #expect(treeContents(dir.path) == ["a.txt": "changed a\n", "c.txt": "original c\n"])
        let (next, _) = try runAIFS(["files", "--sort", "path"], in: dir.path, environment: environment)
        #expect(next.stderr.contains("rolled back a transaction"), "\(next)")
        #expect(treeContents(dir.path) == before)
        #expect(treeContents(state.path + "/transactions").isEmpty)
    }
}
