@_spi(Syscalls) import AIFSCore
import FoundationEssentials
import Synchronization
import SystemPackage

/// The on-disk record of a running transaction, so that one interrupted by a crash or
/// `kill -9` can be rolled back by the next process.
///
/// Each transaction gets a directory `<state>/transactions/<id>/` holding `lock` (an
/// `flock` held for the transaction's life), a saved copy of each affected file that
/// existed (`backup-N`: a hard link when the state directory is on the same file
/// system, otherwise an fsync'd copy), and `journal.json`, written last and atomically:
/// until it exists nothing in the user's tree has been touched. Removing
/// `journal.json` commits.
///
/// The state directory is `$AIFS_STATE_DIR`, else `$XDG_STATE_HOME/aifs`, else
/// `~/.local/state/aifs`: outside the user's tree.
///
/// ## Threading
/// Blocks; call from a dedicated thread.
public struct TransactionJournal: Sendable {
    /// The transaction's own directory.
    public let directory: String
    private let record: Record

    struct Entry: Codable, Sendable {
        var path: String
        /// The saved original's file name in the directory, or nil if the path did not
        /// exist.
        var backup: String?
    }

    struct Record: Codable, Sendable {
        var version = 1
        var pid: Int32
        var operations: [String]
        var entries: [Entry]
        var createdDirectories: [String]
    }

    private static let counter = Atomic<Int>(0)

    /// The state directory to use when none is given.
    public static func defaultStateDirectory() -> String {
        if let explicit = FileSystemCalls.environment("AIFS_STATE_DIR"), !explicit.isEmpty { return explicit }
        if let xdg = FileSystemCalls.environment("XDG_STATE_HOME"), xdg.hasPrefix("/") { return xdg + "/aifs" }
        if let home = FileSystemCalls.environment("HOME"), home.hasPrefix("/") { return home + "/.local/state/aifs" }
        return "/tmp/aifs-state-\(FileSystemCalls.processID)"
    }

    // The lock file's descriptor stays open (and locked) until commit or rollback; it
    // is closed with the process otherwise, which is what lets recovery take over.
    private final class Lock: @unchecked Sendable {
        // @unchecked: `file` is only touched in init and deinit.
        let file: WritableFile
        init(locking path: String) throws(Errno) {
            file = try WritableFile(openingOrCreating: path)
            try file.lockExclusively()
        }
    }

    private let lock: Lock

    /// Saves the originals and writes the journal.
    static func begin(_ plan: TransactionPlan, stateDirectory: String) throws(WorkError) -> TransactionJournal {
        let root = stateDirectory + "/transactions"
        let number = counter.add(1, ordering: .relaxed).newValue
        let directory = root + "/\(FileSystemCalls.processID)-\(number)-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
        do throws(WorkError) {
            try AtomicFile.makeParents(of: directory)
            do { try FileSystemCalls.makeDirectory(directory, permissions: 0o700) } catch {
                throw WorkError(errno: error, operation: "create the transaction journal directory", path: directory)
            }
        } catch {
            throw WorkError(
                .notApplied,
                "\(error.message); nothing was applied (the journal lives in the state directory '\(stateDirectory)': make it writable, or set AIFS_STATE_DIR or XDG_STATE_HOME to a writable directory)",
                path: error.path, underlying: error.underlying)
        }
        let lock: Lock
        do { lock = try Lock(locking: directory + "/lock") } catch {
            removeDirectory(directory)
            throw WorkError(errno: error, operation: "lock the transaction journal", path: directory + "/lock")
        }
        var entries: [Entry] = []
        do throws(WorkError) {
            for (index, path) in plan.affected.enumerated() {
                let identity = try? FileSystemCalls.status(path, followSymlinks: false)
                guard let identity else {
                    entries.append(Entry(path: path, backup: nil))
                    continue
                }
                guard identity.kind == .regular else {
                    throw WorkError(.invalidArgument, "'\(path)' is a \(identity.kind); transactions change regular files only", path: path)
                }
                let name = "backup-\(index)"
                do {
                    try FileSystemCalls.link(path, to: directory + "/" + name)
                } catch {
                    try AtomicFile.copy(path, to: directory + "/" + name, overwrite: false)
                }
                entries.append(Entry(path: path, backup: name))
            }
            let record = Record(
                pid: FileSystemCalls.processID, operations: plan.steps.map(\.summary),
                entries: entries, createdDirectories: plan.createdDirectories)
            let data: Data
            do { data = try JSONEncoder().encode(record) } catch {
                throw WorkError(.io, "cannot encode the transaction journal: \(error)")
            }
            try AtomicFile.write([UInt8](data), to: directory + "/journal.json")
            return TransactionJournal(directory: directory, record: record, lock: lock)
        } catch {
            removeDirectory(directory)
            throw WorkError(.notApplied, "cannot save the originals before the transaction: \(error.message); nothing was applied", path: error.path, underlying: error.underlying)
        }
    }

    private init(directory: String, record: Record, lock: Lock) {
        self.directory = directory
        self.record = record
        self.lock = lock
    }

    /// Commits: removes the journal (the commit point), then the saved originals.
    func commit() {
        try? FileSystemCalls.unlink(directory + "/journal.json")
        try? FileSystemCalls.synchronizeDirectory(directory)
        Self.removeDirectory(directory)
    }

    /// Puts every affected path back as it was; returns the failures (empty when all
    /// was restored, and then the journal is gone).
    func rollBack() -> [WorkError] {
        let failures = Self.restore(record, from: directory)
        if failures.isEmpty {
            try? FileSystemCalls.unlink(directory + "/journal.json")
            Self.removeDirectory(directory)
        }
        return failures
    }

    private static func restore(_ record: Record, from directory: String) -> [WorkError] {
        var failures: [WorkError] = []
        for entry in record.entries.reversed() {
            do throws(WorkError) {
                if let backup = entry.backup {
                    try AtomicFile.copy(directory + "/" + backup, to: entry.path, overwrite: true)
                } else {
                    do { try FileSystemCalls.unlink(entry.path) } catch {
                        if error != .noSuchFileOrDirectory { throw WorkError(errno: error, operation: "remove", path: entry.path) }
                    }
                }
            } catch {
                failures.append(error)
            }
        }
        for created in record.createdDirectories.reversed() {
            try? FileSystemCalls.removeDirectory(created)
        }
        return failures
    }

    /// What ``recover(stateDirectory:)`` did with one journal.
    public struct Recovery: Sendable, Hashable {
        /// The journal's directory.
        public var directory: String
        /// The operations of the interrupted transaction.
        public var operations: [String]
        /// The paths put back as they were.
        public var restoredPaths: [String]
        /// Messages for paths that could not be put back (the journal is kept then).
        public var failures: [String]

        /// What happened, in one sentence for the user: rolled back, or what could not be
        /// put back and where the originals are.
        public var summary: String {
            let what = operations.count == 1 ? "1 operation" : "\(operations.count) operations"
            if failures.isEmpty {
                return "rolled back a transaction interrupted before it finished (\(what)); its files are as they were before it"
            }
            return "could not fully roll back an interrupted transaction (\(what)): \(failures.joined(separator: "; ")); the originals are kept in '\(directory)'"
        }
    }

    /// Rolls back every transaction whose process died before it committed, and
    /// removes the leftovers of ones that never started changing files. A journal
    /// whose lock is held (its process is alive) is left alone.
    ///
    /// Cheap when there is nothing to do: one `stat` of the state directory.
    ///
    /// - Returns: One entry per transaction rolled back.
    public static func recover(stateDirectory: String = defaultStateDirectory()) -> [Recovery] {
        let root = stateDirectory + "/transactions"
        guard (try? FileSystemCalls.status(root, followSymlinks: true))?.kind == .directory else { return [] }
        var recoveries: [Recovery] = []
        for directory in children(of: root) {
            guard let lockFile = try? WritableFile(openingOrCreating: directory + "/lock") else { continue }
            guard (try? lockFile.lockExclusively()) != nil else { continue }  // alive
            let journal = directory + "/journal.json"
            guard let bytes = try? AtomicFile.readBytes(journal, limit: 64 << 20),
                  let record = try? JSONDecoder().decode(Record.self, from: Data(bytes))
            else {
                // No journal: nothing in the user's tree was touched yet.
                removeDirectory(directory)
                continue
            }
            let failures = restore(record, from: directory)
            if failures.isEmpty {
                try? FileSystemCalls.unlink(journal)
                removeDirectory(directory)
            }
            recoveries.append(Recovery(
                directory: directory, operations: record.operations,
                restoredPaths: record.entries.map(\.path), failures: failures.map(\.message)))
            _ = consume lockFile
        }
        return recoveries
    }

    private static func children(of directory: String) -> [String] {
        var options = WalkOptions()
        options.includeHidden = true
        options.respectIgnoreFiles = false
        options.readParentIgnoreFiles = false
        options.maxDepth = 1
        guard let walker = try? Walker(options: options) else { return [] }
        return walker.collect([directory]).entries.filter { $0.depth == 1 }.map(\.path).sorted()
    }

    /// Removes a journal directory and the files in it.
    private static func removeDirectory(_ directory: String) {
        for child in children(of: directory) { try? FileSystemCalls.unlink(child) }
        try? FileSystemCalls.removeDirectory(directory)
    }
}

