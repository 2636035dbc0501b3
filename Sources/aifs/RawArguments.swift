/// The command line's arguments as the kernel passed them, for path arguments that are
/// not UTF-8.
///
/// `CommandLine.arguments` decodes each argument with repair (invalid bytes become
/// U+FFFD), so a file named in Latin-1 would not be found. The parsers work on those
/// strings; a path is mapped back to its bytes here, through the repaired form.
///
/// ## Known problems
/// Two different non-UTF-8 arguments that repair to the same string map to the first.
enum RawArguments {
    /// The raw bytes of each argument that is not valid UTF-8, by its repaired form.
    static let bytesByRepaired: [String: [UInt8]] = {
        var result: [String: [UInt8]] = [:]
        let argv = CommandLine.unsafeArgv
        for index in 0..<Int(CommandLine.argc) {
            guard let pointer = argv[index] else { continue }
            var length = 0
            while pointer[length] != 0 { length += 1 }
            let bytes = UnsafeRawBufferPointer(start: pointer, count: length).map { $0 }
            guard String(validating: bytes, as: UTF8.self) == nil else { continue }
            let repaired = String(decoding: bytes, as: UTF8.self)
            if result[repaired] == nil { result[repaired] = bytes }
        }
        return result
    }()

    /// The bytes the user typed for `argument`: its UTF-8, or the raw bytes when it
    /// was repaired.
    static func bytes(of argument: String) -> [UInt8] {
        if argument.unicodeScalars.contains("\u{FFFD}"), let raw = bytesByRepaired[argument] { return raw }
        return Array(argument.utf8)
    }
}
