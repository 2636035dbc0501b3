import SystemPackage

/// Kernel settings as `sysctl` names them, read from `/proc/sys`.
public enum KernelParameters {
    /// The integer value of the kernel parameter `name` (for example
    /// `fs.inotify.max_user_watches`), or `nil` when it does not exist or is not an
    /// integer.
    public static func integer(_ name: String) -> Int? {
        guard !name.isEmpty, !name.contains("/"), !name.contains("..") else { return nil }
        let path = "/proc/sys/" + name.split(separator: ".").joined(separator: "/")
        guard let bytes = try? Syscall.readSmallFile(atPath: path, limit: 4096) else { return nil }
        let digits = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        return Int(decimal: digits)
    }
}
