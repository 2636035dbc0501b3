import AIFSCore
public import AIFSWork
import Synchronization

extension FileService {
    /// The version of a file's contents now (see ``AIFSWork/ContentVersion``).
    ///
    /// Blocks: call from a thread that may block.
    ///
    /// - Throws: ``AIFSWork/WorkError``: `.outsideRoots`, `.notFound`, `.isADirectory`…
    public func version(of path: String) throws(WorkError) -> ContentVersion {
        try recentVersions.version(ofFileAt: resolveForWriting(path))
    }

    /// Notes that a reader was given `bytes` as the whole file at `version`, so that a
    /// write refused for a stale `expectedVersion` can show what changed since. Only
    /// text up to 256 KiB is kept, 16 MiB in all, the oldest dropped first.
    public func remember(_ bytes: [UInt8], as version: ContentVersion) {
        recentContents.remember(bytes, as: version)
    }

    /// Refuses a write whose `expected` version is not the file's: someone changed it
    /// since the caller read it.
    ///
    /// - Throws: ``AIFSWork/WorkError`` with `.versionMismatch`: the current version,
    ///   the lines that changed when the version read is remembered and both are small
    ///   text, and to read again.
    func checkVersion(_ resolved: String, shownAs path: String, expected: String?) throws(WorkError) {
        guard let expected else { return }
        guard ContentVersion(expected) != nil else {
            throw WorkError(.invalidArgument, "'\(expected)' is not a version; pass the version a read of '\(path)' returned", path: path)
        }
        let current: ContentVersion
        do { current = try recentVersions.version(ofFileAt: resolved) } catch where error.code == .notFound {
            throw WorkError(
                .versionMismatch,
                "'\(path)' was removed since it was read (expectedVersion \(expected)); nothing was written: check the path, or write it without expectedVersion to create it",
                path: path)
        }
        guard current.description != expected else { return }
        var message = "'\(path)' changed since it was read: its version is now \(current), not the expectedVersion \(expected); nothing was written: read it again and redo the change"
        if let old = recentContents.contents(of: expected),
           let oldText = String(validating: old, as: UTF8.self),
           let new = try? AtomicFile.readBytes(resolved, limit: 256 << 10),
           let newText = String(validating: new, as: UTF8.self)
        {
            let diff = UnifiedDiff.make(old: oldText, new: newText, path: path)
            message += ". What changed since that read:\n" + (diff.count > 8192 ? String(diff.prefix(8192)) + "\n[diff cut at 8 KiB]\n" : diff)
        }
        throw WorkError(.versionMismatch, message, path: path)
    }
}

/// The whole small text files recently given to readers, by version: what a refused
/// guarded write diffs against.
///
/// ## Threading
/// Any thread; the entries are behind a `Mutex`.
final class RecentContents: Sendable {
    private struct State {
        var entries: [String: [UInt8]] = [:]
        var order: [String] = []
        var bytes = 0
    }

    private let state = Mutex(State())
    private let largestEntry = 256 << 10
    private let budget = 16 << 20

    func remember(_ bytes: [UInt8], as version: ContentVersion) {
        guard bytes.count <= largestEntry else { return }
        let key = version.description
        state.withLock { state in
            if state.entries[key] != nil { return }
            state.entries[key] = bytes
            state.order.append(key)
            state.bytes += bytes.count
            while state.bytes > budget, !state.order.isEmpty {
                let oldest = state.order.removeFirst()
                state.bytes -= state.entries.removeValue(forKey: oldest)?.count ?? 0
            }
        }
    }

    func contents(of version: String) -> [UInt8]? {
        state.withLock { $0.entries[version] }
    }
}

/// The versions of files recently hashed, by path and identity: a second read of a
/// range of an unchanged large file does not hash it again.
///
/// An entry is used only while the file's identity (device, inode, size, modification
/// and change times) is the one it was hashed with, and is kept only when the file's
/// last change was older than the timestamp granularity when hashing began (the
/// content cache's racy-write rule: 25 ms, or 2 s on whole-second file systems), so a
/// same-size write in the same tick cannot hide behind it.
///
/// ## Threading
/// Any thread; hashing happens outside the lock.
final class RecentVersions: Sendable {
    private struct Entry {
        var identity: FileIdentity
        var version: ContentVersion
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let capacity = 4096

    func version(ofFileAt path: String) throws(WorkError) -> ContentVersion {
        let before: FileIdentity
        do { before = try FileIdentity(path: path) } catch { throw WorkError(error) }
        if let entry = entries.withLock({ $0[path] }), entry.identity == before { return entry.version }
        let started = Self.now()
        let version = try ContentVersion.of(path: path)
        guard let after = try? FileIdentity(path: path), after == before, Self.isSettled(after, at: started) else { return version }
        entries.withLock { entries in
            if entries.count >= capacity, let victim = entries.keys.first { entries[victim] = nil }
            entries[path] = Entry(identity: after, version: version)
        }
        return version
    }

    private static func isSettled(_ identity: FileIdentity, at time: Int64) -> Bool {
        identity.isSettled(at: time, granularity: 25_000_000)
    }

    /// The wall clock in ns since the epoch, as file times are.
    private static func now() -> Int64 { FileIdentity.currentTime() }
}
