#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CAIFSShims
import SystemPackage

/// The system calls of the process plumbing (signals, exec, standard input): the only
/// place this module calls the C library.
enum ProcessCalls {
    /// Installs the SIGINT/SIGTERM handlers; the read end of their pipe, or nil.
    static func installTerminationPipe() -> CInt? {
        let fd = caifs_install_termination_pipe()
        return fd >= 0 ? fd : nil
    }

    /// Blocks until one byte can be read; false at the end of the pipe or on an error.
    static func readByte(fd: CInt) -> Bool {
        var byte: UInt8 = 0
        while true {
            let count = Glibc.read(fd, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            return count == 1
        }
    }

    /// Ends the process without running exit handlers.
    static func exitImmediately(_ status: CInt) -> Never { _exit(status) }

    /// Sets `SIGPIPE` to be ignored.
    static func ignoreBrokenPipe() { _ = signal(SIGPIPE, SIG_IGN) }

    /// The target of the symbolic link at `path` (at most `PATH_MAX` bytes).
    static func readLink(_ path: String) -> String? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(PATH_MAX)) { buffer in
            let count = readlink(path, buffer.baseAddress!, buffer.count)
            guard count > 0, count < buffer.count else { return nil }
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress!, count: count), as: UTF8.self)
        }
    }

    /// Replaces the process image with `path`, run with `arguments` (the first one is the
    /// program's name) and the current environment. Returns only on failure. The
    /// corresponding C function is `execv`.
    static func execute(_ path: String, arguments: [String]) -> Errno {
        // The copies are freed only when execv fails: on success the image is gone.
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        defer { for pointer in argv { free(pointer) } }
        _ = execv(path, argv)
        return Errno(rawValue: errno)
    }

    /// Whether `fd` is a regular file, a FIFO or a socket: something a program reads
    /// data from, where a terminal or a device (`/dev/null`) is not. The corresponding
    /// C function is `fstat`.
    static func isReadableStream(fd: CInt) -> Bool {
        var buffer = stat()
        guard fstat(fd, &buffer) == 0 else { return false }
        let kind = buffer.st_mode & S_IFMT
        return kind == S_IFREG || kind == S_IFIFO || kind == S_IFSOCK
    }

    /// Reads into `buffer`, retrying `EINTR`.
    static func read(fd: CInt, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno != EINTR { throw Errno(rawValue: errno) }
        }
    }
}
