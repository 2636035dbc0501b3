/// A line the searcher could not search exactly, kept until it is shown: its message
/// names the line by number, and a part of a split search learns how many lines come
/// before its part only when the parts before it are done.
struct ProblemDraft: Sendable {
    /// Where the line is.
    struct Line: Sendable {
        /// The 1-based line number, when lines are counted.
        var number: Int?
        /// The offset of the line's first byte from the start of the file.
        var offset: Int64
    }

    var code: SearchError.Code
    /// The line, or `nil` for a problem of the whole file.
    var line: Line?
    /// What happened and what to do, after the path and line.
    var detail: String

    init(_ code: SearchError.Code, line: Line?, _ detail: String) {
        self.code = code
        self.line = line
        self.detail = detail
    }

    /// The same problem with its line number moved on by `lines`.
    func movedDown(by lines: Int) -> ProblemDraft {
        var moved = self
        moved.line?.number? += lines
        return moved
    }

    /// The problem as shown: `PATH:LINE: detail`, or `PATH: the line at byte offset N:
    /// detail` when lines are not counted.
    func error(path: [UInt8]) -> SearchError {
        let shown = String(decoding: path, as: UTF8.self)
        let prefix: String
        if let line {
            prefix = line.number.map { "\(shown):\($0)" } ?? "\(shown): the line at byte offset \(line.offset)"
        } else {
            prefix = shown
        }
        return SearchError(code, "\(prefix): \(detail)", path: shown)
    }
}
