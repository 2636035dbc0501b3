@_spi(Syscalls) import AIFSCore
import AIFSSearch
import Crypto
import SystemPackage

/// The per-file work of each ``BatchOperation``; runs on a pool worker.
enum BatchWork {
    static func perform(
        _ operation: BatchOperation, on item: BatchItem, options: BatchOptions, scratch: BatchScratch, worker: Int
    ) throws(WorkError) -> BatchValue {
        do {
            return try performUnexplained(operation, on: item, options: options, scratch: scratch, worker: worker)
        } catch where error.code == .notFound && item.foundByWalk && error.path == item.path {
            // Not a typo: the walk saw it, so another process removed or moved it since.
            var vanished = error
            vanished.message = "cannot \(operation.name) '\(item.path)': it was found by the walk but is gone now (removed or moved by another process while the batch ran); run the batch again to include what is there now"
            throw vanished
        }
    }

    private static func performUnexplained(
        _ operation: BatchOperation, on item: BatchItem, options: BatchOptions, scratch: BatchScratch, worker: Int
    ) throws(WorkError) -> BatchValue {
        switch operation {
        case .hash: return try hash(item.path, buffer: scratch.buffer(worker))
        case .count: return try count(item.path, buffer: scratch.buffer(worker))
        case .search(let matcher): return try search(item.path, matcher: matcher, scratch: scratch, worker: worker)
        case .stat:
            do { return .status(try FileIdentity(path: item.path)) } catch { throw WorkError(error) }
        case .copy:
            let destination = try destination(of: item, for: "copy")
            try checkSource(item.path, regularOnly: true)
            if options.dryRun {
                try checkDestination(destination, overwrite: options.overwrite, source: item.path)
            } else {
                try AtomicFile.makeParents(of: destination)
                try AtomicFile.copy(item.path, to: destination, overwrite: options.overwrite)
            }
            return .changed(destination: destination, dryRun: options.dryRun)
        case .move:
            let destination = try destination(of: item, for: "move")
            return try move(item.path, to: destination, options: options)
        case .delete:
            try checkSource(item.path, regularOnly: false)
            if !options.dryRun { try FileMover.remove(item.path) }
            return .removed(dryRun: options.dryRun)
        case .rename(let rule):
            let (directory, name) = AtomicFile.split(item.path)
            guard let newName = try rule.rename(name), newName != name else { return .unchanged }
            let destination = directory == "." && !item.path.hasPrefix("./") ? newName : (directory == "/" ? "/" : directory + "/") + newName
            return try move(item.path, to: destination, options: options)
        }
    }

    private static func move(_ source: String, to destination: String, options: BatchOptions) throws(WorkError) -> BatchValue {
        try checkSource(source, regularOnly: false)
        if options.dryRun {
            try checkDestination(destination, overwrite: options.overwrite, source: source)
        } else {
            try AtomicFile.makeParents(of: destination)
            try FileMover.move(source, to: destination, overwrite: options.overwrite)
        }
        return .changed(destination: destination, dryRun: options.dryRun)
    }

    private static func destination(of item: BatchItem, for operation: String) throws(WorkError) -> String {
        guard let destination = item.destination else {
            throw WorkError(.invalidArgument, "cannot \(operation) '\(item.path)': no destination was given", path: item.path)
        }
        return destination
    }

    private static func checkSource(_ path: String, regularOnly: Bool) throws(WorkError) {
        let identity: FileIdentity
        // A copy reads through a link (as cp does); a move or delete acts on the link.
        do { identity = try FileSystemCalls.status(path, followSymlinks: regularOnly) } catch {
            throw WorkError(errno: error, operation: "read the status of", path: path)
        }
        if regularOnly && identity.kind != .regular {
            throw WorkError(.invalidArgument, "cannot copy '\(path)': it is \(identity.kind.phrase), not a regular file", path: path)
        }
    }

    private static func checkDestination(_ destination: String, overwrite: Bool, source: String) throws(WorkError) {
        guard let existing = try? FileSystemCalls.status(destination, followSymlinks: false) else { return }
        if existing.kind == .directory {
            throw WorkError(errno: .isDirectory, operation: "put '\(source)' at", path: destination)
        }
        if !overwrite { throw WorkError.destinationExists(source, destination) }
    }

    /// Reads the whole file through `buffer`, handing each chunk to `body`.
    private static func stream(
        _ path: String, buffer: UnsafeMutableRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(WorkError) -> Int64 {
        let file = try openRegularFile(path)
        var total: Int64 = 0
        while true {
            let count: Int
            do { count = try file.read(into: buffer) } catch { throw WorkError(error) }
            if count == 0 { return total }
            total += Int64(count)
            body(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            if file.reachedEnd(afterReading: count, of: buffer.count, total: total) { return total }
        }
    }

    /// Opens `path` if it is a regular file: opening a FIFO would wait for a writer,
    /// and a device such as /dev/zero never ends.
    private static func openRegularFile(_ path: String) throws(WorkError) -> ReadableFile {
        do { return try ReadableFile(regularFile: path) } catch {
            // "read", not "open": the user asked to read the file.
            if let underlying = error.underlying { throw WorkError(errno: underlying, operation: "read", path: path) }
            throw WorkError(error)
        }
    }

    static func hash(_ path: String, buffer: UnsafeMutableRawBufferPointer) throws(WorkError) -> BatchValue {
        var hasher = SHA256()
        let bytes = try stream(path, buffer: buffer) { hasher.update(bufferPointer: $0) }
        let digest = hasher.finalize()
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in digest {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0F)])
        }
        return .digest(String(decoding: text, as: UTF8.self), bytes: bytes)
    }

    /// GNU `wc`'s byte classes in the C locale, as bits: 1 for printable ASCII (starts
    /// or continues a word), 2 for whitespace (space, \t, \n, \v, \f, \r: ends a
    /// word), 4 for the newline. Every other byte (controls, bytes of UTF-8 sequences)
    /// is 0: it neither starts nor ends a word.
    private static let byteClass: [UInt8] = (0..<256).map { byte in
        if byte == 10 { return 2 | 4 }
        if [9, 11, 12, 13, 32].contains(byte) { return 2 }
        return (33...126).contains(byte) ? 1 : 0
    }

    static func count(_ path: String, buffer: UnsafeMutableRawBufferPointer) throws(WorkError) -> BatchValue {
        var lines: Int64 = 0
        var words: Int64 = 0
        var inWord: UInt = 0
        let bytes = try byteClass.withUnsafeBufferPointer { classes throws(WorkError) in
            try stream(path, buffer: buffer) { chunk in
                // Branch-free: the class bits drive the counters and the word state.
                var localLines: UInt = 0
                var localWords: UInt = 0
                var word = inWord
                for byte in chunk {
                    let bits = UInt(classes[Int(byte)])
                    let starts = bits & 1
                    localWords &+= starts & (word ^ 1)
                    word = starts | (word & (((bits >> 1) & 1) ^ 1))
                    localLines &+= bits >> 2
                }
                inWord = word
                lines += Int64(localLines)
                words += Int64(localWords)
            }
        }
        return .counts(lines: lines, words: words, bytes: bytes)
    }

    /// Records how many lines matched.
    private final class CountingSink: Sink {
        var finish = SinkFinish(bytesSearched: 0, binaryOffset: nil, matchedLines: 0, elapsedNanoseconds: 0)
        func matched(_ match: SinkMatch) -> Bool { true }
        func finish(_ finish: SinkFinish) { self.finish = finish }
    }

    static func search(_ path: String, matcher: any Matcher, scratch: BatchScratch, worker: Int) throws(WorkError) -> BatchValue {
        let searcher = scratch.searcher(worker) { Searcher(matcher: matcher) }
        let file = try openRegularFile(path)
        let sink = CountingSink()
        do { try searcher.search(file: file, sink: sink) } catch {
            if let underlying = error.underlying { throw WorkError(errno: underlying, operation: "search", path: path) }
            throw WorkError(.io, error.message, path: error.path ?? path)
        }
        // A line the regex engines could not decide, or an over-long line a match may
        // have been missed in, makes the count uncertain: an error for this file rather
        // than a number that may be wrong. (A line reported cut is still counted right.)
        if let uncertain = sink.finish.problems.first(where: { $0.code != .longLineCut }) {
            throw WorkError(.taskFailed, uncertain.message, path: path)
        }
        return .matches(lines: sink.finish.matchedLines, bytes: sink.finish.bytesSearched)
    }
}
