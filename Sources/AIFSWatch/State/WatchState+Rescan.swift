#if os(Linux)
import AIFSCore
import Synchronization

/// What the kernel could not follow: file systems unmounted under the tree, and queue
/// overflows (the whole tree compared with the disk again).
extension WatchState {
    /// `IN_UNMOUNT`: the file system under these watched directories was unmounted.
    /// The kernel sends it (then `IN_IGNORED`) for every watch on that file system, in
    /// no useful order, and nothing to the directory that held the mount point: what
    /// was on the file system is gone, and each path now shows what was underneath
    /// (the mount point's own directory), or nothing.
    ///
    /// The batch's directories are handled topmost first, each once: everything under
    /// it is reported gone (a file there now is another file, even with the same name),
    /// then, when the path is still a directory, it is watched again and scanned, and
    /// what is there is reported as new. A watched root that is no longer there ends
    /// with an `error` (and counts in ``WatchCounters/lostRoots``). A batch that holds
    /// only part of the records (a big file system) is still right: a subdirectory
    /// handled alone is reported gone, or rescanned if the path still shows one, and
    /// the mount point's turn, in a later batch, reports the rest.
    ///
    /// Mounting and unmounting elsewhere (a bind mount of the same file system still
    /// mounted, a mount on top of a watched directory) sends nothing: inotify only
    /// reports the file system's end.
    func fileSystemsUnmounted(_ directories: [String]) {
        var handled: [String] = []
        for directory in directories.sorted() {
            if handled.contains(where: { directory == $0 || directory.hasPrefix($0 == "/" ? "/" : $0 + "/") }) { continue }
            handled.append(directory)
            fileSystemUnmounted(under: directory)
        }
    }

    func fileSystemUnmounted(under directory: String) {
        resolvePendingMoves(overlapping: directory)
        // The kernel dropped the watches (their `ignored` may still be on the way).
        removeWatches(under: directory)
        if let descriptor = descriptorByPath.removeValue(forKey: directory) {
            // The parent of file roots only (a directory in the tree lost it above).
            registrar.removeWatch(descriptor)
            limbo.insert(descriptor)
        }
        let stillThere = fileSystem.entryKind(atPath: directory) == .directory
        // Single-file roots in this directory: the file that was there is gone; one at
        // the path now (underneath) is another file.
        for root in roots where root.kind == .file && WatchTree.split(root.path).parent == directory {
            disappeared(root.path)
            guard stillThere else {
                rootLost(root.path)
                continue
            }
            _ = watch(directory)
            if fileSystem.entryKind(atPath: root.path) != nil {
                tree.insert(root.path, kind: .file)
                emit(.add, root.path)
            }
        }
        guard tree.kind(of: directory) == .directory else { return }
        if stillThere {
            for child in tree.children(of: directory) { disappeared(child) }
            reconcile(directory, report: true)
        } else {
            disappeared(directory)
            if roots.contains(where: { $0.kind == .directory && $0.path == directory }) { rootLost(directory) }
        }
    }

    /// A watched root that is gone after its file system was unmounted: the watch of it
    /// ends with an `error` (reported after its entries' `unlink`s).
    func rootLost(_ root: String) {
        roots.removeAll { $0.path == root }
        counters.lostRoots.add(1, ordering: .relaxed)
        emit(
            .error(
                message: "stopped watching '\(root)': the file system it was on was unmounted and the path no longer exists; "
                    + "mount it again (or watch the directory that is there now) and start a new watch"),
            root)
    }

    /// A queue overflow: scan every root again, report the differences, then `rescan`.
    func rescan() {
        resolvePendingMoves(now: clock.now + .seconds(3600))
        reportedBurst.removeAll()
        for root in roots {
            switch root.kind {
            case .directory:
                if fileSystem.entryKind(atPath: root.path) == .directory {
                    reconcile(root.path, report: true)
                } else {
                    removeWatches(under: root.path)
                    disappeared(root.path)
                }
            case .file:
                let exists = fileSystem.entryKind(atPath: root.path) != nil
                if exists && tree.kind(of: root.path) == nil {
                    tree.insert(root.path, kind: .file)
                    recordIdentity(of: root.path)
                    emit(.add, root.path)
                } else if !exists {
                    disappeared(root.path)
                }
            }
        }
        roots.removeAll { $0.kind == .directory && tree.kind(of: $0.path) == nil }
        counters.rescans.add(1, ordering: .relaxed)
        emit(.rescan, roots.first?.path ?? "")
    }
}
#endif
