public import AIFSCore
import Synchronization

/// What all workers of one search share on the way to the console: the console, the
/// separator ripgrep puts between files' outputs, whether anything went out yet, and —
/// for a sorted search — which file is next.
///
/// ## Threading
/// Shared by all workers; every method may be called from any thread.
public final class SharedOutput: Sendable {
    private struct Order {
        var next = 0
        var pending: [Int: [UInt8]] = [:]
    }

    /// Where output goes.
    public let console: Console
    /// Written between the outputs of two files (see
    /// ``StandardPrinter/Configuration/fileSeparator``), without a newline; `nil` for none.
    public let separator: [UInt8]?
    /// Whether files go out in path order.
    public let sorted: Bool
    private let printedAny = Atomic<Bool>(false)
    private let order = Mutex(Order())
    private let failed = Atomic<Bool>(false)

    /// Creates the output of one search.
    public init(console: Console, separator: [UInt8]?, sorted: Bool) {
        self.console = console
        self.separator = separator
        self.sorted = sorted
    }

    /// Whether a write failed (standard output closed): workers may stop.
    public var hasFailed: Bool { failed.load(ordering: .relaxed) }

    /// Writes one piece of a file's output; the caller holds the console or is the
    /// only writer (sorted, its file is next). `first` marks the file's first piece,
    /// which gets the separator when something was printed before.
    func writePiece(_ bytes: [UInt8], first: Bool) {
        guard !bytes.isEmpty, !hasFailed else { return }
        do throws(CoreError) {
            if first, let separator, printedAny.load(ordering: .relaxed) {
                try console.write(separator + [UInt8(ascii: "\n")])
            }
            try console.write(bytes)
            printedAny.store(true, ordering: .relaxed)
        } catch {
            failed.store(true, ordering: .relaxed)
        }
    }

    /// Whether file `sequence` is the next to go out (its worker may stream).
    func isNext(_ sequence: Int) -> Bool {
        order.withLock { $0.next == sequence }
    }

    /// Hands over the rest of file `sequence`'s output and writes out every file whose
    /// turn has come. `continuing` means the file already streamed a first piece.
    func complete(_ sequence: Int, output: [UInt8], continuing: Bool) {
        order.withLock { order in
            order.pending[sequence] = output
            var first = !continuing
            while let ready = order.pending.removeValue(forKey: order.next) {
                writePiece(ready, first: first)
                first = true
                order.next += 1
            }
        }
    }
}

/// One worker's ``PrintTarget`` for search results: each file's output stays together,
/// in bounded memory, and — when the search is sorted — in path order.
///
/// The worker brackets every file with ``beginFile(sequence:)`` and ``endFile()``. A
/// file's output is buffered; past ``streamThreshold`` bytes it is streamed instead, so
/// one huge file with millions of matches never fills memory:
/// - unsorted, the worker holds the console for the rest of the file (other workers'
///   whole files wait their turn);
/// - sorted, it streams only while its file is next in path order, and buffers until
///   then.
///
/// ## Threading
/// One instance per worker thread.
public final class GroupedOutput: PrintTarget {
    private let shared: SharedOutput
    private var buffer: [UInt8] = []
    private var holding = false
    private var streamed = false
    private var sequence: Int?
    /// Output of one file beyond this many bytes is streamed rather than buffered.
    public let streamThreshold: Int

    /// Creates the output of one worker.
    public init(shared: SharedOutput, streamThreshold: Int = 256 * 1024) {
        self.shared = shared
        self.streamThreshold = streamThreshold
    }

    /// Whether writing failed (standard output closed): the worker may stop.
    public var hasFailed: Bool { shared.hasFailed }

    /// Starts a file; `sequence` is its place in path order for a sorted search.
    public func beginFile(sequence: Int?) {
        self.sequence = sequence
        streamed = false
    }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    public func endRecord() {
        guard buffer.count >= streamThreshold else { return }
        if shared.sorted, let sequence {
            guard shared.isNext(sequence) else { return }
        } else if !holding {
            shared.console.hold()
            holding = true
        }
        shared.writePiece(buffer, first: !streamed)
        streamed = true
        buffer.removeAll(keepingCapacity: true)
    }

    /// Ends a file: its output goes out now (unsorted) or as soon as every file before
    /// it has gone out (sorted).
    public func endFile() {
        if shared.sorted, let sequence {
            shared.complete(sequence, output: buffer, continuing: streamed)
        } else {
            if !holding { shared.console.hold() }
            shared.writePiece(buffer, first: !streamed)
            shared.console.release()
            holding = false
        }
        buffer.removeAll(keepingCapacity: true)
        sequence = nil
    }
}
