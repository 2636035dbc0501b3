/// Unified diffs of two texts, line by line, as `diff -u` writes them.
///
/// ```swift
/// let diff = UnifiedDiff.make(old: "a\nb\n", new: "a\nc\n", path: "notes.txt")
/// // --- notes.txt
/// // +++ notes.txt
/// // @@ -1,2 +1,2 @@
/// //  a
/// // -b
/// // +c
/// ```
///
/// The common first and last lines are set aside first, and the rest compared with
/// Myers' algorithm, so an edit in a large file costs about the size of the edit.
///
/// ## Known problems
/// When the changed middle differs in more than ``maximumEditDistance`` lines, it is
/// shown as one block removed and one added: still a correct diff, just not minimal.
public enum UnifiedDiff {
    /// Beyond this many differing lines, the middle is shown as replaced whole.
    public static let maximumEditDistance = 4096

    /// The unified diff from `old` to `new`; empty when they are equal.
    ///
    /// - Parameters:
    ///   - old: The original text.
    ///   - new: The changed text.
    ///   - path: The name shown in the `---` and `+++` lines.
    ///   - context: Unchanged lines shown around each change (3, as `diff -u`).
    public static func make(old: String, new: String, path: String, context: Int = 3) -> String {
        guard old != new else { return "" }
        let a = lines(old)
        let b = lines(new)
        let edits = script(a, b)
        var output = "--- \(path)\n+++ \(path)\n"
        for hunk in hunks(edits, context: max(0, context)) {
            output += header(hunk, edits)
            for edit in edits[hunk] {
                let (prefix, text) = edit.rendered(a, b)
                output += prefix + text
                // By byte: a CR LF line ends in the Character "\r\n", which is not "\n".
                if text.utf8.last != UInt8(ascii: "\n") { output += "\n\\ No newline at end of file\n" }
            }
        }
        return output
    }

    /// One line of the edit script: kept, removed from `old`, or added from `new`.
    enum Edit: Equatable {
        case keep(old: Int, new: Int)
        case remove(old: Int)
        case insert(new: Int)

        var isChange: Bool { if case .keep = self { false } else { true } }

        func rendered(_ a: [Substring], _ b: [Substring]) -> (String, Substring) {
            switch self {
            case .keep(let old, _): (" ", a[old])
            case .remove(let old): ("-", a[old])
            case .insert(let new): ("+", b[new])
            }
        }
    }

    /// The lines of a text, each with its terminator (the last may have none).
    static func lines(_ text: String) -> [Substring] {
        var result: [Substring] = []
        var start = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(after: index)
            if text[index] == "\n" || text[index] == "\r\n" {
                result.append(text[start..<next])
                start = next
            }
            index = next
        }
        if start < text.endIndex { result.append(text[start...]) }
        return result
    }

    /// The shortest edit script from `a` to `b` (Myers), after trimming the common
    /// prefix and suffix.
    static func script(_ a: [Substring], _ b: [Substring]) -> [Edit] {
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        var edits: [Edit] = (0..<prefix).map { .keep(old: $0, new: $0) }
        // Compare integers, not strings, in the quadratic part.
        var ids: [Substring: Int] = [:]
        let xs = a[prefix..<(a.count - suffix)].map { line -> Int in
            if let id = ids[line] { return id }
            ids[line] = ids.count
            return ids.count - 1
        }
        let ys = b[prefix..<(b.count - suffix)].map { line -> Int in
            if let id = ids[line] { return id }
            ids[line] = ids.count
            return ids.count - 1
        }
        for edit in myers(xs, ys) {
            switch edit {
            case .keep(let o, let n): edits.append(.keep(old: o + prefix, new: n + prefix))
            case .remove(let o): edits.append(.remove(old: o + prefix))
            case .insert(let n): edits.append(.insert(new: n + prefix))
            }
        }
        for k in 0..<suffix { edits.append(.keep(old: a.count - suffix + k, new: b.count - suffix + k)) }
        return edits
    }

    /// Myers' O((N+M)D) algorithm with its trace kept for the walk back.
    static func myers(_ a: [Int], _ b: [Int]) -> [Edit] {
        let n = a.count, m = b.count
        if n == 0 { return (0..<m).map { .insert(new: $0) } }
        if m == 0 { return (0..<n).map { .remove(old: $0) } }
        let maxD = min(n + m, maximumEditDistance)
        let offset = maxD + 1
        var v = [Int](repeating: 0, count: 2 * maxD + 3)
        var trace: [[Int]] = []
        var found = false
        outer: for d in 0...maxD {
            trace.append(v)
            var k = -d
            while k <= d {
                var x: Int
                if k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) {
                    x = v[offset + k + 1]
                } else {
                    x = v[offset + k - 1] + 1
                }
                var y = x - k
                while x < n, y < m, a[x] == b[y] {
                    x += 1
                    y += 1
                }
                v[offset + k] = x
                if x >= n && y >= m {
                    found = true
                    break outer
                }
                k += 2
            }
        }
        guard found else {
            return (0..<n).map { .remove(old: $0) } + (0..<m).map { .insert(new: $0) }
        }
        // Walk back through the trace.
        var edits: [Edit] = []
        var x = n, y = m
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let v = trace[d]
            let k = x - y
            let previousK: Int
            if k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) {
                previousK = k + 1
            } else {
                previousK = k - 1
            }
            let previousX = d == 0 ? 0 : v[offset + previousK]
            let previousY = previousX - previousK
            while x > previousX && y > previousY {
                x -= 1
                y -= 1
                edits.append(.keep(old: x, new: y))
            }
            if d > 0 {
                if x == previousX { edits.append(.insert(new: y - 1)) } else { edits.append(.remove(old: x - 1)) }
            }
            x = previousX
            y = previousY
        }
        return edits.reversed()
    }

    /// The index ranges of the script that make up each hunk: the changes with up to
    /// `context` kept lines around them, neighbours merged.
    static func hunks(_ edits: [Edit], context: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var index = 0
        while index < edits.count {
            guard edits[index].isChange else {
                index += 1
                continue
            }
            let start = max(0, index - context)
            var end = index
            // Extend while the next change is within 2 * context kept lines.
            var lastChange = index
            var probe = index + 1
            while probe < edits.count {
                if edits[probe].isChange {
                    lastChange = probe
                } else if probe - lastChange > 2 * context {
                    break
                }
                probe += 1
            }
            end = min(edits.count, lastChange + context + 1)
            if let last = ranges.last, last.upperBound >= start {
                ranges[ranges.count - 1] = last.lowerBound..<end
            } else {
                ranges.append(start..<end)
            }
            index = end
        }
        return ranges
    }

    private static func header(_ hunk: Range<Int>, _ edits: [Edit]) -> String {
        var oldStart: Int?, newStart: Int?
        var oldCount = 0, newCount = 0
        var oldBefore = 0, newBefore = 0
        // Lines before the hunk, for the start of an empty side.
        for edit in edits[..<hunk.lowerBound] {
            switch edit {
            case .keep: oldBefore += 1; newBefore += 1
            case .remove: oldBefore += 1
            case .insert: newBefore += 1
            }
        }
        for edit in edits[hunk] {
            switch edit {
            case .keep(let o, let n):
                oldStart = oldStart ?? o; newStart = newStart ?? n
                oldCount += 1; newCount += 1
            case .remove(let o):
                oldStart = oldStart ?? o
                oldCount += 1
            case .insert(let n):
                newStart = newStart ?? n
                newCount += 1
            }
        }
        // diff -u: a side with no lines is shown as starting at the line before it.
        let oldShown = oldCount == 0 ? oldBefore : (oldStart ?? 0) + 1
        let newShown = newCount == 0 ? newBefore : (newStart ?? 0) + 1
        return "@@ -\(range(oldShown, oldCount)) +\(range(newShown, newCount)) @@\n"
    }

    private static func range(_ start: Int, _ count: Int) -> String {
        count == 1 ? "\(start)" : "\(start),\(count)"
    }
}
