import AIFSCore

/// How a ``Searcher`` splits one big file across threads.
///
/// The file is cut into parts at line starts, one per thread. The calling thread
/// searches the first part and reports it as it goes, as a plain search does; helper
/// threads search the other parts at the same time, each with its own searcher and
/// buffer, and record what they find in a bounded queue. The calling thread then
/// reports the recorded parts in file order, adding the lines of the parts before to
/// their line numbers. The sink sees the same calls as from a search on one thread,
/// all on the calling thread.
///
/// A file is split only when that cannot change the answer: a file named by path (not
/// standard input or a program's output), at least ``minimumFileSize`` bytes, without
/// a byte-order mark or transcoding, binary detection ``BinaryDetection/none`` or
/// ``BinaryDetection/convertMapped``, and no context (`-A`, `-B`, `-C`, `--passthru`),
/// `-m`, `-U`, or ``Searcher/onRead``. Anything else is searched on one thread.
public struct SearchSplitting: Sendable, Hashable {
    /// The most threads one file is searched on, the calling one included: 0 for one
    /// per processor, 1 to never split.
    public var threads = 0
    /// Smaller files are searched on the calling thread alone.
    public var minimumFileSize: Int64 = 32 * 1024 * 1024
    /// The smallest part; at least 64 KiB, so that ripgrep's look for a NUL byte in
    /// the first 64 KiB of a mapped file stays within the first part.
    public var minimumPartSize: Int64 = 8 * 1024 * 1024

    /// Creates the default splitting.
    public init() {}

    /// Never split.
    public static var never: SearchSplitting {
        var splitting = SearchSplitting()
        splitting.threads = 1
        return splitting
    }

    /// How many bytes of recorded results may wait per helper thread.
    static let recordingLimit = 4 * 1024 * 1024
    /// How far past a part's nominal start a line start is looked for.
    static let seamSearchLimit: Int64 = 4 * 1024 * 1024
}

/// Where a file is cut: the first byte of each part (the first is 0).
struct SplitPlan {
    var starts: [Int64]

    var parts: Int { starts.count }

    /// The bytes of part `index`; the last runs to the end of the file, however long.
    func region(_ index: Int) -> Range<Int64> {
        starts[index]..<(index + 1 < starts.count ? starts[index + 1] : Int64.max)
    }
}

extension Searcher {
    /// How to split `file`, or nil to search it on one thread.
    func splitPlan(for file: borrowing ReadableFile, binaryDetection: BinaryDetection) -> SplitPlan? {
        let splitting = configuration.splitting
        guard splitting.threads != 1, onRead == nil, let size = file.sizeWhenOpened, size >= splitting.minimumFileSize,
              !configuration.multiline, !configuration.passthru, configuration.beforeContext == 0,
              configuration.afterContext == 0, configuration.maxReportedLines == nil,
              binaryDetection == .none || binaryDetection == .convertMapped
        else { return nil }
        // Counted only for a file big enough (a system call).
        let threads = splitting.threads > 0 ? splitting.threads : DedicatedThreads.processorCount
        let encoding = configuration.encoding.kind
        guard encoding == .automatic || encoding == .none else { return nil }
        let minimumPart = max(splitting.minimumPartSize, RipgrepReadWindows.ripgrepCapacity)
        let parts = Int(min(Int64(threads), size / minimumPart))
        guard parts > 1 else { return nil }
        var block = [UInt8](repeating: 0, count: 64 * 1024)
        if encoding != .none {
            // A byte-order mark is dropped or turns transcoding on: one thread.
            let first = block.withUnsafeMutableBytes { try? file.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<3]), atOffset: 0) }
            guard let first, first >= 2 else { return nil }
            if (block[0] == 0xFF && block[1] == 0xFE) || (block[0] == 0xFE && block[1] == 0xFF) { return nil }
            if first == 3 && block[0] == 0xEF && block[1] == 0xBB && block[2] == 0xBF { return nil }
        }
        var starts: [Int64] = [0]
        for part in 1..<parts {
            let nominal = size / Int64(parts) * Int64(part)
            guard let start = lineStart(atOrAfter: nominal, in: file, block: &block),
                  start > starts.last! + RipgrepReadWindows.ripgrepCapacity, start < size
            else { continue }
            starts.append(start)
        }
        return starts.count > 1 ? SplitPlan(starts: starts) : nil
    }

    /// The first line start after a terminator at or after `offset`, looked for within
    /// ``SearchSplitting/seamSearchLimit`` bytes.
    private func lineStart(atOrAfter offset: Int64, in file: borrowing ReadableFile, block: inout [UInt8]) -> Int64? {
        var position = offset
        let terminator = configuration.lineTerminator
        while position < offset + SearchSplitting.seamSearchLimit {
            let count = block.withUnsafeMutableBytes { (try? file.read(into: $0, atOffset: position)) ?? 0 }
            guard count > 0 else { return nil }
            let found = block.withUnsafeBufferPointer { ByteScan.firstIndex(of: terminator, in: $0, range: 0..<count) }
            if let found { return position + Int64(found) + 1 }
            position += Int64(count)
        }
        return nil
    }

    /// Searches `file` in the parts of `plan`, the first on this thread, the others on
    /// helper threads, and reports them to `sink` in file order (see
    /// ``SearchSplitting``).
    func searchSplit(
        file: borrowing ReadableFile, plan: SplitPlan, displayPath: [UInt8], binaryDetection: BinaryDetection,
        sink: any Sink
    ) throws(SearchError) {
        let started = ContinuousClock.now
        let startingCapacity = capacity
        reset(sink: sink)
        path = displayPath
        guard sink.begin(path: displayPath) else {
            finish(sink: sink, started: started)
            return
        }
        partsSearched = plan.parts
        let control = SplitControl()
        let recordings = startHelpers(file: file, plan: plan, displayPath: displayPath, binaryDetection: binaryDetection, control: control)
        defer {
            // Every helper is stopped and has ended before the search returns.
            control.cancel()
            for recording in recordings {
                recording?.cancel()
                recording?.waitForEnd()
            }
        }
        let merger = SplitMerger(sink: sink)
        var problems = ProblemList()
        var lineBase = 0
        var searched: Int64 = 0
        /// When the sink stopped the search in a part searched here: that part's end.
        var stoppedHere: (summary: PartSummary, region: Range<Int64>)?
        for part in 0..<plan.parts where !merger.stopped {
            let region = plan.region(part)
            if let recording = recordings[part] {
                let end = replay(recording, lineBase: lineBase, merger: merger, problems: &problems)
                switch end {
                case .finished(let summary):
                    lineBase += summary.lines
                    searched += summary.bytesSearched - region.lowerBound
                case .failed(let error):
                    throw error
                case nil:
                    break
                }
            } else {
                let live = LiveSink(merger: merger)
                let summary = try searchPart(
                    of: file, region: region, displayPath: displayPath, binaryDetection: binaryDetection,
                    lineBase: lineBase, sink: live, cancelled: nil)
                problems.add(contentsOf: problemDrafts, notKept: problemsNotKept)
                lineBase += summary.lines
                searched += summary.bytesSearched - region.lowerBound
                if summary.stopped { stoppedHere = (summary, region) }
            }
        }
        problemDrafts = problems.drafts
        problemsNotKept = problems.notKept
        var bytesSearched = searched
        if merger.stopped {
            if let stoppedHere, stoppedHere.summary.bytesSearched < stoppedHere.region.upperBound {
                // Stopped before the end of its part: where one thread would have.
                bytesSearched = stoppedHere.summary.bytesSearched
            } else {
                bytesSearched = sequentialRegionEnd(
                    containing: merger.stopOffset, capacity: startingCapacity, file: file) ?? merger.stopOffset
            }
        }
        let elapsed = ContinuousClock.now - started
        let (seconds, attoseconds) = elapsed.components
        sink.finish(SinkFinish(
            bytesSearched: bytesSearched, binaryOffset: merger.binaryOffset, matchedLines: merger.matchedLines,
            elapsedNanoseconds: seconds * 1_000_000_000 + attoseconds / 1_000_000_000, problems: self.problems))
    }

    /// Starts a helper thread for every part but the first; nil for a part this thread
    /// must search itself (no descriptor or thread to be had).
    private func startHelpers(
        file: borrowing ReadableFile, plan: SplitPlan, displayPath: [UInt8], binaryDetection: BinaryDetection,
        control: SplitControl
    ) -> [PartRecording?] {
        var recordings: [PartRecording?] = [nil]
        let matcher = self.matcher, configuration = self.configuration
        for part in 1..<plan.parts {
            guard let copy = try? file.duplicate() else {
                recordings.append(nil)
                continue
            }
            let handoff = FileHandoff(copy)
            let recording = PartRecording(byteLimit: SearchSplitting.recordingLimit)
            let region = plan.region(part)
            let started = DedicatedThreads.tryStart(name: "aifs-split") {
                guard let file = handoff.take() else { return }
                let searcher = Searcher(matcher: matcher, configuration: configuration)
                let recorder = PartRecorder(recording: recording)
                let end: PartEnd
                do throws(SearchError) {
                    let summary = try searcher.searchPart(
                        of: file, region: region, displayPath: displayPath, binaryDetection: binaryDetection,
                        lineBase: 0, sink: recorder, cancelled: control)
                    end = .finished(summary)
                } catch {
                    end = .failed(error)
                }
                recorder.flush()
                recording.end(end)
            }
            recordings.append(started ? recording : nil)
        }
        return recordings
    }

    /// Reports a helper's recorded part through `merger`, its line numbers moved on by
    /// `lineBase`. Returns how the part ended, or nil when the sink stopped the search.
    private func replay(
        _ recording: PartRecording, lineBase: Int, merger: SplitMerger, problems: inout ProblemList
    ) -> PartEnd? {
        while true {
            switch recording.next() {
            case .end(let end):
                return end
            case .batch(let batch):
                let going = batch.bytes.withUnsafeBufferPointer { bytes in
                    for event in batch.events {
                        let going: Bool
                        switch event {
                        case .matched(let line):
                            going = merger.matched(SinkMatch(
                                bytes: UnsafeBufferPointer(rebasing: bytes[line.bytes]),
                                lineNumber: line.lineNumber.map { $0 + lineBase }, absoluteOffset: line.absoluteOffset,
                                lineOffset: line.lineOffset, isCut: line.isCut))
                        case .context(let line, let kind):
                            going = merger.context(SinkContext(
                                bytes: UnsafeBufferPointer(rebasing: bytes[line.bytes]),
                                lineNumber: line.lineNumber.map { $0 + lineBase }, absoluteOffset: line.absoluteOffset,
                                kind: kind, lineOffset: line.lineOffset, isCut: line.isCut))
                        case .contextBreak:
                            going = merger.contextBreak()
                        case .binaryData(let offset):
                            going = merger.binaryData(offset: offset)
                        case .problem(let draft):
                            problems.add(draft.movedDown(by: lineBase))
                            going = true
                        }
                        if !going { return false }
                    }
                    return true
                }
                if !going { return nil }
            }
        }
    }

    /// Where a search of the whole file on one thread would have stopped had its sink
    /// stopped it at the line holding `offset`: the end of the buffer's worth of lines
    /// it searched at once (see ``SinkFinish/bytesSearched``). It replays the read loop's
    /// buffer fills, reading only each fill's last line; nil when a line longer than
    /// the largest buffer comes first (it is searched in pieces).
    private func sequentialRegionEnd(containing offset: Int64, capacity: Int, file: borrowing ReadableFile) -> Int64? {
        guard let size = file.sizeWhenOpened else { return nil }
        var regionStart: Int64 = 0
        var capacity = Int64(capacity)
        var block = [UInt8](repeating: 0, count: 4096)
        while regionStart < size {
            let fillEnd = min(regionStart + capacity, size)
            if fillEnd == size && offset >= regionStart {
                // The last fill: its lines, then the rest at the end of the file.
                guard let last = lastTerminator(in: regionStart..<fillEnd, file: file, block: &block) else { return size }
                return offset <= last ? last + 1 : size
            }
            if let last = lastTerminator(in: regionStart..<fillEnd, file: file, block: &block) {
                if offset <= last { return last + 1 }
                regionStart = last + 1
            } else if capacity < Int64(configuration.maximumBufferSize) {
                // One line fills the buffer: it grows.
                capacity = min(capacity * 2, Int64(configuration.maximumBufferSize))
            } else {
                return nil
            }
        }
        return size
    }

    /// The offset of the last line terminator in `range` of the file, read backwards.
    private func lastTerminator(in range: Range<Int64>, file: borrowing ReadableFile, block: inout [UInt8]) -> Int64? {
        var upper = range.upperBound
        while upper > range.lowerBound {
            let lower = max(range.lowerBound, upper - Int64(block.count))
            let wanted = Int(upper - lower)
            let count = block.withUnsafeMutableBytes {
                (try? file.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<wanted]), atOffset: lower)) ?? 0
            }
            guard count == wanted else { return nil }
            let found = block.withUnsafeBufferPointer {
                ByteScan.lastIndex(of: configuration.lineTerminator, in: $0, range: 0..<count)
            }
            if let found { return lower + Int64(found) }
            upper = lower
        }
        return nil
    }
}

/// The problems of a split search's parts, in file order: at most
/// ``Searcher/problemLimit`` kept, the rest counted.
struct ProblemList {
    var drafts: [ProblemDraft] = []
    var notKept = 0

    mutating func add(_ draft: ProblemDraft) {
        if drafts.count < Searcher.problemLimit { drafts.append(draft) } else { notKept += 1 }
    }

    mutating func add(contentsOf more: [ProblemDraft], notKept moreNotKept: Int) {
        for draft in more { add(draft) }
        notKept += moreNotKept
    }
}

/// Passes the parts' reports on to the search's sink, on the calling thread, as one
/// search would make them: binary data is reported once, and the first `false` stops.
final class SplitMerger {
    let sink: any Sink
    private(set) var stopped = false
    /// Where the line that the sink stopped at starts (or holds the NUL byte).
    private(set) var stopOffset: Int64 = 0
    private(set) var binaryOffset: Int64?
    private(set) var matchedLines = 0

    init(sink: any Sink) {
        self.sink = sink
    }

    func matched(_ match: SinkMatch) -> Bool {
        matchedLines += 1
        return going(sink.matched(match), at: match.absoluteOffset)
    }

    func context(_ context: SinkContext) -> Bool {
        going(sink.context(context), at: context.absoluteOffset)
    }

    func contextBreak() -> Bool {
        going(sink.contextBreak(), at: stopOffset)
    }

    func binaryData(offset: Int64) -> Bool {
        // Each part reports its first NUL byte; one search reports the file's first.
        guard binaryOffset == nil else { return true }
        binaryOffset = offset
        return going(sink.binaryData(offset: offset), at: offset)
    }

    private func going(_ answer: Bool, at offset: Int64) -> Bool {
        if !answer {
            stopped = true
            stopOffset = offset
        }
        return answer
    }
}

/// The sink of a part searched on the calling thread: straight through the merger.
final class LiveSink: Sink {
    private let merger: SplitMerger

    init(merger: SplitMerger) {
        self.merger = merger
    }

    func matched(_ match: SinkMatch) -> Bool { merger.matched(match) }
    func context(_ context: SinkContext) -> Bool { merger.context(context) }
    func contextBreak() -> Bool { merger.contextBreak() }
    func binaryData(offset: Int64) -> Bool { merger.binaryData(offset: offset) }
}
