import MCP
import Synchronization

/// Server-side snapshots of paged answers, so pages do not shift under the client.
///
/// The first call of a paged query computes every result; when they do not fit one
/// page, they are kept here and the cursor names the snapshot and an offset
/// (`s<id>.<offset>`). Later pages are cut from the snapshot, not recomputed: a file
/// added or removed between pages neither repeats nor hides an entry, and a page costs
/// no walk or search. A cursor is only valid for the query that made it (the tool and
/// its arguments, the page size aside), for ``timeToLive`` after its last use, and
/// while it is among the ``maximumSnapshots`` most recently used; otherwise the call
/// fails with a message that says to run the query again.
///
/// ## Threading
/// Any thread; the snapshots are behind a `Mutex`.
final class ResultSnapshots: Sendable {
    /// How long a snapshot is kept after its last use.
    static let timeToLive: Duration = .seconds(300)
    /// The most snapshots kept; the least recently used goes first.
    static let maximumSnapshots = 32
    /// The most results one snapshot holds; a larger answer is paged by recomputing.
    static let maximumItems = 200_000

    private struct Snapshot: Sendable {
        let query: String
        let items: any Sendable
        /// What the first page said about the whole answer (a search's statistics).
        let summary: (any Sendable)?
        let count: Int
        var lastUsed: ContinuousClock.Instant
    }

    private struct State: Sendable {
        var snapshots: [String: Snapshot] = [:]
        var counter = 0
    }

    private let state = Mutex(State())
    private let clock = ContinuousClock()

    /// Keeps `items` for `query`; returns the snapshot's id.
    func store<T: Sendable>(_ items: [T], summary: (any Sendable)? = nil, query: String) -> String {
        let now = clock.now
        return state.withLock { state in
            state.snapshots = state.snapshots.filter { now - $0.value.lastUsed < Self.timeToLive }
            while state.snapshots.count >= Self.maximumSnapshots,
                  let oldest = state.snapshots.min(by: { $0.value.lastUsed < $1.value.lastUsed })
            {
                state.snapshots[oldest.key] = nil
            }
            state.counter += 1
            let id = String(state.counter, radix: 36) + String(UInt16.random(in: 0...UInt16.max), radix: 36)
            state.snapshots[id] = Snapshot(query: query, items: items, summary: summary, count: items.count, lastUsed: now)
            return id
        }
    }

    /// The items of snapshot `id`, made by `query`.
    ///
    /// - Throws: ``ToolFailure`` when the snapshot is unknown, expired or another
    ///   query's.
    func items<T: Sendable>(_ id: String, query: String, tool: String, as type: T.Type) throws(ToolFailure) -> (items: [T], summary: (any Sendable)?) {
        let now = clock.now
        let found: Snapshot? = state.withLock { state in
            guard var snapshot = state.snapshots[id] else { return nil }
            guard now - snapshot.lastUsed < Self.timeToLive else {
                state.snapshots[id] = nil
                return nil
            }
            snapshot.lastUsed = now
            state.snapshots[id] = snapshot
            return snapshot
        }
        guard let found else {
            throw ToolFailure(
                "invalidArgument",
                "\(tool): this cursor has expired (pages are kept for 5 minutes after their last use) or is not one this server gave; run the query again without cursor")
        }
        guard found.query == query, let items = found.items as? [T] else {
            throw ToolFailure(
                "invalidArgument",
                "\(tool): this cursor belongs to another query (other arguments); pass the same arguments as the call that gave it, or run this query without cursor")
        }
        return (items, found.summary)
    }
}

/// One page of a paged answer.
struct Page<T: Sendable>: Sendable {
    /// The results on this page.
    var items: ArraySlice<T>
    /// How many results the whole answer has.
    var total: Int
    /// The cursor of the next page, or null on the last.
    var next: Value
    /// Whether this is the first page.
    var isFirst: Bool
    /// What the computation said about the whole answer, kept with the snapshot.
    var summary: (any Sendable)? = nil
    /// Whether results follow this page (with no `next` when the answer was too large
    /// to keep: the query must be narrowed).
    var truncated: Bool { next != .null || total > items.endIndex }
}

extension ToolContext {
    /// The page `arguments.cursor` asks for: the first page computes every result (and
    /// keeps them in a snapshot when they need more than one page); later pages come
    /// from the snapshot.
    ///
    /// - Parameters:
    ///   - pageSizeArgument: The name of the page-size argument, left out of the query's
    ///     identity (a client may change it between pages).
    ///   - render: The tool's answer for a page, when the page must also fit the
    ///     output budget: the page then ends at the last item that fits (at least one),
    ///     and the cursor goes on from there.
    func page<T: Sendable>(
        _ arguments: Arguments, limit: Int, pageSizeArgument: String,
        render: ((Page<T>) -> ToolOutput)? = nil,
        compute: () async throws(ToolFailure) -> ([T], (any Sendable)?)
    ) async throws(ToolFailure) -> Page<T> {
        let query = arguments.identity(excluding: ["cursor", pageSizeArgument])
        let items: [T]
        let summary: (any Sendable)?
        var id: String?
        let start: Int
        if let cursor = try arguments.string("cursor") {
            guard cursor.hasPrefix("s"), let dot = cursor.lastIndex(of: "."), let offset = Int(cursor[cursor.index(after: dot)...]),
                  offset >= 0
            else {
                throw ToolFailure(
                    "invalidArgument",
                    "\(arguments.tool): cursor '\(cursor)' is not one this server gave; pass the nextCursor of a previous result, or leave it out to start")
            }
            let snapshot = String(cursor[cursor.index(after: cursor.startIndex)..<dot])
            (items, summary) = try snapshots.items(snapshot, query: query, tool: arguments.tool, as: T.self)
            id = snapshot
            start = min(offset, items.count)
        } else {
            (items, summary) = try await compute()
            start = 0
        }
        let isFirst = id == nil
        var end = min(items.count, start + limit)
        if let render, end > start {
            // A cursor as long as any this page could get stands in for the real one.
            let stand = Value.string("s" + String(repeating: "0", count: 12) + ".\(items.count)")
            end = start + budget.fittingCount(items[start..<end]) { slice in
                render(Page(items: slice, total: items.count, next: stand, isFirst: isFirst, summary: summary))
            }
        }
        guard end < items.count else {
            return Page(items: items[start..<end], total: items.count, next: .null, isFirst: isFirst, summary: summary)
        }
        if id == nil {
            // Too large to keep: this page only, and the answer says how to narrow it.
            guard items.count <= ResultSnapshots.maximumItems else {
                return Page(items: items[start..<end], total: items.count, next: .null, isFirst: isFirst, summary: summary)
            }
            id = snapshots.store(items, summary: summary, query: query)
        }
        return Page(
            items: items[start..<end], total: items.count, next: .string("s\(id ?? "").\(end)"), isFirst: isFirst, summary: summary)
    }

    /// ``page(_:limit:pageSizeArgument:compute:)`` for results without a summary.
    func page<T: Sendable>(
        _ arguments: Arguments, limit: Int, pageSizeArgument: String,
        render: ((Page<T>) -> ToolOutput)? = nil,
        compute: () async throws(ToolFailure) -> [T]
    ) async throws(ToolFailure) -> Page<T> {
        try await page(arguments, limit: limit, pageSizeArgument: pageSizeArgument, render: render) { () throws(ToolFailure) -> ([T], (any Sendable)?) in
            (try await compute(), nil)
        }
    }
}

extension Arguments {
    /// The tool and its arguments as one string (keys sorted), without `excluded`.
    func identity(excluding excluded: Set<String>) -> String {
        tool + "(" + values.filter { !excluded.contains($0.key) }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value)" }.joined(separator: ",") + ")"
    }
}
