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

extension Syscall {
    /// Installs the SIGINT/SIGTERM handlers; the read end of their pipe, or nil.
    static func installTerminationPipe() -> CInt? {
        let fd = caifs_install_termination_pipe()
        return fd >= 0 ? fd : nil
    }

    /// Blocks until one byte can be read; false at the end of the pipe or on an error.
    static func readByte(fd: CInt) -> Bool {
        var byte: UInt8 = 0
        let count = (try? valueOrErrno { system_read(fd, &byte, 1) }.get()) ?? -1
        return count == 1
    }

    /// Ends the process without running exit handlers.
    static func exitImmediately(_ status: CInt) -> Never {
        _exit(status)
    }
}

extension Syscall {
    /// Sets `SIGPIPE` to be ignored.
    static func ignoreBrokenPipe() {
        _ = signal(SIGPIPE, SIG_IGN)
    }
}
