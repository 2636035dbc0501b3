public import SystemPackage

/// The error every AIFSCore operation throws.
///
/// Each error says what happened, where (``path``), and what to do about it, in
/// ``message``; ``code`` lets a caller branch on the kind without parsing text.
/// `Code` wraps a private enum, so adding a kind later does not break a caller's
/// exhaustive `switch`.
///
/// ```swift
/// do {
///     _ = try roots.resolve("../etc/passwd")
/// } catch let error where error.code == .outsideRoots {
///     print(error.message)
/// }
/// ```
public struct CoreError: AIFSError {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: Hashable, Sendable {
            case notFound
            case notADirectory
            case isADirectory
            case permissionDenied
            case outsideRoots
            case invalidPath
            case invalidGlob
            case symlinkLoop
            case nameTooLong
            case alreadyExists
            case invalidArgument
            case io
        }

        fileprivate var value: Value

        fileprivate init(_ value: Value) { self.value = value }

        /// The path does not exist (`ENOENT`).
        public static var notFound: Code { Code(.notFound) }
        /// A directory was expected and something else was found (`ENOTDIR`).
        public static var notADirectory: Code { Code(.notADirectory) }
        /// A file was expected and a directory was found (`EISDIR`).
        public static var isADirectory: Code { Code(.isADirectory) }
        /// The process may not read or enter the path (`EACCES`, `EPERM`).
        public static var permissionDenied: Code { Code(.permissionDenied) }
        /// The path resolves to a place outside every configured root.
        public static var outsideRoots: Code { Code(.outsideRoots) }
        /// The path itself is malformed (for example, it contains a NUL byte).
        public static var invalidPath: Code { Code(.invalidPath) }
        /// A glob pattern could not be parsed.
        public static var invalidGlob: Code { Code(.invalidGlob) }
        /// Symbolic links form a loop (`ELOOP`, or a directory seen twice while following links).
        public static var symlinkLoop: Code { Code(.symlinkLoop) }
        /// A path or one of its components is longer than the system allows (`ENAMETOOLONG`).
        public static var nameTooLong: Code { Code(.nameTooLong) }
        /// Something already exists where a new entry was to be made (`EEXIST`).
        public static var alreadyExists: Code { Code(.alreadyExists) }
        /// An argument or option has a value that cannot work.
        public static var invalidArgument: Code { Code(.invalidArgument) }
        /// Any other failure of the operating system.
        public static var io: Code { Code(.io) }

        public var description: String {
            switch value {
            case .notFound: "notFound"
            case .notADirectory: "notADirectory"
            case .isADirectory: "isADirectory"
            case .permissionDenied: "permissionDenied"
            case .outsideRoots: "outsideRoots"
            case .invalidPath: "invalidPath"
            case .invalidGlob: "invalidGlob"
            case .symlinkLoop: "symlinkLoop"
            case .nameTooLong: "nameTooLong"
            case .alreadyExists: "alreadyExists"
            case .invalidArgument: "invalidArgument"
            case .io: "io"
            }
        }
    }

    /// Where in our source the error was made, for logs.
    public struct SourceLocation: Hashable, Sendable {
        /// The source file.
        public var file: String
        /// The line in ``file``.
        public var line: Int

        /// Creates a location.
        public init(file: String, line: Int) {
            self.file = file
            self.line = line
        }
    }

    /// The kind of failure.
    public var code: Code
    /// What happened, where, and what to do, in one or two sentences.
    public var message: String
    /// The path the operation was working on, as the caller gave it or as it was built.
    public var path: String?
    /// The operating system's error, when one caused this.
    public var underlying: Errno?
    /// What the user can do next (see ``ErrorHint``).
    public var hint: ErrorHint?
    /// Where the error was made.
    public var location: SourceLocation

    /// Creates an error.
    public init(
        _ code: Code,
        _ message: String,
        path: String? = nil,
        underlying: Errno? = nil,
        hint: ErrorHint? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.underlying = underlying
        self.hint = hint
        self.location = SourceLocation(file: file, line: line)
    }
}

extension CoreError {
    /// Maps an operating-system error to a ``CoreError`` with a message that names the
    /// operation, the path and what to do.
    ///
    /// This is the one place where `Errno` values become AIFSCore errors.
    ///
    /// - Parameters:
    ///   - errno: The error the system call returned.
    ///   - operation: What we were doing, as a verb phrase: "open directory", "read".
    ///   - path: The path the call was made on.
    public init(
        errno: Errno,
        operation: String,
        path: String,
        file: String = #fileID,
        line: Int = #line
    ) {
        let reading = ErrnoReading(errno)
        let code: Code =
            switch reading.kind {
            case .notFound: .notFound
            case .notADirectory: .notADirectory
            case .isADirectory: .isADirectory
            case .permissionDenied: .permissionDenied
            case .symlinkLoop: .symlinkLoop
            case .nameTooLong: .nameTooLong
            case .alreadyExists: .alreadyExists
            case .invalidPath: .invalidPath
            case .readOnlyFileSystem, .noSpace, .other: .io
            }
        self.init(
            code,
            reading.message(operation: operation, path: path),
            path: path,
            underlying: errno,
            file: file,
            line: line
        )
    }
}
