import AIFSCore
import AIFSWork

/// The CLI's batch records, text lines and JSON Lines, built as bytes: the one
/// formatter of `aifs batch`'s output.
///
/// The loop that prints results runs beside the workers; with `-j 2` on two cores it
/// competes with them for CPU. Built from `String` interpolation, `joined` and
/// scalar-by-scalar quoting, a record cost about 3 µs there (a seventh of the whole
/// run's CPU for 10,000 files); appending bytes to one reused buffer costs a fraction
/// of that. The end-to-end tests compare the lines with `sha256sum`'s, `wc`'s and the
/// JSON parser's.
///
/// ## Threading
/// Owned by one task.
struct BatchRecord {
    /// The record being built; ``clear()`` keeps its capacity.
    private(set) var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(512) }

    mutating func clear() { bytes.removeAll(keepingCapacity: true) }

    /// Appends the text line for `value`, or nothing when the operation prints none
    /// (a search with no match, an unchanged rename). Returns whether it appended.
    mutating func appendTextLine(_ value: BatchValue, item: BatchItem, operation: String) -> Bool {
        switch value {
        case .digest(let hex, _):
            if let escaped = CoreutilsNames.checksumEscaped(item.path) {
                appendLiteral("\\")
                append(hex)
                appendLiteral("  ")
                append(escaped)
            } else {
                append(hex)
                appendLiteral("  ")
                append(item.path)
            }
        case .counts(let lines, let words, let bytes):
            append(lines)
            appendLiteral(" ")
            append(words)
            appendLiteral(" ")
            append(bytes)
            appendLiteral(" ")
            append(CoreutilsNames.wcQuoted(item.path) ?? item.path)
        case .matches(let lines, _):
            guard lines > 0 else { return false }
            append(item.path)
            appendLiteral(":")
            append(Int64(lines))
        case .status(let identity):
            append(identity.kind.description)
            appendLiteral(" ")
            append(identity.size)
            appendLiteral(" ")
            append(String(identity.permissions, radix: 8))
            appendLiteral(" ")
            append(identity.modificationTime / 1_000_000_000)
            appendLiteral(" ")
            append(item.path)
        case .changed(let destination, let dryRun):
            if dryRun {
                appendLiteral("would ")
                append(operation)
                appendLiteral(" ")
            }
            append(item.path)
            appendLiteral(" -> ")
            append(destination)
        case .removed(let dryRun):
            if dryRun { appendLiteral("would delete ") } else { appendLiteral("deleted ") }
            append(item.path)
        case .unchanged:
            return false
        }
        appendLiteral("\n")
        return true
    }

    /// Appends the JSON Lines record of a path the walk could not read, newline included.
    mutating func appendJSON(walkError error: CoreError) {
        appendLiteral("{\"type\":\"error\",\"path\":")
        appendQuoted(error.path ?? "")
        appendError(code: error.code.description, message: error.message)
        appendLiteral("}\n")
    }

    /// Appends the JSON Lines record of `result`, newline included.
    mutating func appendJSON(_ result: BatchResult) {
        appendLiteral("{\"type\":\"result\",\"index\":")
        append(Int64(result.index))
        appendLiteral(",\"path\":")
        appendQuoted(result.item.path)
        switch result.outcome {
        case .failure(let error):
            appendLiteral(",\"ok\":false")
            appendError(code: error.code.description, message: error.cliMessage)
        case .success(let value):
            appendLiteral(",\"ok\":true")
            switch value {
            case .digest(let hex, let bytes):
                appendLiteral(",\"sha256\":\"")
                append(hex)
                appendLiteral("\",\"bytes\":")
                append(bytes)
            case .counts(let lines, let words, let bytes):
                appendLiteral(",\"lines\":")
                append(lines)
                appendLiteral(",\"words\":")
                append(words)
                appendLiteral(",\"bytes\":")
                append(bytes)
            case .matches(let lines, let bytes):
                appendLiteral(",\"matchedLines\":")
                append(Int64(lines))
                appendLiteral(",\"bytes\":")
                append(bytes)
            case .status(let identity):
                appendLiteral(",\"kind\":")
                appendQuoted(identity.kind.description)
                appendLiteral(",\"size\":")
                append(identity.size)
                appendLiteral(",\"mode\":")
                appendQuoted(String(identity.permissions, radix: 8))
                appendLiteral(",\"modified\":")
                append(identity.modificationTime / 1_000_000_000)
                appendLiteral(",\"inode\":")
                JSONBytes.appendInteger(identity.inode, to: &bytes)
            case .changed(let destination, let dryRun):
                appendLiteral(",\"destination\":")
                appendQuoted(destination)
                appendLiteral(dryRun ? ",\"dryRun\":true" : ",\"dryRun\":false")
            case .removed(let dryRun):
                appendLiteral(dryRun ? ",\"removed\":true,\"dryRun\":true" : ",\"removed\":true,\"dryRun\":false")
            case .unchanged:
                appendLiteral(",\"unchanged\":true")
            }
        }
        appendLiteral("}\n")
    }

    private mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    private mutating func appendLiteral(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func append(_ value: Int64) { JSONBytes.appendInteger(value, to: &bytes) }

    private mutating func append(_ value: Int) { JSONBytes.appendInteger(value, to: &bytes) }

    /// `,"error":{"code":…,"message":…}`.
    private mutating func appendError(code: String, message: String) {
        appendLiteral(",\"error\":{\"code\":")
        appendQuoted(code)
        appendLiteral(",\"message\":")
        appendQuoted(message)
        appendLiteral("}")
    }

    private mutating func appendQuoted(_ text: String) { JSONBytes.appendString(text, to: &bytes) }
}
