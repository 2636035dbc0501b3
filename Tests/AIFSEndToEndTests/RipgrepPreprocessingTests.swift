import AIFSTestSupport
import Foundation
import Testing

/// `-z/--search-zip`, `--pre` and `--pre-glob` as ripgrep (issue 18): compressed files
/// through the installed decompressors (a missing one, or an unknown suffix, leaves the
/// file searched as it is), a command's output instead of the file. Compared byte for
/// byte with the installed `rg`.
@Suite struct RipgrepPreprocessingTests {
    static let rg = Process.which("rg")
    static let tools = ["gzip", "bzip2", "xz"].allSatisfy { Process.which($0) != nil }

    static func makeTree(_ name: String = #function) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(name)
        try dir.tree([
            "plain.txt": "hello plain\n",
            "up.sh": "#!/bin/sh\ntr a-z A-Z < \"$1\"\n",
            "stdin.sh": "#!/bin/sh\nsed s/hello/HI/\n",
            "bad.gz": "not gzip hello\n",
        ])
        _ = chmod(dir.path("up.sh"), 0o755)
        _ = chmod(dir.path("stdin.sh"), 0o755)
        // Through a shell: the compressed bytes are not text.
        let script = """
            printf 'hello a.gz\\nother\\n' | gzip > a.gz && printf 'hello b.bz2\\nother\\n' | bzip2 > b.bz2 \\
            && printf 'hello c.xz\\nother\\n' | xz > c.xz && printf 'hello f.lzma\\nother\\n' | xz --format=lzma > f.lzma
            """
        let made = try Process.capture("/bin/sh", ["-c", script], in: dir.path)
        guard made.status == 0 else { throw CocoaError(.fileWriteUnknown) }
        return dir
    }

    static let forms: [[String]] = [
        ["-z", "hello"], ["-z", "-c", "hello"], ["hello"], ["-z", "hello", "a.gz"], ["-z", "-l", "hello"], ["--search-zip", "-n", "other"],
        ["-z", "--no-search-zip", "hello"],
        ["--pre", "./up.sh", "HELLO"], ["--pre", "./up.sh", "--pre-glob", "*.txt", "HELLO"], ["--pre=./up.sh", "--pre-glob=*.txt", "-n", "HELLO"],
        ["--pre", "./stdin.sh", "HI", "plain.txt"], ["--pre", "./nope", "hello", "plain.txt"], ["--pre", "./up.sh", "--no-pre", "hello"],
    ]

    @Test(.enabled(if: rg != nil && tools, "ripgrep, gzip, bzip2 or xz is not installed"), arguments: forms)
    func preprocessingAsRipgrep(_ arguments: [String]) throws {
        let dir = try Self.makeTree("preprocess")
        let ours = try AIFS.run(["search", "--sort", "path"] + arguments, in: dir.path)
        let theirs = try Process.capture(Self.rg!, ["--sort", "path"] + arguments, in: dir.path)
        #expect(ours.status == theirs.status, "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
        #expect(ours.stdout == theirs.stdout, "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
    }

    /// A decompressor that fails (not gzip data) is an error naming the file; the
    /// search goes on.
    @Test(.enabled(if: tools, "gzip is not installed"))
    func aFailingDecompressorIsAnError() throws {
        let dir = try Self.makeTree()
        let result = try AIFS.run(["search", "-z", "hello", "bad.gz", "a.gz"], in: dir.path)
        #expect(result.status == 2, "\(result)")
        #expect(result.stdout == "a.gz:hello a.gz\n", "\(result)")
        #expect(result.stderr.contains("bad.gz: preprocessor command failed"), "\(result)")
    }
}
