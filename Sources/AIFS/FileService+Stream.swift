public import AIFSCore

/// A piece of a file, as ``FileService/chunks(of:size:)`` delivers it.
public struct FileChunk: Sendable, Hashable {
    /// The offset in the file of the first byte.
    public var offset: Int64
    /// The bytes: `size` of them, fewer only for the file's last chunk.
    public var bytes: [UInt8]
}

/// One line of a file, as ``FileService/lines(of:maxLineLength:)`` delivers it.
public struct FileLine: Sendable, Hashable {
    /// The line's number, from 1.
    public var number: Int
    /// The offset in the file of the line's (or this piece's) first byte.
    public var offset: Int64
    /// The line without its terminator (`\n`, or `\r\n`).
    public var bytes: ArraySlice<UInt8>
    /// `false` for a piece of a line longer than the maximum line length: the rest of
    /// the line follows, with the same ``number``.
    public var isComplete: Bool

    /// The line as text; bytes that are not UTF-8 become U+FFFD.
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

extension FileService {
    /// The default size of a chunk: 1 MiB.
    public static let defaultChunkSize = 1 << 20

    /// Streams a file in chunks of `size` bytes, read ahead on a dedicated thread.
    ///
    /// At most three chunks exist at once (one being read, one waiting, one with the
    /// consumer), whatever the size of the file: a 10 GB file streams in the memory of a
    /// 1 KB one. Ending the iteration, or cancelling its task, stops the reading and
    /// closes the file.
    ///
    /// ```swift
    /// var total = 0
    /// for try await chunk in try service.chunks(of: "big.log") { total += chunk.bytes.count }
    /// ```
    ///
    /// - Parameters:
    ///   - path: A regular file; with roots, resolved inside them.
    ///   - size: The chunk size in bytes (at least 1).
    /// - Throws: ``CoreError`` at once for a path outside the roots, a missing file, a
    ///   directory or a special file, or a size below 1; read errors are thrown by the
    ///   iteration.
    public func chunks(of path: String, size: Int = FileService.defaultChunkSize) throws(CoreError) -> FileChunks {
        guard size >= 1 else {
            throw CoreError(.invalidArgument, "cannot read '\(path)' in chunks of \(size) bytes; pass a size of 1 or more", path: path)
        }
        return FileChunks(path: try streamablePath(path), size: size)
    }

    /// Streams a file line by line, with line numbers and byte offsets.
    ///
    /// Reads through ``chunks(of:size:)``, so memory stays bounded by a few chunks plus
    /// the longest line kept whole; a line longer than `maxLineLength` comes in pieces
    /// (see ``FileLine/isComplete``). A last line without a terminator is a line.
    ///
    /// ```swift
    /// for try await line in try service.lines(of: "server.log") where line.text.contains("ERROR") {
    ///     print(line.number, line.text)
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - path: A regular file; with roots, resolved inside them.
    ///   - maxLineLength: The longest piece of a line delivered at once (at least 1).
    /// - Throws: As ``chunks(of:size:)``.
    public func lines(of path: String, maxLineLength: Int = FileService.defaultChunkSize) throws(CoreError) -> FileLines {
        guard maxLineLength >= 1 else {
            throw CoreError(
                .invalidArgument, "cannot read '\(path)' with lines of at most \(maxLineLength) bytes; pass 1 or more",
                path: path)
        }
        return FileLines(chunks: FileChunks(path: try streamablePath(path), size: FileService.defaultChunkSize), maxLineLength: maxLineLength)
    }

    /// The resolved path of a regular file, or the error that says why it is not one.
    private func streamablePath(_ path: String) throws(CoreError) -> String {
        let resolved = try resolve(path)
        let kind = try FileIdentity(path: resolved).kind
        if kind == .directory {
            throw CoreError(.isADirectory, "cannot read '\(path)': it is a directory; pass a file", path: path)
        }
        guard kind == .regular else {
            throw CoreError(.invalidArgument, "cannot read '\(path)': it is not a regular file (a FIFO, socket or device)", path: path)
        }
        return resolved
    }
}

/// The chunks of a file; see ``FileService/chunks(of:size:)``.
public struct FileChunks: AsyncSequence, Sendable {
    public typealias Element = FileChunk
    public typealias Failure = any Error

    let path: String
    let size: Int

    public func makeAsyncIterator() -> Iterator {
        Iterator(reader: ChunkReader(path: path, size: size))
    }

    /// Delivers the chunks in order.
    public struct Iterator: AsyncIteratorProtocol {
        let reader: ChunkReader

        /// The next chunk, or `nil` at the end of the file (or when the task is cancelled).
        ///
        /// - Throws: ``AIFSCore/CoreError`` when the file cannot be opened or read.
        public mutating func next() async throws -> FileChunk? {
            try await reader.channel.next()
        }
    }
}

/// Reads a file ahead of its consumer on a dedicated thread, one chunk at a time.
///
/// Its `deinit` (the iterator dropped) cancels the channel, which ends the thread.
final class ChunkReader: Sendable {
    let channel = BoundedChannel<FileChunk>(capacity: 1)

    init(path: String, size: Int) {
        let channel = self.channel
        // Not `start`: run on the caller's thread, the reader would block on the full
        // channel before its consumer exists.
        let started = DedicatedThreads.tryStart(name: "aifs-chunks") {
            do {
                let file = try ReadableFile(path: path)
                var offset: Int64 = 0
                while !channel.isCancelled {
                    let bytes = try ChunkReader.read(file, size: size, at: offset)
                    if bytes.isEmpty { break }
                    guard channel.send(FileChunk(offset: offset, bytes: bytes)) else { return }
                    offset += Int64(bytes.count)
                }
                channel.finish()
            } catch {
                channel.finish(throwing: error)
            }
        }
        if !started {
            channel.finish(throwing: CoreError(
                .io, "cannot read '\(path)': no thread could be started for the reader (the process's thread limit?)",
                path: path))
        }
    }

    deinit {
        channel.cancel()
    }

    /// Up to `size` bytes at `offset`: fewer only at the end of the file.
    private static func read(_ file: borrowing ReadableFile, size: Int, at offset: Int64) throws(CoreError) -> [UInt8] {
        try FileService.readFully(file, at: offset, count: size)
    }
}

/// The lines of a file; see ``FileService/lines(of:maxLineLength:)``.
public struct FileLines: AsyncSequence, Sendable {
    public typealias Element = FileLine
    public typealias Failure = any Error

    let chunks: FileChunks
    let maxLineLength: Int

    public func makeAsyncIterator() -> Iterator {
        Iterator(chunks: chunks.makeAsyncIterator(), maxLineLength: maxLineLength)
    }

    /// Splits the chunks into lines; a line inside one chunk shares its storage.
    public struct Iterator: AsyncIteratorProtocol {
        var chunks: FileChunks.Iterator
        let maxLineLength: Int
        var chunk: [UInt8] = []
        var chunkOffset: Int64 = 0
        var position = 0
        /// The start of a line that runs past the end of a chunk.
        var carry: [UInt8] = []
        var carryOffset: Int64 = 0
        var number = 1
        var finished = false

        init(chunks: FileChunks.Iterator, maxLineLength: Int) {
            self.chunks = chunks
            self.maxLineLength = maxLineLength
        }

        /// The next line (or piece of a long line), or `nil` at the end of the file.
        ///
        /// - Throws: ``AIFSCore/CoreError`` when the file cannot be read.
        public mutating func next() async throws -> FileLine? {
            while !finished {
                if position < chunk.count {
                    let newline = chunk.withUnsafeBufferPointer { buffer in
                        ByteScan.firstIndex(of: UInt8(ascii: "\n"), in: buffer, range: position..<buffer.count)
                    }
                    let end = newline ?? chunk.count
                    if carry.isEmpty, newline != nil, end - position <= maxLineLength {
                        let line = makeLine(chunk[position..<end], offset: chunkOffset + Int64(position), isComplete: true)
                        position = end + 1
                        return line
                    }
                    if carry.isEmpty { carryOffset = chunkOffset + Int64(position) }
                    let take = Swift.min(maxLineLength - carry.count, end - position)
                    carry.append(contentsOf: chunk[position..<(position + take)])
                    position += take
                    if newline != nil, position == end {
                        position = end + 1
                        return takeCarry(isComplete: true)
                    }
                    if carry.count >= maxLineLength {
                        return takeCarry(isComplete: false)
                    }
                    continue
                }
                guard let next = try await chunks.next() else {
                    finished = true
                    break
                }
                chunk = next.bytes
                chunkOffset = next.offset
                position = 0
            }
            // The file's last line, without a terminator.
            return carry.isEmpty ? nil : takeCarry(isComplete: true)
        }

        private mutating func takeCarry(isComplete: Bool) -> FileLine {
            let bytes = carry
            carry = []
            let line = makeLine(bytes[...], offset: carryOffset, isComplete: isComplete)
            carryOffset += Int64(bytes.count)
            return line
        }

        private mutating func makeLine(_ bytes: ArraySlice<UInt8>, offset: Int64, isComplete: Bool) -> FileLine {
            var bytes = bytes
            if isComplete, bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            let line = FileLine(number: number, offset: offset, bytes: bytes, isComplete: isComplete)
            if isComplete { number += 1 }
            return line
        }
    }
}
