/// Why a pattern did not compile, as PCRE2 reports it.
struct PCRE2CompileError: Error, Sendable {
    /// PCRE2's error code (100 and above for compile errors).
    var code: Int32
    /// The 0-based byte offset in the pattern where PCRE2 noticed the problem.
    var offset: Int
    /// PCRE2's text for `code`, e.g. "missing closing parenthesis".
    var message: String
}

/// How one call to pcre2_match ended.
enum PCRE2MatchOutcome: Equatable, Sendable {
    /// The byte range of the whole match.
    case match(Range<Int>)
    /// No match.
    case noMatch
    /// A resource limit (match, depth or heap limit) or another error, also from the
    /// DFA retry: it is unknown whether there is a match. The code is pcre2_match's.
    case failed(Int32)
}

/// A compiled, and where possible JIT-compiled, PCRE2 pattern: the owner that frees it.
///
/// Matching goes through ``program``, a plain value the matcher copies once, so that the
/// hot path touches no reference count (see ``PCRE2Program``).
///
/// `@unchecked Sendable`: every stored property is a `let`, and the pcre2_code it points
/// to is only read while matching ("a compiled pattern can be shared between threads",
/// pcre2api "Multithreading", which holds for JIT code too). It is freed in `deinit`, when
/// no other reference, and so no matching thread, is left.
final class PCRE2Code: @unchecked Sendable {
    /// What matching needs; valid while `self` is alive.
    let program: PCRE2Program
    private let functions: PCRE2Functions

    /// Compiles `pattern`.
    ///
    /// - Parameters:
    ///   - pattern: the pattern's UTF-8 bytes (it may hold NUL bytes).
    ///   - options: `PCRE2.*` compile options.
    ///   - jit: whether to try the JIT.
    /// - Throws: PCRE2's error code, offset and message.
    ///   - dfa: whether to compile the pattern a second time for the DFA matcher, which
    ///     decides subjects on which pcre2_match gives up.
    init(
        pattern: [UInt8], options: UInt32, jit: Bool, dfa: Bool = false, library: PCRE2Library
    ) throws(PCRE2CompileError) {
        let functions = library.functions
        self.functions = functions
        var errorCode: Int32 = 0
        var errorOffset = 0
        let compiled = pattern.withUnsafeBufferPointer { bytes in
            // An empty array may have no base address; PCRE2 wants a pointer even for 0 bytes.
            withUnsafePointer(to: 0 as UInt8) { empty in
                functions.compile(bytes.baseAddress ?? empty, bytes.count, options, &errorCode, &errorOffset, nil)
            }
        }
        guard let compiled else {
            throw PCRE2CompileError(
                code: errorCode, offset: errorOffset, message: functions.message(forErrorCode: errorCode))
        }
        var usesJIT = false
        if jit, let jitCompile = functions.jitCompile, functions.jitMatch != nil {
            usesJIT = jitCompile(compiled, PCRE2.jitComplete) == 0
        }
        // pcre2_dfa_match refuses PCRE2_MATCH_INVALID_UTF, so the DFA's copy is compiled
        // without it and is used only on valid UTF-8 (PCRE2 checks each subject).
        var dfaCode: OpaquePointer?
        if dfa, functions.dfaMatch != nil {
            dfaCode = pattern.withUnsafeBufferPointer { bytes in
                withUnsafePointer(to: 0 as UInt8) { empty in
                    functions.compile(
                        bytes.baseAddress ?? empty, bytes.count, options & ~PCRE2.matchInvalidUTF, &errorCode,
                        &errorOffset, nil)
                }
            }
        }
        program = PCRE2Program(
            code: compiled, functions: functions, matchData: library.matchData, usesJIT: usesJIT,
            jitMayReadPastInvalidEnd: Self.mentionsWordBoundary(pattern), dfaCode: dfaCode)
    }

    deinit {
        functions.codeFree(program.code)
        if let dfaCode = program.dfaCode { functions.codeFree(dfaCode) }
    }

    /// Whether `pattern` may contain a word boundary: `\b`, `\B`, or the POSIX-style
    /// `[[:<:]]` and `[[:>:]]`, which PCRE2 rewrites into `\b`. A textual test, so `\\b`
    /// (a backslash, then b) also counts; that only costs an unneeded interpreter run.
    private static func mentionsWordBoundary(_ pattern: [UInt8]) -> Bool {
        for index in pattern.indices.dropLast() where pattern[index] == UInt8(ascii: "\\") {
            if pattern[index + 1] | 0x20 == UInt8(ascii: "b") { return true }
        }
        let text = String(decoding: pattern, as: UTF8.self)
        // Look-arounds of ripgrep's word characters stand for `\b` and `-w`: treated alike.
        return text.contains("[[:<:]]") || text.contains("[[:>:]]") || text.contains(UnicodeWordRewriter.word)
    }

    /// Whether the pattern can match an empty string, by PCRE2's own analysis; nil when
    /// this PCRE2 cannot say.
    var canMatchEmpty: Bool? {
        info(PCRE2.infoMatchEmpty).map { $0 != 0 }
    }

    /// A lower bound, in characters, for the length of any match, by PCRE2's own analysis
    /// (0 when it computed none); nil when this PCRE2 cannot say.
    var minimumLength: Int? {
        info(PCRE2.infoMinLength).map(Int.init)
    }

    /// The numbers of the pattern's named groups, by name (from PCRE2's name table).
    var groupNumbers: [String: Int] {
        guard let patternInfo = functions.patternInfo,
              let count = info(PCRE2.infoNameCount), let entrySize = info(PCRE2.infoNameEntrySize), count > 0
        else { return [:] }
        var table: UnsafeRawPointer?
        guard patternInfo(program.code, PCRE2.infoNameTable, &table) == 0, let table else { return [:] }
        var numbers: [String: Int] = [:]
        for index in 0..<Int(count) {
            // Each entry: the group number (2 bytes, most significant first), then the
            // name, NUL-terminated, padded to the entry size.
            let entry = table.advanced(by: index * Int(entrySize)).assumingMemoryBound(to: UInt8.self)
            let number = Int(entry[0]) << 8 | Int(entry[1])
            numbers[String(cString: entry + 2)] = number
        }
        return numbers
    }

    /// The pattern's capturing groups, group 0 (the whole match) not counted.
    var captureCount: Int { info(PCRE2.infoCaptureCount).map(Int.init) ?? 0 }

    private func info(_ what: UInt32) -> UInt32? {
        guard let patternInfo = functions.patternInfo else { return nil }
        var value: UInt32 = 0
        return patternInfo(program.code, what, &value) == 0 ? value : nil
    }
}

/// Everything matching with a compiled pattern needs, as a plain value: pointers and
/// flags, no object references.
///
/// ## Design rationale
/// The matcher is shared by every worker thread, and a reference-counted object read on
/// each call has its count incremented and decremented by each thread, on one cache
/// line: with two threads running a pattern line by line, that alone made the pair slower
/// than one thread. Copying this value costs nothing.
///
/// ## Threading
/// Any thread may call ``match(_:from:)`` at any time, each with its own match data
/// (``PCRE2ThreadMatchData``), while the ``PCRE2Code`` that made it is alive.
///
/// `@unchecked Sendable`: `code` is an `OpaquePointer`, which Swift does not consider
/// Sendable; see ``PCRE2Code`` for why sharing it is safe.
struct PCRE2Program: @unchecked Sendable {
    let code: OpaquePointer
    private let functions: PCRE2Functions
    private let matchData: PCRE2ThreadMatchData
    /// True when the JIT compiled the pattern; false when this build of PCRE2 has no JIT,
    /// the JIT refused the pattern, or it could not get executable memory (SELinux).
    let usesJIT: Bool
    /// The pattern has a word boundary, which PCRE2's JIT (seen with 10.42, the version
    /// on Debian 12) evaluates at the end of a subject that ends in invalid UTF-8 by
    /// reading past the end: a crash when the subject ends where mapped memory does (the
    /// last line of an mmapped file whose size is a multiple of the page size). Such
    /// subjects go to the interpreter, which does not. Fuzz runs of 24,000 patterns found
    /// no other construct that reads past either end.
    private let jitMayReadPastInvalidEnd: Bool
    /// The pattern compiled for pcre2_dfa_match (without PCRE2_MATCH_INVALID_UTF, which
    /// the DFA refuses); nil when this PCRE2 has no DFA matcher or it was not asked for.
    let dfaCode: OpaquePointer?

    init(
        code: OpaquePointer, functions: PCRE2Functions, matchData: PCRE2ThreadMatchData, usesJIT: Bool,
        jitMayReadPastInvalidEnd: Bool, dfaCode: OpaquePointer? = nil
    ) {
        self.code = code
        self.functions = functions
        self.matchData = matchData
        self.usesJIT = usesJIT
        self.jitMayReadPastInvalidEnd = jitMayReadPastInvalidEnd
        self.dfaCode = dfaCode
    }

    /// The DFA's workspace, in ints: it bounds the states the DFA tracks at once, and so
    /// its time per byte. 4,096 decide `(a+)+$` on 100 `a`s in 8 ms and give up at once
    /// on longer runs (PCRE2_ERROR_DFA_WSSIZE), where a larger workspace lets the time
    /// grow with the cube of the length (1.4 s for 400 `a`s with 100,000 ints).
    static let dfaWorkspaceSize = 4096

    /// PCRE2's text for an error code, e.g. "match limit exceeded".
    func message(forErrorCode code: Int32) -> String {
        functions.message(forErrorCode: code)
    }

    /// Whether matching `subject` must avoid the JIT: see ``jitMayReadPastInvalidEnd``.
    @inline(__always)
    func jitMayReadPastEnd(of subject: UnsafeBufferPointer<UInt8>) -> Bool {
        jitMayReadPastInvalidEnd && UTF8Scalars.endsInInvalidSequence(subject)
    }

    /// The groups of the leftmost match in `subject` from `start`: element 0 is the whole
    /// match, then each group, nil where it did not take part. Nil when there is no match
    /// (or the engine gave up). Allocates its own match data: for printing replacements,
    /// not for the search.
    func captures(_ subject: UnsafeBufferPointer<UInt8>, from start: Int, groupCount: Int) -> [Range<Int>?]? {
        guard let block = functions.matchDataCreate(UInt32(groupCount + 1), nil) else { return nil }
        defer { functions.matchDataFree(block) }
        return withUnsafePointer(to: 0 as UInt8) { empty -> [Range<Int>?]? in
            let base = subject.baseAddress ?? empty
            let result = functions.match(code, base, subject.count, start, PCRE2.noJIT, block, nil)
            guard result > 0, let ovector = functions.ovectorPointer(block) else { return nil }
            var groups: [Range<Int>?] = []
            for group in 0...groupCount {
                let lower = ovector[2 * group], upper = ovector[2 * group + 1]
                // PCRE2_UNSET (all bits set) marks a group that did not take part.
                guard group < Int(result), lower != -1, lower <= subject.count, upper <= subject.count else {
                    groups.append(nil)
                    continue
                }
                groups.append(min(lower, upper)..<max(lower, upper))
            }
            return groups
        }
    }

    /// Runs the pattern on `subject` from `start`.
    ///
    /// `subject[..<start]` is context: lookbehind, `\b` and `\G` see it. A JIT match that
    /// runs out of JIT stack is retried with the interpreter, whose frames live on the heap
    /// (limited by PCRE2's heap limit, 20 MB by default). A match that hits a limit (the
    /// match limit of 10 million backtracks, the depth or heap limit) is retried with
    /// pcre2_dfa_match when ``dfaCode`` is set; `.failed` only when that fails too (a
    /// backreference, which the DFA does not support, invalid UTF-8, or its workspace
    /// was too small).
    ///
    /// - Precondition: `0 <= start <= subject.count`.
    @inline(__always)
    func match(_ subject: UnsafeBufferPointer<UInt8>, from start: Int) -> PCRE2MatchOutcome {
        withUnsafePointer(to: 0 as UInt8) { empty in
            let base = subject.baseAddress ?? empty
            return matchData.with { block -> PCRE2MatchOutcome in
                guard let block else { return .failed(-48) }  // PCRE2_ERROR_NOMEMORY
                var result: Int32
                if usesJIT, let jitMatch = functions.jitMatch, !jitMayReadPastEnd(of: subject) {
                    result = jitMatch(code, base, subject.count, start, 0, block, nil)
                    if result == PCRE2.errorJITStackLimit {
                        result = functions.match(code, base, subject.count, start, PCRE2.noJIT, block, nil)
                    }
                } else {
                    result = functions.match(code, base, subject.count, start, PCRE2.noJIT, block, nil)
                }
                if result < 0 && result != PCRE2.errorNoMatch {
                    // A resource limit: backtracking gave up (`(a+)+$` on a run of `a`s).
                    // The DFA does not backtrack and decides most such subjects; it
                    // finds the longest match at the same (leftmost) start.
                    guard let dfaCode, let dfaMatch = functions.dfaMatch else { return .failed(result) }
                    let dfaResult = withUnsafeTemporaryAllocation(of: Int32.self, capacity: Self.dfaWorkspaceSize) {
                        workspace in
                        dfaMatch(dfaCode, base, subject.count, start, 0, block, nil, workspace.baseAddress, workspace.count)
                    }
                    if dfaResult == PCRE2.errorNoMatch { return .noMatch }
                    guard dfaResult >= 0 else { return .failed(result) }
                    result = dfaResult
                }
                // 0 means "matched, but the ovector is too small for the groups": the
                // whole match, which is all we read, is still there.
                guard result >= 0 else { return .noMatch }
                guard let ovector = functions.ovectorPointer(block) else { return .failed(-44) }
                // \K can report a start after the end; clamp so the range is well formed.
                let lower = min(ovector[0], subject.count)
                let upper = min(max(ovector[1], lower), subject.count)
                return .match(lower..<upper)
            }
        }
    }
}
