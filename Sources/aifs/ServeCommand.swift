import AIFSCore
import AIFSServer
import ArgumentParser

/// `aifs serve`: the MCP server over stdio, for AI agents.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the file-system tools to an AI agent over MCP (stdio), confined to the roots.",
        discussion: """
            Speaks the Model Context Protocol on standard input and output; logs go to standard \
            error. Only paths inside the roots are reachable: relative paths are relative to the \
            first root, and any path that leaves the roots (.., a symbolic link out, an absolute \
            path elsewhere) is refused. Exits with status 0 when the client closes standard input.
            """
    )

    @Option(
        name: .customLong("root"),
        help: ArgumentHelp("A directory the tools may use; repeat for several (default: the current directory).", valueName: "DIR"))
    var roots: [String] = []

    func run() async throws {
        let roots: Roots
        do { roots = try Roots(self.roots.isEmpty ? ["."] : self.roots) } catch {
            try? Console.standardError.write("aifs: \(error.message)\n")
            throw ExitCode(2)
        }
        // A client that closes its end must not kill the server mid-write: writes then
        // fail with EPIPE and the server ends normally.
        BrokenPipe.ignore()
        do {
            try await AIFSMCPServer(roots: roots).run()
        } catch {
            try? Console.standardError.write("aifs: serve: \(error)\n")
            throw ExitCode(2)
        }
    }
}
