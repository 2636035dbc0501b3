#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#else
#error("Unsupported Platform")
#endif
import CAIFSShims
import SystemPackage

extension Syscall {
    /// The size of a memory page in bytes.
    ///
    /// The corresponding C function is `sysconf(_SC_PAGESIZE)`.
    static func pageSize() -> Int {
        max(1, sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The machine's physical memory in bytes, or `nil` when the system does not say.
    ///
    /// The corresponding C function is `sysconf(_SC_PHYS_PAGES)`.
    static func physicalMemory() -> Int? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        guard pages > 0 else { return nil }
        return pages.multipliedReportingOverflow(by: pageSize()).overflow ? Int.max : pages * pageSize()
    }

    /// Returns the allocator's free memory at the top of the heaps to the system.
    ///
    /// - Returns: Whether any memory was released.
    ///
    /// The corresponding C function is `malloc_trim`.
    static func trimAllocator() -> Bool {
        caifs_malloc_trim(0) == 1
    }

    /// Limits the allocator: at most `arenas` heaps, and blocks of `mmapThreshold`
    /// bytes or more mapped on their own.
    ///
    /// - Returns: Whether both were set (`false` where the C library is not glibc).
    ///
    /// The corresponding C function is `mallopt` (`M_ARENA_MAX`, `M_MMAP_THRESHOLD`).
    static func limitAllocator(arenas: Int, mmapThreshold: Int) -> Bool {
        caifs_malloc_limit(CInt(clamping: arenas), CInt(clamping: mmapThreshold)) == 1
    }

    /// The wall-clock time in nanoseconds since the epoch, from the clock the kernel
    /// stamps file times with.
    ///
    /// The corresponding C function is `clock_gettime(CLOCK_REALTIME)`.
    static func realtimeNanoseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    /// Reads a whole small file by path (a `/proc` or `/sys` file).
    static func readSmallFile(atPath path: String, limit: Int) throws(Errno) -> [UInt8] {
        try path.withCPath { (cPath) throws(Errno) in
            try readSmallFile(directory: currentDirectoryDescriptor, cPath: cPath, limit: limit)
        }
    }
}
