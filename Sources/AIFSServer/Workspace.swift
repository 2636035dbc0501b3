import AIFS
import AIFSCore
import Foundation
import MCP
import Synchronization

/// The directories the tools may use, and the facade confined to them.
///
/// They come from `--root` (pinned: the client's roots are not asked for), or, when no
/// `--root` was given and the client supports roots, from the client (`roots/list`, asked
/// after initialization and again on `notifications/roots/list_changed`), as the official
/// filesystem server does. Until the client answers, the current directory is the root.
///
/// ## Threading
/// Any thread; the roots and the facade are swapped together under a `Mutex`, and each
/// read sees one consistent pair.
final class Workspace: Sendable {
    /// Whether `--root` fixed the roots.
    let pinned: Bool
    private let state: Mutex<(roots: Roots, service: FileService, source: String)>

    init(service: FileService, roots: Roots, pinned: Bool) {
        self.pinned = pinned
        state = Mutex((roots, service, pinned ? "--root" : "the current directory"))
    }

    /// The roots and the facade in force.
    var current: (roots: Roots, service: FileService) {
        state.withLock { ($0.roots, $0.service) }
    }

    /// Where the roots in force came from: `--root`, `the client`, `the current directory`.
    var source: String { state.withLock { $0.source } }

    /// Takes the client's roots: `file://` URIs of directories. Roots that are not
    /// directories are left out (and said in the log); with none left, the roots stay.
    ///
    /// - Returns: What changed, for the log.
    @discardableResult
    func adopt(clientRoots: [Root]) -> String {
        guard !pinned else { return "roots are pinned by --root; the client's roots are not used" }
        var paths: [String] = []
        var skipped: [String] = []
        for root in clientRoots {
            guard let url = URL(string: root.uri), url.isFileURL else {
                skipped.append("\(root.uri) (not a file:// URI)")
                continue
            }
            let path = url.path
            guard (try? FileIdentity(path: path))?.kind == .directory else {
                skipped.append("\(path) (not a directory)")
                continue
            }
            paths.append(path)
        }
        guard !paths.isEmpty, let roots = try? Roots(paths) else {
            return "the client gave no usable root\(skipped.isEmpty ? "" : " (\(skipped.joined(separator: ", ")))"); the roots stay"
        }
        state.withLock { state in
            state = (roots, state.service.confined(to: roots), "the client")
        }
        return "roots from the client: \(roots.paths.joined(separator: ", "))"
            + (skipped.isEmpty ? "" : "; left out: \(skipped.joined(separator: ", "))")
    }
}

/// `list_allowed_directories`: the roots in force, as the official server names it.
enum RootsTools {
    static let listAllowedDirectories = ToolDefinition(
        tool: Tool(
            name: "list_allowed_directories",
            title: "Allowed directories",
            description: "The directories the tools may use (from --root, or the client's roots).",
            inputSchema: Schema.object([:], required: []),
            annotations: ReadTools.readOnly,
            outputSchema: Schema.object(
                [
                    "directories": Schema.array(Schema.string("A root."), "The roots, the first one for relative paths."),
                    "source": Schema.string("Where they came from."),
                ], required: ["directories", "source"])),
        run: { arguments, context async throws(ToolFailure) in
            try arguments.checkKnown([])
            let roots = context.roots.paths
            return ToolOutput(
                structured: ["directories": .strings(roots), "source": .string(context.workspace.source)],
                text: "Allowed directories (from \(context.workspace.source)):\n" + roots.joined(separator: "\n"))
        })
}
