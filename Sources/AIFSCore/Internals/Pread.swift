#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#else
#error("Unsupported Platform")
#endif
import SystemPackage

@inline(__always)
internal func system_pread(_ fd: CInt, _ buffer: UnsafeMutableRawPointer?, _ count: Int, _ offset: Int64) -> Int {
    pread(fd, buffer, count, off_t(offset))
}

extension Syscall {
    /// Reads into `buffer` from `offset` without moving the file position, retrying
    /// `EINTR` when `retryOnInterrupt` is true.
    ///
    /// The corresponding C function is `pread`.
    static func read(
        fd: CInt, into buffer: UnsafeMutableRawBufferPointer, atOffset offset: Int64,
        retryOnInterrupt: Bool = true
    ) throws(Errno) -> Int {
        try valueOrErrno(retryOnInterrupt: retryOnInterrupt) {
            system_pread(fd, buffer.baseAddress, buffer.count, offset)
        }.get()
    }
}
