import AIFSCore

/// One file of the table.
struct FileRecord: Sendable {
    enum Status: UInt8, Sendable {
        /// Its trigrams are in the segment or the overlay, as of ``FileRecord/identity``.
        case indexed = 0
        /// Changed since it was indexed: searched on every query until re-read.
        case dirty = 1
        /// Not indexable: searched on every query.
        case unindexed = 2
        /// Gone; its number is not used again.
        case removed = 3
    }

    var path: [UInt8]
    var status: Status
    /// The file as it was read for the index (nil until then).
    var identity: FileIdentity?
    /// Counts the changes recorded for the file, so a re-read that a later change
    /// overtook is not taken as current.
    var generation: UInt32 = 0
    /// When it became dirty, for ``LiveIndex/Statistics/lagMs``.
    var dirtySince: ContinuousClock.Instant?
    /// Its current trigrams are in the overlay (it was re-read after the build).
    var inOverlay = false
}

/// Directories whose listing must be read again before the next answer.
struct StructureWork {
    /// Walk these whole (new directories, changed ignore rules, a full check).
    var deep: [PathKey] = []
    /// List these one level deep (a file or directory appeared in them).
    var shallow: [PathKey] = []
    /// Compare every file's identity with the table's (after a load or a lost event).
    var checkIdentities = false
}

/// What the walks of a ``StructureWork`` found.
struct WalkedDirectories {
    var deep: [PathKey: [WalkEntry]] = [:]
    var shallow: [PathKey: [WalkEntry]] = [:]
    var identities: [PathKey: FileIdentity] = [:]
    /// The walk's problems under each directory walked whole.
    var errors: [PathKey: [CoreError]] = [:]
}

/// The index's data: the file table, the directories walked, the trigram segment and
/// the overlay of re-read files. Every method runs with the ``LiveIndex``'s lock held.
struct IndexState: Sendable {
    var phase: LiveIndex.Phase = .building
    var reason: String?
    var records: [FileRecord] = []
    var ids: [PathKey: UInt32] = [:]
    var directories: Set<PathKey> = []
    var dirty: Set<UInt32> = []
    var unindexed: Set<UInt32> = []
    var segment = IndexSegment.empty
    /// Big files' windows (``IndexBuilder/windowThreshold``), and each window's file.
    var windows = IndexSegment.empty
    var windowFiles: [UInt32] = []
    /// The walk's problems (unreadable directories), replayed in every answer under them.
    var walkErrors: [CoreError] = []
    /// Trigrams of files re-read since the segment was built: key to file numbers.
    var overlay: [UInt32: [UInt32]] = [:]
    var overlayEntries = 0
    var shallowDirty: Set<PathKey> = []
    var deepDirty: Set<PathKey> = []
    var needsFullCheck = false
    var updates = 0
    var buildSeconds = 0.0
    var diskBytes = 0

    // MARK: Table

    mutating func add(path: [UInt8], status: FileRecord.Status, identity: FileIdentity? = nil) {
        let id = UInt32(records.count)
        records.append(FileRecord(path: path, status: status, identity: identity, dirtySince: status == .dirty ? .now : nil))
        ids[PathKey(path)] = id
        if status == .dirty { dirty.insert(id) }
        if status == .unindexed { unindexed.insert(id) }
    }

    mutating func setStatus(_ status: FileRecord.Status, of id: UInt32) {
        let old = records[Int(id)].status
        guard old != status else { return }
        if old == .dirty { dirty.remove(id) }
        if old == .unindexed { unindexed.remove(id) }
        if status == .dirty {
            dirty.insert(id)
            records[Int(id)].dirtySince = .now
        }
        if status == .unindexed { unindexed.insert(id) }
        if status == .removed { ids[PathKey(records[Int(id)].path)] = nil }
        records[Int(id)].status = status
    }

    mutating func setOutcome(_ outcome: BuildOutcome, of id: UInt32) {
        switch outcome {
        case .indexed(let identity):
            records[Int(id)].identity = identity
            setStatus(.indexed, of: id)
        case .unindexed:
            setStatus(.unindexed, of: id)
        case .changed:
            setStatus(.dirty, of: id)
        }
    }

    mutating func markChanged(_ path: [UInt8]) {
        guard let id = ids[PathKey(path)] else { return }
        records[Int(id)].generation &+= 1
        if records[Int(id)].status == .indexed { setStatus(.dirty, of: id) }
    }

    mutating func remove(_ path: [UInt8]) {
        guard let id = ids[PathKey(path)] else { return }
        records[Int(id)].generation &+= 1
        setStatus(.removed, of: id)
    }

    mutating func removeDirectory(_ path: [UInt8]) {
        let key = PathKey(path)
        directories = directories.filter { !$0.isWithin(key) }
        for (file, id) in ids where file.isWithin(key) {
            records[Int(id)].generation &+= 1
            setStatus(.removed, of: id)
        }
    }

    // MARK: Changes

    mutating func apply(_ change: IndexChange) {
        updates += 1
        switch change {
        case .created(let path):
            appeared(path)
        case .createdDirectory(let path):
            appeared(path)
        case .changed(let path):
            markChanged(path)
            if ignoreFileNames.contains(Array(path.lastComponent)) { rulesChanged(in: path.parentPath) }
        case .removed(let path):
            remove(path)
            if ignoreFileNames.contains(Array(path.lastComponent)) { rulesChanged(in: path.parentPath) }
        case .removedDirectory(let path):
            removeDirectory(path)
        case .renamed(let from, let to):
            if directories.contains(PathKey(from)) {
                removeDirectory(from)
            } else {
                remove(from)
                if ignoreFileNames.contains(Array(from.lastComponent)) { rulesChanged(in: from.parentPath) }
            }
            appeared(to)
        case .rescan:
            needsFullCheck = true
        }
    }

    /// A file or directory appeared: its directory is listed again before the next
    /// answer (if the walk enters that directory at all).
    private mutating func appeared(_ path: [UInt8]) {
        let parent = PathKey(path.parentPath)
        guard directories.contains(parent) else { return }
        if let id = ids[PathKey(path)] { records[Int(id)].generation &+= 1 }
        // Whatever was at that path before (a file replaced by a rename) is read again.
        markChanged(path)
        shallowDirty.insert(parent)
        if ignoreFileNames.contains(Array(path.lastComponent)) { rulesChanged(in: parent.bytes) }
    }

    private mutating func rulesChanged(in directory: [UInt8]) {
        let key = PathKey(directory)
        if directories.contains(key) { deepDirty.insert(key) }
    }

    // MARK: Structure

    /// The directories to walk before the next answer, taken (cleared) from the state.
    mutating func takeStructureWork(root: [UInt8]) -> StructureWork? {
        var work = StructureWork()
        if needsFullCheck {
            needsFullCheck = false
            shallowDirty.removeAll()
            deepDirty.removeAll()
            work.deep = [PathKey(root)]
            work.checkIdentities = true
            return work
        }
        guard !shallowDirty.isEmpty || !deepDirty.isEmpty else { return nil }
        let deep = deepDirty.sorted(by: <)
        // A directory inside another walked whole needs no walk of its own.
        for directory in deep where !work.deep.contains(where: { directory.isWithin($0) }) {
            work.deep.append(directory)
        }
        work.shallow = shallowDirty.filter { directory in !work.deep.contains { directory.isWithin($0) } }.sorted(by: <)
        shallowDirty.removeAll()
        deepDirty.removeAll()
        return work
    }

    /// Puts what the walks found into the table: new files (dirty: not read yet), files
    /// gone, directories new and gone. New directories found by a listing are walked
    /// next time round.
    mutating func applyWalk(_ walked: WalkedDirectories, of work: StructureWork) {
        for (directory, errors) in walked.errors {
            walkErrors.removeAll { error in error.path.map { Array($0.utf8).isWithin(directory.bytes) } ?? false }
            walkErrors += errors
        }
        for (directory, entries) in walked.deep {
            var files = Set<PathKey>()
            var found = Set<PathKey>()
            files.reserveCapacity(entries.count)
            for entry in entries {
                if entry.kind == .directory {
                    found.insert(PathKey(entry.pathBytes))
                } else {
                    files.insert(PathKey(entry.pathBytes))
                }
            }
            if !entries.isEmpty { found.insert(directory) }
            directories = directories.filter { !$0.isWithin(directory) }.union(found)
            for (path, id) in ids where path.isWithin(directory) && !files.contains(path) {
                setStatus(.removed, of: id)
            }
            for path in files {
                if let id = ids[path] {
                    if work.checkIdentities, records[Int(id)].status == .indexed,
                       walked.identities[path].map({ !Self.sameContents($0, records[Int(id)].identity) }) ?? true
                    {
                        setStatus(.dirty, of: id)
                    }
                } else {
                    add(path: path.bytes, status: .dirty)
                }
            }
        }
        for (directory, entries) in walked.shallow {
            guard !entries.isEmpty || directories.contains(directory) else { continue }
            var files = Set<PathKey>()
            var subdirectories = Set<PathKey>()
            for entry in entries {
                if entry.kind == .directory { subdirectories.insert(PathKey(entry.pathBytes)) } else { files.insert(PathKey(entry.pathBytes)) }
            }
            // Only what appeared: what went away comes as its own event (`unlink`,
            // `unlinkDir`, the source of a `rename`), applied in order, and a lost event
            // walks the whole root. Looking for the vanished here would scan the whole
            // table for the directory's children (32 ms per new file on 100,000 files).
            for path in files where ids[path] == nil {
                add(path: path.bytes, status: .dirty)
            }
            for subdirectory in subdirectories where !directories.contains(subdirectory) {
                directories.insert(subdirectory)
                deepDirty.insert(subdirectory)
            }
        }
    }

    static func sameContents(_ a: FileIdentity, _ b: FileIdentity?) -> Bool {
        guard let b else { return false }
        return a.device == b.device && a.inode == b.inode && a.size == b.size
            && a.modificationTime == b.modificationTime && a.changeTime == b.changeTime
    }

    // MARK: Re-reading

    func dirtyWork(limit: Int) -> [(UInt32, [UInt8], UInt32)] {
        var work: [(UInt32, [UInt8], UInt32)] = []
        for id in dirty.prefix(limit) {
            work.append((id, records[Int(id)].path, records[Int(id)].generation))
        }
        return work
    }

    /// Takes a re-read file's trigrams, unless a change came after it was read.
    mutating func commitReindex(_ id: UInt32, generation: UInt32, outcome: BuildOutcome, keys: [UInt32]) -> Bool {
        guard records[Int(id)].generation == generation, records[Int(id)].status == .dirty else { return false }
        if case .indexed = outcome {
            for key in keys { overlay[key, default: []].append(id) }
            overlayEntries += keys.count
            records[Int(id)].inOverlay = true
        }
        setOutcome(outcome, of: id)
        return outcome.isIndexed
    }

    // MARK: Answers

    func candidates(_ plan: IndexPlan?, windowPlan: IndexPlan?, under base: [UInt8], isRoot: Bool) -> LiveIndex.Candidates {
        var chosen: [UInt32]
        if let plan, var found = plan.evaluate(segment: segment, overlay: overlay) {
            if !windowFiles.isEmpty {
                if let windowPlan, let hits = windowPlan.evaluate(segment: windows, overlay: [:]) {
                    found += Set(hits.compactMap { $0 < windowFiles.count ? windowFiles[Int($0)] : nil })
                } else {
                    found += Set(windowFiles)
                }
                found = Array(Set(found))
            }
            chosen = found.filter { $0 < records.count && records[Int($0)].status == .indexed }
            chosen += dirty
            chosen += unindexed
        } else {
            chosen = ids.values.map { $0 }
        }
        var under = 0
        var paths: [[UInt8]] = []
        paths.reserveCapacity(chosen.count)
        for id in chosen {
            let path = records[Int(id)].path
            if isRoot || path.isWithin(base) { paths.append(path) }
        }
        if isRoot {
            under = ids.count
        } else {
            let baseKey = PathKey(base)
            for path in ids.keys where path.isWithin(baseKey) { under += 1 }
        }
        paths.sort { $0.lexicographicallyPrecedes($1) }
        let errors = walkErrors.filter { error in error.path.map { Array($0.utf8).isWithin(base) } ?? false }
        return LiveIndex.Candidates(paths: paths, filesUnderBase: under, filtered: plan != nil, walkErrors: errors)
    }

    var memoryBytes: Int {
        var bytes = segment.memoryBytes + windows.memoryBytes + windowFiles.count * 4 + overlayEntries * 4 + overlay.count * 48
        bytes += records.count * (MemoryLayout<FileRecord>.stride + 48)
        bytes += records.reduce(0) { $0 + $1.path.count } * 2
        return bytes
    }

    mutating func drop(reason: String) {
        let keep = (buildSeconds, updates, diskBytes)
        self = IndexState()
        (buildSeconds, updates, diskBytes) = keep
        phase = .off
        self.reason = reason
    }

    func statistics() -> LiveIndex.Statistics {
        var statistics = LiveIndex.Statistics(phase: phase)
        statistics.files = ids.count
        statistics.bytes = records.reduce(0) { $0 + ($1.status == .removed ? 0 : ($1.identity?.size ?? 0)) }
        statistics.ngrams = segment.keys.count + windows.keys.count
        statistics.memoryBytes = phase == .ready ? memoryBytes : 0
        statistics.diskBytes = diskBytes
        statistics.buildSeconds = buildSeconds
        statistics.updates = updates
        statistics.unindexedFiles = unindexed.count
        statistics.dirtyFiles = dirty.count
        let now = ContinuousClock.now
        if let oldest = dirty.compactMap({ records[Int($0)].dirtySince }).min() {
            let waited = now - oldest
            statistics.lagMs = Double(waited.components.seconds) * 1000 + Double(waited.components.attoseconds) / 1e15
        }
        statistics.reason = reason
        return statistics
    }
}
