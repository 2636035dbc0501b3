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
    ///     roots (none: the first root).
    ///   - options: `ignored`, `ignoreInitial`, `depth`, `usePolling`, `atomic`,
    ///     `awaitWriteFinish`, `followSymlinks`, `alwaysStat`, `gitignore`.
    /// - Returns: The running watcher; call ``AIFSWatch/Watcher/stop()`` when done.
    /// - Throws: ``AIFSWatch/WatchError``: `.invalidArgument` for a path outside the
    ///   roots, `.notFound`, `.watchLimitReached`, …
    public func watch(_ paths: [String], options: WatchOptions = WatchOptions()) throws(WatchError) -> Watcher {
        try Watcher(paths: resolveWatchPaths(paths), options: options)
    }

    /// Watches `paths` and hands each event to `handler` on the watch thread as soon as
    /// it is seen: no queue and no thread hop, for the lowest latency (`aifs watch`
    /// prints from here). The watch runs until ``AIFSWatch/Watcher/stop()``, until
    /// every root is gone, or until `handler` returns `false`.
    ///
    /// - Parameters:
    ///   - paths: As for ``watch(_:options:)``.
    ///   - options: As for ``watch(_:options:)``.
    ///   - handler: Called for each event, in order, on the watch thread; it must not
    ///     block for long. Return `false` to stop.
    /// - Throws: As ``watch(_:options:)``.
    public func watch(
        _ paths: [String], options: WatchOptions = WatchOptions(),
        handler: @escaping @Sendable (WatchEvent) -> Bool
    ) throws(WatchError) -> Watcher {
        try Watcher(paths: resolveWatchPaths(paths), options: options, handler: handler)
    }

    private func resolveWatchPaths(_ paths: [String]) throws(WatchError) -> [String] {
        do {
            return try resolveStartingPaths(paths)
        } catch {
            throw WatchError(.invalidArgument, error.message, path: error.path, underlying: error.underlying)
        }
    }
}
