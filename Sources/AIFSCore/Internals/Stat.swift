#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#else
#error("Unsupported Platform")
#endif
import CAIFSShims
import SystemPackage

/// Typed system calls for the rest of AIFSCore: each throws `Errno`, which callers map
/// to ``CoreError`` once, where they know the operation and the path.
enum Syscall {
    /// `stat`/`lstat` on a path.
    static func status(path: String, followSymlinks: Bool) throws(Errno) -> FileIdentity {
        var buffer = stat()
        let flags: CInt = followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW
        _ = try valueOrErrno { system_fstatat(AT_FDCWD, path, &buffer, flags) }.get()
        return FileIdentity(buffer)
    }

    /// `fstatat(AT_FDCWD, …)` on a NUL-terminated byte path.
    static func status(
        cPath: UnsafePointer<CChar>, followSymlinks: Bool
    ) throws(Errno) -> FileIdentity {
        var buffer = stat()
        let flags: CInt = followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW
        _ = try valueOrErrno { system_fstatat(AT_FDCWD, cPath, &buffer, flags) }.get()
        return FileIdentity(buffer)
    }

    /// `fstat` on an open descriptor.
    static func status(fd: CInt) throws(Errno) -> FileIdentity {
        var buffer = stat()
        _ = try valueOrErrno { system_fstat(fd, &buffer) }.get()
        return FileIdentity(buffer)
    }

    /// Opens a directory for reading its entries, with `O_CLOEXEC`.
    ///
    /// - Parameter followSymlinks: When `false`, a symbolic link fails with `ELOOP`
    ///   instead of being followed (`O_NOFOLLOW`).
    static func openDirectory(cPath: UnsafePointer<CChar>, followSymlinks: Bool = true) throws(Errno) -> CInt {
        var flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC
        if !followSymlinks { flags |= O_NOFOLLOW }
        return try valueOrErrno { system_open(cPath, flags) }.get()
    }

    /// Closes a descriptor. `EINTR` is not retried: on Linux the descriptor is gone
    /// whatever `close` returns.
    static func close(_ fd: CInt) {
        _ = system_close(fd)
    }

    /// Reads directory records into `buffer`; 0 means the end of the directory.
    static func readDirectory(fd: CInt, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try valueOrErrno { system_getdents64(fd, buffer.baseAddress!, buffer.count) }.get()
    }

    /// The canonical absolute path: every symbolic link, `.` and `..` resolved.
    ///
    /// The corresponding C function is `realpath`.
    static func realPath(_ path: String) throws(Errno) -> String {
        guard let resolved = realpath(path, nil) else {
            throw Errno(rawValue: system_errno)
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The canonical absolute path of a NUL-terminated byte path, as bytes.
    ///
    /// The corresponding C function is `realpath`.
    static func realPath(cPath: UnsafePointer<CChar>) throws(Errno) -> [UInt8] {
        guard let resolved = realpath(cPath, nil) else {
            throw Errno(rawValue: system_errno)
        }
        defer { free(resolved) }
        return Array(UnsafeBufferPointer(start: UnsafeRawPointer(resolved).assumingMemoryBound(to: UInt8.self), count: strlen(resolved)))
    }

    /// The current working directory.
    static func currentDirectory() throws(Errno) -> String {
        guard let cwd = getcwd(nil, 0) else { throw Errno(rawValue: system_errno) }
        defer { free(cwd) }
        return String(cString: cwd)
    }

    /// Writes all of `bytes` to `fd`, retrying short writes and `EINTR`.
    static func writeAll(fd: CInt, _ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let written = try valueOrErrno {
                system_write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            }.get()
            offset += written
        }
    }

    /// The number of processors this process may run on (its affinity mask).
    static func processorCount() -> Int {
        Int(caifs_available_processors())
    }
}

extension FileIdentity {
    init(_ s: stat) {
        let kind: FileKind
        switch s.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        self.init(
            device: UInt64(s.st_dev),
            inode: UInt64(s.st_ino),
            size: Int64(s.st_size),
            modificationTime: Int64(s.st_mtim.tv_sec) * 1_000_000_000 + Int64(s.st_mtim.tv_nsec),
            changeTime: Int64(s.st_ctim.tv_sec) * 1_000_000_000 + Int64(s.st_ctim.tv_nsec),
            kind: kind,
            permissions: UInt32(s.st_mode & 0o7777)
        )
    }
}

extension Syscall {
    /// The target of a symbolic link, as stored (not resolved).
    ///
    /// The corresponding C function is `readlink`.
    static func readLink(_ path: String) throws(Errno) -> String {
        var capacity = 256
        while true {
            let result: Result<String?, Errno> = withUnsafeTemporaryAllocation(
                of: CChar.self, capacity: capacity
            ) { buffer in
                let count = readlink(path, buffer.baseAddress!, capacity)
                if count < 0 { return .failure(Errno(rawValue: system_errno)) }
                if count == capacity { return .success(nil) }  // may be truncated: grow
                let bytes = UnsafeRawBufferPointer(start: buffer.baseAddress!, count: count)
                return .success(String(decoding: bytes, as: UTF8.self))
            }
            switch result {
            case .success(let target?): return target
            case .success(nil): capacity *= 4
            case .failure(let error): throw error
            }
        }
    }
}

extension Syscall {
    /// Whether `fd` refers to a terminal.
    ///
    /// A file's modification, access and creation times in nanoseconds since the
    /// epoch, following symbolic links; the creation time is `nil` where the file system
    /// does not record it.
    ///
    /// The corresponding C function is `statx`, called by number (`caifs_file_times`).
    static func times(cPath: UnsafePointer<CChar>) throws(Errno) -> FileTimes {
        var modified: Int64 = 0, accessed: Int64 = 0, created: Int64 = 0
        var hasCreated: CInt = 0
        _ = try valueOrErrno { caifs_file_times(cPath, &modified, &accessed, &created, &hasCreated) }.get()
        return FileTimes(modified: modified, accessed: accessed, created: hasCreated != 0 ? created : nil)
    }

    /// Whether `fd` is a regular file, a FIFO or a socket: something a program reads
    /// data from, where a terminal or a device (`/dev/null`) is not.
    ///
    /// The corresponding C function is `fstat`.
    static func isReadableStream(fd: CInt) -> Bool {
        var buffer = stat()
        guard system_fstat(fd, &buffer) == 0 else { return false }
        let kind = buffer.st_mode & S_IFMT
        return kind == S_IFREG || kind == S_IFIFO || kind == S_IFSOCK
    }

    /// A second descriptor for the same open file, with `O_CLOEXEC`.
    ///
    /// The corresponding C function is `fcntl(F_DUPFD_CLOEXEC)`.
    static func duplicate(fd: CInt) throws(Errno) -> CInt {
        try valueOrErrno { fcntl(fd, F_DUPFD_CLOEXEC, 0) }.get()
    }

    /// The corresponding C function is `isatty`.
    static func isTerminal(fd: CInt) -> Bool { isatty(fd) == 1 }
}

extension Syscall {
    /// Opens a file read-only with `O_CLOEXEC`.
    static func openForReading(cPath: UnsafePointer<CChar>) throws(Errno) -> CInt {
        try valueOrErrno { system_open(cPath, O_RDONLY | O_CLOEXEC) }.get()
    }

    /// Opens with `O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY`: a FIFO opens at once
    /// instead of waiting for a writer, and a terminal does not become the process's
    /// controlling one. Clear `O_NONBLOCK` (``setBlocking(fd:)``) before reading a file
    /// kept open.
    static func openForReadingWithoutWaiting(cPath: UnsafePointer<CChar>) throws(Errno) -> CInt {
        try valueOrErrno { system_open(cPath, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) }.get()
    }

    /// Clears `O_NONBLOCK` on a descriptor from ``openForReadingWithoutWaiting(cPath:)``,
    /// so reads wait for data as they do on a file opened without it. One `F_SETFL`:
    /// that open set no other status flag, so there is nothing to keep.
    static func setBlocking(fd: CInt) throws(Errno) {
        _ = try valueOrErrno { system_fcntl(fd, F_SETFL, 0) }.get()
    }

    /// Reads into `buffer`, retrying `EINTR`.
    static func read(fd: CInt, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try valueOrErrno { system_read(fd, buffer.baseAddress, buffer.count) }.get()
    }
}
