internal import RegexBuilder

/// The engine used when libpcre2-8 cannot be loaded: Swift's `Regex`, slower, with known
/// differences.
///
/// ## Known problems
/// - Invalid UTF-8 is replaced by U+FFFD before matching (Swift strings hold only valid
///   UTF-8), so `.` and `\W` match where the bytes were invalid, which PCRE2 never does.
///   Match offsets are mapped back to the original bytes.
/// - Swift's `Regex` has no lookbehind, `\K`, recursion or callouts: such patterns fail
///   to compile, with a message that says the fallback engine is in use. `-w` works
///   without lookbehind (see ``NotAfterWordCharacter``).
/// - Case folding and `\w` follow Swift's Unicode rules, close to PCRE2 with UCP but not
///   identical (Swift folds `k` to the Kelvin sign but not `s` to the long s).
/// - About 1-4 µs per line, against PCRE2-JIT's tens of nanoseconds.
/// - Swift's `Regex` backtracks without a limit: a pattern such as `(a+)+$` on a long run
///   of `a`s takes exponential time here, where PCRE2 gives up and its DFA decides the
///   line (see ``RegexMatcher``).
///
/// ## Threading
/// Immutable; any thread may call ``firstMatch(in:from:)``. The lower bound of a search is
/// passed to ``MinimumPosition`` in a task-local value, which is per thread outside tasks
/// and per task inside them, so concurrent searches do not see each other's bounds.
struct FallbackRegex: @unchecked Sendable {
    // `@unchecked`: `Regex` is not declared Sendable. Its state is the parsed tree
    // (immutable) and the program lowered from it on first use, which the standard library
    // publishes with an atomic compare-and-swap; `init` runs one match on each regex, so
    // the program exists before the value is shared, and matching only reads it. Matching
    // state lives on the stack of the calling thread.

    /// The pattern alone, for searches from the start of the subject.
    private let plain: Regex<AnyRegexOutput>
    /// The pattern behind the zero-width guards, for searches from a later position
    /// (Swift's `Regex` cannot start a search at an index while still seeing the text
    /// before it) and for `-w`.
    private let guarded: Regex<Substring>
    private let checksWordStart: Bool

    /// Compiles `pattern` (Swift `Regex` syntax, which is close to PCRE2's).
    ///
    /// - Parameters:
    ///   - checkWordStart: reject matches preceded by a word character, the `(?<!\w)` half
    ///     of `-w`, which Swift's `Regex` cannot express.
    /// - Throws: Swift's description of why the pattern does not compile.
    init(pattern: String, caseInsensitive: Bool, checkWordStart: Bool) throws(FallbackCompileError) {
        let compiled: Regex<AnyRegexOutput>
        do {
            compiled = try Regex(pattern)
        } catch {
            throw FallbackCompileError(message: "\(error)")
        }
        // PCRE2-like semantics: `.` is one scalar, not one grapheme; `\b` is the simple
        // word/non-word boundary.
        plain = compiled.ignoresCase(caseInsensitive)
            .matchingSemantics(.unicodeScalar)
            .wordBoundaryKind(.simple)
        let base = plain
        if checkWordStart {
            guarded = Regex { MinimumPosition(); NotAfterWordCharacter(); base }
        } else {
            guarded = Regex { MinimumPosition(); base }
        }
        checksWordStart = checkWordStart
        // Lower both programs now, before the regexes can be shared (see above).
        _ = try? plain.firstMatch(in: "")
        _ = try? guarded.firstMatch(in: "")
    }

    /// The leftmost match in `haystack` starting at or after `start` (already a scalar
    /// boundary), as byte offsets.
    func firstMatch(in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Range<Int>? {
        let subject = DecodedSubject(haystack)
        let text = subject.text
        let utf8 = text.utf8
        let startIndex = utf8.index(utf8.startIndex, offsetBy: subject.textOffset(forByteOffset: start))
        let range: Range<String.Index>?
        if start == 0 && !checksWordStart {
            range = (try? plain.firstMatch(in: text))?.range
        } else {
            range = MinimumPosition.$bound.withValue(startIndex) {
                (try? guarded.firstMatch(in: text))?.range
            }
        }
        guard let range else { return nil }
        let lower = utf8.distance(from: utf8.startIndex, to: range.lowerBound)
        let upper = utf8.distance(from: utf8.startIndex, to: range.upperBound)
        return subject.byteOffset(forTextOffset: lower)..<subject.byteOffset(forTextOffset: upper)
    }
}

/// Why the fallback engine rejected a pattern.
struct FallbackCompileError: Error, Sendable {
    var message: String
}

/// A zero-width component that fails before the task-local ``bound``, so that a search
/// over the whole subject (which keeps `^`, `\b` and lookahead context right) only
/// reports matches at or after the position asked for.
struct MinimumPosition: CustomConsumingRegexComponent {
    typealias RegexOutput = Substring

    /// The first index at which a match may start; nil for no bound.
    @TaskLocal static var bound: String.Index?

    func consuming(
        _ input: String, startingAt index: String.Index, in bounds: Range<String.Index>
    ) throws -> (upperBound: String.Index, output: Substring)? {
        if let bound = Self.bound, index < bound { return nil }
        return (index, input[index..<index])
    }
}

/// A zero-width component that fails right after a word character: `(?<!\w)` for `-w`.
///
/// A word character is what PCRE2 with UCP calls one: a letter, a number or `_`.
struct NotAfterWordCharacter: CustomConsumingRegexComponent {
    typealias RegexOutput = Substring

    func consuming(
        _ input: String, startingAt index: String.Index, in bounds: Range<String.Index>
    ) throws -> (upperBound: String.Index, output: Substring)? {
        let scalars = input.unicodeScalars
        if index > scalars.startIndex {
            let previous = scalars[scalars.index(before: index)]
            if previous == "_" { return nil }
            switch previous.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .decimalNumber, .letterNumber, .otherNumber:
                return nil
            default:
                break
            }
        }
        return (index, input[index..<index])
    }
}

/// A haystack as a `String`, with the map between its offsets and the haystack's.
///
/// Valid UTF-8 (the usual case) is copied as is, so offsets are equal and no map is kept.
/// Otherwise each invalid byte becomes U+FFFD (3 bytes) and `byteOffsets[i]` is the
/// haystack offset of the byte that produced text byte `i`.
private struct DecodedSubject {
    let text: String
    private let byteOffsets: [Int]?

    init(_ haystack: UnsafeBufferPointer<UInt8>) {
        if let valid = String(validating: haystack, as: UTF8.self) {
            text = valid
            byteOffsets = nil
            return
        }
        var repaired: [UInt8] = []
        var offsets: [Int] = []
        repaired.reserveCapacity(haystack.count + 16)
        offsets.reserveCapacity(haystack.count + 17)
        var position = 0
        while position < haystack.count {
            let length = UTF8Scalars.validSequenceLength(in: haystack, at: position)
            if length > 0 {
                for index in position..<(position + length) {
                    repaired.append(haystack[index])
                    offsets.append(position)
                }
                position += length
            } else {
                repaired += [0xEF, 0xBF, 0xBD]
                offsets += [position, position, position]
                position += 1
            }
        }
        offsets.append(haystack.count)
        text = String(decoding: repaired, as: UTF8.self)
        byteOffsets = offsets
    }

    /// The text offset of the scalar that starts at `byteOffset` (a scalar boundary).
    func textOffset(forByteOffset byteOffset: Int) -> Int {
        guard let byteOffsets else { return byteOffset }
        // The first text byte produced at or after byteOffset: the map is non-decreasing.
        var low = 0
        var high = byteOffsets.count - 1
        while low < high {
            let middle = (low + high) / 2
            if byteOffsets[middle] < byteOffset { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The haystack offset of text offset `textOffset` (a scalar boundary of the text).
    func byteOffset(forTextOffset textOffset: Int) -> Int {
        guard let byteOffsets else { return textOffset }
        return byteOffsets[textOffset]
    }
}
