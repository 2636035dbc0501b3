import AIFSTestSupport
import Testing

@testable import AIFSCore

/// ripgrep's file types and the git configuration reading behind the global excludes
/// file (issue 18).
@Suite struct FileTypesTests {
    @Test func theLastMatchingSelectionDecides() throws {
        let filter = try #require(try FileTypes().filter([.select("c"), .negate("h")]))
        #expect(filter.match(fileName: "util.c") == .whitelist)
        #expect(filter.match(fileName: "util.h") == .ignore)
        #expect(filter.match(fileName: "README") == .ignore)
        let reversed = try #require(try FileTypes().filter([.negate("h"), .select("c")]))
        #expect(reversed.match(fileName: "util.h") == .whitelist)
    }

    @Test func negationsAloneLeaveOtherFilesUndecided() throws {
        let filter = try #require(try FileTypes().filter([.negate("py")]))
        #expect(filter.match(fileName: "a.py") == .ignore)
        #expect(filter.match(fileName: "a.rs") == .none)
        #expect(try FileTypes().filter([]) == nil)
    }

    @Test func definitionsAreAddedIncludedAndCleared() throws {
        var types = FileTypes()
        try types.apply(.add("web:*.html"))
        try types.apply(.add("web:include:css,js"))
        let web = try #require(types.definitions.first { $0.name == "web" })
        #expect(web.globs == ["*.cjs", "*.css", "*.html", "*.js", "*.jsx", "*.mjs", "*.scss", "*.vue"])
        try types.apply(.clear("web"))
        #expect(!types.definitions.contains { $0.name == "web" })
        #expect(throws: CoreError.self) { try types.apply(.add("nocolon")) }
        #expect(throws: CoreError.self) { try types.apply(.add("x:include:nope")) }
        #expect(throws: CoreError.self) { try FileTypes().filter([.select("nope")]) }
    }

    @Test func allSelectsEveryType() throws {
        let filter = try #require(try FileTypes().filter([.select("all")]))
        #expect(filter.match(fileName: "Makefile") == .whitelist)
        #expect(filter.match(fileName: "random.unknownext") == .ignore)
    }

    @Test func theBuiltInTableIsRipgrepsSortedTable() {
        let names = FileTypes.defaultDefinitions.map(\.name)
        #expect(names == names.sorted())
        #expect(names.count == Set(names).count)
        #expect(FileTypes.defaultDefinitions.first { $0.name == "rust" }?.globs == ["*.rs"])
    }

    @Test func excludesFileIsReadFromTheCoreSection() {
        let config = """
            [user]
            \texcludesFile = /not/this
            [core]
            \tautocrlf = false
            \tExcludesFile = "~/global ignore"
            [alias]
            \tx = y
            """
        #expect(ExtraIgnoreRules.excludesFile(inConfig: config) == "~/global ignore")
        #expect(ExtraIgnoreRules.excludesFile(inConfig: "[core]\n\tbare = false\n") == nil)
    }

    @Test func aWorktreeExcludeLivesInTheCommonDirectory() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["main/.git/worktrees/wt/commondir": "../..\n"])
        let path = ExtraIgnoreRules.excludePath(
            gitFile: Array("gitdir: \(dir.path("main/.git/worktrees/wt"))\n".utf8), directory: dir.path("wt"))
        #expect(path == dir.path("main/.git/worktrees/wt") + "/../../info/exclude")
        // A submodule's git directory has no commondir: its own info/exclude.
        let submodule = ExtraIgnoreRules.excludePath(gitFile: Array("gitdir: ../.git/modules/sub\n".utf8), directory: "repo/sub")
        #expect(submodule == "repo/sub/../.git/modules/sub/info/exclude")
    }
}
