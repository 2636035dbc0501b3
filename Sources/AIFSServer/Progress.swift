import AIFSCore
import MCP
import Synchronization

/// Sends `notifications/progress` for one tool call whose request carried a
/// `_meta.progressToken`, at most once per ``interval``.
///
/// ## Threading
/// ``report(_:total:message:)`` from any task; the rate limit is behind a mutex.
final class ProgressReporter: Sendable {
    /// The shortest time between two notifications: often enough for a progress bar,
    /// rare enough to cost nothing next to the work.
    static let interval: Duration = .milliseconds(100)

    let token: ProgressToken
    private let send: @Sendable (ProgressNotification.Parameters) async -> Void
    private let last = Mutex<(instant: ContinuousClock.Instant, progress: Double)?>(nil)

    /// - Parameter send: Sends one notification to the client.
    init(token: ProgressToken, send: @escaping @Sendable (ProgressNotification.Parameters) async -> Void) {
        self.token = token
        self.send = send
    }

    /// Sends the progress so far unless one was sent less than ``interval`` ago, or
    /// the progress has not moved since.
    ///
    /// - Parameters:
    ///   - progress: The work done so far; it only grows.
    ///   - total: The work there is, when known.
    ///   - message: What the figure counts, for people.
    func report(_ progress: Double, total: Double? = nil, message: String) async {
        let now = ContinuousClock.now
        let due = last.withLock { last -> Bool in
            if let previous = last, now - previous.instant < ProgressReporter.interval || progress <= previous.progress {
                return false
            }
            last = (now, progress)
            return true
        }
        guard due else { return }
        await send(ProgressNotification.Parameters(progressToken: token, progress: progress, total: total, message: message))
    }
}

/// Runs a blocking walk on a thread of the shared ``AIFSCore/BlockingExecutor`` with a ``WalkControl``: when
/// the calling task is cancelled (the client sent `notifications/cancelled`) the
/// control stops the walk, and while it runs the entries found so far go out as
/// progress when the call asked for it.
///
/// - Parameters:
///   - progress: Where progress goes, or `nil`.
///   - describe: The progress message for a number of entries found.
///   - body: The walk; it passes the control on to the facade.
/// - Throws: ``ToolFailure`` from `body`, or `cancelled` when the task was cancelled.
func cancellableWalk<T: Sendable>(
    progress: ProgressReporter?, describe: @escaping @Sendable (Int) -> String,
    _ body: @escaping @Sendable (WalkControl) throws(ToolFailure) -> T
) async throws(ToolFailure) -> T {
    let control = WalkControl()
    let result: Result<T, ToolFailure> = await withTaskCancellationHandler {
        await withTaskGroup(of: Result<T, ToolFailure>?.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    BlockingExecutor.shared.run {
                        continuation.resume(returning: Result { () throws(ToolFailure) -> T in try body(control) })
                    }
                }
            }
            if let progress {
                group.addTask {
                    // At once, so the client knows the work started.
                    await progress.report(0, message: describe(0))
                    while !Task.isCancelled {
                        try? await Task.sleep(for: ProgressReporter.interval)
                        let found = control.entriesVisited
                        if found > 0 { await progress.report(Double(found), message: describe(found)) }
                    }
                    return nil
                }
            }
            var outcome: Result<T, ToolFailure> = .failure(ToolFailure("cancelled", "the walk did not finish"))
            while let next = await group.next() {
                guard let next else { continue }
                outcome = next
                group.cancelAll()
            }
            return outcome
        }
    } onCancel: {
        control.cancel()
    }
    if control.isCancelled { throw ToolFailure("cancelled", "the client cancelled the request") }
    return try result.get()
}
