import AIFSTestSupport
import Foundation
import Testing

/// ripgrep's command-line syntax and exit statuses (issue 18), compared byte for byte
/// with the installed `rg` where ripgrep 13 and 14 agree.
/// Issue 18.
@Suite struct RipgrepArgumentTests {
    static func makeProject(_ name: String = #function) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(name)
        try dir.tree([
            ".git/": "",
            ".gitignore": "*.log\n",
            "t.txt": "a test\n-test here\nfoo-baz\nb\nc\nd test\ne\nf\n",
            "u.txt": "TEST upper\n-x marks\nplain\n",
            "src/main.py": "print('test')\n",
            "src/lib.rs": "fn test() {}\n",
            "debug.log": "test in an ignored file\n",
        ])
        return dir
    }

    static let rg = Process.which("rg")

    /// Every option that takes a value, in each spelling ripgrep accepts: separate,
    /// attached to the short letter, after `=`, and a value that starts with `-`.
    static let valueForms: [[String]] = [
        ["-e", "test", "t.txt"], ["-etest", "t.txt"], ["-e=test", "t.txt"], ["--regexp", "test", "t.txt"],
        ["--regexp=test", "t.txt"],
        ["-e", "-test", "t.txt"], ["-e-test", "t.txt"], ["--regexp=-test", "t.txt"], ["--regexp", "-test", "t.txt"],
        ["-e", "-baz", "-e", "-x", "t.txt", "u.txt"],
        ["-A1", "test", "t.txt"], ["-A", "1", "test", "t.txt"], ["--after-context=1", "test", "t.txt"],
        ["-B1", "test", "t.txt"], ["--before-context", "1", "test", "t.txt"],
        ["-C1", "test", "t.txt"], ["-C=1", "test", "t.txt"], ["--context=1", "test", "t.txt"],
        ["-m1", "test", "t.txt"], ["--max-count=1", "test", "t.txt"], ["-m", "1", "test", "t.txt"],
        ["-M5", "test", "t.txt"], ["-M", "7", "-n", "test", "t.txt"], ["--max-columns=6", "-o", "test", "t.txt"],
        ["--max-columns", "0", "test", "t.txt"],
        ["-j1", "test"], ["--threads=1", "test"], ["-j", "1", "test"],
        ["--max-depth=1", "test"], ["--maxdepth", "1", "test"],
        ["-g*.py", "test"], ["-g", "!*.txt", "test"], ["--glob=*.rs", "test"], ["-g=*.rs", "test"],
        ["--iglob=*.PY", "test"], ["--iglob", "!*.TXT", "test"],
        ["-tpy", "test"], ["-t", "rust", "test"], ["--type=py", "test"], ["-Ttxt", "test"], ["--type-not", "txt", "test"],
        ["--type-add", "foo:*.rs", "-tfoo", "test"], ["--type-add=foo:*.py", "--type=foo", "test"],
        ["--type-clear", "py", "--type-add", "py:*.rs", "-tpy", "test"],
        ["--max-filesize=10", "test"], ["--max-filesize", "1K", "test"],
        ["--color=never", "test", "t.txt"], ["--color", "never", "test", "t.txt"],
        ["--context-separator=XX", "-C0", "test", "t.txt"], ["--context-separator=-x-", "-C0", "test", "t.txt"],
        ["--field-match-separator", "-", "-n", "test", "t.txt"], ["--field-match-separator=|", "-n", "test", "t.txt"],
        ["--field-context-separator=:", "-n", "-C1", "test", "t.txt"],
        ["--path-separator=\\", "-l", "test"], ["--path-separator", "-", "-l", "test"],
        ["--sort=path", "test"], ["--sort", "path", "-j1", "test"],
        ["--ignore-file=t.txt", "-l", "test"],
    ]

    /// Bundles, `--`, and the last of contradicting flags winning.
    static let syntaxForms: [[String]] = [
        ["-inC1", "TEST", "t.txt"], ["-in", "TEST", "t.txt"], ["-niw", "test"],
        ["-i", "-s", "TEST", "t.txt"], ["-s", "-i", "TEST", "t.txt"], ["-S", "-s", "test", "u.txt"],
        ["--heading", "--no-heading", "test"], ["--no-heading", "--heading", "test"],
        ["-n", "-N", "test", "t.txt"], ["-N", "-n", "test", "t.txt"],
        ["-H", "-I", "test", "t.txt"], ["-I", "-H", "test", "t.txt"],
        ["--", "-test", "t.txt"], ["-n", "--", "-x", "u.txt"],
        ["--hidden", "--no-hidden", "-l", "test"], ["--no-ignore", "--ignore", "-l", "test"],
        ["-F", "--no-fixed-strings", "t.st", "t.txt"], ["-u", "-l", "test"], ["-uu", "-l", "test"],
        ["--files"], ["--files", "-tpy"], ["--files", "src", "t.txt"], ["-c", "--files", "-g", "*.rs"],
    ]

    /// Exit statuses and counts that live in the command line.
    static let statusForms: [[String]] = [
        ["-c", "-o", "test", "t.txt"], ["-c", "-o", "-e", "test", "-e", "-"],
        ["--files-without-match", "test"], ["--files-without-match", "nothing"],
        ["--files-without-match", "test", "t.txt"],
        ["nothing", "-g", "*.none"], ["nothing", "-tswift"], ["test", "-g", "*.none", "t.txt"],
        ["--include-zero", "-c", "upper"], ["--no-messages", "test", "missing.txt"],
    ]

    @Test(.enabled(if: rg != nil, "ripgrep is not installed"), arguments: valueForms + syntaxForms + statusForms)
    func readsTheCommandLineAsRipgrep(_ arguments: [String]) throws {
        let dir = try Self.makeProject("args")
        let ours = try AIFS.run(["search", "--sort", "path"] + arguments, in: dir.path)
        let theirs = try Process.capture(Self.rg!, ["--sort", "path"] + arguments, in: dir.path)
        #expect(ours.status == theirs.status, "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
        #expect(ours.stdout == theirs.stdout, "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
    }

    @Test(.enabled(if: rg != nil, "ripgrep is not installed"))
    func quietStatsStillPrintsTheStatistics() throws {
        let dir = try Self.makeProject()
        let ours = try AIFS.run(["search", "-q", "--stats", "test", "t.txt"], in: dir.path)
        let theirs = try Process.capture(Self.rg!, ["-q", "--stats", "test", "t.txt"], in: dir.path)
        #expect(ours.status == 0)
        // Timings differ from run to run.
        let figures = { (text: String) in text.split(separator: "\n").filter { !$0.contains("seconds") } }
        #expect(figures(ours.stdout) == figures(theirs.stdout), "ours: \(ours)\ntheirs: \(theirs)")
        #expect(ours.stdout.contains("0 bytes printed"))
    }

    @Test func nothingSearchedSaysWhyAndExits2() throws {
        let dir = try Self.makeProject()
        let result = try AIFS.run(["search", "test", "-g", "*.none"], in: dir.path)
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == """
            No files were searched, which means ripgrep probably applied a filter you didn't expect.
            Running with --debug will show why files are being skipped.

            """)
        // A path given explicitly is not "nothing searched", even when filtered.
        let explicit = try AIFS.run(["search", "nothing", "-g", "*.none", "."], in: dir.path)
        #expect(explicit.status == 1, "\(explicit)")
    }

    /// Spellings ripgrep 14 accepts and ripgrep 13 does not, each compared with the
    /// peer's output for a spelling it knows: ripgrep 14 takes any value after an
    /// option that takes one (clap rejected `--context-separator -x-`), added `-d` for
    /// `--max-depth` and the `--no-…` negations.
    static let ripgrep14Forms: [(ours: [String], peer: [String])] = [
        (["--context-separator", "-x-", "-C0", "test", "t.txt"], ["--context-separator=-x-", "-C0", "test", "t.txt"]),
        (["--field-match-separator", "-x", "-n", "test", "t.txt"], ["--field-match-separator=-x", "-n", "test", "t.txt"]),
        (["-d1", "test"], ["--max-depth=1", "test"]), (["-d", "0", "-l", "test", "src"], ["--max-depth=0", "-l", "test", "src"]),
        (["-v", "--no-invert-match", "test", "t.txt"], ["test", "t.txt"]),
        (["--column", "--no-column", "-n", "test", "t.txt"], ["-n", "test", "t.txt"]),
        (["-a", "--no-text", "test", "t.txt"], ["test", "t.txt"]),
        (["-L", "--no-follow", "-l", "test"], ["-l", "test"]),
        (["-uuu", "-l", "test"], ["-uu", "-l", "test"]),
    ]

    @Test(.enabled(if: rg != nil, "ripgrep is not installed"), arguments: ripgrep14Forms)
    func readsRipgrep14Spellings(_ ours: [String], _ peer: [String]) throws {
        let dir = try Self.makeProject("args14")
        let result = try AIFS.run(["search", "--sort", "path"] + ours, in: dir.path)
        let expected = try Process.capture(Self.rg!, ["--sort", "path"] + peer, in: dir.path)
        #expect(result.status == expected.status, "\(ours)\nours: \(result)\ntheirs: \(expected)")
        #expect(result.stdout == expected.stdout, "\(ours)\nours: \(result)\ntheirs: \(expected)")
    }

    /// ripgrep 14 lets the last output mode win (`Mode::update`); ripgrep 13 gave `-c`
    /// priority over `-l` whatever the order, so this is not compared with the peer.
    @Test func theLastOutputModeWins() throws {
        let dir = try Self.makeProject()
        let countThenList = try AIFS.run(["search", "-c", "-l", "test", "t.txt"], in: dir.path)
        #expect(countThenList.stdout == "t.txt\n")
        let listThenCount = try AIFS.run(["search", "-l", "-c", "test", "t.txt"], in: dir.path)
        #expect(listThenCount.stdout == "3\n")
        let jsonThenCount = try AIFS.run(["search", "--json", "-c", "test", "t.txt"], in: dir.path)
        #expect(jsonThenCount.stdout == "3\n")
    }

    @Test func configFileArgumentsComeFirst() throws {
        let dir = try Self.makeProject()
        try dir.tree(["config/rc": "# ripgrep-style configuration\n--ignore-case\n\n  -n  \n--glob=*.txt\n"])
        let environment = ["AIFS_CONFIG_PATH": dir.path("config/rc")]
        let configured = try AIFS.run(["search", "--sort", "path", "TEST"], in: dir.path, environment: environment)
        #expect(configured.stdout == "t.txt:1:a test\nt.txt:2:-test here\nt.txt:6:d test\nu.txt:1:TEST upper\n", "\(configured)")
        // The command line overrides the file: the last flag wins.
        let overridden = try AIFS.run(["search", "--sort", "path", "-s", "TEST"], in: dir.path, environment: environment)
        #expect(overridden.stdout == "u.txt:1:TEST upper\n", "\(overridden)")
        let skipped = try AIFS.run(["search", "--no-config", "--sort", "path", "-l", "TEST"], in: dir.path, environment: environment)
        #expect(skipped.stdout == "u.txt\n", "\(skipped)")
        let missing = try AIFS.run(["search", "TEST"], in: dir.path, environment: ["AIFS_CONFIG_PATH": dir.path("nope")])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("AIFS_CONFIG_PATH"), "\(missing)")
    }

    @Test func unknownOptionsAreStillReported() throws {
        let dir = try Self.makeProject()
        let result = try AIFS.run(["search", "-iZ", "test"], in: dir.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("-Z"), "\(result)")
        let missingValue = try AIFS.run(["search", "test", "-A"], in: dir.path)
        #expect(missingValue.status == 2, "\(missingValue)")
    }

    /// 10,000 paths from `xargs` still parse in linear time through the rewrite.
    @Test(.timeLimit(.minutes(1))) func longPathListsStayFast() throws {
        let dir = try Self.makeProject()
        let paths = Array(repeating: "t.txt", count: 10_000)
        let result = try AIFS.run(["search", "-c", "-m1", "test"] + paths, in: dir.path)
        #expect(result.status == 0)
        #expect(result.lines.count == 10_000)
    }
}
