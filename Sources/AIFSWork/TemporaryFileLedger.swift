@_spi(Syscalls) import AIFSCore
import Synchronization
import SystemPackage

/// Names each temporary file aifs makes outside a transaction before the file exists,
/// so that the leftovers of a process killed mid-write can be found and removed.
///
/// An atomic write makes `.NAME.aifs-PID-TOKEN-N.tmp` beside its target, fills it and
/// renames it into place; a `kill -9` in between leaves the temporary file in the
/// user's tree, sometimes half-written. So before creating it, the writer appends
/// `+PATH\0` to its process's ledger, `<state>/temporaries/<pid>-<token>/ledger` (the
/// directory also holds a `lock`, an `flock` held for the process's life), and once the
/// file is renamed or removed, `-PATH\0`. ``recover(stateDirectory:)`` (run by every
/// `aifs` start, through ``TransactionJournal/recover(stateDirectory:)``) takes the lock
/// of each ledger whose process is gone, removes the files added and not taken out,
/// then the ledger.
///
/// Transactions name their temporary files in their own journal instead.
///
/// ## Design rationale
/// One append-only file per process, emptied whenever no temporary file is in flight:
/// two small appends per write and no file created or removed, without `fsync` (the
/// page cache survives a killed process). A file per temporary file cost 0.45 ms of
/// system time per write on ext4, next to the writes' own fsyncs (2,000 small copies:
/// 1.34 s without a ledger, 2.10 s with one). When the state directory cannot be
/// written, writes go on without a ledger (and a kill may then leave a temporary file
/// behind).
///
/// ## Threading
/// Any thread may call any method; the process-wide state is behind a `Mutex`, which
/// also orders the appends.
enum TemporaryFileLedger {
    /// An entry in the ledger, released by ``release(_:)`` once the temporary file is
    /// gone (renamed into place or removed).
    struct Entry: Sendable {
        let path: String
    }

    private struct State: ~Copyable {
        var file: WritableFile?
        var lock: LockFile?
        var unusable = false
        var inFlight = 0
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
        let line = Array(("+" + temporary).utf8) + [0]
        return state.withLock { state -> Entry? in
            if state.unusable { return nil }
            if state.file == nil {
                let directory = TransactionJournal.defaultStateDirectory() + "/temporaries/\(FileSystemCalls.processID)-\(processToken)"
                do {
                    try AtomicFile.makeParents(of: directory)
                    do { try FileSystemCalls.makeDirectory(directory, permissions: 0o700) } catch .fileExists {}
                    state.lock = try LockFile(locking: directory + "/lock")
                    state.file = try WritableFile(appendingTo: directory + "/ledger")
                } catch {
                    state.unusable = true
                    return nil
                }
            }
            do { try state.file!.write(line) } catch { return nil }
            state.inFlight += 1
            return Entry(path: temporary)
        }
    }

    /// Forgets an entry: its temporary file no longer exists.
    static func release(_ entry: Entry?) {
        guard let entry else { return }
        let line = Array(("-" + entry.path).utf8) + [0]
        state.withLock { state in
            guard state.file != nil else { return }
            state.inFlight -= 1
            if state.inFlight == 0 {
                // Nothing in flight: start the ledger afresh instead of letting it grow.
                try? state.file!.truncate(to: 0)
            } else {
                try? state.file!.write(line)
            }
        }
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
            var added: [String] = []
            if let bytes = try? AtomicFile.readBytes(ledger + "/ledger", limit: 256 << 20) {
                // A torn last record (killed mid-append) has no terminator: the file it
                // names was not created yet.
                for record in bytes.split(separator: 0, omittingEmptySubsequences: true) where record.count > 1 {
                    let path = String(decoding: record.dropFirst(), as: UTF8.self)
                    if record.first == UInt8(ascii: "+") {
                        added.append(path)
                    } else if let index = added.lastIndex(of: path) {
                        added.remove(at: index)
                    }
                }
                if let last = bytes.last, last != 0,
                   bytes[(bytes.lastIndex(of: 0).map { $0 + 1 } ?? 0)...].first == UInt8(ascii: "+")
                {
                    _ = added.popLast()
                }
            }
            for temporary in added where isTemporaryName(temporary) {
                do {
                    try FileSystemCalls.unlink(temporary)
                    removed.append(temporary)
                } catch {}
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
    ///
    /// Every `aifs` start lists the state directories, so this reads them on the calling
    /// thread: the parallel walker's threads cost more than these listings (issue 18).
    static func children(of directory: String) -> [String] {
        guard let names = try? FileSystemCalls.directoryNames(directory) else { return [] }
        return names.map { directory + "/" + $0 }.sorted()
    }

    /// Removes a directory and the files in it.
    static func removeDirectory(_ directory: String) {
        for child in children(of: directory) { try? FileSystemCalls.unlink(child) }
        try? FileSystemCalls.removeDirectory(directory)
    }
}
