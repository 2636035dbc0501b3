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

    @Flag(name: .customLong("no-ignore-vcs"), help: "Do not honour .gitignore, .git/info/exclude or git's global excludes file.")
    var noIgnoreVCS = false

    @Flag(name: .customLong("no-ignore-dot"), help: "Do not honour .ignore and .rgignore files.")
    var noIgnoreDot = false

    @Flag(name: .customLong("no-ignore-exclude"), help: "Do not honour .git/info/exclude.")
    var noIgnoreExclude = false

    @Flag(name: .customLong("no-ignore-global"), help: "Do not honour git's global excludes file (core.excludesFile, by default $XDG_CONFIG_HOME/git/ignore).")
    var noIgnoreGlobal = false

    @Flag(name: .customLong("no-ignore-files"), help: "Do not honour the files given with --ignore-file.")
    var noIgnoreFiles = false

    @Flag(name: .customLong("no-require-git"), help: "Honour .gitignore files outside git repositories too.")
    var noRequireGit = false

    @Option(name: .customLong("ignore-file"), help: ArgumentHelp("Also honour this gitignore-format file, below all others in precedence; may be repeated.", valueName: "PATH"))
    var ignoreFiles: [String] = []

    @Flag(name: .customLong("ignore-file-case-insensitive"), help: "Match the rules of every ignore file (.gitignore, .ignore, --ignore-file, ...) without regard to case.")
    var ignoreFileCaseInsensitive = false

    @Flag(name: [.customShort("L"), .customLong("follow")], help: "Follow symbolic links (loops are reported and not followed).")
    var follow = false

    @Option(name: [.customShort("d"), .customLong("max-depth")], help: ArgumentHelp("Descend at most NUM directories below each PATH.", valueName: "NUM"))
    var maxDepth: Int?

    @Option(name: [.customShort("g"), .customLong("glob")], help: ArgumentHelp("Include (GLOB) or exclude (!GLOB) matching paths; may be repeated, the last match wins.", valueName: "GLOB"))
    var globs: [String] = []

    @Flag(name: .customLong("glob-case-insensitive"), help: "Match --glob patterns without regard to case.")
    var globCaseInsensitive = false

    @Option(name: .customLong("iglob"), help: ArgumentHelp("As --glob, without regard to case; may be repeated.", valueName: "GLOB"))
    var iglobs: [String] = []

    @Option(name: .customLong("max-filesize"), help: ArgumentHelp("Skip files larger than NUM bytes; suffixes K, M and G multiply by 1024.", valueName: "NUM+SUFFIX?"))
    var maxFileSize: String?

    @Flag(name: .customLong("one-file-system"), help: "Do not descend into directories on other file systems.")
    var oneFileSystem = false

    @Option(name: .customLong("sort"), help: ArgumentHelp("Sort the output in ascending order: 'path' (component by component), 'modified', 'accessed', 'created' (oldest first) or 'none'. Other than 'path' and 'none', the files are searched one at a time.", valueName: "SORTBY"))
    var sort: SortMode?

    @Option(name: .customLong("sortr"), help: ArgumentHelp("Sort the output in descending order, by the same keys as --sort; searched one at a time.", valueName: "SORTBY"))
    var sortReverse: SortMode?

    @Option(name: [.customShort("j"), .customLong("threads")], help: ArgumentHelp("Worker threads (0: one per processor).", valueName: "NUM"))
    var threads = 0

    enum SortMode: String, ExpressibleByArgument, CaseIterable {
        case path, modified, accessed, created, none
    }

    /// The values given.
    var arguments: WalkArguments {
        WalkArguments(
            hidden: hidden,
            noIgnore: noIgnore,
            noIgnoreParent: noIgnoreParent,
            noIgnoreVCS: noIgnoreVCS,
            noIgnoreDot: noIgnoreDot,
            noIgnoreExclude: noIgnoreExclude,
            noIgnoreGlobal: noIgnoreGlobal,
            noIgnoreFiles: noIgnoreFiles,
            noRequireGit: noRequireGit,
            ignoreFiles: ignoreFiles,
            ignoreFileCaseInsensitive: ignoreFileCaseInsensitive,
            follow: follow,
            maxDepth: maxDepth,
            globs: globs,
            globCaseInsensitive: globCaseInsensitive,
            iglobs: iglobs,
            maxFileSize: maxFileSize,
            oneFileSystem: oneFileSystem,
            sort: sort,
            sortReverse: sortReverse,
            threads: threads
        )
    }

    /// See ``WalkArguments/collectedOrder``.
    var collectedOrder: FileOrder? { arguments.collectedOrder }

    /// See ``WalkArguments/options(typeChanges:)``.
    func options(typeChanges: [FileTypes.Change] = []) throws -> WalkOptions {
        try arguments.options(typeChanges: typeChanges)
    }
}

/// The values of ``WalkFlags``, whichever parser read them (``DirectParsing``): plain
/// values, without ArgumentParser's property wrappers (issue 18).
struct WalkArguments {
    var hidden: Bool
    var noIgnore: Bool
    var noIgnoreParent: Bool
    var noIgnoreVCS: Bool
    var noIgnoreDot: Bool
    var noIgnoreExclude: Bool
    var noIgnoreGlobal: Bool
    var noIgnoreFiles: Bool
    var noRequireGit: Bool
    var ignoreFiles: [String]
    var ignoreFileCaseInsensitive: Bool
    var follow: Bool
    var maxDepth: Int?
    var globs: [String]
    var globCaseInsensitive: Bool
    var iglobs: [String]
    var maxFileSize: String?
    var oneFileSystem: Bool
    var sort: WalkFlags.SortMode?
    var sortReverse: WalkFlags.SortMode?
    var threads: Int
}

extension WalkArguments {
    /// The order to put a collected walk in, when the walk's own path order is not it
    /// (`--sort modified`, `--sortr …`); `nil` otherwise.
    var collectedOrder: FileOrder? {
        if let sortReverse, sortReverse != .none { return FileOrder(key: sortReverse, descending: true) }
        if let sort, sort != .path, sort != .none { return FileOrder(key: sort, descending: false) }
        return nil
    }

    /// The walk these flags describe.
    ///
    /// - Parameter typeChanges: The file types chosen (``ListingFlags``), for the
    ///   commands that take them.
    func options(typeChanges: [FileTypes.Change] = []) throws -> WalkOptions {
        var options = WalkOptions()
        options.includeHidden = hidden
        options.respectIgnoreFiles = !noIgnore
        options.readParentIgnoreFiles = !noIgnoreParent
        options.respectGitIgnoreFiles = !noIgnoreVCS
        options.respectDotIgnoreFiles = !noIgnoreDot
        options.respectGitExclude = !noIgnoreExclude
        options.respectGlobalGitIgnore = !noIgnoreGlobal
        options.requireGit = !noRequireGit
        options.ignoreFiles = noIgnoreFiles ? [] : ignoreFiles
        options.ignoreRulesCaseInsensitive = ignoreFileCaseInsensitive
        options.caseInsensitiveGlobs = iglobs
        options.typeChanges = typeChanges
        options.followSymlinks = follow
        options.maxDepth = maxDepth
        options.globs = globs
        options.globsCaseInsensitive = globCaseInsensitive
        options.maxFileSize = try maxFileSize.map(Self.parseSize)
        options.sameFileSystem = oneFileSystem
        options.sortByPath = sort == .path || collectedOrder != nil
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
