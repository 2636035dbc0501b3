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

    @OptionGroup var walk: WalkFlags

    @OptionGroup var listing: ListingFlags

    @Flag(name: [.customShort("0"), .customLong("null")], help: "End each path with a NUL byte instead of a newline.")
    var null = false

    @Argument(help: ArgumentHelp("Files and directories to list (default: the current directory).", valueName: "PATH"))
    var paths: [String] = []

    /// The values given, for ``FilesArguments/run()``.
    var arguments: FilesArguments {
        FilesArguments(walk: walk.arguments, listing: listing.arguments, null: null, paths: paths)
    }

    func run() throws { try arguments.run() }
}

/// The values of an `aifs files` command line, whichever parser read them
/// (``DirectParsing``), and the listing they ask for: plain values, without
/// ArgumentParser's property wrappers (issue 18).
struct FilesArguments {
    var walk: WalkArguments
    var listing: ListingArguments
    var null: Bool
    var paths: [String]
}

extension FilesArguments {
    func run() throws {
        if listing.typeList {
            try Console.standardOutput.write(try listing.typeListing())
            return
        }
        let options = try walk.options(typeChanges: listing.fileTypeChanges)

        let report = FilesReport(
            terminator: null ? 0 : UInt8(ascii: "\n"), pathSeparator: try listing.pathSeparatorByte(),
            quietErrors: listing.noMessages)
        do {
            if let order = walk.collectedOrder {
                let (entries, errors) = try Walker(options: options).collect(pathBytes: paths.map(RawArguments.bytes(of:)))
                let printer = FilesPrinter(report: report)
                for error in errors { _ = printer.visit(error: error) }
                for entry in try order.sorted(entries) where printer.visit(entry) == .continue {}
                printer.finish()
            } else {
                // Unrestricted: the paths as typed, byte for byte.
                try Walker(options: options).walk(pathBytes: paths.map(RawArguments.bytes(of:))) {
                    FilesPrinter(report: report)
                }
            }
        } catch let error as CoreError {
            try? Console.standardError.write("aifs: \(error.message)\n")
            throw ExitCode(2)
        }
        if report.errored.load(ordering: .relaxed) { throw ExitCode(2) }
        if !report.printed.load(ordering: .relaxed) { throw ExitCode(1) }
    }
}

/// What the printers found, shared by all worker threads.
final class FilesReport: Sendable {
    let printed = Atomic<Bool>(false)
    let errored = Atomic<Bool>(false)
    let terminator: UInt8
    /// `--path-separator`: the byte printed for each '/' of a path.
    let pathSeparator: UInt8?
    /// `--no-messages`: errors only change the exit status.
    let quietErrors: Bool

    init(terminator: UInt8, pathSeparator: UInt8? = nil, quietErrors: Bool = false) {
        self.terminator = terminator
        self.pathSeparator = pathSeparator
        self.quietErrors = quietErrors
    }
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
        if let separator = report.pathSeparator {
            output.append(entry.pathBytes.map { $0 == UInt8(ascii: "/") ? separator : $0 })
        } else {
            output.append(entry.pathBytes)
        }
        output.append(byte: report.terminator)
        output.endRecord()
        printedAny = true
        return output.failure == nil ? .continue : .quit
    }

    func visit(error: CoreError) -> WalkAction {
        report.errored.store(true, ordering: .relaxed)
        output.flush()
        if !report.quietErrors { try? Console.standardError.write("aifs: \(error.message)\n") }
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
