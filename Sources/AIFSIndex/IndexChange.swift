/// A change under an indexed root, as a watcher reports it; the facade turns its watch
/// events into these, in the order they came.
public enum IndexChange: Sendable, Hashable {
    /// A file appeared (created, or moved in from outside).
    case created([UInt8])
    /// A directory appeared.
    case createdDirectory([UInt8])
    /// A file's contents changed.
    case changed([UInt8])
    /// A file is gone.
    case removed([UInt8])
    /// A directory is gone, with everything in it.
    case removedDirectory([UInt8])
    /// A file or directory moved within the root.
    case renamed(from: [UInt8], to: [UInt8])
    /// Events were lost (the kernel's queue overflowed): nothing known is trusted until
    /// a walk has checked every file's identity.
    case rescan
}

/// The names of the files whose rules decide what a search walks: a change to one of
/// them re-decides the directory it is in, and everything below.
let ignoreFileNames: Set<[UInt8]> = [Array(".gitignore".utf8), Array(".ignore".utf8), Array(".rgignore".utf8)]

extension Array where Element == UInt8 {
    /// The path up to its last `/` (the parent directory); the path itself when it has none.
    var parentPath: [UInt8] {
        guard let slash = lastIndex(of: UInt8(ascii: "/")) else { return self }
        return slash == 0 ? [UInt8(ascii: "/")] : Array(self[..<slash])
    }

    /// The part after the last `/`.
    var lastComponent: ArraySlice<UInt8> {
        guard let slash = lastIndex(of: UInt8(ascii: "/")) else { return self[...] }
        return self[(slash + 1)...]
    }

    /// Whether the path is `directory` or below it.
    package func isWithin(_ directory: [UInt8]) -> Bool {
        if self == directory { return true }
        if directory == [UInt8(ascii: "/")] { return first == UInt8(ascii: "/") }
        return count > directory.count && starts(with: directory) && self[directory.count] == UInt8(ascii: "/")
    }
}

/// A path's bytes as a dictionary key, hashed in one call: `Array`'s own hashing feeds
/// the hasher one byte at a time, which was a fifth of loading a saved index.
struct PathKey: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    static func == (a: PathKey, b: PathKey) -> Bool { a.bytes == b.bytes }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    var parent: PathKey { PathKey(bytes.parentPath) }

    /// Whether the path is directly inside `directory` (no allocation: a file table is
    /// scanned with this).
    func isChild(of directory: PathKey) -> Bool {
        let prefix = directory.bytes
        let length = prefix == [UInt8(ascii: "/")] ? 0 : prefix.count
        guard bytes.count > length + 1, bytes[length] == UInt8(ascii: "/"), bytes.starts(with: prefix.prefix(length)) else { return false }
        return !bytes[(length + 1)...].contains(UInt8(ascii: "/"))
    }
    func isWithin(_ directory: PathKey) -> Bool { bytes.isWithin(directory.bytes) }
    static func < (a: PathKey, b: PathKey) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}
