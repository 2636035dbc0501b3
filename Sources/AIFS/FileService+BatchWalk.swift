import AIFSCache
public import AIFSCore
public import AIFSWork

extension FileService {
    /// Walks `paths` and runs a batch operation over the files it finds, starting on
    /// each file as soon as the walk finds it; results come to `onResult` in path
    /// order (the order of ``batchItems(_:walkOptions:destinationDirectory:)``), once
    /// the walk is over.
    ///
    /// The same as ``batchItems(_:walkOptions:destinationDirectory:)`` followed by
    /// ``runBatch(_:operation:options:onResult:)``, without waiting for the whole walk
    /// and its sort before the first file reaches a worker (see
    /// ``AIFSWork/BatchRunner/run(arriving:operation:options:onArrived:onResult:)``).
    /// With roots, the starting paths and the destination are resolved inside them
    /// first; the walk follows no links, so what it finds stays inside.
    ///
    /// - Parameters:
    ///   - paths: Files and directories; none means the current directory (or the
    ///     first root).
    ///   - walkOptions: Which files (``AIFSCore/WalkOptions/sortByPath`` is implied).
    ///   - destinationDirectory: Where `copy` and `move` put the files.
    ///   - operation: What to do to each file.
    ///   - options: Workers, dry run, overwrite.
    ///   - onWalked: Called once, after the walk and before the first result, with the
    ///     number of files and the walk's errors (unreadable directories, missing
    ///     paths) in path order.
    ///   - onResult: Called once per file, in path order.
    /// - Throws: ``AIFSWork/WorkError`` for invalid walk options, a path or the
    ///   destination outside the roots. Per-file failures are results, not throws.
    public func runBatch(
        walking paths: [String], walkOptions: WalkOptions = WalkOptions(), destinationDirectory: String? = nil,
        operation: BatchOperation, options: BatchOptions = BatchOptions(),
        onWalked: (_ files: Int, _ errors: [CoreError]) -> Void,
        onResult: (BatchResult) -> Void
    ) async throws(WorkError) -> BatchSummary {
        // No PATH and no roots: walk the current directory without a "./" prefix, as
        // `aifs files` does.
        let fromCurrentDirectory = paths.isEmpty && roots == nil
        var unsorted = walkOptions
        unsorted.sortByPath = false
        let starts: [String]
        let walker: Walker
        do {
            starts = fromCurrentDirectory ? ["."] : try resolvePaths(paths, options: walkOptions)
            walker = try Walker(options: unsorted)
        } catch {
            throw WorkError(error)
        }
        let destination = try destinationDirectory.map { path throws(WorkError) in try resolveForWriting(path) }
        let mapping = BatchItemMapping(starts: starts, destination: destination, fromCurrentDirectory: fromCurrentDirectory)
        let invalidate = operation.changesFiles && !options.dryRun ? contentCache : nil
        return await BatchRunner.run(
            walking: fromCurrentDirectory ? [] : starts, walker: walker, mapping: mapping, operation: operation, options: options,
            onWalked: onWalked,
            onResult: { result in
                onResult(result)
                if let invalidate {
                    invalidate.invalidate(directory: result.item.path)
                    if let destination = result.item.destination { invalidate.invalidate(directory: destination) }
                }
            })
    }
}
