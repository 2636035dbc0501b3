/// Files streamed in chunks and in lines, read ahead on a dedicated thread in bounded
/// memory (what `FileService.chunks(of:size:)` and `lines(of:maxLineLength:)` return).

/// A piece of a file, as `FileService.chunks(of:size:)` delivers it.
public struct FileChunk: Sendable, Hashable {
    /// The offset in the file of the first byte.
    public var offset: Int64
    /// The bytes: `size` of them, fewer only for the file's last chunk.
    public var bytes: [UInt8]
}

/// One line of a file, as `FileService.lines(of:maxLineLength:)` delivers it.
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

/// The chunks of a file; see `FileService.chunks(of:size:)`.
public struct FileChunks: AsyncSequence, Sendable {
    public typealias Element = FileChunk
    public typealias Failure = any Error

    let path: String
    let size: Int

    /// The chunks of the regular file at `path` (already resolved and checked), `size`
    /// bytes each.
    package init(path: String, size: Int) {
        self.path = path
        self.size = size
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(reader: ChunkReader(path: path, size: size))
    }

    /// Delivers the chunks in order.
    public struct Iterator: AsyncIteratorProtocol {
        let reader: ChunkReader

        /// The next chunk, or `nil` at the end of the file (or when the task is cancelled).
        ///
        /// - Throws: ``CoreError`` when the file cannot be opened or read.
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
        try FileReader.readFully(file, at: offset, count: size)
    }
}

/// The lines of a file; see `FileService.lines(of:maxLineLength:)`.
public struct FileLines: AsyncSequence, Sendable {
    public typealias Element = FileLine
    public typealias Failure = any Error

    let chunks: FileChunks
    let maxLineLength: Int

    /// The lines of `chunks`, in pieces of at most `maxLineLength` bytes.
    package init(chunks: FileChunks, maxLineLength: Int) {
        self.chunks = chunks
        self.maxLineLength = maxLineLength
    }

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
        /// - Throws: ``CoreError`` when the file cannot be read.
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
