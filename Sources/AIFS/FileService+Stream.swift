public import AIFSCore

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
