#if os(Linux)
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
#error("Unsupported Platform")
#endif
@_spi(Syscalls) import AIFSCore
import CAIFSShims
import SystemPackage

// The three layers of every system call, after swift-system (as in AIFSCore's
// Internals/Syscalls.swift, whose `valueOrErrno` this file shares through SPI):
//   system_xxx          the raw C call, nothing else;
//   valueOrErrno(...)    turns -1 + errno into a typed Errno, retrying EINTR;
//   a typed function     what the rest of AIFSWatch calls (`throws(Errno)`).
// Only files under Internals/ import the C library.

@inline(__always) func system_inotify_init1(_ flags: CInt) -> CInt { caifs_inotify_init1(flags) }
@inline(__always) func system_inotify_add_watch(_ fd: CInt, _ path: UnsafePointer<CChar>, _ mask: UInt32) -> CInt {
    caifs_inotify_add_watch(fd, path, mask)
}
@inline(__always) func system_inotify_rm_watch(_ fd: CInt, _ wd: CInt) -> CInt { caifs_inotify_rm_watch(fd, wd) }
@inline(__always) func system_pipe_nonblocking(_ fds: UnsafeMutablePointer<CInt>) -> CInt { caifs_pipe_nonblocking(fds) }
@inline(__always) func system_read(_ fd: CInt, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
@inline(__always) func system_write(_ fd: CInt, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int { write(fd, buffer, count) }
@inline(__always) func system_close(_ fd: CInt) -> CInt { close(fd) }
@inline(__always) func system_statfs_type(_ path: UnsafePointer<CChar>, _ type: UnsafeMutablePointer<Int64>) -> CInt {
    caifs_statfs_type(path, type)
}
@inline(__always) func system_fstatat(
    _ fd: CInt, _ path: UnsafePointer<CChar>, _ buffer: UnsafeMutablePointer<stat>, _ flags: CInt
) -> CInt {
    fstatat(fd, path, buffer, flags)
}
@inline(__always) func system_poll(_ fds: UnsafeMutablePointer<pollfd>, _ count: nfds_t, _ timeout: CInt) -> CInt {
    poll(fds, count, timeout)
}

/// Typed system calls for the watcher.
enum Syscall {
    /// Creates an inotify instance, blocking and close-on-exec.
    /// The corresponding C function is `inotify_init1`.
    static func inotifyInit() throws(Errno) -> CInt {
        try valueOrErrno { system_inotify_init1(CAIFS_IN_CLOEXEC) }.get()
    }

    /// Watches `path` on inotify instance `fd`. The corresponding C function is `inotify_add_watch`.
    static func inotifyAddWatch(_ fd: CInt, path: String, mask: UInt32) throws(Errno) -> CInt {
        try path.withCString { p in valueOrErrno { system_inotify_add_watch(fd, p, mask) } }.get()
    }

    /// Removes a watch. The corresponding C function is `inotify_rm_watch`.
    static func inotifyRemoveWatch(_ fd: CInt, _ wd: CInt) throws(Errno) {
        _ = try valueOrErrno { system_inotify_rm_watch(fd, wd) }.get()
    }

    /// Creates a pipe whose two ends are non-blocking and close-on-exec.
    /// The corresponding C function is `pipe2`.
    static func makePipe() throws(Errno) -> (read: CInt, write: CInt) {
        var fds: (CInt, CInt) = (-1, -1)
        _ = try withUnsafeMutableBytes(of: &fds) { raw in
            valueOrErrno { system_pipe_nonblocking(raw.baseAddress!.assumingMemoryBound(to: CInt.self)) }
        }.get()
        return (fds.0, fds.1)
    }

    /// Reads into `buffer`; returns 0 instead of throwing when nothing is ready (`EAGAIN`).
    static func read(_ fd: CInt, into buffer: UnsafeMutableRawBufferPointer, retryOnInterrupt: Bool = true) throws(Errno) -> Int {
        let result = valueOrErrno(retryOnInterrupt: retryOnInterrupt) { system_read(fd, buffer.baseAddress, buffer.count) }
        switch result {
        case .success(let n): return n
        case .failure(let e) where e == .resourceTemporarilyUnavailable: return 0
        case .failure(let e): throw e
        }
    }

    /// Reads a non-blocking descriptor until nothing is left.
    static func drain(_ fd: CInt) {
        var bytes: (UInt64, UInt64) = (0, 0)
        while withUnsafeMutableBytes(of: &bytes, { (try? read(fd, into: $0)) ?? 0 }) > 0 {}
    }

    /// Writes one byte to a non-blocking pipe, waking its reader; a full pipe (which
    /// already wakes it) is not an error.
    static func signal(pipe fd: CInt) {
        var byte: UInt8 = 1
        _ = valueOrErrno { system_write(fd, &byte, 1) }
    }

    /// The file-system type (the `f_type` magic number, such as `0x6969` for NFS) of
    /// the file system holding `path`. The corresponding C function is `statfs`.
    static func fileSystemType(atPath path: String) throws(Errno) -> Int64 {
        var type: Int64 = 0
        _ = try path.withCString { p in valueOrErrno { system_statfs_type(p, &type) } }.get()
        return type
    }

    /// The identity (device, inode, size, modification time) of the entry at `path`,
    /// following a final symbolic link only when `followSymlinks` is set.
    /// The corresponding C function is `fstatat` (`lstat` without following).
    static func status(atPath path: String, followSymlinks: Bool = false) throws(Errno) -> FileIdentity {
        // AIFSCore's stat, so the mode-to-kind mapping lives in one place.
        try FileSystemCalls.status(path, followSymlinks: followSymlinks)
    }

    /// Waits until `fd` is readable or `timeoutMilliseconds` pass (-1: forever).
    ///
    /// - Returns: Whether `fd` became readable. The corresponding C function is `poll`.
    static func waitReadable(_ fd: CInt, timeoutMilliseconds: CInt, retryOnInterrupt: Bool = true) throws(Errno) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return try valueOrErrno(retryOnInterrupt: retryOnInterrupt) { system_poll(&entry, 1, timeoutMilliseconds) }.get() > 0
    }

    /// Waits until `first` or `second` is readable or `timeoutMilliseconds` pass (-1: forever).
    ///
    /// - Returns: Which of them became readable. The corresponding C function is `poll`.
    static func waitReadable(
        _ first: CInt, _ second: CInt, timeoutMilliseconds: CInt, retryOnInterrupt: Bool = true
    ) throws(Errno) -> (first: Bool, second: Bool) {
        var entries = (pollfd(fd: first, events: Int16(POLLIN), revents: 0), pollfd(fd: second, events: Int16(POLLIN), revents: 0))
        let count = try withUnsafeMutableBytes(of: &entries) { raw throws(Errno) in
            let fds = raw.baseAddress!.assumingMemoryBound(to: pollfd.self)
            return try valueOrErrno(retryOnInterrupt: retryOnInterrupt) { system_poll(fds, 2, timeoutMilliseconds) }.get()
        }
        guard count > 0 else { return (false, false) }
        return (entries.0.revents != 0, entries.1.revents != 0)
    }

    /// Closes `fd`, ignoring errors (nothing useful can be done about them here).
    static func close(_ fd: CInt) { _ = system_close(fd) }

    /// The current wall-clock time in nanoseconds since the epoch.
    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// The first integer in a small text file such as `/proc/sys/fs/inotify/max_user_watches`.
    static func readInteger(atPath path: String) -> Int? {
        let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { return nil }
        defer { _ = system_close(fd) }
        var bytes = [UInt8](repeating: 0, count: 64)
        let n = bytes.withUnsafeMutableBytes { (try? read(fd, into: $0)) ?? 0 }
        guard n > 0 else { return nil }
        return Int(String(decoding: bytes[..<n], as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == " " }).first ?? "")
    }

    /// What kind of entry is at `path`, not following a final symbolic link;
    /// `nil` when it does not exist (or cannot be stat'ed).
    static func entryKind(atPath path: String) -> EntryKind? {
        var st = stat()
        guard path.withCString({ lstat($0, &st) }) == 0 else { return nil }
        return (st.st_mode & S_IFMT) == S_IFDIR ? .directory : .file
    }

    /// The names and kinds of a directory's entries (without `.` and `..`). Symbolic
    /// links count as files (reported, not followed) unless `followSymlinks` is set, when
    /// a link to a directory counts as a directory; `isLink` says which entries are links.
    static func listDirectory(
        atPath path: String, followSymlinks: Bool = false
    ) throws(Errno) -> [DirectoryEntry] {
        guard let dir = path.withCString({ opendir($0) }) else { throw Errno(rawValue: errno) }
        defer { closedir(dir) }
        var result: [DirectoryEntry] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            var kind: EntryKind
            var isLink = false
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR): kind = .directory
            case Int32(DT_LNK): kind = .file; isLink = true
            case Int32(DT_UNKNOWN):
                let status = try? status(atPath: path + "/" + name)
                kind = status?.kind == .directory ? .directory : .file
                isLink = status?.kind == .symlink
            default: kind = .file
            }
            if isLink && followSymlinks, (try? status(atPath: path + "/" + name, followSymlinks: true))?.kind == .directory {
                kind = .directory
            }
            result.append(DirectoryEntry(name: name, kind: kind, isLink: isLink))
        }
        return result
    }

    /// The contents of a small file (at most `limit` bytes), or `nil` when it cannot be read.
    static func readSmallFile(atPath path: String, limit: Int = 1 << 20) -> [UInt8]? {
        let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { return nil }
        defer { _ = system_close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count < limit {
            let n = chunk.withUnsafeMutableBytes { (try? read(fd, into: $0)) ?? -1 }
            if n < 0 { return nil }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[..<n])
        }
        return bytes
    }

    /// The canonical absolute path (symbolic links resolved). The corresponding C function is `realpath`.
    static func realPath(_ path: String) throws(Errno) -> String {
        guard let resolved = path.withCString({ realpath($0, nil) }) else { throw Errno(rawValue: errno) }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
#endif
