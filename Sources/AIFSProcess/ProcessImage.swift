public import SystemPackage

/// Running another program of the aifs family in place of this process.
public enum ProcessImage {
    /// The absolute path of the running executable, from `/proc/self/exe`; `nil` where
    /// the kernel does not offer it.
    public static func currentExecutable() -> String? {
        ProcessCalls.readLink("/proc/self/exe")
    }

    /// The path of `name` in the directory of the running executable: where the build and
    /// an installation put aifs's companion programs.
    public static func sibling(named name: String) -> String? {
        guard let executable = currentExecutable(), let slash = executable.utf8.lastIndex(of: UInt8(ascii: "/")) else {
            return nil
        }
        return String(executable[...slash]) + name
    }

    /// Replaces this process with `path`, keeping its process id, standard input, output
    /// and error, and environment; `arguments` start with the program's name.
    ///
    /// - Returns: Only when the program could not be started, with the reason.
    public static func replace(with path: String, arguments: [String]) -> Errno {
        ProcessCalls.execute(path, arguments: arguments)
    }
}
