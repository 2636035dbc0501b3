import AIFSCache
public import AIFSCore

/// Which part of a file ``AIFS/FileService/readFile(path:range:maxBytes:)`` returns.
public enum ReadRange: Sendable, Hashable {
    /// The whole file (up to the byte limit).
    case whole
    /// The first `lines` lines.
    case head(lines: Int)
    /// The last `lines` lines, read from the end of the file: a huge log costs only
    /// the bytes of its last lines.
    case tail(lines: Int)
    /// Lines `start` through `end`, 1-based and inclusive; `end == nil` means to the
    /// end of the file.
    case lines(start: Int, end: Int?)
    /// `length` bytes (`nil`: up to the byte limit) from byte `offset`. The only range
    /// that reads binary files.
    case bytes(offset: Int64, length: Int?)
}

/// What ``AIFS/FileService/readFile(path:range:maxBytes:)`` read.
public struct FileContent: Sendable, Hashable {
    /// The canonical path of the file.
    public var path: String
    /// The bytes read. For the line ranges they are whole lines (each with its
    /// terminator, except perhaps the file's last line).
    public var bytes: [UInt8]
    /// The size of the file when it was opened.
    public var fileSize: Int64
    /// The offset in the file of the first byte of ``bytes``.
    public var byteOffset: Int64
    /// The number of the first line in ``bytes`` (1-based), when known: always for
    /// `whole`, `head` and `lines`; for `tail` only when the read reached the start
    /// of the file.
    public var firstLine: Int?
    /// The number of lines in ``bytes`` (a last line without a terminator counts).
    public var lineCount: Int
    /// Whether the limit cut the range short: more of what was asked for exists.
    public var truncated: Bool
    /// Whether the file looks binary (a NUL byte in its first 8 KiB). Only byte ranges
    /// of binary files are returned.
    public var isBinary: Bool
    /// The encoding the file's first 8 KiB suggest.
    public var encoding: TextEncoding

    /// The number of the last line in ``bytes``, when ``firstLine`` is known.
    public var lastLine: Int? {
        guard let firstLine, lineCount > 0 else { return nil }
        return firstLine + lineCount - 1
    }
}

/// What a file's first bytes say about its encoding.
public enum TextEncoding: String, Sendable, Hashable {
    /// Only bytes below 0x80 (also valid UTF-8).
    case ascii
    /// Valid UTF-8 with characters beyond ASCII.
    case utf8 = "utf-8"
    /// UTF-8 that starts with a byte-order mark (EF BB BF).
    case utf8WithByteOrderMark = "utf-8 with BOM"
    /// UTF-16, little-endian, by its byte-order mark (FF FE); binary to a byte reader.
    case utf16LittleEndian = "utf-16le"
    /// UTF-16, big-endian, by its byte-order mark (FE FF); binary to a byte reader.
    case utf16BigEndian = "utf-16be"
    /// Text that is not valid UTF-8: a legacy 8-bit encoding such as Latin-1, shown with
    /// U+FFFD where bytes are not UTF-8.
    case other8Bit = "8-bit, not UTF-8"
    /// A NUL byte and no UTF-16 byte-order mark: not text.
    case binary

    /// Classifies the first bytes of a file (the 8 KiB probe). A character cut by the
    /// end of the probe does not count against UTF-8.
    static func detect(_ probe: ArraySlice<UInt8>) -> TextEncoding {
        if probe.starts(with: [0xFF, 0xFE]) { return .utf16LittleEndian }
        if probe.starts(with: [0xFE, 0xFF]) { return .utf16BigEndian }
        let hasZero = probe.withUnsafeBufferPointer { buffer in
            ByteScan.firstIndex(of: 0, in: buffer, range: 0..<buffer.count) != nil
        }
        if hasZero { return .binary }
        if isASCII(probe) { return .ascii }
        var bytes = probe
        // Drop a partial character at the end: the probe may cut one in two.
        var back = bytes.endIndex
        while back > bytes.startIndex, bytes[back - 1] & 0xC0 == 0x80, bytes.endIndex - back < 3 { back -= 1 }
        if back > bytes.startIndex, bytes[back - 1] >= 0xC0 { bytes = bytes[..<(back - 1)] }
        guard String(validating: bytes, as: UTF8.self) != nil else { return .other8Bit }
        return probe.starts(with: [0xEF, 0xBB, 0xBF]) ? .utf8WithByteOrderMark : .utf8
    }

    /// Whether every byte is below 0x80, eight bytes at a time.
    static func isASCII(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBytes { raw in
            var index = 0
            var high: UInt64 = 0
            while index + 8 <= raw.count {
                high |= raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                index += 8
            }
            while index < raw.count {
                high |= UInt64(raw[index])
                index += 1
            }
            return high & 0x8080_8080_8080_8080 == 0
        }
    }
}

extension ReadRange {
    /// Whether this is a byte range (`.bytes`), which reads binary files too.
    public var isByteRange: Bool {
        if case .bytes = self { return true }
        return false
    }
}

extension FileService {
    /// The default bound on the bytes one read returns: 256 KiB, about 64 thousand
    /// tokens, a large but not context-filling answer for an agent.
    public static let defaultReadLimit = 256 * 1024

    /// How much of the file's start is checked for a NUL byte, as ripgrep and git do.
    static let binaryProbeSize = 8 * 1024

    /// Reads a file, or part of it, streaming through a fixed buffer.
    ///
    /// Line ranges stop at `maxBytes` on a line boundary (a single longer line is cut at a
    /// UTF-8 character boundary) and say ``FileContent/truncated``. `tail` reads
    /// backwards from the end with positional reads, so its cost is the size of the
    /// lines returned, not of the file.
    ///
    /// ## Binary files
    /// A file with a NUL byte in its first 8 KiB is binary. Asking for its text (any range
    /// but ``ReadRange/bytes(offset:length:)``) throws `.invalidArgument` with a message
    /// that says so and suggests a byte range, so an agent never gets a screenful of
    /// mojibake.
    ///
    /// - Parameters:
    ///   - path: The file; with roots, resolved inside them.
    ///   - range: Which part.
    ///   - maxBytes: The most bytes returned (at least 1).
    /// - Throws: ``CoreError``: `.outsideRoots`, `.notFound`, `.isADirectory`,
    ///   `.permissionDenied`, `.invalidArgument` for a binary file read as text or a
    ///   range that makes no sense (line 0, a negative count or offset).
    ///
    /// ## Threading
    /// Blocks the calling thread on file I/O: call it from a thread that may block.
    public func readFile(
        path: String, range: ReadRange = .whole, maxBytes: Int = FileService.defaultReadLimit
    ) throws(CoreError) -> FileContent {
        let resolved = try resolve(path)
        try Self.validate(range, path: path)
        let limit = max(1, maxBytes)
        // A FIFO or device would block the open or never end: refuse anything but a
        // regular file before opening it.
        let identity = try FileIdentity(path: resolved)
        if identity.kind == .directory {
            throw CoreError(
                .isADirectory,
                "cannot read '\(path)': it is a directory; list it with list_directory or directory_tree, or pass a file",
                path: path)
        }
        guard identity.kind == .regular else {
            throw CoreError(.invalidArgument, "cannot read '\(path)': it is not a regular file (a FIFO, socket or device)", path: path)
        }
        if let contentCache {
            // Small files come from (or go into) the cache, validated by this stat;
            // larger ones are streamed below.
            let key = roots == nil ? Self.cacheKey(for: resolved) : resolved
            if let key, let cached = try contentCache.contents(ofFileAt: key, identity: identity) {
                if range == .whole, cached.bytes.count <= limit {
                    return try Self.whole(cached.bytes, path: path, resolved: resolved)
                }
                let source = MemorySource(bytes: cached.bytes)
                return try Self.read(
                    source, size: cached.identity.size, path: path, resolved: resolved, range: range, limit: limit)
            }
        }
        let file = try ReadableFile(path: resolved)
        let size = try file.identity().size
        return try Self.read(file, size: size, path: path, resolved: resolved, range: range, limit: limit)
    }

    /// The cache key of a path used as given (a service without roots): the path made
    /// absolute, without resolving links. Another spelling of the same file gets an
    /// entry of its own; no spelling can get stale contents, since every hit is checked
    /// against the identity of the file the path leads to now.
    private static func cacheKey(for path: String) -> String? {
        try? Roots.absolutePath(path)
    }

    /// A whole file held in memory, within the limit: the same answer the streaming
    /// path gives, without copying the bytes.
    private static func whole(_ bytes: [UInt8], path: String, resolved: String) throws(CoreError) -> FileContent {
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

    private static func binaryFile(_ path: String, size: Int64, zeroAt offset: Int) -> CoreError {
        CoreError(
            .invalidArgument,
            "'\(path)' is a binary file (\(size) bytes, a NUL byte at offset \(offset)); "
                + "ask for a byte range instead (read_file's byteOffset and byteLength give base64, `aifs read --bytes A:B` the raw bytes)",
            path: path)
    }

    /// Reads `range` of a regular file of `size` bytes from `source`.
    private static func read<Source: PositionalSource & ~Copyable>(
        _ file: borrowing Source, size: Int64, path: String, resolved: String, range: ReadRange, limit: Int
    ) throws(CoreError) -> FileContent {
        let probe = try Self.readFully(file, at: 0, count: Int(min(size, Int64(Self.binaryProbeSize))))
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
            content.bytes = try Self.readFully(file, at: offset, count: count)
            let available = max(0, size - offset)
            let wanted = length.map { min(Int64($0), available) } ?? available
            content.truncated = Int64(content.bytes.count) < wanted
            content.lineCount = Self.countLines(content.bytes[...])
        }
        return content
    }

    private static func validate(_ range: ReadRange, path: String) throws(CoreError) {
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
    static let streamBufferSize = 64 * 1024

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

    /// Reads `count` bytes at `offset`, fewer only at the end of the file.
    static func readFully<Source: PositionalSource & ~Copyable>(_ file: borrowing Source, at offset: Int64, count: Int) throws(CoreError) -> [UInt8] {
        guard count > 0 else { return [] }
        var failure: CoreError?
        // Uninitialised: the reads fill what is kept, and a 4 MiB zero-fill per read is
        // time a large read does not need to spend.
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, filled in
            filled = 0
            while filled < count {
                do throws(CoreError) {
                    let got = try file.read(
                        into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[filled...]),
                        atOffset: offset + Int64(filled))
                    if got == 0 { break }
                    filled += got
                } catch {
                    failure = error
                    break
                }
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Reads into `bytes[start...]` at `offset` (`withUnsafeMutableBytes` only rethrows
    /// untyped errors, so the typed error travels in a `Result`).
    private static func positionalRead<Source: PositionalSource & ~Copyable>(
        _ file: borrowing Source, into bytes: inout [UInt8], from start: Int, atOffset offset: Int64
    ) throws(CoreError) -> Int {
        let result = bytes.withUnsafeMutableBytes { raw in
            Result { () throws(CoreError) -> Int in
                try file.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[start...]), atOffset: offset)
            }
        }
        return try result.get()
    }

    /// Cuts bytes cut short by a limit back to the end of their last whole line, or,
    /// with no line end in them, to a UTF-8 character boundary.
    static func trimmedToLine(_ bytes: [UInt8]) -> [UInt8] {
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
    static func countLines(_ bytes: ArraySlice<UInt8>) -> Int {
        var count = bytes.withUnsafeBufferPointer { buffer in
            ByteScan.count(of: UInt8(ascii: "\n"), in: buffer, range: 0..<buffer.count)
        }
        if let last = bytes.last, last != UInt8(ascii: "\n") { count += 1 }
        return count
    }
}

/// Where ``FileService/readFile(path:range:maxBytes:)`` reads bytes from: the file
/// itself, or its cached contents. One implementation of every range serves both.
protocol PositionalSource: ~Copyable {
    /// Reads into `buffer` from byte `offset`; fewer bytes only at the end, 0 past it.
    func read(into buffer: UnsafeMutableRawBufferPointer, atOffset offset: Int64) throws(CoreError) -> Int
}

extension ReadableFile: PositionalSource {}

/// A file's contents in memory, read like the file.
struct MemorySource: PositionalSource {
    let bytes: [UInt8]

    func read(into buffer: UnsafeMutableRawBufferPointer, atOffset offset: Int64) throws(CoreError) -> Int {
        guard offset < Int64(bytes.count), buffer.count > 0 else { return 0 }
        let start = Int(offset)
        let count = min(buffer.count, bytes.count - start)
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + start, byteCount: count)
        }
        return count
    }
}
