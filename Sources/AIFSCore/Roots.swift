import SystemPackage

/// The directories a service may touch, and the one gate every path goes through.
///
/// `Roots` is built once from the directories given at start-up. ``resolve(_:)`` turns
/// any path a client sends into a canonical absolute path — every symbolic link, `.` and
/// `..` resolved — and refuses it with ``CoreError/Code/outsideRoots`` unless it lies
/// inside one of the roots.
///
/// ```swift
/// let roots = try Roots(["/srv/project"])
/// let path = try roots.resolve("src/main.swift")   // "/srv/project/src/main.swift"
/// _ = try roots.resolve("../../etc/passwd")         // throws .outsideRoots
/// ```
///
/// ## Invariants
/// - Containment compares whole path components: `/data/root-evil` is not inside
///   `/data/root`.
/// - A symbolic link is followed before the check, so a link inside a root that points
///   outside is refused, even when its target does not exist yet (a write through it
///   would create the file outside).
/// - A path that does not exist yet is checked through its deepest existing ancestor;
///   the missing components are then taken literally.
///
/// ## Threading
/// Immutable and `Sendable`; call from anywhere.
///
/// ## Known problems
/// The check is made at resolution time. A link swapped in between the check and the
/// later use (a time-of-check to time-of-use race by someone who can write inside the
/// root) is not caught here.
public struct Roots: Sendable, Hashable {
    /// The canonical absolute paths of the roots, in the order given.
    public let paths: [String]

    /// The maximum number of symbolic links followed while resolving one path, as the
    /// kernel's own limit (`MAXSYMLINKS`).
    static let symlinkLimit = 40

    /// Creates roots from directories.
    ///
    /// - Parameter directories: Existing directories; relative ones resolve against the
    ///   current working directory.
    /// - Throws: ``CoreError`` when the list is empty, or a directory does not exist or
    ///   is not a directory.
    public init(_ directories: [String]) throws(CoreError) {
        guard !directories.isEmpty else {
            throw CoreError(.invalidArgument, "no root directory given; name at least one directory the service may use")
        }
        var canonical: [String] = []
        for directory in directories {
            let absolute = try Roots.absolute(directory, base: nil)
            let (resolved, exists) = try Roots.canonicalize(absolute, shownAs: directory)
            guard exists else {
                throw CoreError(.notFound, "cannot use '\(directory)' as a root: it does not exist; create it or pass an existing directory", path: directory)
            }
            let identity: FileIdentity
            do { identity = try Syscall.status(path: resolved, followSymlinks: true) } catch {
                throw CoreError(errno: error, operation: "use as a root", path: directory)
            }
            guard identity.kind == .directory else {
                throw CoreError(.notADirectory, "cannot use '\(directory)' as a root: it is \(identity.kind.phrase), not a directory; pass a directory", path: directory)
            }
            if !canonical.contains(resolved) { canonical.append(resolved) }
        }
        self.paths = canonical
    }

    /// Resolves a path given by a client to a canonical absolute path inside the roots.
    ///
    /// - Parameter path: An absolute path, or a path relative to the first root.
    /// - Returns: The canonical absolute path. It may not exist yet; its deepest existing
    ///   ancestor does and is inside a root.
    /// - Throws: ``CoreError`` with `.outsideRoots` when the path leaves the roots,
    ///   `.invalidPath` for an empty path or one with a NUL byte, `.symlinkLoop`,
    ///   `.notADirectory` when a component that must be a directory is a file, and
    ///   `.permissionDenied` when a component cannot be examined.
    public func resolve(_ path: String) throws(CoreError) -> String {
        let absolute = try Roots.absolute(path, base: paths[0])
        let (resolved, _) = try Roots.canonicalize(absolute, shownAs: path)
        guard root(containing: resolved) != nil else {
            let list = paths.map { "'\($0)'" }.joined(separator: ", ")
            let via = resolved == path ? "" : " resolves to '\(resolved)', which"
            throw CoreError(
                .outsideRoots,
                "access denied: '\(path)'\(via.isEmpty ? " is" : via + " is") outside the allowed roots (\(list)); use a path inside one of them",
                path: path)
        }
        return resolved
    }

    /// The root that contains the canonical path `path`, if any.
    ///
    /// - Parameter path: A canonical absolute path, as ``resolve(_:)`` returns.
    public func root(containing path: String) -> String? {
        let components = Roots.components(path)
        return paths.first { root in
            let rootComponents = Roots.components(root)
            return components.count >= rootComponents.count
                && zip(rootComponents, components).allSatisfy { $0 == $1 }
        }
    }

    /// Whether the canonical path `path` is inside a root.
    public func contains(_ path: String) -> Bool { root(containing: path) != nil }

    /// `path` made absolute against the working directory, without resolving links,
    /// `.` or `..`.
    ///
    /// - Throws: ``CoreError`` `.invalidPath` for an empty path or one with a NUL byte.
    public static func absolutePath(_ path: String) throws(CoreError) -> String {
        try absolute(path, base: nil)
    }

    // MARK: - Resolution

    static func components(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    /// Makes `path` absolute against `base` (or the working directory), refusing NUL
    /// bytes and empty paths.
    static func absolute(_ path: String, base: String?) throws(CoreError) -> String {
        guard !path.isEmpty else {
            throw CoreError(.invalidPath, "invalid path '': the path is empty; pass a file or directory, or '.' for the first root")
        }
        guard !path.utf8.contains(0) else { throw CoreError.nulInPath(path) }
        if path.hasPrefix("/") { return path }
        var directory: String
        if let base {
            directory = base
        } else {
            do { directory = try Syscall.currentDirectory() } catch {
                throw CoreError(errno: error, operation: "read the current directory to resolve", path: path)
            }
        }
        let base = directory
        return base.hasSuffix("/") ? base + path : base + "/" + path
    }

    /// Resolves every symbolic link, `.` and `..` in an absolute path, component by
    /// component, the way the kernel would. Components after the first missing one are
    /// taken literally (a missing directory cannot be a link).
    ///
    /// - Returns: The canonical path and whether all of it exists.
    static func canonicalize(_ absolute: String, shownAs original: String) throws(CoreError) -> (String, Bool) {
        var resolved: [Substring] = []
        var pending: [Substring] = components(absolute).reversed()
        var linksFollowed = 0
        var missing = false
        while let component = pending.popLast() {
            if component == "." { continue }
            if component == ".." {
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            resolved.append(component)
            if missing { continue }
            let current = "/" + resolved.joined(separator: "/")
            let identity: FileIdentity
            do {
                identity = try Syscall.status(path: current, followSymlinks: false)
            } catch .noSuchFileOrDirectory {
                missing = true
                continue
            } catch {
                throw CoreError(errno: error, operation: "resolve", path: original)
            }
            if identity.kind == .symlink {
                linksFollowed += 1
                guard linksFollowed <= symlinkLimit else {
                    throw CoreError(
                        .symlinkLoop,
                        "cannot resolve '\(original)': more than \(symlinkLimit) symbolic links in a row, probably a loop; fix or remove the links",
                        path: original)
                }
                let target: String
                do { target = try Syscall.readLink(current) } catch {
                    throw CoreError(errno: error, operation: "read the symbolic link", path: current)
                }
                resolved.removeLast()
                if target.hasPrefix("/") { resolved.removeAll() }
                pending.append(contentsOf: components(target).reversed())
            } else if identity.kind != .directory && !pending.isEmpty {
                throw CoreError(
                    .notADirectory,
                    "cannot resolve '\(original)': '\(current)' is \(identity.kind.phrase), not a directory, but the path goes on below it",
                    path: original)
            }
        }
        return ("/" + resolved.joined(separator: "/"), !missing)
    }
}
