
// PCRE2 is loaded with dlopen instead of being linked, so building aifs needs no PCRE2
// headers and no -dev package, and a machine without libpcre2-8 still runs aifs: the
// matcher falls back to Swift's Regex (see FallbackRegex). The function types below are
// transcribed from pcre2.h for the 8-bit library, whose symbols carry the `_8` suffix the
// header's macros add. PCRE2_SIZE is size_t (`Int` here); pcre2_code, pcre2_match_data
// and the contexts are opaque. The loader itself is Internals/DynamicLibrary.swift.

/// The constants from pcre2.h that aifs uses, checked against `src/pcre2.h.generic` of
/// PCRE2 10.36+ (the values are part of PCRE2's stable ABI).
enum PCRE2 {
    // Options for pcre2_compile.
    static let caseless: UInt32 = 0x0000_0008
    static let dotAll: UInt32 = 0x0000_0020
    static let multiline: UInt32 = 0x0000_0400
    static let ucp: UInt32 = 0x0002_0000
    static let utf: UInt32 = 0x0008_0000
    static let matchInvalidUTF: UInt32 = 0x0400_0000

    // Options for pcre2_jit_compile.
    static let jitComplete: UInt32 = 0x0000_0001

    // Options for pcre2_match.
    static let noJIT: UInt32 = 0x0000_2000

    // Results of pcre2_match.
    static let errorNoMatch: Int32 = -1
    static let errorJITStackLimit: Int32 = -46

    // Requests for pcre2_pattern_info; both answer a uint32_t.
    static let infoCaptureCount: UInt32 = 4
    static let infoMatchEmpty: UInt32 = 13
    static let infoMinLength: UInt32 = 16
    static let infoNameCount: UInt32 = 17
    static let infoNameEntrySize: UInt32 = 18
    // Answers a pointer to the table.
    static let infoNameTable: UInt32 = 19
}

/// `pcre2_code *pcre2_compile(PCRE2_SPTR, PCRE2_SIZE, uint32_t, int *, PCRE2_SIZE *, pcre2_compile_context *)`
typealias PCRE2CompileFunction = @convention(c) (
    UnsafePointer<UInt8>?, Int, UInt32, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int>?, OpaquePointer?
) -> OpaquePointer?
/// `int pcre2_jit_compile(pcre2_code *, uint32_t)`
typealias PCRE2JITCompileFunction = @convention(c) (OpaquePointer?, UInt32) -> Int32
/// `void pcre2_code_free(pcre2_code *)`
typealias PCRE2CodeFreeFunction = @convention(c) (OpaquePointer?) -> Void
/// `pcre2_match_data *pcre2_match_data_create(uint32_t, pcre2_general_context *)`
typealias PCRE2MatchDataCreateFunction = @convention(c) (UInt32, OpaquePointer?) -> OpaquePointer?
/// `void pcre2_match_data_free(pcre2_match_data *)`
typealias PCRE2MatchDataFreeFunction = @convention(c) (OpaquePointer?) -> Void
/// `int pcre2_match(const pcre2_code *, PCRE2_SPTR, PCRE2_SIZE length, PCRE2_SIZE start, uint32_t, pcre2_match_data *, pcre2_match_context *)`,
/// and `pcre2_jit_match` with the same signature.
typealias PCRE2MatchFunction = @convention(c) (
    OpaquePointer?, UnsafePointer<UInt8>?, Int, Int, UInt32, OpaquePointer?, OpaquePointer?
) -> Int32
/// `int pcre2_dfa_match(const pcre2_code *, PCRE2_SPTR, PCRE2_SIZE length, PCRE2_SIZE start, uint32_t, pcre2_match_data *, pcre2_match_context *, int *workspace, PCRE2_SIZE wscount)`
typealias PCRE2DFAMatchFunction = @convention(c) (
    OpaquePointer?, UnsafePointer<UInt8>?, Int, Int, UInt32, OpaquePointer?, OpaquePointer?,
    UnsafeMutablePointer<Int32>?, Int
) -> Int32
/// `PCRE2_SIZE *pcre2_get_ovector_pointer(pcre2_match_data *)`
typealias PCRE2OvectorPointerFunction = @convention(c) (OpaquePointer?) -> UnsafeMutablePointer<Int>?
/// `int pcre2_get_error_message(int, PCRE2_UCHAR *, PCRE2_SIZE)`
typealias PCRE2ErrorMessageFunction = @convention(c) (Int32, UnsafeMutablePointer<UInt8>?, Int) -> Int32
/// `int pcre2_pattern_info(const pcre2_code *, uint32_t, void *)`
typealias PCRE2PatternInfoFunction = @convention(c) (OpaquePointer?, UInt32, UnsafeMutableRawPointer?) -> Int32

/// The PCRE2 entry points, looked up in a loaded libpcre2-8.
///
/// `@unchecked Sendable`: every field is a C function pointer into a library that is never
/// unloaded, so the table is immutable and valid for the life of the process.
struct PCRE2Functions: @unchecked Sendable {
    let compile: PCRE2CompileFunction
    let codeFree: PCRE2CodeFreeFunction
    let matchDataCreate: PCRE2MatchDataCreateFunction
    let matchDataFree: PCRE2MatchDataFreeFunction
    let match: PCRE2MatchFunction
    let ovectorPointer: PCRE2OvectorPointerFunction
    let errorMessage: PCRE2ErrorMessageFunction
    /// Absent only from very old builds; a build without JIT support still exports it and
    /// makes it fail, which is handled the same way.
    let jitCompile: PCRE2JITCompileFunction?
    /// The JIT fast path, which skips pcre2_match's argument checks.
    let jitMatch: PCRE2MatchFunction?
    let patternInfo: PCRE2PatternInfoFunction?
    /// The DFA matcher, which does not backtrack: it decides lines on which
    /// pcre2_match gives up (see ``PCRE2Program/match(_:from:)``).
    let dfaMatch: PCRE2DFAMatchFunction?

    /// The text PCRE2 gives for an error code.
    func message(forErrorCode code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = buffer.withUnsafeMutableBufferPointer { errorMessage(code, $0.baseAddress, $0.count) }
        guard length > 0 else { return "PCRE2 error \(code)" }
        return String(decoding: buffer.prefix(Int(length)), as: UTF8.self)
    }
}

/// The library file names tried, in order.
private let libraryNames: [String] = {
    #if canImport(Darwin)
    // Untested: Homebrew's and MacPorts' locations, as macOS ships no libpcre2-8.
    return ["libpcre2-8.0.dylib", "/opt/homebrew/lib/libpcre2-8.0.dylib", "/usr/local/lib/libpcre2-8.0.dylib",
            "/opt/local/lib/libpcre2-8.0.dylib"]
    #else
    return ["libpcre2-8.so.0"]
    #endif
}()

/// Loads libpcre2-8 and looks up its functions.
///
/// - Parameter names: the file names to try with `dlopen`, in order.
/// - Returns: the functions, or a sentence saying why they are unavailable.
func loadPCRE2Functions(names: [String]) -> Result<PCRE2Functions, PCRE2LoadFailure> {
    var problems: [String] = []
    for name in names {
        let library: DynamicLibrary
        switch DynamicLibrary.open(name) {
        case .success(let loaded): library = loaded
        case .failure(let error):
            problems.append(error.message)
            continue
        }
        func symbol<T>(_ symbolName: String, as type: T.Type) -> T? { library.function(symbolName, as: type) }
        guard let compile = symbol("pcre2_compile_8", as: PCRE2CompileFunction.self),
              let codeFree = symbol("pcre2_code_free_8", as: PCRE2CodeFreeFunction.self),
              let matchDataCreate = symbol("pcre2_match_data_create_8", as: PCRE2MatchDataCreateFunction.self),
              let matchDataFree = symbol("pcre2_match_data_free_8", as: PCRE2MatchDataFreeFunction.self),
              let match = symbol("pcre2_match_8", as: PCRE2MatchFunction.self),
              let ovectorPointer = symbol("pcre2_get_ovector_pointer_8", as: PCRE2OvectorPointerFunction.self),
              let errorMessage = symbol("pcre2_get_error_message_8", as: PCRE2ErrorMessageFunction.self)
        else {
            problems.append("\(name) lacks the functions of the 8-bit PCRE2 API")
            continue
        }
        return .success(PCRE2Functions(
            compile: compile, codeFree: codeFree, matchDataCreate: matchDataCreate,
            matchDataFree: matchDataFree, match: match, ovectorPointer: ovectorPointer,
            errorMessage: errorMessage,
            jitCompile: symbol("pcre2_jit_compile_8", as: PCRE2JITCompileFunction.self),
            jitMatch: symbol("pcre2_jit_match_8", as: PCRE2MatchFunction.self),
            patternInfo: symbol("pcre2_pattern_info_8", as: PCRE2PatternInfoFunction.self),
            dfaMatch: symbol("pcre2_dfa_match_8", as: PCRE2DFAMatchFunction.self)))
    }
    return .failure(PCRE2LoadFailure(message: problems.joined(separator: "; ")))
}

/// Why libpcre2-8 could not be used.
struct PCRE2LoadFailure: Error, Sendable {
    var message: String
}

/// The process-wide PCRE2: its functions plus one match-data block per thread.
///
/// ## Threading
/// Any thread may call anything. The library is loaded once, on first use (Swift runs the
/// initializer of a `static let` exactly once, under a lock).
final class PCRE2Library: Sendable {
    /// The library, or why it could not be loaded.
    static let shared: Result<PCRE2Library, PCRE2LoadFailure> =
        loadPCRE2Functions(names: libraryNames).map(PCRE2Library.init(functions:))

    let functions: PCRE2Functions
    let matchData: PCRE2ThreadMatchData

    private init(functions: PCRE2Functions) {
        self.functions = functions
        // The destructor runs when a thread that used a matcher exits. It cannot capture,
        // so it reaches the free function through `shared`, which is loaded by then: a
        // thread only stores a block after `shared` returned this instance.
        let key = ThreadLocalKey { block in
            guard let block, case .success(let library) = PCRE2Library.shared else { return }
            library.functions.matchDataFree(OpaquePointer(block))
        }
        matchData = PCRE2ThreadMatchData(functions: functions, key: key)
    }
}

/// Hands each thread its own pcre2_match_data, which every match writes and which so
/// cannot be shared, while the compiled code can (pcre2api, "Multithreading").
///
/// A plain value (function pointers and a key), so that copying it into each matcher's
/// hot path costs no reference counting: shared reference counts are cache lines that
/// every thread would write on every match.
struct PCRE2ThreadMatchData: Sendable {
    private let functions: PCRE2Functions
    /// Holds each thread's block; nil when no key was left (then each match makes and
    /// frees its own block, which is slower but correct).
    private let key: ThreadLocalKey?

    init(functions: PCRE2Functions, key: ThreadLocalKey?) {
        self.functions = functions
        self.key = key
    }

    /// Calls `body` with this thread's match data, or with nil if none can be allocated.
    ///
    /// The block has room for one pair of offsets: the whole match is all aifs reads, and
    /// PCRE2 tracks groups (for backreferences) in its own frames, not in the ovector. In
    /// the steady state this allocates nothing; PCRE2 also keeps its backtracking frames
    /// in the block between matches.
    @inline(__always)
    func with<R>(_ body: (OpaquePointer?) -> R) -> R {
        guard let key else {
            let block = functions.matchDataCreate(1, nil)
            defer { functions.matchDataFree(block) }
            return body(block)
        }
        if let existing = key.value() {
            return body(OpaquePointer(existing))
        }
        let block = functions.matchDataCreate(1, nil)
        if let block, !key.set(UnsafeRawPointer(block)) {
            defer { functions.matchDataFree(block) }
            return body(block)
        }
        return body(block)
    }
}
