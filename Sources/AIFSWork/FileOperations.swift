@_spi(Syscalls) import AIFSCore

/// Directory creation and moves of files or directories: the `create_directory` and
/// `move_file` tools' building blocks.
///
/// ## Threading
/// Every method blocks; call it from a dedicated thread.
public enum FileOperations {
    /// Makes `path` and its missing parents; a directory that exists is fine.
    ///
    /// - Returns: Whether anything was made.
    /// - Throws: ``WorkError``: `.notADirectory` (the path or a parent is something
    ///   else), `.permissionDenied`, `.io`.
    @discardableResult
    public static func createDirectory(_ path: String, shownAs shown: String? = nil) throws(WorkError) -> Bool {
        if let existing = try? FileSystemCalls.status(path, followSymlinks: true) {
            guard existing.kind == .directory else {
                throw WorkError(.notADirectory, "cannot create the directory '\(shown ?? path)': it exists and is \(existing.kind.phrase)", path: shown ?? path)
            }
            return false
        }
        let made = try AtomicFile.makeParents(of: path + "/.")
        return !made.isEmpty
    }

    /// Moves a file, link or directory to `destination`, which must not exist; its
    /// missing parents are made. Across file systems only regular files move (copied,
    /// then the source removed).
    ///
    /// - Throws: ``WorkError``: `.notFound`, `.alreadyExists`, `.permissionDenied`…
    public static func move(_ source: String, to destination: String, shownAs shown: (String, String)? = nil) throws(WorkError) {
        guard (try? FileSystemCalls.status(source, followSymlinks: false)) != nil else {
            let name = shown?.0 ?? source
            throw WorkError(.notFound, "cannot move '\(name)': it does not exist; check the path", path: name)
        }
        try AtomicFile.makeParents(of: destination)
        try FileMover.move(source, to: destination, overwrite: false)
    }
}
