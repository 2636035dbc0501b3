import AIFSTestSupport
import Foundation
import Testing

@testable import AIFSCore

/// One walk over a small tree and the files it must list. Trees are written with `.git/`
/// (a directory) wherever the case is inside a repository.
struct IgnoreCase: Sendable, CustomTestStringConvertible {
    let name: String
    let files: [String: String]
    var start = ""
    var configure: @Sendable (inout WalkOptions) -> Void = { _ in }
    let expected: [String]

    var testDescription: String { name }
}

private let repo = [".git/": ""]

private func inRepo(_ files: [String: String]) -> [String: String] {
    files.merging(repo) { a, _ in a }
}

let ignoreCases: [IgnoreCase] = [
    IgnoreCase(name: "no ignore files lists every visible file",
               files: ["a.txt": "", "d/b.txt": ""], expected: ["a.txt", "d/b.txt"]),
    IgnoreCase(name: "hidden files and directories are skipped",
               files: [".hidden": "", ".dir/a": "", "v": ""], expected: ["v"]),
    IgnoreCase(name: "hidden entries listed when asked, .git included",
               files: inRepo([".hidden": "", "v": "", ".git/HEAD": ""]),
               configure: { $0.includeHidden = true }, expected: [".git/HEAD", ".hidden", "v"]),
    IgnoreCase(name: "gitignore outside a repository is not applied",
               files: [".gitignore": "*.log", "a.log": "", "b.txt": ""], expected: ["a.log", "b.txt"]),
    IgnoreCase(name: "gitignore applies inside a repository",
               files: inRepo([".gitignore": "*.log", "a.log": "", "b.txt": ""]), expected: ["b.txt"]),
    IgnoreCase(name: "gitignore applies without git when requireGit is off",
               files: [".gitignore": "*.log", "a.log": "", "b.txt": ""],
               configure: { $0.requireGit = false }, expected: ["b.txt"]),
    IgnoreCase(name: ".ignore applies without git",
               files: [".ignore": "*.log", "a.log": "", "b.txt": ""], expected: ["b.txt"]),
    IgnoreCase(name: ".rgignore applies without git",
               files: [".rgignore": "b.txt", "a.log": "", "b.txt": ""], expected: ["a.log"]),
    IgnoreCase(name: "git info exclude applies",
               files: inRepo([".git/info/exclude": "secret.txt", "secret.txt": "", "ok.txt": ""]),
               expected: ["ok.txt"]),
    IgnoreCase(name: "negation re-includes a file",
               files: inRepo([".gitignore": "*.log\n!keep.log", "a.log": "", "keep.log": ""]),
               expected: ["keep.log"]),
    IgnoreCase(name: "later rule wins over earlier negation",
               files: inRepo([".gitignore": "!keep.log\n*.log", "a.log": "", "keep.log": "", "x": ""]),
               expected: ["x"]),
    IgnoreCase(name: "nested gitignore adds rules for its subtree",
               files: inRepo(["sub/.gitignore": "*.tmp", "sub/a.tmp": "", "top.tmp": ""]),
               expected: ["top.tmp"]),
    IgnoreCase(name: "nested gitignore negation beats the parent's rule",
               files: inRepo([".gitignore": "*.log", "sub/.gitignore": "!*.log", "sub/a.log": "", "b.log": ""]),
               expected: ["sub/a.log"]),
    IgnoreCase(name: "anchored pattern matches only at its directory",
               files: inRepo([".gitignore": "/build", "build/a": "", "src/build/b": ""]),
               expected: ["src/build/b"]),
    IgnoreCase(name: "unanchored name matches at any depth",
               files: inRepo([".gitignore": "build", "build/a": "", "src/build/b": "", "src/c": ""]),
               expected: ["src/c"]),
    IgnoreCase(name: "pattern with a middle slash is anchored",
               files: inRepo([".gitignore": "doc/*.txt", "doc/a.txt": "", "x/doc/b.txt": ""]),
               expected: ["x/doc/b.txt"]),
    IgnoreCase(name: "directory-only pattern spares a file of that name",
               files: inRepo([".gitignore": "logs/", "logs/a": "", "sub/logs": ""]),
               expected: ["sub/logs"]),
    IgnoreCase(name: "leading double star",
               files: inRepo([".gitignore": "**/gen/*.swift", "gen/a.swift": "", "x/y/gen/b.swift": "", "x/gen.swift": ""]),
               expected: ["x/gen.swift"]),
    IgnoreCase(name: "trailing double star ignores the contents",
               files: inRepo([".gitignore": "vendor/**", "vendor/a": "", "vendor/b/c": "", "v": ""]),
               expected: ["v"]),
    IgnoreCase(name: "middle double star",
               files: inRepo([".gitignore": "a/**/z", "a/z": "", "a/b/c/z": "", "a/b/y": ""]),
               expected: ["a/b/y"]),
    IgnoreCase(name: "ignored directory is not entered even if a child is negated",
               files: inRepo([".gitignore": "out/\n!out/keep", "out/keep": "", "a": ""]),
               expected: ["a"]),
    IgnoreCase(name: "comments, blank lines and escaped hash",
               files: inRepo([".gitignore": "# a comment\n\n\\#literal", "#literal": "", "# a comment": "", "x": ""]),
               expected: ["# a comment", "x"]),
    IgnoreCase(name: "parent gitignore up to the repository root applies to a subdirectory walk",
               files: inRepo([".gitignore": "sub/skip.txt\n*.o", "sub/skip.txt": "", "sub/a.o": "", "sub/keep.txt": ""]),
               start: "sub", expected: ["sub/keep.txt"]),
    IgnoreCase(name: "gitignore above the repository root does not apply",
               files: [".gitignore": "*.txt", "repo/.git/": "", "repo/a.txt": ""],
               start: "repo", expected: ["repo/a.txt"]),
    IgnoreCase(name: ".ignore above the starting directory applies",
               files: [".ignore": "*.txt", "sub/a.txt": "", "sub/b.md": ""],
               start: "sub", expected: ["sub/b.md"]),
    IgnoreCase(name: "parent ignore files skipped when asked",
               files: [".ignore": "*.txt", "sub/a.txt": "", "sub/b.md": ""],
               start: "sub", configure: { $0.readParentIgnoreFiles = false }, expected: ["sub/a.txt", "sub/b.md"]),
    IgnoreCase(name: ".ignore beats .gitignore in the same directory",
               files: inRepo([".gitignore": "*.log", ".ignore": "!keep.log", "keep.log": "", "a.log": ""]),
               expected: ["keep.log"]),
    IgnoreCase(name: ".rgignore beats .ignore",
               files: [".ignore": "*.md", ".rgignore": "!a.md", "a.md": "", "b.md": ""],
               expected: ["a.md"]),
    IgnoreCase(name: "no-ignore lists ignored files",
               files: inRepo([".gitignore": "*.log", ".ignore": "*.md", "a.log": "", "b.md": ""]),
               configure: { $0.respectIgnoreFiles = false }, expected: ["a.log", "b.md"]),
    IgnoreCase(name: "whitelisted hidden file is listed",
               files: inRepo([".gitignore": "!.env.example", ".env.example": "", ".env": ""]),
               expected: [".env.example"]),
    IgnoreCase(name: "glob override includes only matching files",
               files: ["a.swift": "", "b.txt": "", "d/c.swift": ""],
               configure: { $0.globs = ["*.swift"] }, expected: ["a.swift", "d/c.swift"]),
    IgnoreCase(name: "glob override excludes with a bang",
               files: ["a.swift": "", "b.txt": "", "d/c.swift": ""],
               configure: { $0.globs = ["!d/**"] }, expected: ["a.swift", "b.txt"]),
    IgnoreCase(name: "glob override beats gitignore",
               files: inRepo([".gitignore": "*.log", "a.log": "", "b.txt": ""]),
               configure: { $0.globs = ["*.log"] }, expected: ["a.log"]),
    IgnoreCase(name: "case-insensitive glob override",
               files: ["A.SWIFT": "", "b.txt": ""],
               configure: { $0.globs = ["*.swift"]; $0.globsCaseInsensitive = true }, expected: ["A.SWIFT"]),
    IgnoreCase(name: "CRLF gitignore",
               files: inRepo([".gitignore": "*.log\r\nbuild/\r\n", "a.log": "", "build/x": "", "k": ""]),
               expected: ["k"]),
    IgnoreCase(name: "max depth 1 lists only the first level",
               files: ["a": "", "d/b": "", "d/e/c": ""],
               configure: { $0.maxDepth = 1 }, expected: ["a"]),
    IgnoreCase(name: "max depth 2",
               files: ["a": "", "d/b": "", "d/e/c": ""],
               configure: { $0.maxDepth = 2 }, expected: ["a", "d/b"]),
]

@Suite struct WalkerIgnoreTests {
    @Test(arguments: ignoreCases)
    func ignoreRules(_ testCase: IgnoreCase) throws {
        let dir = try TemporaryDirectory("ignore")
        try dir.tree(testCase.files)
        var options = WalkOptions()
        testCase.configure(&options)
        // Run each case on one thread and on several: the result must not depend on it.
        for threads in [1, 4] {
            options.threads = threads
            let (paths, errors) = try walkRelative(dir, [testCase.start], options: options)
            #expect(errors.isEmpty, "\(errors)")
            #expect(paths.filter { !$0.hasPrefix(".git/") || testCase.expected.contains($0) }
                        .filter { !isIgnoreFile($0) || testCase.expected.contains($0) }
                    == testCase.expected.sorted(by: PathOrder.precedes), "threads: \(threads)")
        }
    }

    private func isIgnoreFile(_ path: String) -> Bool {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return [".gitignore", ".ignore", ".rgignore"].contains(name)
    }
}

extension PathOrder {
    static func precedes(_ a: String, _ b: String) -> Bool { precedes(Array(a.utf8), Array(b.utf8)) }
}
