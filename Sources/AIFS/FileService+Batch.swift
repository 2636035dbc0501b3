import AIFSCache
@_spi(Syscalls) public import AIFSCore
public import AIFSWork

extension FileService {
    /// Writes a whole file atomically: a temporary file in the same directory, fsync,
    /// rename; a replaced file keeps its mode; missing parent directories are made.
    /// The `write_file` tool.
    ///
    /// - Parameters:
    ///   - path: With roots, resolved inside them.
    ///   - content: The whole new contents.
    /// - Throws: ``AIFSWork/WorkError``: `.outsideRoots`, `.isADirectory`,
    ///   `.permissionDenied`, `.io`. On failure the old file is untouched.
    ///   - expectedVersion: Write only if the file has this version (see
    ///     ``AIFSWork/ContentVersion``); nil to write whatever is there.
    /// - Returns: The version of the new contents.
    @discardableResult
    public func writeFile(path: String, content: String, expectedVersion: String? = nil) async throws(WorkError) -> ContentVersion {
        let resolved = try resolveForWriting(path)
        defer { contentCache?.invalidate(path: resolved) }
        try await BlockingExecutor.shared.perform { () throws(WorkError) in
            try checkVersion(resolved, shownAs: path, expected: expectedVersion)
            try AtomicFile.write(content, to: resolved, createDirectories: true)
        }
        let bytes = Array(content.utf8)
        let version = ContentVersion.of(bytes)
        remember(bytes, as: version)
        return version
    }

    /// Applies `oldText` → `newText` edits to a text file, each `oldText` occurring
    /// exactly once; returns the new text and the unified diff. The `edit_file` tool.
    ///
    /// - Parameters:
    ///   - path: With roots, resolved inside them.
    ///   - edits: Applied in order, each to the result of the ones before.
    ///   - dryRun: Compute the diff, write nothing.
    /// - Throws: ``AIFSWork/WorkError``: `.editNotFound`, `.editAmbiguous` (how many
    ///   times, which lines), `.notFound`, `.invalidArgument` (not UTF-8, too large),
    ///   `.outsideRoots`. Nothing is written when any edit fails.
    ///   - expectedVersion: Edit only if the file has this version; nil to edit
    ///     whatever is there.
    public func editFile(
        path: String, edits: [TextEdit], dryRun: Bool = false, expectedVersion: String? = nil
    ) async throws(WorkError) -> EditResult {
        let resolved = try resolveForWriting(path)
        defer { if !dryRun { contentCache?.invalidate(path: resolved) } }
        return try await BlockingExecutor.shared.perform { () throws(WorkError) -> EditResult in
            try checkVersion(resolved, shownAs: path, expected: expectedVersion)
            let text = try AtomicFile.readText(resolved)
            let result = try TextEdits.preview(edits, to: text, path: path)
            if !dryRun && result.text != text { try AtomicFile.write(result.text, to: resolved) }
            return result
        }
    }

    /// Applies a patch in Codex's `apply_patch` format all or nothing: it becomes a
    /// transaction (see ``AIFSWork/Patch``), so a hunk that matches nothing, or any
    /// failure, leaves every file as it was. The `apply_patch` tool.
    ///
    /// - Parameters:
    ///   - text: The patch, from `*** Begin Patch` to `*** End Patch`.
    ///   - dryRun: Validate and compute the diffs; change nothing.
    ///   - expectedVersions: The version each named file must have (as a read
    ///     returned it), by path; every path must be one the patch adds, deletes or
    ///     updates. A file at another version refuses the whole patch, as a guarded
    ///     ``writeFile(path:content:expectedVersion:)`` does.
    /// - Returns: The transaction's report: one step per operation, with its diff.
    /// - Throws: ``AIFSWork/WorkError``: `.versionMismatch` for a file changed since
    ///   its read, `.invalidArgument` for a malformed patch (with
    ///   its line), `.editNotFound` for a hunk that matches nothing (with the closest
    ///   lines of the file), and whatever the transaction throws.
    public func applyPatch(
        _ text: String, dryRun: Bool = false, expectedVersions: [String: String] = [:]
    ) async throws(WorkError) -> TransactionReport {
        let patch = try Patch.parse(text)
        let transaction = try await BlockingExecutor.shared.perform { () throws(WorkError) -> Transaction in
            // The versions first: a stale file must be refused as stale, not as a hunk
            // that no longer matches.
            var expectedByResolved: [String: String] = [:]
            if !expectedVersions.isEmpty {
                var touched: [String: String] = [:]
                for change in patch.changes {
                    let path: String
                    switch change {
                    case .add(let added, _): path = added
                    case .delete(let deleted): path = deleted
                    case .update(let updated, _, _): path = updated
                    }
                    touched[try self.resolveForWriting(path)] = path
                }
                for (path, expected) in expectedVersions.sorted(by: { $0.key < $1.key }) {
                    let resolved = try self.resolveForWriting(path)
                    guard let shown = touched[resolved] else {
                        throw WorkError(
                            .invalidArgument,
                            "expectedVersions names '\(path)', which the patch does not add, delete or update; nothing was applied: "
                                + "name only the patch's files (\(touched.values.sorted().joined(separator: ", ")))",
                            path: path)
                    }
                    try self.checkVersion(resolved, shownAs: shown, expected: expected)
                    expectedByResolved[resolved] = expected
                }
            }
            var transaction = try patch.transaction { path throws(WorkError) -> String? in
                let resolved = try self.resolveForWriting(path)
                guard (try? FileSystemCalls.status(resolved, followSymlinks: true)) != nil else { return nil }
                return try AtomicFile.readText(resolved)
            }
            // Checked again in the transaction's plan, right before it writes: the first
            // operation on each file carries its version.
            for index in transaction.operations.indices where !expectedByResolved.isEmpty {
                let resolved = try self.resolveForWriting(transaction.operations[index].path)
                if let expected = expectedByResolved.removeValue(forKey: resolved) {
                    transaction.operations[index].expectedVersion = expected
                }
            }
            return transaction
        }
        return try await applyTransaction(transaction, dryRun: dryRun)
    }

    /// Applies a transaction all or nothing (see ``AIFSWork/TransactionRunner``). The
    /// `transaction` tool.
    ///
    /// - Parameters:
    ///   - transaction: The operations; decode a JSON document with
    ///     ``AIFSWork/Transaction/decode(json:)``.
    ///   - dryRun: Validate and compute the diffs; change nothing.
    ///   - stateDirectory: Where the journal goes; the default state directory when nil.
    /// - Throws: ``AIFSWork/WorkError``; with roots, every path and destination must
    ///   resolve inside them (`.outsideRoots`) before anything is applied.
    public func applyTransaction(
        _ transaction: Transaction, dryRun: Bool = false, stateDirectory: String? = nil
    ) async throws(WorkError) -> TransactionReport {
        var options = TransactionOptions()
        options.dryRun = dryRun
        options.stateDirectory = stateDirectory
        return try await applyTransaction(transaction, options: options)
    }

    /// Applies a transaction with every option (test hooks included); with roots, the
    /// roots check replaces `options.resolve`.
    ///
    /// - Throws: As ``applyTransaction(_:dryRun:stateDirectory:)``.
    public func applyTransaction(_ transaction: Transaction, options: TransactionOptions) async throws(WorkError) -> TransactionReport {
        var options = options
        if let roots {
            options.resolve = { path throws(WorkError) in
                do throws(CoreError) { return try roots.resolve(path) } catch { throw WorkError(error) }
            }
        }
        let service = self
        options.checkVersion = { resolved, shown, expected throws(WorkError) in
            try service.checkVersion(resolved, shownAs: shown, expected: expected)
        }
        let prepared = options
        let report = try await BlockingExecutor.shared.perform { () throws(WorkError) -> TransactionReport in
            try TransactionRunner.run(transaction, options: prepared)
        }
        if report.applied, let contentCache {
            for step in report.steps {
                contentCache.invalidate(directory: step.path)
                if let destination = step.destination { contentCache.invalidate(directory: destination) }
            }
        }
        return report
    }

    /// The files a batch works on: the regular files under `paths` (walked with
    /// `walkOptions`, sorted by path), each with its destination under
    /// `destinationDirectory` when one is given.
    ///
    /// A file found under a directory PATH keeps its place relative to it
    /// (`src/a/b.txt` from `src` goes to `DEST/a/b.txt`); a file named directly goes to
    /// `DEST/<its name>`.
    ///
    /// - Returns: The items, and the errors met while walking (unreadable directories,
    ///   missing paths) for the caller to report.
    /// - Throws: ``AIFSWork/WorkError`` for invalid walk options, or a path or the
    ///   destination outside the roots.
    public func batchItems(
        _ paths: [String], walkOptions: WalkOptions = WalkOptions(), destinationDirectory: String? = nil
    ) throws(WorkError) -> (items: [BatchItem], errors: [CoreError]) {
        var options = walkOptions
        options.sortByPath = true
        let given = paths.isEmpty ? (roots.map { [$0.paths[0]] } ?? ["."]) : paths
        let starts: [String]
        do { starts = try given.map { path throws(CoreError) in try resolve(path) } } catch { throw WorkError(error) }
        let destination = try destinationDirectory.map { path throws(WorkError) in try resolveForWriting(path) }
        let (entries, errors): ([WalkEntry], [CoreError])
        // No PATH and no roots: walk the current directory without a "./" prefix, as
        // `aifs files` does.
        let fromCurrentDirectory = paths.isEmpty && roots == nil
        do { (entries, errors) = try files(fromCurrentDirectory ? [] : starts, options: options) } catch { throw WorkError(error) }
        let mapping = BatchItemMapping(starts: starts, destination: destination, fromCurrentDirectory: fromCurrentDirectory)
        return (entries.compactMap(mapping.item(for:)), errors)
    }

    /// Runs a batch operation over `items` on a pool of dedicated threads; results
    /// come to `onResult` in input order. The `batch_operations` tool.
    ///
    /// - Throws: ``AIFSWork/WorkError`` with `.outsideRoots` when an item or its
    ///   destination leaves the roots (checked for all items before any runs).
    ///   Per-file failures are results, not throws.
    public func runBatch(
        _ items: [BatchItem], operation: BatchOperation, options: BatchOptions = BatchOptions(),
        onResult: (BatchResult) -> Void
    ) async throws(WorkError) -> BatchSummary {
        var checked = items
        if roots != nil {
            for index in checked.indices {
                checked[index].path = try resolveForWriting(checked[index].path)
                if let destination = checked[index].destination {
                    checked[index].destination = try resolveForWriting(destination)
                }
            }
        }
        let summary = await BatchRunner.run(checked, operation: operation, options: options, onResult: onResult)
        if operation.changesFiles, !options.dryRun, let contentCache {
            for item in checked {
                contentCache.invalidate(directory: item.path)
                if let destination = item.destination { contentCache.invalidate(directory: destination) }
            }
        }
        return summary
    }

    /// Rolls back transactions interrupted by a crash (see
    /// ``AIFSWork/TransactionJournal/recover(stateDirectory:)``); the faces call it at
    /// start-up.
    public static func recoverInterruptedTransactions(stateDirectory: String? = nil) -> [TransactionJournal.Recovery] {
        TransactionJournal.recover(stateDirectory: stateDirectory ?? TransactionJournal.defaultStateDirectory())
    }

    func resolveForWriting(_ path: String) throws(WorkError) -> String {
        do { return try resolve(path) } catch { throw WorkError(error) }
    }
}

extension FileService {
    /// Makes a directory and its missing parents; one that exists already is fine. The
    /// `create_directory` tool.
    ///
    /// - Returns: Whether the directory was made (false when it existed).
    /// - Throws: ``AIFSWork/WorkError``: `.outsideRoots`, `.notADirectory` (the path or
    ///   a parent is a file), `.permissionDenied`.
    @discardableResult
    public func createDirectory(path: String) async throws(WorkError) -> Bool {
        let resolved = try resolveForWriting(path)
        return try await BlockingExecutor.shared.perform { () throws(WorkError) -> Bool in
            try FileOperations.createDirectory(resolved, shownAs: path)
        }
    }

    /// Moves or renames a file or directory; the destination must not exist. Missing
    /// parents of the destination are made. A symbolic link is moved itself, not its
    /// target. The `move_file` tool.
    ///
    /// - Throws: ``AIFSWork/WorkError``: `.outsideRoots` (either path), `.notFound`,
    ///   `.alreadyExists`, `.invalidArgument` (a directory into itself).
    public func moveFile(from source: String, to destination: String) async throws(WorkError) {
        let from = try resolveLeavingLastLink(source)
        let to = try resolveLeavingLastLink(destination)
        guard from != to else {
            throw WorkError(.invalidArgument, "'\(source)' and '\(destination)' are the same path; nothing to move", path: source)
        }
        guard !to.hasPrefix(from + "/") else {
            throw WorkError(.invalidArgument, "cannot move '\(source)' into itself ('\(destination)'); choose a destination outside it", path: destination)
        }
        try await BlockingExecutor.shared.perform { () throws(WorkError) in
            try FileOperations.move(from, to: to, shownAs: (source, destination))
        }
        contentCache?.invalidate(directory: from)
        contentCache?.invalidate(directory: to)
    }

    /// `path` resolved inside the roots with its last component kept as it is, so a
    /// link there is the link, not its target.
    private func resolveLeavingLastLink(_ path: String) throws(WorkError) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else {
            guard trimmed != "." && trimmed != ".." else { return try resolveForWriting(path) }
            let base = try resolveForWriting(".")
            return (base == "/" ? "" : base) + "/" + trimmed
        }
        let name = trimmed[trimmed.index(after: slash)...]
        guard name != "." && name != ".." && !name.isEmpty else { return try resolveForWriting(path) }
        let parent = slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
        let resolvedParent = try resolveForWriting(parent)
        return (resolvedParent == "/" ? "" : resolvedParent) + "/" + name
    }
}
