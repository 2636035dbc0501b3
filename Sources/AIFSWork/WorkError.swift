public import AIFSCore
public import SystemPackage

/// The error every AIFSWork operation throws: pool tasks, batch operations, file
/// writes, text edits and transactions.
///
/// Like ``AIFSCore/CoreError``: a ``Code`` to branch on (a struct wrapping a private
/// enum, so new kinds do not break a caller's `switch`), a ``message`` that says what
/// happened, where and what to do, the ``path``, the operating system's error and the
/// source location.
public struct WorkError: AIFSError {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: Hashable, Sendable {
            case notFound, alreadyExists, isADirectory, notADirectory, permissionDenied
            case outsideRoots, invalidPath, invalidArgument, invalidTransaction
            case editNotFound, editAmbiguous, cancelled, timedOut, taskFailed
            case notApplied, versionMismatch, io
        }

        fileprivate var value: Value

        fileprivate init(_ value: Value) { self.value = value }

        /// The path does not exist.
        public static var notFound: Code { Code(.notFound) }
        /// A destination exists and overwriting was not asked for.
        public static var alreadyExists: Code { Code(.alreadyExists) }
        /// A file was expected and a directory was found.
        public static var isADirectory: Code { Code(.isADirectory) }
        /// A directory was expected (a parent component is a file).
        public static var notADirectory: Code { Code(.notADirectory) }
        /// The process may not read or write the path.
        public static var permissionDenied: Code { Code(.permissionDenied) }
        /// The path leaves the service's roots.
        public static var outsideRoots: Code { Code(.outsideRoots) }
        /// The path is malformed (empty, or with a NUL byte).
        public static var invalidPath: Code { Code(.invalidPath) }
        /// An option or argument that cannot work (a bad regex, zero workers…).
        public static var invalidArgument: Code { Code(.invalidArgument) }
        /// A transaction document that is not valid JSON or not of the expected shape.
        public static var invalidTransaction: Code { Code(.invalidTransaction) }
        /// An edit's `oldText` does not occur in the file.
        public static var editNotFound: Code { Code(.editNotFound) }
        /// An edit's `oldText` occurs more than once.
        public static var editAmbiguous: Code { Code(.editAmbiguous) }
        /// The task was cancelled before it finished.
        public static var cancelled: Code { Code(.cancelled) }
        /// The task did not finish within its timeout.
        public static var timedOut: Code { Code(.timedOut) }
        /// The task's body threw an error of another kind (kept in the message).
        public static var taskFailed: Code { Code(.taskFailed) }
        /// A transaction failed and was rolled back: nothing was applied.
        public static var notApplied: Code { Code(.notApplied) }
        /// A guarded write's `expectedVersion` is not the file's version: someone changed
        /// it since it was read.
        public static var versionMismatch: Code { Code(.versionMismatch) }
        /// Any other failure of the operating system.
        public static var io: Code { Code(.io) }

        public var description: String {
            switch value {
            case .notFound: "notFound"
            case .alreadyExists: "alreadyExists"
            case .isADirectory: "isADirectory"
            case .notADirectory: "notADirectory"
            case .permissionDenied: "permissionDenied"
            case .outsideRoots: "outsideRoots"
            case .invalidPath: "invalidPath"
            case .invalidArgument: "invalidArgument"
            case .invalidTransaction: "invalidTransaction"
            case .editNotFound: "editNotFound"
            case .editAmbiguous: "editAmbiguous"
            case .cancelled: "cancelled"
            case .timedOut: "timedOut"
            case .taskFailed: "taskFailed"
            case .notApplied: "notApplied"
            case .versionMismatch: "versionMismatch"
            case .io: "io"
            }
        }
    }

    /// The kind of failure.
    public var code: Code
    /// What happened, where, and what to do.
    public var message: String
    /// The path concerned.
    public var path: String?
    /// The operating system's error, when one caused this.
    public var underlying: Errno?
    /// What the user can do next (see ``ErrorHint``).
    public var hint: ErrorHint?
    /// Where the error was made.
    public var location: CoreError.SourceLocation

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, path: String? = nil, underlying: Errno? = nil, hint: ErrorHint? = nil,
        file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.underlying = underlying
        self.hint = hint
        self.location = CoreError.SourceLocation(file: file, line: line)
    }

    /// Wraps a core error (a path outside the roots, a file that cannot be read).
    public init(_ error: CoreError) {
        let code: Code =
            switch error.code {
            case .notFound: .notFound
            case .alreadyExists: .alreadyExists
            case .isADirectory: .isADirectory
            case .notADirectory: .notADirectory
            case .permissionDenied: .permissionDenied
            case .outsideRoots: .outsideRoots
            case .invalidPath: .invalidPath
            case .invalidArgument, .invalidGlob: .invalidArgument
            default: .io
            }
        self.init(code, error.message, path: error.path, underlying: error.underlying, hint: error.hint,
                  file: error.location.file, line: error.location.line)
    }

    /// Maps an operating-system error to a ``WorkError`` naming the operation, the path
    /// and what to do: the one place where `Errno` becomes a `WorkError`.
    ///
    /// - Parameters:
    ///   - errno: The error the system call returned.
    ///   - operation: What we were doing, as a verb phrase: "write", "rename".
    ///   - path: The path the call was made on.
    public init(errno: Errno, operation: String, path: String, file: String = #fileID, line: Int = #line) {
        let reading = ErrnoReading(errno)
        let code: Code =
            switch reading.kind {
            case .notFound: .notFound
            case .alreadyExists: .alreadyExists
            case .isADirectory: .isADirectory
            case .notADirectory: .notADirectory
            case .permissionDenied, .readOnlyFileSystem: .permissionDenied
            case .invalidPath: .invalidPath
            case .noSpace, .symlinkLoop, .nameTooLong, .other: .io
            }
        self.init(code, reading.message(operation: operation, path: path), path: path, underlying: errno, file: file, line: line)
    }
}
