import SystemPackage

/// The memory a process may use, and where that figure came from.
public struct MemoryLimit: Sendable, Hashable, CustomStringConvertible {
    /// Where a limit was read.
    public enum Source: String, Sendable, Hashable {
        /// cgroup v2 `memory.max` of the process's cgroup or an ancestor.
        case cgroupV2 = "cgroup v2 memory.max"
        /// cgroup v1 `memory.limit_in_bytes` of the process's memory cgroup.
        case cgroupV1 = "cgroup v1 memory.limit_in_bytes"
        /// No cgroup limit: the machine's physical memory.
        case machine = "physical memory"
    }

    /// The limit in bytes.
    public var bytes: Int
    /// Where it was read.
    public var source: Source

    /// Creates a limit.
    public init(bytes: Int, source: Source) {
        self.bytes = bytes
        self.source = source
    }

    public var description: String { "\(bytes) bytes (\(source.rawValue))" }
}

/// Readings of this process's memory: resident size, the limit it runs under, and a way
/// to hand free heap memory back to the system.
public enum SystemMemory {
    /// The process's resident memory in bytes, from `/proc/self/statm`.
    ///
    /// - Throws: ``CoreError`` when `/proc` cannot be read (not Linux, or not mounted).
    public static func residentBytes() throws(CoreError) -> Int {
        let path = "/proc/self/statm"
        let bytes: [UInt8]
        do {
            bytes = try Syscall.readSmallFile(atPath: path, limit: 4096)
        } catch {
            throw CoreError(errno: error, operation: "read the process's memory figures from", path: path)
        }
        // "size resident shared text lib data dt", in pages.
        let fields = bytes.split(separator: UInt8(ascii: " "))
        guard fields.count >= 2, let pages = Int(decimal: fields[1]) else {
            throw CoreError(.io, "cannot read '\(path)': its second field is not a page count", path: path)
        }
        return pages * Syscall.pageSize()
    }

    /// The memory this process may use: the tightest cgroup limit (v2 or v1) over it,
    /// or the machine's physical memory when there is none (or it is larger).
    public static func limit() -> MemoryLimit {
        let machine = Syscall.physicalMemory() ?? Int.max
        var best = MemoryLimit(bytes: machine, source: .machine)
        for candidate in [cgroupV2Limit(), cgroupV1Limit()] {
            if let candidate, candidate.bytes < best.bytes { best = candidate }
        }
        return best
    }

    /// Hands the allocator's free memory back to the system.
    ///
    /// - Returns: Whether any memory was released.
    ///
    /// The corresponding C function is `malloc_trim`.
    @discardableResult
    public static func releaseFreeMemory() -> Bool {
        Syscall.trimAllocator()
    }

    /// Makes the allocator hold less memory it no longer uses, for a long-running
    /// process whose threads come and go (the MCP server): at most `arenas` heaps, and
    /// blocks of `mmapThreshold` bytes or more (a searcher's buffer) mapped on their own
    /// and handed back when freed. Call it once, before other threads start.
    ///
    /// glibc's defaults suit short programs: a heap per thread up to 8 per processor,
    /// and a mapping threshold that rises to the size of the largest block freed, after
    /// which such blocks come from the heaps and stay there. Under bursts of concurrent
    /// calls the MCP server held 250-300 MiB with the defaults, about 105 MiB with these
    /// settings (design note 0004).
    ///
    /// - Parameters:
    ///   - arenas: The most heaps (glibc's `M_ARENA_MAX`); more threads share them.
    ///   - mmapThreshold: The size in bytes from which blocks are mapped on their own
    ///     (`M_MMAP_THRESHOLD`; setting it stops glibc from raising it).
    /// - Returns: Whether both were set (`false` where the C library is not glibc).
    ///
    /// The corresponding C function is `mallopt`.
    @discardableResult
    public static func limitAllocator(arenas: Int, mmapThreshold: Int = 128 * 1024) -> Bool {
        Syscall.limitAllocator(arenas: arenas, mmapThreshold: mmapThreshold)
    }

    /// The lines of `/proc/self/cgroup`: "hierarchy-ID:controllers:path".
    private static func cgroupLines() -> [(controllers: Substring, path: Substring)] {
        guard let bytes = try? Syscall.readSmallFile(atPath: "/proc/self/cgroup", limit: 64 * 1024) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { return nil }
            return (parts[1], parts[2])
        }
    }

    /// The smallest `memory.max` from the process's v2 cgroup up to the hierarchy's root.
    private static func cgroupV2Limit() -> MemoryLimit? {
        guard let line = cgroupLines().first(where: { $0.controllers.isEmpty }) else { return nil }
        var smallest: Int?
        var path = String(line.path)
        while true {
            let directory = path == "/" ? "/sys/fs/cgroup" : "/sys/fs/cgroup" + path
            if let value = readLimit(directory + "/memory.max") {
                smallest = min(smallest ?? value, value)
            }
            guard path != "/", let slash = path.lastIndex(of: "/") else { break }
            path = slash == path.startIndex ? "/" : String(path[..<slash])
        }
        return smallest.map { MemoryLimit(bytes: $0, source: .cgroupV2) }
    }

    /// `memory.limit_in_bytes` of the process's v1 memory cgroup, or of the hierarchy's
    /// root as mounted in this namespace.
    private static func cgroupV1Limit() -> MemoryLimit? {
        guard let line = cgroupLines().first(where: { $0.controllers.split(separator: ",").contains("memory") })
        else { return nil }
        let base = "/sys/fs/cgroup/memory"
        let own = line.path == "/" ? base : base + line.path
        guard let value = readLimit(own + "/memory.limit_in_bytes") ?? readLimit(base + "/memory.limit_in_bytes")
        else { return nil }
        return MemoryLimit(bytes: value, source: .cgroupV1)
    }

    /// A limit file's value in bytes; `nil` for "max", v1's "no limit" (close to
    /// `Int64.max`, rounded to a page), a missing file or garbage.
    private static func readLimit(_ path: String) -> Int? {
        guard let bytes = try? Syscall.readSmallFile(atPath: path, limit: 256) else { return nil }
        let text = bytes.split(separator: UInt8(ascii: "\n")).first ?? []
        guard let value = Int(decimal: text), value < Int.max / 2 else { return nil }
        return value
    }
}

extension Int {
    /// Parses unsigned decimal digits, refusing anything else or an overflow.
    init?(decimal digits: some Collection<UInt8>) {
        guard !digits.isEmpty else { return nil }
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        self = value
    }
}
