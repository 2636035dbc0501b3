import AIFSTestSupport
import Foundation
import Testing

/// `aifs watch` while a file system inside the watched tree is unmounted, for real:
/// each test runs the watch in a mount namespace of its own (`unshare -m`), mounts a
/// tmpfs there, and unmounts it once the watch is ready. The host's mounts are never
/// touched (the namespace's mounts are private and end with it). The directory under
/// the mount point is the host's own, so the test puts files in it from outside: they
/// are what the path shows after the unmount.
///
/// Issue 15 (defect 8): the watcher went blind after an unmount (no event, old entries
/// still present, new files never reported), and a root that was the mount point was
/// reported as removed while it still existed.
@Suite struct WatchUnmountTests {
    typealias RunningWatch = WatchCommandTests.RunningWatch

    /// util-linux's `unshare` when this machine lets the tests mount a tmpfs in a mount
    /// namespace of their own (root, or CAP_SYS_ADMIN); `nil` otherwise, and the caller
    /// skips with the reason.
    private func unshareWithMounts(in dir: TemporaryDirectory) throws -> String? {
        guard let unshare = Process.which("unshare") else {
            print("skipped: util-linux's unshare is not installed; the unmount tests need it")
            return nil
        }
        let probe = try dir.directory("mount-probe")
        let result = try Process.capture(
            unshare, ["-m", "--propagation", "private", "sh", "-c", "mount -t tmpfs aifs-probe \"$1\" && umount \"$1\"", "sh", probe],
            in: dir.path)
        guard result.status == 0 else {
            print("skipped: cannot mount a tmpfs in a private mount namespace here (run the tests as root): \(result.stderr)")
            return nil
        }
        return unshare
    }

    /// A named pipe the namespace's shell waits on before it unmounts; ``release()``
    /// lets it go (at most once; `deinit` too, so a failed test leaves nothing blocked).
    final class Go {
        let path: String
        private var released = false

        init(in dir: TemporaryDirectory) throws {
            path = dir.path("go")
            guard mkfifo(path, 0o600) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        }

        /// Opens the pipe for writing (without blocking: the reader may not have opened
        /// it yet, so it retries until a deadline) and closes it: the reader's `read` ends.
        func release(within seconds: Double = 10) {
            guard !released else { return }
            released = true
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                let fd = open(path, O_WRONLY | O_NONBLOCK)
                if fd >= 0 {
                    _ = "go\n".withCString { write(fd, $0, 3) }
                    close(fd)
                    return
                }
                usleep(2_000)  // waiting for the reader with a deadline, not to synchronise events
            }
            Issue.record("the namespace's shell never opened \(path)")
        }

        deinit { if !released { release(within: 1) } }
    }

    /// The launcher: in a new mount namespace, mount a tmpfs on `mountPoint`, run
    /// `setup` there, start a shell that unmounts it once `go` is released, and run
    /// `aifs watch` in place of the shell.
    private func launcher(_ unshare: String, mountPoint: String, setup: String, go: Go) -> [String] {
        let script = """
            set -e
            mount -t tmpfs aifs-test "\(mountPoint)"
            \(setup)
            ( read line < "\(go.path)" || true; umount "\(mountPoint)" ) &
            exec "$@"
            """
        return [unshare, "-m", "--propagation", "private", "sh", "-c", script, "sh"]
    }

    private func has(_ event: String, _ path: String) -> ([String: Any]) -> Bool {
        { $0["event"] as? String == event && $0["path"] as? String == path }
    }

    /// `umount root/m`: what was on the tmpfs is reported gone, what is in the
    /// directory underneath is reported new, and later changes there are seen.
    @Test(.timeLimit(.minutes(1)))
    func issue15_unmountInsideTheTreeIsReportedAndWatchedAgain() throws {
        let dir = try TemporaryDirectory()
        guard let unshare = try unshareWithMounts(in: dir) else { return }
        let root = try dir.directory("root")
        try dir.file("root/kept.txt", "k")
        let under = try dir.file("root/m/under.txt", "hidden by the mount until the unmount")
        let go = try Go(in: dir)
        let watch = try RunningWatch(
            ["--no-atomic", "root"], in: dir.path,
            launcher: launcher(
                unshare, mountPoint: "root/m", setup: "mkdir root/m/sub; echo a > root/m/on-tmpfs.txt; echo b > root/m/sub/deep.txt",
                go: go))
        watch.waitFor("ready") { $0["event"] as? String == "ready" }
        #expect(watch.events.contains(where: has("add", root + "/m/on-tmpfs.txt")))
        #expect(!watch.events.contains(where: has("add", under)))

        go.release()
        watch.waitFor("add of the directory underneath's file", has("add", under))
        let afterReady = Array(watch.events.drop { $0["event"] as? String != "ready" }.dropFirst())
        let lines = afterReady.map { "\($0["event"] as? String ?? "?") \($0["path"] as? String ?? "?")" }
        // The kernel queues a record per watch on the tmpfs, in no useful order, and the
        // watcher may read them in more than one batch: the set is fixed, and children
        // go before their directory.
        #expect(
            Set(lines) == [
                "unlink \(root)/m/on-tmpfs.txt", "unlink \(root)/m/sub/deep.txt", "unlinkDir \(root)/m/sub", "add \(under)",
            ], "\(lines)")
        #expect(lines.count == 4, "\(lines)")
        #expect(
            (lines.firstIndex(of: "unlink \(root)/m/sub/deep.txt") ?? 9) < (lines.firstIndex(of: "unlinkDir \(root)/m/sub") ?? -1),
            "\(lines)")

        // The directory underneath is watched now.
        let new = try dir.file("root/m/new.txt", "n")
        watch.waitFor("add after the unmount", has("add", new))
        try dir.file("root/kept.txt", "changed")
        watch.waitFor("change outside the mount", has("change", root + "/kept.txt"))
        #expect(watch.process.isRunning)
        watch.process.terminate()
        #expect(watch.exitStatus() == 0)
    }

    /// The watched root is itself the mount point and still exists after the unmount:
    /// like a directory inside the tree, not the end of the watch.
    @Test(.timeLimit(.minutes(1)))
    func issue15_unmountOfTheRootsOwnMountRescansIt() throws {
        let dir = try TemporaryDirectory()
        guard let unshare = try unshareWithMounts(in: dir) else { return }
        let root = try dir.directory("root")
        let under = try dir.file("root/under.txt", "u")
        let go = try Go(in: dir)
        let watch = try RunningWatch(
            ["--no-atomic", "root"], in: dir.path,
            launcher: launcher(unshare, mountPoint: "root", setup: "echo a > root/on-tmpfs.txt", go: go))
        watch.waitFor("ready") { $0["event"] as? String == "ready" }

        go.release()
        watch.waitFor("add underneath", has("add", under))
        let afterReady = Array(watch.events.drop { $0["event"] as? String != "ready" }.dropFirst())
        let lines = afterReady.map { "\($0["event"] as? String ?? "?") \($0["path"] as? String ?? "?")" }
        #expect(lines == ["unlink \(root)/on-tmpfs.txt", "add \(under)"], "\(lines)")
        let new = try dir.file("root/new.txt", "n")
        watch.waitFor("add after the unmount", has("add", new))
        #expect(watch.process.isRunning, "the root still exists: the watch goes on")
        watch.process.terminate()
        #expect(watch.exitStatus() == 0)
    }

    /// The watched root was on the unmounted file system and no longer exists: its
    /// entries are reported gone, an `error` says why, stderr too, and the status is 1.
    @Test(.timeLimit(.minutes(1)))
    func issue15_rootGoneWithItsFileSystemIsAnError() throws {
        let dir = try TemporaryDirectory()
        guard let unshare = try unshareWithMounts(in: dir) else { return }
        try dir.directory("m")
        let root = dir.path("m/root")
        let go = try Go(in: dir)
        let watch = try RunningWatch(
            ["--no-atomic", "m/root"], in: dir.path,
            launcher: launcher(unshare, mountPoint: "m", setup: "mkdir m/root; echo a > m/root/a.txt", go: go))
        watch.waitFor("ready") { $0["event"] as? String == "ready" }

        go.release()
        let error = watch.waitFor("error", has("error", root))
        let message = error?["message"] as? String ?? ""
        #expect(message.contains("unmounted"), "\(message)")
        #expect(watch.exitStatus() == 1)
        let afterReady = Array(watch.events.drop { $0["event"] as? String != "ready" }.dropFirst())
        let lines = afterReady.map { "\($0["event"] as? String ?? "?") \($0["path"] as? String ?? "?")" }
        #expect(lines == ["unlink \(root)/a.txt", "unlinkDir \(root)", "error \(root)"], "\(lines)")
        #expect(watch.standardError.contains("unmounted"), "\(watch.standardError)")
    }
}
