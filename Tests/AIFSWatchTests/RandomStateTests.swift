import AIFSTestSupport
import Foundation
import SystemPackage
import Testing

@testable import AIFSWatch

/// Random operations on the fake kernel, read in batches of random sizes, with random
/// time between them and changes made while the state lists a directory (a writer
/// racing `readdir`, and between a poll's looks): replaying what the state reports must
/// give exactly the disk. Under inotify, polling (every directory polled, freed inode
/// numbers handed out again at once as ext4 does) and mixed (directories named `b` or
/// `d` past the watch limit, polled), each with and without `atomic`.
/// The kernel-backed twin is `RandomOperationsTests`; this one runs 300 rounds of
/// operations per seed in milliseconds, so thousands of seeds can be tried.
@Suite struct RandomStateTests {
    enum Mode: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case inotify, polling, mixed
        var testDescription: String { rawValue }
    }

    /// The tree a consumer builds from the events.
    private struct Replay {
        var paths: Set<String> = []
        var problems: [String] = []
        /// The last events applied, for the failure message.
        var recent: [String] = []

        mutating func apply(_ event: WatchEvent) {
            recent.append(event.description)
            if recent.count > 12 { recent.removeFirst() }
            let before = problems.count
            defer { if problems.count > before { problems[before] += " after " + recent.joined(separator: "; ") } }
            switch event.kind {
            case .add, .addDir:
                if !paths.insert(event.path).inserted { problems.append("added twice: \(event.path)") }
            case .change:
                if !paths.contains(event.path) { problems.append("change of an unknown path: \(event.path)") }
            case .unlink, .unlinkDir:
                if paths.remove(event.path) == nil { problems.append("removed an unknown path: \(event.path)") }
                let prefix = event.path + "/"
                if paths.contains(where: { $0.hasPrefix(prefix) }) { problems.append("removed before its entries: \(event.path)") }
            case .rename(let from):
                guard paths.contains(from) else {
                    problems.append("renamed an unknown path: \(from)")
                    return
                }
                let prefix = from + "/"
                for path in paths where path == from || path.hasPrefix(prefix) {
                    paths.remove(path)
                    paths.insert(event.path + path.dropFirst(from.count))
                }
            default:
                break
            }
        }
    }

    /// By default 32 seeds under inotify and 8 under polling and mixed (each poll lists
    /// every directory: a seed costs four times as much), well under a second in all;
    /// `AIFS_STATE_SEEDS=first-last` runs others in every mode, e.g.
    /// `AIFS_STATE_SEEDS=1-5000 swift test --skip-build --filter RandomStateTests`.
    /// `AIFS_STATE_MODE=polling` (or `inotify`, `mixed`) runs one mode only.
    static let modes: [Mode] = ProcessInfo.processInfo.environment["AIFS_STATE_MODE"].flatMap(Mode.init(rawValue:)).map { [$0] }
        ?? Mode.allCases

    static func seeds(_ mode: Mode) -> [UInt64] {
        let text = ProcessInfo.processInfo.environment["AIFS_STATE_SEEDS"] ?? ""
        let range = text.split(separator: "-").compactMap { UInt64($0) }
        if range.count == 2 && range[0] <= range[1] { return Array(range[0]...range[1]) }
        return mode == .inotify ? Array(1...32) : Array(1...8)
    }

    @Test(arguments: Self.modes, [false, true])
    func replayedEventsMatchTheFakeDisk(mode: Mode, atomic: Bool) {
        var failures: [String] = []
        for seed in Self.seeds(mode) {
            if let failure = run(seed: seed, mode: mode, atomic: atomic) { failures.append("seed \(seed): \(failure)") }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
    }

    private func run(seed: UInt64, mode: Mode, atomic: Bool) -> String? {
        var random = SplitMix64(seed: seed)
        var options = WatchOptions()
        if !atomic { options.atomic = nil }
        let h = StateHarness(options: options) { kernel in
            kernel.mkdir("/r/a")
            kernel.write("/r/a/x")
            kernel.mkdir("/outside")
            switch mode {
            case .inotify: break
            case .polling:
                kernel.pollsDirectory = { $0 == "/r" || $0.hasPrefix("/r/") }
                kernel.reusesInodes = true
            case .mixed:
                kernel.failsWatch = { ["b", "d"].contains(WatchTree.split($0).name) ? .noSpace : nil }
                kernel.reusesInodes = true
            }
        }
        var replay = Replay()
        let names = ["a", "b", "c", "d", "e"]
        func pick(_ base: String = "/r") -> String {
            let depth = Int.random(in: 0...2, using: &random)
            return base + "/" + (0...depth).map { _ in names.randomElement(using: &random)! }.joined(separator: "/")
        }
        // AIFS_STATE_TRACE=1: a failure says what happened, operations and events.
        let tracing = ProcessInfo.processInfo.environment["AIFS_STATE_TRACE"] != nil
        var trace: [String] = []
        func note(_ line: @autoclosure () -> String) { if tracing { trace.append(line()) } }
        func operate() {
            let path = pick()
            switch Int.random(in: 0..<10, using: &random) {
            case 0, 1:
                h.kernel.write(path, size: Int64.random(in: 1...9, using: &random))
                note("write \(path)")
            case 2, 3:
                h.kernel.mkdir(path)
                note("mkdir \(path)")
            case 4:
                h.kernel.remove(path)
                note("rm -r \(path)")
            case 5, 6:
                let target = pick()
                if h.kernel.rename(path, to: target) { note("mv \(path) \(target)") }
            case 7:
                let target = pick("/outside")
                if h.kernel.rename(path, to: target) { note("mv \(path) \(target)") }
            case 8:
                let source = pick("/outside")
                if h.kernel.rename(source, to: path) { note("mv \(source) \(path)") }
            default:
                // An atomic save: a temporary file renamed over the target.
                let (parent, name) = WatchTree.split(path)
                h.kernel.write(parent + "/." + name + ".tmp", size: 7)
                if h.kernel.rename(parent + "/." + name + ".tmp", to: path) { note("save \(path)") }
            }
        }
        func failure(_ text: String) -> String {
            tracing ? text + "\n" + trace.suffix(4000).joined(separator: "\n") : text
        }
        func replayReported() {
            for event in h.reportedEvents() {
                note("  > \(event.kind.name) \(event.path)" + { if case .rename(let from) = event.kind { return " from \(from)" } else { return "" } }())
                replay.apply(event)
            }
        }
        // Sometimes a change lands between the state's listing and its use of it.
        var racing = false
        h.kernel.afterListing = { _ in
            guard !racing, Int.random(in: 0..<4, using: &random) == 0 else { return }
            racing = true
            operate()
            racing = false
        }
        h.state.start()
        replayReported()
        for _ in 0..<300 {
            for _ in 0..<Int.random(in: 1...4, using: &random) { operate() }
            var queued = h.kernel.drain()
            // The kernel's records arrive in reads of any size.
            while !queued.isEmpty {
                let count = Int.random(in: 1...max(1, queued.count), using: &random)
                note("-- \(count) records")
                h.state.handle(Array(queued.prefix(count)))
                queued.removeFirst(count)
                queued.append(contentsOf: h.kernel.drain())
            }
            // A poll is due now and then, as the interval passes.
            if mode != .inotify && Bool.random(using: &random) {
                note("-- poll")
                let listings = h.kernel.poll()
                note("-- polled")
                h.state.handle(listings: listings)
            }
            h.advance(by: .milliseconds(Int.random(in: 0...120, using: &random)))
            replayReported()
            if let problem = replay.problems.first { return failure(problem) }
        }
        // Let every deadline pass and a few polls see the end, then compare.
        h.kernel.afterListing = nil
        for _ in 0..<3 {
            h.state.handle(h.kernel.drain())
            while h.state.nextDeadline != nil {
                h.advance(by: .seconds(1))
                h.state.handle(h.kernel.drain())
            }
            if mode != .inotify { h.state.handle(listings: h.kernel.poll()) }
        }
        while h.state.nextDeadline != nil {
            h.advance(by: .seconds(1))
            h.state.handle(h.kernel.drain())
        }
        note("-- end")
        replayReported()
        if let problem = replay.problems.first { return failure(problem) }
        let disk = h.kernel.paths(under: "/r")
        if replay.paths != disk {
            return failure(
                "reported but not on disk: \(replay.paths.subtracting(disk).sorted()); "
                    + "on disk but not reported: \(disk.subtracting(replay.paths).sorted())")
        }
        return nil
    }
}

extension StateHarness {
    /// The events reported since the last call.
    func reportedEvents() -> [WatchEvent] {
        defer { _ = take() }
        return reported
    }
}
