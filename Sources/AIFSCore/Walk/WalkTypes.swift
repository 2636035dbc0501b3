/// What a directory walk includes and how it goes about it.
///
/// The defaults are ripgrep's: hidden entries skipped; `.gitignore` (inside a git
/// repository), `.ignore`, `.rgignore` and `.git/info/exclude` honoured, including the
/// ones in the parent directories of the starting paths; symbolic links not followed.
public struct WalkOptions: Sendable, Hashable {
    /// Include hidden entries (names starting with `.`), `.git` among them.
    public var includeHidden = false
    /// Honour ignore files. `false` is ripgrep's `--no-ignore`.
    public var respectIgnoreFiles = true
    /// Also read ignore files in the directories above each starting path.
    public var readParentIgnoreFiles = true
    /// Apply `.gitignore` and `.git/info/exclude` only inside a git repository (a
    /// directory holding `.git`, here or above), as git does.
    public var requireGit = true
    /// Follow symbolic links. Loops are detected by device and inode and reported.
    public var followSymlinks = false
    /// Descend at most this many levels below each starting path; `0` yields only the
    /// starting paths themselves. `nil` means no limit.
    public var maxDepth: Int?
    /// ripgrep `--glob` patterns: a glob includes matching entries (and, for files,
    /// excludes all others), `!glob` excludes. The last match wins. Globs are matched
    /// against paths relative to ``globBase``.
    public var globs: [String] = []
    /// The directory ``globs`` are relative to; `nil` means the current directory. An
    /// entry outside it is matched by its path as shown, as ripgrep does.
    public var globBase: String?
    /// Match ``globs`` without regard to case.
    public var globsCaseInsensitive = false
    /// ripgrep `--iglob` patterns: as ``globs``, always without regard to case, and
    /// after them (so they take precedence).
    public var caseInsensitiveGlobs: [String] = []
    /// Honour `.ignore` and `.rgignore` files. `false` is ripgrep's `--no-ignore-dot`.
    public var respectDotIgnoreFiles = true
    /// Honour `.gitignore`, `.git/info/exclude` and git's global excludes file. `false`
    /// is ripgrep's `--no-ignore-vcs`.
    public var respectGitIgnoreFiles = true
    /// Honour `.git/info/exclude` (of the main repository, for a linked worktree).
    /// `false` is ripgrep's `--no-ignore-exclude`.
    public var respectGitExclude = true
    /// Honour git's global excludes file (`core.excludesFile`, by default
    /// `$XDG_CONFIG_HOME/git/ignore`), inside git repositories. `false` is ripgrep's
    /// `--no-ignore-global`.
    public var respectGlobalGitIgnore = true
    /// Ignore files named explicitly (ripgrep's `--ignore-file`), with less precedence
    /// than every other ignore file; honoured even when ``respectIgnoreFiles`` is off.
    /// Their rules match paths relative to the current directory.
    public var ignoreFiles: [String] = []
    /// Match the rules of every ignore file (`.gitignore`, `.ignore`, ``ignoreFiles``,
    /// ...) without regard to case (`--ignore-file-case-insensitive`).
    public var ignoreRulesCaseInsensitive = false
    /// ripgrep's `-t`, `-T`, `--type-add` and `--type-clear`, in the order given. A file
    /// found in the walk (not a starting path) must pass the selected types.
    public var typeChanges: [FileTypes.Change] = []
    /// Skip files larger than this many bytes.
    public var maxFileSize: Int64?
    /// Do not descend into directories on another file system than their starting path.
    public var sameFileSystem = false
    /// Deliver entries sorted by path (component by component, byte order) instead of
    /// as found; the starting paths keep the order they were given in, as with
    /// ripgrep's `--sort path`. Sorting waits for the whole walk before the first entry
    /// is delivered.
    public var sortByPath = false
    /// Worker threads; `0` means one per processor. At most 256 are started.
    public var threads = 0

    /// Creates options with ripgrep's defaults.
    public init() {}
}

/// One entry found by the walk.
public struct WalkEntry: Sendable, Hashable {
    /// The path as the caller will show it: the starting path as given, joined with
    /// the names below it. Raw bytes, because file names need not be UTF-8.
    public var pathBytes: [UInt8]
    /// The kind of entry; for a followed symbolic link, the kind of its target.
    public var kind: FileKind
    /// Levels below the starting path (a starting path has depth 0).
    public var depth: Int
    /// Whether the entry is a symbolic link (followed or not).
    public var isSymlink: Bool
    /// The inode number from the directory listing (the link's own for symbolic links).
    public var inode: UInt64
    /// Which of the starting paths this entry was found under (its index in the list
    /// given to the walk).
    public var rootIndex: Int

    /// Creates an entry.
    public init(pathBytes: [UInt8], kind: FileKind, depth: Int, isSymlink: Bool, inode: UInt64, rootIndex: Int = 0) {
        self.pathBytes = pathBytes
        self.kind = kind
        self.depth = depth
        self.isSymlink = isSymlink
        self.inode = inode
        self.rootIndex = rootIndex
    }

    /// The path as a string; bytes that are not UTF-8 become U+FFFD.
    public var path: String { String(decoding: pathBytes, as: UTF8.self) }

    /// Whether this is one of the paths the walk started from.
    public var isExplicit: Bool { depth == 0 }
}

/// What a visitor tells the walker after each entry.
public enum WalkAction: Sendable, Hashable {
    /// Go on; for a directory, descend into it.
    case `continue`
    /// For a directory, do not descend into it; otherwise the same as `continue`.
    case skip
    /// Stop the whole walk. Other workers stop soon after, not at once: a few more
    /// entries may still be delivered to their visitors.
    case quit
}

/// Receives entries from one walker thread.
///
/// The walker makes one visitor per worker thread, on that thread, and calls it only
/// there, so a visitor needs no locking for its own state. When the walk ends each
/// visitor's ``finish()`` is called on its thread.
public protocol WalkVisitor: AnyObject {
    /// Called for every entry that passes the filters, directories included.
    func visit(_ entry: WalkEntry) -> WalkAction
    /// Called for every entry that could not be read; the walk goes on unless this
    /// returns ``WalkAction/quit``.
    func visit(error: CoreError) -> WalkAction
    /// Called for problems that do not stop anything, such as a line of an ignore
    /// file that is not a valid glob (the line is skipped, the rest applies).
    func visit(warning: CoreError)
    /// Called once, after the last entry this visitor will see.
    func finish()
}

extension WalkVisitor {
    /// Does nothing.
    public func finish() {}

    /// Ignores the warning.
    public func visit(warning: CoreError) {}
}
