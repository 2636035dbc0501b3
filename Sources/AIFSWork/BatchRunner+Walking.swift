public import AIFSCore
import Synchronization

extension BatchRunner {
    /// Runs `operation` over the files a walk of `walked` finds, starting on each file as
    /// soon as the walk finds it: the walk runs on a thread of its own and hands files
    /// over in chunks; results come to `onResult` in path order once the walk is over
    /// (see ``run(arriving:operation:options:onArrived:onResult:)``). When no thread can
    /// be started, the walk runs first and the batch after it.
    ///
    /// - Parameters:
    ///   - walked: The starting paths (none: the current directory).
    ///   - walker: The walk (unsorted: the order comes from each item's key).
    ///   - mapping: Which entries are items, and their destinations.
    ///   - operation: What to do to each file.
    ///   - options: Workers, dry run, overwrite.
    ///   - onWalked: Called once, after the walk and before the first result, with the
    ///     number of files and the walk's errors in path order.
    ///   - onResult: Called once per file, in path order.
    public static func run(
        walking walked: [String], walker: Walker, mapping: BatchItemMapping, operation: BatchOperation,
        options: BatchOptions = BatchOptions(),
        onWalked: (_ files: Int, _ errors: [CoreError]) -> Void,
        onResult: (BatchResult) -> Void
    ) async -> BatchSummary {
        let channel = BoundedChannel<[(item: BatchItem, key: BatchOrderKey)]>(capacity: 64)
        let errors = BatchWalkErrors()
        let started = DedicatedThreads.tryStart(name: "aifs-batch-walk") {
            walker.walk(walked) { BatchWalkVisitor(channel: channel, errors: errors, mapping: mapping) }
            channel.finish()
        }
        guard started else {
            // At the thread limit: the walk and the batch one after the other.
            let found = await BlockingExecutor.shared.perform { () -> (entries: [WalkEntry], errors: [CoreError]) in
                walker.collect(walked)
            }
            let items = found.entries.compactMap(mapping.item(for:))
            onWalked(items.count, found.errors)
            return await run(items, operation: operation, options: options, onResult: onResult)
        }
        // However the batch ends, the walk's thread must not stay blocked on a full
        // channel nobody reads.
        defer { channel.cancel() }
        return await run(
            arriving: { (try? await channel.next()) ?? nil },
            operation: operation, options: options,
            onArrived: { count in onWalked(count, Walker.sortedErrors(errors.take(), startingPaths: walked)) },
            onResult: onResult)
    }
}

/// How a walked entry becomes a batch item: regular files (and anything named
/// explicitly that is not a directory), each with its destination under the
/// destination directory when there is one.
///
/// A file found under a directory PATH keeps its place relative to it
/// (`src/a/b.txt` from `src` goes to `DEST/a/b.txt`); a file named directly goes to
/// `DEST/<its name>`.
public struct BatchItemMapping: Sendable {
    var starts: [String]
    var destination: String?
    /// No PATH and no roots: paths are relative to the current directory.
    var fromCurrentDirectory: Bool

    /// A mapping for a walk of `starts`, putting files under `destination` (copy, move).
    ///
    /// - Parameter fromCurrentDirectory: The walk is of the current directory, its
    ///   paths relative to it (no PATH given, no roots).
    public init(starts: [String], destination: String?, fromCurrentDirectory: Bool) {
        self.starts = starts
        self.destination = destination
        self.fromCurrentDirectory = fromCurrentDirectory
    }

    /// The item for `entry`, or `nil` when the batch skips it (a directory).
    public func item(for entry: WalkEntry) -> BatchItem? {
        let listed = entry.isExplicit ? entry.kind != .directory : entry.kind == .regular
        guard listed else { return nil }
        let path = entry.path
        var target: String?
        if let destination {
            let start = starts[min(entry.rootIndex, starts.count - 1)]
            let relative: Substring
            if fromCurrentDirectory {
                relative = Substring(path)
            } else if entry.isExplicit || !path.hasPrefix(start) {
                relative = path.split(separator: "/").last ?? Substring(path)
            } else {
                relative = path.dropFirst(start.count).drop { $0 == "/" }
            }
            target = (destination.hasSuffix("/") ? destination : destination + "/") + relative
        }
        return BatchItem(path: path, destination: target, foundByWalk: !entry.isExplicit)
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
