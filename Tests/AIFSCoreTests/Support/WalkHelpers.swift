import AIFSTestSupport
import Foundation

@testable import AIFSCore

/// Walks `paths` with `options` (sorted) and returns the entries' paths relative to
/// `dir`, files only unless `includeDirectories`, plus the errors.
func walkRelative(
    _ dir: TemporaryDirectory, _ paths: [String] = [""], options: WalkOptions = WalkOptions(),
    includeDirectories: Bool = false
) throws -> (paths: [String], errors: [CoreError]) {
    var options = options
    options.globBase = dir.path
    let walker = try Walker(options: options)
    let absolute = paths.map { dir.path($0) }
    let (entries, errors) = walker.collect(absolute)
    let prefix = dir.path + "/"
    let shown = entries
        .filter { includeDirectories || $0.kind != .directory }
        .map { entry -> String in
            let path = entry.path
            if path == dir.path { return "." }
            return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
        }
    return (shown, errors)
}

/// A visitor driven by a closure, for tests that need to act during the walk.
final class ClosureVisitor: WalkVisitor, @unchecked Sendable {
    // @unchecked: used only with `threads = 1` or under the caller's own locking.
    let onEntry: (WalkEntry) -> WalkAction
    let onError: (CoreError) -> WalkAction
    let onWarning: (CoreError) -> Void

    init(
        onEntry: @escaping (WalkEntry) -> WalkAction,
        onError: @escaping (CoreError) -> WalkAction = { _ in .continue },
        onWarning: @escaping (CoreError) -> Void = { _ in }
    ) {
        self.onEntry = onEntry
        self.onError = onError
        self.onWarning = onWarning
    }

    func visit(warning: CoreError) { onWarning(warning) }

    func visit(_ entry: WalkEntry) -> WalkAction { onEntry(entry) }
    func visit(error: CoreError) -> WalkAction { onError(error) }
}
