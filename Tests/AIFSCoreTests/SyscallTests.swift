import AIFSTestSupport
import Foundation
import SystemPackage
import Testing

@_spi(Syscalls) @testable import AIFSCore

@Suite struct SyscallTests {
    @Test func valueOrErrnoRetriesInterruptedCalls() throws {
        var calls = 0
        let result = valueOrErrno(retryOnInterrupt: true) { () -> CInt in
            calls += 1
            if calls < 3 {
                errno = EINTR
                return -1
            }
            return 42
        }
        #expect(calls == 3)
        #expect(try result.get() == 42)
    }

    @Test func valueOrErrnoReportsInterruptWhenNotRetrying() {
        var calls = 0
        let result = valueOrErrno(retryOnInterrupt: false) { () -> CInt in
            calls += 1
            errno = EINTR
            return -1
        }
        #expect(calls == 1)
        #expect(throws: Errno.interrupted) { try result.get() }
    }

    @Test func valueOrErrnoPassesOtherErrorsThrough() {
        let result = valueOrErrno { () -> Int in
            errno = ENOENT
            return -1
        }
        #expect(throws: Errno.noSuchFileOrDirectory) { try result.get() }
    }

    @Test func directoriesOpenCloseOnExec() throws {
        let dir = try TemporaryDirectory()
        let fd = try dir.path.withCString { try Syscall.openDirectory(cPath: $0) }
        defer { Syscall.close(fd) }
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)
    }

    @Test func fileIdentityDescribesTheFile() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.file("a.txt", "hello")
        let identity = try FileIdentity(path: path)
        #expect(identity.kind == .regular)
        #expect(identity.size == 5)
        #expect(identity.modificationTime > 0)
        #expect(identity.changeTime >= identity.modificationTime)

        let link = try dir.symlink("link", to: "a.txt")
        #expect(try FileIdentity(path: link).isSameFile(as: identity))
        #expect(try FileIdentity(path: link, followSymlinks: false).kind == .symlink)
        #expect(try FileIdentity(path: dir.path).kind == .directory)
    }

    @Test func fileIdentityChangesWithTheContents() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.file("a.txt", "one")
        let before = try FileIdentity(path: path)
        try dir.file("a.txt", "three")
        let after = try FileIdentity(path: path)
        #expect(before.isSameFile(as: after))
        #expect(before != after)
    }

    @Test func fileIdentityErrorsAreTyped() throws {
        let dir = try TemporaryDirectory()
        let missing = dir.path("missing")
        let error = #expect(throws: CoreError.self) { try FileIdentity(path: missing) }
        #expect(error?.code == .notFound)
        #expect(error?.path == missing)
        #expect(error?.underlying == .noSuchFileOrDirectory)
        #expect(error?.message.contains(missing) == true)

        let nul = #expect(throws: CoreError.self) { try FileIdentity(path: "a\0b") }
        #expect(nul?.code == .invalidPath)
        #expect(nul?.message.contains("NUL") == true)
    }

    @Test func processorCountIsPositive() {
        #expect(Syscall.processorCount() >= 1)
    }
}
