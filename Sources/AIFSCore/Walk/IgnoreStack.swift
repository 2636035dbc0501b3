/// The ignore rules that apply in one directory and, through ``parent``, above it.
///
/// A node exists only for a directory that holds an ignore file or `.git`; other
/// directories share their parent's node. Nodes for the directories above a starting
/// path ("absolute parents") come first in the chain.
///
/// ## Design rationale
/// The precedence is ripgrep's (`ignore` crate, `Ignore::matched_ignore`): for each kind
/// of file (`.rgignore`, `.ignore`, `.gitignore`, `.git/info/exclude`) the deepest file
/// with an opinion wins; kinds then rank in that order. `.gitignore` and the exclude
/// file count only inside a repository and only up to its top (the directory holding
/// `.git`): a `.gitignore` above the repository does not apply to it.
///
/// ## Threading
/// Immutable after creation; shared freely between walker threads.
final class IgnoreNode: Sendable {
    let parent: IgnoreNode?
    /// `.rgignore`, `.ignore`, `.gitignore`, `.git/info/exclude`, in precedence order.
    let rules: [IgnoreRules?]
    /// Whether this directory holds `.git`.
    let hasGit: Bool
    /// Whether this directory or one above it holds `.git`.
    let anyGit: Bool
    /// Bytes to put before the entry's path suffix to make it relative to this node's
    /// directory; empty inside the walk, the path down to the starting directory for
    /// absolute parents.
    let prefix: [UInt8]
    /// Where, in an entry's display path, the part relative to this node's directory
    /// begins (for absolute parents, the part relative to the starting directory).
    let offset: Int

    init(parent: IgnoreNode?, rules: [IgnoreRules?], hasGit: Bool, prefix: [UInt8], offset: Int) {
        self.parent = parent
        self.rules = rules
        self.hasGit = hasGit
        self.anyGit = hasGit || (parent?.anyGit ?? false)
        self.prefix = prefix
        self.offset = offset
    }

    static let kindCount = 4
    static let gitKinds = 2..<4

    /// Matches an entry against every ignore file from this directory up.
    ///
    /// - Parameters:
    ///   - path: The entry's display path.
    ///   - scratch: A per-thread buffer for building paths relative to parent
    ///     directories.
    func match(
        _ path: UnsafeBufferPointer<UInt8>,
        isDirectory: Bool,
        requireGit: Bool,
        scratch: inout [UInt8]
    ) -> IgnoreMatch {
        var found = InlineArray<4, IgnoreMatch>(repeating: .none)
        let considerGit = !requireGit || anyGit
        var sawGit = false
        var node: IgnoreNode? = self
        while let current = node {
            for kind in 0..<IgnoreNode.kindCount {
                guard let rules = current.rules[kind], !rules.isEmpty else { continue }
                if IgnoreNode.gitKinds.contains(kind) && (!considerGit || sawGit) { continue }
                if found[kind] != .none { continue }
                let suffix = UnsafeBufferPointer(rebasing: path[min(current.offset, path.count)...])
                found[kind] = withJoined(current.prefix, suffix, scratch: &scratch) {
                    rules.match($0, isDirectory: isDirectory)
                }
            }
            sawGit = sawGit || current.hasGit
            node = current.parent
        }
        for kind in 0..<IgnoreNode.kindCount where found[kind] != .none { return found[kind] }
        return .none
    }
}

/// Calls `body` with `prefix + suffix`, building it in `scratch` only when there is a
/// prefix: the common case (no prefix) does not copy.
func withJoined<R>(
    _ prefix: [UInt8], _ suffix: UnsafeBufferPointer<UInt8>, scratch: inout [UInt8],
    _ body: (UnsafeBufferPointer<UInt8>) -> R
) -> R {
    if prefix.isEmpty { return body(suffix) }
    scratch.removeAll(keepingCapacity: true)
    scratch.append(contentsOf: prefix)
    scratch.append(contentsOf: suffix)
    return scratch.withUnsafeBufferPointer(body)
}
