import AIFSCore
import Crypto

/// The version of a file's contents: what a read returns and a guarded write demands.
///
/// A version is the first 128 bits of the contents' SHA-256 and the size, written
/// `<32 hex digits>-<size>`: the same bytes give the same version in any process, on
/// any day, whatever the file's timestamps say (a timestamp check, like Claude Code's
/// "file unexpectedly modified", fails both ways: a rewrite with the same bytes, a
/// change within the clock's granularity).
///
/// A file larger than ``largestHashedSize`` is not read whole for its version: it gets
/// `id-<32 hex digits>-<size>` from its identity (device, inode, size, modification
/// and change times) instead, so reading the head of a 10 GB log stays cheap. Such a
/// version changes with every write the kernel timestamps, and misses only one that
/// keeps the size and both timestamps.
public struct ContentVersion: Sendable, Hashable, CustomStringConvertible {
    /// The text form, `<digest>-<size>` or `id-<digest>-<size>`.
    public let description: String

    /// Files larger than this (64 MiB, about 40 ms of hashing here) get an identity
    /// version.
    public static let largestHashedSize: Int64 = 64 << 20

    private init(description: String) {
        self.description = description
    }

    /// Parses a version given by a client; nil when it does not have a version's shape.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        let body = parts.first == "id" ? parts.dropFirst() : parts[...]
        guard body.count == 2, let digest = body.first, digest.count == 32,
              digest.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }),
              let size = body.last, Int64(size) != nil
        else { return nil }
        description = text
    }

    /// The version of these bytes, as a whole file.
    public static func of(_ bytes: [UInt8]) -> ContentVersion {
        ContentVersion(description: hex(SHA256.hash(data: bytes)) + "-\(bytes.count)")
    }

    /// The version of the file at `path` now: its contents streamed through SHA-256,
    /// or its identity when it is larger than ``largestHashedSize``.
    ///
    /// - Throws: ``WorkError``: `.notFound`, `.isADirectory`, `.permissionDenied`, `.io`.
    public static func of(path: String) throws(WorkError) -> ContentVersion {
        let file = try AtomicFile.open(path)
        let identity: FileIdentity
        do { identity = try file.identity() } catch { throw WorkError(error) }
        guard identity.kind == .regular else {
            throw WorkError(.invalidArgument, "'\(path)' is \(identity.kind.phrase), which has no content version", path: path)
        }
        if identity.size > largestHashedSize {
            var hasher = SHA256()
            for value in [identity.device, identity.inode, UInt64(bitPattern: identity.size),
                          UInt64(bitPattern: identity.modificationTime), UInt64(bitPattern: identity.changeTime)]
            {
                withUnsafeBytes(of: value.littleEndian) { hasher.update(bufferPointer: $0) }
            }
            return ContentVersion(description: "id-" + hex(hasher.finalize()) + "-\(identity.size)")
        }
        let (digest, total) = try sha256(of: file)
        return ContentVersion(description: hex(digest) + "-\(total)")
    }

    /// The SHA-256 of what is left to read of `file`, in 64 KiB reads, and how many
    /// bytes that was.
    static func sha256(of file: borrowing ReadableFile) throws(WorkError) -> (SHA256.Digest, Int64) {
        var hasher = SHA256()
        var total: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let read: Result<Int, CoreError> = buffer.withUnsafeMutableBytes { bytes in
                Result { () throws(CoreError) -> Int in try file.read(into: bytes) }
            }
            let count: Int
            switch read {
            case .success(let value): count = value
            case .failure(let error): throw WorkError(error)
            }
            if count == 0 { break }
            total += Int64(count)
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
        return (hasher.finalize(), total)
    }

    /// `digest` in lowercase hex, its first `bytes` bytes (16: a version's 128 bits).
    static func hex(_ digest: SHA256.Digest, bytes: Int = 16) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes * 2)
        for byte in digest.prefix(bytes) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
