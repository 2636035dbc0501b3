import AIFSCache
public import AIFSCore

extension FileService {
    /// The default bound on the bytes one read returns: 256 KiB, about 64 thousand
    /// tokens, a large but not context-filling answer for an agent.
    public static let defaultReadLimit = 256 * 1024

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
        try FileReader.validate(range, path: path)
        let limit = max(1, maxBytes)
        // A FIFO or device would block the open or never end: refuse anything but a
        // regular file before opening it.
        let identity = try FileIdentity(path: resolved)
        if identity.kind == .directory {
            throw CoreError(
                .isADirectory,
                "cannot read '\(path)': it is a directory; \(ErrorHint.listDirectory.advice)",
                path: path, hint: .listDirectory)
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
                    return try FileReader.whole(cached.bytes, path: path, resolved: resolved)
                }
                let source = MemorySource(bytes: cached.bytes)
                return try FileReader.read(
                    source, size: cached.identity.size, path: path, resolved: resolved, range: range, limit: limit)
            }
        }
        let file = try ReadableFile(path: resolved)
        let size = try file.identity().size
        return try FileReader.read(file, size: size, path: path, resolved: resolved, range: range, limit: limit)
    }

    /// The cache key of a path used as given (a service without roots): the path made
    /// absolute, without resolving links. Another spelling of the same file gets an
    /// entry of its own; no spelling can get stale contents, since every hit is checked
    /// against the identity of the file the path leads to now.
    private static func cacheKey(for path: String) -> String? {
        try? Roots.absolutePath(path)
    }
}
