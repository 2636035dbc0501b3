@_spi(Syscalls) import AIFSCore
import ArgumentParser

/// `aifs`: the command-line face of the aifs engine.
@main
struct AIFSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aifs",
        abstract: "A fast file-system engine for AI coding agents: list, search, watch and batch-process files.",
        subcommands: [
            FilesCommand.self, SearchCommand.self, ReadCommand.self, WatchCommand.self, ServeCommand.self,
            StatsCommand.self, BatchCommand.self, ApplyCommand.self, IndexCommand.self,
        ]
    )

    /// Parses and runs, with ripgrep's exit codes: 0 success, 1 nothing found, 2 for
    /// any error, usage errors included (ArgumentParser's default would be 64).
    ///
    /// With `AIFS_TEST_PARSED_COMMAND` set, prints which parser built the command
    /// (``DirectParsing`` or ArgumentParser; `argument-parser` as the value forces the
    /// latter) and the command's values, then exits 0 without running it.
    static func main() async {
        StartupRecovery.run()
        do {
            // `aifs watch --poll` and `--await-write-finish` take an optional `=MS`.
            var arguments = WatchCommand.expandingOptionalValues(Array(CommandLine.arguments.dropFirst()))
            arguments = RipgrepArguments.normalize(arguments, config: try configArguments(arguments))
            if let hook = FileSystemCalls.environment("AIFS_TEST_PARSED_COMMAND") {
                try printParsedCommand(arguments, forcingArgumentParser: hook == "argument-parser")
            }
            // `search` and `files` skip ArgumentParser's parse when they can (issue 18).
            if let direct = DirectParsing.command(arguments) {
                try direct.run()
                return
            }
            var command = try TrailingPaths.parse(arguments, as: Self.self)
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            exitProcess(code.rawValue)
        } catch {
            if exitCode(for: error) == .success {
                // --help, --version: ArgumentParser renders them as errors.
                print(fullMessage(for: error))
                exitProcess(0)
            }
            try? Console.standardError.write("aifs: \(fullMessage(for: error))\n")
            exitProcess(2)
        }
    }

    /// For the tests: prints which parser built the command and every value in it,
    /// then exits.
    static func printParsedCommand(_ arguments: [String], forcingArgumentParser: Bool) throws -> Never {
        if !forcingArgumentParser, let direct = DirectParsing.command(arguments) {
            print("direct\n" + direct.values)
            exitProcess(0)
        }
        let command = try TrailingPaths.parse(arguments, as: Self.self)
        let values = switch command {
        case let search as SearchCommand: String(reflecting: search.arguments)
        case let files as FilesCommand: String(reflecting: files.arguments)
        default: String(reflecting: command)
        }
        print("argument-parser\n" + values)
        exitProcess(0)
    }

    /// The arguments of the `AIFS_CONFIG_PATH` file for `search` and `files`, unless
    /// `--no-config` is given; none when the variable is unset or empty.
    static func configArguments(_ arguments: [String]) throws -> [String] {
        guard let command = arguments.first, RipgrepArguments.table(for: command) != nil,
              !arguments.contains("--no-config"),
              let path = FileSystemCalls.environment("AIFS_CONFIG_PATH"), !path.isEmpty
        else { return [] }
        do {
            let bytes = try FileSystemCalls.readSmallFile(path, limit: 1 << 20)
            return RipgrepArguments.configArguments(contents: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw ValidationError("cannot read the config file '\(path)' named by AIFS_CONFIG_PATH: \(error); fix the path, or unset the variable")
        }
    }

    static func exitProcess(_ code: Int32) -> Never {
        Self.exit(withError: code == 0 ? nil : ExitCode(code))
    }
}
