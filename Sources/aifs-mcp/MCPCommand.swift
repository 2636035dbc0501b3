import AIFS
import AIFSCore
import AIFSProcess
import AIFSServer
import AIFSWork
import ArgumentParser

/// `aifs-mcp`: the MCP server over stdio, for AI agents; `aifs serve` runs it.
///
/// A program of its own so that the `aifs` command does not load what only the server
/// needs (the MCP SDK brings Foundation's networking and about thirty shared libraries
/// with it, which cost every `aifs` command several milliseconds at start).
@main
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aifs serve",
        abstract: "Serve the file-system tools to an AI agent over MCP (stdio), confined to the roots.",
        discussion: """
            Speaks the Model Context Protocol on standard input and output; logs go to standard \
            error. Only paths inside the roots are reachable: relative paths are relative to the \
            first root, and any path that leaves the roots (.., a symbolic link out, an absolute \
            path elsewhere) is refused. Exits with status 0 when the client closes standard input. \
            The server is the program aifs-mcp next to aifs; `aifs-mcp [--root DIR ...]` runs it \
            directly.
            """
    )

    @Option(
        name: .customLong("root"),
        help: ArgumentHelp(
            "A directory the tools may use; repeat for several. Without it, the client's roots (when it has them) or the current directory.",
            valueName: "DIR"))
    var roots: [String] = []

    @Option(
        name: .customLong("max-output-bytes"),
        help: ArgumentHelp(
            "The most bytes of each form of an answer (its text, its structured content); longer answers are cut with truncated:true and a cursor or next to go on. 81920 is about 20,000 tokens.",
            valueName: "N"))
    var maxOutputBytes: Int = AIFSMCPServer.defaultOutputBytes

    @Flag(
        name: .customLong("no-index"),
        help: "Do not keep a live index of the roots: every search_content reads every file, as before.")
    var noIndex = false

    /// Parses and runs with aifs's exit codes: 0, or 2 for any error (usage errors too).
    static func main() async {
        // Before any other thread: a heap per processor at most, and big blocks (search
        // buffers) mapped on their own, so memory freed after a burst of calls goes back
        // to the system (design note 0004, "Memory under load").
        SystemMemory.limitAllocator(arenas: min(8, max(2, DedicatedThreads.processorCount)))
        for recovery in FileService.recoverInterruptedTransactions() {
            try? Console.standardError.write("aifs: \(recovery.summary)\n")
        }
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            exit(withError: code.rawValue == 0 ? nil : code)
        } catch {
            if exitCode(for: error) == .success {
                print(fullMessage(for: error))
                exit()
            }
            try? Console.standardError.write("aifs: \(fullMessage(for: error))\n")
            exit(withError: ExitCode(2))
        }
    }

    func run() async throws {
        let roots: Roots
        do { roots = try Roots(self.roots.isEmpty ? ["."] : self.roots) } catch {
            try? Console.standardError.write("aifs: \(error.message)\n")
            throw ExitCode(2)
        }
        guard (AIFSMCPServer.minimumOutputBytes...AIFSMCPServer.maximumOutputBytes).contains(maxOutputBytes) else {
            try? Console.standardError.write(
                "aifs: --max-output-bytes \(maxOutputBytes) is out of range: give \(AIFSMCPServer.minimumOutputBytes) to \(AIFSMCPServer.maximumOutputBytes)\n")
            throw ExitCode(2)
        }
        // A client that closes its end must not kill the server mid-write: writes then
        // fail with EPIPE and the server ends normally.
        BrokenPipe.ignore()
        do {
            try await AIFSMCPServer(roots: roots, pinned: !self.roots.isEmpty, maxOutputBytes: maxOutputBytes, index: !noIndex).run()
        } catch {
            try? Console.standardError.write("aifs: serve: \(error)\n")
            throw ExitCode(2)
        }
    }
}
