import Foundation

/// A deterministic pseudo-random generator (splitmix64): the same numbers every run,
/// so a failing randomized case reproduces.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's state; the next number derives from it.
    public var state: UInt64

    /// A generator seeded with `seed`.
    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    /// A generator starting from `state` as is.
    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` by the remainder of ``next()``: not quite uniform, but
    /// the same sequence on every platform and Swift version, which
    /// `Int.random(in:using:)` does not promise.
    public mutating func next(upTo bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Products SwiftPM built next to the test bundle.
public enum BuiltProducts {
    /// The path of the executable `name` (SwiftPM builds it first when the test target
    /// depends on it), found beside or above the running test binary.
    ///
    /// - Precondition: The executable was built.
    public static func executable(named name: String) -> String {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        fatalError("cannot find the built \(name) binary near \(CommandLine.arguments[0])")
    }
}

/// Starting child processes one at a time.
///
/// On Linux, Foundation's `Process.run()` makes a socket pair (and the tests make pipes)
/// without close-on-exec, and in the child closes only the descriptors it listed a
/// moment before spawning. A descriptor made by another thread in that moment leaks
/// into the child: a second process's socket held by a long-lived first one (a server,
/// a watcher) hides the second one's exit until the first ends, so the second's
/// `waitUntilExit()` blocks its thread of Swift's cooperative pool; with every pool
/// thread blocked so, the test that would end the first process never runs, and the
/// whole test run hangs. Every test that starts a process, or makes the pipes it hands
/// to one, does it inside ``locked(_:)``.
public enum ChildProcesses {
    private static let lock = NSLock()

    /// Runs `body` (pipe creation, `Process.run()`) while no other test starts a process.
    public static func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
