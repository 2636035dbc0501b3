#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#else
#error("Unsupported Platform")
#endif

/// A shared library loaded at run time: the one place AIFSSearch touches the dynamic
/// loader (PCRE2 is loaded this way, so building aifs needs no PCRE2 headers).
///
/// The handle is never closed: compiled (JIT) code and the function pointers taken from
/// it are used until the process exits.
struct DynamicLibrary: @unchecked Sendable {
    // @unchecked: the handle is an opaque token the loader hands out; looking symbols
    // up through it from any thread is what dlsym(3) allows.
    private let handle: UnsafeMutableRawPointer

    /// Loads `name` with its symbols kept local (a different copy of the library linked
    /// by something else in the process cannot clash with this one).
    ///
    /// - Returns: The library, or the loader's reason it could not be loaded.
    ///
    /// The corresponding C function is `dlopen`.
    static func open(_ name: String) -> Result<DynamicLibrary, DynamicLibraryError> {
        guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(DynamicLibraryError(message: dlerror().map { String(cString: $0) } ?? "\(name): cannot be loaded"))
        }
        return .success(DynamicLibrary(handle: handle))
    }

    /// The address of the function `name`, cast to its type; nil when it is missing.
    ///
    /// The corresponding C function is `dlsym`.
    func function<T>(_ name: String, as type: T.Type) -> T? {
        guard let address = dlsym(handle, name) else { return nil }
        return unsafeBitCast(address, to: type)
    }
}

/// Why a library could not be loaded, in the loader's words.
struct DynamicLibraryError: Error {
    let message: String
}
