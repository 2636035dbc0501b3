import AIFSCore

extension WorkerPool {
    /// Runs one blocking call on a new dedicated thread and awaits its result: for a
    /// single write or transaction from async code (an MCP tool call), where a pool
    /// would be more than the job needs.
    ///
    /// The calling task is suspended, not blocked; the cooperative pool stays free.
    public static func runDetached<T: Sendable>(
        name: String = "aifs-blocking", _ body: @escaping @Sendable () throws(WorkError) -> T
    ) async throws(WorkError) -> T {
        let result: Result<T, WorkError> = await withCheckedContinuation { continuation in
            DedicatedThreads.start(name: name) {
                continuation.resume(returning: Result { () throws(WorkError) -> T in try body() })
            }
        }
        return try result.get()
    }
}
