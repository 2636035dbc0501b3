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
import SystemPackage

/// One directory's entries, as `getdents64` returned them: names packed into one byte
/// array, records pointing into it. Reused from directory to directory by one worker, so
/// listing a directory allocates nothing once the arrays have grown.
struct DirectoryListing {
    struct Record {
        var nameStart: Int32
        var nameLength: Int32
        var type: UInt8
        var inode: UInt64
    }

    var names: [UInt8] = []
    var records: [Record] = []

    mutating func removeAll() {
        names.removeAll(keepingCapacity: true)
        records.removeAll(keepingCapacity: true)
    }

    func name(of record: Record) -> ArraySlice<UInt8> {
        names[Int(record.nameStart)..<Int(record.nameStart + record.nameLength)]
    }

    /// Whether a record's name equals an ASCII string.
    func name(of record: Record, equals literal: StaticString) -> Bool {
        guard Int(record.nameLength) == literal.utf8CodeUnitCount else { return false }
        return names.withUnsafeBufferPointer { names in
            memcmp(names.baseAddress! + Int(record.nameStart), literal.utf8Start, literal.utf8CodeUnitCount) == 0
        }
    }
}

/// Directory entry types from `d_type`.
enum DirentType {
    static let unknown: UInt8 = 0
    static let directory: UInt8 = 4
    static let regular: UInt8 = 8
    static let symlink: UInt8 = 10
}

/// Reads whole directories with `getdents64` into a reused buffer.
///
/// ## Threading
/// One reader per worker thread; not shared.
final class DirectoryReader {
    private let buffer: UnsafeMutableRawBufferPointer

    init(bufferSize: Int = 64 * 1024) {
        buffer = .allocate(byteCount: bufferSize, alignment: 8)
    }

    deinit { buffer.deallocate() }

    /// Appends every entry of the open directory `fd` except `.` and `..` to `listing`.
    func readAll(fd: CInt, into listing: inout DirectoryListing) throws(Errno) {
        while true {
            let count = try Syscall.readDirectory(fd: fd, into: buffer)
            if count == 0 { return }
            var offset = 0
            while offset < count {
                let record = buffer.baseAddress! + offset
                let recordLength = Int(record.load(fromByteOffset: 16, as: UInt16.self))
                let type = record.load(fromByteOffset: 18, as: UInt8.self)
                let inode = record.load(fromByteOffset: 0, as: UInt64.self)
                let name = record + 19
                let nameLength = strlen(name.assumingMemoryBound(to: CChar.self))
                offset += recordLength
                // Skip "." and "..".
                let first = name.load(as: UInt8.self)
                if first == UInt8(ascii: ".") {
                    if nameLength == 1 { continue }
                    if nameLength == 2 && name.load(fromByteOffset: 1, as: UInt8.self) == UInt8(ascii: ".") { continue }
                }
                let start = listing.names.count
                listing.names.append(
                    contentsOf: UnsafeRawBufferPointer(start: name, count: nameLength))
                listing.records.append(.init(
                    nameStart: Int32(start), nameLength: Int32(nameLength), type: type, inode: inode))
            }
        }
    }
}

extension Syscall {
    /// The pseudo-descriptor for "relative to the current directory" (`AT_FDCWD`).
    static var currentDirectoryDescriptor: CInt { AT_FDCWD }

    /// `fstatat` relative to a directory descriptor.
    static func status(
        directory fd: CInt, name: UnsafePointer<CChar>, followSymlinks: Bool
    ) throws(Errno) -> FileIdentity {
        var buffer = stat()
        let flags: CInt = followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW
        _ = try valueOrErrno { system_fstatat(fd, name, &buffer, flags) }.get()
        return FileIdentity(buffer)
    }

    /// Reads a whole small file (ignore files), refusing anything over `limit` bytes.
    /// - Parameter directory: The descriptor `cPath` is relative to, or
    ///   ``currentDirectoryDescriptor``.
    static func readSmallFile(
        directory: CInt, cPath: UnsafePointer<CChar>, limit: Int
    ) throws(Errno) -> [UInt8] {
        let fd = try valueOrErrno { openat(directory, cPath, O_RDONLY | O_CLOEXEC) }.get()
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = try chunk.withMutableBytes { raw throws(Errno) in
                try valueOrErrno { system_read(fd, raw.baseAddress, raw.count) }.get()
            }
            if count == 0 { return result }
            result.append(contentsOf: chunk[0..<count])
            if result.count > limit { throw Errno.fileTooLarge }
        }
    }
}
