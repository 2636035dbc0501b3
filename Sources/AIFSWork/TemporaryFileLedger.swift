@_spi(Syscalls) import AIFSCore
import Synchronization
import SystemPackage

/// Names each temporary file aifs makes outside a transaction before the file exists,
/// so that the leftovers of a process killed mid-write can be found and removed.
///
/// An atomic write makes `.NAME.aifs-PID-TOKEN-N.tmp` beside its target, fills it and
/// renames it into place; a `kill -9` in between leaves the temporary file in the
/// user's tree, sometimes half-written. So before creating it, the writer records its
/// path in the process's ledger directory, `<state>/temporaries/<pid>-<token>/`, which
/// holds a `lock` (an `flock` held for the process's life) and one small file per
/// temporary file in flight. ``recover(stateDirectory:)`` (run by every `aifs` start,
/// through ``TransactionJournal/recover(stateDirectory:)``) takes the lock of each
/// ledger whose process is gone, removes the temporary files it names and then the
/// ledger.
///
/// Transactions name their temporary files in their own journal instead.
///
/// ## Design rationale
/// A ledger entry costs an `open`, a `write`, a `close` and an `unlink` without
/// `fsync`: the page cache survives a killed process, and every durable write already
/// pays an `fsync` that costs far more. When the state directory cannot be written,
/// writes go on without a ledger (and a kill may then leave a temporary file behind).
///
/// ## Threading
/// Any thread may call any method; the process-wide state is behind a `Mutex`.
enum TemporaryFileLedger {
    /// An entry in the ledger, removed by ``release(_:)`` once the temporary file is gone
    /// (renamed into place or removed).
    struct Entry: Sendable {
        let path: String
    }

    private struct State: ~Copyable {
        var directory: String?
        var lock: LockFile?
        var unusable = false
        var next = 0
    }

    private static let state = Mutex(State())

    /// A token that makes this process's temporary names unique even when a dead
    /// process had the same id.
    static let processToken = String(UInt32.random(in: 0...UInt32.max), radix: 36)

    /// Records `temporary` before it is created; nil when the ledger cannot be written.
    static func record(_ temporary: String) -> Entry? {
        // Recovery may run from any directory: name the file absolutely.
        var temporary = temporary
        if !temporary.hasPrefix("/") {
            guard let current = try? FileSystemCalls.realPath(".") else { return nil }
            temporary = (current == "/" ? "" : current) + "/" + temporary
        }
        let entry: String? = state.withLock { state -> String? in
            if state.unusable { return nil }
            if state.directory == nil {
                let directory = TransactionJournal.defaultStateDirectory() + "/temporaries/\(FileSystemCalls.processID)-\(processToken)"
                do {
                    try AtomicFile.makeParents(of: directory)
                    do { try FileSystemCalls.makeDirectory(directory, permissions: 0o700) } catch .fileExists {}
                    state.lock = try LockFile(locking: directory + "/lock")
                    state.directory = directory
                } catch {
                    state.unusable = true
                    return nil
                }
            }
            state.next += 1
            return state.directory! + "/\(state.next)"
        }
        guard let entry else { return nil }
        do {
            let file = try WritableFile(creatingExclusively: entry, permissions: 0o600)
            try file.write(Array(temporary.utf8))
        } catch {
            try? FileSystemCalls.unlink(entry)
            return nil
        }
        return Entry(path: entry)
    }

    /// Forgets an entry: its temporary file no longer exists.
    static func release(_ entry: Entry?) {
        if let entry { try? FileSystemCalls.unlink(entry.path) }
    }

    /// Removes the temporary files named by the ledgers of processes that are gone,
    /// then those ledgers. Cheap when there is nothing: one `stat`.
    ///
    /// - Returns: The temporary files removed.
    static func recover(stateDirectory: String) -> [String] {
        let root = stateDirectory + "/temporaries"
        guard (try? FileSystemCalls.status(root, followSymlinks: true))?.kind == .directory else { return [] }
        var removed: [String] = []
        for ledger in JournalFiles.children(of: root) {
            guard let lock = try? LockFile(locking: ledger + "/lock") else { continue }  // alive
            for entry in JournalFiles.children(of: ledger) where !entry.hasSuffix("/lock") {
                if let bytes = try? AtomicFile.readBytes(entry, limit: 1 << 16),
                   let temporary = String(validating: bytes, as: UTF8.self),
                   isTemporaryName(temporary)
                {
                    do {
                        try FileSystemCalls.unlink(temporary)
                        removed.append(temporary)
                    } catch {}
                }
                try? FileSystemCalls.unlink(entry)
            }
            JournalFiles.removeDirectory(ledger)
            _ = consume lock
        }
        return removed
    }

    /// Whether `path` has the shape of an aifs temporary name (`.NAME.aifs-….tmp`), so
    /// that a damaged ledger can never make recovery remove a user's file.
    static func isTemporaryName(_ path: String) -> Bool {
        let name = AtomicFile.split(path).name
        return name.hasPrefix(".") && name.hasSuffix(".tmp") && name.contains(".aifs-")
    }
}

/// An exclusive `flock` on a file, held until the value goes away: the mark of a live
/// journal or ledger.
final class LockFile: @unchecked Sendable {
    // @unchecked: `file` is only touched in init and deinit.
    private let file: WritableFile

    /// Opens (creating) and locks `path` without waiting; `EWOULDBLOCK` when another
    /// process holds it.
    init(locking path: String) throws(Errno) {
        file = try WritableFile(openingOrCreating: path)
        try file.lockExclusively()
    }
}

/// Listing and removing the small directories of journals and ledgers.
enum JournalFiles {
    /// The entries of `directory`, as full paths, sorted.
    static func children(of directory: String) -> [String] {
        var options = WalkOptions()
        options.includeHidden = true
        options.respectIgnoreFiles = false
        options.readParentIgnoreFiles = false
        options.maxDepth = 1
        guard let walker = try? Walker(options: options) else { return [] }
        return walker.collect([directory]).entries.filter { $0.depth == 1 }.map(\.path).sorted()
    }

    /// Removes a directory and the files in it.
    static func removeDirectory(_ directory: String) {
        for child in children(of: directory) { try? FileSystemCalls.unlink(child) }
        try? FileSystemCalls.removeDirectory(directory)
    }
}
