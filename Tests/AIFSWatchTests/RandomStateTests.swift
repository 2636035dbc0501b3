import AIFSTestSupport
import Foundation
import Testing

@testable import AIFSWatch

/// Random operations on the fake kernel, read in batches of random sizes, with random
/// time between them and changes made while the state lists a directory (a writer
/// racing `readdir`): replaying what the state reports must give exactly the disk.
/// The kernel-backed twin is `RandomOperationsTests`; this one runs 300 rounds of
/// operations per seed in milliseconds, so thousands of seeds can be tried.
@Suite struct RandomStateTests {
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

    /// 32 seeds by default (well under a second); `AIFS_STATE_SEEDS=first-last` runs
    /// others, e.g. `AIFS_STATE_SEEDS=1-5000 swift test --skip-build --filter RandomStateTests`.
    static let seeds: [UInt64] = {
        let text = ProcessInfo.processInfo.environment["AIFS_STATE_SEEDS"] ?? ""
        let range = text.split(separator: "-").compactMap { UInt64($0) }
        return range.count == 2 && range[0] <= range[1] ? Array(range[0]...range[1]) : Array(1...32)
    }()

    @Test(arguments: [false, true])
    func replayedEventsMatchTheFakeDisk(atomic: Bool) {
        var failures: [String] = []
        for seed in Self.seeds {
            if let failure = run(seed: seed, atomic: atomic) { failures.append("seed \(seed): \(failure)") }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
    }

    private func run(seed: UInt64, atomic: Bool) -> String? {
        var random = SplitMix64(seed: seed)
        var options = WatchOptions()
        if !atomic { options.atomic = nil }
        let h = StateHarness(options: options) { kernel in
            kernel.mkdir("/r/a")
            kernel.write("/r/a/x")
            kernel.mkdir("/outside")
        }
        var replay = Replay()
        let names = ["a", "b", "c", "d", "e"]
        func pick(_ base: String = "/r") -> String {
            let depth = Int.random(in: 0...2, using: &random)
            return base + "/" + (0...depth).map { _ in names.randomElement(using: &random)! }.joined(separator: "/")
        }
        func operate() {
            let path = pick()
            switch Int.random(in: 0..<10, using: &random) {
            case 0, 1: h.kernel.write(path, size: Int64.random(in: 1...9, using: &random))
            case 2, 3: h.kernel.mkdir(path)
            case 4: h.kernel.remove(path)
            case 5, 6: h.kernel.rename(path, to: pick())
            case 7: h.kernel.rename(path, to: pick("/outside"))
            case 8: h.kernel.rename(pick("/outside"), to: path)
            default:
                // An atomic save: a temporary file renamed over the target.
                let (parent, name) = WatchTree.split(path)
                h.kernel.write(parent + "/." + name + ".tmp", size: 7)
                h.kernel.rename(parent + "/." + name + ".tmp", to: path)
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
        for event in h.reportedEvents() { replay.apply(event) }
        for _ in 0..<300 {
            for _ in 0..<Int.random(in: 1...4, using: &random) { operate() }
            var queued = h.kernel.drain()
            // The kernel's records arrive in reads of any size.
            while !queued.isEmpty {
                let count = Int.random(in: 1...max(1, queued.count), using: &random)
                h.state.handle(Array(queued.prefix(count)))
                queued.removeFirst(count)
                queued.append(contentsOf: h.kernel.drain())
            }
            h.advance(by: .milliseconds(Int.random(in: 0...120, using: &random)))
            for event in h.reportedEvents() { replay.apply(event) }
            if let problem = replay.problems.first { return problem }
        }
        // Let every deadline pass, then compare.
        while h.state.nextDeadline != nil {
            h.advance(by: .seconds(1))
            h.state.handle(h.kernel.drain())
        }
        for event in h.reportedEvents() { replay.apply(event) }
        if let problem = replay.problems.first { return problem }
        let disk = h.kernel.paths(under: "/r")
        if replay.paths != disk {
            return "reported but not on disk: \(replay.paths.subtracting(disk).sorted()); "
                + "on disk but not reported: \(disk.subtracting(replay.paths).sorted())"
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
