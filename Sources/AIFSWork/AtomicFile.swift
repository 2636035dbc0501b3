@_spi(Syscalls) import AIFSCore
import Synchronization
import SystemPackage

/// Whole-file writes that never leave a half-written file: the `write_file` building
/// block, and the way every transaction and batch operation puts a file in place.
///
/// A write goes to a temporary file in the same directory (so the final rename stays
/// on one file system), is flushed with `fsync`, takes the permission bits of the file
/// it replaces, and is renamed over the target; then the directory is flushed, so the
/// rename survives a crash. A reader sees the old contents or the new, never a mix.
///
/// ```swift
/// try AtomicFile.write("hello\n", to: "/srv/project/notes.txt")
/// ```
///
/// A path that is a symbolic link is written through: the link's target gets the new
/// contents and the link stays a link.
///
/// ## Threading
/// Every method blocks; call it from a dedicated thread (a ``WorkerPool`` task).
///
/// ## Known problems
/// The owner and group of a replaced file are not kept (that needs privileges): the
/// new file belongs to the writing process. Extended attributes and ACLs are not kept.
public enum AtomicFile {
    private static let counter = Atomic<Int>(0)

    /// The largest file read whole as text (for edits): 64 MiB.
    public static let maximumTextSize: Int64 = 64 << 20

    /// Writes `text` to `path` atomically.
    ///
    /// - Throws: As ``write(_:to:createDirectories:permissions:)``.
    public static func write(_ text: String, to path: String, createDirectories: Bool = false) throws(WorkError) {
        try write(Array(text.utf8), to: path, createDirectories: createDirectories)
    }

    /// Writes `bytes` to `path` atomically, keeping the permission bits of the file it
    /// replaces.
    ///
    /// - Parameters:
    ///   - bytes: The whole new contents.
    ///   - path: The file to write (created when missing).
    ///   - createDirectories: Make missing parent directories first.
    ///   - permissions: The mode of a new file (reduced by the umask); a replaced file
    ///     keeps its own.
    /// - Throws: ``WorkError``: `.isADirectory`, `.notFound` (the directory is missing
    ///   and `createDirectories` is false), `.permissionDenied`, `.io` (a full disk…).
    ///   On failure the original file is untouched and the temporary file removed.
    public static func write(
        _ bytes: [UInt8], to path: String, createDirectories: Bool = false, permissions: UInt32 = 0o666
    ) throws(WorkError) {
        try write(bytes, to: path, createDirectories: createDirectories, permissions: permissions, temporary: nil)
    }

    /// Writes `bytes` to `path` atomically through the temporary file `temporary` (a
    /// name a journal recorded before; nil for a fresh name recorded in the
    /// ``TemporaryFileLedger``).
    static func write(
        _ bytes: [UInt8], to path: String, createDirectories: Bool = false, permissions: UInt32 = 0o666,
        temporary: String?
    ) throws(WorkError) {
        let target = try writableTarget(path)
        if createDirectories { try makeParents(of: target) }
        let existing = try? FileSystemCalls.status(target, followSymlinks: true)
        if existing?.kind == .directory {
            throw WorkError(errno: .isDirectory, operation: "write", path: path)
        }
        try replace(target, shownAs: path, permissions: existing?.permissions, newFilePermissions: permissions, temporary: temporary) { file throws(Errno) in
            try file.write(bytes)
        }
    }

    /// The temporary name beside `target` for `tag` (unique to a process or a
    /// transaction): `.NAME.aifs-TAG.tmp`, the shape ``TemporaryFileLedger`` recognises.
    static func temporaryName(for target: String, tag: String) -> String {
        let (directory, name) = split(target)
        return (directory == "/" ? "" : directory) + "/.\(name.prefix(180)).aifs-\(tag).tmp"
    }

    /// Reads a whole file as UTF-8 text, for editing.
    ///
    /// - Throws: ``WorkError``: `.notFound`, `.isADirectory`, `.permissionDenied`;
    ///   `.invalidArgument` for a file larger than ``maximumTextSize`` or not valid
    ///   UTF-8 (editing it as text could lose bytes).
    public static func readText(_ path: String) throws(WorkError) -> String {
        let bytes = try readBytes(path, limit: maximumTextSize)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw WorkError(.invalidArgument, "cannot edit '\(path)' as text: it is not valid UTF-8 (a binary file?); rewrite it whole instead", path: path)
        }
        return text
    }

    /// Reads a whole file, refusing one larger than `limit` bytes.
    ///
    /// - Throws: ``WorkError``: `.notFound`, `.isADirectory`, `.permissionDenied`,
    ///   `.invalidArgument` past the limit.
    public static func readBytes(_ path: String, limit: Int64) throws(WorkError) -> [UInt8] {
        do {
            let file = try ReadableFile(path: path)
            let size = try file.identity().size
            guard size <= limit else {
                throw WorkError(.invalidArgument, "cannot load '\(path)' whole: it has \(size) bytes, more than the limit of \(limit)", path: path)
            }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(Int(size))
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = try chunk.withUnsafeMutableBytes { buffer in try file.read(into: buffer) }
                if count == 0 { break }
                bytes.append(contentsOf: chunk[..<count])
                guard bytes.count <= limit else {
                    throw WorkError(.invalidArgument, "cannot load '\(path)' whole: it grew past the limit of \(limit) bytes while being read", path: path)
                }
            }
            return bytes
        } catch let error as CoreError {
            throw WorkError(error)
        } catch let error as WorkError {
            throw error
        } catch {
            throw WorkError(.io, "cannot read '\(path)': \(error)", path: path)
        }
    }

    /// Writes through `fill` into a temporary file beside `target`, then renames it
    /// over `target` (or, with `replacing: false`, links it there, failing when the
    /// name exists).
    ///
    /// - Parameters:
    ///   - permissions: Bits to give the new file (`fchmod`, so not reduced by the
    ///     umask), or nil for `newFilePermissions` reduced by the umask.
    static func replace(
        _ target: String, shownAs shown: String, permissions: UInt32?, newFilePermissions: UInt32 = 0o666,
        replacing: Bool = true, durable: Bool = true, temporary journaled: String? = nil,
        _ fill: (borrowing WritableFile) throws(Errno) -> Void
    ) throws(WorkError) {
        let directory = split(target).directory
        let temporary: String
        var ledgerEntry: TemporaryFileLedger.Entry?
        if let journaled {
            temporary = journaled
        } else {
            let number = counter.add(1, ordering: .relaxed).newValue
            temporary = temporaryName(for: target, tag: "\(FileSystemCalls.processID)-\(TemporaryFileLedger.processToken)-\(number)")
            ledgerEntry = TemporaryFileLedger.record(temporary)
        }
        defer { TemporaryFileLedger.release(ledgerEntry) }
        var step = "create a temporary file beside"
        do throws(Errno) {
            let file = try WritableFile(creatingExclusively: temporary, permissions: newFilePermissions)
            step = "write"
            if let permissions { try file.setPermissions(permissions) }
            try fill(file)
            step = "flush (fsync)"
            if durable { try file.synchronize() }
            step = replacing ? "rename into place" : "put in place (it may have appeared meanwhile)"
            if replacing {
                try FileSystemCalls.rename(temporary, to: target)
            } else {
                try FileSystemCalls.link(temporary, to: target)
                try? FileSystemCalls.unlink(temporary)
            }
        } catch {
            try? FileSystemCalls.unlink(temporary)
            throw WorkError(errno: error, operation: step, path: shown)
        }
        if durable { try? FileSystemCalls.synchronizeDirectory(directory) }
    }

    /// Copies the file `source` to `destination` through a temporary file (fsync'd), and
    /// gives it the source's permission bits.
    ///
    /// - Parameter overwrite: Replace an existing destination; otherwise fail with
    ///   `.alreadyExists` (checked atomically, when the copy is put in place).
    static func copy(
        _ source: String, to destination: String, overwrite: Bool, durable: Bool = true, temporary: String? = nil
    ) throws(WorkError) {
        let reader = try open(source)
        let identity: FileIdentity
        do { identity = try reader.identity() } catch { throw WorkError(error) }
        guard identity.kind == .regular else {
            throw WorkError(.invalidArgument, "cannot copy '\(source)': it is \(identity.kind.phrase), not a regular file", path: source)
        }
        if !overwrite, (try? FileSystemCalls.status(destination, followSymlinks: false)) != nil {
            throw WorkError.destinationExists(source, destination)
        }
        var readFailure: CoreError?
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        try replace(destination, shownAs: destination, permissions: identity.permissions, replacing: overwrite, durable: durable, temporary: temporary) { file throws(Errno) in
            while true {
                let read: Result<Int, CoreError> = buffer.withUnsafeMutableBytes { bytes in
                    Result { () throws(CoreError) -> Int in try reader.read(into: bytes) }
                }
                let count: Int
                switch read {
                case .success(let value): count = value
                case .failure(let error):
                    readFailure = error
                    throw error.underlying ?? Errno.ioError
                }
                if count == 0 { break }
                let written: Result<Void, Errno> = buffer.withUnsafeBytes { bytes in
                    Result { () throws(Errno) in try file.write(UnsafeRawBufferPointer(rebasing: bytes[..<count])) }
                }
                try written.get()
            }
        }
        if let readFailure { throw WorkError(readFailure) }
    }

    static func open(_ path: String) throws(WorkError) -> ReadableFile {
        do { return try ReadableFile(path: path) } catch { throw WorkError(error) }
    }

    /// The path to write for `path`: itself, or the target of the link it is.
    static func writableTarget(_ path: String) throws(WorkError) -> String {
        guard !path.isEmpty, !path.utf8.contains(0) else {
            throw WorkError(.invalidPath, "invalid path '\(path)': it is empty or contains a NUL byte", path: path)
        }
        guard let own = try? FileSystemCalls.status(path, followSymlinks: false), own.kind == .symlink else { return path }
        do { return try FileSystemCalls.realPath(path) } catch {
            throw WorkError(errno: error, operation: "follow the symbolic link", path: path)
        }
    }

    /// Makes the missing parent directories of `path`; returns the ones it made,
    /// outermost first.
    @discardableResult
    static func makeParents(of path: String) throws(WorkError) -> [String] {
        var missing: [String] = []
        var directory = split(path).directory
        while directory != "/" && directory != "." && (try? FileSystemCalls.status(directory, followSymlinks: true)) == nil {
            missing.append(directory)
            directory = split(directory).directory
        }
        for directory in missing.reversed() {
            do { try FileSystemCalls.makeDirectory(directory) } catch {
                if error != .fileExists { throw WorkError(errno: error, operation: "create the directory", path: directory) }
            }
        }
        return missing.reversed()
    }

    /// The directory and the last component of a path ("." for a bare name).
    static func split(_ path: String) -> (directory: String, name: String) {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return (".", String(trimmed)) }
        let directory = slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
        return (directory, String(trimmed[trimmed.index(after: slash)...]))
    }
}
