import AIFSCore
import AIFSProcess
import ArgumentParser

/// `aifs serve`: hands over to the MCP server program, `aifs-mcp`, found next to `aifs`.
///
/// The server is a program of its own so that every other command starts without loading
/// the MCP SDK and Foundation's networking. `aifs serve` replaces this process with it
/// (same process id, same standard input and output), so an MCP client configured with
/// `aifs serve` sees one process, as before.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the file-system tools to an AI agent over MCP (stdio), confined to the roots.",
        discussion: "Options: --root DIR (repeatable; default: the current directory), --max-output-bytes N (default 81920), --no-index. `aifs serve --help` shows the server's own help."
    )

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The server's options: --root DIR (repeatable), --max-output-bytes N, --no-index.", valueName: "options"))
    var options: [String] = []

    func run() throws {
        let name = "aifs-mcp"
        guard let server = ProcessImage.sibling(named: name) else {
            try? Console.standardError.write("aifs: serve: cannot find the running program's path (/proc/self/exe) to locate \(name)\n")
            throw ExitCode(2)
        }
        let error = ProcessImage.replace(with: server, arguments: [server] + options)
        try? Console.standardError.write("""
            aifs: serve: cannot start the MCP server '\(server)': \(error); \
            `swift build -c release` builds it with aifs (not `--product aifs` alone); \
            install \(name) in the same directory as aifs\n
            """)
        throw ExitCode(2)
    }
}
