import AIFSCore
import ArgumentParser

/// The flags that choose which files a command looks at, shared by `files` and
/// `search` (ripgrep's names and meanings).
struct WalkFlags: ParsableArguments {
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

    enum SortMode: String, ExpressibleByArgument, CaseIterable {
        case path, none
    }

    /// The walk these flags describe.
    func options() throws -> WalkOptions {
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
        return options
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
