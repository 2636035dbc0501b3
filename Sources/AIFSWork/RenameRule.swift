/// A regular expression and a replacement that rewrite a file name, as `rename`'s
/// `s/PATTERN/REPLACEMENT/` does for the first match.
///
/// In the replacement, `$1`…`$9` (or `${12}`) insert a numbered capture group,
/// `${name}` a named one, `$0` the whole match, and `$$` a dollar sign.
///
/// ```swift
/// let rule = try RenameRule(pattern: #"^(.*)\.jpeg$"#, replacement: "$1.jpg")
/// rule.rename("photo.jpeg")   // "photo.jpg"
/// ```
public struct RenameRule: Sendable {
    /// The pattern, as given.
    public let pattern: String
    /// The replacement, as given.
    public let replacement: String
    nonisolated(unsafe) private let regex: Regex<AnyRegexOutput>
    // nonisolated(unsafe): Regex is an immutable value; matching does not mutate it.

    /// Compiles the rule.
    ///
    /// - Throws: ``WorkError`` with `.invalidArgument` for a pattern that does not
    ///   compile or a replacement with a malformed `${…}`.
    public init(pattern: String, replacement: String) throws(WorkError) {
        do {
            regex = try Regex(pattern)
        } catch {
            throw WorkError(.invalidArgument, "invalid rename pattern '\(pattern)': \(error); fix the regular expression")
        }
        self.pattern = pattern
        self.replacement = replacement
        _ = try Self.parse(replacement)
    }

    /// The new name for `name`, or `nil` when the pattern does not match.
    ///
    /// - Throws: ``WorkError`` when the replacement names a group the pattern does not
    ///   have, or the result is not a valid file name.
    public func rename(_ name: String) throws(WorkError) -> String? {
        guard let match = name.firstMatch(of: regex) else { return nil }
        var inserted = ""
        for piece in try Self.parse(replacement) {
            switch piece {
            case .literal(let text): inserted += text
            case .group(let number):
                guard number < match.output.count else {
                    throw WorkError(.invalidArgument, "the replacement '\(replacement)' uses group $\(number), but '\(pattern)' has \(match.output.count - 1) group(s)")
                }
                inserted += match.output[number].substring.map(String.init) ?? ""
            case .named(let group):
                guard let element = match.output[group] else {
                    throw WorkError(.invalidArgument, "the replacement '\(replacement)' uses the group '\(group)', which '\(pattern)' does not define")
                }
                inserted += element.substring.map(String.init) ?? ""
            }
        }
        let result = String(name[..<match.range.lowerBound]) + inserted + String(name[match.range.upperBound...])
        guard !result.isEmpty, result != ".", result != "..", !result.contains("/"), !result.utf8.contains(0) else {
            throw WorkError(.invalidArgument, "renaming '\(name)' with '\(pattern)' → '\(replacement)' gives '\(result)', which is not a valid file name")
        }
        return result
    }

    enum Piece: Equatable {
        case literal(String)
        case group(Int)
        case named(String)
    }

    static func parse(_ replacement: String) throws(WorkError) -> [Piece] {
        var pieces: [Piece] = []
        var literal = ""
        var characters = Array(replacement)[...]
        while let character = characters.popFirst() {
            guard character == "$", let next = characters.first else {
                literal.append(character)
                continue
            }
            if next == "$" {
                characters.removeFirst()
                literal.append("$")
            } else if let digit = next.wholeNumberValue, next.isASCII {
                characters.removeFirst()
                if !literal.isEmpty { pieces.append(.literal(literal)); literal = "" }
                pieces.append(.group(digit))
            } else if next == "{" {
                characters.removeFirst()
                guard let close = characters.firstIndex(of: "}") else {
                    throw WorkError(.invalidArgument, "invalid replacement '\(replacement)': a '${' has no closing '}'")
                }
                let name = String(characters[..<close])
                characters = characters[characters.index(after: close)...]
                guard !name.isEmpty else { throw WorkError(.invalidArgument, "invalid replacement '\(replacement)': '${}' names no group") }
                if !literal.isEmpty { pieces.append(.literal(literal)); literal = "" }
                pieces.append(Int(name).map(Piece.group) ?? .named(name))
            } else {
                literal.append(character)
            }
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        return pieces
    }
}
