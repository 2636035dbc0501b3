import Synchronization

/// Stops a walk from another thread, and tells how far it got.
///
/// ```swift
/// let control = WalkControl()
/// // elsewhere: control.cancel()
/// let (entries, errors) = walker.collect(["Sources"], control: control)
/// if control.isCancelled { /* entries is partial */ }
/// ```
///
/// ## Threading
/// Any method from any thread. ``entriesVisited`` is published by each worker every
/// few hundred entries, so it lags the walk a little.
public final class WalkControl: Sendable {
    private let cancelled = Atomic<Bool>(false)
    private let visited = Atomic<Int>(0)

    /// A control for one walk.
    public init() {}

    /// Stops the walk: each worker quits at its next entry, so it ends soon, not at
    /// once. Calling it again does nothing.
    public func cancel() { cancelled.store(true, ordering: .relaxed) }

    /// Whether ``cancel()`` was called.
    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// About how many entries the walk has found so far.
    public var entriesVisited: Int { visited.load(ordering: .relaxed) }

    /// How many entries a worker counts before it publishes them.
    static let publishEvery = 256

    func add(visited count: Int) { visited.add(count, ordering: .relaxed) }
}
