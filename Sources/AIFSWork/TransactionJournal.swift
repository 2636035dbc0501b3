@_spi(Syscalls) import AIFSCore
import Crypto
import FoundationEssentials
import Synchronization
import SystemPackage

/// The on-disk record of a running transaction, so that one interrupted by a crash or
/// `kill -9` can be rolled back by the next process without touching anything the
/// transaction did not change.
///
/// Each transaction gets a directory `<state>/transactions/<id>/` holding `lock` (an
/// `flock` held for the transaction's life), the saved original of each affected file
/// that existed, and `journal.json`, written last and atomically: until it exists
/// nothing in the user's tree has been touched. Removing `journal.json` commits.
///
/// The journal names, for every affected path, its original (device and inode, and
/// where it is saved), every state the transaction may leave there (absent, new bytes
/// by size and SHA-256, or another path's original moved in), every temporary file the
/// transaction will create and every directory it will make. Rolling back (after a
/// failure, or by ``recover(stateDirectory:)`` after a crash) then decides path by
/// path:
/// - a path that still holds its original (the same inode), or is still absent, was
///   not reached: it is left alone, whatever was written to it since;
/// - a path that holds what the transaction wrote gets its original back, by renaming
///   the saved original into place (no new space needed), or is removed if it did not
///   exist;
/// - a path that holds anything else was changed by someone after the transaction: it
///   is left as it is, and its original is put beside it as `NAME.aifs-original` and
///   reported by path.
/// Then the temporary files are removed and the directories made (if empty).
///
/// Originals are saved as hard links (in the journal's directory, or beside the file
/// when the state directory is on another file system), so saving them needs no space
/// and putting them back is a rename. A file the transaction has not replaced yet
/// shares its inode with its saved original, which is why a path that still has the
/// original's inode counts as not reached: an edit made in place there is the user's,
/// and stays.
///
/// The state directory is `$AIFS_STATE_DIR`, else `$XDG_STATE_HOME/aifs`, else
/// `~/.local/state/aifs`: outside the user's tree.
///
/// ## Threading
/// Blocks; call from a dedicated thread.
public struct TransactionJournal: Sendable {
    /// The transaction's own directory.
    public let directory: String
    let record: Record
    private let lock: LockFile
    private let progress: ProgressLog

    /// A state the transaction may leave at a path.
    enum Written: Codable, Sendable, Hashable {
        /// The path does not exist.
        case absent
        /// New contents, by size and SHA-256 (hex).
        case content(size: Int64, sha256: String)
        /// The original file of another affected path, moved here.
        case originalOf(String)
    }

    /// Which file a path held when the transaction began.
    struct Original: Codable, Sendable, Hashable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modificationTime: Int64
    }

    struct Entry: Codable, Sendable {
        var path: String
        /// Where the original is saved, or nil if the path did not exist.
        var backup: String?
        var original: Original?
        /// Every state the transaction may leave at the path, in order.
        var written: [Written]
        /// The first operation (1-based) that changes the path: if the transaction was
        /// killed before it started that operation, the path was never reached.
        var firstStep: Int
    }

    struct Record: Codable, Sendable {
        var version = Record.currentVersion
        var pid: Int32
        var operations: [String]
        var entries: [Entry]
        var createdDirectories: [String]
        /// Every temporary file the transaction may create, named before it exists.
        var temporaries: [String]

        static let currentVersion = 2
    }

    private struct VersionOnly: Decodable { var version: Int }

    private static let counter = Atomic<Int>(0)

    /// The state directory to use when none is given.
    public static func defaultStateDirectory() -> String {
        if let explicit = FileSystemCalls.environment("AIFS_STATE_DIR"), !explicit.isEmpty { return explicit }
        if let xdg = FileSystemCalls.environment("XDG_STATE_HOME"), xdg.hasPrefix("/") { return xdg + "/aifs" }
        if let home = FileSystemCalls.environment("HOME"), home.hasPrefix("/") { return home + "/.local/state/aifs" }
        return "/tmp/aifs-state-\(FileSystemCalls.processID)"
    }

    /// A fresh, unique transaction id: `<pid>-<n>-<random>`.
    static func makeIdentifier() -> String {
        let number = counter.add(1, ordering: .relaxed).newValue
        return "\(FileSystemCalls.processID)-\(number)-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
    }

    /// Saves the originals and writes the journal.
    static func begin(_ plan: TransactionPlan, stateDirectory: String) throws(WorkError) -> TransactionJournal {
        let directory = stateDirectory + "/transactions/" + plan.identifier
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
        let lock: LockFile
        do { lock = try LockFile(locking: directory + "/lock") } catch {
            JournalFiles.removeDirectory(directory)
            throw WorkError(errno: error, operation: "lock the transaction journal", path: directory + "/lock")
        }
        var entries: [Entry] = []
        var besideBackups: [String] = []
        do throws(WorkError) {
            for (index, path) in plan.affected.enumerated() {
                let written = plan.written[path] ?? []
                let identity: FileIdentity
                do { identity = try FileSystemCalls.status(path, followSymlinks: false) } catch .noSuchFileOrDirectory {
                    entries.append(Entry(path: path, backup: nil, original: nil, written: written, firstStep: plan.firstStep[path] ?? 1))
                    continue
                } catch {
                    throw WorkError(errno: error, operation: "examine", path: path)
                }
                guard identity.kind == .regular else {
                    throw WorkError(.invalidArgument, "'\(path)' is \(identity.kind.phrase); transactions change regular files only", path: path)
                }
                let backup = try saveOriginal(path, as: directory + "/backup-\(index)", tag: "\(plan.identifier)-original-\(index)")
                if !backup.hasPrefix(directory + "/") { besideBackups.append(backup) }
                let original = Original(
                    device: identity.device, inode: identity.inode, size: identity.size,
                    modificationTime: identity.modificationTime)
                entries.append(Entry(path: path, backup: backup, original: original, written: written, firstStep: plan.firstStep[path] ?? 1))
            }
            let record = Record(
                pid: FileSystemCalls.processID, operations: plan.steps.map(\.summary),
                entries: entries, createdDirectories: plan.createdDirectories,
                temporaries: plan.steps.compactMap(\.temporary))
            let data: Data
            do { data = try JSONEncoder().encode(record) } catch {
                throw WorkError(.io, "cannot encode the transaction journal: \(error)")
            }
            let progress: ProgressLog
            do { progress = try ProgressLog(creating: directory + "/progress") } catch {
                throw WorkError(errno: error, operation: "create the progress log", path: directory + "/progress")
            }
            try AtomicFile.write([UInt8](data), to: directory + "/journal.json", temporary: directory + "/journal.json.tmp")
            return TransactionJournal(directory: directory, record: record, lock: lock, progress: progress)
        } catch {
            for backup in besideBackups { try? FileSystemCalls.unlink(backup) }
            JournalFiles.removeDirectory(directory)
            throw WorkError(.notApplied, "cannot save the originals before the transaction: \(error.message); nothing was applied", path: error.path, underlying: error.underlying)
        }
    }

    /// Saves the original at `path`: a hard link in the journal, else (another file
    /// system) a hard link beside the file, else (no hard links there) a copy in the
    /// journal. Returns where it is.
    private static func saveOriginal(_ path: String, as saved: String, tag: String) throws(WorkError) -> String {
        do {
            try FileSystemCalls.link(path, to: saved)
            return saved
        } catch .improperLink {
            let beside = AtomicFile.temporaryName(for: path, tag: tag)
            do {
                try FileSystemCalls.link(path, to: beside)
                return beside
            } catch {}
        } catch {}
        try AtomicFile.copy(path, to: saved, overwrite: false, temporary: saved + ".tmp")
        return saved
    }

    private init(directory: String, record: Record, lock: LockFile, progress: ProgressLog) {
        self.directory = directory
        self.record = record
        self.lock = lock
        self.progress = progress
    }

    /// Notes that operation `step` (1-based) is about to change the tree. Paths that
    /// only later operations change are then known untouched if the process dies.
    ///
    /// Not fsync'd: after a `kill -9` the page cache still has it, and after a power
    /// loss a lost note only makes recovery check more paths by their contents.
    func starting(step: Int) {
        progress.note(step)
    }

    /// Commits: removes the journal (the commit point), then the saved originals.
    func commit() {
        try? FileSystemCalls.unlink(directory + "/journal.json")
        try? FileSystemCalls.synchronizeDirectory(directory)
        for entry in record.entries {
            if let backup = entry.backup, !backup.hasPrefix(directory + "/") { try? FileSystemCalls.unlink(backup) }
        }
        JournalFiles.removeDirectory(directory)
    }

    /// Puts back every path the transaction changed and finishes the journal.
    func rollBack() -> Settlement {
        Self.settle(record, directory: directory, lastStarted: progress.last)
    }

    // MARK: - Settling a journal

    /// What rolling back a journal did.
    struct Settlement {
        /// Paths given their original back (or removed, if they did not exist).
        var restored: [String] = []
        /// Paths changed by someone else after the transaction wrote them, left as they
        /// are, with where their original was put (nil if they did not exist before).
        var kept: [(path: String, original: String?)] = []
        /// The transaction's temporary files that were removed.
        var removedTemporaries: [String] = []
        /// What could not be done.
        var failures: [WorkError] = []
        /// Where the journal was moved when it could not be settled (reported once).
        var unsettled: String?
    }

    /// Rolls a journal back path by path (see the type's documentation), then removes it,
    /// or, when something could not be undone, moves it to `<state>/unsettled/` so it is
    /// reported once and not retried.
    static func settle(_ record: Record, directory: String, lastStarted: Int) -> Settlement {
        var settlement = Settlement()
        for temporary in record.temporaries {
            do {
                try FileSystemCalls.unlink(temporary)
                settlement.removedTemporaries.append(temporary)
            } catch .noSuchFileOrDirectory, .notDirectory {
            } catch {
                settlement.failures.append(WorkError(errno: error, operation: "remove the temporary file", path: temporary))
            }
        }
        for entry in record.entries.reversed() {
            if entry.firstStep > lastStarted {
                // Never reached: whatever is there now is not the transaction's.
                if let backup = entry.backup { try? FileSystemCalls.unlink(backup) }
                continue
            }
            do throws(WorkError) {
                try settle(entry, in: record, settlement: &settlement)
            } catch {
                settlement.failures.append(error)
            }
        }
        for created in record.createdDirectories.reversed() {
            // Not empty: someone put files there since; they stay, and so does it.
            try? FileSystemCalls.removeDirectory(created)
        }
        if settlement.failures.isEmpty {
            try? FileSystemCalls.unlink(directory + "/journal.json")
            JournalFiles.removeDirectory(directory)
        } else {
            settlement.unsettled = setAside(directory)
        }
        return settlement
    }

    private static func settle(_ entry: Entry, in record: Record, settlement: inout Settlement) throws(WorkError) {
        let current: FileIdentity?
        do { current = try FileSystemCalls.status(entry.path, followSymlinks: false) } catch .noSuchFileOrDirectory, .notDirectory {
            current = nil
        } catch {
            throw WorkError(errno: error, operation: "examine", path: entry.path)
        }
        if let original = entry.original, let backup = entry.backup {
            guard (try? FileSystemCalls.status(backup, followSymlinks: false)) != nil else {
                return  // put back or aside by an earlier recovery that was cut short
            }
            if let current, current.device == original.device, current.inode == original.inode {
                // Not reached: the original is still there (edited in place or not).
                try? FileSystemCalls.unlink(backup)
                return
            }
            if holdsWhatWasWritten(current, entry: entry, record: record) {
                try putBack(backup, at: entry.path)
                settlement.restored.append(entry.path)
            } else {
                let beside = freeName(entry.path + ".aifs-original")
                try putBack(backup, at: beside)
                settlement.kept.append((entry.path, beside))
            }
        } else if let current {
            if holdsWhatWasWritten(current, entry: entry, record: record) {
                do { try FileSystemCalls.unlink(entry.path) } catch {
                    if error != .noSuchFileOrDirectory { throw WorkError(errno: error, operation: "remove", path: entry.path) }
                }
                settlement.restored.append(entry.path)
            } else {
                settlement.kept.append((entry.path, nil))
            }
        }
    }

    /// Whether the path holds one of the states the transaction may have left there.
    private static func holdsWhatWasWritten(_ current: FileIdentity?, entry: Entry, record: Record) -> Bool {
        for written in entry.written {
            switch written {
            case .absent:
                if current == nil { return true }
            case .content(let size, let digest):
                if let current, current.kind == .regular, current.size == size,
                   (try? sha256(of: entry.path)) == digest
                {
                    return true
                }
            case .originalOf(let source):
                guard let current, current.kind == .regular,
                      let moved = record.entries.first(where: { $0.path == source }), let original = moved.original
                else { continue }
                if current.device == original.device && current.inode == original.inode
                    && current.size == original.size && current.modificationTime == original.modificationTime
                {
                    return true
                }
                // Moved across file systems: a copy of the original.
                if current.size == original.size, let backup = moved.backup,
                   let copy = try? sha256(of: entry.path), let saved = try? sha256(of: backup), copy == saved
                {
                    return true
                }
            }
        }
        return false
    }

    /// Renames the saved original to `path`; copies it across file systems.
    private static func putBack(_ backup: String, at path: String) throws(WorkError) {
        do {
            try FileSystemCalls.rename(backup, to: path)
            try? FileSystemCalls.synchronizeDirectory(AtomicFile.split(path).directory)
        } catch .improperLink {
            try AtomicFile.copy(backup, to: path, overwrite: true)
            try? FileSystemCalls.unlink(backup)
        } catch {
            throw WorkError(errno: error, operation: "put back the original of", path: path)
        }
    }

    /// `path`, or `path-2`, `path-3`… whichever does not exist.
    private static func freeName(_ path: String) -> String {
        var candidate = path
        var number = 1
        while (try? FileSystemCalls.status(candidate, followSymlinks: false)) != nil {
            number += 1
            candidate = path + "-\(number)"
        }
        return candidate
    }

    /// Moves an unsettled journal to `<state>/unsettled/`; returns where it is now.
    private static func setAside(_ directory: String) -> String {
        let transactions = AtomicFile.split(directory).directory
        let unsettled = AtomicFile.split(transactions).directory + "/unsettled"
        let target = unsettled + "/" + AtomicFile.split(directory).name
        do {
            do { try FileSystemCalls.makeDirectory(unsettled, permissions: 0o700) } catch .fileExists {}
            try FileSystemCalls.rename(directory, to: target)
            return target
        } catch {
            return directory
        }
    }

    /// The whole SHA-256 of a file, in hex.
    static func sha256(of path: String) throws(WorkError) -> String {
        let file = try AtomicFile.open(path)
        return ContentVersion.hex(try ContentVersion.sha256(of: file).0, bytes: 32)
    }

    /// The whole SHA-256 of `bytes`, in hex.
    static func sha256(of bytes: [UInt8]) -> String {
        ContentVersion.hex(SHA256.hash(data: bytes), bytes: 32)
    }

    // MARK: - Recovery

    /// What ``recover(stateDirectory:)`` did with one interrupted transaction (or with
    /// the temporary files of one killed process).
    public struct Recovery: Sendable, Hashable {
        /// The journal's directory (where it was found).
        public var directory: String
        /// The operations of the interrupted transaction (empty for a process's leftover
        /// temporary files).
        public var operations: [String]
        /// The paths put back as they were before the transaction.
        public var restoredPaths: [String]
        /// Paths someone changed after the transaction wrote them: left as they are.
        public var keptPaths: [String]
        /// For each kept path that existed before, where its original was saved.
        public var savedOriginals: [String: String]
        /// The temporary files removed.
        public var removedTemporaries: [String]
        /// Messages for what could not be undone.
        public var failures: [String]
        /// Where the journal was set aside when it could not be settled; it is not
        /// retried.
        public var unsettledDirectory: String?

        /// What happened, for the user: what was put back, what was left as the user
        /// has it (and where its original is), and what could not be undone.
        public var summary: String {
            if operations.isEmpty {
                return "removed \(count(removedTemporaries.count, "temporary file")) left by an aifs process that was killed: \(listed(removedTemporaries))"
            }
            var text: String
            if failures.isEmpty {
                text = "rolled back a transaction interrupted before it finished (\(count(operations.count, "operation"))): \(count(restoredPaths.count, "path")) put back as before it"
            } else {
                text = "could not fully roll back a transaction interrupted before it finished (\(count(operations.count, "operation"))): \(failures.prefix(5).joined(separator: "; "))\(failures.count > 5 ? "; and \(failures.count - 5) more" : ""); \(count(restoredPaths.count, "path")) were put back"
            }
            if !keptPaths.isEmpty {
                let described = keptPaths.map { path in
                    savedOriginals[path].map { "'\(path)' (its original is at '\($0)')" } ?? "'\(path)' (new since)"
                }
                text += "; \(count(keptPaths.count, "path")) changed after it and left as you have them: \(described.prefix(10).joined(separator: ", "))\(described.count > 10 ? ", and \(described.count - 10) more" : "")"
            }
            if let unsettledDirectory {
                text += "; the journal and the originals not put back are kept in '\(unsettledDirectory)': restore what you need from there by hand, then remove it (this is reported only once)"
            }
            return text
        }

        private func count(_ number: Int, _ noun: String) -> String {
            number == 1 ? "1 \(noun)" : "\(number) \(noun)s"
        }

        private func listed(_ paths: [String]) -> String {
            paths.prefix(10).map { "'\($0)'" }.joined(separator: ", ") + (paths.count > 10 ? ", and \(paths.count - 10) more" : "")
        }
    }

    /// Rolls back every transaction whose process died before it committed, removes
    /// the leftovers of ones that never started changing files and the temporary files
    /// of killed processes. A journal or ledger whose lock is held (its process is
    /// alive) is left alone; a journal that cannot be settled is set aside in
    /// `<state>/unsettled/` and reported once.
    ///
    /// Cheap when there is nothing to do: a `stat` of two directories.
    ///
    /// - Returns: One entry per transaction rolled back, and one per killed process
    ///   whose temporary files were removed.
    public static func recover(stateDirectory: String = defaultStateDirectory()) -> [Recovery] {
        var recoveries: [Recovery] = []
        let root = stateDirectory + "/transactions"
        if (try? FileSystemCalls.status(root, followSymlinks: true))?.kind == .directory {
            for directory in JournalFiles.children(of: root) {
                guard let lock = try? LockFile(locking: directory + "/lock") else { continue }  // alive
                if let recovery = recover(directory) { recoveries.append(recovery) }
                _ = consume lock
            }
        }
        let removed = TemporaryFileLedger.recover(stateDirectory: stateDirectory)
        if !removed.isEmpty {
            recoveries.append(Recovery(
                directory: stateDirectory + "/temporaries", operations: [], restoredPaths: [], keptPaths: [],
                savedOriginals: [:], removedTemporaries: removed, failures: [], unsettledDirectory: nil))
        }
        return recoveries
    }

    private static func recover(_ directory: String) -> Recovery? {
        let journal = directory + "/journal.json"
        guard let bytes = try? AtomicFile.readBytes(journal, limit: 256 << 20) else {
            // No journal: nothing in the user's tree was touched yet.
            JournalFiles.removeDirectory(directory)
            return nil
        }
        let decoder = JSONDecoder()
        guard let version = try? decoder.decode(VersionOnly.self, from: Data(bytes)).version,
              version == Record.currentVersion,
              let record = try? decoder.decode(Record.self, from: Data(bytes))
        else {
            // A journal this version cannot read (an older aifs's, or damaged): never
            // guess; keep the originals and say where they are.
            let aside = setAside(directory)
            return Recovery(
                directory: directory, operations: ["(unreadable journal)"], restoredPaths: [], keptPaths: [],
                savedOriginals: [:], removedTemporaries: [],
                failures: ["its journal '\(journal)' cannot be read by this version of aifs, so nothing was changed"],
                unsettledDirectory: aside)
        }
        let settlement = settle(record, directory: directory, lastStarted: ProgressLog.lastNoted(in: directory + "/progress"))
        var saved: [String: String] = [:]
        for kept in settlement.kept { if let original = kept.original { saved[kept.path] = original } }
        return Recovery(
            directory: directory, operations: record.operations, restoredPaths: settlement.restored,
            keptPaths: settlement.kept.map(\.path), savedOriginals: saved,
            removedTemporaries: settlement.removedTemporaries, failures: settlement.failures.map(\.message),
            unsettledDirectory: settlement.unsettled)
    }
}

/// The numbers of the operations a transaction started, one per line, appended as it
/// goes (see ``TransactionJournal/starting(step:)``).
final class ProgressLog: @unchecked Sendable {
    // @unchecked: used by the one thread that runs the transaction.
    private let file: WritableFile
    private(set) var last = 0

    init(creating path: String) throws(Errno) {
        file = try WritableFile(creatingExclusively: path, permissions: 0o600)
    }

    func note(_ step: Int) {
        last = step
        try? file.write(Array("\(step)\n".utf8))
    }

    /// The last operation noted in the log at `path`; 0 when there is none. A log
    /// that cannot be read counts every operation as started.
    static func lastNoted(in path: String) -> Int {
        guard let bytes = try? AtomicFile.readBytes(path, limit: 64 << 20) else {
            return Int.max
        }
        let lines = bytes.split(separator: UInt8(ascii: "\n"))
        // A torn last line (killed mid-write) is ignored; the one before it counts.
        for line in lines.reversed() {
            if let number = Int(String(decoding: line, as: UTF8.self)) { return number }
        }
        return 0
    }
}
