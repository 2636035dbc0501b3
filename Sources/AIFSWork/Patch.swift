/// A patch in the format Codex's `apply_patch` takes, parsed: files to add, delete and
/// update (with an optional new name), each update a list of hunks.
///
/// ```text
/// *** Begin Patch
/// *** Add File: docs/new.md
/// +# New
/// *** Update File: src/app.py
/// *** Move to: src/main.py
/// @@ def main():
/// -    print("hi")
/// +    print("hello")
/// *** Delete File: old.txt
/// *** End Patch
/// ```
///
/// ``Patch/parse(_:)`` reads the text; ``Patch/updated(_:with:path:)`` applies one file's
/// hunks to its text. `FileService.applyPatch` turns a patch into a ``Transaction``, so
/// it lands all or nothing.
public struct Patch: Sendable, Hashable {
    /// One file's change.
    public enum Change: Sendable, Hashable {
        /// Create the file with these contents.
        case add(path: String, content: String)
        /// Remove the file.
        case delete(path: String)
        /// Apply hunks to the file, then give it a new name if `moveTo` is set.
        case update(path: String, moveTo: String?, hunks: [Hunk])
    }

    /// A run of context (` `), removed (`-`) and added (`+`) lines, found in the file
    /// after the previous hunk and after its `@@` anchor line, if it has one.
    public struct Hunk: Sendable, Hashable {
        /// The text after `@@ `, searched for first to place the hunk (a function or
        /// class line); nil for a bare `@@`.
        public var anchor: String?
        /// The lines, each with its kind.
        public var lines: [Line]
        /// `*** End of File` followed it: the hunk must match at the end of the file.
        public var atEndOfFile: Bool
        /// Its line in the patch (1-based), for messages.
        public var patchLine: Int

        /// One line of a hunk.
        public enum Line: Sendable, Hashable {
            case context(String)
            case removed(String)
            case added(String)
        }

        /// The lines the hunk expects in the file.
        var old: [String] {
            lines.compactMap { line in
                switch line {
                case .context(let text), .removed(let text): text
                case .added: nil
                }
            }
        }

        /// The lines it leaves there.
        var new: [String] {
            lines.compactMap { line in
                switch line {
                case .context(let text), .added(let text): text
                case .removed: nil
                }
            }
        }
    }

    /// The changes, in the patch's order.
    public var changes: [Change]

    /// Parses a patch.
    ///
    /// - Throws: ``WorkError`` with `.invalidArgument`, naming the patch line that is
    ///   wrong and what was expected there.
    public static func parse(_ text: String) throws(WorkError) -> Patch {
        var lines = Patch.lines(of: Substring(text))
        while let last = lines.last, last.trimmingWhitespace().isEmpty { lines.removeLast() }
        // Leading blank lines, and a heredoc wrapper (`<<'EOF'` … `EOF`), as models write it.
        while let first = lines.first, first.trimmingWhitespace().isEmpty { lines.removeFirst() }
        guard lines.first?.trimmingWhitespace() == "*** Begin Patch" else {
            throw invalid(1, "a patch starts with '*** Begin Patch'")
        }
        guard lines.last?.trimmingWhitespace() == "*** End Patch" else {
            throw invalid(lines.count, "a patch ends with '*** End Patch'")
        }
        var changes: [Change] = []
        var index = 1
        let end = lines.count - 1
        while index < end {
            let line = lines[index]
            if let path = line.value(after: "*** Add File: ") {
                index += 1
                var content: [String] = []
                while index < end, lines[index].hasPrefix("+") {
                    content.append(String(lines[index].dropFirst()))
                    index += 1
                }
                changes.append(.add(path: path, content: content.map { $0 + "\n" }.joined()))
            } else if let path = line.value(after: "*** Delete File: ") {
                changes.append(.delete(path: path))
                index += 1
            } else if let path = line.value(after: "*** Update File: ") {
                index += 1
                var moveTo: String?
                if index < end, let destination = lines[index].value(after: "*** Move to: ") {
                    moveTo = destination
                    index += 1
                }
                var hunks: [Hunk] = []
                while index < end, !lines[index].hasPrefix("*** ") || lines[index] == "*** End of File" {
                    let start = index
                    var hunk = Hunk(anchor: nil, lines: [], atEndOfFile: false, patchLine: start + 1)
                    if lines[index].hasPrefix("@@") {
                        let anchor = lines[index].dropFirst(2).trimmingWhitespace()
                        hunk.anchor = anchor.isEmpty ? nil : anchor
                        index += 1
                    } else if !hunks.isEmpty {
                        throw invalid(index + 1, "expected '@@' to start the next hunk of '\(path)', found '\(lines[index].prefix(80))'")
                    }
                    while index < end {
                        let text = lines[index]
                        if text == "*** End of File" {
                            hunk.atEndOfFile = true
                            index += 1
                            break
                        }
                        if text.hasPrefix("@@") || text.hasPrefix("*** ") { break }
                        switch text.first {
                        case " ": hunk.lines.append(.context(String(text.dropFirst())))
                        case "-": hunk.lines.append(.removed(String(text.dropFirst())))
                        case "+": hunk.lines.append(.added(String(text.dropFirst())))
                        case nil: hunk.lines.append(.context(""))  // an empty context line
                        default:
                            throw invalid(index + 1, "a hunk line starts with ' ', '-' or '+'; found '\(text.prefix(80))' in the update of '\(path)'")
                        }
                        index += 1
                    }
                    guard !hunk.lines.isEmpty else {
                        throw invalid(start + 1, "the hunk of '\(path)' has no lines")
                    }
                    hunks.append(hunk)
                }
                guard !hunks.isEmpty || moveTo != nil else {
                    throw invalid(index, "the update of '\(path)' has no hunks")
                }
                changes.append(.update(path: path, moveTo: moveTo, hunks: hunks))
            } else if line.trimmingWhitespace().isEmpty {
                index += 1
            } else {
                throw invalid(index + 1, "expected '*** Add File: ', '*** Delete File: ' or '*** Update File: ', found '\(line.prefix(80))'")
            }
        }
        guard !changes.isEmpty else { throw invalid(1, "the patch changes no file") }
        return Patch(changes: changes)
    }

    /// The patch as a transaction: an added file becomes `create` (refused if it
    /// exists), a deleted one `delete`, an update `write` of the new text (then `move`
    /// when it has a new name).
    ///
    /// - Parameter read: The current text of a file named in the patch (nil when it
    ///   does not exist); throws for a file it cannot read as text.
    /// - Throws: ``WorkError``: a hunk that matches nothing (`.editNotFound`), a file to
    ///   update or delete that is missing or to add that exists, read errors. Nothing
    ///   has changed then.
    public func transaction(reading read: (String) throws(WorkError) -> String?) throws(WorkError) -> Transaction {
        var operations: [TransactionOperation] = []
        // The text as the patch's earlier changes leave it, for a file named twice.
        var pending: [String: String?] = [:]
        func current(_ path: String) throws(WorkError) -> String? {
            if let known = pending[path] { return known }
            return try read(path)
        }
        for change in changes {
            switch change {
            case .add(let path, let content):
                guard try current(path) == nil else {
                    throw WorkError(.alreadyExists, "cannot add '\(path)': it exists; update it with '*** Update File: \(path)' instead; nothing was applied", path: path)
                }
                operations.append(TransactionOperation(type: .create, path: path, content: content))
                pending[path] = .some(content)
            case .delete(let path):
                guard try current(path) != nil else {
                    throw WorkError(.notFound, "cannot delete '\(path)': it does not exist; check the path; nothing was applied", path: path)
                }
                operations.append(TransactionOperation(type: .delete, path: path))
                pending[path] = .some(nil)
            case .update(let path, let moveTo, let hunks):
                guard let text = try current(path) else {
                    throw WorkError(.notFound, "cannot update '\(path)': it does not exist; add it with '*** Add File: \(path)', or check the path; nothing was applied", path: path)
                }
                let updated = try Patch.updated(text, with: hunks, path: path)
                if updated != text {
                    operations.append(TransactionOperation(type: .write, path: path, content: updated))
                }
                if let moveTo {
                    operations.append(TransactionOperation(type: .move, path: path, destination: moveTo))
                    pending[path] = .some(nil)
                    pending[moveTo] = .some(updated)
                } else {
                    pending[path] = .some(updated)
                }
            }
        }
        guard !operations.isEmpty else {
            throw WorkError(.invalidArgument, "the patch changes nothing: every hunk leaves its file as it is; nothing was applied")
        }
        return Transaction(operations: operations)
    }

    private static func invalid(_ line: Int, _ message: String) -> WorkError {
        WorkError(.invalidArgument, "invalid patch, line \(line): \(message); nothing was applied")
    }

    /// `text` with `hunks` applied, keeping its line ends (LF or CRLF) and byte-order
    /// mark. Each hunk's lines are found after the previous hunk: exactly first, then
    /// ignoring trailing whitespace, then ignoring all leading and trailing whitespace,
    /// as Codex does.
    ///
    /// - Throws: ``WorkError`` with `.editNotFound` naming the hunk, with the closest
    ///   lines of the file (numbered) when its lines occur nowhere.
    public static func updated(_ text: String, with hunks: [Hunk], path: String) throws(WorkError) -> String {
        var body = Substring(text)
        let bom = body.hasPrefix("\u{FEFF}")
        if bom { body = body.dropFirst() }
        let crlf = body.contains("\r\n")
        var lines = Patch.lines(of: body)
        // A final newline leaves an empty last piece: not a line.
        if lines.last == "" { lines.removeLast() }
        var position = 0
        for (number, hunk) in hunks.enumerated() {
            let name = "hunk \(number + 1) of \(hunks.count) (patch line \(hunk.patchLine)) of '\(path)'"
            if let anchor = hunk.anchor {
                guard let found = find([anchor], in: lines, from: position, atEnd: false) else {
                    throw WorkError(
                        .editNotFound,
                        "\(name): its '@@ \(anchor)' line does not occur after line \(position) of the file\(closest([anchor], in: lines)); nothing was applied",
                        path: path)
                }
                position = found + 1
            }
            let old = hunk.old
            if old.isEmpty {
                // Only additions: at the anchor, or at the end of the file.
                let at = hunk.anchor == nil ? lines.count : position
                lines.insert(contentsOf: hunk.new, at: at)
                position = at + hunk.new.count
                continue
            }
            guard let found = find(old, in: lines, from: position, atEnd: hunk.atEndOfFile) else {
                throw WorkError(
                    .editNotFound,
                    "\(name): its \(old.count == 1 ? "line does" : "\(old.count) lines do") not occur in the file\(position > 0 ? " after line \(position)" : "")\(closest(old, in: lines)); re-read the file and make the context and '-' lines match it; nothing was applied",
                    path: path)
            }
            // Context lines stay as the file has them (the match may have ignored
            // their whitespace); removed ones go, added ones come from the patch.
            var replacement: [String] = []
            var line = found
            for piece in hunk.lines {
                switch piece {
                case .context:
                    replacement.append(lines[line])
                    line += 1
                case .removed:
                    line += 1
                case .added(let text):
                    replacement.append(text)
                }
            }
            lines.replaceSubrange(found..<(found + old.count), with: replacement)
            position = found + replacement.count
        }
        let ending = crlf ? "\r\n" : "\n"
        return (bom ? "\u{FEFF}" : "") + lines.map { $0 + ending }.joined()
    }

    /// Where `needle` starts in `lines` at or after `start`: exact, then without
    /// trailing whitespace, then without surrounding whitespace.
    static func find(_ needle: [String], in lines: [String], from start: Int, atEnd: Bool) -> Int? {
        guard needle.count <= lines.count else { return nil }
        let transforms: [(String) -> Substring] = [
            { Substring($0) }, { $0.trimmingTrailingWhitespace() }, { Substring($0.trimmingWhitespace()) },
        ]
        for transform in transforms {
            let wanted = needle.map(transform)
            let candidates = atEnd ? [lines.count - needle.count] : Array(stride(from: start, through: lines.count - needle.count, by: 1))
            for candidate in candidates where candidate >= start {
                if (0..<needle.count).allSatisfy({ transform(lines[candidate + $0]) == wanted[$0] }) { return candidate }
            }
        }
        return nil
    }

    /// The file's lines most like `needle`, numbered, for a hunk that matched nothing:
    /// where the most lines are the same ignoring whitespace, or failing that, share
    /// the longest beginnings and ends.
    static func closest(_ needle: [String], in lines: [String]) -> String {
        guard !lines.isEmpty else { return " (the file is empty)" }
        let wanted = needle.map { Array($0.trimmingWhitespace().utf8) }
        var best = (start: 0, same: 0, likeness: 0.0)
        for start in 0..<lines.count {
            var same = 0
            var likeness = 0.0
            for offset in 0..<wanted.count where start + offset < lines.count {
                let line = Array(lines[start + offset].trimmingWhitespace().utf8)
                if line == wanted[offset] { same += 1 }
                likeness += similarity(line, wanted[offset])
            }
            if (same, likeness) > (best.same, best.likeness) { best = (start, same, likeness) }
        }
        guard best.likeness > 0 else { return "; no line like it occurs in the file" }
        let shown = lines[best.start..<min(lines.count, best.start + max(needle.count, 1))].enumerated().map { offset, line in
            "\(best.start + offset + 1): \(line.prefix(200))"
        }
        return "; the closest lines are \(best.start + 1)-\(best.start + shown.count) (\(best.same) of \(needle.count) lines the same, ignoring whitespace):\n" + shown.joined(separator: "\n") + "\n"
    }

    /// How alike two lines are, 0 to 1: their common beginning and end over the longer.
    private static func similarity(_ a: [UInt8], _ b: [UInt8]) -> Double {
        let longest = max(a.count, b.count)
        guard longest > 0 else { return 1 }
        var prefix = 0
        while prefix < min(a.count, b.count) && a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < min(a.count, b.count) - prefix && a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        return Double(prefix + suffix) / Double(longest)
    }

    /// The lines of `text`, split at LF (a CR before it dropped): by bytes, because a
    /// `Character` holds CR LF as one.
    static func lines(of text: Substring) -> [String] {
        text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            let bytes = line.last == UInt8(ascii: "\r") ? line.dropLast() : line[...]
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

extension String {
    fileprivate func value(after prefix: String) -> String? {
        guard hasPrefix(prefix) else { return nil }
        let value = dropFirst(prefix.count).trimmingWhitespace()
        return value.isEmpty ? nil : value
    }

    fileprivate func trimmingWhitespace() -> String {
        String(trimmingTrailingWhitespace().drop { $0 == " " || $0 == "\t" })
    }

    fileprivate func trimmingTrailingWhitespace() -> Substring {
        var end = endIndex
        while end > startIndex, let previous = self[..<end].last, previous == " " || previous == "\t" || previous == "\r" {
            end = index(before: end)
        }
        return self[..<end]
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(self).trimmingWhitespace()
    }
}
