import AIFSTestSupport
import Foundation
import Testing

/// `aifs watch` as a process: JSON lines on stdout as things change, clean exit on
/// SIGINT and SIGTERM.
@Suite struct WatchCommandTests {
    /// A running `aifs watch` whose stdout goes to a file the test polls, with a deadline.
    final class RunningWatch {
        let process = Process()
        let output: String
        let errorOutput: String

        /// Starts `aifs watch --json arguments…`, through `launcher` (a program and its
        /// arguments that ends by running the rest of its command line) when given.
        init(_ arguments: [String], in directory: String, launcher: [String] = []) throws {
            output = directory + "/../watch-output-\(UUID().uuidString).jsonl"
            errorOutput = output + ".err"
            _ = FileManager.default.createFile(atPath: output, contents: nil)
            _ = FileManager.default.createFile(atPath: errorOutput, contents: nil)
            let command = launcher + [AIFS.executable, "watch", "--json"] + arguments
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle(forWritingAtPath: output)
            process.standardError = FileHandle(forWritingAtPath: errorOutput)
            try ChildProcesses.locked { try process.run() }
        }

        deinit {
            if process.isRunning { process.terminate() }
            try? FileManager.default.removeItem(atPath: output)
            try? FileManager.default.removeItem(atPath: errorOutput)
        }

        /// What it wrote to stderr so far.
        var standardError: String { (try? String(contentsOfFile: errorOutput, encoding: .utf8)) ?? "" }

        var events: [[String: Any]] {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        /// Waits until an event matching `predicate` was printed, or fails at the deadline.
        @discardableResult
        func waitFor(_ what: String, within seconds: Double = 10, _ predicate: ([String: Any]) -> Bool) -> [String: Any]? {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if let found = events.first(where: predicate) { return found }
                usleep(2_000)  // polling a file with a deadline, not sleeping to synchronise
            }
            Issue.record("no \(what) event within \(seconds) s; got \(events)")
            return nil
        }

        func exitStatus(within seconds: Double = 10) -> Int32? {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { usleep(2_000) }
            return process.isRunning ? nil : process.terminationStatus
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func printsChangesAsJSONLinesAndStopsOnSignals() throws {
        let dir = try TemporaryDirectory()
        let root = try dir.directory("root")
        try dir.file("root/existing.txt", "x")
        let watch = try RunningWatch(["root"], in: dir.path)
        let ready = watch.waitFor("ready") { $0["event"] as? String == "ready" }
        #expect(ready?["watches"] as? Int == 1)
        #expect((ready?["backends"] as? [String: String])?[root] == "inotify")
        #expect(watch.events.contains { $0["event"] as? String == "add" && $0["path"] as? String == root + "/existing.txt" })

        try dir.file("root/new.txt", "hello")
        watch.waitFor("add") { $0["event"] as? String == "add" && $0["path"] as? String == root + "/new.txt" }
        try FileManager.default.moveItem(atPath: root + "/new.txt", toPath: root + "/renamed.txt")
        let rename = watch.waitFor("rename") { $0["event"] as? String == "rename" }
        #expect(rename?["from"] as? String == root + "/new.txt")
        #expect(rename?["path"] as? String == root + "/renamed.txt")
        #expect((rename?["time"] as? Int ?? 0) > 1_700_000_000_000_000_000)

        watch.process.interrupt()
        #expect(watch.exitStatus() == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func sigtermEndsCleanly() throws {
        let dir = try TemporaryDirectory()
        try dir.directory("root")
        let watch = try RunningWatch(["--ignore-initial", "root"], in: dir.path)
        watch.waitFor("ready") { $0["event"] as? String == "ready" }
        watch.process.terminate()
        #expect(watch.exitStatus() == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func removingTheRootEndsTheWatch() throws {
        let dir = try TemporaryDirectory()
        let root = try dir.directory("root")
        let watch = try RunningWatch(["root"], in: dir.path)
        watch.waitFor("ready") { $0["event"] as? String == "ready" }
        try FileManager.default.removeItem(atPath: root)
        watch.waitFor("unlinkDir") { $0["event"] as? String == "unlinkDir" && $0["path"] as? String == root }
        #expect(watch.exitStatus() == 0)
    }

    /// The path of util-linux's `unshare` when it can make a user namespace here with
    /// `option`; `nil` otherwise (the caller skips: unprivileged user namespaces may be
    /// turned off).
    private func unshareIfAllowed(_ option: String) throws -> String? {
        guard let unshare = Process.which("unshare") else {
            print("skipped: util-linux's unshare is not installed")
            return nil
        }
        guard try Process.capture(unshare, [option, "true"], in: "/").status == 0 else {
            print("skipped: unprivileged user namespaces are not available here")
            return nil
        }
        return unshare
    }

    /// The real kernel's watch limit, lowered for this one process: in a user namespace
    /// of its own, `user.max_inotify_watches` is the namespace's limit and can be set
    /// without touching the machine's. Past it, one `error` names the limit, the
    /// directories without a watch are polled, and changes everywhere are still
    /// reported. Skipped where unprivileged user namespaces are not allowed.
    @Test(.timeLimit(.minutes(1)))
    func pastTheRealWatchLimitDirectoriesArePolled() throws {
        guard let unshare = try unshareIfAllowed("-Ur") else { return }
        let dir = try TemporaryDirectory()
        try dir.directory("root")
        let names = (0..<6).map { "d\($0)" }
        for name in names { try dir.directory("root/" + name) }
        // Three watches in the namespace: the watcher's stop pipe and two directories.
        let launcher = [unshare, "-Ur", "sh", "-c", "echo 3 > /proc/sys/user/max_inotify_watches && exec \"$@\"", "sh"]
        let watch = try RunningWatch(["--ignore-initial", "root"], in: dir.path, launcher: launcher)
        let ready = watch.waitFor("ready") { $0["event"] as? String == "ready" }
        #expect((ready?["watches"] as? Int ?? 99) < names.count + 1)
        let errors = watch.events.filter { $0["event"] as? String == "error" }
        #expect(errors.count == 1, "one error for the whole watch: \(errors)")
        let message = errors.first?["message"] as? String ?? ""
        #expect(message.contains("user.max_inotify_watches is 3 in this user namespace"), "\(message)")
        #expect(message.contains("polled"), "\(message)")
        for name in names {
            let file = try dir.file("root/\(name)/new.txt", "n")
            watch.waitFor("add in \(name)") { $0["event"] as? String == "add" && $0["path"] as? String == file }
        }
        watch.process.terminate()
        #expect(watch.exitStatus() == 0)
    }

    /// `aifs stats` shows a user namespace's own inotify limits beside the host's.
    @Test func statsShowsTheUserNamespacesWatchLimit() throws {
        guard let unshare = try unshareIfAllowed("-Ur") else { return }
        let dir = try TemporaryDirectory()
        let result = try Process.capture(
            unshare, ["-Ur", "sh", "-c", "echo 3 > /proc/sys/user/max_inotify_watches && exec \"$@\"", "sh", AIFS.executable, "stats"],
            in: dir.path)
        #expect(result.status == 0, "\(result)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let watch = try #require(object["watch"] as? [String: Any])
        #expect(watch["namespaceMaxInotifyWatches"] as? Int == 3, "\(watch)")
        #expect((watch["maxUserWatches"] as? Int ?? 0) > 3, "\(watch)")
    }

    /// A directory the watcher may not read, for real even when the tests run as root:
    /// `aifs watch` runs in a user namespace of its own without an id mapping, as
    /// nobody, where a `chmod 000` directory is closed to it. One `error` names the
    /// directory, and the rest of the tree is still watched.
    @Test(.timeLimit(.minutes(1)))
    func anUnreadableDirectoryIsAnErrorAndWatchingGoesOn() throws {
        guard let unshare = try unshareIfAllowed("-U") else { return }
        // Not under /tmp/aifs-tests, which is 0700: nobody must reach this tree.
        let base = "/tmp/aifs-e2e-nobody-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: base + "/root/open", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: base + "/root/locked", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: base + "/root/locked/secret.txt", contents: Data())
        for directory in [base, base + "/root", base + "/root/open"] { chmod(directory, 0o755) }
        chmod(base + "/root/locked", 0)
        defer {
            chmod(base + "/root/locked", 0o755)
            try? FileManager.default.removeItem(atPath: base)
        }
        let root = base + "/root"
        let watch = try RunningWatch(["root"], in: base, launcher: [unshare, "-U"])
        watch.waitFor("ready") { $0["event"] as? String == "ready" }
        let error = watch.waitFor("error") { $0["event"] as? String == "error" }
        #expect(error?["path"] as? String == root + "/locked")
        let message = error?["message"] as? String ?? ""
        #expect(message.contains("permission denied"), "\(message)")
        #expect(!watch.events.contains { ($0["path"] as? String ?? "").hasSuffix("secret.txt") })
        // A plain create (Foundation's createFile writes a temporary file and renames it).
        close(open(root + "/open/fine.txt", O_WRONLY | O_CREAT, 0o644))
        watch.waitFor("add") { $0["event"] as? String == "add" && $0["path"] as? String == root + "/open/fine.txt" }
        watch.process.terminate()
        #expect(watch.exitStatus() == 0)
    }

    @Test func missingPathExitsTwo() throws {
        let dir = try TemporaryDirectory()
        let result = try AIFS.run(["watch", "nope"], in: dir.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("nope"))
        #expect(try AIFS.run(["watch"], in: dir.path).status == 2)
    }

    // MARK: - Flags (issue #4)

    @Test(.timeLimit(.minutes(1)))
    func pollWithAndWithoutAValue() throws {
        let dir = try TemporaryDirectory()
        let root = try dir.directory("root")
        for flag in ["--poll", "--poll=20"] {
            let watch = try RunningWatch([flag, "root"], in: dir.path)
            let ready = watch.waitFor("ready") { $0["event"] as? String == "ready" }
            #expect((ready?["backends"] as? [String: String])?[root] == "polling")
            #expect(ready?["watches"] as? Int == 0)
            let file = root + "/polled-\(flag.count).txt"
            try dir.file("root/polled-\(flag.count).txt", "p")
            watch.waitFor("add") { $0["event"] as? String == "add" && $0["path"] as? String == file }
            watch.process.terminate()
            #expect(watch.exitStatus() == 0)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func noAtomicReportsUnlinkAndAddWhileTheDefaultReportsAChange() throws {
        let dir = try TemporaryDirectory()
        let root = try dir.directory("root")
        let file = try dir.file("root/doc.txt", "v1")
        let atomic = try RunningWatch(["--ignore-initial", "root"], in: dir.path)
        let plain = try RunningWatch(["--ignore-initial", "--no-atomic", "root"], in: dir.path)
        atomic.waitFor("ready") { $0["event"] as? String == "ready" }
        plain.waitFor("ready") { $0["event"] as? String == "ready" }
        try FileManager.default.removeItem(atPath: file)
        try dir.file("root/doc.txt", "v2")
        plain.waitFor("unlink") { $0["event"] as? String == "unlink" && $0["path"] as? String == file }
        plain.waitFor("add") { $0["event"] as? String == "add" && $0["path"] as? String == file }
        atomic.waitFor("change") { $0["event"] as? String == "change" && $0["path"] as? String == file }
        // The cookie: once it is reported, the atomic watch has shown everything before it.
        try dir.file("root/cookie", "")
        atomic.waitFor("cookie") { $0["path"] as? String == root + "/cookie" }
        #expect(!atomic.events.contains { $0["event"] as? String == "unlink" })
    }

    /// Issue 19: an editor's atomic save (a temporary file renamed over the target) is a
    /// `change` of the target, as chokidar users expect; with `--no-atomic` it is the
    /// temporary file's add and its rename.
    @Test(.timeLimit(.minutes(1)))
    func issue19_anAtomicSaveIsAChangeOfTheTarget() throws {
        let dir = try TemporaryDirectory()
        let root = try dir.directory("root")
        let file = try dir.file("root/doc.txt", "v1")
        let atomic = try RunningWatch(["--ignore-initial", "root"], in: dir.path)
        let plain = try RunningWatch(["--ignore-initial", "--no-atomic", "root"], in: dir.path)
        atomic.waitFor("ready") { $0["event"] as? String == "ready" }
        plain.waitFor("ready") { $0["event"] as? String == "ready" }
        try dir.file("root/.doc.txt.swp", "v2")
        guard rename(root + "/.doc.txt.swp", file) == 0 else { throw POSIXError(.EIO) }
        atomic.waitFor("change") { $0["event"] as? String == "change" && $0["path"] as? String == file }
        plain.waitFor("rename") { $0["event"] as? String == "rename" && $0["path"] as? String == file }
        try dir.file("root/cookie", "")
        atomic.waitFor("cookie") { $0["path"] as? String == root + "/cookie" }
        #expect(!atomic.events.contains { ($0["path"] as? String)?.hasSuffix(".swp") == true }, "\(atomic.events)")
        #expect(!atomic.events.contains { $0["event"] as? String == "rename" || $0["event"] as? String == "unlink" })
    }

    @Test(.timeLimit(.minutes(1)))
    func awaitWriteFinishReportsOnceTheFileIsStable() throws {
        let dir = try TemporaryDirectory()
        let root = try dir.directory("root")
        let watch = try RunningWatch(["--ignore-initial", "--await-write-finish=1000", "--stat", "root"], in: dir.path)
        watch.waitFor("ready") { $0["event"] as? String == "ready" }
        let handle = try #require(FileHandle(forWritingAtPath: try dir.file("root/big.bin", "")))
        for _ in 0..<5 {
            handle.write(Data(repeating: 0x61, count: 1000))
            usleep(50_000)  // the writer's pace, not a synchronisation
        }
        try handle.close()
        let add = watch.waitFor("add") { $0["event"] as? String == "add" && $0["path"] as? String == root + "/big.bin" }
        #expect(add?["size"] as? Int == 5000)
        try dir.file("root/cookie", "")
        watch.waitFor("cookie") { $0["path"] as? String == root + "/cookie" }
        #expect(watch.events.filter { $0["path"] as? String == root + "/big.bin" }.count == 1)
    }

    @Test(.timeLimit(.minutes(1)))
    func gitignoreAndFollowSymlinks() throws {
        let dir = try TemporaryDirectory()
        let root = try dir.directory("root")
        try dir.tree(["root/.gitignore": "*.log\n", "root/a.log": "", "root/a.txt": "", "lib/x.txt": ""])
        try dir.symlink("root/link", to: dir.path("lib"))
        let watch = try RunningWatch(["--gitignore", "--follow-symlinks", "root"], in: dir.path)
        watch.waitFor("ready") { $0["event"] as? String == "ready" }
        let paths = Set(watch.events.compactMap { $0["path"] as? String })
        #expect(paths.contains(root + "/a.txt"))
        #expect(paths.contains(root + "/link/x.txt"))
        #expect(!paths.contains(root + "/a.log"))
    }

    @Test func badFlagValuesExitTwo() throws {
        let dir = try TemporaryDirectory()
        try dir.directory("root")
        for arguments in [["--poll=0", "root"], ["--poll=abc", "root"], ["--await-write-finish=-5", "root"], ["--poll", "50"],
                          ["--poll=9223372036854775807", "root"], ["--await-write-finish=86400001", "root"]] {
            let result = try AIFS.run(["watch"] + arguments, in: dir.path)
            #expect(result.status == 2, "\(arguments)")
            #expect(!result.stderr.isEmpty)
        }
    }

    /// `aifs watch … | head -1`: once the reader is gone, the next event ends the watch
    /// with status 0 (no SIGPIPE death).
    @Test(.timeLimit(.minutes(1)))
    func aReaderThatGoesAwayEndsTheWatchCleanly() throws {
        let dir = try TemporaryDirectory()
        try dir.directory("root")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: AIFS.executable)
        process.arguments = ["watch", "--json", "root"]
        process.currentDirectoryURL = URL(fileURLWithPath: dir.path)
        process.standardError = FileHandle.nullDevice
        // The pipe too: made while another process starts, it would leak into it (and
        // the hang-up below would go unnoticed).
        let pipe = try ChildProcesses.locked {
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            return pipe
        }
        defer { if process.isRunning { process.terminate() } }
        // Read up to the ready line, then hang up.
        var received = Data()
        while !(String(decoding: received, as: UTF8.self).contains("\"ready\"")) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            received.append(chunk)
        }
        try pipe.fileHandleForReading.close()
        try dir.file("root/after.txt", "a")
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        #expect(!process.isRunning)
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }
}
