/// Receives the results of searching one file, as they are found (the push model).
///
/// The searcher calls ``begin(path:)`` once, then ``matched(_:)``, ``context(_:)``,
/// ``contextBreak()`` and ``binaryData(offset:)`` in file order, then ``finish(_:)``.
/// Returning `false` from any of them stops the search of this file; ``finish(_:)`` is
/// still called. An I/O error stops the search without ``finish(_:)`` and is thrown to
/// the searcher's caller.
///
/// The printers (``StandardPrinter``, ``JSONPrinter``) and the library's streams are
/// sinks.
///
/// ## Threading
/// A sink belongs to one worker thread; the bytes it is handed are valid only during
/// the call.
public protocol Sink: AnyObject {
    /// A file's search starts. `path` is the path as it will be shown.
    func begin(path: [UInt8]) -> Bool
    /// A matching line (or, when inverted, a non-matching one).
    func matched(_ match: SinkMatch) -> Bool
    /// A line of context before or after a match.
    func context(_ context: SinkContext) -> Bool
    /// Lines were skipped between two groups of context (ripgrep prints `--`).
    func contextBreak() -> Bool
    /// A NUL byte was found at `offset`: the file is binary. What follows depends on the
    /// searcher's ``BinaryDetection``.
    func binaryData(offset: Int64) -> Bool
    /// The search of the file ended, normally or because a call returned `false`.
    func finish(_ finish: SinkFinish)
}

extension Sink {
    public func begin(path: [UInt8]) -> Bool { true }
    public func context(_ context: SinkContext) -> Bool { true }
    public func contextBreak() -> Bool { true }
    public func binaryData(offset: Int64) -> Bool { true }
    public func finish(_ finish: SinkFinish) {}
}

/// One reported line.
///
/// `bytes` includes the line terminator when the line has one (the last line of a file
/// may not). It points into the searcher's buffer and is valid only during the call.
///
/// A line longer than the searcher's largest buffer cannot be handed over whole: `bytes`
/// is then one piece of it (``isCut``), starting ``lineOffset`` bytes into the line,
/// without the terminator unless the piece is the line's end. ``absoluteOffset`` and
/// ``lineNumber`` are still the line's own, and a printer adds ``lineOffset`` to the
/// positions of matches within `bytes` to give the line's true columns. The searcher also
/// lists such a line in ``SinkFinish/problems``.
public struct SinkMatch {
    /// The line, with its terminator if it has one; or a piece of an over-long line.
    public var bytes: UnsafeBufferPointer<UInt8>
    /// The 1-based line number, when the searcher counts lines.
    public var lineNumber: Int?
    /// The offset of the line's first byte from the start of the file.
    public var absoluteOffset: Int64
    /// Where `bytes` starts within the line: 0 unless the line was cut.
    public var lineOffset: Int64
    /// Whether `bytes` is only a piece of the line (see above).
    public var isCut: Bool

    /// Creates a match.
    public init(
        bytes: UnsafeBufferPointer<UInt8>, lineNumber: Int?, absoluteOffset: Int64, lineOffset: Int64 = 0,
        isCut: Bool = false
    ) {
        self.bytes = bytes
        self.lineNumber = lineNumber
        self.absoluteOffset = absoluteOffset
        self.lineOffset = lineOffset
        self.isCut = isCut
    }
}

/// Where a context line stands relative to the matches.
public enum ContextKind: Sendable, Hashable {
    /// Before a match (`-B`).
    case before
    /// After a match (`-A`).
    case after
}

/// One line of context; cut like a ``SinkMatch`` when it is longer than the searcher's
/// largest buffer.
public struct SinkContext {
    /// The line, with its terminator if it has one; valid only during the call.
    public var bytes: UnsafeBufferPointer<UInt8>
    /// The 1-based line number, when the searcher counts lines.
    public var lineNumber: Int?
    /// The offset of the line's first byte from the start of the file.
    public var absoluteOffset: Int64
    /// Before or after a match.
    public var kind: ContextKind
    /// Where `bytes` starts within the line: 0 unless the line was cut.
    public var lineOffset: Int64
    /// Whether `bytes` is only a piece of the line.
    public var isCut: Bool

    /// Creates a context line.
    public init(
        bytes: UnsafeBufferPointer<UInt8>, lineNumber: Int?, absoluteOffset: Int64, kind: ContextKind,
        lineOffset: Int64 = 0, isCut: Bool = false
    ) {
        self.bytes = bytes
        self.lineNumber = lineNumber
        self.absoluteOffset = absoluteOffset
        self.kind = kind
        self.lineOffset = lineOffset
        self.isCut = isCut
    }
}

/// How a file's search ended.
public struct SinkFinish: Sendable, Hashable {
    /// Bytes of the file that were searched.
    public var bytesSearched: Int64
    /// The offset of the first NUL byte, when the file was found to be binary.
    public var binaryOffset: Int64?
    /// Lines reported through ``Sink/matched(_:)``.
    public var matchedLines: Int
    /// The time the search of this file took, in nanoseconds.
    public var elapsedNanoseconds: Int64
    /// Lines the search could not handle exactly, in file order: lines no regex engine
    /// could decide (``SearchError/Code/undecidedLine``) and lines too long for the
    /// buffer (``SearchError/Code/longLineCut``,
    /// ``SearchError/Code/longLineSearchedInPieces``). Each names the path and the line
    /// and says what was done; a caller should show those that affect its answer and
    /// treat the answer as incomplete (ripgrep's exit status 2). At most
    /// ``Searcher/problemLimit`` are kept, the last one then saying how many more there
    /// were.
    public var problems: [SearchError]

    /// Creates a summary.
    public init(
        bytesSearched: Int64, binaryOffset: Int64?, matchedLines: Int, elapsedNanoseconds: Int64,
        problems: [SearchError] = []
    ) {
        self.bytesSearched = bytesSearched
        self.binaryOffset = binaryOffset
        self.matchedLines = matchedLines
        self.elapsedNanoseconds = elapsedNanoseconds
        self.problems = problems
    }
}

/// What the searcher does on finding a NUL byte, as ripgrep 14.
///
/// The searcher calls ``Sink/binaryData(offset:)`` when ripgrep would have seen the NUL
/// byte (ripgrep reads 64 KiB at a time; see ``RipgrepReadWindows``), not when aifs's
/// larger reads first hold it. After that call, a printer of lines shows ripgrep's
/// "binary file matches" note at the next match instead of the line, and stops.
public enum BinaryDetection: Sendable, Hashable {
    /// Search everything as text (`-a`, `--text`, `--null-data`).
    case none
    /// Stop at the first 64 KiB read that holds a NUL byte, without searching it (files
    /// found by walking a directory): the matches of earlier reads are reported, then
    /// ``Sink/binaryData(offset:)``; a small binary file reports nothing.
    case quit
    /// Read NUL bytes as line terminators and search the whole file; the first 64 KiB
    /// read holding a NUL byte calls ``Sink/binaryData(offset:)`` before its lines are
    /// searched (ripgrep reading a file named explicitly, standard input, or a file
    /// found in a directory with `--binary`).
    case convert
    /// As ripgrep searches a memory-mapped file named on the command line (its default
    /// when at most 10 paths are given and all are files): NUL bytes stay as they are;
    /// ``Sink/binaryData(offset:)`` is called at once for a NUL in the first 64 KiB,
    /// else for the first reported line (match or context) that holds one.
    case convertMapped

    /// Whether NUL bytes are reported at all.
    public var detects: Bool { self != .none }
    /// Whether a printer of lines stops at the first match after
    /// ``Sink/binaryData(offset:)``.
    public var suppressesMatchesAfterBinaryData: Bool { self == .convert || self == .convertMapped }
}
