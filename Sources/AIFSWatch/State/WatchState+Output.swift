#if os(Linux)
import AIFSCore
import Synchronization

/// The way out: every event passes the `atomic` stage, then the `awaitWriteFinish`
/// stage (each when on), then `deliver`.
extension WatchState {
    /// Reports an event through the `atomic` and `awaitWriteFinish` stages (when on).
    func emit(_ kind: WatchEvent.Kind, _ path: String, replacing: Bool = false, movedFile: Bool = true) {
        guard !consumerGone else { return }
        let event = WatchEvent(kind, path: path, timestamp: clock.wallClockNanoseconds)
        // Fast path: nothing held and nothing to hold or fold. The initial scan's adds
        // are not held: nothing can have been unlinked or moved before them.
        guard let nothingHeld = atomic?.isEmpty,
            !nothingHeld || ((kind == .unlink || kind == .add || replacing) && !scanningInitially)
        else { return afterAtomic(event) }
        let now = clock.now
        for out in atomic?.process(event, now: now, replacing: replacing, movedFile: movedFile) ?? [] { afterAtomic(out) }
    }

    func afterAtomic(_ event: WatchEvent) {
        guard writeFinish != nil, !scanningInitially else { return send(event) }
        let now = clock.now
        for out in writeFinish?.process(event, now: now, version: version) ?? [] { send(out) }
    }

    /// A file's size and modification time now, for `awaitWriteFinish`.
    func version(_ path: String) -> WriteFinishTracker.Version? {
        guard let status = try? fileSystem.status(atPath: path, followSymlinks: true) else { return nil }
        return WriteFinishTracker.Version(size: status.size, modificationTime: status.modificationTime)
    }

    func send(_ event: WatchEvent) {
        guard !consumerGone else { return }
        var event = event
        if options.alwaysStat {
            switch event.kind {
            case .add, .addDir, .change, .rename:
                event.stat = try? fileSystem.status(atPath: event.path, followSymlinks: options.followSymlinks)
            default: break
            }
        }
        counters.watches.store(kernelWatchCount, ordering: .relaxed)
        counters.polled.store(registrar.polledDirectoryCount, ordering: .relaxed)
        counters.events.add(1, ordering: .relaxed)
        if !deliver(event) { consumerGone = true }
    }
}
#endif
