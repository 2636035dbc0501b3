/// Which backend watches a root, and why: the per-root choice the watcher reports in
/// `ready` (``WatchEvent/Kind/ready(backends:watches:)``) and in ``WatchStats``.
struct BackendChoice: Sendable, Hashable {
    /// The backend's name: `"inotify"` or `"polling"`.
    var backend: String
    /// Why it was chosen, in words, for logs and stats.
    var reason: String

    /// Creates a choice.
    init(backend: String, reason: String) {
        self.backend = backend
        self.reason = reason
    }
}

/// Chooses inotify or polling for a root from its file system's type (the `f_type`
/// that `statfs(2)` reports) and the options.
///
/// A pure function of its inputs, so the classification is tested without mounting
/// anything.
///
/// ## Design rationale
/// inotify only sees changes made through the local kernel: on network file systems
/// (NFS, SMB/CIFS, 9P, AFS, Ceph, ...) a change made by another machine raises no event,
/// and FUSE file systems only report what passes through the local mount. Those get
/// polling; every other type gets inotify. The table follows `statfs(2)` and
/// `<linux/magic.h>`; an unknown type counts as local, since most are.
enum BackendSelector {
    /// File systems whose changes inotify may not see, by `f_type`, with a name for
    /// the reason.
    static let pollingFileSystems: [Int64: String] = [
        0x6969: "NFS",
        0x517B: "SMB",
        0xFF53_4D42: "CIFS",
        0xFE53_4D42: "SMB2",
        0x0102_1997: "9P (v9fs)",
        0x6573_5546: "FUSE",
        0x7375_7245: "Coda",
        0x5346_414F: "AFS",
        0x6B41_4653: "kAFS",
        0x00C3_6400: "Ceph",
        0x564C: "NCP",
        0x2003_0528: "OrangeFS",
        0x0BD0_0BD0: "Lustre",
        0x0116_1970: "GFS2",
        0x7461_636F: "OCFS2",
        0x786F_4256: "VirtualBox shared folder",
    ]

    /// The backend for one root.
    ///
    /// - Parameters:
    ///   - fileSystemType: The root's `statfs` `f_type`, or `nil` when `statfs` failed.
    ///   - usePolling: The ``WatchOptions/usePolling`` option.
    ///   - inotifyAvailable: Whether an inotify instance could be made.
    /// - Returns: `"polling"` or `"inotify"` and the reason.
    static func choose(fileSystemType: Int64?, usePolling: Bool, inotifyAvailable: Bool = true) -> BackendChoice {
        if usePolling { return BackendChoice(backend: "polling", reason: "usePolling is set") }
        if !inotifyAvailable {
            return BackendChoice(backend: "polling", reason: "inotify could not start (fs.inotify.max_user_instances reached)")
        }
        guard let type = fileSystemType else {
            return BackendChoice(backend: "inotify", reason: "the file system type could not be read; assumed local")
        }
        let hex = "0x" + String(UInt64(bitPattern: type), radix: 16)
        if let name = pollingFileSystems[type] {
            return BackendChoice(
                backend: "polling",
                reason: "\(name) file system (f_type \(hex)): inotify does not see changes made elsewhere")
        }
        return BackendChoice(backend: "inotify", reason: "local file system (f_type \(hex))")
    }
}
