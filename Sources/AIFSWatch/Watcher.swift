import AIFSCore
import SystemPackage
import Synchronization

/// Watches files and directory trees and reports their changes as ``WatchEvent``s,
/// with chokidar's options and event names.
///
/// ```swift
/// var options = WatchOptions()
/// options.ignored = ["node_modules/", "*.tmp"]
/// let watcher = try Watcher(paths: ["/home/me/project"], options: options)
/// for await event in watcher.events {
///     print(event)           // addDir /home/me/project, add ..., ready ..., change ...
/// }
/// ```
///
/// ## Design rationale
/// One inotify descriptor and one dedicated thread per watcher (``InotifyBackend``),
/// with polling (``PollingBackend``) for the roots on network and FUSE file systems,
/// for ``WatchOptions/usePolling``, and for directories past the watch limit; the
/// choice per root and its reason are in `ready` and ``stats``. The watch thread
/// blocks in `read(2)` on the inotify descriptor, which also watches a pipe that
/// ``stop()`` writes to (`poll(2)` while timers are pending). Events reach the consumer through AIFSCore's
/// `BoundedChannel` rather than an `AsyncStream`: an `AsyncStream` with a bounded
/// buffer drops events when full, while the channel blocks the watcher thread, so the
/// kernel keeps queueing, and if even its queue overflows the watcher rescans and says
/// so (`rescan`). Nothing is lost silently.
///
/// ## Threading
/// `init` and ``stop()`` from anywhere; ``events`` is iterated by one task at a time.
/// With ``init(paths:options:handler:)`` the handler runs on the watch thread instead.
/// The watch stops when ``stop()`` is called, when every root is gone, or when the
/// watcher, its ``events`` and their iterators are all released.
///
/// ## Known problems
/// - Each watched directory uses one of the kernel's watches
///   (`fs.inotify.max_user_watches`); when they run out, an `error` event says how to
///   raise the limit, and the directories without a watch are polled instead
///   (``WatchStats/fallbackDirectories``).
/// - Network and FUSE file systems are polled: changes show up within
///   ``WatchOptions/interval``, not at once.
/// - A consumer that stops iterating without releasing the watcher leaves its thread
///   asleep until ``stop()``.
/// - An unmount inside the tree is reported (what was on the file system gone, what
///   is underneath new; a root that is gone ends with an `error`), but only when the
///   file system itself goes away: inotify says nothing when one still mounted
///   elsewhere (a bind mount) is unmounted here, or when something is mounted on top
///   of a watched directory.
public final class Watcher: Sendable {
    /// The events, from the initial scan (unless `ignoreInitial`) through `ready` to
    /// the end of the watch.
    public let events: WatchEvents
    private let control: WatchControl
    private let counters = WatchCounters()
    private let choices: [String: BackendChoice]

    /// Starts watching `paths`: directories with everything under them, files alone
    /// (through their directory, filtered).
    ///
    /// - Parameters:
    ///   - paths: Files or directories; each is resolved with `realpath`, and events
    ///     carry resolved paths.
    ///   - options: What to ignore, how deep, and the buffer size.
    /// - Throws: ``WatchError`` when a path does not exist (``WatchError/Code/notFound``),
    ///   an ignore glob does not parse (``WatchError/Code/invalidArgument``) or inotify
    ///   cannot start (``WatchError/Code/instanceLimitReached``).
    public convenience init(paths: [String], options: WatchOptions = WatchOptions()) throws(WatchError) {
        try self.init(paths: paths, options: options, eventHandler: nil)
    }

    /// Starts watching `paths` and hands each event to `handler` on the watch thread,
    /// as soon as it is seen: no queue and no thread hop between the kernel and the
    /// handler, for the lowest latency (`aifs watch` prints from here).
    ///
    /// ``events`` then yields nothing and ends when the watch ends, so
    /// `for await _ in watcher.events {}` waits for the end. The watch runs until
    /// ``stop()``, until every root is gone, until `handler` returns `false`, or until
    /// the watcher and its ``events`` are released.
    ///
    /// - Parameters:
    ///   - paths: Files or directories, as for ``init(paths:options:)``.
    ///   - options: As for ``init(paths:options:)``.
    ///   - handler: Called for each event, in order, on the watch thread; it must not
    ///     block for long (the kernel queues events meanwhile). Return `false` to stop.
    /// - Throws: As ``init(paths:options:)``.
    public convenience init(
        paths: [String], options: WatchOptions = WatchOptions(),
        handler: @escaping @Sendable (WatchEvent) -> Bool
    ) throws(WatchError) {
        try self.init(paths: paths, options: options, eventHandler: handler)
    }

    /// Starts watching `paths` on `environment`: the disk, the clocks and the backend
    /// that tests replace.
    init(
        paths: [String], options: WatchOptions, eventHandler: (@Sendable (WatchEvent) -> Bool)?,
        environment: WatchEnvironment = WatchEnvironment()
    ) throws(WatchError) {
        guard !paths.isEmpty else { throw WatchError(.invalidArgument, "nothing to watch: give at least one path") }
        let fileSystem = environment.fileSystem
        var roots: [WatchState.Root] = []
        for path in paths {
            let resolved: String
            do {
                resolved = try fileSystem.realPath(path)
            } catch {
                throw WatchError.from(error, operation: "watch", path: path)
            }
            guard let kind = fileSystem.entryKind(atPath: resolved) else {
                throw WatchError(.notFound, "cannot watch '\(path)': no such file or directory", path: path)
            }
            if !roots.contains(where: { $0.path == resolved }) { roots.append(WatchState.Root(path: resolved, kind: kind)) }
        }
        do {
            // Only to reject what gitignore files would skip silently (an unclosed `[`).
            _ = try OverrideGlobs(options.ignored)
        } catch {
            throw WatchError(.invalidArgument, "invalid ignore glob: \(error.message)")
        }
        let rules = IgnoreRules(parsing: Array(options.ignored.joined(separator: "\n").utf8), source: "ignored")
        if let problem = rules.problems.first {
            throw WatchError(.invalidArgument, "invalid ignore glob: \(problem.message)")
        }
        let (chosen, waker, choices) = try Self.makeBackend(for: roots, options: options, fileSystem: fileSystem)
        let backend = environment.adaptBackend(chosen)
        let channel = BoundedChannel<WatchEvent>(capacity: options.bufferCapacity)
        control = WatchControl(waker: waker, channel: channel)
        events = WatchEvents(channel: channel, control: control)
        self.choices = choices
        let loop = LoopTransfer(
            WatchLoop(
                backend: backend, channel: channel, options: options, ignore: rules, roots: roots,
                choices: choices, counters: counters, handler: eventHandler, environment: environment))
        DedicatedThreads.start(name: "aifs-watch") { loop.take().run() }
    }

    /// Ends the watch: the thread wakes, closes its descriptors and finishes ``events``
    /// after the events already queued. Calling it again does nothing.
    public func stop() { control.stop() }

    /// The watch's figures now: kernel watches, events sent, rescans, backends.
    public var stats: WatchStats {
        WatchStats(
            watches: counters.watches.load(ordering: .relaxed),
            events: counters.events.load(ordering: .relaxed),
            rescans: counters.rescans.load(ordering: .relaxed),
            backends: choices.mapValues(\.backend),
            reasons: choices.mapValues(\.reason),
            polledDirectories: counters.polled.load(ordering: .relaxed),
            fallbackDirectories: counters.fallbacks.load(ordering: .relaxed),
            lostRoots: counters.lostRoots.load(ordering: .relaxed))
    }

    /// Chooses a backend per root (``BackendSelector``) and builds the one backend the
    /// loop drives: polling alone when every root polls, otherwise inotify with polling
    /// for the roots that need it and for directories past the watch limit.
    private static func makeBackend(
        for roots: [WatchState.Root], options: WatchOptions, fileSystem: any WatchFileSystem
    ) throws(WatchError) -> (any FileWatcherBackend, BackendWaker, [String: BackendChoice]) {
        func fileSystemType(_ root: WatchState.Root) -> Int64? {
            let directory = root.kind == .directory ? root.path : WatchTree.split(root.path).parent
            return try? fileSystem.fileSystemType(atPath: directory)
        }
        var choices: [String: BackendChoice] = [:]
        for root in roots {
            choices[root.path] = BackendSelector.choose(fileSystemType: fileSystemType(root), usePolling: options.usePolling)
        }
        var inotify: InotifyBackend?
        if choices.values.contains(where: { $0.backend == "inotify" }) {
            do {
                inotify = try InotifyBackend()
            } catch .tooManyOpenFiles {
                // The inotify instance limit (or the descriptor limit): polling still works.
                for root in roots {
                    choices[root.path] = BackendSelector.choose(
                        fileSystemType: fileSystemType(root), usePolling: options.usePolling, inotifyAvailable: false)
                }
            } catch {
                throw WatchError.from(error, operation: "start inotify", path: roots[0].path)
            }
        }
        do {
            guard let inotify else {
                let polling = try PollingBackend(interval: options.interval, fileSystem: fileSystem)
                return (polling, polling.waker, choices)
            }
            let polling = try PollingBackend(interval: options.interval, waker: inotify.waker, fileSystem: fileSystem)
            // File roots are polled through their directory.
            let pollingRoots = roots.filter { choices[$0.path]?.backend == "polling" }.map {
                $0.kind == .directory ? $0.path : WatchTree.split($0.path).parent
            }
            return (RoutingBackend(inotify: inotify, polling: polling, pollingRoots: pollingRoots), inotify.waker, choices)
        } catch {
            throw WatchError.from(error, operation: "start polling", path: roots[0].path)
        }
    }
}

/// The events of a ``Watcher``, as an `AsyncSequence` that ends when the watch ends.
public struct WatchEvents: AsyncSequence, Sendable {
    public typealias Element = WatchEvent
    public typealias Failure = Never

    private let channel: BoundedChannel<WatchEvent>
    private let control: WatchControl

    fileprivate init(channel: BoundedChannel<WatchEvent>, control: WatchControl) {
        self.channel = channel
        self.control = control
    }

    public func makeAsyncIterator() -> Iterator { Iterator(channel: channel, control: control) }

    /// Iterates the events; not `Sendable`: one task iterates.
    public struct Iterator: AsyncIteratorProtocol {
        public typealias Failure = Never
        private let channel: BoundedChannel<WatchEvent>
        // Keeps the watch alive while iterating, even if the Watcher is released.
        private let control: WatchControl

        fileprivate init(channel: BoundedChannel<WatchEvent>, control: WatchControl) {
            self.channel = channel
            self.control = control
        }

        /// The next event, or `nil` when the watch has ended (or the task is cancelled).
        public mutating func next() async -> WatchEvent? {
            // The channel is only ever finished without an error.
            (try? await channel.next()) ?? nil
        }
    }
}

@available(*, unavailable)
extension WatchEvents.Iterator: Sendable {}

/// Stops the loop when the last of the watcher, its events and iterators goes.
final class WatchControl: Sendable {
    private let waker: BackendWaker
    private let channel: BoundedChannel<WatchEvent>

    init(waker: BackendWaker, channel: BoundedChannel<WatchEvent>) {
        self.waker = waker
        self.channel = channel
    }

    func stop() { waker.wake() }

    deinit {
        waker.wake()
        // Unblocks the loop if it is waiting in `send` for a consumer that is gone.
        channel.cancel()
    }
}

/// Hands the loop to its thread.
// @unchecked Sendable: the creating thread gives up its reference right after starting
// the thread (it keeps none), so only the loop thread ever touches the loop.
private final class LoopTransfer: @unchecked Sendable {
    private var loop: WatchLoop?
    init(_ loop: WatchLoop) { self.loop = loop }
    func take() -> WatchLoop {
        guard let loop else { preconditionFailure("the loop is taken once") }
        self.loop = nil
        return loop
    }
}
