public import AIFSCore
public import AIFSSearch

/// What a batch does to each file.
///
/// The reading operations (``hash``, ``count``, ``search(_:)``, ``stat``) never change
/// anything. The file operations (``copy``, ``move``, ``delete``, ``rename(_:)``) honour
/// ``BatchOptions/dryRun`` and ``BatchOptions/overwrite``.
public enum BatchOperation: Sendable {
    /// The SHA-256 of the contents, streamed through a fixed buffer.
    case hash
    /// Lines, words and bytes, as GNU `wc` counts them in the C locale (a word is a run
    /// of printable ASCII between whitespace; other bytes neither start nor end one),
    /// streamed.
    case count
    /// The number of matching lines (binary files are detected and stop at the first
    /// NUL byte, as the searcher does).
    case search(any Matcher)
    /// The file's identity: kind, size, mode, times.
    case stat
    /// Copy to each item's ``BatchItem/destination`` (parents made as needed).
    case copy
    /// Move to each item's ``BatchItem/destination``; across file systems the file is
    /// copied, fsync'd and then removed.
    case move
    /// Remove the file (or empty directory).
    case delete
    /// Rename within the same directory: the rule rewrites the last path component.
    case rename(RenameRule)

    /// The operation's name, as the CLI spells it.
    public var name: String {
        switch self {
        case .hash: "hash"
        case .count: "count"
        case .search: "search"
        case .stat: "stat"
        case .copy: "copy"
        case .move: "move"
        case .delete: "delete"
        case .rename: "rename"
        }
    }

    /// Whether the operation changes the file system.
    public var changesFiles: Bool {
        switch self {
        case .copy, .move, .delete, .rename: true
        default: false
        }
    }
}

/// One file of a batch.
public struct BatchItem: Sendable, Hashable {
    /// The file.
    public var path: String
    /// Where it goes (``BatchOperation/copy`` and ``BatchOperation/move``).
    public var destination: String?
    /// Whether a walk found the file (rather than the user naming it): if it is gone
    /// by the time its turn comes, another process removed it meanwhile.
    public var foundByWalk: Bool

    /// Creates an item.
    public init(path: String, destination: String? = nil, foundByWalk: Bool = false) {
        self.path = path
        self.destination = destination
        self.foundByWalk = foundByWalk
    }
}

/// How a batch runs.
public struct BatchOptions: Sendable {
    /// Worker threads; the processor count by default.
    public var workers = DedicatedThreads.processorCount
    /// Report what would change without changing it.
    public var dryRun = false
    /// Replace existing destinations (otherwise they are per-file errors).
    public var overwrite = false

    /// The defaults.
    public init() {}
}

/// What an operation found or did for one file.
public enum BatchValue: Sendable, Hashable {
    /// The SHA-256, as 64 lowercase hex digits, and the bytes read.
    case digest(String, bytes: Int64)
    /// `wc`'s three numbers.
    case counts(lines: Int64, words: Int64, bytes: Int64)
    /// The number of matching lines, and the bytes searched.
    case matches(lines: Int, bytes: Int64)
    /// The file's identity.
    case status(FileIdentity)
    /// The file was (or, in a dry run, would be) copied, moved or renamed to `destination`.
    case changed(destination: String, dryRun: Bool)
    /// The file was (or would be) removed.
    case removed(dryRun: Bool)
    /// Nothing to do (a rename rule that leaves the name as it is).
    case unchanged

    /// The bytes this result read, for throughput.
    public var bytes: Int64 {
        switch self {
        case .digest(_, let bytes), .matches(_, let bytes): bytes
        case .counts(_, _, let bytes): bytes
        default: 0
        }
    }
}

/// One file's outcome, in input order.
public struct BatchResult: Sendable {
    /// The item's position in the input.
    public var index: Int
    /// The item.
    public var item: BatchItem
    /// What happened: a value, or a typed error for this file alone.
    public var outcome: Result<BatchValue, WorkError>
}

/// The totals of a batch.
public struct BatchSummary: Sendable {
    /// Items given.
    public var total: Int
    /// Items that succeeded.
    public var succeeded: Int
    /// Items that failed (each has its error in its result).
    public var failed: Int
    /// Items never tried because the batch was cancelled.
    public var notTried: Int
    /// Bytes read by hash, count and search.
    public var bytes: Int64
    /// Wall time from the first submission to the last result.
    public var elapsed: Duration
    /// The pool's statistics at the end.
    public var pool: WorkerPoolStats

    /// Counts one item's outcome; `false` for a cancelled item, which is neither a
    /// success nor a failure and gets no result (it counts as not tried).
    mutating func tally(_ outcome: Result<BatchValue, WorkError>) -> Bool {
        switch outcome {
        case .success(let value):
            succeeded += 1
            bytes += value.bytes
        case .failure(let error) where error.code == .cancelled:
            return false
        case .failure:
            failed += 1
        }
        return true
    }

    /// Closes the totals once the last result is out: what got no result was not
    /// tried, and the time and the pool's figures are taken now.
    mutating func finish(started: ContinuousClock.Instant, pool: WorkerPool) {
        notTried = total - succeeded - failed
        elapsed = ContinuousClock.now - started
        self.pool = pool.stats
    }
}
