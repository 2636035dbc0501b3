import AIFSCache
public import AIFSCore
public import AIFSWork
import Synchronization

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
    /// With roots, it is exactly those two calls: every item is checked against the
    /// roots before any runs.
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
        if roots != nil {
            let service = self
            let found = try await BlockingExecutor.shared.perform { () throws(WorkError) -> ([BatchItem], [CoreError]) in
                try service.batchItems(paths, walkOptions: walkOptions, destinationDirectory: destinationDirectory)
            }
            onWalked(found.0.count, found.1)
            return try await runBatch(found.0, operation: operation, options: options, onResult: onResult)
        }
        var unsorted = walkOptions
        unsorted.sortByPath = false
        let walker: Walker
        do { walker = try Walker(options: unsorted) } catch { throw WorkError(error) }
        // No PATH: walk the current directory without a "./" prefix, as `aifs files` does.
        let starts = paths.isEmpty ? ["."] : paths
        let walked = paths.isEmpty ? [] : paths
        let mapping = BatchItemMapping(starts: starts, destination: destinationDirectory, fromCurrentDirectory: paths.isEmpty)
        let channel = BoundedChannel<[(item: BatchItem, key: BatchOrderKey)]>(capacity: 64)
        let errors = BatchWalkErrors()
        let started = DedicatedThreads.tryStart(name: "aifs-batch-walk") {
            walker.walk(walked) { BatchWalkVisitor(channel: channel, errors: errors, mapping: mapping) }
            channel.finish()
        }
        guard started else {
            // At the thread limit: the walk and the batch one after the other.
            let service = self
            let found = try await BlockingExecutor.shared.perform { () throws(WorkError) -> ([BatchItem], [CoreError]) in
                try service.batchItems(paths, walkOptions: walkOptions, destinationDirectory: destinationDirectory)
            }
            onWalked(found.0.count, found.1)
            return try await runBatch(found.0, operation: operation, options: options, onResult: onResult)
        }
        // However the batch ends, the walk's threads must not stay blocked on a full
        // channel nobody reads.
        defer { channel.cancel() }
        let invalidate = operation.changesFiles && !options.dryRun ? contentCache : nil
        return await BatchRunner.run(
            arriving: { (try? await channel.next()) ?? nil },
            operation: operation, options: options,
            onArrived: { count in onWalked(count, Walker.sortedErrors(errors.take(), startingPaths: walked)) },
            onResult: { result in
                onResult(result)
                if let invalidate {
                    invalidate.invalidate(directory: result.item.path)
                    if let destination = result.item.destination { invalidate.invalidate(directory: destination) }
                }
            })
    }
}

/// The walk's errors, gathered from every walker thread.
final class BatchWalkErrors: Sendable {
    private let errors = Mutex<[CoreError]>([])

    func add(_ more: [CoreError]) {
        guard !more.isEmpty else { return }
        errors.withLock { $0 += more }
    }

    func take() -> [CoreError] { errors.withLock { $0 } }
}

/// One walker thread's visitor: batches the files it finds into chunks for the pool.
///
/// ## Threading
/// Made and called on one walker thread only.
final class BatchWalkVisitor: WalkVisitor {
    /// Files per chunk: the pool's per-task cost (two continuations, a queue slot) is
    /// paid once per chunk; small enough that the workers share the tail evenly.
    static let chunkSize = 32
    private let channel: BoundedChannel<[(item: BatchItem, key: BatchOrderKey)]>
    private let errors: BatchWalkErrors
    private let mapping: BatchItemMapping
    private var chunk: [(item: BatchItem, key: BatchOrderKey)] = []
    private var found: [CoreError] = []

    init(channel: BoundedChannel<[(item: BatchItem, key: BatchOrderKey)]>, errors: BatchWalkErrors, mapping: BatchItemMapping) {
        self.channel = channel
        self.errors = errors
        self.mapping = mapping
        chunk.reserveCapacity(Self.chunkSize)
    }

    func visit(_ entry: WalkEntry) -> WalkAction {
        guard let item = mapping.item(for: entry) else { return .continue }
        chunk.append((item, BatchOrderKey(rootIndex: entry.rootIndex, path: entry.pathBytes)))
        guard chunk.count >= Self.chunkSize else { return .continue }
        // The batch was cancelled: stop walking.
        return send() ? .continue : .quit
    }

    func visit(error: CoreError) -> WalkAction {
        found.append(error)
        return .continue
    }

    func finish() {
        _ = send()
        errors.add(found)
        found = []
    }

    private func send() -> Bool {
        guard !chunk.isEmpty else { return true }
        let full = chunk
        chunk = []
        chunk.reserveCapacity(Self.chunkSize)
        return channel.send(full)
    }
}
