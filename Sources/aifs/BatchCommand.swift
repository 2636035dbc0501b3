import AIFS
import AIFSCore
import AIFSSearch
import AIFSWork
import ArgumentParser

/// `aifs batch OPERATION`: one operation over many files on a pool of workers.
struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Hash, count, search, stat, copy, move, delete or rename many files in parallel.",
        discussion: """
            Files are chosen as by `aifs files` (ignore rules, globs, -j workers). Every \
            file gets a result, in path order; a file that cannot be read is an error for \
            that file alone and the batch goes on. Exit status: 0 when every file \
            succeeded, 1 when any failed (or, for search, none matched), 2 on a usage error.
            """,
        subcommands: [
            BatchHash.self, BatchCount.self, BatchSearch.self, BatchStat.self,
            BatchCopy.self, BatchMove.self, BatchDelete.self, BatchRename.self,
        ]
    )
}

/// The flags every batch operation takes.
struct BatchFlags: ParsableArguments {
    @Flag(name: .customLong("json"), help: "Print one JSON object per file, in input order, then a summary object.")
    var json = false

    @Flag(name: .customLong("dry-run"), help: "Report what would change; change nothing.")
    var dryRun = false

    @Flag(name: .customLong("no-progress"), help: "No progress bar (it is shown on stderr only when stderr is a terminal).")
    var noProgress = false

    @Option(name: .customLong("files-from"), help: ArgumentHelp("Also take PATHs from FILE (- for standard input), one per line, or NUL-separated with -0.", valueName: "FILE"))
    var filesFrom: String?

    @Flag(name: [.customShort("0"), .customLong("null-data")], help: "PATHs in --files-from end with NUL bytes (find -print0), not newlines.")
    var nullData = false

    @OptionGroup var walk: WalkFlags
}

struct BatchHash: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hash", abstract: "SHA-256 of each file, printed as sha256sum does.")
    @OptionGroup var flags: BatchFlags
    @Argument(help: ArgumentHelp("Files and directories (default: the current directory).", valueName: "PATH")) var paths: [String] = []
    func run() async throws { try await BatchDriver.run(.hash, paths: paths, flags: flags) }
}

struct BatchCount: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "count", abstract: "Lines, words and bytes of each file, as wc counts them.")
    @OptionGroup var flags: BatchFlags
    @Argument(help: ArgumentHelp("Files and directories (default: the current directory).", valueName: "PATH")) var paths: [String] = []
    func run() async throws { try await BatchDriver.run(.count, paths: paths, flags: flags) }
}

struct BatchSearch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "search", abstract: "The number of lines matching PATTERN in each file (files with a match are printed).")
    @OptionGroup var flags: BatchFlags
    @Flag(name: [.customShort("F"), .customLong("fixed-strings")], help: "Treat the pattern as a literal string.") var fixedStrings = false
    @Flag(name: [.customShort("i"), .customLong("ignore-case")], help: "Search case-insensitively.") var ignoreCase = false
    @Argument(help: ArgumentHelp("A PCRE2 regular expression (or literal with -F).", valueName: "PATTERN")) var pattern: String
    @Argument(help: ArgumentHelp("Files and directories (default: the current directory).", valueName: "PATH")) var paths: [String] = []
    func run() async throws {
        var query = SearchQuery(patterns: [pattern])
        query.literal = fixedStrings
        query.caseMode = ignoreCase ? .insensitive : .sensitive
        let matcher: any Matcher
        do { matcher = try query.makeMatcher() } catch {
            try? Console.standardError.write("aifs: \(error.message)\n")
            throw ExitCode(2)
        }
        try await BatchDriver.run(.search(matcher), paths: paths, flags: flags)
    }
}

struct BatchStat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stat", abstract: "Kind, size, mode and modification time of each file.")
    @OptionGroup var flags: BatchFlags
    @Argument(help: ArgumentHelp("Files and directories (default: the current directory).", valueName: "PATH")) var paths: [String] = []
    func run() async throws { try await BatchDriver.run(.stat, paths: paths, flags: flags) }
}

struct BatchCopy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy", abstract: "Copy files into a directory (each through a temporary file, fsync'd).",
        discussion: "A file under a directory PATH keeps its place relative to PATH; a file named directly goes to DIR/<name>.")
    @OptionGroup var flags: BatchFlags
    @Option(name: [.customShort("t"), .customLong("to")], help: ArgumentHelp("The destination directory.", valueName: "DIR")) var destination: String
    @Flag(name: .customLong("overwrite"), help: "Replace existing files (otherwise each is an error).") var overwrite = false
    @Argument(help: ArgumentHelp("Files and directories to copy.", valueName: "PATH")) var paths: [String]
    func run() async throws { try await BatchDriver.run(.copy, paths: paths, flags: flags, destination: destination, overwrite: overwrite) }
}

struct BatchMove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move", abstract: "Move files into a directory (across file systems: copy, fsync, delete).",
        discussion: "A file under a directory PATH keeps its place relative to PATH; a file named directly goes to DIR/<name>.")
    @OptionGroup var flags: BatchFlags
    @Option(name: [.customShort("t"), .customLong("to")], help: ArgumentHelp("The destination directory.", valueName: "DIR")) var destination: String
    @Flag(name: .customLong("overwrite"), help: "Replace existing files (otherwise each is an error).") var overwrite = false
    @Argument(help: ArgumentHelp("Files and directories to move.", valueName: "PATH")) var paths: [String]
    func run() async throws { try await BatchDriver.run(.move, paths: paths, flags: flags, destination: destination, overwrite: overwrite) }
}

struct BatchDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete files (the ones `aifs files` would list).")
    @OptionGroup var flags: BatchFlags
    @Argument(help: ArgumentHelp("Files and directories whose files to delete.", valueName: "PATH")) var paths: [String]
    func run() async throws { try await BatchDriver.run(.delete, paths: paths, flags: flags) }
}

struct BatchRename: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rename", abstract: "Rename files in place: the first match of PATTERN in each name becomes REPLACEMENT.",
        discussion: "REPLACEMENT may use $1…$9, ${N}, ${name} and $0 for the match; $$ is a dollar sign.")
    @OptionGroup var flags: BatchFlags
    @Flag(name: .customLong("overwrite"), help: "Replace existing files (otherwise each is an error).") var overwrite = false
    @Argument(help: ArgumentHelp("A regular expression matched against each file name.", valueName: "PATTERN")) var pattern: String
    @Argument(help: ArgumentHelp("The new name for the matched part.", valueName: "REPLACEMENT")) var replacement: String
    @Argument(help: ArgumentHelp("Files and directories whose files to rename.", valueName: "PATH")) var paths: [String]
    func run() async throws {
        let rule: RenameRule
        do throws(WorkError) { rule = try RenameRule(pattern: pattern, replacement: replacement) } catch {
            try? Console.standardError.write("aifs: \(error.message)\n")
            throw ExitCode(2)
        }
        try await BatchDriver.run(.rename(rule), paths: paths, flags: flags, overwrite: overwrite)
    }
}
