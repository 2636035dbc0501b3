#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

extension Syscall {
    /// Replaces the process image with `path`, run with `arguments` (the first one is the
    /// program's name) and the current environment. Returns only on failure. The
    /// corresponding C function is `execv`.
    static func execute(_ path: String, arguments: [String]) -> Errno {
        // The copies are freed only when execv fails: on success the image is gone.
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        defer { for pointer in argv { free(pointer) } }
        _ = execv(path, argv)
        return Errno(rawValue: system_errno)
    }
}
