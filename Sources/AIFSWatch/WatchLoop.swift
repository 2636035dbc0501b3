#if os(Linux)
import AIFSCore
import SystemPackage

/// The thin driver of one ``Watcher``: it waits on the backend, reads what is ready,
/// hands it to the ``WatchState`` and tells it when deadlines pass. Everything with
/// state lives in `WatchState`; everything here is waiting and reading.
///
/// ## Threading
/// Created on the caller's thread, then owned and run by one dedicated thread; no
/// method is called from anywhere else. It blocks in the backend's wait and in
/// `BoundedChannel.send` (back-pressure: a slow consumer makes the kernel queue the
/// events; if that queue overflows, the rescan reports the difference).
final class WatchLoop {
    private let backend: any FileWatcherBackend
    private let channel: BoundedChannel<WatchEvent>
    private let clock: any WatchClock
    let state: WatchState

    /// A loop over `backend` for `roots`.
    ///
    /// - Parameters:
    ///   - choices: Each root's backend and why, for `ready`.
    ///   - handler: When set, events go to it on the watch thread instead of into
    ///     `channel` (which is then only finished at the end).
    init(
        backend: any FileWatcherBackend, channel: BoundedChannel<WatchEvent>, options: WatchOptions, ignore: IgnoreRules,
        roots: [WatchState.Root], choices: [String: BackendChoice] = [:], counters: WatchCounters = WatchCounters(),
        handler: (@Sendable (WatchEvent) -> Bool)? = nil, environment: WatchEnvironment = WatchEnvironment()
    ) {
        self.backend = backend
        self.channel = channel
        self.clock = environment.clock
        let deliver: (WatchEvent) -> Bool = handler ?? { channel.send($0) }
        state = WatchState(
            options: options, ignore: ignore, roots: roots, registrar: backend, fileSystem: environment.fileSystem,
            clock: environment.clock, backendNames: choices.mapValues(\.backend), counters: counters, deliver: deliver)
    }

    /// Scans, reports `ready`, then reports changes until stopped, until the consumer
    /// goes away or until every root is gone; finishes the channel either way.
    func run() {
        defer {
            state.finish()
            channel.finish()
        }
        state.start()
        var batch = BackendBatch()
        batch.records.reserveCapacity(1024)
        while !state.isFinished {
            let wake: BackendWake
            do {
                wake = try backend.wait(timeoutMilliseconds: nextTimeoutMilliseconds())
            } catch {
                return state.fail(error, operation: "wait for events on")
            }
            switch wake {
            case .stopRequested:
                return
            case .timedOut:
                state.fireTimers(now: clock.now)
            case .events:
                batch.removeAll()
                do {
                    try backend.read(into: &batch)
                } catch {
                    return state.fail(error, operation: "read events for")
                }
                state.handle(batch.records)
                if !batch.listings.isEmpty { state.handle(listings: batch.listings) }
                // Without this check every event would read the clock for nothing.
                if state.timersPending { state.fireTimers(now: clock.now) }
            }
        }
    }

    /// The time to the state's next deadline; `nil` (no timer) when nothing waits.
    private func nextTimeoutMilliseconds() -> Int? {
        guard let deadline = state.nextDeadline else { return nil }
        return clock.now.duration(to: deadline).timeoutMilliseconds
    }
}
#endif
