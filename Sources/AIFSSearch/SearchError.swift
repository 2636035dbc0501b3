public import AIFSCore
public import SystemPackage

/// The error every AIFSSearch operation throws.
///
/// Like ``AIFSCore/CoreError``: a ``Code`` to branch on, a message that says what
/// happened, where and what to do, the path and the operating system's error.
public struct SearchError: AIFSError {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: Hashable, Sendable {
            case invalidPattern, invalidArgument, io, undecidedLine, longLineCut, longLineSearchedInPieces
        }

        fileprivate var value: Value

        /// A pattern that does not compile; the message names the position.
        public static var invalidPattern: Code { Code(value: .invalidPattern) }
        /// An option or combination of options that cannot work.
        public static var invalidArgument: Code { Code(value: .invalidArgument) }
        /// A file could not be opened or read.
        public static var io: Code { Code(value: .io) }
        /// The regex engines gave up on a line (a resource limit): whether it matches is
        /// unknown, and it was not reported. The search went on.
        public static var undecidedLine: Code { Code(value: .undecidedLine) }
        /// A line longer than the searcher's largest buffer was reported cut: only a
        /// piece of it was handed on (its line number and offsets are right). What is
        /// printed of it, and matches counted in it, are incomplete; line counts and
        /// file lists are not affected. The search went on.
        public static var longLineCut: Code { Code(value: .longLineCut) }
        /// A line longer than the searcher's largest buffer matched nowhere, but was
        /// searched in overlapping pieces with a pattern whose matches may be longer than
        /// the overlap: a match across two pieces would have been missed. The search
        /// went on.
        public static var longLineSearchedInPieces: Code { Code(value: .longLineSearchedInPieces) }

        public var description: String {
            switch value {
            case .invalidPattern: "invalidPattern"
            case .invalidArgument: "invalidArgument"
            case .io: "io"
            case .undecidedLine: "undecidedLine"
            case .longLineCut: "longLineCut"
            case .longLineSearchedInPieces: "longLineSearchedInPieces"
            }
        }
    }

    /// The kind of failure.
    public var code: Code
    /// What happened, where, and what to do.
    public var message: String
    /// The file or pattern concerned.
    public var path: String?
    /// The operating system's error, when one caused this.
    public var underlying: Errno?
    /// Where the error was made.
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

    /// Wraps a core error (a file that cannot be opened or read).
    public init(_ error: CoreError) {
        self.init(.io, error.message, path: error.path, underlying: error.underlying,
                  file: error.location.file, line: error.location.line)
    }
}
