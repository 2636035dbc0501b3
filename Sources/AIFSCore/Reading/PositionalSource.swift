/// Where `FileService.readFile(path:range:maxBytes:)` reads bytes from: the file
/// itself, or its cached contents. One implementation of every range serves both.
package protocol PositionalSource: ~Copyable {
    /// Reads into `buffer` from byte `offset`; fewer bytes only at the end, 0 past it.
    func read(into buffer: UnsafeMutableRawBufferPointer, atOffset offset: Int64) throws(CoreError) -> Int
}

extension ReadableFile: PositionalSource {}

/// A file's contents in memory, read like the file.
package struct MemorySource: PositionalSource {
    let bytes: [UInt8]

    package init(bytes: [UInt8]) { self.bytes = bytes }

    package func read(into buffer: UnsafeMutableRawBufferPointer, atOffset offset: Int64) throws(CoreError) -> Int {
        guard offset < Int64(bytes.count), buffer.count > 0 else { return 0 }
        let start = Int(offset)
        let count = min(buffer.count, bytes.count - start)
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + start, byteCount: count)
        }
        return count
    }
}

extension FileReader {
    /// Reads `count` bytes at `offset`, fewer only at the end of the file.
    package static func readFully<Source: PositionalSource & ~Copyable>(_ file: borrowing Source, at offset: Int64, count: Int) throws(CoreError) -> [UInt8] {
        guard count > 0 else { return [] }
        var failure: CoreError?
        // Uninitialised: the reads fill what is kept, and a 4 MiB zero-fill per read is
        // time a large read does not need to spend.
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, filled in
            filled = 0
            while filled < count {
                do throws(CoreError) {
                    let got = try file.read(
                        into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[filled...]),
                        atOffset: offset + Int64(filled))
                    if got == 0 { break }
                    filled += got
                } catch {
                    failure = error
                    break
                }
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Reads into `bytes[start...]` at `offset` (`withUnsafeMutableBytes` only rethrows
    /// untyped errors, so the typed error travels in a `Result`).
    static func positionalRead<Source: PositionalSource & ~Copyable>(
        _ file: borrowing Source, into bytes: inout [UInt8], from start: Int, atOffset offset: Int64
    ) throws(CoreError) -> Int {
        let result = bytes.withUnsafeMutableBytes { raw in
            Result { () throws(CoreError) -> Int in
                try file.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[start...]), atOffset: offset)
            }
        }
        return try result.get()
    }
}
