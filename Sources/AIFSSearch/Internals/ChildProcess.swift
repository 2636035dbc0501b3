#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#else
#error("Unsupported Platform")
#endif
import Synchronization

/// A program whose standard output is read through a pipe: ripgrep's `--pre` commands
/// and `-z` decompressors.
///
/// ## Threading
/// One owner (the worker searching the file); not `Sendable`.
final class ChildProcess {
    private let pid: pid_t
    private var output: CInt
    private var status: CInt?

    /// Starts `executable` (looked up on `PATH`) with `arguments` (after its name), its
    /// standard input the file `inputPath` (or `/dev/null`), its standard output a pipe
    /// and its standard error ours.
    ///
    /// - Returns: nil with the `errno` of the failure when it cannot be started (the
    ///   program does not exist, for example).
    ///
    /// The corresponding C functions are `pipe2` and `posix_spawnp`.
    static func start(_ executable: String, arguments: [String], inputPath: [UInt8]?) -> Result<ChildProcess, SpawnFailure> {
        // Glibc's module does not export pipe2: the pipe is made close-on-exec just after,
        // under a lock that every spawn here takes, so no child started by another worker
        // inherits its write end (which would keep the reader from ever seeing the end).
        spawnLock.withLock { _ in startLocked(executable, arguments: arguments, inputPath: inputPath) }
    }

    private static let spawnLock = Mutex(())

    private static func startLocked(
        _ executable: String, arguments: [String], inputPath: [UInt8]?
    ) -> Result<ChildProcess, SpawnFailure> {
        var fds: [CInt] = [-1, -1]
        guard pipe(&fds) == 0 else { return .failure(SpawnFailure(errno: errno)) }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        // The path's bytes, not a repaired string: names need not be UTF-8.
        var inputBytes = (inputPath ?? Array("/dev/null".utf8)).map { CChar(bitPattern: $0) }
        inputBytes.append(0)
        posix_spawn_file_actions_addopen(&actions, 0, inputBytes, O_RDONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, executable, &actions, nil, argv, environ)
        close(fds[1])
        guard result == 0 else {
            close(fds[0])
            return .failure(SpawnFailure(errno: result))
        }
        return .success(ChildProcess(pid: pid, output: fds[0]))
    }

    private init(pid: pid_t, output: CInt) {
        self.pid = pid
        self.output = output
    }

    deinit {
        if output >= 0 { close(output) }
        _ = waitForExit()
    }

    /// Reads the next bytes of the program's output; 0 at its end.
    ///
    /// The corresponding C function is `read`.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, SpawnFailure> {
        while true {
            let count = Glibc.read(output, buffer.baseAddress, buffer.count)
            if count >= 0 { return .success(count) }
            if errno != EINTR { return .failure(SpawnFailure(errno: errno)) }
        }
    }

    /// Closes the pipe (a program still writing gets SIGPIPE) and waits for the exit.
    ///
    /// - Returns: The exit status, or nil when a signal ended it.
    ///
    /// The corresponding C function is `waitpid`.
    func waitForExit() -> CInt? {
        if output >= 0 {
            close(output)
            output = -1
        }
        if status == nil {
            var raw: CInt = 0
            while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
            status = raw
        }
        let raw = status!
        // WIFEXITED / WEXITSTATUS, which Swift does not import.
        return raw & 0x7F == 0 ? (raw >> 8) & 0xFF : nil
    }
}

/// Why a child process could not be started or read.
struct SpawnFailure: Error {
    let errno: CInt
    var message: String { String(cString: strerror(errno)) }
}
