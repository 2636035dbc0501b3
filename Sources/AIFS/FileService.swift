public import AIFSCache
public import AIFSCore
public import AIFSSearch

/// The one entry point the faces (the `aifs` CLI and the MCP server) use.
///
/// `FileService` composes the subsystems and is where paths meet the ``Roots``: with
/// roots, every path a caller passes is resolved and refused if it leaves them; without
/// roots (the CLI, run by a user on their own files), paths are used as given.
///
/// ```swift
/// let service = try FileService(roots: Roots(["/srv/project"]))
/// let (entries, errors) = try service.files(["src"])
/// ```
///
/// ## Threading
/// Immutable and `Sendable`. The walking methods block the calling thread while worker
/// threads do the work; call them from a thread that may block.
public struct FileService: Sendable {
    /// The directories paths must stay inside, or `nil` for no restriction.
    public let roots: Roots?

    /// The cache ``readFile(path:range:maxBytes:)`` reads small files through, or `nil`
    /// to read every file from disk.
    public let contentCache: FileContentCache?

    /// The monitor that shrinks ``contentCache`` under memory pressure, if any.
    public let memoryMonitor: MemoryMonitor?

    /// Small files recently read whole, by version, for the diff a refused guarded
    /// write shows.
    let recentContents = RecentContents()
    /// Recently hashed versions, by path and identity.
    let recentVersions = RecentVersions()

    /// A service confined to `roots`.
    ///
    /// - Parameters:
    ///   - roots: The directories paths must stay inside.
    ///   - contentCache: The cache reads go through; `nil` for none.
    ///   - memoryMonitor: A monitor to register the cache with (the service does not
    ///     start it); `nil` for none.
    public init(roots: Roots, contentCache: FileContentCache? = nil, memoryMonitor: MemoryMonitor? = nil) {
        self.init(roots: Optional(roots), contentCache: contentCache, memoryMonitor: memoryMonitor)
    }

    /// A service that uses every path as given, for a command-line user on their own
    /// files.
    public static func unrestricted(
        contentCache: FileContentCache? = nil, memoryMonitor: MemoryMonitor? = nil
    ) -> FileService {
        FileService(roots: nil, contentCache: contentCache, memoryMonitor: memoryMonitor)
    }

    private init(roots: Roots?, contentCache: FileContentCache?, memoryMonitor: MemoryMonitor?, register: Bool = true) {
        self.roots = roots
        self.contentCache = contentCache
        self.memoryMonitor = memoryMonitor
        if register, let contentCache, let memoryMonitor {
            memoryMonitor.register(contentCache, name: "file contents")
        }
    }

    /// The same service (its cache and memory monitor) confined to other roots: what a
    /// server uses when its client's roots change.
    public func confined(to roots: Roots) -> FileService {
        FileService(roots: roots, contentCache: contentCache, memoryMonitor: memoryMonitor, register: false)
    }

    /// Walks `paths`, handing entries to one visitor per worker thread.
    ///
    /// - Parameters:
    ///   - paths: Starting paths; with roots they are resolved first (and entries carry
    ///     the canonical paths). An empty list means the current directory, or the
    ///     first root.
    ///   - options: What to include.
    ///   - makeVisitor: Called once on each worker thread.
    /// - Throws: ``CoreError`` for an invalid glob or option, or a path outside the
    ///   roots. Errors met during the walk go to the visitors instead.
    public func walk(
        _ paths: [String], options: WalkOptions,
        makeVisitor: @escaping @Sendable () -> any WalkVisitor
    ) throws(CoreError) {
        let resolved = try resolvePaths(paths, options: options)
        let walker = try Walker(options: options)
        walker.walk(resolved, makeVisitor: makeVisitor)
    }

    /// Walks `paths` and returns every entry and error, sorted by path.
    ///
    /// - Parameter control: Stops the walk when cancelled (the result is then
    ///   partial) and counts the entries found; `nil` for none.
    /// - Throws: As ``walk(_:options:makeVisitor:)``.
    public func files(
        _ paths: [String], options: WalkOptions = WalkOptions(), control: WalkControl? = nil
    ) throws(CoreError) -> (entries: [WalkEntry], errors: [CoreError]) {
        let resolved = try resolvePaths(paths, options: options)
        let walker = try Walker(options: options)
        return walker.collect(resolved, control: control)
    }

    /// Searches the files under `paths` on every core, handing each file to one
    /// handler per worker thread; blocks until done.
    ///
    /// - Parameters:
    ///   - paths: Starting paths, resolved inside the roots when there are roots.
    ///   - walkOptions: Which files; ``AIFSCore/WalkOptions/sortByPath`` makes the
    ///     tasks carry their place in path order.
    ///   - matcher: What to look for (see ``AIFSSearch/SearchQuery/makeMatcher()``).
    ///   - configuration: How each file is searched.
    ///   - makeHandler: Called once on each worker thread.
    /// - Throws: ``CoreError`` for invalid walk options or a path outside the roots.
    public func search(
        _ paths: [String], walkOptions: WalkOptions, matcher: any Matcher,
        configuration: SearcherConfiguration,
        makeHandler: @escaping @Sendable () -> any SearchHandler
    ) throws(CoreError) {
        let (search, resolved) = try preparedSearch(
            paths, walkOptions: walkOptions, matcher: matcher, configuration: configuration)
        search.run(resolved, makeHandler: makeHandler)
    }

    func preparedSearch(
        _ paths: [String], walkOptions: WalkOptions, matcher: any Matcher, configuration: SearcherConfiguration
    ) throws(CoreError) -> (ParallelSearch, [String]) {
        let resolved = try resolvePaths(paths, options: walkOptions)
        return (try ParallelSearch(walkOptions: walkOptions, matcher: matcher, configuration: configuration), resolved)
    }

    /// The starting paths to walk: as given without roots, resolved inside them with.
    func resolvePaths(_ paths: [String], options: WalkOptions) throws(CoreError) -> [String] {
        if roots != nil && options.followSymlinks {
            // A followed link could lead out of the roots mid-walk; until each link
            // target is checked against the roots, refuse rather than leak.
            throw CoreError(
                .invalidArgument,
                "following symbolic links is not available for a service confined to roots; walk without it")
        }
        return try resolveStartingPaths(paths)
    }

    /// Where a walk, a search or a watch starts: the paths as given without roots; with
    /// roots each resolved inside them (``resolve(_:)``), and none means the first root.
    /// The one place the facade turns a list of caller paths into real ones.
    ///
    /// - Throws: ``CoreError`` as ``AIFSCore/Roots/resolve(_:)``.
    func resolveStartingPaths(_ paths: [String]) throws(CoreError) -> [String] {
        guard let roots else { return paths }
        var resolved: [String] = []
        for path in paths.isEmpty ? [roots.paths[0]] : paths {
            resolved.append(try roots.resolve(path))
        }
        return resolved
    }
}
