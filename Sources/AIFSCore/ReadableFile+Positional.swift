extension ReadableFile {
    /// Reads bytes at `offset` into `buffer` without moving the position that
    /// ``read(into:)`` uses; fewer bytes than asked (0 at or past the end) may come back.
    ///
    /// This is how the end of a huge file is read without reading its start (the last
    /// lines of a log, a byte range).
    ///
    /// - Parameters:
    ///   - buffer: Where the bytes go; its count is how many to read at most.
    ///   - offset: The offset in the file of the first byte to read.
    /// - Returns: The number of bytes read; 0 means `offset` is at or past the end.
    /// - Throws: ``CoreError``; `.invalidArgument` for a negative offset.
    ///
    /// The corresponding C function is `pread`.
    public func read(into buffer: UnsafeMutableRawBufferPointer, atOffset offset: Int64) throws(CoreError) -> Int {
        guard buffer.count > 0 else { return 0 }
        guard offset >= 0 else {
            throw CoreError(.invalidArgument, "cannot read '\(path)' at offset \(offset): offsets start at 0", path: path)
        }
        do {
            return try Syscall.read(fd: fd, into: buffer, atOffset: offset)
        } catch {
            throw CoreError(errno: error, operation: "read", path: path)
        }
    }
}
