import AIFSCore
import SystemPackage

@testable import AIFSWatch

/// A file system and an inotify instance in memory: the disk the state reads
/// (``WatchFileSystem``) and the watches it asks for (``WatchRegistrar``). Every change
/// a test makes queues the records the kernel would write for the watched directories:
/// watches follow inodes, not paths, as the kernel's do; a second watch on one inode
/// gets the same descriptor; a removed directory says `deleteSelf` and `ignored`.
///
/// Directories can be polled instead (``pollsDirectory``, and every fallback after a
/// failure): they send no records, and ``poll()`` lists them with the production
/// ``DirectoryPoller`` over this fake disk, as the polling backend does.
///
/// No threads and no disk: a test changes the fake, hands ``drain()`` and ``poll()``
/// to the state and turns the ``ManualClock`` by hand.
final class FakeKernel: WatchFileSystem, WatchRegistrar {
    private struct Node {
        var kind: FileKind
        var size: Int64 = 0
        var modificationTime: Int64 = 0
        var children: [String: UInt64] = [:]
    }

    private var nodes: [UInt64: Node] = [1: Node(kind: .directory)]
    private var nextInode: UInt64 = 2
    private var tick: Int64 = 1
    private var watchByInode: [UInt64: Int32] = [:]
    private var inodeByWatch: [Int32: UInt64] = [:]
    private var nextWatch: Int32 = 1
    private var nextCookie: UInt32 = 1
    private var queue: [RawEvent] = []
    private var poller = DirectoryPoller()
    private var freedInodes: [UInt64] = []
    /// Hands the last freed inode number out again at once, as ext4 often does.
    var reusesInodes = false
    /// Directories watched by polling from the start (as under a polling root).
    var pollsDirectory: (String) -> Bool = { _ in false }
    /// Directories whose `addWatch` fails, by a rule (the watch limit in a mixed test).
    var failsWatch: (String) -> Errno? = { _ in nil }
    /// Directories whose `addWatch` fails, and with what (the watch limit, permissions).
    var failures: [String: Errno] = [:]
    /// Directories watched by polling after a failure (``addFallbackWatch(directory:)``).
    private(set) var fallbacks: [String] = []
    /// Values of small files such as `/proc/sys/fs/inotify/max_user_watches`.
    var integers: [String: Int] = [:]
    /// Called after each listing, before it is returned: a test changes the fake there
    /// to race the state's scan, as a real writer races `readdir`.
    var afterListing: ((String) -> Void)?

    // MARK: - Changing the fake (what a test does)

    /// Writes a file: `create` (when new), `modify` and `closeWrite`, as open-write-close.
    func write(_ path: String, size: Int64 = 1) {
        defer { resolved.removeAll(keepingCapacity: true) }
        let (parent, name) = WatchTree.split(path)
        guard let directory = inode(of: parent), nodes[directory]?.kind == .directory else { return }
        tick += 1
        if let existing = nodes[directory]?.children[name] {
            guard nodes[existing]?.kind == .regular else { return }
            nodes[existing]?.size = size
            nodes[existing]?.modificationTime = tick
        } else {
            let file = newNode(Node(kind: .regular, size: size, modificationTime: tick))
            nodes[directory]?.children[name] = file
            record(directory, .create, name)
        }
        record(directory, .modify, name)
        record(directory, .closeWrite, name)
    }

    /// Makes a directory (its parent must exist).
    func mkdir(_ path: String) {
        defer { resolved.removeAll(keepingCapacity: true) }
        let (parent, name) = WatchTree.split(path)
        guard let directory = inode(of: parent), nodes[directory]?.kind == .directory,
            nodes[directory]?.children[name] == nil
        else { return }
        let made = newNode(Node(kind: .directory))
        nodes[directory]?.children[name] = made
        record(directory, [.create, .isDirectory], name)
    }

    /// Removes `path` and everything under it, deepest first, as `rm -r` does.
    func remove(_ path: String) {
        defer { resolved.removeAll(keepingCapacity: true) }
        let (parent, name) = WatchTree.split(path)
        guard let directory = inode(of: parent), let target = nodes[directory]?.children[name] else { return }
        if nodes[target]?.kind == .directory {
            for child in (nodes[target]?.children.keys.sorted() ?? []) { remove(path + "/" + child) }
        }
        nodes[directory]?.children[name] = nil
        let isDirectory = nodes[target]?.kind == .directory
        record(directory, isDirectory ? [.delete, .isDirectory] : .delete, name)
        drop(target)
    }

    /// Renames `source` to `destination` as `rename(2)`: a file replaces a file, a
    /// directory only an empty directory; nothing happens otherwise.
    @discardableResult
    func rename(_ source: String, to destination: String) -> Bool {
        defer { resolved.removeAll(keepingCapacity: true) }
        let (fromParent, fromName) = WatchTree.split(source)
        let (toParent, toName) = WatchTree.split(destination)
        guard let from = inode(of: fromParent), let to = inode(of: toParent), let moving = nodes[from]?.children[fromName],
            source != destination, !destination.hasPrefix(source + "/"), nodes[to]?.kind == .directory
        else { return false }
        let isDirectory = nodes[moving]?.kind == .directory
        if let replaced = nodes[to]?.children[toName] {
            let replacedIsDirectory = nodes[replaced]?.kind == .directory
            guard replacedIsDirectory == isDirectory else { return false }
            if replacedIsDirectory && nodes[replaced]?.children.isEmpty == false { return false }
            drop(replaced)
        }
        nodes[from]?.children[fromName] = nil
        nodes[to]?.children[toName] = moving
        let cookie = nextCookie
        nextCookie += 1
        let kindBit: InotifyMask = isDirectory ? .isDirectory : []
        record(from, InotifyMask.movedFrom.union(kindBit), fromName, cookie: cookie)
        record(to, InotifyMask.movedTo.union(kindBit), toName, cookie: cookie)
        return true
    }

    /// An overflow of the kernel's queue: what is queued is lost, one record says so.
    func overflow() {
        queue = [RawEvent(descriptor: WatchDescriptor(rawValue: -1), mask: .queueOverflow)]
    }

    /// The records queued since the last drain, in order.
    func drain() -> [RawEvent] {
        defer { queue.removeAll() }
        return queue
    }

    /// What every polled directory holds now, as the polling backend's poll says it.
    func poll() -> [DirectoryListing] {
        var listings: [DirectoryListing] = []
        poller.poll(in: self, into: &listings)
        return listings
    }

    /// Every path under `root` (itself included), as the disk has them.
    func paths(under root: String) -> Set<String> {
        guard let top = inode(of: root) else { return [] }
        var result: Set<String> = [root]
        func walk(_ inode: UInt64, _ path: String) {
            for (name, child) in nodes[inode]?.children ?? [:] {
                result.insert(path + "/" + name)
                walk(child, path + "/" + name)
            }
        }
        walk(top, root)
        return result
    }

    /// Whether `path` is a directory now.
    func isDirectory(_ path: String) -> Bool { inode(of: path).flatMap { nodes[$0]?.kind } == .directory }

    private func newNode(_ node: Node) -> UInt64 {
        if reusesInodes, let inode = freedInodes.popLast() {
            nodes[inode] = node
            return inode
        }
        defer { nextInode += 1 }
        nodes[nextInode] = node
        return nextInode
    }

    /// Forgets an inode (and, for a directory, its watch: `deleteSelf`, `ignored`).
    private func drop(_ inode: UInt64) {
        nodes[inode] = nil
        freedInodes.append(inode)
        if let watch = watchByInode.removeValue(forKey: inode) {
            inodeByWatch[watch] = nil
            queue.append(RawEvent(descriptor: WatchDescriptor(rawValue: watch), mask: .deleteSelf))
            queue.append(RawEvent(descriptor: WatchDescriptor(rawValue: watch), mask: .ignored))
        }
    }

    private func record(_ directory: UInt64, _ mask: InotifyMask, _ name: String, cookie: UInt32 = 0) {
        guard let watch = watchByInode[directory] else { return }
        queue.append(RawEvent(descriptor: WatchDescriptor(rawValue: watch), mask: mask, cookie: cookie, name: name))
    }

    /// Resolved paths, until the next change of the fake (polls resolve every path).
    private var resolved: [String: UInt64?] = [:]

    private func inode(of path: String) -> UInt64? {
        if let known = resolved[path] { return known }
        var current: UInt64? = 1
        for component in path.split(separator: "/") {
            current = current.flatMap { nodes[$0]?.children[String(component)] }
            if current == nil { break }
        }
        resolved[path] = current
        return current
    }

    // MARK: - WatchFileSystem

    func entryKind(atPath path: String) -> EntryKind? {
        inode(of: path).flatMap { nodes[$0] }.map { $0.kind == .directory ? .directory : .file }
    }

    func listDirectory(atPath path: String, followSymlinks: Bool) throws(Errno) -> [DirectoryEntry] {
        guard let directory = inode(of: path), let node = nodes[directory] else { throw .noSuchFileOrDirectory }
        guard node.kind == .directory else { throw .notDirectory }
        let entries = node.children.sorted { $0.key < $1.key }.map { name, child in
            DirectoryEntry(name: name, kind: nodes[child]?.kind == .directory ? .directory : .file, isLink: false)
        }
        afterListing?(path)
        return entries
    }

    func status(atPath path: String, followSymlinks: Bool) throws(Errno) -> FileIdentity {
        guard let inode = inode(of: path), let node = nodes[inode] else { throw .noSuchFileOrDirectory }
        return FileIdentity(
            device: 1, inode: inode, size: node.size, modificationTime: node.modificationTime,
            changeTime: node.modificationTime, kind: node.kind, permissions: 0o644)
    }

    func realPath(_ path: String) throws(Errno) -> String {
        guard inode(of: path) != nil else { throw .noSuchFileOrDirectory }
        return path
    }

    func readSmallFile(atPath path: String) -> [UInt8]? { nil }
    func readInteger(atPath path: String) -> Int? { integers[path] }
    func fileSystemType(atPath path: String) throws(Errno) -> Int64 { 0xEF53 }

    // MARK: - WatchRegistrar

    func addWatch(directory: String) throws(Errno) -> WatchDescriptor {
        if let failure = failures[directory] ?? failsWatch(directory) { throw failure }
        if pollsDirectory(directory) { return try poller.addWatch(directory: directory, in: self) }
        guard let inode = inode(of: directory), let node = nodes[inode] else { throw .noSuchFileOrDirectory }
        guard node.kind == .directory else { throw .notDirectory }
        if let existing = watchByInode[inode] { return WatchDescriptor(rawValue: existing) }
        let watch = nextWatch
        nextWatch += 1
        watchByInode[inode] = watch
        inodeByWatch[watch] = inode
        return WatchDescriptor(rawValue: watch)
    }

    func addFallbackWatch(directory: String) throws(Errno) -> WatchDescriptor {
        let descriptor = try poller.addWatch(directory: directory, in: self)
        fallbacks.append(directory)
        return descriptor
    }

    var polledDirectoryCount: Int { poller.count }

    func removeWatch(_ descriptor: WatchDescriptor) {
        if descriptor.isPolled { return poller.removeWatch(descriptor) }
        guard let inode = inodeByWatch.removeValue(forKey: descriptor.rawValue) else { return }
        watchByInode[inode] = nil
        queue.append(RawEvent(descriptor: descriptor, mask: .ignored))
    }

    /// The directories watched now, by path.
    var watchedPaths: Set<String> {
        var result: Set<String> = []
        func walk(_ inode: UInt64, _ path: String) {
            if watchByInode[inode] != nil { result.insert(path.isEmpty ? "/" : path) }
            for (name, child) in nodes[inode]?.children ?? [:] { walk(child, path + "/" + name) }
        }
        walk(1, "")
        return result
    }
}

/// A clock turned by hand.
final class ManualClock: WatchClock {
    private(set) var now: ContinuousClock.Instant = .now
    private(set) var wallClockNanoseconds: Int64 = 1_000_000_000

    func advance(by duration: Duration) {
        now = now + duration
        let (seconds, attoseconds) = duration.components
        wallClockNanoseconds += seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// A ``WatchState`` on a ``FakeKernel`` and a ``ManualClock``, collecting what it
/// reports as `"kind path"` lines.
final class StateHarness {
    let kernel = FakeKernel()
    let clock = ManualClock()
    private(set) var reported: [WatchEvent] = []
    private(set) var state: WatchState!

    init(roots: [String] = ["/r"], options: WatchOptions = WatchOptions(), ignore: [String] = [], prepare: (FakeKernel) -> Void = { _ in }) {
        kernel.mkdir("/r")
        prepare(kernel)
        _ = kernel.drain()
        state = WatchState(
            options: options, ignore: IgnoreRules(parsing: Array(ignore.joined(separator: "\n").utf8), source: "test"),
            roots: roots.map { WatchState.Root(path: $0, kind: kernel.entryKind(atPath: $0) ?? .file) }, registrar: kernel,
            fileSystem: kernel, clock: clock
        ) { [unowned self] event in
            reported.append(event)
            return true
        }
    }

    /// The events reported since the last call, as `"kind path"` (`"rename from -> to"`).
    func take() -> [String] {
        defer { reported.removeAll() }
        return reported.map { event in
            if case .rename(let from) = event.kind { return "rename \(from) -> \(event.path)" }
            return "\(event.kind.name) \(event.path)"
        }
    }

    /// Hands the queued records to the state.
    func deliver() { state.handle(kernel.drain()) }

    /// One poll of the polled directories, handed to the state.
    func poll() { state.handle(listings: kernel.poll()) }

    /// Turns the clock, stopping at each deadline on the way as the driving loop's wait
    /// would, and runs what falls due.
    func advance(by duration: Duration) {
        let target = clock.now + duration
        var stops = 0
        while let deadline = state.nextDeadline, deadline <= target, stops < 10_000 {
            if deadline > clock.now { clock.advance(by: clock.now.duration(to: deadline)) }
            state.fireTimers(now: clock.now)
            stops += 1
        }
        clock.advance(by: clock.now.duration(to: target))
        state.fireTimers(now: clock.now)
    }

    /// The messages of the `error` events reported since the last ``take()``.
    var errors: [String] {
        reported.compactMap { event in
            if case .error(let message) = event.kind { return message }
            return nil
        }
    }
}
