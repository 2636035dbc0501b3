import AIFSTestSupport
import Foundation
import Testing

/// ripgrep's file selection (issue 18): file types, the ignore switches, linked
/// worktrees, git's global excludes file, and standard input; `aifs files` compared
/// with `rg --files` and `aifs search` with `rg`, byte for byte.
@Suite struct RipgrepFileSelectionTests {
    static let rg = Process.which("rg")

    /// A repository with each kind of ignore file, and a global excludes file under
    /// `xdg/` (outside the repository) for `XDG_CONFIG_HOME`.
    static func makeProject(_ name: String = #function) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(name)
        try dir.tree([
            "xdg/git/ignore": "*.log\n",
            "repo/.git/info/exclude": "excluded.md\n",
            "repo/.gitignore": "build/\n",
            "repo/.ignore": "dot-ignored.rs\n",
            "repo/a.py": "x\n",
            "repo/B.PY": "x\n",
            "repo/main.rs": "x\n",
            "repo/dot-ignored.rs": "x\n",
            "repo/excluded.md": "x\n",
            "repo/notes.log": "x\n",
            "repo/build/out.c": "x\n",
            "repo/.hidden.py": "x\n",
            "repo/Makefile": "x\n",
            "repo/lib/util.h": "x\n",
            "repo/lib/util.c": "x\n",
            "repo/foo/.gitignore": "ignored.txt\n",
            "repo/foo/ignored.txt": "x\n",
            "repo/foo/kept.txt": "x\n",
            "custom-ignore": "*.c\n",
        ])
        return dir
    }

    static func environment(_ dir: TemporaryDirectory) -> [String: String] {
        ["XDG_CONFIG_HOME": dir.path("xdg"), "HOME": dir.path("home")]
    }

    static let fileForms: [[String]] = [
        [], ["--no-ignore-vcs"], ["--no-ignore-exclude"], ["--no-ignore-global"], ["--no-ignore"],
        ["--no-ignore", "--ignore-file=../custom-ignore"], ["--ignore-file", "../custom-ignore"],
        ["--ignore-file=../custom-ignore", "--no-ignore-files"],
        ["-tpy"], ["-tpy", "--hidden"], ["-Tpy"], ["-tc", "-Th"], ["-tmake"], ["-tall"],
        ["--type-add", "mine:*.rs", "-tmine"], ["--type-add=mine:include:py,rust", "-tmine"],
        ["--type-clear=py", "--type-add=py:*.PY", "-tpy"],
        ["--iglob=*.py"], ["-g", "*.py", "--iglob", "!b.*"], ["--glob-case-insensitive", "-g*.py"],
        ["--ignore-file-case-insensitive", "--ignore-file=../custom-ignore"],
        ["--no-require-git", "--no-ignore-parent"], ["-u"], ["-uu"],
        ["foo"], ["--no-ignore-parent", "foo"], ["lib", "-tc"], ["lib/util.h", "-tpy"],
    ]

    @Test(.enabled(if: rg != nil, "ripgrep is not installed"), arguments: fileForms)
    func listsWhatRipgrepLists(_ arguments: [String]) throws {
        let dir = try Self.makeProject("files")
        let environment = Self.environment(dir)
        let ours = try AIFS.run(["files", "--sort", "path"] + arguments, in: dir.path("repo"), environment: environment)
        let theirs = try Process.capture(
            Self.rg!, ["--files", "--sort", "path"] + arguments, in: dir.path("repo"), environment: environment)
        #expect(ours.status == theirs.status, "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
        #expect(ours.stdout == theirs.stdout, "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
    }

    /// ripgrep 14 applies `-t`, `-T`, `--type-add` and `--type-clear` in the order given
    /// (one list of `TypeChange`s), and the last selection whose glob matches decides;
    /// ripgrep 13 applied every `-t` before every `-T`, so `-Th -tc` differs from it.
    @Test func typeSelectionsApplyInOrder() throws {
        let dir = try Self.makeProject()
        let environment = Self.environment(dir)
        let negateThenSelect = try AIFS.run(["files", "--sort", "path", "-Th", "-tc"], in: dir.path("repo"), environment: environment)
        #expect(negateThenSelect.stdout == "lib/util.c\nlib/util.h\n", "\(negateThenSelect)")
        let selectThenNegate = try AIFS.run(["files", "--sort", "path", "-tc", "-Th"], in: dir.path("repo"), environment: environment)
        #expect(selectThenNegate.stdout == "lib/util.c\n", "\(selectThenNegate)")
    }

    /// `--no-ignore-parent` from inside a subdirectory: the repository above is still
    /// a repository, so `foo/.gitignore` applies.
    @Test(.enabled(if: rg != nil, "ripgrep is not installed"))
    func noIgnoreParentStillSeesTheRepositoryAbove() throws {
        let dir = try Self.makeProject()
        let ours = try AIFS.run(["files", "--no-ignore-parent"], in: dir.path("repo/foo"), environment: Self.environment(dir))
        let theirs = try Process.capture(
            Self.rg!, ["--files", "--no-ignore-parent"], in: dir.path("repo/foo"), environment: Self.environment(dir))
        #expect(ours.stdout == "kept.txt\n", "\(ours)")
        #expect(ours.stdout == theirs.stdout)
    }

    /// ripgrep 14 gates `.rgignore` on `--no-ignore-dot` with `.ignore`
    /// (`hiargs.rs`: `if !self.no_ignore_dot { add_custom_ignore_filename(".rgignore") }`);
    /// ripgrep 13 kept honouring `.rgignore`, so only `.ignore` is compared.
    @Test(.enabled(if: rg != nil, "ripgrep is not installed"))
    func noIgnoreDotDropsDotIgnoreAndRgignore() throws {
        let dir = try Self.makeProject()
        let environment = Self.environment(dir)
        let ours = try AIFS.run(["files", "--sort", "path", "--no-ignore-dot"], in: dir.path("repo"), environment: environment)
        let theirs = try Process.capture(
            Self.rg!, ["--files", "--sort", "path", "--no-ignore-dot"], in: dir.path("repo"), environment: environment)
        #expect(ours.stdout == theirs.stdout, "ours: \(ours)\ntheirs: \(theirs)")
        try dir.tree(["repo/.rgignore": "main.rs\n"])
        let rgignored = try AIFS.run(["files", "--sort", "path"], in: dir.path("repo"), environment: environment)
        #expect(!rgignored.lines.contains("main.rs"))
        let dotOff = try AIFS.run(["files", "--sort", "path", "--no-ignore-dot"], in: dir.path("repo"), environment: environment)
        #expect(dotOff.lines.contains("main.rs"))
        #expect(dotOff.lines.contains("dot-ignored.rs"))
    }

    /// A linked worktree (`.git` is a file naming the worktree's git directory, whose
    /// `commondir` leads to the main repository) honours the main `info/exclude`.
    @Test(.enabled(if: rg != nil && Process.which("git") != nil, "ripgrep or git is not installed"))
    func linkedWorktreeHonoursTheMainRepositorysExclude() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["main/tracked.txt": "x\n"])
        let git = Process.which("git")!
        let quiet = ["-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]
        _ = try Process.capture(git, quiet + ["init", "-q"], in: dir.path("main"))
        _ = try Process.capture(git, quiet + ["add", "-A"], in: dir.path("main"))
        _ = try Process.capture(git, quiet + ["commit", "-qm", "init"], in: dir.path("main"))
        let added = try Process.capture(git, quiet + ["worktree", "add", "-q", "../linked"], in: dir.path("main"))
        try #require(added.status == 0, "\(added)")
        try dir.tree([
            "main/.git/info/exclude": "secret.txt\n",
            "linked/secret.txt": "x\n",
            "linked/open.txt": "x\n",
        ])
        let environment = ["XDG_CONFIG_HOME": dir.path("xdg"), "HOME": dir.path("home")]
        let ours = try AIFS.run(["files", "--sort", "path"], in: dir.path("linked"), environment: environment)
        let theirs = try Process.capture(Self.rg!, ["--files", "--sort", "path"], in: dir.path("linked"), environment: environment)
        #expect(ours.stdout == "open.txt\ntracked.txt\n", "\(ours)")
        #expect(ours.stdout == theirs.stdout)
    }

    /// `core.excludesFile` in the user's git configuration replaces the default file.
    @Test(.enabled(if: rg != nil, "ripgrep is not installed"))
    func globalExcludesFileFromGitConfiguration() throws {
        let dir = try Self.makeProject()
        try dir.tree([
            "home/.gitconfig": "[user]\n\tname = t\n[core]\n\texcludesFile = ~/my-excludes\n",
            "home/my-excludes": "*.rs\n",
        ])
        let environment = ["HOME": dir.path("home"), "XDG_CONFIG_HOME": dir.path("empty-xdg")]
        let ours = try AIFS.run(["files", "--sort", "path"], in: dir.path("repo"), environment: environment)
        let theirs = try Process.capture(Self.rg!, ["--files", "--sort", "path"], in: dir.path("repo"), environment: environment)
        #expect(!ours.lines.contains("main.rs"), "\(ours)")
        #expect(ours.lines.contains("notes.log"), "\(ours)")
        #expect(ours.stdout == theirs.stdout, "ours: \(ours)\ntheirs: \(theirs)")
    }

    @Test(.enabled(if: rg != nil, "ripgrep is not installed"))
    func typeListNamesEveryTypeThePeerKnows() throws {
        let dir = try TemporaryDirectory()
        let ours = try AIFS.run(["search", "--type-list"], in: dir.path)
        let theirs = try Process.capture(Self.rg!, ["--type-list"], in: dir.path)
        #expect(ours.status == 0)
        let names = { (result: CommandResult) in Set(result.lines.map { String($0.prefix { $0 != ":" }) }) }
        #expect(names(theirs).subtracting(names(ours)).isEmpty, "\(names(theirs).subtracting(names(ours)))")
        // Types ripgrep 13 and 14 define alike print alike.
        let peerLines = Set(theirs.lines)
        for line in ["py: *.py", "rust: *.rs", "c: *.[chH], *.[chH].in, *.cats", "make: *.mak, *.mk, "
            + "[Gg][Nn][Uu]makefile, [Gg][Nn][Uu]makefile.am, [Gg][Nn][Uu]makefile.in, [Mm]akefile, "
            + "[Mm]akefile.am, [Mm]akefile.in"]
        {
            #expect(ours.lines.contains(line), "\(line)")
            #expect(peerLines.contains(line), "\(line)")
        }
        let files = try AIFS.run(["files", "--type-add", "zz:*.zz", "--type-list"], in: dir.path)
        #expect(files.lines.contains("zz: *.zz"))
        let unknown = try AIFS.run(["search", "-tnope", "x"], in: dir.path)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("unrecognized file type: nope"), "\(unknown)")
    }

    static let standardInputForms: [[String]] = [
        ["test"], ["-n", "test"], ["-H", "test"], ["-c", "test"], ["test", "-"], ["-l", "test", "-"],
        ["--files-without-match", "nothing", "-"], ["-q", "test"], ["nothing"],
    ]

    @Test(.enabled(if: rg != nil, "ripgrep is not installed"), arguments: standardInputForms)
    func searchesStandardInputAsRipgrep(_ arguments: [String]) throws {
        let dir = try TemporaryDirectory("stdin")
        try dir.tree(["file.txt": "a test in a file\n"])
        let text = Array("a test\nsomething else\nlast test\n".utf8)
        for input in [StandardInputSource.pipe(text), .file(text)] {
            let ours = try AIFS.run(["search"] + arguments, in: dir.path, input: input)
            let theirs = try Process.capture(Self.rg!, arguments, in: dir.path, input: input)
            #expect(ours.status == theirs.status, "\(arguments) \(input)\nours: \(ours)\ntheirs: \(theirs)")
            #expect(ours.stdout == theirs.stdout, "\(arguments) \(input)\nours: \(ours)\ntheirs: \(theirs)")
        }
    }

    /// `--sort`/`--sortr` by time: each file gets its own modification and access
    /// time (distinct, as ties are ordered freely), and creation times are left out
    /// (they cannot be set, and tmpfs may not record them).
    ///
    /// ripgrep 14 sorts all the files at once (hiargs.rs: "sorting is done by
    /// collecting all paths, sorting them and then searching them"); ripgrep 13 sorted
    /// each directory's entries as it walked, so subdirectories moved as a block. The
    /// files are compared with the peer in one directory, and the nested order is
    /// checked against ripgrep 14's rule.
    @Test(.enabled(if: rg != nil, "ripgrep is not installed"), arguments: [
        ["--sort", "modified"], ["--sortr", "modified"], ["--sort=accessed"], ["--sortr=accessed"], ["--sortr", "path"],
        ["--sort", "modified", "--sort", "path"], ["--sortr", "modified", "--sort", "none", "-j1"],
    ])
    func sortsByTimeAsRipgrep(_ arguments: [String]) throws {
        let dir = try TemporaryDirectory("sort")
        let names = ["b.txt", "a.txt", "d.txt", "c.txt", "e.txt"]
        var tree: [String: String] = [:]
        for name in names { tree[name] = "a test\n" }
        try dir.tree(tree)
        for (index, name) in names.enumerated() {
            // Modification times in the order listed; access times the other way.
            let modified = Date(timeIntervalSince1970: 1_600_000_000 + Double(index) * 1000)
            let accessed = Date(timeIntervalSince1970: 1_700_000_000 - Double(index) * 1000)
            var times = [timeval(tv_sec: Int(accessed.timeIntervalSince1970), tv_usec: 0),
                         timeval(tv_sec: Int(modified.timeIntervalSince1970), tv_usec: 0)]
            #expect(utimes(dir.path(name), &times) == 0)
        }
        if arguments.contains("-j1") {
            // `--sort none` after `--sortr` wins: any order.
            let ours = try AIFS.run(["files"] + arguments, in: dir.path)
            #expect(ours.lines.sorted() == names.sorted())
            return
        }
        // A search reads the files, which moves their access times (relatime updates
        // times older than a day): by access time, only listings are compared.
        var commands = [(ours: ["files"], peer: ["--files"])]
        if !arguments.contains(where: { $0.contains("accessed") }) { commands.append((["search", "-n", "test"], ["-n", "test"])) }
        for (ours, peer) in commands {
            let result = try AIFS.run(ours + arguments, in: dir.path)
            let expected = try Process.capture(Self.rg!, peer + arguments, in: dir.path)
            #expect(result.status == expected.status, "\(arguments)\nours: \(result)\ntheirs: \(expected)")
            #expect(result.stdout == expected.stdout, "\(arguments)\nours: \(result)\ntheirs: \(expected)")
        }
    }

    @Test func sortsAllFilesAtOnceAsRipgrep14() throws {
        let dir = try TemporaryDirectory()
        let names = ["b.txt", "sub/a.txt", "c.txt", "sub/d.txt"]
        var tree: [String: String] = [:]
        for name in names { tree[name] = "a test\n" }
        try dir.tree(tree)
        for (index, name) in names.enumerated() {
            var times = [timeval(tv_sec: 1_600_000_000 + index * 1000, tv_usec: 0),
                         timeval(tv_sec: 1_600_000_000 + index * 1000, tv_usec: 0)]
            #expect(utimes(dir.path(name), &times) == 0)
        }
        let ascending = try AIFS.run(["files", "--sort", "modified"], in: dir.path)
        #expect(ascending.lines == names, "\(ascending)")
        let descending = try AIFS.run(["search", "-l", "test", "--sortr", "modified"], in: dir.path)
        #expect(descending.lines == names.reversed(), "\(descending)")
    }

    /// Path arguments that are not UTF-8 are used byte for byte. Foundation's `Process`
    /// takes only strings, so the commands run through `sh`, with the names written by
    /// `printf` and the output shown in hex.
    @Test(.enabled(if: rg != nil, "ripgrep is not installed"), arguments: [
        #"search test "$(printf 'caf\351')""#, #"search --sort=path -n test "$(printf 'n\351.txt')" plain.txt"#,
        #"search -H -c test -- "$(printf 'n\351.txt')""#, #"files "$(printf 'caf\351')""#,
        #"files --sort=path "$(printf 'caf\351')" "$(printf 'n\351.txt')""#,
    ])
    func pathArgumentsThatAreNotUTF8(_ command: String) throws {
        let dir = try TemporaryDirectory("latin1")
        try dir.tree(["plain.txt": "a test\n"])
        let setup = #"mkdir "$(printf 'caf\351')" && printf 'a test\n' > "$(printf 'caf\351/f\351.txt')" && printf 'x test\n' > "$(printf 'n\351.txt')""#
        _ = try Process.capture("/bin/sh", ["-c", setup], in: dir.path)
        let peerCommand = command.hasPrefix("files") ? "--files" + command.dropFirst("files".count) : String(command.dropFirst("search ".count))
        let ours = try Process.capture("/bin/sh", ["-c", "'\(AIFS.executable)' \(command) | od -An -tx1"], in: dir.path)
        let theirs = try Process.capture("/bin/sh", ["-c", "'\(Self.rg!)' \(peerCommand) | od -An -tx1"], in: dir.path)
        #expect(!ours.stdout.isEmpty, "\(command): \(ours)")
        #expect(ours.stdout.contains("e9"), "\(command): \(ours)")
        #expect(ours.stdout == theirs.stdout, "\(command)\nours: \(ours)\ntheirs: \(theirs)")
    }

    /// With /dev/null as standard input (a device), the current directory is searched.
    @Test func devNullIsNotStandardInputToSearch() throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["file.txt": "a test in a file\n"])
        let result = try AIFS.run(["search", "test"], in: dir.path, input: .null)
        #expect(result.stdout == "file.txt:a test in a file\n", "\(result)")
    }
}
