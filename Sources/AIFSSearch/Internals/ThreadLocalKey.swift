#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#else
#error("Unsupported Platform")
#endif

/// A key for a value of each thread's own (a pointer), freed by a destructor when the
/// thread exits: PCRE2's per-thread match data.
///
/// A plain value, so copying it into a matcher's hot path costs no reference counting.
struct ThreadLocalKey: @unchecked Sendable {
    // @unchecked: a pthread key is an integer token; each thread reads and writes only
    // its own slot through it.
    private let key: pthread_key_t

    /// Creates a key; nil when the process has no keys left.
    ///
    /// The corresponding C function is `pthread_key_create`.
    init?(destructor: @convention(c) (UnsafeMutableRawPointer?) -> Void) {
        var key = pthread_key_t()
        guard pthread_key_create(&key, destructor) == 0 else { return nil }
        self.key = key
    }

    /// This thread's value, or nil.
    ///
    /// The corresponding C function is `pthread_getspecific`.
    @inline(__always)
    func value() -> UnsafeMutableRawPointer? { pthread_getspecific(key) }

    /// Sets this thread's value; false when it could not be stored.
    ///
    /// The corresponding C function is `pthread_setspecific`.
    @inline(__always)
    func set(_ value: UnsafeRawPointer) -> Bool { pthread_setspecific(key, value) == 0 }
}
