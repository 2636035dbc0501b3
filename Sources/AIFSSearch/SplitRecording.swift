import AIFSCore
import Synchronization

// The parts of a split search that a helper thread searches are recorded, then reported
// by the calling thread once the parts before them are (see Searcher+Split.swift).

/// One line a part's searcher reported, its bytes in the batch's ``RecordedBatch/bytes``.
struct RecordedLine: Sendable {
    var bytes: Range<Int>
    /// Counted from the part's first line (1) when lines are counted.
    var lineNumber: Int?
    var absoluteOffset: Int64
    var lineOffset: Int64
    var isCut: Bool
}

/// What a part's searcher told its sink, in order.
enum RecordedEvent: Sendable {
    case matched(RecordedLine)
    case context(RecordedLine, ContextKind)
    case contextBreak
    case binaryData(offset: Int64)
    /// A line searched inexactly; its line number counts from the part's first line.
    case problem(ProblemDraft)
}

/// Recorded events with the bytes of their lines.
struct RecordedBatch: Sendable {
    var bytes: [UInt8] = []
    var events: [RecordedEvent] = []
    /// Roughly the memory the batch holds.
    var cost = 0
}

/// How a part's search ended.
struct PartSummary: Sendable {
    /// Line terminators in the part (counted only when line numbers are shown).
    var lines: Int
    /// The offset in the file where the part's searcher stopped reading lines.
    var bytesSearched: Int64
    /// Whether the sink stopped it before its end.
    var stopped: Bool
}

/// How a helper thread's part ended: its summary, or the error that stopped it.
enum PartEnd: Sendable {
    case finished(PartSummary)
    case failed(SearchError)
}

/// The bounded queue from the helper thread searching one part to the calling thread.
///
/// The helper ``send(_:)``s batches and blocks while ``byteLimit`` bytes wait, so a part
/// full of matches holds the helper back instead of growing; it then ``end(_:)``s the
/// part. The calling thread takes them with ``next()`` once the parts before are
/// reported, or ``cancel()``s the part (the helper's next send returns false) and waits
/// for its end with ``waitForEnd()``.
///
/// ## Threading
/// One helper thread sends, one calling thread takes.
final class PartRecording: Sendable {
    enum Item {
        case batch(RecordedBatch)
        case end(PartEnd)
    }

    private struct State {
        var batches: [RecordedBatch] = []
        var held = 0
        var end: PartEnd?
        var cancelled = false
    }

    /// How many bytes of batches may wait before the helper blocks.
    let byteLimit: Int
    private let lock = ConditionLock()
    // nonisolated(unsafe): only touched while `lock` is held.
    private nonisolated(unsafe) var state = State()

    init(byteLimit: Int) {
        self.byteLimit = byteLimit
    }

    /// Queues a batch, blocking while the queue is full; false when the part was
    /// cancelled (the batch is dropped).
    func send(_ batch: RecordedBatch) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        while !state.cancelled && state.held > 0 && state.held + batch.cost > byteLimit { lock.wait() }
        if state.cancelled { return false }
        state.batches.append(batch)
        state.held += batch.cost
        lock.broadcast()
        return true
    }

    /// The part is searched: no more batches.
    func end(_ end: PartEnd) {
        lock.withLock {
            state.end = end
            lock.broadcast()
        }
    }

    /// The next batch, or the part's end; blocks until one is there.
    func next() -> Item {
        lock.lock()
        defer { lock.unlock() }
        while state.batches.isEmpty && state.end == nil { lock.wait() }
        if !state.batches.isEmpty {
            let batch = state.batches.removeFirst()
            state.held -= batch.cost
            lock.broadcast()
            return .batch(batch)
        }
        return .end(state.end!)
    }

    /// Drops what waits and makes the helper's sends fail, so it stops soon.
    func cancel() {
        lock.withLock {
            state.cancelled = true
            state.batches = []
            state.held = 0
            lock.broadcast()
        }
    }

    /// Blocks until the helper has ended the part.
    func waitForEnd() {
        lock.lock()
        defer { lock.unlock() }
        while state.end == nil { lock.wait() }
    }
}

/// The sink of a part searched on a helper thread: records what the searcher reports
/// into batches for a ``PartRecording``.
///
/// ## Threading
/// Made and used on the helper thread.
final class PartRecorder: Sink {
    /// A batch is sent when it holds this much.
    static let batchCost = 256 * 1024
    /// What an event costs besides its line's bytes.
    private static let eventCost = 64
    private let recording: PartRecording
    private var batch = RecordedBatch()
    /// False once the calling thread cancelled the part.
    private var open = true

    init(recording: PartRecording) {
        self.recording = recording
    }

    func matched(_ match: SinkMatch) -> Bool {
        let line = record(match.bytes, match.lineNumber, match.absoluteOffset, match.lineOffset, match.isCut)
        return add(.matched(line), cost: match.bytes.count)
    }

    func context(_ context: SinkContext) -> Bool {
        let line = record(context.bytes, context.lineNumber, context.absoluteOffset, context.lineOffset, context.isCut)
        return add(.context(line, context.kind), cost: context.bytes.count)
    }

    func contextBreak() -> Bool { add(.contextBreak, cost: 0) }

    func binaryData(offset: Int64) -> Bool { add(.binaryData(offset: offset), cost: 0) }

    /// A line the part's searcher could not search exactly.
    func problem(_ problem: ProblemDraft) {
        _ = add(.problem(problem), cost: problem.detail.utf8.count)
    }

    /// Sends what is recorded.
    func flush() {
        guard !batch.events.isEmpty else { return }
        if !recording.send(batch) { open = false }
        batch = RecordedBatch()
    }

    private func record(
        _ bytes: UnsafeBufferPointer<UInt8>, _ lineNumber: Int?, _ absoluteOffset: Int64, _ lineOffset: Int64, _ isCut: Bool
    ) -> RecordedLine {
        let start = batch.bytes.count
        batch.bytes.append(contentsOf: bytes)
        return RecordedLine(
            bytes: start..<batch.bytes.count, lineNumber: lineNumber, absoluteOffset: absoluteOffset,
            lineOffset: lineOffset, isCut: isCut)
    }

    private func add(_ event: RecordedEvent, cost: Int) -> Bool {
        batch.events.append(event)
        batch.cost += cost + PartRecorder.eventCost
        if batch.cost >= PartRecorder.batchCost { flush() }
        return open
    }
}

/// Tells the helper threads of a split search to stop reading.
///
/// ## Threading
/// Any thread.
final class SplitControl: Sendable {
    private let cancelled = Atomic<Bool>(false)

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    func cancel() { cancelled.store(true, ordering: .relaxed) }
}

/// Hands a file's duplicate descriptor to the helper thread that reads it: one owner
/// at a time.
final class FileHandoff: Sendable {
    private let file: Mutex<ReadableFile?>

    init(_ file: consuming ReadableFile) {
        self.file = Mutex(Optional(file))
    }

    /// The file, once; nil after.
    func take() -> ReadableFile? {
        file.withLock { $0.take() }
    }
}
