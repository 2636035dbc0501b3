import AIFS
import AIFSCore
import AIFSWatch
import Foundation
import MCP
import Synchronization

/// Files as MCP resources: `file://` URIs inside the roots, listed by the walker, read
/// through the facade, and subscribed to through a watcher.
///
/// Unlike tool calls, resource requests have no error result: a URI outside the roots,
/// a missing file or a bad cursor is a JSON-RPC error (`invalidParams`) whose message
/// says what to do.
enum FileResources {
    /// Files per `resources/list` page.
    static let pageSize = 500

    /// The `file://` URI of an absolute path.
    static func uri(_ path: String) -> String {
        URL(fileURLWithPath: path).absoluteString
    }

    /// The path inside the roots a `file://` URI names.
    static func path(_ uri: String, roots: Roots) throws -> String {
        guard let url = URL(string: uri), url.scheme == "file", url.host == nil || url.host == "" || url.host == "localhost" else {
            throw MCPError.invalidParams(
                "'\(uri)' is not a file URI; resources are files inside the roots, as file:///absolute/path (see resources/list)")
        }
        do {
            return try roots.resolve(url.path)
        } catch {
            throw MCPError.invalidParams(error.message)
        }
    }

    /// `resources/list`: the files of the roots in path order, as the walker finds them
    /// (hidden and ignored files left out), a page at a time.
    static func list(_ cursor: String?, context: ToolContext) async throws -> ListResources.Result {
        var offset = 0
        if let cursor {
            guard let value = Int(cursor), value >= 0 else {
                throw MCPError.invalidParams("cursor '\(cursor)' is not one this server gave; pass a nextCursor, or none to start")
            }
            offset = value
        }
        let service = context.service
        let roots = context.roots.paths
        let files: [WalkEntry]
        do throws(ToolFailure) {
            files = try await onDedicatedThread { () throws(ToolFailure) -> [WalkEntry] in
                do throws(CoreError) {
                    return try service.files(roots).entries.filter { $0.kind == .regular }
                } catch {
                    throw ToolFailure(error)
                }
            }
        } catch {
            throw MCPError.internalError("cannot list the roots: \(error.message)")
        }
        let (page, next) = DirectoryTools.page(files, cursor: offset, limit: pageSize)
        var resources: [Resource] = []
        for entry in page {
            let size = (try? FileIdentity(path: entry.path, followSymlinks: false)).map { Int($0.size) }
            resources.append(Resource(name: context.display(entry.path), uri: uri(entry.path), mimeType: mimeType(entry.path), size: size))
        }
        return ListResources.Result(resources: resources, nextCursor: next.stringValue)
    }

    /// `resources/read`: the file's first 256 KiB, as text when it is UTF-8 without NUL
    /// bytes, else as a base64 blob.
    static func read(_ uri: String, context: ToolContext) async throws -> ReadResource.Result {
        let path = try path(uri, roots: context.roots)
        let service = context.service
        let content: FileContent
        do throws(ToolFailure) {
            content = try await onDedicatedThread { () throws(ToolFailure) -> FileContent in
                do throws(CoreError) {
                    return try service.readFile(path: path, range: .bytes(offset: 0, length: nil))
                } catch {
                    throw ToolFailure(error)
                }
            }
        } catch {
            // The messages say what to do (the missing path, a directory, …).
            throw MCPError.invalidParams(error.message)
        }
        var meta: Metadata?
        if content.truncated {
            meta = Metadata(additionalFields: [
                "truncated": true, "size": .int(Int(content.fileSize)),
                "note": "the first \(content.bytes.count) bytes; read the rest with the read_file tool",
            ])
        }
        let type = mimeType(path)
        if ReadTools.isText(content.bytes) {
            return ReadResource.Result(contents: [.text(String(decoding: content.bytes, as: UTF8.self), uri: uri, mimeType: type, _meta: meta)])
        }
        return ReadResource.Result(contents: [.binary(Data(content.bytes), uri: uri, mimeType: type ?? "application/octet-stream", _meta: meta)])
    }

    /// A MIME type for common text files, by extension; `nil` when unknown.
    static func mimeType(_ path: String) -> String? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: ".") else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "txt", "log": return "text/plain"
        case "md", "markdown": return "text/markdown"
        case "json": return "application/json"
        case "html", "htm": return "text/html"
        case "css": return "text/css"
        case "js", "mjs": return "text/javascript"
        case "yaml", "yml": return "application/yaml"
        case "xml": return "application/xml"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "pdf": return "application/pdf"
        case "swift", "c", "h", "cpp", "py", "rs", "go", "java", "ts", "sh", "toml": return "text/plain"
        default: return nil
        }
    }
}

/// The resources a client subscribed to, each watched by a watcher of its own, and
/// `notifications/resources/updated` sent when one changes.
///
/// ## Threading
/// Any method from anywhere; the state is behind a mutex. Each subscription's events
/// are drained by a task of its own, which calls `notify` outside the lock.
final class ResourceSubscriptions: Sendable {
    /// Subscriptions at once: each costs an inotify instance (the kernel's default
    /// per-user limit is 128) and a thread.
    static let maximum = 32

    private struct Subscription {
        let number: Int
        let watcher: Watcher
        let task: Task<Void, Never>
    }

    private struct State {
        var subscriptions: [String: Subscription] = [:]
        var stopped = false
        var nextNumber = 0
    }

    private let state = Mutex(State())
    private let notify: @Sendable (String) async -> Void

    /// - Parameter notify: Sends `notifications/resources/updated` for a URI.
    init(notify: @escaping @Sendable (String) async -> Void) {
        self.notify = notify
    }

    /// Watches the file `uri` names; its changes (written, created, deleted, renamed)
    /// are sent as `notifications/resources/updated`. Subscribing again does nothing.
    func subscribe(_ uri: String, context: ToolContext) async throws {
        let path = try FileResources.path(uri, roots: context.roots)
        let key = FileResources.uri(path)
        let already = state.withLock { $0.subscriptions[key] != nil }
        if already { return }
        let service = context.service
        let watcher: Watcher
        do throws(ToolFailure) {
            watcher = try await onDedicatedThread { () throws(ToolFailure) -> Watcher in
                do throws(WatchError) {
                    var options = WatchOptions()
                    options.ignoreInitial = true
                    return try service.watch([path], options: options)
                } catch {
                    throw ToolFailure("\(error.code)", error.message)
                }
            }
        } catch {
            throw MCPError.invalidParams("cannot subscribe to '\(uri)': \(error.message)")
        }
        let notify = self.notify
        let number = state.withLock { state in
            state.nextNumber += 1
            return state.nextNumber
        }
        let task = Task { [weak self] in
            for await event in watcher.events {
                service.invalidateCache(for: event)
                switch event.kind {
                case .add, .change, .unlink, .rename, .rescan:
                    await notify(uri)
                default:
                    break
                }
            }
            // The watch ended on its own (the file's directory is gone): forget it, so
            // that subscribing again watches afresh.
            self?.state.withLock { state in
                if state.subscriptions[key]?.number == number { state.subscriptions[key] = nil }
            }
        }
        let refused = state.withLock { state -> String? in
            if state.stopped { return "the server is shutting down" }
            if state.subscriptions[key] != nil { return "" }
            guard state.subscriptions.count < ResourceSubscriptions.maximum else {
                return "\(ResourceSubscriptions.maximum) resources are subscribed already; unsubscribe from one first"
            }
            state.subscriptions[key] = Subscription(number: number, watcher: watcher, task: task)
            return nil
        }
        if let refused {
            watcher.stop()
            task.cancel()
            if !refused.isEmpty { throw MCPError.invalidParams("cannot subscribe to '\(uri)': \(refused)") }
        }
    }

    /// Stops watching the file `uri` names. Unsubscribing from what is not subscribed
    /// does nothing.
    func unsubscribe(_ uri: String, context: ToolContext) throws {
        let path = try FileResources.path(uri, roots: context.roots)
        let key = FileResources.uri(path)
        guard let subscription = state.withLock({ $0.subscriptions.removeValue(forKey: key) }) else { return }
        subscription.watcher.stop()
        subscription.task.cancel()
    }

    /// How many resources are subscribed.
    var count: Int { state.withLock { $0.subscriptions.count } }

    /// Stops every subscription; later subscriptions are refused. For server shutdown.
    func stopAll() {
        let all = state.withLock { state -> [Subscription] in
            state.stopped = true
            defer { state.subscriptions = [:] }
            return Array(state.subscriptions.values)
        }
        for subscription in all {
            subscription.watcher.stop()
            subscription.task.cancel()
        }
    }
}
