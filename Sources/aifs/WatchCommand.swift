import AIFS
import AIFSCore
import AIFSProcess
import AIFSWatch
import ArgumentParser
import Synchronization

/// `aifs watch`: print file-system changes as they happen, with chokidar's event names.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Watch files and directories and print each change as it happens (inotify, or polling where needed).",
        discussion: """
            Prints one JSON object per line, flushed at once: \
            {"event":"add","path":"/abs/file","time":<ns since the epoch>}; rename adds \
            "from", error adds "message", ready adds "backends" and "watches". On a \
            terminal it prints readable lines instead (--json forces JSON). Events: add, \
            addDir, change, unlink, unlinkDir, rename, ready, rescan, error. SIGINT or \
            SIGTERM ends it with status 0; so does the removal of every watched root. \
            When a file system inside a watched tree (or under a root) is unmounted, \
            what was on it is reported gone and what the path shows now is reported new; \
            a root that no longer exists after an unmount ends with an error event, and \
            aifs watch then exits with status 1. \
            Roots on network and FUSE file systems (NFS, SMB, 9P, FUSE) are polled; \
            "backends" in ready says which root uses what. By default an unlink followed \
            within 100 ms by an add of the same path is one change (so unlinks are \
            reported 100 ms late; --no-atomic reports them at once). A path that does not \
            exist is an error (status 2): aifs watch does not wait for it to appear.
            """
    )

    @Option(name: .customLong("ignore"), help: ArgumentHelp("Ignore paths matching a gitignore-style GLOB (relative to the watched root); repeatable.", valueName: "GLOB"))
    var ignore: [String] = []

    @Flag(name: .customLong("ignore-initial"), help: "Do not report the files present at start-up (only `ready`).")
    var ignoreInitial = false

    @Option(name: .customLong("depth"), help: ArgumentHelp("Watch at most N levels below each path (0: only its own entries).", valueName: "N"))
    var depth: Int?

    @Option(
        name: .customLong("await-write-finish"),
        help: ArgumentHelp(
            "Report a file's add or change only once its size has not changed for MS milliseconds (--await-write-finish=MS; bare: 2000).",
            valueName: "MS"))
    var awaitWriteFinish: Int?

    @Option(
        name: .customLong("poll"),
        help: ArgumentHelp(
            "Poll every MS milliseconds instead of using inotify, for every path (--poll=MS; bare: 100).",
            valueName: "MS"))
    var poll: Int?

    @Flag(name: .customLong("no-atomic"), help: "Report an unlink at once, even when an add of the same path follows (no 100 ms wait).")
    var noAtomic = false

    @Flag(name: .customLong("follow-symlinks"), help: "Enter symbolic links to directories and watch their contents.")
    var followSymlinks = false

    @Flag(name: .customLong("gitignore"), help: "Leave out what the .gitignore files inside the watched paths ignore (and .git).")
    var gitignore = false

    @Flag(name: .customLong("stat"), help: "Add the entry's size, modification time (ns) and inode to add, addDir, change and rename events.")
    var stat = false

    @Flag(name: .customLong("human"), help: "Print readable lines (the default on a terminal).")
    var human = false

    @Flag(name: .customLong("json"), help: "Print JSON lines (the default when not on a terminal).")
    var json = false

    @Argument(help: ArgumentHelp("Files and directories to watch.", valueName: "PATH"))
    var paths: [String] = []

    func validate() throws {
        if paths.isEmpty { throw ValidationError("no path given: aifs watch PATH...") }
        if let depth, depth < 0 { throw ValidationError("invalid --depth \(depth): it must be 0 or more") }
        let day = 86_400_000
        if let poll, !(1...day).contains(poll) {
            throw ValidationError("invalid --poll=\(poll): the interval must be 1 to \(day) ms (a day)")
        }
        if let awaitWriteFinish, !(1...day).contains(awaitWriteFinish) {
            throw ValidationError("invalid --await-write-finish=\(awaitWriteFinish): the threshold must be 1 to \(day) ms (a day)")
        }
    }

    /// Default values for the options whose value is optional (`--poll[=MS]`,
    /// `--await-write-finish[=MS]`), which ArgumentParser cannot express: a bare
    /// `--poll` after `watch` becomes `--poll=100`. A value must be attached with `=`.
    static func expandingOptionalValues(_ arguments: [String]) -> [String] {
        guard let index = arguments.firstIndex(where: { !$0.hasPrefix("-") }), arguments[index] == "watch" else {
            return arguments
        }
        let defaults = ["--poll": "--poll=100", "--await-write-finish": "--await-write-finish=2000"]
        var result = Array(arguments[...index])
        var rest = arguments[(index + 1)...]
        while let argument = rest.popFirst() {
            if argument == "--" {
                result.append(argument)
                result.append(contentsOf: rest)
                break
            }
            result.append(defaults[argument] ?? argument)
        }
        return result
    }

    func run() async throws {
        var options = WatchOptions()
        options.ignored = ignore
        options.ignoreInitial = ignoreInitial
        options.depth = depth
        if let awaitWriteFinish { options.awaitWriteFinish = AwaitWriteFinish(stabilityThreshold: .milliseconds(awaitWriteFinish)) }
        if let poll {
            options.usePolling = true
            options.interval = .milliseconds(poll)
        }
        if noAtomic { options.atomic = nil }
        options.followSymlinks = followSymlinks
        options.gitignore = gitignore
        options.alwaysStat = stat
        let readable = human || (!json && Console.standardOutput.isTerminal)
        // A reader that goes away (`aifs watch … | head -3`) ends the watch with status 0
        // at the next event, instead of SIGPIPE killing the process.
        BrokenPipe.ignore()
        // Installed before the watch starts: its lines (`ready` first) are written from
        // the watch thread at once, and a signal right after `ready` must stop it cleanly.
        let stopper = Stopper()
        TerminationSignals.handle { stopper.stop() }
        let watcher: Watcher
        do {
            // Lines are written from the watch thread itself: no queue and no thread hop
            // between reading the kernel's event and writing its line.
            let printer = LinePrinter(readable: readable)
            watcher = try FileService.unrestricted().watch(paths, options: options) { event in printer.print(event) }
        } catch {
            try? Console.standardError.write("aifs: \(error.message)\n")
            throw ExitCode(2)
        }
        if poll == nil {
            // Polling that nobody asked for is worth a word: its latency is the interval.
            let stats = watcher.stats
            for (root, backend) in stats.backends.sorted(by: { $0.key < $1.key }) where backend == "polling" {
                try? Console.standardError.write("aifs: watching \(root) by polling every 100 ms: \(stats.reasons[root] ?? "")\n")
            }
        }
        stopper.set(watcher)
        for await _ in watcher.events {}
        let lost = watcher.stats.lostRoots
        if lost > 0 {
            try? Console.standardError.write(
                "aifs: \(lost == 1 ? "a watched path is" : "\(lost) watched paths are") gone: the file system it was on was "
                    + "unmounted (see the error events); mount it again and start a new watch\n")
            throw ExitCode(1)
        }
    }

    /// Appends `{"event":…,"path":…,"time":…}` plus the kind's own fields, one line, to
    /// `line`. It runs on the watch thread for every event, so it builds bytes in the
    /// caller's reused buffer: no `String` and no allocation per event.
    static func appendJSONLine(_ event: WatchEvent, to line: inout [UInt8]) {
        JSONBytes.append(#"{"event":""#, to: &line)
        JSONBytes.append(event.kind.staticName, to: &line)
        JSONBytes.append(#"","path":"#, to: &line)
        JSONBytes.appendString(event.path, to: &line)
        switch event.kind {
        case .rename(let from):
            JSONBytes.append(#","from":"#, to: &line)
            JSONBytes.appendString(from, to: &line)
        case .error(let message):
            JSONBytes.append(#","message":"#, to: &line)
            JSONBytes.appendString(message, to: &line)
        case .ready(let backends, let watches):
            JSONBytes.append(#","backends":{"#, to: &line)
            for (index, root) in backends.keys.sorted().enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                JSONBytes.appendString(root, to: &line)
                line.append(UInt8(ascii: ":"))
                JSONBytes.appendString(backends[root]!, to: &line)
            }
            JSONBytes.append(#"},"watches":"#, to: &line)
            JSONBytes.appendInteger(Int64(watches), to: &line)
        default:
            break
        }
        if let stat = event.stat {
            JSONBytes.append(#","size":"#, to: &line)
            JSONBytes.appendInteger(stat.size, to: &line)
            JSONBytes.append(#","mtime":"#, to: &line)
            JSONBytes.appendInteger(stat.modificationTime, to: &line)
            JSONBytes.append(#","inode":"#, to: &line)
            JSONBytes.appendInteger(stat.inode, to: &line)
        }
        JSONBytes.append(#","time":"#, to: &line)
        JSONBytes.appendInteger(event.timestamp, to: &line)
        JSONBytes.append("}\n", to: &line)
    }

    /// `change /abs/path`, `rename /old -> /new`, `ready (3 watches)`.
    static func humanLine(_ event: WatchEvent) -> String {
        let name = event.kind.name.padding(toLength: 9)
        switch event.kind {
        case .rename(let from): return "\(name) \(from) -> \(event.path)\n"
        case .error(let message): return "\(name) \(event.path): \(message)\n"
        case .ready(let backends, let watches):
            let polled = backends.filter { $0.value == "polling" }.keys.sorted()
            return "\(name) \(watches) watches" + (polled.isEmpty ? "" : "; polling \(polled.joined(separator: ", "))") + "\n"
        default: return "\(name) \(event.path)\n"
        }
    }
}

/// Formats and writes `aifs watch`'s lines from the watch thread, through one byte
/// buffer that is reused for every event.
///
/// ## Threading
/// Only the watch thread calls ``print(_:)`` (the watcher's handler runs there, one
/// event at a time).
// @unchecked Sendable: `line` is touched only by `print`, which runs on the one watch thread.
private final class LinePrinter: @unchecked Sendable {
    private let readable: Bool
    private var line: [UInt8] = []

    init(readable: Bool) {
        self.readable = readable
        line.reserveCapacity(4096)
    }

    /// Writes `event`'s line; `false` when the write failed (the reader went away: stop).
    func print(_ event: WatchEvent) -> Bool {
        line.removeAll(keepingCapacity: true)
        if readable {
            line.append(contentsOf: WatchCommand.humanLine(event).utf8)
        } else {
            WatchCommand.appendJSONLine(event, to: &line)
        }
        return line.withUnsafeBytes { (try? Console.standardOutput.write($0)) != nil }
    }
}

/// Stops a watcher that may not exist yet: a signal that comes first is kept and acted
/// on when the watcher is set.
private final class Stopper: Sendable {
    private struct State {
        var watcher: Watcher?
        var stopRequested = false
    }

    private let state = Mutex(State())

    func set(_ watcher: Watcher) {
        let stopNow = state.withLock { state in
            state.watcher = watcher
            return state.stopRequested
        }
        if stopNow { watcher.stop() }
    }

    func stop() {
        let watcher = state.withLock { state in
            state.stopRequested = true
            return state.watcher
        }
        watcher?.stop()
    }
}

extension String {
    fileprivate func padding(toLength length: Int) -> String {
        count >= length ? self : self + String(repeating: " ", count: length - count)
    }
}
