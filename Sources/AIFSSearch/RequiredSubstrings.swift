/// What an index of file contents may use of a matcher: byte strings of which every
/// match contains at least one.
///
/// A file that holds none of them cannot match, so an index may skip it; a file that
/// holds one must still be searched. ASCII letters come lowercased, because an index
/// folds them (one index serves every case mode; the search confirms the case).
package enum RequiredSubstrings {
    /// The alternatives for `matcher`, or nil when nothing is known (every file is a
    /// candidate): a pattern without a required literal, or a matcher this analysis
    /// does not know.
    package static func alternatives(of matcher: any Matcher) -> [[UInt8]]? {
        let members: [[UInt8]]
        if let literal = matcher as? LiteralMatcher {
            members = [literal.needle]
        } else if let regex = matcher as? RegexMatcher, let set = regex.analysis.requiredLiterals {
            members = set.members.map(\.bytes)
        } else {
            return nil
        }
        guard !members.isEmpty, !members.contains(where: \.isEmpty) else { return nil }
        return members.map { $0.map(foldedASCII) }
    }

    /// `byte` with an ASCII uppercase letter lowercased.
    @inline(__always)
    package static func foldedASCII(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }
}
