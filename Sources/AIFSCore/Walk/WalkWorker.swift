import SystemPackage

/// One walker thread: takes items from the queue, reads directories, filters entries,
/// and feeds its visitor.
///
/// ## Threading
/// Made and used on one worker thread only.
final class WalkWorker {
    private let context: WalkContext
    private let options: WalkOptions
    private let visitor: any WalkVisitor
    private let reader = DirectoryReader()
    private var listing = DirectoryListing()
    /// The path of the entry being examined, NUL-terminated for system calls.
    private var childPath: [UInt8] = []
    /// Scratch space for ignore matching against parent directories.
    private var matchScratch: [UInt8] = []
    private var stopping = false

    init(context: WalkContext, visitor: any WalkVisitor) {
        self.context = context
        self.options = context.options
        self.visitor = visitor
    }

    func run() {
        let queue = context.queue
        while let item = queue.pop() {
            switch item {
            case .root(let path, let index): visitRoot(path, index: index)
            case .directory(let work): visitDirectory(work)
            }
            queue.finished()
            if stopping {
                queue.stop()
                break
            }
        }
        visitor.finish()
    }

    // MARK: - Delivering

    private func deliver(_ entry: WalkEntry) -> WalkAction {
        let action = visitor.visit(entry)
        if action == .quit { stopping = true }
        return action
    }

    private func deliver(error: CoreError) {
        if visitor.visit(error: error) == .quit { stopping = true }
    }

    /// Hands a problem that stops nothing to the visitor.
    func warn(_ warning: CoreError) { visitor.visit(warning: warning) }

    private var shouldStop: Bool { stopping || context.queue.isStopped }

    // MARK: - Starting paths

    /// - Parameter given: The starting path, or `nil` for the current directory shown
    ///   without a `./` prefix.
    private func visitRoot(_ given: [UInt8]?, index: Int) {
        let display = given ?? []
        // For messages only: the walk uses the bytes.
        let path = String(decoding: display, as: UTF8.self)
        let shown = given == nil ? "." : path
        guard !display.contains(0) else {
            deliver(error: .nulInPath(path))
            return
        }
        // An explicit empty path is opened as given, and fails as the kernel says.
        let openPath = given == nil ? Array(".".utf8) : display
        let link: FileIdentity
        do {
            link = try (openPath + [0]).withCPath { cPath throws(Errno) in
                try Syscall.status(cPath: cPath, followSymlinks: false)
            }
        } catch {
            deliver(error: CoreError(errno: error, operation: "read", path: shown))
            return
        }
        // A starting path that is a link is always followed, as ripgrep does.
        var identity = link
        if link.kind == .symlink {
            do {
                identity = try (openPath + [0]).withCPath { cPath throws(Errno) in
                    try Syscall.status(cPath: cPath, followSymlinks: true)
                }
            } catch {
                deliver(error: CoreError(errno: error, operation: "follow the symbolic link", path: shown))
                return
            }
        }
        let entry = WalkEntry(
            pathBytes: given == nil ? Array(".".utf8) : display, kind: identity.kind, depth: 0,
            isSymlink: link.kind == .symlink, inode: link.inode, rootIndex: index)
        let action = deliver(entry)
        guard identity.kind == .directory, action == .continue, context.maxDepth > 0 else { return }

        var ignore: IgnoreNode?
        if options.respectIgnoreFiles {
            // Without the parents' ignore files, a repository above still counts, so
            // the .gitignore files inside the walk apply.
            ignore = parentIgnoreNodes(of: openPath, display: display, readRules: options.readParentIgnoreFiles)
        }
        let (overridePrefix, overrideOffset) = overrideAnchor(for: display)
        visitDirectory(DirectoryWork(
            path: display, depth: 0, ignore: ignore,
            overridePrefix: overridePrefix, overrideOffset: overrideOffset,
            rootDevice: identity.device, rootIndex: index, ancestors: nil))
    }

    /// How to turn the paths of entries under the starting directory `display` into
    /// paths relative to the glob base: `prefix + path[offset...]`. A starting directory
    /// outside the base keeps its paths as shown (minus a leading `./`), as ripgrep does.
    private func overrideAnchor(for display: [UInt8]) -> (prefix: [UInt8], offset: Int) {
        guard context.overrides != nil || !context.extraIgnores.isEmpty else { return ([], 0) }
        let dotSlash = display.starts(with: Array("./".utf8)) ? 2 : 0
        let cwd = try? Syscall.currentDirectory()
        guard let base = options.globBase ?? cwd else { return ([], dotSlash) }
        let shown = String(decoding: display, as: UTF8.self)
        let absolute = shown.hasPrefix("/") ? shown : (cwd ?? "/") + "/" + shown
        let root = PathOrder.lexicallyNormalized(absolute)
        let baseComponents = PathOrder.lexicallyNormalized(base)
        guard root.count >= baseComponents.count, Array(root[0..<baseComponents.count]) == baseComponents else {
            return ([], dotSlash)
        }
        let relative = root[baseComponents.count...].joined(separator: "/")
        let prefix = relative.isEmpty ? [] : Array(relative.utf8) + [UInt8(ascii: "/")]
        return (prefix, WalkWorker.childOffset(display))
    }

    /// Reads the ignore files of every directory above a starting directory; with
    /// `readRules` false, only notes which of them hold `.git`.
    private func parentIgnoreNodes(of openPath: [UInt8], display: [UInt8], readRules: Bool) -> IgnoreNode? {
        let canonical = try? (openPath + [0]).withCPath { cPath throws(Errno) in try Syscall.realPath(cPath: cPath) }
        guard let canonical else { return nil }
        let components = canonical.split(separator: UInt8(ascii: "/"))
        guard !components.isEmpty else { return nil }
        var node: IgnoreNode?
        let offset = WalkWorker.childOffset(display)
        // From "/" down to the starting directory's parent. Ignore files above are
        // read by a path string: a directory above whose name is not UTF-8 is missed.
        for depth in 0..<components.count {
            let directory = "/" + components[0..<depth].map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
            let below = Array(components[depth...].joined(separator: [UInt8(ascii: "/")])) + [UInt8(ascii: "/")]
            let prefix = directory == "/" ? "/" : directory + "/"
            let found = readRules
                ? loadIgnoreFiles(
                    directory: Syscall.currentDirectoryDescriptor, prefix: prefix,
                    hasGit: nil, shownDirectory: directory)
                : (rules: [IgnoreRules?](repeating: nil, count: IgnoreNode.kindCount),
                   hasGit: (try? Syscall.status(path: prefix + ".git", followSymlinks: true)) != nil)
            guard found.rules.contains(where: { $0 != nil }) || found.hasGit else { continue }
            node = IgnoreNode(
                parent: node, rules: found.rules, hasGit: found.hasGit,
                prefix: below, offset: offset)
        }
        return node
    }

    /// Reads `.rgignore`, `.ignore`, `.gitignore` and `.git/info/exclude` in one
    /// directory.
    ///
    /// - Parameters:
    ///   - directory: A descriptor the names are relative to.
    ///   - prefix: The path to put before each name (empty when `directory` is the
    ///     directory itself).
    ///   - hasGit: Whether the directory holds `.git`, when the listing already says.
    private func loadIgnoreFiles(
        directory: CInt, prefix: String, hasGit knownHasGit: Bool?, shownDirectory: String,
        present: Set<String>? = nil
    ) -> (rules: [IgnoreRules?], hasGit: Bool) {
        let hasGit = knownHasGit ?? ((try? Syscall.status(
            path: prefix + ".git", followSymlinks: true)) != nil)
        var rules: [IgnoreRules?] = []
        for name in [".rgignore", ".ignore", ".gitignore", ".git/info/exclude"] {
            let enabled = switch name {
            case ".rgignore", ".ignore": options.respectDotIgnoreFiles
            case ".gitignore": options.respectGitIgnoreFiles
            default: options.respectGitIgnoreFiles && options.respectGitExclude && hasGit
            }
            if !enabled {
                rules.append(nil)
                continue
            }
            if let present, name != ".git/info/exclude", !present.contains(name) {
                rules.append(nil)
                continue
            }
            var path = prefix + name
            if name == ".git/info/exclude", let worktreeExclude = worktreeExcludePath(directory: directory, prefix: prefix, shownDirectory: shownDirectory) {
                path = worktreeExclude
            }
            let shown = shownDirectory.isEmpty || shownDirectory == "."
                ? name : (shownDirectory.hasSuffix("/") ? shownDirectory + name : shownDirectory + "/" + name)
            do {
                let bytes = try path.withCPath { cPath throws(Errno) in
                    try Syscall.readSmallFile(directory: directory, cPath: cPath, limit: Walker.ignoreFileLimit)
                }
                let parsed = IgnoreRules(parsing: bytes, source: shown, caseInsensitive: options.ignoreRulesCaseInsensitive)
                for problem in parsed.problems { visitor.visit(warning: problem) }
                rules.append(parsed.isEmpty ? nil : parsed)
            } catch .noSuchFileOrDirectory {
                rules.append(nil)
            } catch .notDirectory {
                rules.append(nil)  // `.git` is a file (a worktree or submodule)
            } catch {
                visitor.visit(warning: CoreError(errno: error, operation: "read the ignore file", path: shown))
                rules.append(nil)
            }
        }
        return (rules, hasGit)
    }

    /// For a `.git` that is a file (a linked worktree, a submodule), the exclude file of
    /// the repository it points to; `nil` when `.git` is a directory or unreadable.
    ///
    /// - Parameter shownDirectory: The directory's path as the walk shows it, which
    ///   opens from the current directory; used when `prefix` is empty.
    private func worktreeExcludePath(directory: CInt, prefix: String, shownDirectory: String) -> String? {
        let gitFile = try? (prefix + ".git").withCPath { cPath throws(Errno) in
            try Syscall.readSmallFile(directory: directory, cPath: cPath, limit: 1 << 16)
        }
        guard let gitFile else { return nil }  // a directory (EISDIR), or none
        var path = prefix.isEmpty ? shownDirectory : prefix
        if path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return ExtraIgnoreRules.excludePath(gitFile: gitFile, directory: path == "." ? "" : path)
    }

    /// The length of a directory's display path plus its separator: where the names of
    /// its entries begin in their paths.
    static func childOffset(_ directory: [UInt8]) -> Int {
        if directory.isEmpty { return 0 }
        return directory.last == UInt8(ascii: "/") ? directory.count : directory.count + 1
    }

    // MARK: - Directories

    private func visitDirectory(_ work: DirectoryWork) {
        guard !shouldStop else { return }
        let openPath = work.path.isEmpty ? Array(".".utf8) + [0] : work.path + [0]
        let shown = work.path.isEmpty ? "." : String(decoding: work.path, as: UTF8.self)
        let fd: CInt
        do {
            fd = try openPath.withCPath { cPath throws(Errno) in
                try Syscall.openDirectory(cPath: cPath)
            }
        } catch {
            deliver(error: CoreError(errno: error, operation: "read the directory", path: shown))
            return
        }
        defer { Syscall.close(fd) }

        var ancestors = work.ancestors
        if options.followSymlinks {
            if let identity = try? Syscall.status(fd: fd) {
                ancestors = Ancestry(
                    device: identity.device, inode: identity.inode, path: work.path, parent: work.ancestors)
            }
        }

        listing.removeAll()
        do {
            try reader.readAll(fd: fd, into: &listing)
        } catch {
            deliver(error: CoreError(errno: error, operation: "read the directory", path: shown))
            // Go on with whatever was read before the failure.
        }

        var ignore = work.ignore
        if options.respectIgnoreFiles {
            ignore = ignoreNode(in: fd, work: work, parent: ignore)
        }

        let prefixLength = WalkWorker.childOffset(work.path)
        let childDepth = work.depth + 1
        var subdirectories: [DirectoryWork] = []
        childPath.removeAll(keepingCapacity: true)
        childPath.append(contentsOf: work.path)
        if prefixLength > work.path.count { childPath.append(UInt8(ascii: "/")) }

        for record in listing.records {
            if shouldStop { return }
            let nameStart = Int(record.nameStart)
            let nameEnd = nameStart + Int(record.nameLength)
            childPath.removeSubrange(prefixLength...)
            childPath.append(contentsOf: listing.names[nameStart..<nameEnd])
            childPath.append(0)
            defer { childPath.removeLast() }

            guard let examined = examine(record, fd: fd, nameOffset: prefixLength, ancestors: ancestors) else {
                continue
            }
            let isDirectory = examined.kind == .directory
            let isHidden = listing.names[nameStart] == UInt8(ascii: ".")
            if isFiltered(isDirectory: isDirectory, isHidden: isHidden, nameOffset: prefixLength, ignore: ignore, work: work) {
                continue
            }
            if let maxFileSize = options.maxFileSize, examined.kind == .regular {
                let size = examined.identity?.size ?? statChild(fd: fd, nameOffset: prefixLength, follow: true)?.size
                if let size, size > maxFileSize { continue }
            }
            let path = Array(childPath[0..<(childPath.count - 1)])
            let entry = WalkEntry(
                pathBytes: path, kind: examined.kind, depth: childDepth,
                isSymlink: record.type == DirentType.symlink || examined.isSymlink, inode: record.inode,
                rootIndex: work.rootIndex)
            let action = deliver(entry)
            if action == .quit { return }
            guard isDirectory, action == .continue, childDepth < context.maxDepth else { continue }
            if options.sameFileSystem {
                let device = examined.identity?.device
                    ?? statChild(fd: fd, nameOffset: prefixLength, follow: true)?.device
                if device != work.rootDevice { continue }
            }
            subdirectories.append(DirectoryWork(
                path: path, depth: childDepth, ignore: ignore,
                overridePrefix: work.overridePrefix, overrideOffset: work.overrideOffset,
                rootDevice: work.rootDevice, rootIndex: work.rootIndex, ancestors: ancestors))
        }
        context.queue.push(subdirectories)
    }

    /// The kind of an entry, following a link when asked to, and the identity when it
    /// had to be read anyway. `nil` when the entry must be passed over (an error was
    /// delivered, or the link leads back to an ancestor).
    private func examine(
        _ record: DirectoryListing.Record, fd: CInt, nameOffset: Int, ancestors: Ancestry?
    ) -> (kind: FileKind, isSymlink: Bool, identity: FileIdentity?)? {
        var identity: FileIdentity?
        var kind: FileKind
        switch record.type {
        case DirentType.regular: kind = .regular
        case DirentType.directory: kind = .directory
        case DirentType.symlink: kind = .symlink
        case DirentType.unknown:
            // Some file systems do not fill in d_type.
            guard let status = statChild(fd: fd, nameOffset: nameOffset, follow: false, report: true) else {
                return nil
            }
            identity = status
            kind = status.kind
        default: kind = .other
        }
        guard kind == .symlink, options.followSymlinks else { return (kind, false, identity) }
        guard let target = statChild(fd: fd, nameOffset: nameOffset, follow: true, report: true) else {
            return nil
        }
        if target.kind == .directory,
           let ancestor = ancestors?.find(device: target.device, inode: target.inode)
        {
            let path = String(decoding: childPath[0..<(childPath.count - 1)], as: UTF8.self)
            let loopTarget = ancestor.path.isEmpty ? "." : String(decoding: ancestor.path, as: UTF8.self)
            deliver(error: CoreError(
                .symlinkLoop,
                "file system loop found: '\(path)' points to its ancestor '\(loopTarget)'; not descending into it",
                path: path))
            return nil
        }
        return (target.kind, true, target)
    }

    /// `fstatat` on the current child (its name starts at `nameOffset` in `childPath`).
    private func statChild(fd: CInt, nameOffset: Int, follow: Bool, report: Bool = false) -> FileIdentity? {
        do {
            return try childPath.withCPath { cPath throws(Errno) in
                try Syscall.status(directory: fd, name: cPath + nameOffset, followSymlinks: follow)
            }
        } catch {
            if report {
                let path = String(decoding: childPath[0..<(childPath.count - 1)], as: UTF8.self)
                let operation = follow ? "follow the symbolic link" : "read the status of"
                deliver(error: CoreError(errno: error, operation: operation, path: path))
            }
            return nil
        }
    }

    /// The ripgrep decision for one entry: overrides first (a match either way is
    /// final), then ignore files (those in the tree, then the global and explicit
    /// ones), then file types, then hidden (unless an ignore file or a type whitelisted
    /// it).
    private func isFiltered(
        isDirectory: Bool, isHidden: Bool, nameOffset: Int, ignore: IgnoreNode?, work: DirectoryWork
    ) -> Bool {
        let length = childPath.count - 1
        return childPath.withUnsafeBufferPointer { whole in
            let path = UnsafeBufferPointer(rebasing: whole[0..<length])
            if let overrides = context.overrides {
                let relative = UnsafeBufferPointer(rebasing: path[min(work.overrideOffset, length)...])
                let result = withJoined(work.overridePrefix, relative, scratch: &matchScratch) {
                    overrides.match($0, isDirectory: isDirectory)
                }
                switch result {
                case .ignore: return true
                case .whitelist: return false
                case .none: break
                }
            }
            var whitelisted = false
            var verdict = IgnoreMatch.none
            if let ignore {
                verdict = ignore.match(path, isDirectory: isDirectory, requireGit: options.requireGit, scratch: &matchScratch)
            }
            if verdict == .none && !context.extraIgnores.isEmpty {
                let inGit = !options.requireGit || (ignore?.anyGit ?? false)
                let relative = UnsafeBufferPointer(rebasing: path[min(work.overrideOffset, length)...])
                verdict = withJoined(work.overridePrefix, relative, scratch: &matchScratch) {
                    context.extraIgnores.match($0, isDirectory: isDirectory, inGitRepository: inGit)
                }
            }
            switch verdict {
            case .ignore: return true
            case .whitelist: whitelisted = true
            case .none: break
            }
            if let types = context.types, !isDirectory {
                switch types.match(fileName: UnsafeBufferPointer(rebasing: path[min(nameOffset, length)...])) {
                case .ignore: return true
                case .whitelist: whitelisted = true
                case .none: break
                }
            }
            return isHidden && !options.includeHidden && !whitelisted
        }
    }

    /// The ignore node for a directory's entries: a new one if the directory holds an
    /// ignore file or `.git`, else the parent's.
    private func ignoreNode(in fd: CInt, work: DirectoryWork, parent: IgnoreNode?) -> IgnoreNode? {
        var present = Set<String>()
        var hasGit = false
        for record in listing.records where listing.names[Int(record.nameStart)] == UInt8(ascii: ".") {
            if listing.name(of: record, equals: ".git") {
                hasGit = true
            } else if listing.name(of: record, equals: ".gitignore") {
                present.insert(".gitignore")
            } else if listing.name(of: record, equals: ".ignore") {
                present.insert(".ignore")
            } else if listing.name(of: record, equals: ".rgignore") {
                present.insert(".rgignore")
            }
        }
        guard hasGit || !present.isEmpty else { return parent }
        let found = loadIgnoreFiles(
            directory: fd, prefix: "", hasGit: hasGit,
            shownDirectory: work.path.isEmpty ? "" : String(decoding: work.path, as: UTF8.self),
            present: present)
        guard found.rules.contains(where: { $0 != nil }) || hasGit else { return parent }
        return IgnoreNode(
            parent: parent, rules: found.rules, hasGit: hasGit, prefix: [],
            offset: WalkWorker.childOffset(work.path))
    }
}
