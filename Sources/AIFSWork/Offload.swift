import AIFSCore

extension WorkerPool {
    /// Runs one blocking call on the shared ``AIFSCore/BlockingExecutor`` and awaits
    /// its result: for a single write or transaction from async code (an MCP tool
    /// call), where a pool would be more than the job needs.
    ///
    /// The calling task is suspended, not blocked; the cooperative pool stays free.
    public static func runDetached<T: Sendable>(
        name: String = "aifs-blocking", _ body: @escaping @Sendable () throws(WorkError) -> T
    ) async throws(WorkError) -> T {
        try await BlockingExecutor.shared.perform(body)
    }
}
