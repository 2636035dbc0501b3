import AIFSTestSupport
import Foundation
import Testing

/// `aifs files` run as a process, compared with what `rg --files` prints.
@Suite struct FilesCommandTests {
    /// A repository with nested ignore files, hidden entries and a negation.
    static func makeProject(_ name: String = #function) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(name)
        try dir.tree([
            ".git/": "",
            ".gitignore": "*.log\n/build/\nnode_modules/\n!keep.log\n",
            "README.md": "",
            "keep.log": "",
            "debug.log": "",
            "build/out.o": "",
            "src/build/helper.swift": "",
            "src/main.swift": "",
            "src/.hidden.swift": "",
            "src/gen/.gitignore": "*.generated.swift\n",
            "src/gen/a.generated.swift": "",
            "src/gen/b.swift": "",
            "node_modules/pkg/index.js": "",
            "docs/.ignore": "draft-*\n",
            "docs/draft-1.md": "",
            "docs/final.md": "",
            ".github/workflows/ci.yml": "",
        ])
        return dir
    }

    static let visible = [
        "README.md", "docs/final.md", "keep.log", "src/build/helper.swift",
        "src/gen/b.swift", "src/main.swift",
    ]

    @Test func listsWhatRipgrepLists() throws {
        let dir = try Self.makeProject()
        let result = try AIFS.run(["files", "--sort", "path"], in: dir.path)
        #expect(result.status == 0, "\(result)")
        #expect(result.lines == Self.visible, "\(result)")
        #expect(result.stderr.isEmpty)
    }

    @Test func unsortedOutputHasTheSameLines() throws {
        let dir = try Self.makeProject()
        let result = try AIFS.run(["files"], in: dir.path)
        #expect(result.status == 0)
        #expect(result.lines.sorted() == Self.visible.sorted())
    }

    @Test func pathsKeepTheFormTheyWereGivenIn() throws {
        let dir = try Self.makeProject()
        let dotted = try AIFS.run(["files", "--sort", "path", "."], in: dir.path)
        #expect(dotted.lines == Self.visible.map { "./" + $0 })
        let sub = try AIFS.run(["files", "--sort", "path", "src"], in: dir.path)
        #expect(sub.lines == ["src/build/helper.swift", "src/gen/b.swift", "src/main.swift"])
        let slash = try AIFS.run(["files", "--sort", "path", "src/"], in: dir.path)
        #expect(slash.lines == sub.lines)
        let absolute = try AIFS.run(["files", "--sort", "path", dir.path("docs")], in: "/")
        #expect(absolute.lines == [dir.path("docs/final.md")])
    }

    @Test func flagsChangeWhatIsListed() throws {
        let dir = try Self.makeProject()
        let hidden = try AIFS.run(["files", "--hidden", "--sort", "path", "src"], in: dir.path)
        #expect(hidden.lines == [
            "src/.hidden.swift", "src/build/helper.swift", "src/gen/.gitignore", "src/gen/b.swift", "src/main.swift",
        ])
        let noIgnore = try AIFS.run(["files", "--no-ignore", "--sort", "path", "docs", "build"], in: dir.path)
        // Sorted within each starting path; the paths keep their order, as in ripgrep.
        #expect(noIgnore.lines == ["docs/draft-1.md", "docs/final.md", "build/out.o"])
        let globbed = try AIFS.run(["files", "-g", "*.swift", "-g", "!**/gen/**", "--sort", "path"], in: dir.path)
        // A --glob that includes a file wins over hiding it, as in ripgrep.
        #expect(globbed.lines == ["src/.hidden.swift", "src/build/helper.swift", "src/main.swift"])
        let shallow = try AIFS.run(["files", "--max-depth", "1", "--sort", "path"], in: dir.path)
        #expect(shallow.lines == ["README.md", "keep.log"])
        let nul = try AIFS.run(["files", "-0", "--sort", "path", "docs"], in: dir.path)
        #expect(nul.stdout == "docs/final.md\0")
    }

    /// Regression: a worker's buffer was flushed in the middle of a line, so another
    /// worker's output could land between a path and its newline.
    @Test func largeOutputNeverSplitsALine() throws {
        let dir = try TemporaryDirectory()
        var expected: [String] = []
        for d in 0..<40 {
            for f in 0..<300 {
                let name = "directory-\(d)/a-rather-long-file-name-to-fill-buffers-\(f).txt"
                try dir.file(name)
                expected.append(name)
            }
        }
        for _ in 0..<3 {
            let result = try AIFS.run(["files", "-j", "4"], in: dir.path)
            #expect(result.status == 0)
            #expect(result.lines.sorted() == expected.sorted())
        }
    }

    @Test func nothingFoundExitsOne() throws {
        let dir = try TemporaryDirectory()
        try dir.directory("empty")
        let result = try AIFS.run(["files", "empty"], in: dir.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.isEmpty)
    }

    @Test func missingPathIsAnErrorButOthersAreListed() throws {
        let dir = try Self.makeProject()
        let result = try AIFS.run(["files", "nope", "docs"], in: dir.path)
        #expect(result.status == 2, "\(result)")
        #expect(result.lines == ["docs/final.md"])
        #expect(result.stderr.contains("'nope'"))
        #expect(result.stderr.contains("no such file or directory"))
    }

    @Test func emptyPathIsAnErrorNotTheCurrentDirectory() throws {
        let dir = try Self.makeProject()
        let result = try AIFS.run(["files", ""], in: dir.path)
        #expect(result.status == 2, "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("no such file or directory"))
    }

    @Test func absurdThreadCountsStillWork() throws {
        let dir = try Self.makeProject()
        for threads in ["1", "1000"] {
            let result = try AIFS.run(["files", "-j", threads, "--sort", "path"], in: dir.path)
            #expect(result.status == 0, "\(result)")
            #expect(result.lines == Self.visible)
        }
    }

    @Test func fileWhereADirectoryIsExpected() throws {
        let dir = try Self.makeProject()
        let result = try AIFS.run(["files", "README.md/inner"], in: dir.path)
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("README.md/inner"))
        #expect(result.stderr.contains("not a directory"))
    }

    @Test func explicitFileIsListed() throws {
        let dir = try Self.makeProject()
        let result = try AIFS.run(["files", "debug.log"], in: dir.path)
        #expect(result.status == 0)
        #expect(result.lines == ["debug.log"])
    }

    @Test(.timeLimit(.minutes(1)))
    func symlinkLoopIsReportedWithoutHanging() throws {
        let dir = try TemporaryDirectory()
        try dir.file("a/file")
        try dir.symlink("a/loop", to: "..")
        let result = try AIFS.run(["files", "-L", "--sort", "path"], in: dir.path)
        #expect(result.status == 2, "\(result)")
        #expect(result.lines == ["a/file"])
        #expect(result.stderr.contains("file system loop"))
    }

    @Test func invalidGlobIsAClearError() throws {
        let dir = try Self.makeProject()
        let result = try AIFS.run(["files", "-g", "src/[a-"], in: dir.path)
        #expect(result.status == 2, "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("src/[a-"))
    }

    @Test func badArgumentsExitTwo() throws {
        let dir = try TemporaryDirectory()
        for arguments in [["files", "--max-depth", "lots"], ["files", "--no-such-flag"], ["files", "--sort", "sideways"],
                          ["files", "--max-filesize", "12Q"], ["frobnicate"]] {
            let result = try AIFS.run(arguments, in: dir.path)
            #expect(result.status == 2, "\(arguments): \(result)")
            #expect(result.stderr.hasPrefix("aifs: "), "\(arguments): \(result)")
        }
    }

    @Test func helpExitsZero() throws {
        let dir = try TemporaryDirectory()
        let result = try AIFS.run(["files", "--help"], in: dir.path)
        #expect(result.status == 0)
        #expect(result.stdout.contains("--no-ignore"))
    }

    /// The contract: the same set of paths as `rg --files`, when ripgrep is installed.
    @Test(.enabled(if: Process.which("rg") != nil || FaultTools.inCI, "ripgrep is not installed (in CI a missing peer fails)"))
    func matchesRipgrepOnTheSameTree() throws {
        let dir = try Self.makeProject()
        try dir.symlink("src/link", to: "gen")
        try dir.file("sub/.ignore", "!*.log\n")
        try dir.file("sub/x.log")
        let rg = try #require(Process.which("rg"), "install ripgrep: the peer these tests compare with")
        for flags in [[], ["--hidden"], ["--no-ignore"], ["-L"], ["-g", "*.md"], ["--max-depth", "2"], ["-g", "!src"]] {
            for paths in [[], ["."], ["src", "docs"], [dir.path]] {
                let ours = try AIFS.run(["files"] + flags + paths, in: dir.path)
                let theirs = try Process.capture(rg, ["--files"] + flags + paths, in: dir.path)
                #expect(ours.lines.sorted() == theirs.lines.sorted(), "flags \(flags) paths \(paths)")
                #expect(ours.status == theirs.status, "flags \(flags) paths \(paths)")
            }
        }
    }
}
