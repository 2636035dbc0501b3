import AIFSTestSupport
import Foundation
import Testing

@testable import AIFSWork

@Suite struct PatchTests {
    @Test func parsesEveryKindOfChange() throws {
        let patch = try Patch.parse("""
            *** Begin Patch
            *** Add File: a.txt
            +one
            +two
            *** Delete File: b.txt
            *** Update File: c.py
            *** Move to: d.py
            @@ def f():
             x = 1
            -y = 2
            +y = 3
            @@
            -z
            *** End of File
            *** End Patch
            """)
        #expect(patch.changes.count == 3)
        #expect(patch.changes[0] == .add(path: "a.txt", content: "one\ntwo\n"))
        #expect(patch.changes[1] == .delete(path: "b.txt"))
        guard case .update(let path, let moveTo, let hunks) = patch.changes[2] else { Issue.record("not an update"); return }
        #expect(path == "c.py" && moveTo == "d.py")
        #expect(hunks.count == 2)
        #expect(hunks[0].anchor == "def f():")
        #expect(hunks[0].old == ["x = 1", "y = 2"] && hunks[0].new == ["x = 1", "y = 3"])
        #expect(hunks[1].atEndOfFile && hunks[1].old == ["z"] && hunks[1].new.isEmpty)
    }

    @Test(arguments: [
        ("*** Update File: a\n-x\n*** End Patch", "line 1: a patch starts with '*** Begin Patch'"),
        ("*** Begin Patch\n*** Update File: a\n-x", "a patch ends with '*** End Patch'"),
        ("*** Begin Patch\n*** Frobnicate: a\n*** End Patch", "line 2: expected '*** Add File: '"),
        ("*** Begin Patch\n*** Update File: a\n@@\n?x\n*** End Patch", "line 4: a hunk line starts with ' ', '-' or '+'"),
        ("*** Begin Patch\n*** End Patch", "the patch changes no file"),
    ])
    func malformedPatchesNameTheLine(text: String, expected: String) {
        #expect {
            try Patch.parse(text)
        } throws: { error in
            let message = (error as? WorkError)?.message ?? ""
            return message.contains(expected) && message.contains("nothing was applied")
        }
    }

    /// Context matches exactly, then ignoring trailing whitespace, then ignoring all
    /// surrounding whitespace; line ends and a BOM are kept.
    @Test func hunksMatchWithCodexsFuzzAndKeepLineEnds() throws {
        let hunk = Patch.Hunk(anchor: nil, lines: [.context("a"), .removed("b"), .added("B")], atEndOfFile: false, patchLine: 3)
        #expect(try Patch.updated("a\nb\nc\n", with: [hunk], path: "f") == "a\nB\nc\n")
        #expect(try Patch.updated("a  \nb\t\nc\n", with: [hunk], path: "f") == "a  \nB\nc\n")
        #expect(try Patch.updated("  a\n    b\nc\n", with: [hunk], path: "f") == "  a\nB\nc\n")
        #expect(try Patch.updated("\u{FEFF}a\r\nb\r\nc\r\n", with: [hunk], path: "f") == "\u{FEFF}a\r\nB\r\nc\r\n")
    }

    @Test func anAnchorPlacesTheHunkAfterIt() throws {
        let text = "def f():\n    return 1\ndef g():\n    return 1\n"
        let hunk = Patch.Hunk(anchor: "def g():", lines: [.removed("    return 1"), .added("    return 2")], atEndOfFile: false, patchLine: 3)
        #expect(try Patch.updated(text, with: [hunk], path: "f.py") == "def f():\n    return 1\ndef g():\n    return 2\n")
    }

    @Test func aHunkThatMatchesNothingShowsTheClosestLines() throws {
        let text = "one\ntwo\nthree\nfour\n"
        let hunk = Patch.Hunk(anchor: nil, lines: [.context("two"), .removed("THREE")], atEndOfFile: false, patchLine: 7)
        #expect {
            try Patch.updated(text, with: [hunk], path: "n.txt")
        } throws: { error in
            let message = (error as? WorkError)?.message ?? ""
            return message.contains("hunk 1 of 1 (patch line 7) of 'n.txt'") && message.contains("closest lines are 2-3 (1 of 2 lines the same")
                && message.contains("2: two\n3: three")
        }
    }

    /// A patch becomes a transaction: checked against the files before anything
    /// changes, applied all or nothing.
    @Test func aPatchIsAppliedAsOneTransaction() throws {
        let dir = try TemporaryDirectory()
        let state = try TemporaryDirectory()
        try dir.file("keep.txt", "k\n")
        try dir.file("edit.txt", "1\n2\n")
        let patch = try Patch.parse("""
            *** Begin Patch
            *** Update File: \(dir.path("edit.txt"))
            @@
            -2
            +two
            *** Add File: \(dir.path("keep.txt"))
            +overwrite
            *** End Patch
            """)
        #expect {
            _ = try patch.transaction { path throws(WorkError) in try? AtomicFile.readText(path) }
        } throws: { error in
            ((error as? WorkError)?.message ?? "").contains("it exists; update it with '*** Update File:")
        }
        let good = try Patch.parse("""
            *** Begin Patch
            *** Update File: \(dir.path("edit.txt"))
            @@
            -2
            +two
            *** Delete File: \(dir.path("keep.txt"))
            *** End Patch
            """)
        let transaction = try good.transaction { path throws(WorkError) in try? AtomicFile.readText(path) }
        var options = TransactionOptions()
        options.stateDirectory = state.path
        _ = try TransactionRunner.run(transaction, options: options)
        #expect(snapshot(dir.path) == ["edit.txt": "644:1\ntwo\n"])
    }
}

@Suite struct ReplaceAllTests {
    @Test func replaceAllAndExpectedReplacements() throws {
        #expect(try TextEdits.apply([TextEdit(oldText: "a", newText: "b", replaceAll: true)], to: "a a a") == "b b b")
        #expect(try TextEdits.apply([TextEdit(oldText: "aa", newText: "b", replaceAll: true)], to: "aaa") == "ba")
        #expect(try TextEdits.apply([TextEdit(oldText: "a", newText: "b", expectedReplacements: 2)], to: "a\na\n") == "b\nb\n")
        #expect(throws: WorkError.self) { try TextEdits.apply([TextEdit(oldText: "a", newText: "b", expectedReplacements: 3)], to: "a\na\n") }
        #expect(throws: WorkError.self) { try TextEdits.apply([TextEdit(oldText: "z", newText: "b", replaceAll: true)], to: "a") }
        #expect(throws: WorkError.self) { try TextEdits.apply([TextEdit(oldText: "a", newText: "b")], to: "a a") }
    }
}

/// Every diff we return applies with `git apply -p0` and `patch -p0` (issue 19; the
/// paths are as given, as `diff -u` writes them, so git needs `-p0`): LF, CRLF,
/// mixed line ends, no final newline, a byte-order mark, a file in a subdirectory.
@Suite struct DiffsApplyTests {
    static func tool(_ name: String) -> String? {
        ["/usr/bin/", "/bin/", "/usr/local/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ tool: String, _ arguments: [String], in directory: String, input: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let inputFile = directory + "/.input"
        try Data(input.utf8).write(to: URL(fileURLWithPath: inputFile))
        process.standardInput = FileHandle(forReadingAtPath: inputFile)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: inputFile)
        return process.terminationStatus
    }

    @Test(
        .enabled(if: tool("git") != nil && tool("patch") != nil || ProcessInfo.processInfo.environment["CI"] != nil, "needs git and patch"),
        arguments: [
            ("lf.txt", "one\ntwo\nthree\n", "one\nTWO\nthree\n"),
            ("crlf.txt", "one\r\ntwo\r\nthree\r\n", "one\r\nTWO\r\nthree\r\n"),
            ("mixed.txt", "one\r\ntwo\nthree\r\n", "one\r\nTWO\nthree\r\n"),
            ("nonl.txt", "one\ntwo", "one\nTWO"),
            ("crlf-nonl.txt", "one\r\ntwo", "one\r\nTWO"),
            ("bom.txt", "\u{FEFF}one\ntwo\n", "\u{FEFF}one\nTWO\n"),
            ("sub/dir/deep.txt", "a\nb\nc\nd\ne\nf\ng\nh\n", "a\nB\nc\nd\ne\nf\nG\nh\n"),
            ("added-end.txt", "a\n", "a\nb\n"),
            ("emptied.txt", "a\n", ""),
        ])
    func issue19_diffsApplyWithGitApplyAndPatch(path: String, old: String, new: String) throws {
        let git = try #require(Self.tool("git"), "install git")
        let patch = try #require(Self.tool("patch"), "install patch")
        let diff = UnifiedDiff.make(old: old, new: new, path: path)
        for (tool, arguments) in [(git, ["apply", "-p0", "-"]), (patch, ["-p0", "-s", "-f"])] {
            let dir = try TemporaryDirectory()
            try dir.file(path, old)
            #expect(try Self.run(tool, arguments, in: dir.path, input: diff) == 0, "\(tool) refused:\n\(diff)")
            let result = try Data(contentsOf: URL(fileURLWithPath: dir.path(path)))
            #expect(result == Data(new.utf8), "\(tool) gave \(String(decoding: result, as: UTF8.self).debugDescription) from:\n\(diff)")
        }
    }
}
