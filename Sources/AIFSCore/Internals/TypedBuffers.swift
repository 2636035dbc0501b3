// The standard library's `withUnsafe…` methods are `rethrows`, which erases a closure's
// typed error to `any Error`. These keep the type, so `throws(Errno)` and
// `throws(CoreError)` survive a trip through a buffer.

extension Array where Element == UInt8 {
    /// Calls `body` with the bytes, keeping its typed error.
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = withUnsafeBytes { bytes in
            Result { () throws(E) -> R in try body(bytes) }
        }
        return try result.get()
    }

    /// Calls `body` with the bytes as a C string.
    ///
    /// - Precondition: The array ends with a NUL byte.
    func withCPath<R, E: Error>(_ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
        precondition(last == 0, "a C path must end with a NUL byte")
        let result: Result<R, E> = withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                Result { () throws(E) -> R in try body(chars.baseAddress!) }
            }
        }
        return try result.get()
    }

    /// Calls `body` with room to write into, keeping its typed error.
    mutating func withMutableBytes<R, E: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        let result: Result<R, E> = withUnsafeMutableBytes { bytes in
            Result { () throws(E) -> R in try body(bytes) }
        }
        return try result.get()
    }
}

extension String {
    /// `withCString`, keeping the closure's typed error.
    func withCPath<R, E: Error>(_ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = withCString { chars in
            Result { () throws(E) -> R in try body(chars) }
        }
        return try result.get()
    }
}
