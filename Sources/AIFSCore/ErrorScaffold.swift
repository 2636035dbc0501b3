public import SystemPackage

/// What every aifs error type is made of: a ``code`` to branch on, a ``message`` that
/// says what happened, where and what to do, the ``path`` and the system's error when
/// there are ones, and where in our source it was made. `CoreError`, `WorkError`,
/// `SearchError` and `WatchError` each keep their own codes (a caller switches on the
/// ones of the layer it calls) and share the rest through this protocol.
public protocol AIFSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The error's kinds, one type per layer.
    associatedtype Code: Hashable, Sendable, CustomStringConvertible
    /// The kind of failure.
    var code: Code { get }
    /// What happened, where, and what to do, in one or two sentences.
    var message: String { get }
    /// The path the operation was working on.
    var path: String? { get }
    /// The operating system's error, when one caused this.
    var underlying: Errno? { get }
    /// Where the error was made.
    var location: CoreError.SourceLocation { get }
    /// What the user can do next, for a face (the CLI, the server) to say in its own
    /// words, with its own flag or tool names; the message itself names none.
    var hint: ErrorHint? { get }
}

extension AIFSError {
    public var description: String { message }

    /// None, unless the error type keeps one.
    public var hint: ErrorHint? { nil }

    /// The message with its hint in a face's words: `wording` gives the face's advice
    /// for a hint (`nil`: keep the neutral one). The neutral advice ends the message
    /// (``ErrorHint/advice``) and is replaced; a message without it gets the face's
    /// advice appended.
    public func message(wordingHint wording: (ErrorHint) -> String?) -> String {
        guard let hint, let advice = wording(hint) else { return message }
        if message.hasSuffix(hint.advice) { return message.dropLast(hint.advice.count) + advice }
        return message + "; " + advice
    }

    /// A multi-line rendering with every field, for logs.
    public var detailedDescription: String {
        var lines = ["\(Self.self).\(code): \(message)"]
        if let path { lines.append("  path: \(path)") }
        if let underlying { lines.append("  underlying: \(underlying) (errno \(underlying.rawValue))") }
        lines.append("  at: \(location.file):\(location.line)")
        return lines.joined(separator: "\n")
    }
}

/// The one reading of an operating-system error: which kind of failure it is and what
/// to tell the user about it. Each error type maps the ``Kind`` to its own codes.
public struct ErrnoReading: Sendable, Hashable {
    /// The kinds of failure the layers tell apart.
    public enum Kind: Sendable, Hashable {
        case notFound, alreadyExists, isADirectory, notADirectory, permissionDenied, readOnlyFileSystem
        case noSpace, symlinkLoop, nameTooLong, invalidPath, other
    }

    /// The kind of failure.
    public var kind: Kind
    /// What it means and what to do, as a clause: "no such file or directory; check
    /// the path for typos".
    public var advice: String

    /// Reads `errno`.
    public init(_ errno: Errno) {
        switch errno {
        case .noSuchFileOrDirectory: (kind, advice) = (.notFound, "no such file or directory; check the path for typos")
        case .fileExists: (kind, advice) = (.alreadyExists, "it already exists; remove it first or choose another name")
        case .isDirectory: (kind, advice) = (.isADirectory, "it is a directory; pass a file")
        case .notDirectory: (kind, advice) = (.notADirectory, "a component of the path is not a directory")
        case .permissionDenied, .notPermitted:
            (kind, advice) = (.permissionDenied, "permission denied; check the permissions of the path and its parent directories")
        case .readOnlyFileSystem: (kind, advice) = (.readOnlyFileSystem, "the file system is read-only")
        case .noSpace: (kind, advice) = (.noSpace, "no space left on the device; free some space and retry")
        case .tooManySymbolicLinkLevels:
            (kind, advice) = (.symlinkLoop, "too many levels of symbolic links; a link probably points back at itself")
        case .fileNameTooLong: (kind, advice) = (.nameTooLong, "the name is too long for the file system; use a shorter path")
        case .invalidArgument: (kind, advice) = (.invalidPath, "the path is empty or contains a NUL byte")
        default: (kind, advice) = (.other, "\(errno) (errno \(errno.rawValue))")
        }
    }

    /// "cannot OPERATION 'PATH': ADVICE".
    public func message(operation: String, path: String) -> String {
        "cannot \(operation) '\(path)': \(advice)"
    }
}

/// What the user can do about an error, named once below the faces and worded by
/// each face: the CLI names its flags, the MCP server its tools and arguments.
public struct ErrorHint: Hashable, Sendable, CustomStringConvertible {
    private enum Value: Hashable, Sendable {
        case listDirectory, readByteRange, allowOverwrite
    }

    private let value: Value

    private init(_ value: Value) { self.value = value }

    /// The path is a directory: list it instead of reading it.
    public static var listDirectory: ErrorHint { ErrorHint(.listDirectory) }
    /// The file is binary: ask for a byte range instead of its text.
    public static var readByteRange: ErrorHint { ErrorHint(.readByteRange) }
    /// Something is in the way: allow overwriting to replace it.
    public static var allowOverwrite: ErrorHint { ErrorHint(.allowOverwrite) }

    /// The advice in neutral words, as the message ends with it; faces replace it with
    /// their own (see ``AIFSError/message(wordingHint:)``).
    public var advice: String {
        switch value {
        case .listDirectory: "list it, or pass a file"
        case .readByteRange: "ask for a byte range instead"
        case .allowOverwrite: "allow overwriting to replace it"
        }
    }

    public var description: String {
        switch value {
        case .listDirectory: "listDirectory"
        case .readByteRange: "readByteRange"
        case .allowOverwrite: "allowOverwrite"
        }
    }
}
