import AIFSTestSupport
import Foundation
import Testing

@testable import AIFSCore

@Suite struct RootsTests {
    /// A root with a sibling whose name starts with the root's name, and an outside dir.
    struct Fixture {
        let dir: TemporaryDirectory
        let root: String
        let evil: String
        let outside: String
        let roots: Roots

        init(_ name: String = #function) throws {
            dir = try TemporaryDirectory(name)
            root = try dir.directory("root")
            evil = try dir.directory("root-evil")
            outside = try dir.directory("outside")
            try dir.file("root/src/main.swift", "print(1)")
            try dir.file("root-evil/secret", "x")
            try dir.file("outside/secret", "x")
            roots = try Roots([root])
        }
    }

    func expectOutside(_ roots: Roots, _ path: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = #expect(throws: CoreError.self, sourceLocation: sourceLocation) { try roots.resolve(path) }
        #expect(error?.code == .outsideRoots, "\(String(describing: error))", sourceLocation: sourceLocation)
        #expect(error?.message.contains("outside the allowed roots") == true, sourceLocation: sourceLocation)
    }

    @Test func relativePathsResolveAgainstTheFirstRoot() throws {
        let f = try Fixture()
        #expect(try f.roots.resolve("src/main.swift") == f.root + "/src/main.swift")
        #expect(try f.roots.resolve(".") == f.root)
        #expect(try f.roots.resolve("./src/../src/./main.swift") == f.root + "/src/main.swift")
    }

    @Test func absolutePathsInsideAreCanonicalized() throws {
        let f = try Fixture()
        #expect(try f.roots.resolve(f.root + "//src/./main.swift") == f.root + "/src/main.swift")
        #expect(try f.roots.resolve(f.root + "/") == f.root)
    }

    @Test func dotDotEscapesAreRefused() throws {
        let f = try Fixture()
        expectOutside(f.roots, "..")
        expectOutside(f.roots, "../outside/secret")
        expectOutside(f.roots, "src/../../outside/secret")
        expectOutside(f.roots, f.root + "/../outside/secret")
        expectOutside(f.roots, "../../../../../../../../etc/passwd")
    }

    @Test func leavingAndComingBackIsAllowed() throws {
        let f = try Fixture()
        #expect(try f.roots.resolve("../root/src/main.swift") == f.root + "/src/main.swift")
    }

    @Test func absolutePathsOutsideAreRefused() throws {
        let f = try Fixture()
        expectOutside(f.roots, f.outside + "/secret")
        expectOutside(f.roots, "/etc/passwd")
        expectOutside(f.roots, "/")
    }

    @Test func siblingWithTheRootAsNamePrefixIsOutside() throws {
        let f = try Fixture()
        expectOutside(f.roots, f.evil + "/secret")
        expectOutside(f.roots, f.evil)
        expectOutside(f.roots, "../root-evil/secret")
    }

    @Test func symlinkLeadingOutIsRefused() throws {
        let f = try Fixture()
        try f.dir.symlink("root/out", to: f.outside)
        try f.dir.symlink("root/out-file", to: f.outside + "/secret")
        try f.dir.symlink("root/relative-out", to: "../outside")
        expectOutside(f.roots, "out/secret")
        expectOutside(f.roots, "out")
        expectOutside(f.roots, "out-file")
        expectOutside(f.roots, "relative-out/secret")
        expectOutside(f.roots, "out/not-yet-created")
    }

    @Test func danglingSymlinkLeadingOutIsRefused() throws {
        // Writing through this link would create a file outside the root.
        let f = try Fixture()
        try f.dir.symlink("root/dangling", to: f.outside + "/new-file")
        try f.dir.symlink("root/dangling-dir", to: f.outside + "/new-dir/deeper")
        expectOutside(f.roots, "dangling")
        expectOutside(f.roots, "dangling-dir/file")
    }

    @Test func symlinkStayingInsideIsAllowed() throws {
        let f = try Fixture()
        try f.dir.symlink("root/link-to-src", to: "src")
        try f.dir.symlink("root/abs-link", to: f.root + "/src/main.swift")
        #expect(try f.roots.resolve("link-to-src/main.swift") == f.root + "/src/main.swift")
        #expect(try f.roots.resolve("abs-link") == f.root + "/src/main.swift")
    }

    @Test func missingFilesAreCheckedThroughTheirParent() throws {
        let f = try Fixture()
        #expect(try f.roots.resolve("src/new.swift") == f.root + "/src/new.swift")
        #expect(try f.roots.resolve("new-dir/deeper/file") == f.root + "/new-dir/deeper/file")
        #expect(try f.roots.resolve("new-dir/../src/x") == f.root + "/src/x")
        expectOutside(f.roots, "new-dir/../../outside/x")
    }

    @Test func nulBytesAreRefused() throws {
        let f = try Fixture()
        let error = #expect(throws: CoreError.self) { try f.roots.resolve("src/main.swift\0/../../etc/passwd") }
        #expect(error?.code == .invalidPath)
        #expect(error?.message.contains("NUL") == true)
    }

    @Test func emptyPathIsRefused() throws {
        let f = try Fixture()
        let error = #expect(throws: CoreError.self) { try f.roots.resolve("") }
        #expect(error?.code == .invalidPath)
    }

    @Test func symlinkLoopIsReported() throws {
        let f = try Fixture()
        try f.dir.symlink("root/loop-a", to: "loop-b")
        try f.dir.symlink("root/loop-b", to: "loop-a")
        let error = #expect(throws: CoreError.self) { try f.roots.resolve("loop-a/file") }
        #expect(error?.code == .symlinkLoop)
    }

    @Test func fileUsedAsDirectoryIsReported() throws {
        let f = try Fixture()
        let error = #expect(throws: CoreError.self) { try f.roots.resolve("src/main.swift/inner") }
        #expect(error?.code == .notADirectory)
    }

    @Test func rootGivenThroughASymlinkIsCanonical() throws {
        let f = try Fixture()
        let link = try f.dir.symlink("root-link", to: f.root)
        let roots = try Roots([link])
        #expect(roots.paths == [f.root])
        #expect(try roots.resolve(link + "/src/main.swift") == f.root + "/src/main.swift")
    }

    @Test func severalRoots() throws {
        let f = try Fixture()
        let roots = try Roots([f.root, f.outside])
        #expect(try roots.resolve(f.outside + "/secret") == f.outside + "/secret")
        #expect(try roots.resolve("src") == f.root + "/src")
        expectOutside(roots, f.evil + "/secret")
        #expect(roots.root(containing: f.outside + "/secret") == f.outside)
    }

    @Test func theFileSystemRootContainsEverything() throws {
        let roots = try Roots(["/"])
        #expect(try roots.resolve("/tmp") == "/tmp")
        #expect(roots.contains("/etc/passwd"))
    }

    @Test func badRootsAreRefused() throws {
        let f = try Fixture()
        let missing = #expect(throws: CoreError.self) { try Roots([f.dir.path("missing")]) }
        #expect(missing?.code == .notFound)
        let file = #expect(throws: CoreError.self) { try Roots([f.root + "/src/main.swift"]) }
        #expect(file?.code == .notADirectory)
        let none = #expect(throws: CoreError.self) { try Roots([]) }
        #expect(none?.code == .invalidArgument)
    }
}
