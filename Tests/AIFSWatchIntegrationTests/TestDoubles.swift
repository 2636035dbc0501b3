import AIFSCore
import SystemPackage

@testable import AIFSWatch

/// The disk, with places for a test to act between the watcher's looks: before a stat
/// of a path, after a listing of a directory, and a file-system type of its choosing.
/// The way swift-system's mocking replaces system calls, without hooks in the types
/// under test.
final class InterposedFileSystem: WatchFileSystem {
    private let disk = LiveWatchFileSystem()
    /// Called before each stat, with the path and whether a final link is followed.
    var beforeStatus: ((String, Bool) -> Void)?
    /// Called after each listing of a directory, before its entries are returned.
    var afterListing: ((String) -> Void)?
    /// The `statfs` type a directory is taken to be on (`nil`: ask the kernel).
    var fileSystemType: ((String) -> Int64?)?

    func entryKind(atPath path: String) -> EntryKind? { disk.entryKind(atPath: path) }

    func listDirectory(atPath path: String, followSymlinks: Bool) throws(Errno) -> [DirectoryEntry] {
        let entries = try disk.listDirectory(atPath: path, followSymlinks: followSymlinks)
        afterListing?(path)
        return entries
    }

    func status(atPath path: String, followSymlinks: Bool) throws(Errno) -> FileIdentity {
        beforeStatus?(path, followSymlinks)
        return try disk.status(atPath: path, followSymlinks: followSymlinks)
    }

    func realPath(_ path: String) throws(Errno) -> String { try disk.realPath(path) }
    func readSmallFile(atPath path: String) -> [UInt8]? { disk.readSmallFile(atPath: path) }
    func readInteger(atPath path: String) -> Int? { disk.readInteger(atPath: path) }

    func fileSystemType(atPath path: String) throws(Errno) -> Int64 {
        if let forced = fileSystemType?(path) { return forced }
        return try disk.fileSystemType(atPath: path)
    }
}

// @unchecked Sendable: handed to the watch thread once, before it starts; only that
// thread uses it afterwards.
extension InterposedFileSystem: @unchecked Sendable {}

/// The backend a watcher chose, with the kernel's answer to some `addWatch` calls
/// replaced by an error (the watch limit, permission denied), and each batch of raw
/// records and listings shown to `onRead` (for debugging dumps).
final class InterposedBackend: FileWatcherBackend {
    private let backend: any FileWatcherBackend
    private let failure: (String) -> Errno?
    private let onRead: (BackendBatch) -> Void

    init(
        _ backend: any FileWatcherBackend, failing failure: @escaping (String) -> Errno? = { _ in nil },
        onRead: @escaping (BackendBatch) -> Void = { _ in }
    ) {
        self.backend = backend
        self.failure = failure
        self.onRead = onRead
    }

    func addWatch(directory: String) throws(Errno) -> WatchDescriptor {
        if let error = failure(directory) { throw error }
        return try backend.addWatch(directory: directory)
    }

    func addFallbackWatch(directory: String) throws(Errno) -> WatchDescriptor {
        try backend.addFallbackWatch(directory: directory)
    }

    var polledDirectoryCount: Int { backend.polledDirectoryCount }

    func removeWatch(_ descriptor: WatchDescriptor) { backend.removeWatch(descriptor) }

    func wait(timeoutMilliseconds: Int?) throws(Errno) -> BackendWake {
        try backend.wait(timeoutMilliseconds: timeoutMilliseconds)
    }

    func read(into batch: inout BackendBatch) throws(Errno) {
        try backend.read(into: &batch)
        onRead(batch)
    }
}

extension WatchEnvironment {
    /// The real disk and clocks, with some watches failing with `failure`'s error.
    static func failingWatches(_ failure: @escaping @Sendable (String) -> Errno?) -> WatchEnvironment {
        var environment = WatchEnvironment()
        environment.adaptBackend = { InterposedBackend($0, failing: failure) }
        return environment
    }

    /// The real disk and clocks, with roots taken to be on the file system `type` says.
    static func fileSystemTypes(_ type: @escaping (String) -> Int64?) -> WatchEnvironment {
        let fileSystem = InterposedFileSystem()
        fileSystem.fileSystemType = type
        var environment = WatchEnvironment()
        environment.fileSystem = fileSystem
        return environment
    }
}
