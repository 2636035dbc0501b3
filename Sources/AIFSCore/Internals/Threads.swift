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

/// A dedicated OS thread for blocking work (directory reads, inotify), so that blocking
/// system calls never occupy Swift's cooperative thread pool.
///
/// ## Threading
/// `init` may be called from anywhere; `join` from any one thread, once.
final class OSThread {
    private let handle: pthread_t
    private var joined = false

    /// Starts `body` on a new thread, or returns `nil` when the system refuses one
    /// (`EAGAIN` at the process's thread limit).
    init?(name: String? = nil, _ body: @escaping @Sendable () -> Void) {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let run: @Sendable () -> Void
        if let name {
            run = {
                caifs_set_thread_name(name)
                body()
            }
        } else {
            run = body
        }
        let box = Unmanaged.passRetained(Box(run)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard result == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            return nil
        }
        self.handle = handle
    }

    /// Waits for the thread to finish.
    func join() {
        precondition(!joined, "a thread is joined once")
        joined = true
        _ = pthread_join(handle, nil)
    }

    deinit {
        if !joined { _ = pthread_detach(handle) }
    }
}

/// A mutex with a condition variable, for the few places that must block a thread
/// until another signals it (the walker's idle workers).
///
/// ## Threading
/// Any thread may call any method; `wait()` only while holding the lock.
package final class ConditionLock: @unchecked Sendable {
    // @unchecked: the pthread objects are only touched through pthread calls, which
    // synchronize themselves; the pointers never change after init.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    /// - Parameter recursive: Whether the thread holding the lock may take it again.
    package init(recursive: Bool = false) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        if recursive { pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE)) }
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    package func lock() { pthread_mutex_lock(mutex) }
    package func unlock() { pthread_mutex_unlock(mutex) }
    /// Releases the lock, sleeps until signalled, and takes the lock again.
    package func wait() { pthread_cond_wait(condition, mutex) }
    /// Like ``wait()``, but wakes by `timeout` at the latest; false when it timed out.
    package func wait(timeout: Duration) -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = Int(now.tv_nsec) + Int(attoseconds / 1_000_000_000)
        var deadline = timespec(
            tv_sec: now.tv_sec + Int(seconds) + nanoseconds / 1_000_000_000, tv_nsec: nanoseconds % 1_000_000_000)
        return pthread_cond_timedwait(condition, mutex, &deadline) == 0
    }
    package func signal() { pthread_cond_signal(condition) }
    package func broadcast() { pthread_cond_broadcast(condition) }

    package func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}
