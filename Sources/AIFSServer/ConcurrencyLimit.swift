import Synchronization

/// At most ``limit`` holders at once; the others wait in arrival order.
///
/// The server runs up to 64 tool calls at once (`ToolCallFastPath.maximumRunning`),
/// which is right for reads but not for searches: each search already runs on every
/// core, and each holds its workers' buffers (1 MiB or more) and up to 10,000
/// collected lines while it runs. Sixty searches at once took the server from 33 to
/// 250-300 MiB resident without finishing any sooner (design note 0004).
///
/// ```swift
/// guard await limit.acquire() else { throw CancellationError() }
/// defer { limit.release() }
/// ```
///
/// ## Threading
/// ``acquire()`` and ``release()`` from any task or thread. A waiter whose task is
/// cancelled leaves the queue at once, without a place.
final class ConcurrencyLimit: Sendable {
    /// Holders at most.
    let limit: Int

    private struct State {
        var holders = 0
        var nextTicket = 0
        /// Waiting, oldest first.
        var waiting: [(ticket: Int, continuation: CheckedContinuation<Bool, Never>)] = []
        /// Tickets taken whose continuation is not queued yet.
        var arriving: Set<Int> = []
        /// Tickets cancelled before their continuation was queued.
        var cancelledEarly: Set<Int> = []
    }

    private let state = Mutex(State())

    /// - Precondition: `limit` is at least 1.
    init(_ limit: Int) {
        precondition(limit >= 1, "a concurrency limit of \(limit) would let nothing run")
        self.limit = limit
    }

    /// Waits for a place.
    ///
    /// - Returns: `true` with a place (give it back with ``release()``), `false` when
    ///   the task was cancelled while waiting (no place was taken).
    func acquire() async -> Bool {
        let ticket: Int? = state.withLock { state in
            if state.holders < limit {
                state.holders += 1
                return nil
            }
            state.nextTicket += 1
            state.arriving.insert(state.nextTicket)
            return state.nextTicket
        }
        guard let ticket else { return true }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let cancelled = state.withLock { state in
                    state.arriving.remove(ticket)
                    if state.cancelledEarly.remove(ticket) != nil { return true }
                    state.waiting.append((ticket, continuation))
                    return false
                }
                if cancelled { continuation.resume(returning: false) }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                if let index = state.waiting.firstIndex(where: { $0.ticket == ticket }) {
                    return state.waiting.remove(at: index).continuation
                }
                if state.arriving.remove(ticket) != nil { state.cancelledEarly.insert(ticket) }
                // Otherwise the place was already given: the holder releases it.
                return nil
            }
            continuation?.resume(returning: false)
        }
    }

    /// Gives a place back: to the oldest waiter, if any.
    ///
    /// - Precondition: The caller holds a place (``acquire()`` returned `true`).
    func release() {
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            if !state.waiting.isEmpty { return state.waiting.removeFirst().continuation }
            precondition(state.holders > 0, "ConcurrencyLimit.release() without a place")
            state.holders -= 1
            return nil
        }
        next?.resume(returning: true)
    }

    /// Places held now.
    var holders: Int { state.withLock { $0.holders } }

    /// Waiters queued now.
    var waitingCount: Int { state.withLock { $0.waiting.count } }
}
