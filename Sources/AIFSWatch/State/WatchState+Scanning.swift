#if os(Linux)
import AIFSCore
import Synchronization
import SystemPackage

/// Making the tree match the disk: watching and listing directories.
extension WatchState {
    /// Makes the tree under `directory` (already in the tree) match the disk: watches
    /// and lists each directory, then reports what is new (parents first) and what is
    /// gone (deepest first) when `report` is set.
    func reconcile(_ directory: String, report: Bool) {
        var found: [(path: String, kind: EntryKind)] = []
        scan(directory, into: &found)
        let existing = tree.subtree(directory).dropFirst()
        // A new directory (the initial scan, a mkdir) has nothing to compare against:
        // no set of 100,000 paths to build.
        let foundPaths = existing.isEmpty ? [] : Set(found.map(\.path))
        for entry in existing where !foundPaths.contains(entry.path) && tree.kind(of: entry.path) != nil {
            if entry.kind == .directory { removeWatches(under: entry.path) }
            if report {
                disappeared(entry.path)
            } else {
                tree.remove(entry.path)
            }
        }
        if existing.isEmpty {
            // Nothing under the directory yet: every entry found is new.
            tree.reserveCapacity(tree.count + found.count)
            for entry in found {
                tree.insert(entry.path, kind: entry.kind)
                if report { emit(entry.kind == .directory ? .addDir : .add, entry.path) }
            }
            return
        }
        for entry in found {
            let known = tree.kind(of: entry.path)
            if known == entry.kind { continue }
            if known != nil {
                if report { disappeared(entry.path) } else { tree.remove(entry.path) }
            }
            tree.insert(entry.path, kind: entry.kind)
            if report { emit(entry.kind == .directory ? .addDir : .add, entry.path) }
        }
    }

    /// Watches `directory` (when within the depth), lists it and recurses; appends what
    /// it finds, parents first.
    func scan(_ directory: String, into found: inout [(path: String, kind: EntryKind)]) {
        guard shouldWatch(directory) else { return }
        guard watch(directory) else { return }
        let entries: [DirectoryEntry]
        do {
            entries = try fileSystem.listDirectory(atPath: directory, followSymlinks: options.followSymlinks)
        } catch {
            if error != .noSuchFileOrDirectory && error != .notDirectory {
                emit(.error(message: WatchError.from(error, operation: "read directory", path: directory).message), directory)
            }
            return
        }
        if let descriptor = descriptorByPath[directory] { registrar.noteListed(descriptor, entries: entries) }
        if options.gitignore { loadGitignore(directory) }
        // Located once per directory, not once per entry.
        guard let (root, relativeDirectory) = locate(directory) else { return }
        for entry in entries.sorted(by: { $0.name < $1.name }) {
            let path = directory + "/" + entry.name
            var kind = entry.kind
            if entry.isLink && kind == .directory {
                if let target = followedLinks[path] ?? followableLink(path) {
                    followedLinks[path] = target
                } else {
                    kind = .file  // already watched elsewhere, or a loop: reported, not entered
                }
            }
            let relative = relativeDirectory.isEmpty ? entry.name : relativeDirectory + "/" + entry.name
            guard include(path, relative: relative, kind: kind, root: root) else { continue }
            found.append((path, kind))
            if kind == .directory { scan(path, into: &found) }
        }
    }

    /// Adds a watch unless one exists; reports failures as `error` events.
    ///
    /// - Returns: Whether the directory may still be listed (it exists).
    func watch(_ directory: String) -> Bool {
        if descriptorByPath[directory] != nil { return true }
        do {
            // inotify does not follow a final symbolic link (IN_DONT_FOLLOW): watch the target.
            let descriptor = try registrar.addWatch(directory: followedLinks[directory] ?? directory)
            if let previous = pathByDescriptor[descriptor], previous != directory {
                // The same directory under a new name (its rename was not seen).
                descriptorByPath[previous] = nil
            }
            limbo.remove(descriptor)
            pathByDescriptor[descriptor] = directory
            descriptorByPath[directory] = descriptor
            return true
        } catch {
            switch error {
            case .noSuchFileOrDirectory, .notDirectory:
                return false
            case .noSpace:
                // One error per watch session: every further directory would fail the same way.
                if !watchLimitReported {
                    watchLimitReported = true
                    let failure = WatchError.from(error, operation: "watch", path: directory, watchLimits: {
                        (fileSystem.readInteger(atPath: "/proc/sys/fs/inotify/max_user_watches"),
                         fileSystem.readInteger(atPath: "/proc/sys/user/max_inotify_watches"))
                    })
                    emit(.error(message: failure.message + "; meanwhile these directories are polled"), directory)
                }
                // That part of the tree is polled instead.
                if let descriptor = try? registrar.addFallbackWatch(directory: directory) {
                    pathByDescriptor[descriptor] = directory
                    descriptorByPath[directory] = descriptor
                    counters.fallbacks.add(1, ordering: .relaxed)
                }
                return true
            case .permissionDenied, .notPermitted:
                // Listing would fail the same way: one error for the directory.
                emit(.error(message: WatchError.from(error, operation: "watch", path: directory).message), directory)
                return false
            default:
                emit(.error(message: WatchError.from(error, operation: "watch", path: directory).message), directory)
                return true
            }
        }
    }

    func removeWatches(under path: String) {
        for entry in tree.subtree(path) where entry.kind == .directory {
            if let descriptor = descriptorByPath.removeValue(forKey: entry.path) {
                registrar.removeWatch(descriptor)
                limbo.insert(descriptor)  // until its `ignored` arrives
            }
        }
    }

    func forgetWatch(_ descriptor: WatchDescriptor) {
        limbo.remove(descriptor)
        guard let path = pathByDescriptor.removeValue(forKey: descriptor) else { return }
        if descriptorByPath[path] == descriptor { descriptorByPath[path] = nil }
    }

    func setLimbo(under path: String, _ value: Bool) {
        for entry in tree.subtree(path) where entry.kind == .directory {
            guard let descriptor = descriptorByPath[entry.path] else { continue }
            if value { limbo.insert(descriptor) } else { limbo.remove(descriptor) }
        }
    }
}
#endif
