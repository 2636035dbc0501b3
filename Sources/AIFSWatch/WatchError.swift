public import AIFSCore
public import SystemPackage

/// The error the watcher throws, or reports in an ``WatchEvent/Kind/error(message:)``
/// event when watching goes on.
///
/// `Code` wraps a private enum, so adding a kind later does not break a caller's
/// exhaustive `switch`.
public struct WatchError: AIFSError {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: Hashable, Sendable {
            case watchLimitReached
            case instanceLimitReached
            case notFound
            case permissionDenied
            case invalidArgument
            case io
        }

        fileprivate var value: Value
        fileprivate init(_ value: Value) { self.value = value }

        /// The kernel's per-user inotify watch limit (`fs.inotify.max_user_watches`)
        /// is used up: `ENOSPC` from `inotify_add_watch`, not a full disk.
        public static var watchLimitReached: Code { Code(.watchLimitReached) }
        /// The per-user limit of inotify instances (`fs.inotify.max_user_instances`)
        /// is used up: `EMFILE` from `inotify_init1`.
        public static var instanceLimitReached: Code { Code(.instanceLimitReached) }
        /// A path to watch does not exist.
        public static var notFound: Code { Code(.notFound) }
        /// A path may not be read or watched.
        public static var permissionDenied: Code { Code(.permissionDenied) }
        /// An option has a value that cannot work (an ignore glob that does not parse).
        public static var invalidArgument: Code { Code(.invalidArgument) }
        /// Any other failure of the operating system.
        public static var io: Code { Code(.io) }

        public var description: String {
            switch value {
            case .watchLimitReached: "watchLimitReached"
            case .instanceLimitReached: "instanceLimitReached"
            case .notFound: "notFound"
            case .permissionDenied: "permissionDenied"
            case .invalidArgument: "invalidArgument"
            case .io: "io"
            }
        }
    }

    /// The kind of failure.
    public var code: Code
    /// What happened, where, and what to do.
    public var message: String
    /// The path being watched when it happened.
    public var path: String?
    /// The operating system's error, when one caused this.
    public var underlying: Errno?
    /// Where in our source the error was made, for logs.
    public var location: CoreError.SourceLocation

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, path: String? = nil, underlying: Errno? = nil,
        file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.underlying = underlying
        self.location = CoreError.SourceLocation(file: file, line: line)
    }
}

extension WatchError {
    /// The message for an exhausted watch limit, naming the sysctl, its current value
    /// and how to raise it.
    ///
    /// - Parameters:
    ///   - path: The directory that could not be watched.
    ///   - currentLimit: The value of `/proc/sys/fs/inotify/max_user_watches`, or `nil`
    ///     when it could not be read.
    ///   - namespaceLimit: The value of `/proc/sys/user/max_inotify_watches`: the limit
    ///     of the process's user namespace (a container's), which is the one that
    ///     applies when it is lower than the host's.
    public static func watchLimitMessage(path: String, currentLimit: Int?, namespaceLimit: Int? = nil) -> String {
        if let namespaceLimit, namespaceLimit < currentLimit ?? Int.max {
            let host = currentLimit.map { ", below the host's fs.inotify.max_user_watches of \($0)" } ?? ""
            return "cannot watch '\(path)': the inotify watch limit is reached "
                + "(user.max_inotify_watches is \(namespaceLimit) in this user namespace\(host)); raise it "
                + "where the namespace or container is set up (`sysctl user.max_inotify_watches=524288` as its root), "
                + "or ignore large directories such as node_modules"
        }
        let value = currentLimit.map { "is \($0)" } ?? "could not be read"
        return "cannot watch '\(path)': the inotify watch limit is reached "
            + "(fs.inotify.max_user_watches \(value)); raise it with "
            + "`sudo sysctl fs.inotify.max_user_watches=524288` "
            + "(add `fs.inotify.max_user_watches=524288` to /etc/sysctl.conf to keep it), "
            + "or ignore large directories such as node_modules"
    }

    /// Maps an operating-system error from the watcher's system calls to a
    /// ``WatchError``. This is the one place where `Errno` values become watch errors.
    ///
    /// - Parameters:
    ///   - errno: The error the call returned.
    ///   - operation: What we were doing: `"watch"`, `"read directory"`.
    ///   - path: The path the call was made on.
    ///   - watchLimits: Reads the host's and the user namespace's watch limits for the
    ///     `ENOSPC` message.
    static func from(
        _ errno: Errno, operation: String, path: String,
        watchLimits: () -> (host: Int?, namespace: Int?) = { (nil, nil) },
        file: String = #fileID, line: Int = #line
    ) -> WatchError {
        switch errno {
        case .noSpace where operation == "watch":
            let limits = watchLimits()
            return WatchError(
                .watchLimitReached, watchLimitMessage(path: path, currentLimit: limits.host, namespaceLimit: limits.namespace),
                path: path, underlying: errno, file: file, line: line)
        case .tooManyOpenFiles where operation == "start inotify":
            return WatchError(
                .instanceLimitReached,
                "cannot start watching: the inotify instance limit is reached "
                    + "(fs.inotify.max_user_instances); raise it with "
                    + "`sudo sysctl fs.inotify.max_user_instances=1024` or stop other watchers",
                path: path, underlying: errno, file: file, line: line)
        default:
            let reading = ErrnoReading(errno)
            let code: Code =
                switch reading.kind {
                case .notFound: .notFound
                case .permissionDenied: .permissionDenied
                default: .io
                }
            return WatchError(
                code, reading.message(operation: operation, path: path), path: path, underlying: errno, file: file, line: line)
        }
    }
}
