import Foundation
import Synchronization

/// A fresh directory for one test, named after it, made `0o700`, canonicalized with
/// realpath (the walker and roots report resolved paths) and removed afterwards.
public final class TemporaryDirectory: Sendable {
    private static let counter = Atomic<Int>(0)

    /// The canonical absolute path.
    public let path: String

    public init(_ name: String = #function) throws {
        let number = Self.counter.add(1, ordering: .relaxed).newValue
        let safe = name.prefix(40).map { $0.isLetter || $0.isNumber ? $0 : "-" }
        let base = "/tmp/aifs-tests/\(String(safe))-\(getpid())-\(number)"
        try? FileManager.default.removeItem(atPath: base)
        try FileManager.default.createDirectory(
            atPath: base, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        guard let resolved = realpath(base, nil) else { throw POSIXError(.ENOENT) }
        path = String(cString: resolved)
        free(resolved)
    }

    deinit {
        // Restore permissions a test may have taken away, so removal succeeds.
        if let enumerator = FileManager.default.enumerator(atPath: path) {
            for case let relative as String in enumerator {
                chmod(path + "/" + relative, 0o700)
            }
        }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The absolute path of `relative` inside the directory.
    public func path(_ relative: String) -> String {
        relative.isEmpty ? path : path + "/" + relative
    }

    /// Creates a file (and its parent directories) with `contents`.
    @discardableResult
    public func file(_ relative: String, _ contents: String = "") throws -> String {
        let full = path(relative)
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: full))
        return full
    }

    /// Creates a directory (and its parents).
    @discardableResult
    public func directory(_ relative: String) throws -> String {
        let full = path(relative)
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }

    /// Creates a symbolic link at `relative` pointing to `target` (stored as given).
    @discardableResult
    public func symlink(_ relative: String, to target: String) throws -> String {
        let full = path(relative)
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: target)
        return full
    }

    /// Creates several files at once; a name ending in `/` makes a directory.
    public func tree(_ entries: [String: String]) throws {
        for (name, contents) in entries {
            if name.hasSuffix("/") { try directory(String(name.dropLast())) } else { try file(name, contents) }
        }
    }
}
