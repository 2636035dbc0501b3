/// ripgrep's `-r/--replace`: each match in a printed line replaced by a template in which
/// `$1` or `${1}` is a group, `$name` or `${name}` a named group, and `$$` a `$`.
///
/// As ripgrep (`grep_matcher::interpolate`): an unbraced reference takes the longest run
/// of ASCII letters, digits and `_` (`$1a` is the group named `1a`); a reference to a
/// group that does not exist, or did not take part, is empty; a `$` that starts no
/// reference stays a `$`.
public struct Replacement: Sendable, Hashable {
    /// The template, as bytes.
    public let template: [UInt8]

    /// Creates a replacement from its template.
    public init(_ template: [UInt8]) {
        self.template = template
    }

    private enum Reference {
        case number(Int)
        case name(String)
    }

    /// `line` (without its terminator) with every match in `matches` replaced: a preview
    /// of `-r`, for callers that have a line and its submatches.
    public func replacing(in line: [UInt8], matches: [Range<Int>], matcher: any Matcher) -> [UInt8] {
        line.withUnsafeBufferPointer { apply(to: $0, matches: matches, matcher: matcher).bytes }
    }

    /// `line` with every range of `matches` replaced; also the ranges of the replacements
    /// in the result (what ripgrep colours).
    func apply(
        to line: UnsafeBufferPointer<UInt8>, matches: [Range<Int>], matcher: any Matcher, crlf: Bool = false
    ) -> (bytes: [UInt8], ranges: [Range<Int>]) {
        var output: [UInt8] = []
        var ranges: [Range<Int>] = []
        var written = 0
        let content = LineMatches.withoutTerminator(line, crlf: crlf)
        for range in matches where range.lowerBound >= written {
            output += line[written..<range.lowerBound]
            let start = output.count
            output += expansion(in: content, at: range, matcher: matcher)
            ranges.append(start..<output.count)
            written = range.upperBound
        }
        output += line[written...]
        return (output, ranges)
    }

    /// The template for the match at `range` of `line`.
    func expansion(in line: UnsafeBufferPointer<UInt8>, at range: Range<Int>, matcher: any Matcher) -> [UInt8] {
        guard template.contains(UInt8(ascii: "$")) else { return template }
        let regex = matcher as? RegexMatcher
        var groups: [Range<Int>?] = [range]
        if let regex, let found = regex.captures(in: line, from: range.lowerBound), found.first == range {
            groups = found
        }
        var output: [UInt8] = []
        var index = 0
        while index < template.count {
            let byte = template[index]
            guard byte == UInt8(ascii: "$") else {
                output.append(byte)
                index += 1
                continue
            }
            if index + 1 < template.count && template[index + 1] == UInt8(ascii: "$") {
                output.append(byte)
                index += 2
                continue
            }
            guard let (reference, end) = Self.reference(in: template, at: index) else {
                output.append(byte)
                index += 1
                continue
            }
            index = end
            let number: Int?
            switch reference {
            case .number(let value): number = value
            case .name(let name): number = regex?.groupNumber(named: name)
            }
            if let number, number < groups.count, let group = groups[number] {
                output += line[group]
            }
        }
        return output
    }

    /// The reference starting with the `$` at `start`, and where it ends.
    private static func reference(in template: [UInt8], at start: Int) -> (Reference, Int)? {
        var index = start + 1
        guard index < template.count else { return nil }
        let braced = template[index] == UInt8(ascii: "{")
        if braced { index += 1 }
        let nameStart = index
        while index < template.count, isNameByte(template[index]) { index += 1 }
        guard index > nameStart else { return nil }
        let name = String(decoding: template[nameStart..<index], as: UTF8.self)
        if braced {
            guard index < template.count, template[index] == UInt8(ascii: "}") else { return nil }
            index += 1
        }
        if let number = UInt32(name) { return (.number(Int(number)), index) }
        return (.name(name), index)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || byte == UInt8(ascii: "_")
    }
}
