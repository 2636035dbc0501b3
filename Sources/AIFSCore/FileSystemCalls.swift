public import SystemPackage

/// The file-changing system calls (create, sync, rename, link, unlink, mkdir, lock),
/// typed, for the modules that write: AIFSWork's batch operations and transactions.
///
/// SPI (`@_spi(Syscalls) import AIFSCore`): each throws the raw `Errno`, which the
/// calling module maps to its own error exactly once, where it knows the operation and
/// the path.
///
/// ## Threading
/// Every call blocks the calling thread: call them from a dedicated thread (a
/// `WorkerPool` worker), never from Swift's cooperative pool.
@_spi(Syscalls)
public enum FileSystemCalls {
    /// Renames `old` to `new`, atomically replacing `new` when it exists. `EXDEV` when
    /// they are on different file systems.
    public static func rename(_ old: String, to new: String) throws(Errno) {
        try checked(old, new)
        try Syscall.rename(old, to: new)
    }

    /// Gives the file `old` the second name `new`; `EEXIST` when `new` exists, so it
    /// never replaces anything.
    public static func link(_ old: String, to new: String) throws(Errno) {
        try checked(old, new)
        try Syscall.link(old, to: new)
    }

    /// Removes a file (or link) name.
    public static func unlink(_ path: String) throws(Errno) {
        try checked(path)
        try Syscall.unlink(path)
    }

    /// Removes an empty directory.
    public static func removeDirectory(_ path: String) throws(Errno) {
        try checked(path)
        try Syscall.removeDirectory(path)
    }

    /// Makes one directory (not its parents).
    public static func makeDirectory(_ path: String, permissions: UInt32 = 0o777) throws(Errno) {
        try checked(path)
        try Syscall.makeDirectory(path, permissions: permissions)
    }

    /// The identity of a path (its link's own with `followSymlinks: false`).
    public static func status(_ path: String, followSymlinks: Bool) throws(Errno) -> FileIdentity {
        try checked(path)
        return try Syscall.status(path: path, followSymlinks: followSymlinks)
    }

    /// The canonical path: every link, `.` and `..` resolved. The path must exist.
    public static func realPath(_ path: String) throws(Errno) -> String {
        try checked(path)
        return try Syscall.realPath(path)
    }

    /// Flushes a directory's entries to the device, so a rename in it survives a crash.
    public static func synchronizeDirectory(_ path: String) throws(Errno) {
        try checked(path)
        let fd = try path.withCPath { cPath throws(Errno) in try Syscall.openDirectory(cPath: cPath) }
        defer { Syscall.close(fd) }
        try Syscall.synchronize(fd: fd)
    }

    /// The names in a directory, except `.` and `..`, in the order the kernel lists
    /// them: one `getdents64` loop on the calling thread, for small directories where
    /// starting the walker's threads would cost more than the listing.
    public static func directoryNames(_ path: String) throws(Errno) -> [String] {
        try checked(path)
        let fd = try path.withCPath { cPath throws(Errno) in try Syscall.openDirectory(cPath: cPath) }
        defer { Syscall.close(fd) }
        var listing = DirectoryListing()
        try DirectoryReader(bufferSize: 8 * 1024).readAll(fd: fd, into: &listing)
        return listing.records.map { String(decoding: listing.name(of: $0), as: UTF8.self) }
    }

    /// The bytes that may still be written on the file system holding `path`.
    public static func availableBytes(_ path: String) throws(Errno) -> Int64 {
        try checked(path)
        return try Syscall.availableBytes(path)
    }

    /// `stat`/`lstat` on a path given as raw bytes (names need not be UTF-8).
    public static func status(pathBytes: [UInt8], followSymlinks: Bool) throws(Errno) -> FileIdentity {
        guard !pathBytes.isEmpty, !pathBytes.contains(0) else { throw Errno.invalidArgument }
        return try (pathBytes + [0]).withCPath { cPath throws(Errno) in
            try Syscall.status(cPath: cPath, followSymlinks: followSymlinks)
        }
    }

    /// A file's modification, access and creation times, following symbolic links.
    public static func times(pathBytes: [UInt8]) throws(Errno) -> FileTimes {
        guard !pathBytes.isEmpty, !pathBytes.contains(0) else { throw Errno.invalidArgument }
        return try (pathBytes + [0]).withCPath { cPath throws(Errno) in try Syscall.times(cPath: cPath) }
    }

    /// The whole contents of a small file (a configuration or ignore file).
    ///
    /// - Throws: `Errno.fileTooLarge` when the file holds more than `limit` bytes.
    public static func readSmallFile(_ path: String, limit: Int) throws(Errno) -> [UInt8] {
        try checked(path)
        return try Syscall.readSmallFile(atPath: path, limit: limit)
    }

    /// An environment variable, or `nil` when unset.
    public static func environment(_ name: String) -> String? { Syscall.environment(name) }

    /// This process's id.
    public static var processID: Int32 { Syscall.processID() }

    /// Ends this process at once with `SIGKILL`, as `kill -9` would: for tests of crash
    /// recovery only.
    public static func killSelf() -> Never { Syscall.killSelf() }

    private static func checked(_ paths: String...) throws(Errno) {
        for path in paths where path.isEmpty || path.utf8.contains(0) { throw Errno.invalidArgument }
    }
}

/// A file open for writing, owned by exactly one owner and closed when it goes away.
///
/// ```swift
/// let file = try WritableFile(creatingExclusively: "/dir/.name.tmp", permissions: 0o644)
/// try file.write(bytes)
/// try file.synchronize()
/// ```
///
/// ## Threading
/// Use from one thread at a time; every method blocks.
@_spi(Syscalls)
public struct WritableFile: ~Copyable {
    let fd: CInt
    /// The path, for messages.
    public let path: String

    /// Creates a new file; `EEXIST` when the name is taken.
    ///
    /// - Parameter permissions: The mode, reduced by the umask as `open(2)` does.
    public init(creatingExclusively path: String, permissions: UInt32 = 0o666) throws(Errno) {
        guard !path.isEmpty, !path.utf8.contains(0) else { throw Errno.invalidArgument }
        fd = try path.withCPath { cPath throws(Errno) in try Syscall.createExclusive(cPath: cPath, permissions: permissions) }
        self.path = path
    }

    /// Opens a file for writing at its start, creating it when missing; it is not
    /// truncated (for lock files).
    public init(openingOrCreating path: String, permissions: UInt32 = 0o600) throws(Errno) {
        guard !path.isEmpty, !path.utf8.contains(0) else { throw Errno.invalidArgument }
        fd = try path.withCPath { cPath throws(Errno) in try Syscall.openForWriting(cPath: cPath, permissions: permissions) }
        self.path = path
    }

    /// Opens a file for appending (`O_APPEND`), creating it when missing.
    public init(appendingTo path: String, permissions: UInt32 = 0o600) throws(Errno) {
        guard !path.isEmpty, !path.utf8.contains(0) else { throw Errno.invalidArgument }
        fd = try path.withCPath { cPath throws(Errno) in try Syscall.openForAppending(cPath: cPath, permissions: permissions) }
        self.path = path
    }

    deinit { Syscall.close(fd) }

    /// Cuts the file to `length` bytes (`ftruncate`).
    public func truncate(to length: Int64) throws(Errno) { try Syscall.truncate(fd: fd, to: length) }

    /// Writes all of `bytes`, retrying short writes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(Errno) {
        guard bytes.count > 0 else { return }
        try Syscall.writeAll(fd: fd, bytes)
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: [UInt8]) throws(Errno) {
        try bytes.withBytes { buffer throws(Errno) in try write(buffer) }
    }

    /// Flushes the data and metadata to the device (`fsync`).
    public func synchronize() throws(Errno) { try Syscall.synchronize(fd: fd) }

    /// Sets the permission bits (`fchmod`), not reduced by the umask.
    public func setPermissions(_ permissions: UInt32) throws(Errno) {
        try Syscall.setPermissions(fd: fd, permissions)
    }

    /// Takes an exclusive advisory lock without waiting (`flock`); `EWOULDBLOCK` when
    /// another process holds it. The lock goes with the descriptor.
    public func lockExclusively() throws(Errno) { try Syscall.lockExclusiveNonBlocking(fd: fd) }
}

/// A mutex with a condition variable, for a dedicated thread that must sleep until
/// another signals it (a worker pool's idle workers).
///
/// ## Threading
/// Any thread may call any method; ``wait()`` only while holding the lock, and never
/// from Swift's cooperative pool.
public final class ThreadCondition: Sendable {
    private let lock = ConditionLock()

    /// Creates an unlocked condition.
    public init() {}

    /// Takes the lock.
    public func acquire() { lock.lock() }
    /// Releases the lock.
    public func release() { lock.unlock() }
    /// Releases the lock, sleeps until signalled, and takes it again.
    public func wait() { lock.wait() }
    /// Like ``wait()``, but wakes after `timeout` at the latest.
    ///
    /// - Returns: False when it timed out (the caller re-checks its condition either
    ///   way: wake-ups may be spurious).
    @discardableResult
    public func wait(timeout: Duration) -> Bool { lock.wait(timeout: timeout) }
    /// Wakes one waiting thread.
    public func signal() { lock.signal() }
    /// Wakes every waiting thread.
    public func broadcast() { lock.broadcast() }

    /// Runs `body` holding the lock.
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        try lock.withLock(body)
    }
}
