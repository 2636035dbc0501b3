/// Runs blocking work on dedicated OS threads, never on Swift's cooperative pool.
public enum DedicatedThreads {
    /// The number of processors this process may run on (its CPU affinity).
    public static var processorCount: Int { Syscall.processorCount() }

    /// Runs `body(index)` on `count` new threads and waits for all of them.
    ///
    /// If the system refuses a thread (at the process's thread limit), the indexes it
    /// would have run are run by the threads that did start, or on the calling thread;
    /// every index runs exactly once either way.
    ///
    /// - Parameters:
    ///   - count: How many threads; at least 1 index always runs.
    ///   - name: A thread-name prefix shown by `top -H`, `perf` and debuggers.
    ///   - body: The work of one thread, given its index.
    public static func run(count: Int, name: String, _ body: @escaping @Sendable (Int) -> Void) {
        let count = max(1, count)
        var threads: [OSThread] = []
        var started = 0
        for index in 0..<count {
            guard let thread = OSThread(name: "\(name)-\(index)", { body(index) }) else { break }
            threads.append(thread)
            started += 1
        }
        // Indexes no thread could take run here, one after another.
        for index in started..<count { body(index) }
        for thread in threads { thread.join() }
    }

    /// Starts `body` on a new thread and returns at once.
    ///
    /// If the system refuses a thread, `body` runs on the calling thread before this
    /// returns, so it always runs.
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        if OSThread(name: name, body) == nil { body() }
    }

    /// Starts `body` on a new thread and returns at once, or returns `false` (and does
    /// not run `body`) when the system refuses a thread: for long-lived loops that must
    /// never run on the caller's thread (a worker pool's workers).
    public static func tryStart(name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
        OSThread(name: name, body) != nil
    }
}
