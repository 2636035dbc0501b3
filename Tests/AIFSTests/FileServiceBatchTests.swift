import AIFS
import AIFSCore
import AIFSTestSupport
import AIFSWork
import Foundation
import Testing

/// The write, edit, transaction and batch entry points, through the roots check.
@Suite struct FileServiceBatchTests {
    @Test(.timeLimit(.minutes(1)))
    func writeAndEditStayInsideTheRoots() async throws {
        let dir = try TemporaryDirectory()
        let outside = try TemporaryDirectory()
        let service = FileService(roots: try Roots([dir.path]))
        try await service.writeFile(path: "notes/a.txt", content: "one\ntwo\n")
        #expect(try String(contentsOfFile: dir.path("notes/a.txt"), encoding: .utf8) == "one\ntwo\n")
        let preview = try await service.editFile(path: "notes/a.txt", edits: [TextEdit(oldText: "two", newText: "2")], dryRun: true)
        #expect(preview.diff.contains("-two\n+2\n"))
        #expect(try String(contentsOfFile: dir.path("notes/a.txt"), encoding: .utf8) == "one\ntwo\n")
        _ = try await service.editFile(path: "notes/a.txt", edits: [TextEdit(oldText: "two", newText: "2")])
        #expect(try String(contentsOfFile: dir.path("notes/a.txt"), encoding: .utf8) == "one\n2\n")
        await #expect(throws: WorkError.self) { try await service.writeFile(path: outside.path("x.txt"), content: "x") }
        await #expect(throws: WorkError.self) { try await service.writeFile(path: "../escape.txt", content: "x") }
        #expect(!FileManager.default.fileExists(atPath: outside.path("x.txt")))
    }

    @Test(.timeLimit(.minutes(1)))
    func aTransactionLeavingTheRootsAppliesNothing() async throws {
        let dir = try TemporaryDirectory()
        let outside = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.file("a.txt", "a\n")
        let service = FileService(roots: try Roots([dir.path]))
        let transaction = Transaction(operations: [
            .init(type: .write, path: "a.txt", content: "changed\n"),
            .init(type: .move, path: "a.txt", destination: outside.path("stolen.txt")),
        ])
        await #expect {
            try await service.applyTransaction(transaction, stateDirectory: state.path)
        } throws: { error in
            (error as? WorkError)?.code == .outsideRoots && (error as? WorkError)?.message.contains("operation 2 of 2") == true
        }
        #expect(try String(contentsOfFile: dir.path("a.txt"), encoding: .utf8) == "a\n")
        let report = try await service.applyTransaction(
            Transaction(operations: [.init(type: .update, path: "a.txt", updates: [TextEdit(oldText: "a", newText: "b")])]),
            stateDirectory: state.path)
        #expect(report.applied && report.steps[0].path == dir.path("a.txt"))
    }

    @Test(.timeLimit(.minutes(1)))
    func batchItemsMapDestinationsAndRunInOrder() async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["src/b.txt": "b", "src/a/c.txt": "c", "one.txt": "1"])
        let service = FileService(roots: try Roots([dir.path]))
        let (items, errors) = try service.batchItems(["src", "one.txt"], destinationDirectory: "out")
        #expect(errors.isEmpty)
        #expect(items.map(\.path) == [dir.path("src/a/c.txt"), dir.path("src/b.txt"), dir.path("one.txt")])
        #expect(items.map(\.destination) == [dir.path("out/a/c.txt"), dir.path("out/b.txt"), dir.path("out/one.txt")])
        var seen: [Int] = []
        let summary = try await service.runBatch(items, operation: .copy) { seen.append($0.index) }
        #expect(seen == [0, 1, 2])
        #expect(summary.succeeded == 3)
        #expect(try String(contentsOfFile: dir.path("out/a/c.txt"), encoding: .utf8) == "c")
        await #expect(throws: WorkError.self) {
            try await service.runBatch([BatchItem(path: "/etc/passwd")], operation: .hash) { _ in }
        }
    }

    /// Walking and working at once gives what the sorted walk and then the batch give:
    /// the same items, results and errors, in the same order.
    @Test(.timeLimit(.minutes(1)))
    func walkingBatchMatchesItemsThenBatch() async throws {
        let dir = try TemporaryDirectory()
        var tree: [String: String] = [:]
        // Names whose path order differs from any directory's creation order, `a/b`
        // against `a.b`, and enough files for several chunks per walker.
        for d in ["z", "a", "a.b", "m"] {
            for f in 0..<60 { tree["\(d)/\((f * 37) % 60)-f.txt"] = "\(d) \(f)\n" }
        }
        tree["a/b"] = "ab"
        tree["one.txt"] = "1"
        try dir.tree(tree)
        let service = FileService.unrestricted()
        let paths = [dir.path("."), dir.path("missing"), dir.path("one.txt")]
        var options = BatchOptions()
        options.workers = 3
        var walkOptions = WalkOptions()
        walkOptions.threads = 3
        let (items, expectedErrors) = try service.batchItems(paths, walkOptions: walkOptions, destinationDirectory: dir.path("out"))
        let (expected, _) = await BatchRunner.collect(items, operation: .hash, options: options)

        var walked: (files: Int, errors: [CoreError])?
        var results: [BatchResult] = []
        let summary = try await service.runBatch(
            walking: paths, walkOptions: walkOptions, destinationDirectory: dir.path("out"), operation: .hash, options: options,
            onWalked: { files, errors in
                #expect(results.isEmpty)
                walked = (files, errors)
            },
            onResult: { results.append($0) })
        #expect(walked?.files == items.count)
        #expect(walked?.errors.map(\.path) == expectedErrors.map(\.path))
        #expect(walked?.errors.map(\.code) == [.notFound])
        #expect(results.map(\.index) == Array(items.indices))
        #expect(results.map(\.item) == items)
        #expect(try results.map { try $0.outcome.get() } == expected.map { try $0.outcome.get() })
        #expect(summary.total == items.count && summary.succeeded == items.count)
        // 4 × 60 files, a/b, and one.txt twice (under "." and named).
        #expect(items.count == 243)

        // With roots, the starting paths resolve inside them and the walk streams too.
        let confined = FileService(roots: try Roots([dir.path]))
        var confinedPaths: [String] = []
        _ = try await confined.runBatch(walking: ["z"], operation: .hash, onWalked: { _, _ in }) { confinedPaths.append($0.item.path) }
        let names: [String] = (0..<60).map { "\($0)-f.txt" }.sorted()
        #expect(confinedPaths == names.map { dir.path("z/" + $0) })
    }

    /// With roots, a link inside the tree to a file outside is not followed by a
    /// walking batch, a link named as a starting path is refused, and the results are
    /// the tree's own files.
    @Test(.timeLimit(.minutes(1)))
    func walkingBatchUnderRootsStaysInside() async throws {
        let outside = try TemporaryDirectory()
        try outside.tree(["secret.txt": "s"])
        let dir = try TemporaryDirectory()
        try dir.tree(["t/a.txt": "a"])
        try FileManager.default.createSymbolicLink(atPath: dir.path("t/link.txt"), withDestinationPath: outside.path("secret.txt"))
        let confined = FileService(roots: try Roots([dir.path]))
        var seen: [String] = []
        _ = try await confined.runBatch(walking: ["t"], operation: .hash, onWalked: { _, _ in }) { seen.append($0.item.path) }
        #expect(seen == [dir.path("t/a.txt")])
        await #expect(throws: WorkError.self) {
            _ = try await confined.runBatch(walking: ["t/link.txt"], operation: .hash, onWalked: { _, _ in }) { _ in }
        }
    }
}
