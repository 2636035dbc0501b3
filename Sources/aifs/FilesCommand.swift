import AIFS
import AIFSCore
import ArgumentParser
import Synchronization

/// `aifs files`: print the files a search would look at, as `rg --files` does.
struct FilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "files",
        abstract: "Print each file that would be searched, one path per line (like `rg --files`).",
        discussion: """
            Honours .gitignore (inside git repositories), .ignore, .rgignore and \
            .git/info/exclude, here and in parent directories, and skips hidden entries, \
            unless told otherwise. With no PATH, lists the current directory without a \
            ./ prefix. Exit status: 0 if a file was printed, 1 if none, 2 on any error.
            """
    )

    @Flag(name: [.customShort("."), .long], help: "Include hidden files and directories.")
    var hidden = false

    @Flag(name: .customLong("no-ignore"), help: "Do not honour ignore files (.gitignore, .ignore, .rgignore, .git/info/exclude).")
    var noIgnore = false

    @Flag(name: .customLong("no-ignore-parent"), help: "Do not read ignore files in the parent directories of each PATH.")
    var noIgnoreParent = false

    @Flag(name: [.customShort("L"), .customLong("follow")], help: "Follow symbolic links (loops are reported and not followed).")
    var follow = false

    @Option(name: [.customShort("d"), .customLong("max-depth")], help: ArgumentHelp("Descend at most NUM directories below each PATH.", valueName: "NUM"))
    var maxDepth: Int?

    @Option(name: [.customShort("g"), .customLong("glob")], help: ArgumentHelp("Include (GLOB) or exclude (!GLOB) matching paths; may be repeated, the last match wins.", valueName: "GLOB"))
    var globs: [String] = []

    @Flag(name: .customLong("glob-case-insensitive"), help: "Match --glob patterns without regard to case.")
    var globCaseInsensitive = false

    @Option(name: .customLong("max-filesize"), help: ArgumentHelp("Skip files larger than NUM bytes; suffixes K, M and G multiply by 1024.", valueName: "NUM+SUFFIX?"))
    var maxFileSize: String?

    @Flag(name: .customLong("one-file-system"), help: "Do not descend into directories on other file systems.")
    var oneFileSystem = false

    @Option(name: .customLong("sort"), help: ArgumentHelp("Sort the output: 'path' (component by component) or 'none'.", valueName: "SORTBY"))
    var sort: SortMode = .none

    @Option(name: [.customShort("j"), .customLong("threads")], help: ArgumentHelp("Worker threads (0: one per processor).", valueName: "NUM"))
    var threads = 0

    @Flag(name: [.customShort("0"), .customLong("null")], help: "End each path with a NUL byte instead of a newline.")
    var null = false

    @Argument(help: ArgumentHelp("Files and directories to list (default: the current directory).", valueName: "PATH"))
    var paths: [String] = []

    enum SortMode: String, ExpressibleByArgument, CaseIterable {
        case path, none
    }

    func run() throws {
        var options = WalkOptions()
        options.includeHidden = hidden
        options.respectIgnoreFiles = !noIgnore
        options.readParentIgnoreFiles = !noIgnoreParent
        options.followSymlinks = follow
        options.maxDepth = maxDepth
        options.globs = globs
        options.globsCaseInsensitive = globCaseInsensitive
        options.maxFileSize = try maxFileSize.map(Self.parseSize)
        options.sameFileSystem = oneFileSystem
        options.sortByPath = sort == .path
        options.threads = threads

        let report = FilesReport(terminator: null ? 0 : UInt8(ascii: "\n"))
        do {
            try FileService.unrestricted().walk(paths, options: options) {
                FilesPrinter(report: report)
            }
        } catch {
            try? Console.standardError.write("aifs: \(error.message)\n")
            throw ExitCode(2)
        }
        if report.errored.load(ordering: .relaxed) { throw ExitCode(2) }
        if !report.printed.load(ordering: .relaxed) { throw ExitCode(1) }
    }

    /// Parses `NUM` with an optional `K`, `M` or `G` suffix (powers of 1024).
    static func parseSize(_ text: String) throws -> Int64 {
        var digits = Substring(text)
        var multiplier: Int64 = 1
        switch text.last.map({ Character($0.uppercased()) }) {
        case "K": multiplier = 1 << 10; digits = digits.dropLast()
        case "M": multiplier = 1 << 20; digits = digits.dropLast()
        case "G": multiplier = 1 << 30; digits = digits.dropLast()
        default: break
        }
        guard let value = Int64(digits), value >= 0, value <= Int64.max / multiplier else {
            throw ValidationError("invalid --max-filesize '\(text)': use a number of bytes with an optional K, M or G suffix, e.g. 10M")
        }
        return value * multiplier
    }
}

/// What the printers found, shared by all worker threads.
final class FilesReport: Sendable {
    let printed = Atomic<Bool>(false)
    let errored = Atomic<Bool>(false)
    let terminator: UInt8

    init(terminator: UInt8) { self.terminator = terminator }
}

/// Prints the files one worker finds, through a buffer of its own.
final class FilesPrinter: WalkVisitor {
    private let report: FilesReport
    private let output = BufferedOutput(.standardOutput)
    private var printedAny = false

    init(report: FilesReport) { self.report = report }

    func visit(_ entry: WalkEntry) -> WalkAction {
        // ripgrep lists regular files, and whatever was named explicitly that is not a
        // directory; links that were not followed, FIFOs and sockets are left out.
        let listed = entry.isExplicit ? entry.kind != .directory : entry.kind == .regular
        guard listed else { return .continue }
        output.append(entry.pathBytes)
        output.append(byte: report.terminator)
        output.endRecord()
        printedAny = true
        return output.failure == nil ? .continue : .quit
    }

    func visit(error: CoreError) -> WalkAction {
        report.errored.store(true, ordering: .relaxed)
        output.flush()
        try? Console.standardError.write("aifs: \(error.message)\n")
        return .continue
    }

    func visit(warning: CoreError) {
        try? Console.standardError.write("aifs: warning: \(warning.message)\n")
    }

    func finish() {
        output.flush()
        if printedAny { report.printed.store(true, ordering: .relaxed) }
    }
}
