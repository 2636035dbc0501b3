public import AIFSCore

extension FileService {
    /// How many lines the file has (a last line without a terminator counts), counted
    /// in fixed buffers.
    ///
    /// Blocks: call from a thread that may block.
    ///
    /// - Throws: ``AIFSCore/CoreError``: `.outsideRoots`, `.notFound`, `.isADirectory`…
    public func lineCount(of path: String) throws(CoreError) -> Int {
        let resolved = try resolve(path)
        return try FileReader.lineCount(ofFileAt: resolved)
    }
}
