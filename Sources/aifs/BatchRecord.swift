import AIFSCore
import AIFSWork

/// Builds the CLI's per-file batch records (text lines and JSON Lines) as bytes.
///
/// The loop that prints results runs beside the workers; with `-j 2` on two cores it
/// competes with them for CPU. Built from `String` interpolation, `joined` and
/// scalar-by-scalar quoting, a record cost about 3 µs there (a seventh of the whole
/// run's CPU for 10,000 files); appending bytes to one reused buffer costs a fraction
/// of that. The output is byte for byte what ``BatchDriver/textLine(_:item:operation:)``
/// and ``BatchDriver/jsonRecord(_:)`` make, which it uses for the rarer operations; the
/// end-to-end tests compare the lines with `sha256sum`'s, `wc`'s and the JSON parser's.
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
        case .status, .changed, .removed, .unchanged:
            // Rare or slow operations: the plain formatter is fast enough for them.
            guard let line = BatchDriver.textLine(value, item: item, operation: operation) else { return false }
            append(line)
            return true
        }
        appendLiteral("\n")
        return true
    }

    /// Appends the JSON Lines record of `result`, newline included.
    mutating func appendJSON(_ result: BatchResult) {
        switch result.outcome {
        case .success(.status), .success(.changed), .success(.removed), .success(.unchanged):
            // Rare or slow operations: the plain formatter is fast enough for them.
            append(BatchDriver.jsonRecord(result))
            return
        default: break
        }
        appendLiteral("{\"type\":\"result\",\"index\":")
        append(Int64(result.index))
        appendLiteral(",\"path\":")
        appendQuoted(result.item.path)
        switch result.outcome {
        case .failure(let error):
            appendLiteral(",\"ok\":false,\"error\":{\"code\":")
            appendQuoted(error.code.description)
            appendLiteral(",\"message\":")
            appendQuoted(error.message)
            appendLiteral("}")
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
            case .status, .changed, .removed, .unchanged:
                break  // written whole above
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

    private mutating func append(_ value: Int64) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            // The magnitude of Int64.min does not fit an Int64.
            appendDigits(value.magnitude)
        } else {
            appendDigits(UInt64(value))
        }
    }

    private mutating func appendDigits(_ value: UInt64) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            bytes.append(contentsOf: buffer[(20 - count)...])
        }
    }

    private mutating func appendQuoted(_ text: String) { JSONBytes.appendString(text, to: &bytes) }
}
