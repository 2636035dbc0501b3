import AIFSTestSupport
import Foundation
import Synchronization
import Testing

@testable import AIFSCore

@Suite struct WalkerTests {
    @Test func sortedOrderIsComponentByComponent() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["a/b": "", "a.b": "", "ab": "", "a/z/c": "", "B": "", "é": ""])
        let (paths, _) = try walkRelative(dir)
        #expect(paths == ["B", "a/b", "a/z/c", "a.b", "ab", "é"])
    }

    /// The comparison skips equal prefixes eight bytes at a time: differences at every
    /// offset around those steps, `/` against other bytes, and prefixes of each other
    /// must order as the plain component-by-component comparison does.
    @Test func pathOrderAgreesWithComparingComponents() {
        func byComponents(_ a: [UInt8], _ b: [UInt8]) -> Bool {
            a.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
                .lexicographicallyPrecedes(b.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)) {
                    $0.lexicographicallyPrecedes($1)
                }
        }
        let base = Array("bench/corpora/batch-10k/d42/".utf8)
        var paths: [[UInt8]] = []
        for length in 0..<20 {
            for last in ["a", "b", "/", ".", "é"] {
                paths.append(base + Array(repeating: UInt8(ascii: "x"), count: length) + Array(last.utf8))
                paths.append(Array(repeating: UInt8(ascii: "y"), count: length) + Array(last.utf8) + Array("z".utf8))
            }
        }
        var disagreements: [String] = []
        for a in paths {
            for b in paths where PathOrder.precedes(a, b) != byComponents(a, b) {
                disagreements.append("\(String(decoding: a, as: UTF8.self)) vs \(String(decoding: b, as: UTF8.self))")
            }
        }
        #expect(disagreements.isEmpty)
    }

    @Test func directoriesAreDeliveredBeforeTheirContents() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["d/e/f": ""])
        let (paths, _) = try walkRelative(dir, includeDirectories: true)
        #expect(paths == [".", "d", "d/e", "d/e/f"])
    }

    @Test func unsortedParallelWalkFindsEveryFile() throws {
        let dir = try TemporaryDirectory()
        var expected: Set<String> = []
        for d in 0..<20 {
            for f in 0..<50 {
                let name = "d\(d)/sub\(f % 3)/f\(f).txt"
                try dir.file(name)
                expected.insert(dir.path(name))
            }
        }
        var options = WalkOptions()
        options.threads = 4
        let walker = try Walker(options: options)
        let found = Mutex<[String]>([])
        walker.walk([dir.path]) {
            ClosureVisitor(onEntry: { entry in
                if entry.kind == .regular { found.withLock { $0.append(entry.path) } }
                return .continue
            })
        }
        let paths = found.withLock { $0 }
        #expect(paths.count == expected.count)
        #expect(Set(paths) == expected)
    }

    @Test func explicitFilesAreListedEvenIfHiddenOrIgnored() throws {
        let dir = try TemporaryDirectory()
        try dir.tree([".git/": "", ".gitignore": "*.log", "a.log": "", ".hidden": ""])
        var options = WalkOptions()
        options.globs = ["*.swift"]
        let (paths, errors) = try walkRelative(dir, ["a.log", ".hidden"], options: options)
        #expect(errors.isEmpty)
        #expect(paths == ["a.log", ".hidden"])  // starting paths keep their order
    }

    @Test func missingStartingPathIsReportedAndOthersStillWalked() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["ok/a": ""])
        let (paths, errors) = try walkRelative(dir, ["missing", "ok"])
        #expect(paths == ["ok/a"])
        #expect(errors.count == 1)
        #expect(errors.first?.code == .notFound)
        #expect(errors.first?.path == dir.path("missing"))
        #expect(errors.first?.message.contains(dir.path("missing")) == true)
    }

    @Test func nulInStartingPathIsReported() throws {
        let (entries, errors) = try Walker().collect(["bad\0path"])
        #expect(entries.isEmpty)
        #expect(errors.first?.code == .invalidPath)
    }

    @Test func symlinksAreNotFollowedByDefault() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["real/a": ""])
        try dir.symlink("link", to: "real")
        try dir.symlink("flink", to: "real/a")
        let walker = try Walker()
        let (entries, errors) = walker.collect([dir.path])
        #expect(errors.isEmpty)
        let byName = Dictionary(entries.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byName[dir.path("link")]?.kind == .symlink)
        #expect(byName[dir.path("flink")]?.kind == .symlink)
        #expect(byName[dir.path("link/a")] == nil)
    }

    @Test func followedSymlinksAreDescendedAndLoopsReported() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["real/a": "", "real/sub/b": ""])
        try dir.symlink("link", to: "real")
        try dir.symlink("real/sub/up", to: "..")
        try dir.symlink("broken", to: "nowhere")
        var options = WalkOptions()
        options.followSymlinks = true
        let (paths, errors) = try walkRelative(dir, options: options)
        #expect(paths == ["link/a", "link/sub/b", "real/a", "real/sub/b"])
        let loops = errors.filter { $0.code == .symlinkLoop }
        #expect(loops.count == 2, "\(errors)")  // real/sub/up and link/sub/up
        #expect(loops.allSatisfy { $0.message.contains("file system loop") })
        let broken = errors.filter { $0.code == .notFound }
        #expect(broken.map(\.path) == [dir.path("broken")])
    }

    @Test func symlinkedStartingDirectoryIsFollowed() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["real/a": ""])
        try dir.symlink("link", to: "real")
        let (paths, errors) = try walkRelative(dir, ["link"])
        #expect(errors.isEmpty)
        #expect(paths == ["link/a"])
    }

    @Test func maxDepthZeroYieldsOnlyTheStartingPaths() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["a": "", "d/b": ""])
        var options = WalkOptions()
        options.maxDepth = 0
        let (paths, _) = try walkRelative(dir, ["", "a"], options: options, includeDirectories: true)
        #expect(paths == [".", "a"])
    }

    @Test func maxFileSizeSkipsLargerFiles() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["small": "12345", "exact": "1234567890", "large": String(repeating: "x", count: 11)])
        var options = WalkOptions()
        options.maxFileSize = 10
        let (paths, _) = try walkRelative(dir, options: options)
        #expect(paths == ["exact", "small"])
    }

    @Test func sameFileSystemStaysOnTheStartingDevice() throws {
        // /dev/shm is a separate tmpfs on Linux machines; skip where it is not.
        guard let shm = try? FileIdentity(path: "/dev/shm"),
              let tmp = try? FileIdentity(path: "/tmp"), shm.device != tmp.device,
              access("/dev/shm", W_OK) == 0
        else { return }
        let dir = try TemporaryDirectory()
        let elsewhere = "/dev/shm/aifs-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: elsewhere + "/inner", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        _ = FileManager.default.createFile(atPath: elsewhere + "/inner/far", contents: Data())
        try dir.file("near")
        try dir.symlink("mount", to: elsewhere)
        var options = WalkOptions()
        options.followSymlinks = true
        options.sameFileSystem = true
        let (paths, _) = try walkRelative(dir, options: options, includeDirectories: true)
        #expect(paths == [".", "mount", "near"])
        options.sameFileSystem = false
        let (all, _) = try walkRelative(dir, options: options, includeDirectories: true)
        #expect(all == [".", "mount", "mount/inner", "mount/inner/far", "near"])
    }

    @Test func vanishedDirectoryIsReportedAndTheWalkGoesOn() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["gone/a": "", "kept/b": ""])
        var options = WalkOptions()
        options.threads = 1
        let walker = try Walker(options: options)
        let seen = Mutex<[String]>([])
        let failures = Mutex<[CoreError]>([])
        let gone = dir.path("gone")
        walker.walk([dir.path]) {
            ClosureVisitor(
                onEntry: { entry in
                    // Remove the directory after it is listed but before it is read.
                    if entry.path == gone { try? FileManager.default.removeItem(atPath: gone) }
                    seen.withLock { $0.append(entry.path) }
                    return .continue
                },
                onError: { error in
                    failures.withLock { $0.append(error) }
                    return .continue
                })
        }
        #expect(seen.withLock { $0.contains(dir.path("kept/b")) })
        let errors = failures.withLock { $0 }
        #expect(errors.map(\.code) == [.notFound])
        #expect(errors.first?.path == gone)
    }

    @Test(.enabled(if: getuid() != 0, "root reads every directory"))
    func unreadableDirectoryIsReportedAndTheWalkGoesOn() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["locked/a": "", "open/b": ""])
        chmod(dir.path("locked"), 0)
        let (paths, errors) = try walkRelative(dir)
        #expect(paths == ["open/b"])
        #expect(errors.map(\.code) == [.permissionDenied])
        #expect(errors.first?.message.contains("permission denied") == true)
    }

    @Test func skipPrunesADirectory() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["skip/a": "", "skip/deep/b": "", "keep/c": ""])
        let skipped = dir.path("skip")
        for sorted in [false, true] {
            var options = WalkOptions()
            options.sortByPath = sorted
            options.threads = 1
            let found = Mutex<[String]>([])
            try Walker(options: options).walk([dir.path]) {
                ClosureVisitor(onEntry: { entry in
                    found.withLock { $0.append(entry.path) }
                    return entry.path == skipped ? .skip : .continue
                })
            }
            let paths = Set(found.withLock { $0 })
            #expect(paths.contains(skipped))
            #expect(paths.contains(dir.path("keep/c")))
            #expect(!paths.contains(dir.path("skip/a")), "sorted: \(sorted)")
            #expect(!paths.contains(dir.path("skip/deep/b")), "sorted: \(sorted)")
        }
    }

    @Test func quitStopsTheWalk() throws {
        let dir = try TemporaryDirectory()
        for i in 0..<200 { try dir.file("d\(i % 10)/f\(i)") }
        var options = WalkOptions()
        options.threads = 1
        let count = Mutex(0)
        try Walker(options: options).walk([dir.path]) {
            ClosureVisitor(onEntry: { _ in
                count.withLock { $0 += 1 }
                return count.withLock { $0 } >= 5 ? .quit : .continue
            })
        }
        #expect(count.withLock { $0 } == 5)
    }

    @Test func invalidOptionsAreRefused() {
        var options = WalkOptions()
        options.maxDepth = -1
        #expect(throws: CoreError.self) { try Walker(options: options) }
        options = WalkOptions()
        options.globs = ["[unclosed"]
        let error = #expect(throws: CoreError.self) { try Walker(options: options) }
        #expect(error?.code == .invalidGlob)
    }

    @Test func invalidIgnoreLinesAreWarningsNotErrors() throws {
        let dir = try TemporaryDirectory()
        try dir.tree([".ignore": "{broken\n*.log", "a.log": "", "b": ""])
        let (paths, errors) = try walkRelative(dir)
        #expect(paths == ["b"])
        #expect(errors.isEmpty)

        let warnings = Mutex<[CoreError]>([])
        try Walker().walk([dir.path]) {
            ClosureVisitor(onEntry: { _ in .continue }, onWarning: { warning in
                warnings.withLock { $0.append(warning) }
            })
        }
        let found = warnings.withLock { $0 }
        #expect(found.count == 1)
        #expect(found.first?.code == .invalidGlob)
        #expect(found.first?.message.contains(".ignore") == true)
    }
}
