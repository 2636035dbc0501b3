import AIFS
@_spi(Syscalls) import AIFSCore
import AIFSIndex
import ArgumentParser

/// `aifs index [PATH]`: builds (or refreshes) the saved live index of a directory, the
/// one `aifs serve` loads at start, and prints its figures as JSON.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build or refresh the saved trigram index of a directory (what `aifs serve` loads) and print its figures as JSON.",
        discussion: """
            The index covers the files `aifs search` would read there with its defaults (hidden and \
            ignored files left out). It is saved under $XDG_CACHE_HOME/aifs/index (~/.cache/aifs/index). \
            A saved index that is still current is only checked; one with changed files is rebuilt. \
            `aifs search` itself always reads the files; the server uses the index.
            """
    )

    @Argument(help: "The directory (default: the current directory).")
    var path: String = "."

    @Option(name: .customLong("cache-dir"), help: ArgumentHelp("Where indexes are saved (default: $XDG_CACHE_HOME/aifs/index).", valueName: "DIR"))
    var cacheDirectory: String?

    func run() throws {
        let root: String
        do {
            root = try FileSystemCalls.realPath(path)
        } catch {
            try? Console.standardError.write("aifs: index: cannot use '\(path)': \(error); give an existing directory\n")
            throw ExitCode(2)
        }
        guard (try? FileIdentity(path: root))?.kind == .directory else {
            try? Console.standardError.write("aifs: index: '\(path)' is not a directory; give a directory\n")
            throw ExitCode(2)
        }
        guard let store = cacheDirectory.map(IndexStore.init(directory:)) ?? IndexStore.standard() else {
            try? Console.standardError.write("aifs: index: neither XDG_CACHE_HOME nor HOME is set; pass --cache-dir DIR\n")
            throw ExitCode(2)
        }
        var index = LiveIndex(root: root, walkOptions: WalkOptions())
        index.build(store: store)
        if index.phase == .ready, index.statistics().dirtyFiles > 0 {
            // Files changed since it was saved: a fresh build replaces the saved copy.
            index = LiveIndex(root: root, walkOptions: WalkOptions())
            index.build(store: store, loading: false)
        }
        let statistics = index.statistics()
        var json = JSONObjectWriter()
        json.string("root", root)
        json.string("state", statistics.phase.rawValue)
        json.number("files", statistics.files)
        json.number("bytes", Int(statistics.bytes))
        json.number("ngrams", statistics.ngrams)
        json.number("memoryBytes", statistics.memoryBytes)
        json.number("diskBytes", statistics.diskBytes)
        json.double("buildSeconds", (statistics.buildSeconds * 1000).rounded() / 1000)
        json.number("unindexedFiles", statistics.unindexedFiles)
        json.string("path", store.path(for: root))
        if let reason = statistics.reason { json.string("reason", reason) }
        try? Console.standardOutput.write(json.finished() + "\n")
        if statistics.phase != .ready { throw ExitCode(2) }
    }
}
