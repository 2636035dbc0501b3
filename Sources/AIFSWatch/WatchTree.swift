/// The set of files and directories the watcher knows, by absolute path: the tree
/// state that turns raw kernel events into chokidar events and that a rescan is
/// compared against.
///
/// A pure value: no system calls, no threads.
///
/// Entries of polled directories also keep what the state last reported them as
/// (device, inode, size, modification time): the next poll's listing is compared
/// with it. They move and go with their entries.
///
/// ## Invariants
/// Every entry except a root has its parent directory in the tree, and appears in that
/// parent's children. Only entries in the tree have an identity.
public struct WatchTree: Sendable {
    private var kinds: [String: EntryKind] = [:]
    private var children: [String: Set<String>] = [:]
    /// Only for entries of polled directories, by directory then name (a poll compares
    /// a directory's listing with its map, name by name); empty, and never looked at,
    /// otherwise.
    private var identities: [String: [String: PolledEntry]] = [:]

    /// An empty tree.
    public init() {}

    /// How many entries the tree holds.
    public var count: Int { kinds.count }

    /// Makes room for `count` entries in all, so a big scan does not grow the tables
    /// step by step.
    public mutating func reserveCapacity(_ count: Int) {
        kinds.reserveCapacity(count)
    }

    /// The kind of the entry at `path`, or `nil` when the tree does not have it.
    public func kind(of path: String) -> EntryKind? { kinds[path] }

    /// What the entry at `path` was when last reported, for an entry of a polled
    /// directory; `nil` when unknown.
    func identity(of path: String) -> PolledEntry? {
        guard !identities.isEmpty else { return nil }
        let (parent, name) = Self.split(path)
        return identities[parent]?[name]
    }

    /// What the entries of the directory `path` were when reported, by name.
    func identities(in path: String) -> [String: PolledEntry] { identities[path] ?? [:] }

    /// Records what the entry at `path` (in the tree) was when reported.
    mutating func setIdentity(_ identity: PolledEntry?, of path: String) {
        guard kinds[path] != nil, identity != nil || !identities.isEmpty else { return }
        let (parent, name) = Self.split(path)
        identities[parent, default: [:]][name] = identity
        if identities[parent]?.isEmpty == true { identities[parent] = nil }
    }

    /// Adds an entry (a root, or a child of a directory in the tree). Re-adding an
    /// existing path with another kind replaces it and drops the old subtree.
    public mutating func insert(_ path: String, kind: EntryKind) {
        // As few hash lookups as possible: the initial scan inserts every entry.
        if let old = kinds.updateValue(kind, forKey: path) {
            if old == kind {
                // Keep the invariant even if the entry was somehow left unlinked.
                let (parent, name) = Self.split(path)
                children[parent]?.insert(name)
                return
            }
            kinds[path] = old
            _ = remove(path)
            kinds[path] = kind
        }
        if kind == .directory { children[path] = [] }
        let (parent, name) = Self.split(path)
        // Only directories have a children set.
        children[parent]?.insert(name)
    }

    /// Removes `path` and everything under it.
    ///
    /// - Returns: The removed entries, deepest first (the order of unlink events).
    @discardableResult
    public mutating func remove(_ path: String) -> [(path: String, kind: EntryKind)] {
        guard kinds[path] != nil else { return [] }
        let removed = subtree(path).reversed()
        let hasIdentities = !identities.isEmpty
        for entry in removed {
            kinds[entry.path] = nil
            children[entry.path] = nil
            if hasIdentities && entry.kind == .directory { identities[entry.path] = nil }
        }
        let (parent, name) = Self.split(path)
        children[parent]?.remove(name)
        if hasIdentities, identities[parent]?.removeValue(forKey: name) != nil, identities[parent]?.isEmpty == true {
            identities[parent] = nil
        }
        return Array(removed)
    }

    /// The entries directly under the directory `path`, by name; empty for a file or
    /// a path the tree does not have.
    public func children(of path: String) -> [String] {
        guard let names = children[path] else { return [] }
        let prefix = path == "/" ? "/" : path + "/"
        return names.sorted().map { prefix + $0 }
    }

    /// The names of the entries directly under the directory `path`, in no order.
    func childNames(of path: String) -> Set<String> { children[path] ?? [] }

    /// `path` and everything under it, parents before children, siblings by name.
    public func subtree(_ path: String) -> [(path: String, kind: EntryKind)] {
        guard let kind = kinds[path] else { return [] }
        var result: [(path: String, kind: EntryKind)] = [(path, kind)]
        var index = 0
        while index < result.count {
            let entry = result[index]
            index += 1
            guard entry.kind == .directory, let names = children[entry.path] else { continue }
            for name in names.sorted() {
                let child = entry.path + "/" + name
                if let childKind = kinds[child] { result.append((child, childKind)) }
            }
        }
        return result
    }

    /// Moves `source` and its subtree to `destination` (which is replaced if present).
    ///
    /// - Returns: The moved entries as (old path, new path, kind), parents first.
    @discardableResult
    public mutating func move(_ source: String, to destination: String) -> [(from: String, to: String, kind: EntryKind)] {
        let entries = subtree(source)
        guard !entries.isEmpty else { return [] }
        let hasIdentities = !identities.isEmpty
        // The top entry's own, and each moved directory's map of its entries.
        let topIdentity = hasIdentities ? identity(of: source) : nil
        let maps = hasIdentities ? entries.map { $0.kind == .directory ? identities[$0.path] : nil } : []
        remove(source)
        remove(destination)
        var moved: [(from: String, to: String, kind: EntryKind)] = []
        for (index, entry) in entries.enumerated() {
            let newPath = destination + entry.path.dropFirst(source.count)
            insert(newPath, kind: entry.kind)
            if hasIdentities, let map = maps[index] { identities[newPath] = map }
            moved.append((entry.path, newPath, entry.kind))
        }
        if let topIdentity { setIdentity(topIdentity, of: destination) }
        return moved
    }

    /// The parent path and the last component of an absolute path.
    static func split(_ path: String) -> (parent: String, name: String) {
        // On UTF-8 bytes: `/` is ASCII, so its index is a valid character boundary.
        let bytes = path.utf8
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return ("", path) }
        let parent = slash == bytes.startIndex ? "/" : String(path[..<slash])
        return (parent, String(path[bytes.index(after: slash)...]))
    }
}
