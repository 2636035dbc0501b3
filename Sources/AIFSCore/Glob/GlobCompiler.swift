// Translates glob tokens into the regular expression the automaton runs, following the
// regexes globset generates (`(?:/?|.*/)` for a leading `**/`, `/.*` for a trailing
// `/**`, `(?:/|/.*/)` for `/**/`), so the two agree on every corner.

struct GlobCompiler {
    private let options: Glob.Options
    /// Class ranges collected while compiling, as (lower, upper) pairs.
    private var ranges: [UInt32] = []

    init(options: Glob.Options) {
        self.options = options
    }

    /// The expression for `tokens`, and the class ranges its predicates refer to.
    func root(for tokens: [GlobToken]) -> (node: GlobNode, ranges: [UInt32]) {
        var compiler = self
        if tokens == [.recursivePrefix] {
            return (.star(GlobCompiler.anything), [])
        }
        let node = compiler.sequence(tokens)
        return (node, compiler.ranges)
    }

    private static let anything = GlobPredicate(kind: .any, a: 0, b: 0, c: 0, d: 0)
    private static let slash = GlobPredicate.scalar([GlobPredicate.slash])

    private var oneCharacter: GlobPredicate {
        GlobPredicate(kind: options.literalSeparator ? .anyButSlash : .any, a: 0, b: 0, c: 0, d: 0)
    }

    private mutating func sequence(_ tokens: [GlobToken]) -> GlobNode {
        var parts: [GlobNode] = []
        var previous: GlobToken?
        for token in tokens {
            // `**` inside a name parses as two stars; one star means the same and
            // keeps the automaton smaller.
            if token == .zeroOrMore && previous == .zeroOrMore { continue }
            previous = token
            parts.append(node(token))
        }
        return parts.count == 1 ? parts[0] : .sequence(parts)
    }

    private mutating func node(_ token: GlobToken) -> GlobNode {
        switch token {
        case .literal(let c):
            return .atom(.scalar(options.caseInsensitive ? GlobCompiler.caseVariants(of: c) : [c.value]))
        case .any:
            return .atom(oneCharacter)
        case .zeroOrMore:
            return .star(oneCharacter)
        case .recursivePrefix:
            return .optional(.sequence([.star(GlobCompiler.anything), .atom(GlobCompiler.slash)]))
        case .recursiveSuffix:
            return .sequence([.atom(GlobCompiler.slash), .star(GlobCompiler.anything)])
        case .recursiveZeroOrMore:
            return .sequence([
                .atom(GlobCompiler.slash),
                .optional(.sequence([.star(GlobCompiler.anything), .atom(GlobCompiler.slash)])),
            ])
        case .characterClass(let negated, let classRanges):
            let merged = GlobCompiler.merge(
                options.caseInsensitive ? GlobCompiler.foldRanges(classRanges) : classRanges
            )
            let start = UInt32(ranges.count / 2)
            for r in merged {
                ranges.append(r.lowerBound)
                ranges.append(r.upperBound)
            }
            return .atom(
                GlobPredicate(
                    kind: .characterClass,
                    a: start,
                    b: UInt32(merged.count),
                    c: negated ? 1 : 0,
                    d: options.literalSeparator ? 1 : 0
                )
            )
        case .alternates(let branches):
            // globset leaves out alternatives that compile to nothing, so `{,a}` does not
            // match the empty string, while `{}` (nothing left at all) matches it.
            let kept = branches.filter { !GlobCompiler.isEmpty($0) }
            if kept.isEmpty { return .empty }
            return .alternation(kept.map { sequence($0) })
        }
    }

    private static func isEmpty(_ tokens: [GlobToken]) -> Bool {
        tokens.allSatisfy { token in
            if case .alternates(let branches) = token { return branches.allSatisfy(isEmpty) }
            return false
        }
    }

    /// The scalars a case-insensitive match accepts for `c`: its one-scalar lower, upper
    /// and title case forms, and theirs (so 'ς' also accepts 'σ' through 'Σ'), at most
    /// four in all.
    static func caseVariants(of c: Unicode.Scalar) -> [UInt32] {
        if c.isASCII {
            let v = c.value
            if v >= 0x41 && v <= 0x5A { return [v, v | 0x20] }
            if v >= 0x61 && v <= 0x7A { return [v, v & ~0x20] }
            return [v]
        }
        var found: [Unicode.Scalar] = [c]
        var i = 0
        while i < found.count && found.count < 4 {
            let properties = found[i].properties
            i += 1
            for mapping in [properties.lowercaseMapping, properties.uppercaseMapping, properties.titlecaseMapping] {
                let scalars = mapping.unicodeScalars
                if scalars.count == 1, let m = scalars.first, !found.contains(m), found.count < 4 {
                    found.append(m)
                }
            }
        }
        return found.map(\.value)
    }

    /// Adds the case variants of every scalar in the ranges. Huge ranges are left as
    /// they are: they already hold most letters, and expanding them would make compiling
    /// slow.
    private static func foldRanges(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result = ranges
        for r in ranges where r.upperBound - r.lowerBound <= 0x3000 {
            for v in r {
                guard let scalar = Unicode.Scalar(v) else { continue }
                for variant in caseVariants(of: scalar) where variant != v {
                    result.append(variant...variant)
                }
            }
        }
        return result
    }

    private static func merge(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var merged: [ClosedRange<UInt32>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, r.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        return merged
    }
}
