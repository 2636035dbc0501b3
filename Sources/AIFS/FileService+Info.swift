public import AIFSCore

/// What ``AIFS/FileService/fileInfo(path:)`` found.
public struct FileInfo: Sendable, Hashable {
    /// The canonical path (every symbolic link resolved).
    public var path: String
    /// The identity of the file the path leads to (a link's target).
    public var identity: FileIdentity
    /// Whether the path as given names a symbolic link (inside the roots, or it would
    /// have been refused).
    public var isSymlink: Bool
}

extension FileService {
    /// The path resolved inside the roots (or as given, without roots).
    ///
    /// - Throws: ``CoreError`` as ``AIFSCore/Roots/resolve(_:)``.
    public func resolve(_ path: String) throws(CoreError) -> String {
        try roots?.resolve(path) ?? path
    }

    /// Examines a file or directory.
    ///
    /// - Parameter path: With roots, resolved inside them.
    /// - Throws: ``CoreError``: `.outsideRoots`, `.notFound`, `.permissionDenied`.
    public func fileInfo(path: String) throws(CoreError) -> FileInfo {
        let resolved = try resolve(path)
        let identity = try FileIdentity(path: resolved)
        var lexical = path
        if let roots, !path.hasPrefix("/") { lexical = roots.paths[0] + "/" + path }
        let own = try? FileIdentity(path: lexical, followSymlinks: false)
        return FileInfo(path: resolved, identity: identity, isSymlink: own?.kind == .symlink)
    }
}
