import AIFSCore

/// Turns SIGINT and SIGTERM into a call, so a long-running command can stop cleanly
/// instead of being killed mid-write.
public enum TerminationSignals {
    /// Runs `handler` on a dedicated thread when SIGINT or SIGTERM arrives; a second
    /// signal ends the process at once with status 130.
    ///
    /// The signal handler only writes a byte to a pipe (all a handler may safely do);
    /// the thread reading the pipe calls `handler`. If the handler cannot be installed,
    /// the signals keep their default action (the process ends).
    public static func handle(_ handler: @escaping @Sendable () -> Void) {
        guard let fd = ProcessCalls.installTerminationPipe() else { return }
        DedicatedThreads.start(name: "aifs-signals") {
            guard ProcessCalls.readByte(fd: fd) else { return }
            handler()
            _ = ProcessCalls.readByte(fd: fd)
            ProcessCalls.exitImmediately(130)
        }
    }
}

/// `SIGPIPE` handling for long-running servers.
public enum BrokenPipe {
    /// Makes writes to a closed pipe fail with `EPIPE` instead of killing the process.
    public static func ignore() { ProcessCalls.ignoreBrokenPipe() }
}
