@_spi(Syscalls) import AIFSCore
import SystemPackage

/// How a transaction is run.
public struct TransactionOptions: Sendable {
    /// Validate and compute the diffs, change nothing.
    public var dryRun = false
    /// Where journals live; ``TransactionJournal/defaultStateDirectory()`` when nil.
    public var stateDirectory: String?
    /// Turns a path from the document into the absolute path to use; the facade passes
    /// its roots check here. By default a relative path is taken against the current
    /// directory.
    public var resolve: @Sendable (String) throws(WorkError) -> String = TransactionRunner.absolutePath
    /// Test hook: end the process with `SIGKILL` after this many operations were
    /// applied, to test recovery. Not API.
    public var _killAfterOperations: Int?
    /// Test hook: fail operation N (1-based) with an I/O error instead of applying it,
    /// to test rollback of failures that validation cannot foresee. Not API.
    public var _failOperation: Int?

    /// The defaults: apply, journal in the default state directory.
    public init() {}
}

/// Applies a ``Transaction`` all or nothing.
///
/// 1. **Validate** every operation against a simulation of the file system, before
///    touching anything: paths resolve (inside the roots), files exist or not as each
///    kind needs, each `update` edit's `oldText` occurs exactly once in the text as the
///    earlier operations left it, destinations do not exist, parents are directories.
/// 2. **Journal**: the original of every affected file is saved (a hard link, or a copy
///    across file systems) in a directory of its own under the state directory, and a
///    journal listing them is written and fsync'd.
/// 3. **Apply** the operations in order: each write goes through a temporary file,
///    fsync and rename, keeping the file's mode.
/// 4. **Commit** by removing the journal; or, on any failure, **roll back**: every
///    affected path gets its original back (or is removed if it did not exist), and
///    the directories the transaction made are removed.
///
/// A transaction interrupted by a crash or `kill -9` leaves its journal behind; the
/// next ``TransactionJournal/recover(stateDirectory:)`` (which `aifs` runs at start-up)
/// rolls it back. A journal held by a live process (its lock is taken) is left alone.
///
/// ## Threading
/// Blocks; call from a dedicated thread. Transactions on different files may run at
/// once; two on the same file are not serialised against each other.
///
/// ## Known problems
/// Other writers are not locked out: a file changed by someone else between
/// validation and the end of the transaction is overwritten, and on rollback gets the
/// original back.
public enum TransactionRunner {
    /// Runs the transaction.
    ///
    /// - Returns: The steps, with a diff for each write and update.
    /// - Throws: ``WorkError``. Validation errors name the operation ("operation 2 of 4
    ///   (update 'a.swift'): …") and nothing was changed; a failure while applying has
    ///   code `.notApplied` and says which operation failed, why, and that everything
    ///   was rolled back.
    public static func run(_ transaction: Transaction, options: TransactionOptions = TransactionOptions()) throws(WorkError) -> TransactionReport {
        guard !transaction.operations.isEmpty else {
            throw WorkError(.invalidTransaction, "the transaction has no operations; give at least one in \"operations\"")
        }
        let plan = try TransactionPlan.make(transaction, resolve: options.resolve)
        let report = TransactionReport(steps: plan.steps.map(\.report), applied: !options.dryRun)
        if options.dryRun { return report }
        let journal = try TransactionJournal.begin(plan, stateDirectory: options.stateDirectory ?? TransactionJournal.defaultStateDirectory())
        for (index, step) in plan.steps.enumerated() {
            do throws(WorkError) {
                if options._failOperation == index + 1 {
                    throw WorkError(.io, "cannot \(step.kind.rawValue) '\(step.path)': injected failure (test hook)", path: step.path, underlying: .ioError)
                }
                try step.apply()
            } catch {
                let rollback = journal.rollBack()
                let total = plan.steps.count
                let done = index == 0 ? "" : " (operation\(index == 1 ? "" : "s") 1\(index == 1 ? "" : "-\(index)") had been applied)"
                let notTried = index + 1 < total ? "; operations \(index + 2)-\(total) were not tried" : ""
                let restored = rollback.isEmpty
                    ? "everything was rolled back\(done)\(notTried)"
                    : "rolling back failed for \(rollback.map(\.message).joined(separator: "; ")); the journal in '\(journal.directory)' keeps the originals"
                throw WorkError(
                    .notApplied,
                    "operation \(index + 1) of \(total) (\(step.summary)) failed: \(error.message); \(restored)",
                    path: error.path, underlying: error.underlying)
            }
            if let limit = options._killAfterOperations, index + 1 == limit { FileSystemCalls.killSelf() }
        }
        journal.commit()
        return report
    }

    /// A path made absolute against the current directory (no roots check).
    public static let absolutePath: @Sendable (String) throws(WorkError) -> String = { path throws(WorkError) in
        guard !path.isEmpty, !path.utf8.contains(0) else {
            let shown = path.split(separator: "\0", omittingEmptySubsequences: false).joined(separator: "\\0")
            throw WorkError(.invalidPath, "invalid path '\(shown)': it is empty or contains a NUL byte", path: shown)
        }
        if path.hasPrefix("/") { return path }
        let cwd: String
        do throws(Errno) { cwd = try FileSystemCalls.realPath(".") } catch {
            throw WorkError(errno: error, operation: "read the current directory to resolve", path: path)
        }
        return cwd == "/" ? "/" + path : cwd + "/" + path
    }
}

/// A validated transaction: what each operation will do, with its new contents.
struct TransactionPlan {
    struct Step {
        var kind: TransactionOperation.Kind
        var path: String
        var destination: String?
        var bytes: [UInt8]?
        var diff: String?

        var summary: String {
            kind == .move ? "move '\(path)' to '\(destination ?? "")'" : "\(kind.rawValue) '\(path)'"
        }

        var report: TransactionReport.Step {
            TransactionReport.Step(type: kind, path: path, destination: destination, diff: diff)
        }

        func apply() throws(WorkError) {
            switch kind {
            case .create, .write, .update:
                try AtomicFile.write(bytes ?? [], to: path, createDirectories: true)
            case .move:
                let destination = destination ?? ""
                try AtomicFile.makeParents(of: destination)
                try FileMover.move(path, to: destination, overwrite: false)
            case .delete:
                do { try FileSystemCalls.unlink(path) } catch {
                    throw WorkError(errno: error, operation: "delete", path: path)
                }
            }
        }
    }

    /// What a path holds in the simulation.
    enum Node {
        case absent
        case directory
        /// The unchanged file that was at this disk path when validation began.
        case disk(String)
        case bytes([UInt8])
    }

    var steps: [Step] = []
    /// Every path the transaction may change, in first-touched order.
    var affected: [String] = []
    /// The directories that will be made, outermost first.
    var createdDirectories: [String] = []

    private var overlay: [String: Node] = [:]

    static func make(
        _ transaction: Transaction, resolve: (String) throws(WorkError) -> String
    ) throws(WorkError) -> TransactionPlan {
        var plan = TransactionPlan()
        let total = transaction.operations.count
        for (index, operation) in transaction.operations.enumerated() {
            do {
                try plan.add(operation, resolve: resolve)
            } catch {
                var failed = error
                failed.message = "operation \(index + 1) of \(total) (\(operation.summary)): \(error.message); nothing was applied"
                throw failed
            }
        }
        return plan
    }

    private mutating func add(_ operation: TransactionOperation, resolve: (String) throws(WorkError) -> String) throws(WorkError) {
        let path = try resolve(operation.path)
        switch operation.type {
        case .create, .write:
            guard let content = operation.content else {
                throw WorkError(.invalidTransaction, "it has no \"content\"; give the whole new contents (\"\" for an empty file)")
            }
            // The old contents only feed the diff: a file too large to load, or not
            // text, is replaced all the same and reported without a diff.
            let current = try node(path)
            if case .directory = current { throw missingOrDirectory(current, path: operation.path) }
            let old = Result { () throws(WorkError) -> [UInt8]? in try existingBytes(path, mustExist: false) }
            try planParents(of: path)
            let bytes = Array(content.utf8)
            overlay[path] = .bytes(bytes)
            touch(path)
            var diff: String?
            switch old {
            case .success(.some(let bytes)):
                diff = String(validating: bytes, as: UTF8.self).map { UnifiedDiff.make(old: $0, new: content, path: operation.path) }
            case .success(.none):
                diff = UnifiedDiff.make(old: "", new: content, path: operation.path)
            case .failure:
                diff = nil
            }
            steps.append(Step(kind: operation.type, path: path, bytes: bytes, diff: diff))
        case .update:
            guard let updates = operation.updates, !updates.isEmpty else {
                throw WorkError(.invalidTransaction, "it has no \"updates\"; give [{\"oldText\": …, \"newText\": …}]")
            }
            guard let old = try existingBytes(path, mustExist: true) else { return }
            guard let text = String(validating: old, as: UTF8.self) else {
                throw WorkError(.invalidArgument, "'\(operation.path)' is not valid UTF-8 text; use write to replace it whole", path: path)
            }
            let result = try TextEdits.preview(updates, to: text, path: operation.path)
            let bytes = Array(result.text.utf8)
            overlay[path] = .bytes(bytes)
            touch(path)
            steps.append(Step(kind: .update, path: path, bytes: bytes, diff: result.diff))
        case .move:
            guard let given = operation.destination else {
                throw WorkError(.invalidTransaction, "it has no \"destination\"; give the new path")
            }
            let destination = try resolve(given)
            guard destination != path else {
                throw WorkError(.invalidArgument, "the destination is the file itself; give another path", path: path)
            }
            let source = try node(path)
            guard case .disk = source else {
                if case .bytes = source {
                    throw WorkError(.invalidArgument, "'\(operation.path)' was written by an earlier operation of this transaction; write it at '\(given)' directly instead of moving it", path: path)
                }
                throw missingOrDirectory(source, path: operation.path)
            }
            switch try node(destination) {
            case .absent: break
            case .directory:
                throw WorkError(errno: .isDirectory, operation: "move to", path: given)
            default:
                throw WorkError(.alreadyExists, "cannot move to '\(given)': it already exists; delete it in an earlier operation first", path: destination)
            }
            try planParents(of: destination)
            overlay[destination] = source
            overlay[path] = .absent
            touch(path)
            touch(destination)
            steps.append(Step(kind: .move, path: path, destination: destination))
        case .delete:
            let current = try node(path)
            guard case .disk = current else { throw missingOrDirectory(current, path: operation.path) }
            overlay[path] = .absent
            touch(path)
            steps.append(Step(kind: .delete, path: path))
        }
    }

    private func missingOrDirectory(_ node: Node, path: String) -> WorkError {
        switch node {
        case .directory:
            WorkError(.isADirectory, "'\(path)' is a directory; transactions change files only", path: path)
        case .bytes:
            WorkError(.invalidArgument, "'\(path)' was written by an earlier operation of this transaction", path: path)
        default:
            WorkError(.notFound, "'\(path)' does not exist (or an earlier operation removed it); check the path", path: path)
        }
    }

    private mutating func touch(_ path: String) {
        if !affected.contains(path) { affected.append(path) }
    }

    /// What `path` holds now in the simulation.
    private func node(_ path: String) throws(WorkError) -> Node {
        if let node = overlay[path] { return node }
        if createdDirectories.contains(where: { $0 == path }) { return .directory }
        if createdDirectories.contains(where: { path.hasPrefix($0 + "/") }) { return .absent }
        do {
            let identity = try FileSystemCalls.status(path, followSymlinks: true)
            if identity.kind == .directory { return .directory }
            guard identity.kind == .regular else {
                throw WorkError(.invalidArgument, "'\(path)' is a \(identity.kind), not a regular file", path: path)
            }
            return .disk(path)
        } catch let error as Errno {
            if error == .noSuchFileOrDirectory { return .absent }
            throw WorkError(errno: error, operation: "examine", path: path)
        } catch let error as WorkError {
            throw error
        } catch {
            throw WorkError(.io, "cannot examine '\(path)': \(error)", path: path)
        }
    }

    /// The current contents of a file, nil when absent (and allowed to be).
    private func existingBytes(_ path: String, mustExist: Bool) throws(WorkError) -> [UInt8]? {
        let current = try node(path)
        switch current {
        case .absent:
            if mustExist { throw missingOrDirectory(current, path: path) }
            return nil
        case .directory:
            throw missingOrDirectory(current, path: path)
        case .disk(let original):
            return try AtomicFile.readBytes(original, limit: AtomicFile.maximumTextSize)
        case .bytes(let bytes):
            return bytes
        }
    }

    /// Records the missing parent directories of `path`, refusing a parent that is a
    /// file.
    private mutating func planParents(of path: String) throws(WorkError) {
        var missing: [String] = []
        var directory = AtomicFile.split(path).directory
        while directory != "/" {
            switch try node(directory) {
            case .directory:
                createdDirectories.append(contentsOf: missing.reversed().filter { !createdDirectories.contains($0) })
                return
            case .absent:
                missing.append(directory)
                directory = AtomicFile.split(directory).directory
            case .disk, .bytes:
                throw WorkError(.notADirectory, "cannot create '\(path)': '\(directory)' is a file, not a directory", path: path)
            }
        }
        createdDirectories.append(contentsOf: missing.reversed().filter { !createdDirectories.contains($0) })
    }
}
