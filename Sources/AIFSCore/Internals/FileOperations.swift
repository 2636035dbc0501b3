#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#else
#error("Unsupported Platform")
#endif
import SystemPackage

// The system calls that change the file system (batch operations and transactions),
// in the same three layers as Syscalls.swift.

@inline(__always)
internal func system_fsync(_ fd: CInt) -> CInt { fsync(fd) }

@inline(__always)
internal func system_fchmod(_ fd: CInt, _ mode: mode_t) -> CInt { fchmod(fd, mode) }

@inline(__always)
internal func system_rename(_ old: UnsafePointer<CChar>, _ new: UnsafePointer<CChar>) -> CInt { rename(old, new) }

@inline(__always)
internal func system_link(_ old: UnsafePointer<CChar>, _ new: UnsafePointer<CChar>) -> CInt { link(old, new) }

@inline(__always)
internal func system_unlink(_ path: UnsafePointer<CChar>) -> CInt { unlink(path) }

@inline(__always)
internal func system_rmdir(_ path: UnsafePointer<CChar>) -> CInt { rmdir(path) }

@inline(__always)
internal func system_mkdir(_ path: UnsafePointer<CChar>, _ mode: mode_t) -> CInt { mkdir(path, mode) }

@inline(__always)
internal func system_flock(_ fd: CInt, _ operation: CInt) -> CInt { flock(fd, operation) }

@inline(__always)
internal func system_getpid() -> CInt { getpid() }

@inline(__always)
internal func system_kill(_ pid: CInt, _ signal: CInt) -> CInt { kill(pid, signal) }

@inline(__always)
internal func system_statvfs(_ path: UnsafePointer<CChar>, _ buffer: UnsafeMutablePointer<statvfs>) -> CInt {
    statvfs(path, buffer)
}

@inline(__always)
internal func system_ftruncate(_ fd: CInt, _ length: off_t) -> CInt { ftruncate(fd, length) }

@inline(__always)
internal func system_getenv(_ name: UnsafePointer<CChar>) -> UnsafeMutablePointer<CChar>? { getenv(name) }

extension Syscall {
    /// Creates a new file for writing; fails with `EEXIST` when the name is taken
    /// (`O_CREAT | O_EXCL`), so a temporary name is never shared. `O_CLOEXEC` always.
    static func createExclusive(cPath: UnsafePointer<CChar>, permissions: UInt32) throws(Errno) -> CInt {
        try valueOrErrno { system_open(cPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(permissions)) }.get()
    }

    /// Opens (creating when missing) a file for writing without truncating it.
    static func openForWriting(cPath: UnsafePointer<CChar>, permissions: UInt32) throws(Errno) -> CInt {
        try valueOrErrno { system_open(cPath, O_WRONLY | O_CREAT | O_CLOEXEC, mode_t(permissions)) }.get()
    }

    /// Opens (creating when missing) a file for appending: every write goes to its end.
    static func openForAppending(cPath: UnsafePointer<CChar>, permissions: UInt32) throws(Errno) -> CInt {
        try valueOrErrno { system_open(cPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode_t(permissions)) }.get()
    }

    /// Cuts an open file to `length` bytes.
    ///
    /// The corresponding C function is `ftruncate`.
    static func truncate(fd: CInt, to length: Int64) throws(Errno) {
        _ = try valueOrErrno { system_ftruncate(fd, off_t(length)) }.get()
    }

    /// Flushes a file's data and metadata to the device.
    ///
    /// The corresponding C function is `fsync`.
    static func synchronize(fd: CInt, retryOnInterrupt: Bool = true) throws(Errno) {
        _ = try valueOrErrno(retryOnInterrupt: retryOnInterrupt) { system_fsync(fd) }.get()
    }

    /// Sets the permission bits of an open file.
    ///
    /// The corresponding C function is `fchmod`.
    static func setPermissions(fd: CInt, _ permissions: UInt32) throws(Errno) {
        _ = try valueOrErrno { system_fchmod(fd, mode_t(permissions)) }.get()
    }

    /// The bytes an unprivileged process may still write on the file system holding
    /// `path` (`f_bavail × f_frsize`).
    ///
    /// The corresponding C function is `statvfs`.
    static func availableBytes(_ path: String) throws(Errno) -> Int64 {
        var buffer = statvfs()
        _ = try valueOrErrno { system_statvfs(path, &buffer) }.get()
        let (bytes, overflow) = Int64(clamping: buffer.f_bavail).multipliedReportingOverflow(by: Int64(clamping: buffer.f_frsize))
        return overflow ? .max : bytes
    }

    /// Renames `old` to `new`, replacing `new` if it exists (atomically).
    ///
    /// The corresponding C function is `rename`.
    static func rename(_ old: String, to new: String) throws(Errno) {
        _ = try valueOrErrno { system_rename(old, new) }.get()
    }

    /// Makes a second name for a file; fails with `EEXIST` when `new` exists.
    ///
    /// The corresponding C function is `link`.
    static func link(_ old: String, to new: String) throws(Errno) {
        _ = try valueOrErrno { system_link(old, new) }.get()
    }

    /// Removes a name (not a directory).
    ///
    /// The corresponding C function is `unlink`.
    static func unlink(_ path: String) throws(Errno) {
        _ = try valueOrErrno { system_unlink(path) }.get()
    }

    /// Removes an empty directory.
    ///
    /// The corresponding C function is `rmdir`.
    static func removeDirectory(_ path: String) throws(Errno) {
        _ = try valueOrErrno { system_rmdir(path) }.get()
    }

    /// Makes a directory.
    ///
    /// The corresponding C function is `mkdir`.
    static func makeDirectory(_ path: String, permissions: UInt32) throws(Errno) {
        _ = try valueOrErrno { system_mkdir(path, mode_t(permissions)) }.get()
    }

    /// Takes an exclusive advisory lock on an open file, without waiting; `EWOULDBLOCK`
    /// when another open file description holds it.
    ///
    /// The corresponding C function is `flock(fd, LOCK_EX | LOCK_NB)`.
    static func lockExclusiveNonBlocking(fd: CInt) throws(Errno) {
        _ = try valueOrErrno { system_flock(fd, LOCK_EX | LOCK_NB) }.get()
    }

    /// Ends this process at once with `SIGKILL`, as `kill -9` would (test hooks only).
    static func killSelf() -> Never {
        _ = system_kill(system_getpid(), SIGKILL)
        _exit(137)
    }

    /// An environment variable, or `nil`.
    static func environment(_ name: String) -> String? {
        guard let value = system_getenv(name) else { return nil }
        return String(cString: value)
    }

    /// This process's id.
    static func processID() -> Int32 { system_getpid() }
}
