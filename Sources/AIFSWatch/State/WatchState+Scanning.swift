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
        var found: [Found] = []
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
                if let identity = entry.identity { tree.setIdentity(identity, of: entry.path) }
                if report { emit(entry.kind == .directory ? .addDir : .add, entry.path) }
            }
            return
        }
        for entry in found {
            let known = tree.kind(of: entry.path)
            if known == entry.kind {
                // Known already: what it was reported as stays, and the next poll
                // compares the disk with that.
                if tree.identity(of: entry.path) == nil, let identity = entry.identity {
                    tree.setIdentity(identity, of: entry.path)
                }
                continue
            }
            if known != nil {
                if report { disappeared(entry.path) } else { tree.remove(entry.path) }
            }
            tree.insert(entry.path, kind: entry.kind)
            if let identity = entry.identity { tree.setIdentity(identity, of: entry.path) }
            if report { emit(entry.kind == .directory ? .addDir : .add, entry.path) }
        }
    }

    /// An entry a scan found: its path, its kind, and for an entry of a polled
    /// directory what it was when listed.
    struct Found {
        var path: String
        var kind: EntryKind
        var identity: PolledEntry?
    }

    /// Watches `directory` (when within the depth), lists it and recurses; appends what
    /// it finds, parents first.
    func scan(_ directory: String, into found: inout [Found]) {
        guard shouldWatch(directory) else { return }
        guard watch(directory) else { return }
        var entries: [DirectoryEntry]
        // A polled directory is listed the way a poll lists it, so that the next poll
        // compares the disk with what this scan reported.
        var polled: [String: PolledEntry]?
        do {
            if descriptorByPath[directory]?.isPolled == true {
                let listed = try PolledEntry.list(followedLinks[directory] ?? directory, in: fileSystem)
                polled = listed
                entries = listed.map { DirectoryEntry(name: $0.key, kind: $0.value.kind, isLink: $0.value.isLink) }
                if options.followSymlinks {
                    for index in entries.indices where entries[index].isLink
                        && (try? fileSystem.status(atPath: directory + "/" + entries[index].name, followSymlinks: true))?.kind
                            == .directory
                    {
                        entries[index].kind = .directory
                    }
                }
            } else {
                entries = try fileSystem.listDirectory(atPath: directory, followSymlinks: options.followSymlinks)
            }
        } catch {
            if error != .noSuchFileOrDirectory && error != .notDirectory {
                emit(.error(message: WatchError.from(error, operation: "read directory", path: directory).message), directory)
            }
            return
        }
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
            found.append(Found(path: path, kind: kind, identity: polled?[entry.name]))
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
                // Gone already. In a polled directory, the next poll looks at the name
                // again whatever it finds there: made again with the inode number it had
                // (ext4 hands a freed one out at once), it would look unchanged and stay
                // unwatched (found by the random-operations test).
                tree.setIdentity(nil, of: directory)
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
                if descriptor.isPolled {
                    pathByDescriptor[descriptor] = nil
                } else {
                    limbo.insert(descriptor)  // until its `ignored` arrives
                }
            }
        }
    }

    /// Ends the polled watch of a directory the tree no longer has at its path (the
    /// kernel ends its own watches: their `ignored` comes).
    func endPolledWatch(_ descriptor: WatchDescriptor) {
        guard descriptor.isPolled else { return }
        registrar.removeWatch(descriptor)
        limbo.remove(descriptor)
        if let path = pathByDescriptor.removeValue(forKey: descriptor), descriptorByPath[path] == descriptor {
            descriptorByPath[path] = nil
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
