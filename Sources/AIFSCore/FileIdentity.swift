/// What kind of thing a directory entry is.
public struct FileKind: Hashable, Sendable, CustomStringConvertible {
    fileprivate enum Value: Hashable, Sendable {
        case regular, directory, symlink, other
    }

    fileprivate var value: Value

    fileprivate init(_ value: Value) { self.value = value }

    /// A regular file.
    public static var regular: FileKind { FileKind(.regular) }
    /// A directory.
    public static var directory: FileKind { FileKind(.directory) }
    /// A symbolic link (only seen when links are not followed).
    public static var symlink: FileKind { FileKind(.symlink) }
    /// A FIFO, socket, or device node.
    public static var other: FileKind { FileKind(.other) }

    public var description: String {
        switch value {
        case .regular: "file"
        case .directory: "directory"
        case .symlink: "symlink"
        case .other: "other"
        }
    }

    /// The kind as a phrase for messages: "a regular file", "a symbolic link", "a
    /// special file (FIFO, socket or device)".
    public var phrase: String {
        switch value {
        case .regular: "a regular file"
        case .directory: "a directory"
        case .symlink: "a symbolic link"
        case .other: "a special file (FIFO, socket or device)"
        }
    }
}

/// The identity of a file as the kernel sees it at one moment: which file (device and
/// inode) and which version of it (size, modification and status-change times).
///
/// Two identities that compare equal describe the same file with, as far as the file
/// system can tell, the same contents. Times are in nanoseconds since the Unix epoch.
///
/// ## Known problems
/// A write that does not change the size within the file system's timestamp granularity
/// of the previous one leaves the identity unchanged. Callers that cache contents must
/// not trust an identity taken within that granularity of the file's modification time.
public struct FileIdentity: Hashable, Sendable {
    /// The device the file lives on (`st_dev`).
    public var device: UInt64
    /// The inode number (`st_ino`).
    public var inode: UInt64
    /// The size in bytes (`st_size`).
    public var size: Int64
    /// The last modification of the contents (`st_mtim`), in ns since the epoch.
    public var modificationTime: Int64
    /// The last change of the contents or metadata (`st_ctim`), in ns since the epoch.
    public var changeTime: Int64
    /// The kind of file.
    public var kind: FileKind
    /// The permission bits (`st_mode & 0o7777`).
    public var permissions: UInt32

    /// Creates an identity from its parts.
    public init(
        device: UInt64, inode: UInt64, size: Int64, modificationTime: Int64,
        changeTime: Int64, kind: FileKind, permissions: UInt32
    ) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modificationTime = modificationTime
        self.changeTime = changeTime
        self.kind = kind
        self.permissions = permissions
    }

    /// Reads the identity of the file at `path`.
    ///
    /// - Parameters:
    ///   - path: The file to examine.
    ///   - followSymlinks: When `true` (the default) a symbolic link is followed and the
    ///     identity is its target's; when `false` it is the link's own.
    /// - Throws: ``CoreError`` with `.notFound`, `.permissionDenied`, `.invalidPath` (a
    ///   NUL byte in `path`) and so on.
    ///
    /// The corresponding C function is `stat` (or `lstat`).
    public init(path: String, followSymlinks: Bool = true) throws(CoreError) {
        guard !path.utf8.contains(0) else { throw CoreError.nulInPath(path) }
        do {
            self = try Syscall.status(path: path, followSymlinks: followSymlinks)
        } catch {
            throw CoreError(errno: error, operation: "read the status of", path: path)
        }
    }

    /// The wall-clock time now, in nanoseconds since the epoch: the clock the kernel
    /// stamps modification and change times with (`CLOCK_REALTIME`), so it can be
    /// compared with them.
    public static func currentTime() -> Int64 {
        Syscall.realtimeNanoseconds()
    }

    /// The same device and inode: the same file, whatever its contents.
    public func isSameFile(as other: FileIdentity) -> Bool {
        device == other.device && inode == other.inode
    }
}

extension CoreError {
    /// The error for a path with a NUL byte in it, which no system call can take.
    static func nulInPath(_ path: String, file: String = #fileID, line: Int = #line) -> CoreError {
        let shown = path.replacingNUL()
        return CoreError(
            .invalidPath,
            "invalid path '\(shown)': it contains a NUL byte, which no file name can hold; remove it",
            path: shown, file: file, line: line)
    }
}

extension String {
    /// The string with NUL bytes shown as `\0`, for messages.
    func replacingNUL() -> String {
        var result = ""
        for scalar in unicodeScalars {
            if scalar == "\0" { result += "\\0" } else { result.unicodeScalars.append(scalar) }
        }
        return result
    }
}

/// A file's times, in nanoseconds since the Unix epoch: what `--sort modified`,
/// `accessed` and `created` order by. Kept apart from ``FileIdentity``, whose equality
/// must not change when a file is only read.
public struct FileTimes: Hashable, Sendable {
    /// The last modification of the contents.
    public var modified: Int64
    /// The last access.
    public var accessed: Int64
    /// The creation (birth) time, or `nil` where the file system does not record it.
    public var created: Int64?

    /// Creates file times from their parts.
    public init(modified: Int64, accessed: Int64, created: Int64?) {
        self.modified = modified
        self.accessed = accessed
        self.created = created
    }
}

extension FileIdentity {
    /// Whether contents read (or hashed) at `readTime` cannot hide a later same-size
    /// write: the file's last modification and change are at least `granularity` ns
    /// older (2 s on file systems with whole-second times). The racy-write rule of the
    /// content cache and of content versions.
    ///
    /// - Parameters:
    ///   - readTime: When the read began, in ns since the epoch (``currentTime()``).
    ///   - granularity: The file system's timestamp granularity, in ns.
    public func isSettled(at readTime: Int64, granularity: Int64) -> Bool {
        let wholeSeconds = modificationTime % 1_000_000_000 == 0 && changeTime % 1_000_000_000 == 0
        let window = wholeSeconds ? max(granularity, 2_000_000_000) : granularity
        return readTime - max(modificationTime, changeTime) >= window
    }
}
