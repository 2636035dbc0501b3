import AIFSTestSupport
import Foundation
import Glibc
import Synchronization
import SystemPackage
import Testing

@testable import AIFSWatch

/// Random file-system operations (seeded; the interleaving with the watcher still varies
/// from run to run) on both backends, and mixed (inotify, with directories named `b` or
/// `d` past the watch limit, polled): replaying the reported events must give exactly
/// what is on disk. Set `AIFS_DEBUG_EVENTS=/tmp/file` to get the operations and the
/// events of a failing case written to `/tmp/file-<mode>-<seed>`.
///
/// To hunt for rare failures, run many seeds, a hundred at a time (failures show more on
/// a loaded machine), e.g.
/// `AIFS_RANDOM_SEEDS=4000-4099 AIFS_RANDOM_POLLING=1
/// swift test --skip-build --filter RandomOperationsTests`.
@Suite struct RandomOperationsTests {
    enum Mode: String, Sendable, CustomTestStringConvertible {
        case inotify, polling, mixed
        var testDescription: String { rawValue }
    }

    /// What the events say exists: `add`/`addDir` insert, `unlink`/`unlinkDir` remove,
    /// `rename` moves the entry and everything under it.
    private static func replay(_ events: [WatchEvent]) -> Set<String> {
        var paths = Set<String>()
        for event in events {
            switch event.kind {
            case .add, .addDir: paths.insert(event.path)
            case .unlink, .unlinkDir: paths.remove(event.path)
            case .rename(let from):
                let moved = paths.filter { $0 == from || $0.hasPrefix(from + "/") }
                paths.subtract(moved)
                for path in moved { paths.insert(event.path + path.dropFirst(from.count)) }
            default: break
            }
        }
        return paths
    }

    private static func onDisk(_ root: String) -> Set<String> {
        var paths: Set<String> = [root]
        if let enumerator = FileManager.default.enumerator(atPath: root) {
            for case let relative as String in enumerator { paths.insert(root + "/" + relative) }
        }
        return paths
    }

    /// The committed cases, or `AIFS_RANDOM_SEEDS=first-last` in one mode
    /// (`AIFS_RANDOM_POLLING=1`, the default, `0` for inotify, `mixed` for mixed).
    static let cases: [(Mode, UInt64)] = {
        let environment = ProcessInfo.processInfo.environment
        if let range = environment["AIFS_RANDOM_SEEDS"]?.split(separator: "-").compactMap({ UInt64($0) }), range.count == 2 {
            let mode: Mode = switch environment["AIFS_RANDOM_POLLING"] {
            case "0": .inotify
            case "mixed": .mixed
            default: .polling
            }
            return (range[0]...range[1]).map { (mode, $0) }
        }
        // 2243, 3369 and 5852 failed under polling before issue 4's fixes (timing
        // decides; the deterministic tests are the `issue4_*` ones in
        // PollingListingTests, and PolledStateTests).
        // A case takes well under a second.
        let polling: [UInt64] = [1, 2, 14, 2243, 3369, 5852] + Array(100..<110)
        return [(.inotify, 1), (.inotify, 2), (.inotify, 13), (.mixed, 1), (.mixed, 2)] + polling.map { (.polling, $0) }
    }()

    @Test(.timeLimit(.minutes(1)), arguments: cases)
    func replayedEventsMatchTheDisk(mode: Mode, seed: UInt64) async throws {
        let dir = try TemporaryDirectory()
        try dir.tree(["a/x.txt": "x", "b/": ""])
        var options = WatchOptions()
        options.usePolling = mode == .polling
        options.interval = .milliseconds(10)
        let raw = RawLog()
        var environment = WatchEnvironment()
        let debugging = ProcessInfo.processInfo.environment["AIFS_DEBUG_EVENTS"] != nil
        // Mixed: the kernel's watch limit for directories named `b` or `d`, polled instead.
        let mixed = mode == .mixed
        let failure: (String) -> Errno? = { path in
            mixed && ["b", "d"].contains(WatchTree.split(path).name) ? Errno.noSpace : nil
        }
        let onRead: (BackendBatch) -> Void = { batch in if debugging { raw.append(batch) } }
        if debugging || mixed {
            environment.adaptBackend = { InterposedBackend($0, failing: failure, onRead: onRead) }
        }
        let events = try EventRecorder(paths: [dir.path], options: options, environment: environment)
        try await events.expect([.ready(dir.path)])

        var operations = RandomFileOperations(root: dir.path, seed: seed)
        var log: [String] = []
        // 1,000 on both backends (polling ran 300 while seed 14's `e/a.tmp` failed about
        // one case in 130 under load; see docs/design/0005). AIFS_RANDOM_OPERATIONS
        // changes it.
        let count = ProcessInfo.processInfo.environment["AIFS_RANDOM_OPERATIONS"].flatMap { Int($0) } ?? 1000
        for _ in 0..<count {
            if let done = try operations.step() { log.append(done) }
        }
        // Converges: poll the predicate with a deadline (unlinks are held by `atomic`).
        let deadline = ContinuousClock.now + .seconds(20)
        while Self.replay(events.all) != Self.onDisk(dir.path) {
            if ContinuousClock.now > deadline {
                let reported = Self.replay(events.all)
                let disk = Self.onDisk(dir.path)
                if let file = ProcessInfo.processInfo.environment["AIFS_DEBUG_EVENTS"] {
                    let text = (log + ["--- events"] + events.all.map(\.description) + ["--- raw"] + raw.lines).joined(separator: "\n")
                    try? text.write(toFile: "\(file)-\(mode.rawValue)-\(seed)", atomically: true, encoding: .utf8)
                }
                Issue.record("""
                    reported but not on disk: \(reported.subtracting(disk).sorted())
                    on disk but not reported: \(disk.subtracting(reported).sorted())
                    """)
                return
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        // Mixed: the one error that says the watch limit was reached, and nothing else.
        #expect(events.all.filter { $0.kind.name == "error" }.count == (mode == .mixed ? 1 : 0))
    }
}

/// The raw records and listings a watch read, as text, for the `AIFS_DEBUG_EVENTS` dump.
private final class RawLog: Sendable {
    private let mutex = Mutex<[String]>([])

    func append(_ batch: BackendBatch) {
        var text = batch.records.map {
            "wd \($0.descriptor.rawValue) mask \(String($0.mask.rawValue, radix: 16)) cookie \($0.cookie) \($0.name)"
        }
        for listing in batch.listings {
            let entries = listing.entries.map { entries in
                entries.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value.inode):\($0.value.size)" }.joined(separator: " ")
            }
            text.append("wd \(listing.descriptor.rawValue) lists \(entries ?? "(gone)")")
        }
        mutex.withLock { $0.append(contentsOf: text + ["--"]) }
    }

    var lines: [String] { mutex.withLock { $0 } }
}
