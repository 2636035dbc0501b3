import MCP

/// The one bound on every answer: at most ``bytes`` of text in the text block, and at
/// most ``bytes`` of JSON in `structuredContent` (each is a form of the same answer, and
/// a client shows the model one of them).
///
/// Tools fit their answers themselves, where an answer can go on: a listing or a search
/// returns the results that fit and a `nextCursor` (a ``ResultSnapshots`` page), a read
/// the lines or bytes that fit and a `next` that continues it, `changes_since` the
/// entries that fit and a cursor. What a tool did not fit (a long diff, an error list)
/// is cut by ``enforce(_:)`` after the tool: its longest strings are cut and its longest
/// arrays lose their last elements, and the answer says `truncated: true`.
///
/// The default, 80 KiB, is about 20,000 tokens: a fifth of a 100k context for one
/// answer. `aifs serve --max-output-bytes N` sets it.
struct OutputBudget: Sendable {
    /// The default: 80 KiB, about 20,000 tokens.
    static let defaultBytes = 80 * 1024
    /// The smallest budget accepted: room for an error message and a page of a few entries.
    static let minimumBytes = 4 * 1024
    /// The largest: every answer is held in memory twice while it is written.
    static let maximumBytes = 16 << 20
    /// Kept free of a tool's own rendering for what is added after it (the clock, a
    /// cursor, a note that the answer was cut).
    static let reserve = 512

    /// The most bytes of each form of an answer.
    let bytes: Int

    init(bytes: Int = OutputBudget.defaultBytes) {
        self.bytes = bytes
    }

    /// What a tool's rendering may take of each form.
    var forContent: Int { max(1024, bytes - Self.reserve) }

    /// The bytes `value` takes as JSON (the answer's encoding).
    static func size(of value: Value) -> Int {
        var out: [UInt8] = []
        if ToolResultJSON.appendValue(value, to: &out) { return out.count }
        // Values ToolResultJSON leaves to JSONEncoder (data, some numbers): a close bound.
        return "\(value)".utf8.count
    }

    /// Whether both forms of `output` fit ``forContent``.
    func fits(_ output: ToolOutput) -> Bool {
        output.text.utf8.count <= forContent && Self.size(of: output.structured) <= forContent
    }

    /// How many of `items`, from the first, fit when rendered by `render`: all of them
    /// when they fit, else about the most that do, and at least one (an item too large
    /// on its own is cut by ``enforce(_:)``).
    ///
    /// A few items are rendered together; past ``wholeRenderLimit`` each item is
    /// rendered alone and its size added to the page's (the empty page's size, what
    /// every rendering repeats, counted once) until the budget is reached, and the page
    /// is rendered once to check. So a page costs about two renderings of what it
    /// shows, however many items there are: a page of 5,000 search matches is never
    /// rendered whole to be cut to 500, nor bisected, which cost seconds per page in a
    /// debug build.
    func fittingCount<T>(_ items: ArraySlice<T>, render: (ArraySlice<T>) -> ToolOutput) -> Int {
        guard !items.isEmpty else { return 0 }
        let start = items.startIndex
        if items.count <= Self.wholeRenderLimit, fits(render(items)) { return items.count }
        let empty = render(items[start..<start])
        let baseText = empty.text.utf8.count
        let baseJSON = Self.size(of: empty.structured)
        var text = baseText
        var json = baseJSON
        var count = 0
        for index in items.indices {
            let one = render(items[index..<(index + 1)])
            // Plus a separator: a newline between lines, a comma between elements.
            text += max(0, one.text.utf8.count - baseText) + 1
            json += max(0, Self.size(of: one.structured) - baseJSON) + 1
            if max(text, json) > forContent { break }
            count += 1
        }
        // The sum leaves out what a page says about itself (how many it shows): check,
        // and shrink in proportion if it is over.
        for _ in 0..<8 where count > 1 {
            let output = render(items[start..<(start + count)])
            let size = max(output.text.utf8.count, Self.size(of: output.structured))
            if size <= forContent { break }
            count = max(1, min(count - 1, Int(Double(count) * Double(forContent) / Double(size) * 0.98)))
        }
        return max(1, count)
    }

    /// Up to this many items, a page is rendered whole first (the usual answer fits).
    static let wholeRenderLimit = 64

    /// `output` with both forms within ``bytes``: the text cut at a character boundary
    /// with a note; in the structured form, the longest strings cut and the longest
    /// arrays shortened until it fits, and `truncated: true` when it is an object.
    func enforce(_ output: ToolOutput) -> ToolOutput {
        var output = output
        let note = "\n[cut: the answer is over the output budget of \(bytes) bytes (--max-output-bytes); ask for less]"
        if output.text.utf8.count > bytes {
            output.text = Self.prefix(output.text, bytes: bytes - note.utf8.count) + note
        }
        // Room for `truncated` and the clock, which the server adds after this.
        let structuredLimit = bytes - 96
        if Self.size(of: output.structured) > structuredLimit {
            var structured = Self.shrink(output.structured, to: structuredLimit - 32)
            if case .object(var fields) = structured {
                fields["truncated"] = true
                structured = .object(fields)
            }
            output.structured = structured
        }
        return output
    }

    /// The longest prefix of `string` within `bytes` bytes of UTF-8, on a character
    /// boundary.
    static func prefix(_ string: String, bytes: Int) -> String {
        let utf8 = Array(string.utf8)
        guard utf8.count > bytes else { return string }
        var end = max(0, bytes)
        while end > 0 && utf8[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: utf8[..<end], as: UTF8.self)
    }

    /// `value` within about `bytes` of JSON: strings cut (with "…"), arrays shortened
    /// from the end, objects' largest fields shrunk first.
    static func shrink(_ value: Value, to bytes: Int) -> Value {
        let size = self.size(of: value)
        guard size > bytes else { return value }
        switch value {
        case .string(let string):
            // Escapes make the JSON longer than the text: cut in proportion, then check.
            var cut = prefix(string, bytes: max(0, bytes - 8))
            while self.size(of: .string(cut + "…")) > bytes, !cut.isEmpty {
                cut = prefix(cut, bytes: cut.utf8.count * 9 / 10)
            }
            return .string(cut + "…")
        case .array(let elements):
            var kept: [Value] = []
            var used = 2
            for element in elements {
                let elementSize = self.size(of: element) + 1
                if used + elementSize > bytes {
                    // The first element alone is too large: keep a cut one.
                    if kept.isEmpty { kept.append(shrink(element, to: bytes - used)) }
                    break
                }
                kept.append(element)
                used += elementSize
            }
            return .array(kept)
        case .object(var fields):
            var total = size
            // The largest field first, while it helps; at most once per field.
            for key in fields.keys.sorted(by: { self.size(of: fields[$0]!) > self.size(of: fields[$1]!) }) where total > bytes {
                let fieldSize = self.size(of: fields[key]!)
                let target = max(16, fieldSize - (total - bytes))
                let shrunk = shrink(fields[key]!, to: target)
                total -= fieldSize - self.size(of: shrunk)
                fields[key] = shrunk
            }
            return .object(fields)
        default:
            return value
        }
    }
}
