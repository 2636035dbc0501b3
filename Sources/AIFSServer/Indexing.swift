import AIFS
import AIFSCache
import AIFSCore
import AIFSIndex
import AIFSWatch
import Logging
import MCP
import Synchronization

/// The server's live indexes: one per root, started with the server (and again when the
/// client's roots replace ours), built in the background; `search_content` reads only
/// the files they name once they are ready (issue #17).
///
/// ## Threading
/// Any thread.
final class Indexing: Sendable {
    /// Whether the server indexes (`--no-index` turns it off).
    let enabled: Bool
    private let trees = Mutex<[String: TreeIndex]>([:])
    private let problems = Mutex<[String: String]>([:])

    init(enabled: Bool) {
        self.enabled = enabled
    }

    /// The walk `search_content` makes by default, which the indexes are made for.
    static func walkOptions(root: String) -> WalkOptions {
        var options = WalkOptions()
        options.globBase = root
        return options
    }

    /// Indexes each of `roots` not indexed yet, and stops the indexes of roots no
    /// longer in force.
    func start(roots: Roots, service: FileService, logger: Logger) {
        guard enabled else { return }
        let wanted = Set(roots.paths)
        let stale = trees.withLock { trees -> [TreeIndex] in
            let gone = trees.filter { !wanted.contains($0.key) }
            for key in gone.keys { trees[key] = nil }
            return Array(gone.values)
        }
        for tree in stale { tree.stop() }
        for root in roots.paths where trees.withLock({ $0[root] == nil }) {
            do {
                let tree = try service.liveIndex(
                    root: root, walkOptions: Self.walkOptions(root: root), memoryBudget: Self.memoryBudget)
                trees.withLock { $0[root] = tree }
            } catch {
                problems.withLock { $0[root] = error.message }
                logger.notice("not indexing '\(root)': \(error.message); searches there scan")
            }
        }
    }

    /// The most memory one root's index may hold: an eighth of the memory the server
    /// may use, at most 1 GiB.
    static let memoryBudget = min(1 << 30, max(64 << 20, SystemMemory.limit().bytes / 8))

    /// The index whose root holds `path`, if any.
    func tree(containing path: String) -> TreeIndex? {
        guard enabled else { return nil }
        return trees.withLock { trees in
            trees.first { path == $0.key || path.hasPrefix($0.key == "/" ? "/" : $0.key + "/") }?.value
        }
    }

    /// Stops every index.
    func stop() {
        let all = trees.withLock { trees in
            defer { trees.removeAll() }
            return Array(trees.values)
        }
        for tree in all { tree.stop() }
    }

    /// `get_filesystem_stats`' `index`: one object, or one per root when there are several.
    func statistics(roots: Roots) -> Value {
        let values: [Value] = roots.paths.map { root in
            guard enabled else { return Self.value(root: root, state: "off", reason: "--no-index") }
            guard let tree = trees.withLock({ $0[root] }) else {
                return Self.value(root: root, state: "failed", reason: problems.withLock { $0[root] } ?? "not started")
            }
            let statistics = tree.index.statistics()
            var value: [String: Value] = [
                "root": .string(root), "state": .string(statistics.phase.rawValue),
                "files": .int(statistics.files), "bytes": .int(Int(statistics.bytes)), "ngrams": .int(statistics.ngrams),
                "memoryBytes": .int(statistics.memoryBytes), "diskBytes": .int(statistics.diskBytes),
                "buildSeconds": .double((statistics.buildSeconds * 1000).rounded() / 1000),
                "updates": .int(statistics.updates), "lagMs": .double((statistics.lagMs * 10).rounded() / 10),
                "dirtyFiles": .int(statistics.dirtyFiles), "unindexedFiles": .int(statistics.unindexedFiles),
                "reason": statistics.reason.map(Value.string) ?? .null,
            ]
            if tree.checksIdentities { value["checksIdentities"] = .bool(true) }
            return .object(value)
        }
        return values.count == 1 ? values[0] : .array(values)
    }

    private static func value(root: String, state: String, reason: String) -> Value {
        [
            "root": .string(root), "state": .string(state), "files": 0, "bytes": 0, "ngrams": 0, "memoryBytes": 0,
            "diskBytes": 0, "buildSeconds": 0, "updates": 0, "lagMs": 0, "reason": .string(reason),
        ]
    }

    /// A line of `get_filesystem_stats`' text.
    func describe(roots: Roots) -> String {
        guard enabled else { return "index: off (--no-index)" }
        return roots.paths.map { root in
            guard let tree = trees.withLock({ $0[root] }) else { return "index of \(root): failed" }
            let statistics = tree.index.statistics()
            return "index of \(root): \(statistics.phase.rawValue), \(statistics.files) files, "
                + "\(MemoryMonitor.describe(statistics.memoryBytes)) in memory, \(statistics.ngrams) trigrams"
                + (statistics.reason.map { " (\($0))" } ?? "")
        }.joined(separator: "\n")
    }
}
