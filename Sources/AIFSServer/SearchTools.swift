import AIFS
import AIFSCore
import AIFSSearch
import Foundation
import MCP
import Synchronization

/// `search_content`: the streamed parallel search through the facade.
///
/// ## Design rationale: the cursor
/// Results come from many threads in the order they are found. The tool collects the
/// matching lines, sorts them by path (each file's lines in file order) and returns one
/// page; the rest stay in a server-side snapshot (``ResultSnapshots``) that the cursor
/// names, so later pages neither run the search again nor shift when files change.
/// Past ``collectionLimit`` matching lines the answer keeps the first ones in path
/// order (the search still reads every file, keeping at most twice the limit, so the
/// capped answer is the same as the first lines of the uncapped one) and says
/// `complete: false`; narrow the search instead of paging on.
enum SearchTools {
    /// The most matching lines one answer holds.
    static let collectionLimit = 10_000
    /// The longest line text returned; longer lines (minified files) are cut.
    static let maximumLineLength = 1_000

    static let searchContent = ToolDefinition(
        tool: Tool(
            name: "search_content",
            title: "Search file contents",
            description: """
                Search contents for a PCRE2 regex or literal, as ripgrep (skips hidden, binary, ignored files \
                unless told); lines by path, with context if asked. Paged.
                """,
            inputSchema: Schema.object(
                [
                    "pattern": Schema.string(
                        "A PCRE2 regex, or text with literal:true.",
                        example: "func \\w+\\("),
                    "path": Schema.string("File or directory (default: the first root).", example: "Sources"),
                    "literal": Schema.boolean("Take pattern as literal text.", example: false),
                    "caseMode": Schema.string(
                        "Default sensitive; smart: insensitive unless the pattern has uppercase.",
                        example: "smart", enum: ["sensitive", "insensitive", "smart"]),
                    "wordBoundary": Schema.boolean("Whole words only.", example: false),
                    "include": Schema.array(
                        Schema.string("A glob of files to search."),
                        "Only files matching these globs.", example: ["*.swift", "*.md"]),
                    "exclude": DirectoryTools.excludeSchema,
                    "includeHidden": DirectoryTools.includeHiddenSchema,
                    "respectIgnoreFiles": DirectoryTools.respectIgnoreSchema,
                    "before": Schema.integer("Context lines before each match.", example: 2, minimum: 0, maximum: 100),
                    "after": Schema.integer("Context lines after each match.", example: 2, minimum: 0, maximum: 100),
                    "maxResults": Schema.integer("Matches per page (default 100).", example: 100, minimum: 1, maximum: 5000),
                    "maxMatchesPerFile": Schema.integer("Most matching lines per file.", example: 10, minimum: 1),
                    "maxFileSize": Schema.integer("Skip files over this many bytes.", example: 1_000_000, minimum: 0),
                    "type": Schema.array(Schema.string("A type."), "Only files of these ripgrep types (py, rust, js…)."),
                    "outputMode": Schema.string(
                        "content (lines), files_with_matches (paths) or count (per file).",
                        enum: ["content", "files_with_matches", "count"]),
                    "sort": Schema.string("path (default) or modified (newest first).", enum: ["path", "modified"]),
                    "headLimit": Schema.integer("Only the first N entries, no pages.", minimum: 1),
                    "multiline": Schema.boolean("rg -U"),
                    "replace": Schema.string("rg -r preview; no write"),
                    "cursor": DirectoryTools.cursorSchema,
                ], required: ["pattern"]),
            annotations: ReadTools.readOnly,
            outputSchema: Schema.object(
                [
                    "matches": Schema.array(
                        Schema.object(
                            [
                                "path": Schema.string("The file, relative to the first root when inside it.", example: "Sources/App/main.swift"),
                                "line": Schema.integer("The 1-based line number.", example: 12),
                                "column": Schema.integer("The 1-based byte column of the first match in the line.", example: 5),
                                "text": Schema.string("The line, without its terminator (cut at 1000 bytes).", example: "    func run() {"),
                                "submatches": Schema.array(
                                    Schema.object(
                                        [
                                            "start": Schema.integer("Byte offset in the line where it starts (0-based).", example: 4),
                                            "end": Schema.integer("Byte offset just past its end.", example: 13),
                                            "text": Schema.string("The matched text.", example: "func run("),
                                        ], required: ["start", "end", "text"]),
                                    "Each match within the line."),
                                "before": Schema.array(Schema.string("A line of context."), "Lines before the match, in order."),
                                "after": Schema.array(Schema.string("A line of context."), "Lines after the match, in order."),
                            ], required: ["path", "line", "column", "text", "submatches", "before", "after"]),
                        "The matches of this page, sorted by path and line."),
                    "stats": Schema.object(
                        [
                            "filesSearched": Schema.integer("Files searched.", example: 120),
                            "filesMatched": Schema.integer("Files with at least one match.", example: 3),
                            "bytesSearched": Schema.integer("Bytes searched.", example: 1_048_576),
                            "totalMatches": Schema.integer("Matching lines found (all pages).", example: 7),
                            "elapsedMs": Schema.number("Wall-clock time of the search in milliseconds.", example: 12.5),
                            "usedIndex": Schema.boolean("The live index chose the files to read."),
                            "candidates": Schema.integer("Files the index named (all read)."),
                        ], required: ["filesSearched", "filesMatched", "bytesSearched", "totalMatches", "elapsedMs"]),
                    "complete": Schema.boolean("False when the search stopped at 10000 matching lines; narrow it to see everything."),
                    "truncated": Schema.truncated,
                    "nextCursor": Schema.nextCursor,
                    "errors": DirectoryTools.errorsSchema,
                    "files": Schema.array(Schema.string("A file with a match."), "With outputMode files_with_matches: the files."),
                    "counts": Schema.array(
                        Schema.object(["path": Schema.string("The file."), "count": Schema.integer("Its matching lines.")], required: ["path", "count"]),
                        "With outputMode count: matching lines per file."),
                ], required: ["matches", "stats", "complete", "truncated"])),
        run: { arguments, context async throws(ToolFailure) in try await search(arguments, context: context) })

    /// One entry of an answer, in the output mode asked for.
    enum Entry: Sendable {
        case match(Match)
        case file(path: [UInt8])
        case count(path: [UInt8], count: Int)
    }

    /// One matching line with its context, before paging.
    struct Match: Sendable {
        var path: [UInt8]
        var line: SearchLine
        var before: [SearchLine]
        var after: [SearchLine]
    }

    static func search(_ arguments: Arguments, context: ToolContext) async throws(ToolFailure) -> ToolOutput {
        try arguments.checkKnown([
            "pattern", "path", "literal", "caseMode", "wordBoundary", "include", "exclude", "includeHidden",
            "respectIgnoreFiles", "before", "after", "maxResults", "maxMatchesPerFile", "maxFileSize", "cursor",
            "type", "outputMode", "sort", "headLimit", "multiline", "replace",
        ])
        let outputMode = try arguments.string("outputMode") ?? "content"
        guard ["content", "files_with_matches", "count"].contains(outputMode) else {
            throw ToolFailure("invalidArgument", "search_content: outputMode must be content, files_with_matches or count, not '\(outputMode)'")
        }
        let sort = try arguments.string("sort") ?? "path"
        guard sort == "path" || sort == "modified" else {
            throw ToolFailure("invalidArgument", "search_content: sort must be path or modified, not '\(sort)'")
        }
        let headLimit = try arguments.int("headLimit", minimum: 1)
        let pattern = try arguments.requiredString("pattern")
        let path = try arguments.string("path") ?? "."
        var query = SearchQuery(patterns: [pattern])
        query.literal = try arguments.bool("literal") ?? false
        query.wordBoundary = try arguments.bool("wordBoundary") ?? false
        query.multiline = try arguments.bool("multiline") ?? false
        // A pattern that names a newline matches nothing line by line: say so, as rg
        // does, instead of answering "no match".
        if !query.multiline && LiteralNewline.appears(in: pattern, literal: query.literal) {
            throw ToolFailure(
                "invalidArgument",
                "search_content: the pattern contains a newline (\\n), which no single line holds; set multiline to true to match across lines")
        }
        let replacement = try arguments.string("replace").map { Replacement(Array($0.utf8)) }
        if let mode = try arguments.string("caseMode") {
            guard let caseMode = CaseMode(rawValue: mode) else {
                throw ToolFailure("invalidArgument", "search_content: caseMode must be sensitive, insensitive or smart, not '\(mode)'")
            }
            query.caseMode = caseMode
        }
        let limit = try arguments.int("maxResults", minimum: 1, maximum: 5000) ?? 100
        let base = try context.resolve(path)
        var walk = try DirectoryTools.walkOptions(arguments, base: base)
        walk.globs = (try arguments.strings("include") ?? []) + (try arguments.strings("exclude") ?? []).map { "!" + $0 }
        if let size = try arguments.int("maxFileSize", minimum: 0) { walk.maxFileSize = Int64(size) }
        if let types = try arguments.strings("type") {
            walk.typeChanges = types.map { .select($0) }
            do throws(CoreError) { _ = try FileTypes().filter(walk.typeChanges) } catch {
                throw ToolFailure("invalidArgument", "search_content: \(error.message)")
            }
        }
        var configuration = FileService.streamingSearchConfiguration
        configuration.beforeContext = try arguments.int("before", minimum: 0, maximum: 100) ?? 0
        configuration.afterContext = try arguments.int("after", minimum: 0, maximum: 100) ?? 0
        configuration.maxReportedLines = try arguments.int("maxMatchesPerFile", minimum: 1)
        configuration.multiline = query.multiline
        // For the replacement preview only: the search's own matcher lives in the service.
        let previewMatcher: (any Matcher)? = replacement == nil ? nil : try? query.makeMatcher()

        let showsContext = configuration.beforeContext + configuration.afterContext > 0
        /// A page as the answer shows it; the pager cuts the page where this fits the budget.
        func render(_ page: Page<Entry>) -> ToolOutput {
            let summary = page.summary as? Summary ?? Summary()
            let next = page.next
            var shown: [Match] = []
            var files: [Value] = []
            var counts: [Value] = []
            var rendering: [String] = []
            for entry in page.items {
                switch entry {
                case .match(let match): shown.append(match)
                case .file(let path):
                    let display = context.display(String(decoding: path, as: UTF8.self))
                    files.append(.string(display))
                    rendering.append(display)
                case .count(let path, let count):
                    let display = context.display(String(decoding: path, as: UTF8.self))
                    counts.append(["path": .string(display), "count": .int(count)])
                    rendering.append("\(display):\(count)")
                }
            }
            var values: [Value] = []
            for match in shown {
                let shownPath = context.display(match.line.path)
                let number = match.line.lineNumber ?? 0
                // A line longer than the searcher's buffer comes as a piece (`isCut`, and an
                // error says so): offsets within the line add where the piece starts.
                let lineOffset = Int(match.line.lineOffset)
                let column = lineOffset + (match.line.submatches.first?.lowerBound ?? 0) + 1
                let submatches: [Value] = match.line.submatches.map { range in
                    let text = String(decoding: match.line.bytes[range], as: UTF8.self)
                    return [
                        "start": .int(lineOffset + range.lowerBound), "end": .int(lineOffset + range.upperBound),
                        "text": .string(text),
                    ]
                }
                var value: [String: Value] = [
                    "path": .string(shownPath), "line": .int(number), "column": .int(column),
                    "text": .string(lineText(match.line)), "submatches": .array(submatches),
                    "before": .strings(match.before.map(lineText)), "after": .strings(match.after.map(lineText)),
                ]
                var replacedText: String?
                if let replacement, let previewMatcher {
                    let replaced = replacement.replacing(in: match.line.bytes, matches: match.line.submatches, matcher: previewMatcher)
                    replacedText = String(decoding: replaced, as: UTF8.self)
                    value["replaced"] = .string(replacedText!)
                }
                values.append(.object(value))
                for line in match.before { rendering.append("\(shownPath)-\(line.lineNumber ?? 0)-\(lineText(line))") }
                rendering.append("\(shownPath):\(number):\(column):\(lineText(match.line))")
                if let replacedText { rendering.append("\(shownPath):\(number):\(column):\(replacedText)  (replaced; not written)") }
                for line in match.after { rendering.append("\(shownPath)-\(line.lineNumber ?? 0)-\(lineText(line))") }
                if showsContext { rendering.append("--") }
            }
            let truncated = page.truncated || summary.headCut
            if page.total == 0 { rendering.append("no match for '\(pattern)' in \(summary.filesSearched) files under '\(path)'") }
            let unit = outputMode == "content" ? "matches" : "files"
            if page.truncated {
                rendering.append("[\(page.items.count) of \(page.total) \(unit); more with cursor \(next.stringValue ?? "")]")
            } else if summary.headCut {
                rendering.append("[the first \(page.total) \(unit) (headLimit)]")
            }
            if !summary.complete {
                rendering.append("[the first \(collectionLimit) matching lines in path order of \(summary.matchesSeen); narrow the search]")
            }
            if page.isFirst { for error in summary.errors { rendering.append("error: \(error)") } }
            return ToolOutput(
                structured: [
                    "matches": .array(values),
                    "stats": [
                        "filesSearched": .int(summary.filesSearched), "filesMatched": .int(summary.filesMatched),
                        "bytesSearched": .int(Int(summary.bytesSearched)), "totalMatches": .int(page.total),
                        "elapsedMs": .double((summary.milliseconds * 1000).rounded() / 1000),
                        "usedIndex": .bool(summary.usedIndex), "candidates": .int(summary.candidates),
                    ],
                    "complete": .bool(summary.complete), "truncated": .bool(truncated), "nextCursor": next,
                    "errors": .strings(page.isFirst ? summary.errors : []),
                    "files": outputMode == "files_with_matches" ? .array(files) : .null,
                    "counts": outputMode == "count" ? .array(counts) : .null,
                ],
                text: rendering.joined(separator: "\n"))
        }
        let page = try await context.page(arguments, limit: limit, pageSizeArgument: "maxResults", render: render) { () throws(ToolFailure) -> ([Entry], (any Sendable)?) in
            var (matches, summary) = try await collect(query, base: base, walk: walk, configuration: configuration, context: context)
            var entries: [Entry]
            // Newest first, then by path: what an agent looking for recent work wants.
            let order: [[UInt8]]
            if sort == "modified" {
                let times = Dictionary(uniqueKeysWithValues: summary.countsByFile.keys.map { path in
                    (path, (try? FileIdentity(path: String(decoding: path, as: UTF8.self)))?.modificationTime ?? 0)
                })
                order = summary.countsByFile.keys.sorted { a, b in
                    times[a]! != times[b]! ? times[a]! > times[b]! : a.lexicographicallyPrecedes(b)
                }
                let rank = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
                matches.sort { (rank[$0.path] ?? 0, $0.line.lineNumber ?? 0) < (rank[$1.path] ?? 0, $1.line.lineNumber ?? 0) }
            } else {
                order = summary.countsByFile.keys.sorted { $0.lexicographicallyPrecedes($1) }
            }
            switch outputMode {
            case "files_with_matches": entries = order.map { .file(path: $0) }
            case "count": entries = order.map { .count(path: $0, count: summary.countsByFile[$0] ?? 0) }
            default: entries = matches.map { .match($0) }
            }
            if let headLimit, entries.count > headLimit {
                entries.removeLast(entries.count - headLimit)
                summary.headCut = true
            }
            return (entries, summary)
        }
        return render(page)
    }

    /// What a search found besides its lines, kept with the snapshot of its pages.
    struct Summary: Sendable {
        var filesSearched = 0
        var filesMatched = 0
        var bytesSearched: Int64 = 0
        var errors: [String] = []
        /// False when more than ``collectionLimit`` lines matched.
        var complete = true
        /// Every matching line seen, kept or not.
        var matchesSeen = 0
        var milliseconds = 0.0
        /// Matching lines per file, for every file that matched (past the cap too).
        var countsByFile: [[UInt8]: Int] = [:]
        /// The answer was cut at `headLimit`.
        var headCut = false
        /// The live index chose the files read.
        var usedIndex = false
        /// The files it named.
        var candidates = 0
    }

    /// Runs the search and returns its matches in path order (each file's in line
    /// order) with their context: at most ``collectionLimit``, the first in path order.
    static func collect(
        _ query: SearchQuery, base: String, walk: WalkOptions, configuration: SearcherConfiguration, context: ToolContext
    ) async throws(ToolFailure) -> ([Match], Summary) {
        // One search of `searchConcurrency` at a time: waiting here costs no memory.
        guard await context.searches.acquire() else {
            throw ToolFailure("cancelled", "search_content: the client cancelled the request")
        }
        defer { context.searches.release() }
        let clock = ContinuousClock()
        let started = clock.now
        let stream: SearchStream
        // Progress is the bytes read, counted as they are read, so it moves inside one
        // big file too (the stream tells of a file only when it is done).
        let scanned = context.progress == nil ? nil : SearchProgress()
        let filesDone = BatchTools.DoneCounter()
        let indexUse = IndexUseReport()
        do {
            stream = try context.service.search(
                query, in: [base], walkOptions: walk, configuration: configuration, progress: scanned,
                index: context.indexing.tree(containing: base), report: indexUse)
        } catch {
            throw ToolFailure(error)
        }
        var reporter: Task<Void, Never>?
        if let progress = context.progress, let scanned {
            // A single file: its size is the total.
            let identity = try? FileIdentity(path: base)
            let total = identity?.kind == .regular ? Double(identity?.size ?? 0) : nil
            reporter = Task {
                await progress.report(0, total: total, message: "0 bytes read")
                while !Task.isCancelled {
                    try? await Task.sleep(for: ProgressReporter.interval)
                    let bytes = scanned.bytesRead
                    await progress.report(
                        Double(bytes), total: total,
                        message: "\(filesDone.value.load(ordering: .relaxed)) files searched, \(bytes) bytes read")
                }
            }
        }
        defer { reporter?.cancel() }
        var summary = Summary()
        var linesByFile: [[UInt8]: [SearchLine]] = [:]
        var matchesByFile: [[UInt8]: Int] = [:]
        var kept = 0
        // Files after this one in path order are beyond the first `collectionLimit`.
        var cutoff: [UInt8]?
        var finished = Set<[UInt8]>()
        var matched = Set<[UInt8]>()
        /// Keeps the files that hold the first `collectionLimit` matches in path order.
        func trim() {
            var total = 0
            var keep: [UInt8]?
            for path in matchesByFile.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                if total >= collectionLimit {
                    linesByFile[path] = nil
                    matchesByFile[path] = nil
                    continue
                }
                total += matchesByFile[path] ?? 0
                keep = path
            }
            kept = total
            if let keep { cutoff = keep }
        }
        do {
            for try await event in stream {
                switch event {
                case .line(let line):
                    if line.kind == .match {
                        summary.matchesSeen += 1
                        matched.insert(line.pathBytes)
                        summary.countsByFile[line.pathBytes, default: 0] += 1
                        if summary.matchesSeen > collectionLimit { summary.complete = false }
                    }
                    if let cutoff, cutoff.lexicographicallyPrecedes(line.pathBytes) { continue }
                    linesByFile[line.pathBytes, default: []].append(line)
                    if line.kind == .match {
                        matchesByFile[line.pathBytes, default: 0] += 1
                        kept += 1
                        if kept > 2 * collectionLimit { trim() }
                    }
                case .fileFinished(let path, let finish):
                    finished.insert(path)
                    summary.bytesSearched += finish.bytesSearched
                    filesDone.value.store(finished.count, ordering: .relaxed)
                case .binaryFile(let path, _):
                    finished.insert(path)
                case .error(let error):
                    if summary.errors.count < 20 { summary.errors.append(error.message) }
                }
            }
        } catch {
            throw ToolFailure("io", "search_content: the search failed: \(error)")
        }
        // Cancelling the task cancelled the stream, which stopped the search; the
        // client wants no answer.
        if Task.isCancelled { throw ToolFailure("cancelled", "search_content: the client cancelled the request") }
        if kept > collectionLimit { trim() }
        // A file whose lines came but whose end did not (an error cut it short) was
        // searched too: matched files are always among the searched.
        summary.filesSearched = finished.union(matched).count
        summary.filesMatched = matched.count
        let use = indexUse.use
        summary.usedIndex = use.usedIndex
        summary.candidates = use.candidates
        // The index read only its candidates, but it answered for every file under the
        // base: as many as a scan would have searched.
        if use.usedIndex { summary.filesSearched = max(summary.filesSearched, use.filesUnderBase) }
        let elapsed = clock.now - started
        summary.milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15

        var matches: [Match] = []
        for path in linesByFile.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let lines = linesByFile[path]!
            let grouped = MatchWithContext.group(
                lines, beforeContext: configuration.beforeContext, afterContext: configuration.afterContext,
                limit: collectionLimit - matches.count)
            for match in grouped { matches.append(Match(path: path, line: match.line, before: match.before, after: match.after)) }
        }
        return (matches, summary)
    }

    /// A line's text, cut at ``maximumLineLength`` bytes on a character boundary.
    static func lineText(_ line: SearchLine) -> String {
        guard line.bytes.count > maximumLineLength else { return line.text }
        var end = maximumLineLength
        while end > 0 && line.bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: line.bytes[..<end], as: UTF8.self) + "…"
    }
}

extension Schema {
    static func number(_ description: String, example: Double? = nil) -> Value {
        var object: [String: Value] = ["type": "number", "description": .string(description)]
        if let example { object["examples"] = [.double(example)] }
        return .object(object)
    }
}
