@_spi(Syscalls) import AIFSCore
import SystemPackage

/// Moves and removals shared by transactions and batch operations.
enum FileMover {
    /// Moves `source` to `destination`.
    ///
    /// Without `overwrite` an existing destination is an error, checked atomically for
    /// files (a hard link fails when the name exists; then the old name is removed).
    /// Across file systems the file is copied (and fsync'd), then the source removed.
    ///
    /// - Throws: ``WorkError`` with `.alreadyExists`, `.notFound`, `.permissionDenied`…
    ///   - temporary: The temporary name a copy across file systems goes through (one a
    ///     journal recorded); nil for a fresh one.
    static func move(_ source: String, to destination: String, overwrite: Bool, temporary: String? = nil) throws(WorkError) {
        if overwrite {
            do {
                try FileSystemCalls.rename(source, to: destination)
                syncParents(source, destination)
                return
            } catch .improperLink {
                try moveAcrossFileSystems(source, to: destination, overwrite: true, temporary: temporary)
                return
            } catch {
                throw WorkError(errno: error, operation: "move '\(source)' to", path: destination)
            }
        }
        do {
            try FileSystemCalls.link(source, to: destination)
        } catch .fileExists {
            throw WorkError.destinationExists(source, destination)
        } catch .improperLink {
            try moveAcrossFileSystems(source, to: destination, overwrite: false, temporary: temporary)
            return
        } catch .noSuchFileOrDirectory {
            throw WorkError(errno: .noSuchFileOrDirectory, operation: "move '\(source)' to", path: destination)
        } catch {
            // Directories, and file systems without hard links: check, then rename
            // (a destination created in between would be replaced: documented).
            if (try? FileSystemCalls.status(destination, followSymlinks: false)) != nil {
                throw WorkError.destinationExists(source, destination)
            }
            do { try FileSystemCalls.rename(source, to: destination) } catch {
                throw WorkError(errno: error, operation: "move '\(source)' to", path: destination)
            }
            syncParents(source, destination)
            return
        }
        do { try FileSystemCalls.unlink(source) } catch {
            try? FileSystemCalls.unlink(destination)
            throw WorkError(errno: error, operation: "remove the old name after moving", path: source)
        }
        syncParents(source, destination)
    }

    private static func moveAcrossFileSystems(
        _ source: String, to destination: String, overwrite: Bool, temporary: String?
    ) throws(WorkError) {
        let identity: FileIdentity
        do { identity = try FileSystemCalls.status(source, followSymlinks: false) } catch {
            throw WorkError(errno: error, operation: "move", path: source)
        }
        guard identity.kind == .regular else {
            throw WorkError(.invalidArgument, "cannot move '\(source)' to another file system: only regular files are copied across; it is \(identity.kind.phrase)", path: source)
        }
        try AtomicFile.copy(source, to: destination, overwrite: overwrite, temporary: temporary)
        do { try FileSystemCalls.unlink(source) } catch {
            throw WorkError(errno: error, operation: "remove the source after copying it to '\(destination)'", path: source)
        }
    }

    /// Removes a file (or link, or empty directory).
    static func remove(_ path: String) throws(WorkError) {
        do { try FileSystemCalls.unlink(path) } catch .isDirectory {
            do { try FileSystemCalls.removeDirectory(path) } catch {
                throw WorkError(errno: error, operation: "remove the directory", path: path)
            }
        } catch {
            throw WorkError(errno: error, operation: "remove", path: path)
        }
    }

    private static func syncParents(_ paths: String...) {
        for path in Set(paths.map { AtomicFile.split($0).directory }) {
            try? FileSystemCalls.synchronizeDirectory(path)
        }
    }
}

extension WorkError {
    /// A copy or move whose destination exists, without overwriting allowed.
    static func destinationExists(_ source: String, _ destination: String, file: String = #fileID, line: Int = #line) -> WorkError {
        WorkError(
            .alreadyExists,
            "cannot put '\(source)' at '\(destination)': it already exists; \(ErrorHint.allowOverwrite.advice)",
            path: destination, underlying: .fileExists, hint: .allowOverwrite, file: file, line: line)
    }
}
