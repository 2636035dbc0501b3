#if os(Linux)
import AIFSCore

/// What the watch loop reports and enters: roots, depth, ignore globs, `.gitignore`
/// files and followed symbolic links.
///
/// ## Threading
/// Called on the watch thread only, like the rest of ``WatchState``.
extension WatchState {
    // MARK: - Filters

    /// The root that `path` belongs to and the path relative to it ("" for the root).
    func locate(_ path: String) -> (root: Root, relative: String)? {
        for root in roots {
            if root.path == path { return (root, "") }
            let length = root.path.utf8.count
            // Byte-wise: `hasPrefix` and `dropFirst` on characters cost more than the
            // rest of the initial scan's filtering.
            if root.kind == .directory, path.utf8.count > length + 1, path.utf8.starts(with: root.path.utf8),
                path.utf8.dropFirst(length).first == UInt8(ascii: "/")
            {
                return (root, String(path[path.utf8.index(path.utf8.startIndex, offsetBy: length + 1)...]))
            }
        }
        return nil
    }

    /// Whether `path` is reported: inside a root, within the depth, not ignored.
    func include(_ path: String, kind: EntryKind) -> Bool {
        guard let (root, relative) = locate(path) else { return false }
        return include(path, relative: relative, kind: kind, root: root)
    }

    /// ``include(_:kind:)`` for a path already located: `relative` to `root`.
    func include(_ path: String, relative: String, kind: EntryKind, root: Root) -> Bool {
        if relative.isEmpty { return true }
        if root.kind == .file { return false }
        if let depth = options.depth, Self.components(relative) > depth + 1 { return false }
        if ignore.match(relative, isDirectory: kind == .directory) == .ignore { return false }
        if options.gitignore { return !gitignored(path, kind: kind, root: root.path) }
        return true
    }

    /// Whether the directory at `path` is entered and watched.
    func shouldWatch(_ path: String) -> Bool {
        guard let (root, relative) = locate(path), root.kind == .directory else { return false }
        if relative.isEmpty { return true }
        if let depth = options.depth, Self.components(relative) > depth { return false }
        return true
    }

    private static func components(_ relative: String) -> Int {
        relative.utf8.reduce(1) { $1 == UInt8(ascii: "/") ? $0 + 1 : $0 }
    }

    // MARK: - Symbolic links and .gitignore

    /// The target of `path` when it is a symbolic link to a directory that may be
    /// followed: not inside a watched root, not overlapping a followed target (loops).
    func followableLink(_ path: String) -> String? {
        guard (try? fileSystem.status(atPath: path))?.kind == .symlink,
            (try? fileSystem.status(atPath: path, followSymlinks: true))?.kind == .directory,
            let target = try? fileSystem.realPath(path)
        else { return nil }
        func overlaps(_ a: String, _ b: String) -> Bool { a == b || a.hasPrefix(b + "/") || b.hasPrefix(a + "/") }
        if roots.contains(where: { overlaps(target, $0.path) }) { return nil }
        if followedLinks.contains(where: { $0.key != path && overlaps(target, $0.value) }) { return nil }
        return target
    }

    /// Reads (again) the `.gitignore` of `directory`.
    func loadGitignore(_ directory: String) {
        let file = directory + "/.gitignore"
        guard let bytes = fileSystem.readSmallFile(atPath: file) else {
            gitignores[directory] = nil
            return
        }
        let rules = IgnoreRules(parsing: bytes, source: file)
        gitignores[directory] = rules.isEmpty ? nil : rules
    }

    /// Whether the `.gitignore` files from `path`'s directory up to its root ignore it:
    /// the deepest file with an opinion decides. `.git` is always left out.
    func gitignored(_ path: String, kind: EntryKind, root: String) -> Bool {
        var (directory, name) = WatchTree.split(path)
        if name == ".git" { return true }
        while true {
            if let rules = gitignores[directory] {
                switch rules.match(String(path.dropFirst(directory.count + 1)), isDirectory: kind == .directory) {
                case .ignore: return true
                case .whitelist: return false
                case .none: break
                }
            }
            if directory == root || directory.count <= root.count { return false }
            directory = WatchTree.split(directory).parent
        }
    }
}
#endif
