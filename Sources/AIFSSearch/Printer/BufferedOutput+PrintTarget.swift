// `public` because the conformance makes AIFSCore's `BufferedOutput` usable wherever this
// module's printers take a `PrintTarget`.
public import AIFSCore

/// A ``AIFSCore/BufferedOutput`` is the usual target of a printer: each worker owns one
/// in front of the shared standard output, and since it writes out only at record ends,
/// parallel workers' lines never interleave.
extension BufferedOutput: PrintTarget {
    /// Appends `bytes` to the current record.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        append(bytes)
    }
}
