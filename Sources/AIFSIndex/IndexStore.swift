@_spi(Syscalls) import AIFSCore
import AIFSWork
import SystemPackage

/// Where indexes are saved: one file per root under `$XDG_CACHE_HOME/aifs/index`
/// (`~/.cache/aifs/index` without it), named by a hash of the root's path.
///
/// A file is written whole to a temporary name in the same directory and renamed over
/// the old one (``AIFSWork/AtomicFile``), so a reader sees the old file or the new, never a mix, and two servers
/// on one root never corrupt it (the last to save wins). A file that is truncated,
/// corrupt (its checksum differs), of another format version, or for another root or
/// walk is discarded, never trusted.
public struct IndexStore: Sendable {
    /// The directory of the saved indexes.
    public let directory: String

    /// A store in `directory`.
    public init(directory: String) {
        self.directory = directory
    }

    /// The default store: `$XDG_CACHE_HOME/aifs/index`, else `$HOME/.cache/aifs/index`;
    /// nil when neither variable is set.
    public static func standard() -> IndexStore? {
        if let cache = FileSystemCalls.environment("XDG_CACHE_HOME"), cache.hasPrefix("/") {
            return IndexStore(directory: cache + "/aifs/index")
        }
        if let home = FileSystemCalls.environment("HOME"), home.hasPrefix("/") {
            return IndexStore(directory: home + "/.cache/aifs/index")
        }
        return nil
    }

    /// The file for `root`.
    public func path(for root: String) -> String {
        directory + "/" + String(IndexFormat.hash(Array(root.utf8)), radix: 16) + ".aifsidx"
    }

    enum Loaded {
        case loaded(IndexState, bytes: Int)
        case missing
        case discarded(String)
    }

    func load(root: String, walkOptions: WalkOptions) -> Loaded {
        let file = path(for: root)
        let bytes: [UInt8]
        do {
            bytes = try FileSystemCalls.readSmallFile(file, limit: Int(UInt32.max))
        } catch .noSuchFileOrDirectory {
            return .missing
        } catch {
            return .discarded("cannot read '\(file)': \(error)")
        }
        do {
            let state = try IndexFormat.decode(bytes, root: root, walkOptions: walkOptions)
            return .loaded(state, bytes: bytes.count)
        } catch {
            return .discarded("'\(file)' \(error.reason)")
        }
    }

    /// Saves through ``AIFSWork/AtomicFile``: a temporary file beside the target (in the
    /// crash ledger, so a killed save leaves nothing behind after the next start),
    /// `fsync`, a rename over the old one, the directory flushed.
    func save(_ state: IndexState, root: String, walkOptions: WalkOptions) -> Result<Int, SaveFailure> {
        let bytes = IndexFormat.encode(state, root: root, walkOptions: walkOptions)
        let final = path(for: root)
        do {
            try AtomicFile.write(bytes, to: final, createDirectories: true, permissions: 0o600)
        } catch {
            return .failure(SaveFailure(reason: "cannot write '\(final)': \(error.message)"))
        }
        return .success(bytes.count)
    }

    struct SaveFailure: Error, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }
}

/// The saved index's bytes: little-endian, a magic and version, the root and walk it
/// was made for, the file table, the directories, the segment, then a checksum of
/// everything before it.
enum IndexFormat {
    static let magic = Array("AIFSIDX\0".utf8)
    static let version: UInt32 = 2

    struct Invalid: Error {
        var reason: String
    }

    /// A 64-bit hash of `bytes`, eight at a time (a checksum, not a defence).
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset + 8 <= raw.count {
                let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                hash = (hash ^ word) &* 0x100_0000_01B3
                hash ^= hash >> 29
                offset += 8
            }
            while offset < raw.count {
                hash = (hash ^ UInt64(raw[offset])) &* 0x100_0000_01B3
                offset += 1
            }
        }
        return hash ^ (hash >> 31)
    }

    static func walkFingerprint(_ options: WalkOptions) -> [UInt8] {
        Array(String(describing: options).utf8)
    }

    static func encode(_ state: IndexState, root: String, walkOptions: WalkOptions) -> [UInt8] {
        var out = magic
        out.reserveCapacity(state.segment.postings.count + state.records.count * 96 + 1024)
        append(version, to: &out)
        appendBytes(Array(root.utf8), to: &out)
        appendBytes(walkFingerprint(walkOptions), to: &out)
        append(UInt32(state.records.count), to: &out)
        for record in state.records {
            appendBytes(record.path, to: &out)
            // Re-read files' trigrams live in the overlay, which is not saved: they are
            // read again after a load.
            var status = record.status
            if status == .indexed && record.inOverlay { status = .dirty }
            out.append(status.rawValue)
            let identity = record.identity
            out.append(identity == nil ? 0 : 1)
            append(identity?.device ?? 0, to: &out)
            append(identity?.inode ?? 0, to: &out)
            append(UInt64(bitPattern: identity?.size ?? 0), to: &out)
            append(UInt64(bitPattern: identity?.modificationTime ?? 0), to: &out)
            append(UInt64(bitPattern: identity?.changeTime ?? 0), to: &out)
        }
        let directories = state.directories.sorted(by: <)
        append(UInt32(directories.count), to: &out)
        for directory in directories { appendBytes(directory.bytes, to: &out) }
        for segment in [state.segment, state.windows] {
            append(UInt32(segment.keys.count), to: &out)
            for key in segment.keys { append(key, to: &out) }
            for start in segment.starts { append(start, to: &out) }
            appendBytes(segment.postings, to: &out)
        }
        append(UInt32(state.windowFiles.count), to: &out)
        for file in state.windowFiles { append(file, to: &out) }
        append(UInt64(state.buildSeconds.bitPattern), to: &out)
        append(hash(out), to: &out)
        return out
    }

    static func decode(_ bytes: [UInt8], root: String, walkOptions: WalkOptions) throws(Invalid) -> IndexState {
        guard bytes.count >= magic.count + 12, Array(bytes[..<magic.count]) == magic else {
            throw Invalid(reason: "is not an aifs index (or is truncated)")
        }
        let body = Array(bytes[..<(bytes.count - 8)])
        var reader = Reader(data: bytes, offset: bytes.count - 8)
        guard try reader.u64() == hash(body) else { throw Invalid(reason: "is corrupt (its checksum does not match)") }
        reader = Reader(data: body, offset: magic.count)
        let version = try reader.u32()
        guard version == Self.version else { throw Invalid(reason: "has format version \(version), not \(Self.version)") }
        guard try reader.field() == Array(root.utf8) else { throw Invalid(reason: "is for another root") }
        guard try reader.field() == walkFingerprint(walkOptions) else { throw Invalid(reason: "was made with other walk options") }
        var state = IndexState()
        let count = Int(try reader.u32())
        state.records.reserveCapacity(count)
        for _ in 0..<count {
            let path = try reader.field()
            guard let status = FileRecord.Status(rawValue: try reader.u8()) else { throw Invalid(reason: "has an unknown file status") }
            let hasIdentity = try reader.u8() == 1
            let device = try reader.u64(), inode = try reader.u64()
            let size = Int64(bitPattern: try reader.u64())
            let modified = Int64(bitPattern: try reader.u64()), changed = Int64(bitPattern: try reader.u64())
            let identity = hasIdentity
                ? FileIdentity(device: device, inode: inode, size: size, modificationTime: modified, changeTime: changed, kind: .regular, permissions: 0)
                : nil
            if status == .removed {
                state.records.append(FileRecord(path: path, status: .removed, identity: nil))
            } else {
                state.add(path: path, status: status, identity: identity)
            }
        }
        let directories = Int(try reader.u32())
        for _ in 0..<directories { state.directories.insert(PathKey(try reader.field())) }
        var segments: [IndexSegment] = []
        for _ in 0..<2 {
            let keyCount = Int(try reader.u32())
            guard keyCount <= reader.remaining / 8 else { throw Invalid(reason: "is truncated") }
            let keys = try reader.u32s(keyCount)
            let starts = try reader.u32s(keyCount + 1)
            let postings = try reader.field()
            let segment = IndexSegment(keys: keys, starts: starts, postings: postings)
            guard segment.isWellFormed else { throw Invalid(reason: "has an inconsistent trigram table") }
            segments.append(segment)
        }
        let windowCount = Int(try reader.u32())
        guard windowCount <= reader.remaining / 4 else { throw Invalid(reason: "is truncated") }
        let windowFiles = try reader.u32s(windowCount)
        guard windowFiles.allSatisfy({ Int($0) < state.records.count }) else { throw Invalid(reason: "names a window of no file") }
        state.buildSeconds = Double(bitPattern: try reader.u64())
        guard reader.remaining == 0 else { throw Invalid(reason: "has bytes after its end") }
        state.segment = segments[0]
        state.windows = segments[1]
        state.windowFiles = windowFiles
        return state
    }

    private static func append(_ value: some FixedWidthInteger, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func appendBytes(_ bytes: [UInt8], to out: inout [UInt8]) {
        append(UInt64(bytes.count), to: &out)
        out.append(contentsOf: bytes)
    }

    /// Reads the fields back, every read bounds-checked.
    struct Reader {
        let data: [UInt8]
        var offset: Int

        var remaining: Int { data.count - offset }

        mutating func take(_ count: Int) throws(Invalid) -> ArraySlice<UInt8> {
            guard count >= 0, count <= remaining else { throw Invalid(reason: "is truncated") }
            defer { offset += count }
            return data[offset..<(offset + count)]
        }

        mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(Invalid) -> T {
            let slice = try take(MemoryLayout<T>.size)
            var value: T = 0
            for (shift, byte) in slice.enumerated() { value |= T(byte) << (shift * 8) }
            return value
        }

        /// `count` little-endian 32-bit numbers, read at once.
        mutating func u32s(_ count: Int) throws(Invalid) -> [UInt32] {
            let slice = try take(count * 4)
            return slice.withUnsafeBytes { raw in
                (0..<count).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
            }
        }

        mutating func u8() throws(Invalid) -> UInt8 { try integer(UInt8.self) }
        mutating func u32() throws(Invalid) -> UInt32 { try integer(UInt32.self) }
        mutating func u64() throws(Invalid) -> UInt64 { try integer(UInt64.self) }

        mutating func field() throws(Invalid) -> [UInt8] {
            let count = try u64()
            guard count <= UInt64(remaining) else { throw Invalid(reason: "is truncated") }
            return Array(try take(Int(count)))
        }
    }
}
