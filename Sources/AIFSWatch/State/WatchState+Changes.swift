#if os(Linux)
import AIFSCore

/// Entries that appear, disappear and move, and rename halves waiting for their pair.
extension WatchState {
    /// A new entry at `path` (`created`: made there, rather than moved or saved over a
    /// known file); `identity` is what a poll saw, for an entry of a polled directory.
    func appeared(_ path: String, kind: EntryKind, created: Bool, identity: PolledEntry? = nil) {
        guard include(path, kind: kind) else { return }
        resolvePendingMoves(overlapping: path)
        switch kind {
        case .file:
            if tree.kind(of: path) == .directory { disappeared(path) }
            if tree.kind(of: path) == .file {
                if let identity { tree.setIdentity(identity, of: path) }
                // Moved over a known file (an atomic save from an ignored temp file):
                // the contents changed.
                if !created { emit(.change, path) }
                return
            }
            tree.insert(path, kind: .file)
            tree.setIdentity(identity, of: path)
            if created { reportedBurst.insert(path) }
            emit(.add, path)
        case .directory:
            if tree.kind(of: path) == .file { disappeared(path) }
            if tree.kind(of: path) == nil {
                tree.insert(path, kind: .directory)
                emit(.addDir, path)
            }
            // Before the scan, which forgets it when the directory cannot be watched.
            if let identity { tree.setIdentity(identity, of: path) }
            // Watch first, then list: whatever is made in between is found by the list
            // or reported by the new watch, and the tree drops the duplicates.
            reconcile(path, report: true)
        }
    }

    func disappeared(_ path: String) {
        if !followedLinks.isEmpty {
            // The kernel keeps watching a link's target after the link goes: drop them.
            for link in followedLinks.keys where link == path || link.hasPrefix(path + "/") {
                removeWatches(under: link)
                followedLinks[link] = nil
            }
        }
        let removed = tree.remove(path)
        for entry in removed {
            reportedBurst.remove(entry.path)
            if entry.kind == .directory, let descriptor = descriptorByPath.removeValue(forKey: entry.path) {
                // The kernel drops the watch itself and then says `ignored`; a polled
                // watch ends here.
                limbo.remove(descriptor)
                endPolledWatch(descriptor)
            }
            emit(entry.kind == .directory ? .unlinkDir : .unlink, entry.path)
        }
    }

    func renamed(_ source: PendingMove, to destination: String, kind: EntryKind) {
        if source.kind == .directory { setLimbo(under: source.path, false) }
        guard include(destination, kind: kind) else {
            // Renamed to an ignored name or beyond the depth: gone, as far as we report.
            removeWatches(under: source.path)
            disappeared(source.path)
            return
        }
        if source.path == destination { return }
        resolvePendingMoves(overlapping: destination)
        let replacing = kind == .file && tree.kind(of: destination) == .file
        if let existing = tree.kind(of: destination), existing != kind || kind == .directory {
            // rename(2) only replaces an empty directory, so whatever the tree still has
            // under the destination is gone (or was seen early by a scan that raced the
            // rename, and the scan after it finds it again): report it, never drop it
            // silently (found by the random-operations test).
            if existing == .directory { removeWatches(under: destination) }
            disappeared(destination)
        }
        for entry in tree.subtree(destination) { reportedBurst.remove(entry.path) }
        let moved = tree.move(source.path, to: destination)
        for entry in moved {
            if reportedBurst.remove(entry.from) != nil { reportedBurst.insert(entry.to) }
            if let target = followedLinks.removeValue(forKey: entry.from) { followedLinks[entry.to] = target }
            if entry.kind == .directory, let descriptor = descriptorByPath.removeValue(forKey: entry.from) {
                if descriptor.isPolled {
                    // Polling follows paths, not inodes: the scan below polls the
                    // directory at its new path.
                    endPolledWatch(descriptor)
                } else {
                    descriptorByPath[entry.to] = descriptor
                    pathByDescriptor[descriptor] = entry.to
                }
            }
        }
        emit(.rename(from: source.path), destination, replacing: replacing, movedFile: kind == .file)
        if kind == .directory {
            // Events from inside the directory while it was in limbo were dropped.
            reconcile(destination, report: true)
        }
    }

    /// Pending `movedFrom` halves at, above or below `path`, where something new is
    /// about to be: their other half is not coming in time (its directory is not
    /// watched), so they moved out now. Otherwise their deadline would later remove the
    /// new entry in their place (found by the random-operations test).
    func resolvePendingMoves(overlapping path: String) {
        guard !pendingMoves.isEmpty else { return }
        for (cookie, move) in pendingMoves.sorted(by: { $0.key < $1.key })
        where move.path == path || path.hasPrefix(move.path + "/") || move.path.hasPrefix(path + "/") {
            pendingMoves[cookie] = nil
            if move.kind == .directory { setLimbo(under: move.path, false) }
            removeWatches(under: move.path)
            disappeared(move.path)
        }
    }

    /// Pending `movedFrom` halves past their deadline moved out of the tree.
    func resolvePendingMoves(now: ContinuousClock.Instant) {
        guard !pendingMoves.isEmpty else { return }
        for (cookie, move) in pendingMoves.sorted(by: { $0.key < $1.key }) where move.deadline <= now {
            pendingMoves[cookie] = nil
            removeWatches(under: move.path)
            disappeared(move.path)
        }
    }

    func watchedDirectoryWentAway(_ directory: String) {
        if let index = roots.firstIndex(where: { $0.kind == .directory && $0.path == directory }) {
            removeWatches(under: directory)
            disappeared(directory)
            roots.remove(at: index)
            return
        }
        // The parent of single-file roots went away: those roots end.
        let endedFiles = roots.filter { $0.kind == .file && WatchTree.split($0.path).parent == directory }
        guard !endedFiles.isEmpty else { return }
        for root in endedFiles { disappeared(root.path) }
        roots.removeAll { $0.kind == .file && WatchTree.split($0.path).parent == directory }
    }
}
#endif
