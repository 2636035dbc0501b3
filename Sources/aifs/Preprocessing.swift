import AIFSCore

/// ripgrep's preprocessing: `--pre COMMAND` (for the files `--pre-glob` selects, all by
/// default) and `-z/--search-zip` (compressed files through the decompressor programs
/// ripgrep uses). The command's output is searched instead of the file.
struct Preprocessing: Sendable {
    var searchZip = false
    var command: String?
    /// `--pre-glob`, with `-g`'s meaning; nil for every file.
    var globs: OverrideGlobs?

    var isActive: Bool { searchZip || command != nil }

    /// ripgrep 14's decompressors (`grep_cli::DecompressionMatcher`'s defaults), by
    /// file-name suffix.
    static let decompressors: [(suffix: String, program: String, arguments: [String])] = [
        (".gz", "gzip", ["-d", "-c"]), (".tgz", "gzip", ["-d", "-c"]),
        (".bz2", "bzip2", ["-d", "-c"]), (".tbz2", "bzip2", ["-d", "-c"]),
        (".xz", "xz", ["-d", "-c"]), (".txz", "xz", ["-d", "-c"]),
        (".lz4", "lz4", ["-d", "-c"]), (".lzma", "xz", ["--format=lzma", "-d", "-c"]),
        (".br", "brotli", ["-d", "-c"]), (".zst", "zstd", ["-q", "-d", "-c"]), (".zstd", "zstd", ["-q", "-d", "-c"]),
        (".Z", "uncompress", ["-c"]),
    ]

    /// The program (and its arguments, the path last) whose output stands for the file
    /// at `path`, or nil to search the file itself. `--pre` wins over `-z`, as ripgrep.
    func program(for path: [UInt8]) -> (executable: String, arguments: [String])? {
        let text = String(decoding: path, as: UTF8.self)
        if let command {
            let selected = globs.map { globs in
                let name = path.split(separator: UInt8(ascii: "/")).last.map(Array.init) ?? path
                let byPath = path.withUnsafeBufferPointer { globs.match($0, isDirectory: false) }
                let byName = name.withUnsafeBufferPointer { globs.match($0, isDirectory: false) }
                return byPath == .whitelist || byName == .whitelist
            } ?? true
            if selected { return (command, [text]) }
        }
        if searchZip, let rule = Self.decompressors.first(where: { text.hasSuffix($0.suffix) }) {
            return (rule.program, rule.arguments + [text])
        }
        return nil
    }
}
