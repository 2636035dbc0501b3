import SystemPackage

/// An open file to read from start to end in chunks: the one reader that search, batch
/// counting and streaming share.
///
/// It owns its descriptor (opened with `O_CLOEXEC`) and closes it when it goes away;
/// it cannot be copied, so there is never a second owner.
///
/// ```swift
/// let file = try ReadableFile(path: "big.log")
/// var buffer = [UInt8](repeating: 0, count: 1 << 20)
/// while try buffer.withUnsafeMutableBytes({ try file.read(into: $0) }) > 0 { … }
/// ```
///
/// ## Threading
/// Use from one thread at a time. It is `Sendable` because it cannot be copied: moved
/// to another thread, it still has exactly one owner.
public struct ReadableFile: ~Copyable, Sendable {
    // Internal (not private) so the positional read in ReadableFile+Positional.swift can use it.
    let fd: CInt
    /// The path, as given, for messages.
    public let path: String
    /// The file's size when it was opened (from the `fstat` of the open descriptor), or
    /// `nil` when that is not known.
    public let sizeWhenOpened: Int64?

    /// Opens a file for reading.
    ///
    /// - Throws: ``CoreError``: `.notFound`, `.permissionDenied`, `.isADirectory` (a
    ///   directory opens, but reading it fails, so it is refused here), `.invalidPath`.
    public init(path: String) throws(CoreError) {
        try self.init(pathBytes: Array(path.utf8))
    }

    /// Opens a file whose name is given as raw bytes (file names need not be UTF-8).
    ///
    /// - Throws: As ``init(path:)``.
    public init(pathBytes: [UInt8]) throws(CoreError) {
        let path = String(decoding: pathBytes, as: UTF8.self)
        guard !pathBytes.contains(0) else { throw CoreError.nulInPath(path) }
        let opened: CInt
        do {
            opened = try (pathBytes + [0]).withCPath { cPath throws(Errno) in try Syscall.openForReading(cPath: cPath) }
        } catch {
            throw CoreError(errno: error, operation: "open", path: path)
        }
        let identity = try? Syscall.status(fd: opened)
        if let identity, identity.kind == .directory {
            Syscall.close(opened)
            throw CoreError(errno: .isDirectory, operation: "read", path: path)
        }
        fd = opened
        self.path = path
        sizeWhenOpened = identity?.size
    }

    /// Reads standard input from where it stands, through a descriptor of its own (a
    /// duplicate, so closing it leaves descriptor 0 open).
    ///
    /// - Parameter name: The path for messages, such as ripgrep's `<stdin>`.
    /// - Throws: ``CoreError`` when the descriptor cannot be duplicated.
    public init(standardInputNamed name: String) throws(CoreError) {
        do { fd = try Syscall.duplicate(fd: 0) } catch {
            throw CoreError(errno: error, operation: "read from", path: name)
        }
        path = name
        // Known only for a regular file; a pipe is read until a read returns 0.
        let identity = try? Syscall.status(fd: fd)
        sizeWhenOpened = identity?.kind == .regular ? identity?.size : nil
    }

    /// Opens a second descriptor for the same open file (`F_DUPFD_CLOEXEC`), so that
    /// another thread can read it with ``read(into:atOffset:)`` while this one reads on:
    /// both see the same file even if its path is replaced meanwhile.
    ///
    /// - Throws: ``CoreError`` when the descriptor cannot be duplicated (the process's
    ///   descriptor limit).
    public func duplicate() throws(CoreError) -> ReadableFile {
        try ReadableFile(duplicating: fd, path: path, sizeWhenOpened: sizeWhenOpened)
    }

    private init(duplicating original: CInt, path: String, sizeWhenOpened: Int64?) throws(CoreError) {
        do { fd = try Syscall.duplicate(fd: original) } catch {
            throw CoreError(errno: error, operation: "read", path: path)
        }
        self.path = path
        self.sizeWhenOpened = sizeWhenOpened
    }

    /// Opens a file for reading only if it is a regular file (after following symbolic
    /// links): a directory, a FIFO, a socket or a device is refused.
    ///
    /// The kind is checked on the open descriptor. That costs one path lookup where a
    /// `stat` before the `open` costs two, and a file swapped for another kind between
    /// a check and the open cannot slip through. The open does not wait: a FIFO is
    /// refused at once instead of blocking until a writer comes. A device named here is
    /// opened and closed again unread, as `sha256sum` or `grep` would open it.
    ///
    /// - Throws: ``CoreError``: `.invalidArgument` for a file that is not regular,
    ///   naming its kind; otherwise as ``init(path:)``.
    public init(regularFile path: String) throws(CoreError) {
        guard !path.utf8.contains(0) else { throw CoreError.nulInPath(path) }
        (fd, sizeWhenOpened) = try path.withCPath { cPath throws(CoreError) in try Self.openRegular(cPath: cPath, path: path) }
        self.path = path
    }

    private static func openRegular(cPath: UnsafePointer<CChar>, path: String) throws(CoreError) -> (CInt, Int64?) {
        let opened: CInt
        do { opened = try Syscall.openForReadingWithoutWaiting(cPath: cPath) } catch {
            // Opening a socket fails with ENXIO.
            if error == .noSuchAddressOrDevice { throw notRegular(path, kind: .other) }
            throw CoreError(errno: error, operation: "open", path: path)
        }
        let identity: FileIdentity
        do {
            identity = try Syscall.status(fd: opened)
            if identity.kind == .regular { try Syscall.setBlocking(fd: opened) }
        } catch {
            Syscall.close(opened)
            throw CoreError(errno: error, operation: "read the status of", path: path)
        }
        guard identity.kind == .regular else {
            Syscall.close(opened)
            throw notRegular(path, kind: identity.kind)
        }
        return (opened, identity.size)
    }

    private static func notRegular(_ path: String, kind: FileKind) -> CoreError {
        let what = kind == .directory ? "a directory" : "a special file (FIFO, socket or device)"
        return CoreError(.invalidArgument, "cannot read '\(path)': it is \(what), not a regular file", path: path)
    }

    deinit { Syscall.close(fd) }

    /// Reads the next bytes into `buffer`; 0 means the end of the file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(CoreError) -> Int {
        guard buffer.count > 0 else { return 0 }
        do {
            return try Syscall.read(fd: fd, into: buffer)
        } catch {
            throw CoreError(errno: error, operation: "read", path: path)
        }
    }

    /// Whether a read that returned `count` of `requested` bytes, bringing the total
    /// read from the start to `total`, reached the end of the file: it was short and
    /// the total is the size the file had when it was opened. The read that would
    /// return 0 need not be made (one system call per file less); a file that grew or
    /// shrank meanwhile is read on until a read returns 0.
    public func reachedEnd(afterReading count: Int, of requested: Int, total: Int64) -> Bool {
        count < requested && total == sizeWhenOpened
    }

    /// The file's identity now.
    public func identity() throws(CoreError) -> FileIdentity {
        do { return try Syscall.status(fd: fd) } catch {
            throw CoreError(errno: error, operation: "read the status of", path: path)
        }
    }
}
