import AIFSCore
import AIFSWatch
import ArgumentParser

/// `aifs watch`: print file-system changes as they happen, with chokidar's event names.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Watch files and directories and print each change as it happens (inotify).",
        discussion: """
            Prints one JSON object per line, flushed at once: \
            {"event":"add","path":"/abs/file","time":<ns since the epoch>}; rename adds \
            "from", error adds "message", ready adds "backends" and "watches". On a \
            terminal it prints readable lines instead (--json forces JSON). Events: add, \
            addDir, change, unlink, unlinkDir, rename, ready, rescan, error. SIGINT or \
            SIGTERM ends it with status 0; so does the removal of every watched root.
            """
    )

    @Option(name: .customLong("ignore"), help: ArgumentHelp("Ignore paths matching a gitignore-style GLOB (relative to the watched root); repeatable.", valueName: "GLOB"))
    var ignore: [String] = []

    @Flag(name: .customLong("ignore-initial"), help: "Do not report the files present at start-up (only `ready`).")
    var ignoreInitial = false

    @Option(name: .customLong("depth"), help: ArgumentHelp("Watch at most N levels below each path (0: only its own entries).", valueName: "N"))
    var depth: Int?

    @Flag(name: .customLong("human"), help: "Print readable lines (the default on a terminal).")
    var human = false

    @Flag(name: .customLong("json"), help: "Print JSON lines (the default when not on a terminal).")
    var json = false

    @Argument(help: ArgumentHelp("Files and directories to watch.", valueName: "PATH"))
    var paths: [String] = []

    func validate() throws {
        if paths.isEmpty { throw ValidationError("no path given: aifs watch PATH...") }
        if let depth, depth < 0 { throw ValidationError("invalid --depth \(depth): it must be 0 or more") }
    }

    func run() async throws {
        var options = WatchOptions()
        options.ignored = ignore
        options.ignoreInitial = ignoreInitial
        options.depth = depth
        let readable = human || (!json && Console.standardOutput.isTerminal)
        let watcher: Watcher
        do {
            watcher = try Watcher(paths: paths, options: options)
        } catch {
            try? Console.standardError.write("aifs: \(error.message)\n")
            throw ExitCode(2)
        }
        TerminationSignals.handle { watcher.stop() }
        for await event in watcher.events {
            let line = readable ? Self.humanLine(event) : Self.jsonLine(event)
            do { try Console.standardOutput.write(line) } catch {
                watcher.stop()  // the reader went away
                break
            }
        }
    }

    /// `{"event":…,"path":…,"time":…}` plus the kind's own fields, one line.
    static func jsonLine(_ event: WatchEvent) -> String {
        var fields = ["\"event\":\(JSONString.quoted(event.kind.name))", "\"path\":\(JSONString.quoted(event.path))"]
        switch event.kind {
        case .rename(let from):
            fields.append("\"from\":\(JSONString.quoted(from))")
        case .error(let message):
            fields.append("\"message\":\(JSONString.quoted(message))")
        case .ready(let backends, let watches):
            let roots = backends.keys.sorted().map { "\(JSONString.quoted($0)):\(JSONString.quoted(backends[$0]!))" }
            fields.append("\"backends\":{\(roots.joined(separator: ","))}")
            fields.append("\"watches\":\(watches)")
        default:
            break
        }
        fields.append("\"time\":\(event.timestamp)")
        return "{" + fields.joined(separator: ",") + "}\n"
    }

    /// `change /abs/path`, `rename /old -> /new`, `ready (3 watches)`.
    static func humanLine(_ event: WatchEvent) -> String {
        let name = event.kind.name.padding(toLength: 9)
        switch event.kind {
        case .rename(let from): return "\(name) \(from) -> \(event.path)\n"
        case .error(let message): return "\(name) \(event.path): \(message)\n"
        case .ready(_, let watches): return "\(name) \(watches) watches\n"
        default: return "\(name) \(event.path)\n"
        }
    }
}

extension String {
    fileprivate func padding(toLength length: Int) -> String {
        count >= length ? self : self + String(repeating: " ", count: length - count)
    }
}

/// JSON string literals, escaped as JSON requires.
enum JSONString {
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
