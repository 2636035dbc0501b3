/// One replacement in a text: `oldText` must occur exactly once (or as many times as
/// asked) and becomes `newText`.
///
/// The JSON shape is the one the MCP `edit_file` tool and the transaction `update`
/// operation take: `{"oldText": "…", "newText": "…"}`, with the optional
/// `"replaceAll": true` or `"expectedReplacements": N`.
public struct TextEdit: Sendable, Hashable, Codable {
    /// The text to replace; it must occur exactly once unless ``replaceAll`` or
    /// ``expectedReplacements`` says otherwise.
    public var oldText: String
    /// What replaces it.
    public var newText: String
    /// Replace every occurrence (at least one), not exactly one.
    public var replaceAll: Bool?
    /// Replace every occurrence, and fail unless there are exactly this many.
    public var expectedReplacements: Int?

    /// Creates an edit.
    public init(oldText: String, newText: String, replaceAll: Bool? = nil, expectedReplacements: Int? = nil) {
        self.oldText = oldText
        self.newText = newText
        self.replaceAll = replaceAll
        self.expectedReplacements = expectedReplacements
    }
}

/// The text after a list of edits, and the unified diff from the original to it.
public struct EditResult: Sendable, Hashable {
    /// The edited text.
    public var text: String
    /// The unified diff of the original against ``text`` (empty when they are equal).
    public var diff: String
}

/// Applies ``TextEdit``s with the exact-once rule: the building block of the MCP
/// `edit_file` tool and of transaction `update` operations.
///
/// ```swift
/// let new = try TextEdits.apply([TextEdit(oldText: "let x = 1", newText: "let x = 2")], to: source)
/// let preview = try TextEdits.preview(edits, to: source, path: "main.swift")  // text + diff
/// ```
///
/// Edits apply one after another, each to the result of the ones before it. An edit
/// whose `oldText` does not occur, or occurs more than once (overlapping occurrences
/// count), fails the whole list with a message saying how many times and on which
/// lines; nothing is half-applied.
///
/// When the text uses CRLF line endings and an `oldText` written with LF does not occur
/// as is, the edit is tried again with both texts converted to CRLF.
public enum TextEdits {
    /// The text with every edit applied.
    ///
    /// - Parameters:
    ///   - edits: The replacements, in order.
    ///   - text: The original text.
    ///   - path: The file the text came from, for messages.
    /// - Throws: ``WorkError`` with `.editNotFound` (the message names the edit and the
    ///   lines where its first line does occur, if any), `.editAmbiguous` (how many
    ///   times, on which lines), or `.invalidArgument` for an empty `oldText`.
    public static func apply(_ edits: [TextEdit], to text: String, path: String? = nil) throws(WorkError) -> String {
        var bytes = Array(text.utf8)
        for (index, edit) in edits.enumerated() {
            bytes = try apply(edit, number: index + 1, of: edits.count, to: bytes, path: path)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The edited text and the unified diff from `text` to it: what `edit_file` with
    /// `dryRun` shows.
    ///
    /// - Throws: As ``apply(_:to:path:)``.
    public static func preview(_ edits: [TextEdit], to text: String, path: String) throws(WorkError) -> EditResult {
        let edited = try apply(edits, to: text, path: path)
        return EditResult(text: edited, diff: UnifiedDiff.make(old: text, new: edited, path: path))
    }

    private static func apply(
        _ edit: TextEdit, number: Int, of total: Int, to bytes: [UInt8], path: String?
    ) throws(WorkError) -> [UInt8] {
        let place = total > 1 ? "edit \(number) of \(total)" : "the edit"
        let inFile = path.map { " in '\($0)'" } ?? ""
        var old = Array(edit.oldText.utf8)
        var new = Array(edit.newText.utf8)
        guard !old.isEmpty else {
            throw WorkError(.invalidArgument, "\(place)\(inFile) has an empty oldText; give the exact text to replace", path: path)
        }
        var offsets = occurrences(of: old, in: bytes)
        if offsets.isEmpty, old.contains(UInt8(ascii: "\n")), !old.contains(UInt8(ascii: "\r")),
           !occurrences(of: Array("\r\n".utf8), in: bytes).isEmpty
        {
            let crlfOld = crlf(old)
            let crlfOffsets = occurrences(of: crlfOld, in: bytes)
            if !crlfOffsets.isEmpty {
                old = crlfOld
                new = crlf(new)
                offsets = crlfOffsets
            }
        }
        if !offsets.isEmpty, edit.replaceAll == true || edit.expectedReplacements != nil {
            let separate = nonOverlapping(offsets, length: old.count)
            if let expected = edit.expectedReplacements, separate.count != expected {
                let lines = separate.map { line(at: $0, in: bytes) }
                throw WorkError(
                    .editAmbiguous,
                    "\(place)\(inFile): oldText occurs \(separate.count) time\(separate.count == 1 ? "" : "s") (on line\(lines.count == 1 ? "" : "s") \(list(lines))), not the \(expected) expectedReplacements says; nothing was changed: re-read the file, or give the count there is",
                    path: path)
            }
            var result: [UInt8] = []
            result.reserveCapacity(bytes.count + separate.count * max(0, new.count - old.count))
            var copied = 0
            for start in separate {
                result.append(contentsOf: bytes[copied..<start])
                result.append(contentsOf: new)
                copied = start + old.count
            }
            result.append(contentsOf: bytes[copied...])
            return result
        }
        if edit.expectedReplacements == 0, offsets.isEmpty { return bytes }
        switch offsets.count {
        case 1:
            let start = offsets[0]
            return Array(bytes[..<start]) + new + Array(bytes[(start + old.count)...])
        case 0:
            throw WorkError(.editNotFound, "\(place)\(inFile): oldText was not found\(hint(old, in: bytes)); copy the text exactly as it is in the file, whitespace included", path: path)
        default:
            let lines = offsets.map { line(at: $0, in: bytes) }
            throw WorkError(
                .editAmbiguous,
                "\(place)\(inFile): oldText occurs \(offsets.count) times (on lines \(list(lines))), but must occur exactly once; include more of the surrounding lines to make it unique, or set replaceAll to change every one",
                path: path)
        }
    }

    /// Every offset where `needle` starts in `haystack`, overlapping ones included.
    static func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
        guard !needle.isEmpty, needle.count <= haystack.count else { return [] }
        var result: [Int] = []
        let first = needle[0]
        haystack.withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { pin in
                var index = 0
                let last = hay.count - pin.count
                while index <= last {
                    if hay[index] == first {
                        var matched = true
                        for k in 1..<pin.count where hay[index + k] != pin[k] {
                            matched = false
                            break
                        }
                        if matched { result.append(index) }
                    }
                    index += 1
                }
            }
        }
        return result
    }

    /// The occurrences left to right, skipping those that overlap an earlier one.
    private static func nonOverlapping(_ offsets: [Int], length: Int) -> [Int] {
        var result: [Int] = []
        for offset in offsets where result.last.map({ offset >= $0 + length }) ?? true { result.append(offset) }
        return result
    }

    /// The 1-based line number of the byte at `offset`.
    static func line(at offset: Int, in bytes: [UInt8]) -> Int {
        var count = 1
        for byte in bytes[..<offset] where byte == UInt8(ascii: "\n") { count += 1 }
        return count
    }

    private static func crlf(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + 16)
        for byte in bytes {
            if byte == UInt8(ascii: "\n") { result.append(UInt8(ascii: "\r")) }
            result.append(byte)
        }
        return result
    }

    /// Where the first non-blank line of the missing text does occur, to point the
    /// caller at the place that differs.
    private static func hint(_ old: [UInt8], in bytes: [UInt8]) -> String {
        let firstLine = old.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
            .map { Array($0) }
            .first { !$0.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") } }
        guard let firstLine, firstLine.count < old.count else { return "" }
        let found = occurrences(of: firstLine, in: bytes)
        guard !found.isEmpty else { return " (not even its first line)" }
        let lines = found.prefix(5).map { line(at: $0, in: bytes) }
        return " (its first line occurs on line\(lines.count > 1 ? "s" : "") \(list(lines)), so a later line differs)"
    }

    private static func list(_ lines: [Int]) -> String {
        let shown = lines.prefix(10).map(String.init).joined(separator: ", ")
        return lines.count > 10 ? shown + ", …" : shown
    }
}
