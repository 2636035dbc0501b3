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
public import SystemPackage

// The three layers of every system call, after swift-system:
//   system_xxx           the raw C call, nothing else;
//   valueOrErrno(...)     turns -1 + errno into a typed Errno, retrying EINTR;
//   a typed method        what the rest of AIFSCore calls (`throws(Errno)`).
// Only files under Internals/ import the C library.

/// Runs `body` until it does not fail with `EINTR` (when `retryOnInterrupt` is true),
/// and turns a `-1` result into the `errno` it set.
///
/// SPI (`@_spi(Syscalls) import AIFSCore`) so the other modules' syscall layers
/// (AIFSWatch's inotify and poll calls) share this one rather than a copy; tests
/// exercise the retry logic with a scripted body.
///
/// `@inlinable` so that each caller gets a specialized copy: the watcher calls it on
/// every event, and the generic version looked its integer witnesses up at run time.
@_spi(Syscalls)
@inlinable
public func valueOrErrno<I: FixedWidthInteger>(
    retryOnInterrupt: Bool = true,
    _ body: () -> I
) -> Result<I, Errno> {
    while true {
        let result = body()
        if result != -1 { return .success(result) }
        let error = Errno(rawValue: system_errno)
        if retryOnInterrupt && error == .interrupted { continue }
        return .failure(error)
    }
}

@inline(__always)
@usableFromInline
internal var system_errno: CInt {
    get { errno }
    set { errno = newValue }
}

@inline(__always)
internal func system_open(_ path: UnsafePointer<CChar>, _ flags: CInt, _ mode: mode_t = 0) -> CInt {
    open(path, flags, mode)
}

@inline(__always)
internal func system_fcntl(_ fd: CInt, _ command: CInt, _ value: CInt) -> CInt {
    fcntl(fd, command, value)
}

@inline(__always)
internal func system_close(_ fd: CInt) -> CInt {
    close(fd)
}

@inline(__always)
internal func system_getdents64(_ fd: CInt, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    caifs_getdents64(fd, buffer, count)
}

@inline(__always)
internal func system_fstat(_ fd: CInt, _ buffer: UnsafeMutablePointer<stat>) -> CInt {
    fstat(fd, buffer)
}

@inline(__always)
internal func system_fstatat(
    _ fd: CInt, _ path: UnsafePointer<CChar>, _ buffer: UnsafeMutablePointer<stat>, _ flags: CInt
) -> CInt {
    fstatat(fd, path, buffer, flags)
}

@inline(__always)
internal func system_read(_ fd: CInt, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}

@inline(__always)
internal func system_write(_ fd: CInt, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, buffer, count)
}

@inline(__always)
internal func system_memchr(_ s: UnsafePointer<UInt8>, _ c: CInt, _ n: Int) -> UnsafeMutableRawPointer? {
    memchr(s, c, n)
}

@inline(__always)
internal func system_memrchr(_ s: UnsafePointer<UInt8>, _ c: CInt, _ n: Int) -> UnsafeMutableRawPointer? {
    caifs_memrchr(s, c, n)
}

@inline(__always)
internal func system_memcmp(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> CInt {
    memcmp(a, b, n)
}
