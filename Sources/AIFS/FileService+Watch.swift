import AIFSCore
public import AIFSWatch

extension FileService {
    /// Watches `paths` for changes, with chokidar's events and options.
    ///
    /// ```swift
    /// let watcher = try service.watch(["Sources"])
    /// for await event in watcher.events { print(event.kind.name, event.path) }
    /// ```
    ///
    /// - Parameters:
    ///   - paths: Files and directories; resolved inside the roots when the service has
    ///     roots.
    ///   - options: `ignored`, `ignoreInitial`, `depth`, `usePolling`, `atomic`,
///     `awaitWriteFinish`, `followSymlinks`, `alwaysStat`, `gitignore`.
    /// - Returns: The running watcher; call ``AIFSWatch/Watcher/stop()`` when done.
    /// - Throws: ``AIFSWatch/WatchError``: `.invalidArgument` for a path outside the
    ///   roots, `.notFound`, `.watchLimitReached`, …
    public func watch(_ paths: [String], options: WatchOptions = WatchOptions()) throws(WatchError) -> Watcher {
        var resolved = paths
        if let roots {
            resolved = []
            for path in paths.isEmpty ? [roots.paths[0]] : paths {
                do {
                    resolved.append(try roots.resolve(path))
                } catch {
                    throw WatchError(.invalidArgument, error.message, path: path, underlying: error.underlying)
                }
            }
        }
        return try Watcher(paths: resolved, options: options)
    }
}
