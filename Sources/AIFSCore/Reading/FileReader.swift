/// The reading engine below the `FileService` facade: every range of a regular file
/// (whole, head, tail, line ranges, byte ranges), streamed through a fixed buffer from
/// the file itself or from its cached contents, with the binary-file rule and the
/// byte limit applied the same way for both.
///
/// ## Threading
/// Blocks the calling thread on file I/O.
package enum FileReader {
    /// How much of the file's start is checked for a NUL byte, as ripgrep and git do.
    package static let binaryProbeSize = 8 * 1024

    /// A whole file held in memory, within the limit: the same answer the streaming
    /// path gives, without copying the bytes.
    package static func whole(_ bytes: [UInt8], path: String, resolved: String) throws(CoreError) -> FileContent {
        let zeroAt = bytes.withUnsafeBufferPointer { buffer in
            ByteScan.firstIndex(of: 0, in: buffer, range: 0..<min(buffer.count, binaryProbeSize))
        }
        if let zero = zeroAt {
            throw binaryFile(path, size: Int64(bytes.count), zeroAt: zero)
        }
        return FileContent(
            path: resolved, bytes: bytes, fileSize: Int64(bytes.count), byteOffset: 0, firstLine: 1,
            lineCount: countLines(bytes[...]), truncated: false, isBinary: false,
            encoding: TextEncoding.detect(bytes.prefix(binaryProbeSize)))
    }

    static func binaryFile(_ path: String, size: Int64, zeroAt offset: Int) -> CoreError {
        CoreError(
            .invalidArgument,
            "'\(path)' is a binary file (\(size) bytes, a NUL byte at offset \(offset)); "
                + ErrorHint.readByteRange.advice,
            path: path, hint: .readByteRange)
    }

    /// Reads `range` of a regular file of `size` bytes from `source`.
    package static func read<Source: PositionalSource & ~Copyable>(
        _ file: borrowing Source, size: Int64, path: String, resolved: String, range: ReadRange, limit: Int
    ) throws(CoreError) -> FileContent {
        let probe = try readFully(file, at: 0, count: Int(min(size, Int64(Self.binaryProbeSize))))
        let isBinary = probe.contains(0)
        var content = FileContent(
            path: resolved, bytes: [], fileSize: size, byteOffset: 0, firstLine: 1, lineCount: 0,
            truncated: false, isBinary: isBinary, encoding: TextEncoding.detect(probe[...]))
        if isBinary, !range.isByteRange {
            throw binaryFile(path, size: size, zeroAt: probe.firstIndex(of: 0) ?? 0)
        }
        switch range {
        case .whole:
            try Self.readLines(file, from: 1, through: nil, limit: limit, into: &content)
        case .head(let lines):
            try Self.readLines(file, from: 1, through: lines, limit: limit, into: &content)
        case .lines(let start, let end):
            try Self.readLines(file, from: start, through: end, limit: limit, into: &content)
        case .tail(let lines):
            try Self.readTail(file, lines: lines, size: size, limit: limit, into: &content)
        case .bytes(let offset, let length):
            let count = min(length ?? limit, limit)
            content.firstLine = nil
            content.byteOffset = offset
            content.bytes = try readFully(file, at: offset, count: count)
            let available = max(0, size - offset)
            let wanted = length.map { min(Int64($0), available) } ?? available
            content.truncated = Int64(content.bytes.count) < wanted
            content.lineCount = Self.countLines(content.bytes[...])
        }
        return content
    }

    /// Refuses a range that makes no sense (line 0, a negative count or offset).
    package static func validate(_ range: ReadRange, path: String) throws(CoreError) {
        func refuse(_ why: String) -> CoreError {
            CoreError(.invalidArgument, "cannot read '\(path)': \(why)", path: path)
        }
        switch range {
        case .whole: break
        case .head(let lines), .tail(let lines):
            guard lines >= 0 else { throw refuse("the number of lines must be 0 or more, not \(lines)") }
        case .lines(let start, let end):
            guard start >= 1 else { throw refuse("lines are numbered from 1; lineStart \(start) is not a line") }
            if let end, end < start {
                throw refuse("lineEnd \(end) comes before lineStart \(start); pass lineEnd >= lineStart")
            }
        case .bytes(let offset, let length):
            guard offset >= 0 else { throw refuse("byteOffset must be 0 or more, not \(offset)") }
            if let length, length < 0 { throw refuse("byteLength must be 0 or more, not \(length)") }
        }
    }

    /// The size of the buffer line ranges stream through.
    package static let streamBufferSize = 64 * 1024

    /// Streams from the start, keeping lines `first...last` (whole lines) up to `limit`
    /// bytes.
    private static func readLines<Source: PositionalSource & ~Copyable>(
        _ file: borrowing Source, from first: Int, through last: Int?, limit: Int,
        into content: inout FileContent
    ) throws(CoreError) {
        content.firstLine = first
        if let last, last < first { return }
        var buffer = [UInt8](repeating: 0, count: streamBufferSize)
        var line = 1  // the number of the line the next byte belongs to
        var offset: Int64 = 0
        var kept: [UInt8] = []
        var started = first == 1
        if started { content.byteOffset = 0 }
        reading: while true {
            let count = try positionalRead(file, into: &buffer, from: 0, atOffset: offset)
            if count == 0 { break }
            var index = 0
            while index < count {
                if !started {
                    // Skip to the line `first`.
                    guard let newline = buffer[index..<count].firstIndex(of: UInt8(ascii: "\n")) else {
                        index = count
                        break
                    }
                    line += 1
                    index = newline + 1
                    if line == first {
                        started = true
                        content.byteOffset = offset + Int64(index)
                    }
                    continue
                }
                // Keep bytes up to the end of line `last`.
                var end = count
                var finished = false
                if let last {
                    var scan = index
                    while scan < count, let newline = buffer[scan..<count].firstIndex(of: UInt8(ascii: "\n")) {
                        if line == last {
                            end = newline + 1
                            finished = true
                            break
                        }
                        line += 1
                        scan = newline + 1
                    }
                }
                let room = limit - kept.count
                if end - index > room {
                    kept.append(contentsOf: buffer[index..<(index + room)])
                    content.truncated = true
                    break reading
                }
                kept.append(contentsOf: buffer[index..<end])
                index = end
                if finished { break reading }
            }
            offset += Int64(count)
        }
        if content.truncated {
            kept = trimmedToLine(kept)
        }
        content.bytes = kept
        content.lineCount = countLines(kept[...])
    }

    /// Reads backwards from the end in fixed chunks until `lines` lines are found.
    private static func readTail<Source: PositionalSource & ~Copyable>(
        _ file: borrowing Source, lines: Int, size: Int64, limit: Int,
        into content: inout FileContent
    ) throws(CoreError) {
        content.firstLine = nil
        content.byteOffset = size
        guard lines > 0, size > 0 else {
            if size == 0 { content.firstLine = 1 }
            return
        }
        var chunks: [[UInt8]] = []
        var position = size
        var newlines = 0
        var start: Int64 = 0  // the offset of the first byte of the tail
        var total = 0
        var found = false
        // A terminator at the very end closes the last line; it does not start another.
        var skipFinal = true
        var linesBefore: Int?
        search: while position > 0 {
            let chunkSize = Int(min(Int64(streamBufferSize), position))
            position -= Int64(chunkSize)
            let chunk = try readFully(file, at: position, count: chunkSize)
            var index = chunk.count
            while index > 0 {
                index -= 1
                guard chunk[index] == UInt8(ascii: "\n") else { continue }
                if skipFinal && position + Int64(index) == size - 1 {
                    continue
                }
                newlines += 1
                if newlines == lines {
                    if position == 0 {
                        // The chunk holds the file's start: the line number is known.
                        linesBefore = countLines(chunk[...index])
                    }
                    start = position + Int64(index) + 1
                    chunks.append(Array(chunk[(index + 1)...]))
                    total += chunk.count - index - 1
                    found = true
                    break search
                }
            }
            skipFinal = false
            chunks.append(chunk)
            total += chunk.count
            if total > limit + streamBufferSize { break }
        }
        if !found && position > 0 {
            // Stopped by the limit before finding the lines.
            start = position
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(total)
        for chunk in chunks.reversed() { bytes.append(contentsOf: chunk) }
        if bytes.count > limit {
            // Keep the last `limit` bytes, from the first whole line in them.
            let cut = bytes.count - limit
            var from = cut
            if let newline = bytes[cut...].firstIndex(of: UInt8(ascii: "\n")), newline + 1 < bytes.count {
                from = newline + 1
            } else {
                while from < bytes.count && bytes[from] & 0xC0 == 0x80 { from += 1 }
            }
            bytes.removeFirst(from)
            start += Int64(from)
            content.truncated = true
        }
        content.bytes = bytes
        content.byteOffset = start
        content.lineCount = countLines(bytes[...])
        if start == 0 {
            content.firstLine = 1
        } else if let linesBefore, !content.truncated {
            content.firstLine = linesBefore + 1
        }
    }

    /// Cuts bytes cut short by a limit back to the end of their last whole line, or,
    /// with no line end in them, to a UTF-8 character boundary.
    package static func trimmedToLine(_ bytes: [UInt8]) -> [UInt8] {
        if let newline = bytes.lastIndex(of: UInt8(ascii: "\n")) {
            return Array(bytes[...newline])
        }
        var end = bytes.count
        // Step back over a partial character: continuation bytes and their lead byte.
        var back = end
        while back > 0 && bytes[back - 1] & 0xC0 == 0x80 { back -= 1 }
        if back > 0 && bytes[back - 1] >= 0xC0 {
            let lead = bytes[back - 1]
            let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
            if end - (back - 1) < length { end = back - 1 }
        }
        return Array(bytes[..<end])
    }

    /// Lines in `bytes`: its terminators, plus one for a last line without one.
    package static func countLines(_ bytes: ArraySlice<UInt8>) -> Int {
        var count = bytes.withUnsafeBufferPointer { buffer in
            ByteScan.count(of: UInt8(ascii: "\n"), in: buffer, range: 0..<buffer.count)
        }
        if let last = bytes.last, last != UInt8(ascii: "\n") { count += 1 }
        return count
    }

    /// How many lines the file at `path` has (a last line without a terminator
    /// counts), counted in fixed buffers.
    package static func lineCount(ofFileAt path: String) throws(CoreError) -> Int {
        let file = try ReadableFile(path: path)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var lines = 0
        var last: UInt8?
        while true {
            let read: Result<Int, CoreError> = buffer.withUnsafeMutableBytes { bytes in
                Result { () throws(CoreError) -> Int in try file.read(into: bytes) }
            }
            let count = try read.get()
            if count == 0 { break }
            buffer.withUnsafeBufferPointer { bytes in
                lines += ByteScan.count(of: UInt8(ascii: "\n"), in: bytes, range: 0..<count)
            }
            last = buffer[count - 1]
        }
        if let last, last != UInt8(ascii: "\n") { lines += 1 }
        return lines
    }
}
