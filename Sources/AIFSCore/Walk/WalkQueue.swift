import Synchronization

/// A directory waiting to be read.
struct DirectoryWork: Sendable {
    /// The display path (empty for the current directory when no path was given).
    var path: [UInt8]
    var depth: Int
    var ignore: IgnoreNode?
    /// Glob overrides match `overridePrefix + path[overrideOffset...]`: the entry's path
    /// relative to the glob base.
    var overridePrefix: [UInt8]
    var overrideOffset: Int
    var rootDevice: UInt64
    /// The index of the starting path this directory is under.
    var rootIndex: Int
    /// The directories above, by device and inode, when following links.
    var ancestors: Ancestry?
}

/// The chain of directories from a starting path down to the current one, for
/// detecting symbolic-link loops.
final class Ancestry: Sendable {
    let device: UInt64
    let inode: UInt64
    let path: [UInt8]
    let parent: Ancestry?

    init(device: UInt64, inode: UInt64, path: [UInt8], parent: Ancestry?) {
        self.device = device
        self.inode = inode
        self.path = path
        self.parent = parent
    }

    /// The ancestor with this identity, if any.
    func find(device: UInt64, inode: UInt64) -> Ancestry? {
        var node: Ancestry? = self
        while let current = node {
            if current.device == device && current.inode == inode { return current }
            node = current.parent
        }
        return nil
    }
}

/// What a worker takes from the queue.
enum WalkItem: Sendable {
    /// A starting path and its index; `nil` is the current directory, shown without a
    /// `./` prefix.
    case root([UInt8]?, index: Int)
    case directory(DirectoryWork)
}

/// The walkers' shared stack of work.
///
/// A worker pops an item, works on it (pushing the directories it finds), then calls
/// ``finished()``. The walk is over when the stack is empty and no worker is busy:
/// nothing can add work any more, so every waiting worker is woken with `nil`.
///
/// ## Threading
/// All methods may be called from any worker thread.
final class WalkQueue: Sendable {
    private struct State {
        var stack: [WalkItem] = []
        var busy = 0
        var quit = false
    }

    private let lock = ConditionLock()
    private let stopped = Atomic<Bool>(false)
    // nonisolated(unsafe): only read or written while `lock` is held.
    private nonisolated(unsafe) var state = State()

    init(_ items: [WalkItem]) {
        state.stack = items.reversed()
    }

    /// The next item, blocking while other workers may still produce one; `nil` when
    /// the walk is over or was stopped.
    func pop() -> WalkItem? {
        lock.lock()
        defer { lock.unlock() }
        while true {
            if state.quit { return nil }
            if let item = state.stack.popLast() {
                state.busy += 1
                return item
            }
            if state.busy == 0 {
                lock.broadcast()
                return nil
            }
            lock.wait()
        }
    }

    /// Adds directories found by the current item. LIFO order keeps a worker close to
    /// where it just was, which is kinder to the kernel's caches.
    func push(_ items: [DirectoryWork]) {
        guard !items.isEmpty else { return }
        lock.lock()
        for item in items.reversed() { state.stack.append(.directory(item)) }
        if items.count == 1 { lock.signal() } else { lock.broadcast() }
        lock.unlock()
    }

    /// Marks the current item done.
    func finished() {
        lock.lock()
        state.busy -= 1
        if state.busy == 0 && state.stack.isEmpty { lock.broadcast() }
        lock.unlock()
    }

    /// Stops the walk: every worker gets `nil` from its next ``pop()``.
    func stop() {
        lock.lock()
        state.quit = true
        stopped.store(true, ordering: .relaxed)
        lock.broadcast()
        lock.unlock()
    }

    /// Whether ``stop()`` was called; cheap enough to ask for every entry.
    var isStopped: Bool { stopped.load(ordering: .relaxed) }
}
