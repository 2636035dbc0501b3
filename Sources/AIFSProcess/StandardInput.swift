public import AIFSCore
/// The process's standard input, read with blocking `read(2)` calls.
///
/// For a server that waits for its client's next message on a thread of its own: a
/// blocking read wakes the moment data arrives, where polling a non-blocking descriptor
/// costs a sleep per empty poll.
///
/// ## Threading
/// Call ``read(into:)`` from one dedicated thread (it blocks until data or end of file),
/// never from Swift's cooperative pool.
public enum StandardInput {
    /// Whether standard input is a file, a pipe or a socket, which ripgrep searches
    /// when it is given no path; a terminal or `/dev/null` is not (ripgrep's
    /// `is_readable_stdin`).
    public static var isReadable: Bool { ProcessCalls.isReadableStream(fd: 0) }

    /// Reads the next bytes into `buffer`, blocking until some arrive.
    ///
    /// - Returns: The number of bytes read; 0 means end of file (the writer closed it).
    /// - Throws: ``CoreError`` when the read fails.
    public static func read(into buffer: UnsafeMutableRawBufferPointer) throws(CoreError) -> Int {
        guard buffer.count > 0 else { return 0 }
        do {
            return try ProcessCalls.read(fd: 0, into: buffer)
        } catch {
            throw CoreError(errno: error, operation: "read from", path: "standard input")
        }
    }
}
