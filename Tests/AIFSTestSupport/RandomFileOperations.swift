import Foundation
import Glibc

/// Small file-system actions with plain system calls, so each is exactly one operation.
public enum FS {
    public static func write(_ path: String, _ text: String, append: Bool = false) {
        let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0o600)
        precondition(fd >= 0, "open \(path): \(errno)")
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
    }

    public static func mkdir(_ path: String) { precondition(Glibc.mkdir(path, 0o700) == 0, "mkdir \(path): \(errno)") }

    public static func rename(_ from: String, _ to: String) {
        precondition(Glibc.rename(from, to) == 0, "rename \(from) \(to): \(errno)")
    }

    public static func unlink(_ path: String) { precondition(Glibc.unlink(path) == 0, "unlink \(path): \(errno)") }

    public static func removeTree(_ path: String) throws { try FileManager.default.removeItem(atPath: path) }
}

/// Random file-system operations under a directory, seeded: create, mkdir, append,
/// `rm -r`, `mv` (files and directories, across levels) and an atomic save (a temporary
/// file renamed over the target), on paths of up to three levels named `a` to `e`. The
/// watcher's random test and the live index's both drive the disk with it.
public struct RandomFileOperations {
    public var random: SplitMix64
    public let root: String
    private let names = ["a", "b", "c", "d", "e"]

    public init(root: String, seed: UInt64) {
        self.root = root
        random = SplitMix64(seed: seed)
    }

    private mutating func pick() -> String {
        let depth = Int.random(in: 0...2, using: &random)
        var parts: [String] = []
        for _ in 0...depth { parts.append(names.randomElement(using: &random)!) }
        return root + "/" + parts.joined(separator: "/")
    }

    private func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    private func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// Makes one random operation; returns what it did (`mv A B`), or nil when the one
    /// drawn did not apply (its parent is missing, its path exists, …).
    public mutating func step() throws -> String? {
        let path = pick()
        let parent = (path as NSString).deletingLastPathComponent
        guard isDirectory(parent) else { return nil }
        switch Int.random(in: 0..<6, using: &random) {
        case 0 where !exists(path): FS.write(path, "new"); return "write \(path)"
        case 1 where !exists(path): FS.mkdir(path); return "mkdir \(path)"
        case 2 where exists(path) && !isDirectory(path): FS.write(path, "more", append: true); return "append \(path)"
        case 3 where exists(path): try FS.removeTree(path); return "rm -r \(path)"
        case 4 where exists(path):
            let target = pick()
            let targetParent = (target as NSString).deletingLastPathComponent
            // Not into itself, onto an existing path, or into a missing directory.
            guard isDirectory(targetParent), !exists(target), !(target + "/").hasPrefix(path + "/") else { return nil }
            FS.rename(path, target)
            return "mv \(path) \(target)"
        case 5 where exists(path) && !isDirectory(path):
            // An atomic save: a temporary file renamed over the target.
            FS.write(path + ".tmp", "saved")
            FS.rename(path + ".tmp", path)
            return "save \(path)"
        default: return nil
        }
    }
}
