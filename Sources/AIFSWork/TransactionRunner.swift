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
    /// Refuses an operation whose `expectedVersion` (the third argument) is not the
    /// version of the file at the resolved path (the first; the second is the path as
    /// given). By default the versions are compared and the message says to read again;
    /// the facade's also shows what changed.
    public var checkVersion: @Sendable (String, String, String) throws(WorkError) -> Void = TransactionRunner.compareVersions
    /// Test hook: end the process with `SIGKILL` after this many operations were
    /// applied, to test recovery. Not API.
    public var _killAfterOperations: Int?
    /// Test hook: skip the free-space check, to test the rollback of a transaction that
    /// runs out of space midway. Not API.
    public var _skipSpaceCheck = false
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
            throw WorkError(.invalidTransaction, "the transaction has no operations; give at least one in \"operations\"; nothing was applied")
        }
        let plan = try TransactionPlan.make(transaction, resolve: options.resolve, checkVersion: options.checkVersion)
        let report = TransactionReport(steps: plan.steps.map(\.report), applied: !options.dryRun)
        if options.dryRun { return report }
        if !options._skipSpaceCheck { try plan.checkSpace() }
        let journal = try TransactionJournal.begin(plan, stateDirectory: options.stateDirectory ?? TransactionJournal.defaultStateDirectory())
        for (index, step) in plan.steps.enumerated() {
            do throws(WorkError) {
                if options._failOperation == index + 1 {
                    throw WorkError(.io, "cannot \(step.kind.rawValue) '\(step.path)': injected failure (test hook)", path: step.path, underlying: .ioError)
                }
                journal.starting(step: index + 1)
                try step.apply()
            } catch {
                let rollback = journal.rollBack()
                let total = plan.steps.count
                let done = index == 0 ? "" : " (operation\(index == 1 ? "" : "s") 1\(index == 1 ? "" : "-\(index)") had been applied)"
                let notTried = index + 1 < total ? "; operations \(index + 2)-\(total) were not tried" : ""
                var restored = rollback.failures.isEmpty
                    ? "everything was rolled back\(done)\(notTried)"
                    : "rolling back failed for \(rollback.failures.map(\.message).joined(separator: "; ")); the originals not put back are kept in '\(rollback.unsettled ?? journal.directory)'"
                if !rollback.kept.isEmpty {
                    let kept = rollback.kept.map { kept in kept.original.map { "'\(kept.path)' (its original is at '\($0)')" } ?? "'\(kept.path)'" }
                    restored += "; changed by someone else meanwhile and left as they are: \(kept.joined(separator: ", "))"
                }
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

    /// The default ``TransactionOptions/checkVersion``.
    public static let compareVersions: @Sendable (String, String, String) throws(WorkError) -> Void = { resolved, shown, expected throws(WorkError) in
        let current = (try? ContentVersion.of(path: resolved))?.description ?? "absent"
        guard current == expected else {
            throw WorkError(
                .versionMismatch,
                "'\(shown)' changed since it was read: its version is now \(current), not the expectedVersion \(expected); read it again and redo the change",
                path: shown)
        }
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
        /// The temporary file a write (or a move across file systems) goes through,
        /// named in the journal before it exists.
        var temporary: String?

        var summary: String {
            kind == .move ? "move '\(path)' to '\(destination ?? "")'" : "\(kind.rawValue) '\(path)'"
        }

        var report: TransactionReport.Step {
            TransactionReport.Step(type: kind, path: path, destination: destination, diff: diff)
        }

        func apply() throws(WorkError) {
            switch kind {
            case .create, .write, .update:
                try AtomicFile.write(bytes ?? [], to: path, createDirectories: true, temporary: temporary)
            case .move:
                let destination = destination ?? ""
                try AtomicFile.makeParents(of: destination)
                try FileMover.move(path, to: destination, overwrite: false, temporary: temporary)
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

    /// The transaction's id: its journal's name, and the tag of its temporary files.
    let identifier = TransactionJournal.makeIdentifier()
    var steps: [Step] = []
    /// Every path the transaction may change, in first-touched order.
    var affected: [String] = []
    /// Every state each affected path may be left in, in order.
    var written: [String: [TransactionJournal.Written]] = [:]
    /// The first step (1-based) that changes each affected path.
    var firstStep: [String: Int] = [:]
    /// The directories that will be made, outermost first.
    var createdDirectories: [String] = []

    private var overlay: [String: Node] = [:]
    /// The path each file on disk (device and inode) was first named by, to catch one
    /// file named two ways (hard links).
    private var names: [FileKey: String] = [:]

    private struct FileKey: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    static func make(
        _ transaction: Transaction, resolve: (String) throws(WorkError) -> String,
        checkVersion: (String, String, String) throws(WorkError) -> Void = TransactionRunner.compareVersions
    ) throws(WorkError) -> TransactionPlan {
        var plan = TransactionPlan()
        let total = transaction.operations.count
        for (index, operation) in transaction.operations.enumerated() {
            do {
                if let expected = operation.expectedVersion {
                    // Against the file as it is before the transaction.
                    try checkVersion(Self.canonical(try resolve(operation.path)), operation.path, expected)
                }
                try plan.add(operation, number: index + 1, resolve: resolve)
            } catch {
                var failed = error
                failed.message = "operation \(index + 1) of \(total) (\(operation.summary)): \(error.message); nothing was applied"
                throw failed
            }
        }
        return plan
    }

    private mutating func add(
        _ operation: TransactionOperation, number: Int, resolve: (String) throws(WorkError) -> String
    ) throws(WorkError) {
        let path = Self.canonical(try resolve(operation.path))
        let temporary = AtomicFile.temporaryName(for: path, tag: "\(identifier)-\(number)")
        switch operation.type {
        case .create, .write:
            guard let content = operation.content else {
                throw WorkError(.invalidTransaction, "it has no \"content\"; give the whole new contents (\"\" for an empty file)")
            }
            // The old contents only feed the diff: a file too large to load, or not
            // text, is replaced all the same and reported without a diff.
            let current = try node(path, shownAs: operation.path)
            if case .directory = current { throw missingOrDirectory(current, path: operation.path) }
            let old = Result { () throws(WorkError) -> [UInt8]? in try existingBytes(path, shownAs: operation.path, mustExist: false) }
            try planParents(of: path)
            let bytes = Array(content.utf8)
            record(.bytes(bytes), at: path)
            var diff: String?
            switch old {
            case .success(.some(let bytes)):
                diff = String(validating: bytes, as: UTF8.self).map { UnifiedDiff.make(old: $0, new: content, path: operation.path) }
            case .success(.none):
                diff = UnifiedDiff.make(old: "", new: content, path: operation.path)
            case .failure:
                diff = nil
            }
            steps.append(Step(kind: operation.type, path: path, bytes: bytes, diff: diff, temporary: temporary))
        case .update:
            guard let updates = operation.updates, !updates.isEmpty else {
                throw WorkError(.invalidTransaction, "it has no \"updates\"; give [{\"oldText\": …, \"newText\": …}]")
            }
            guard let old = try existingBytes(path, shownAs: operation.path, mustExist: true) else { return }
            guard let text = String(validating: old, as: UTF8.self) else {
                throw WorkError(.invalidArgument, "'\(operation.path)' is not valid UTF-8 text; use write to replace it whole", path: path)
            }
            let result = try TextEdits.preview(updates, to: text, path: operation.path)
            let bytes = Array(result.text.utf8)
            record(.bytes(bytes), at: path)
            steps.append(Step(kind: .update, path: path, bytes: bytes, diff: result.diff, temporary: temporary))
        case .move:
            guard let given = operation.destination else {
                throw WorkError(.invalidTransaction, "it has no \"destination\"; give the new path")
            }
            let destination = Self.canonical(try resolve(given))
            let source = try node(path, shownAs: operation.path)
            switch source {
            case .disk, .bytes: break
            default: throw missingOrDirectory(source, path: operation.path)
            }
            guard destination != path else {
                let same = given == operation.path ? "" : " ('\(given)' and '\(operation.path)' name the same file)"
                throw WorkError(.invalidArgument, "the destination is the file itself\(same), so there is nothing to move; give another destination or drop the operation", path: path)
            }
            switch try node(destination, shownAs: given) {
            case .absent: break
            case .directory:
                throw WorkError(.isADirectory, "cannot move to '\(given)': it is a directory; give the file's new path, including its name (for example '\(given)/\(AtomicFile.split(path).name)')", path: destination)
            default:
                throw WorkError(.alreadyExists, "cannot move to '\(given)': it already exists; delete it in an earlier operation of this transaction first, or choose another destination", path: destination)
            }
            try planParents(of: destination)
            record(.absent, at: path)
            record(source, at: destination)
            // A copy across file systems is made beside the destination.
            let copy = AtomicFile.temporaryName(for: destination, tag: "\(identifier)-\(number)")
            steps.append(Step(kind: .move, path: path, destination: destination, temporary: copy))
        case .delete:
            let current = try node(path, shownAs: operation.path)
            switch current {
            case .disk, .bytes: break
            default: throw missingOrDirectory(current, path: operation.path)
            }
            record(.absent, at: path)
            steps.append(Step(kind: .delete, path: path))
        }
    }

    /// Sets what `path` holds after this step, and notes it for the journal.
    private mutating func record(_ node: Node, at path: String) {
        overlay[path] = node
        if !affected.contains(path) {
            affected.append(path)
            firstStep[path] = steps.count + 1
        }
        let state: TransactionJournal.Written
        switch node {
        case .absent, .directory: state = .absent
        case .bytes(let bytes): state = .content(size: Int64(bytes.count), sha256: TransactionJournal.sha256(of: bytes))
        case .disk(let original): state = .originalOf(original)
        }
        if written[path]?.last != state { written[path, default: []].append(state) }
    }

    private func missingOrDirectory(_ node: Node, path: String) -> WorkError {
        switch node {
        case .directory:
            WorkError(.isADirectory, "'\(path)' is a directory; transactions change files only", path: path)
        default:
            WorkError(.notFound, "'\(path)' does not exist (or an earlier operation of this transaction removed it); check the path", path: path)
        }
    }

    /// What `path` holds now in the simulation.
    private mutating func node(_ path: String, shownAs shown: String) throws(WorkError) -> Node {
        if let node = overlay[path] { return node }
        if createdDirectories.contains(where: { $0 == path }) { return .directory }
        if createdDirectories.contains(where: { path.hasPrefix($0 + "/") }) { return .absent }
        let identity: FileIdentity
        do { identity = try FileSystemCalls.status(path, followSymlinks: false) } catch {
            if error == .noSuchFileOrDirectory { return .absent }
            throw WorkError(errno: error, operation: "examine", path: path)
        }
        if identity.kind == .directory { return .directory }
        guard identity.kind == .regular else {
            let target = identity.kind == .symlink ? (try? FileSystemCalls.realPath(path)) : nil
            let what = target.map { "a symbolic link (to '\($0)'); name the file it points to instead" }
                ?? "\(identity.kind.phrase); remove it from the transaction"
            throw WorkError(.invalidArgument, "'\(shown)' is \(what): transactions change regular files only", path: path)
        }
        let key = FileKey(device: identity.device, inode: identity.inode)
        if let other = names[key], other != path {
            throw WorkError(
                .invalidArgument,
                "'\(shown)' and '\(other)' are the same file (hard links); a transaction replaces each name with a new file, which would split them: use one name for it",
                path: path)
        }
        names[key] = path
        return .disk(path)
    }

    /// The current contents of a file, nil when absent (and allowed to be).
    private mutating func existingBytes(_ path: String, shownAs shown: String, mustExist: Bool) throws(WorkError) -> [UInt8]? {
        let current = try node(path, shownAs: shown)
        switch current {
        case .absent:
            if mustExist { throw missingOrDirectory(current, path: shown) }
            return nil
        case .directory:
            throw missingOrDirectory(current, path: shown)
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
            switch try node(directory, shownAs: directory) {
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

    /// Refuses, before anything changes, a transaction whose new files do not fit on
    /// their file systems. The originals stay (as the journal's hard links) until the
    /// commit, so every byte written is new space.
    func checkSpace() throws(WorkError) {
        var needed: [UInt64: (bytes: Int64, directory: String)] = [:]
        for step in steps {
            let size: Int64
            let target: String
            switch step.kind {
            case .create, .write, .update:
                size = Int64(step.bytes?.count ?? 0)
                target = step.path
            case .move:
                guard let destination = step.destination,
                      let source = try? FileSystemCalls.status(step.path, followSymlinks: false),
                      let directory = Self.existingAncestor(of: destination),
                      let there = try? FileSystemCalls.status(directory, followSymlinks: true),
                      there.device != source.device
                else { continue }
                size = source.size  // copied across file systems
                target = destination
            case .delete:
                continue
            }
            guard let directory = Self.existingAncestor(of: target),
                  let identity = try? FileSystemCalls.status(directory, followSymlinks: true)
            else { continue }
            // Whole blocks, and a block for the directory entry and inode.
            let blocks = (size + 4095) / 4096 * 4096 + 4096
            needed[identity.device, default: (0, directory)].bytes += blocks
        }
        for (_, need) in needed {
            guard let available = try? FileSystemCalls.availableBytes(need.directory) else { continue }
            if need.bytes > available {
                throw WorkError(
                    .notApplied,
                    "not enough space: the transaction needs about \(need.bytes) bytes on the file system of '\(need.directory)', which has \(available) free; free some space or write less; nothing was applied",
                    path: need.directory, underlying: .noSpace)
            }
        }
    }

    /// The nearest ancestor of `path` that exists.
    static func existingAncestor(of path: String) -> String? {
        var directory = AtomicFile.split(path).directory
        while (try? FileSystemCalls.status(directory, followSymlinks: true)) == nil {
            guard directory != "/" && directory != "." else { return nil }
            directory = AtomicFile.split(directory).directory
        }
        return directory
    }

    /// `path` (absolute) with `.`, `..` and repeated slashes resolved, and the links of
    /// its existing directories followed, so one file named two ways (`cfg.txt`,
    /// `./cfg.txt`, `sub/../cfg.txt`, `a//cfg.txt`) gets one name. The last component
    /// is kept as it is (a link there is the transaction's to refuse, not to follow).
    static func canonical(_ path: String) -> String {
        var components = path.split(separator: "/").map(String.init).filter { $0 != "." }
        guard let last = components.popLast() else { return "/" }
        if last == ".." {
            return (try? FileSystemCalls.realPath(path)) ?? lexical(components + [last])
        }
        // The longest existing prefix of the directories, resolved by the kernel.
        var base: [String] = []
        var resolved = 0
        for count in stride(from: components.count, through: 1, by: -1) {
            if let real = try? FileSystemCalls.realPath("/" + components[..<count].joined(separator: "/")) {
                base = real.split(separator: "/").map(String.init)
                resolved = count
                break
            }
        }
        return lexical(base + components[resolved...] + [last])
    }

    private static func lexical(_ components: [String]) -> String {
        var result: [String] = []
        for component in components {
            if component == ".." { _ = result.popLast() } else if component != "." { result.append(component) }
        }
        return "/" + result.joined(separator: "/")
    }
}
