import AIFSTestSupport
import Foundation
import Testing

/// Command lines with hundreds of paths, as `xargs` builds them. Past a threshold the
/// trailing paths are set aside from ArgumentParser (whose parsing is quadratic in them)
/// and added back after it: the results must be the ones a short list gives, in order,
/// with the options and leading positional arguments that come before the list.
@Suite struct LongArgumentListTests {
    static let count = 300

    /// A directory of `count` files, each with one `needle` line and one other line.
    func corpus() throws -> (TemporaryDirectory, [String]) {
        let dir = try TemporaryDirectory()
        let names = (0..<Self.count).map { String(format: "f%03d.txt", $0) }
        for name in names { try dir.file(name, "needle \(name)\nhay\n") }
        return (dir, names)
    }

    @Test(.timeLimit(.minutes(1)))
    func searchKeepsTheOptionValueThePatternAndEveryPathInOrder() throws {
        let (dir, names) = try corpus()
        // `-m 1`: the option's value is the first argument of the run of non-options.
        let (result, _) = try runAIFS(["search", "-c", "-m", "1", "needle"] + names, in: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        // Files named on the command line are searched in parallel and printed as they
        // finish, as rg prints them: compare the sets.
        #expect(result.lines.sorted() == names.map { "\($0):1" })
        // After "--", with the pattern given by -e.
        let (dashed, _) = try runAIFS(["search", "-l", "-e", "needle", "--"] + names.reversed(), in: dir.path)
        #expect(dashed.lines.sorted() == names)
    }

    @Test(.timeLimit(.minutes(1)))
    func filesReadAndBatchTakeEveryPath() throws {
        let (dir, names) = try corpus()
        let (files, _) = try runAIFS(["files"] + names, in: dir.path)
        #expect(files.lines.sorted() == names)  // listed as found, as rg --files lists them
        let (read, _) = try runAIFS(["read", "--head", "1"] + names, in: dir.path)
        #expect(read.status == 0, "\(read.stderr)")
        #expect(read.lines.filter { $0.hasPrefix("needle ") } == names.map { "needle \($0)" })
        let (count, _) = try runAIFS(["batch", "count", "--no-progress", "-j", "2"] + names, in: dir.path)
        #expect(count.lines == names.map { "2 3 \(12 + $0.utf8.count) \($0)" })
        // Two positional arguments before the paths, and an option value before them.
        let (rename, _) = try runAIFS(["batch", "rename", "--dry-run", "-j", "2", "^f", "g"] + names, in: dir.path)
        #expect(rename.status == 0, "\(rename.stderr)")
        #expect(rename.lines == names.map { "would rename \($0) -> g\($0.dropFirst())" })
    }

    /// A command that takes no paths still gets ArgumentParser's own error.
    @Test(.timeLimit(.minutes(1)))
    func aCommandWithoutPathsRefusesThemAsBefore() throws {
        let (dir, names) = try corpus()
        let (stats, _) = try runAIFS(["stats"] + names, in: dir.path)
        #expect(stats.status == 2)
        #expect(stats.stderr.contains("unexpected argument"), "\(stats.stderr)")
    }
}
