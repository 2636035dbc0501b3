import AIFSCore
import ArgumentParser

/// The flags `search` and `files` share beyond the walk: ripgrep's file types (not in
/// ``WalkFlags``, as the batch commands use `-t` for their target directory), and how
/// paths and errors are printed.
struct ListingFlags: ParsableArguments {
    @Option(name: [.customShort("t"), .customLong("type")], help: ArgumentHelp("Only files of this type (see --type-list; 'all' for any known type); may be repeated.", valueName: "TYPE"))
    var types: [String] = []

    @Option(name: [.customShort("T"), .customLong("type-not")], help: ArgumentHelp("No files of this type; may be repeated.", valueName: "TYPE"))
    var typesNot: [String] = []

    @Option(name: .customLong("type-add"), help: ArgumentHelp("Add a glob to a file type ('name:glob'), or other types to it ('name:include:a,b'); may be repeated.", valueName: "TYPESPEC"))
    var typeAdds: [String] = []

    @Option(name: .customLong("type-clear"), help: ArgumentHelp("Forget a file type's globs; may be repeated.", valueName: "TYPE"))
    var typeClears: [String] = []

    /// `-t`, `-T`, `--type-add` and `--type-clear` in the order given, which decides
    /// the outcome: the command-line rewrite (``RipgrepArguments``) puts them all here.
    @Option(name: .customLong("type-change"), help: .hidden)
    var typeChanges: [String] = []

    @Flag(name: .customLong("type-list"), help: "Print every known file type and its globs, then exit.")
    var typeList = false

    @Flag(name: .customLong("no-messages"), help: "Do not print error messages about files that cannot be opened or read (the exit status still says so).")
    var noMessages = false

    @Option(name: .customLong("path-separator"), help: ArgumentHelp("Print paths with this single byte instead of '/' between their components.", valueName: "SEPARATOR"))
    var pathSeparator: String?

    /// The values given.
    var arguments: ListingArguments {
        ListingArguments(
            types: types,
            typesNot: typesNot,
            typeAdds: typeAdds,
            typeClears: typeClears,
            typeChanges: typeChanges,
            typeList: typeList,
            noMessages: noMessages,
            pathSeparator: pathSeparator
        )
    }
}

/// The values of ``ListingFlags``, whichever parser read them (``DirectParsing``): plain
/// values, without ArgumentParser's property wrappers (issue 18).
struct ListingArguments {
    var types: [String]
    var typesNot: [String]
    var typeAdds: [String]
    var typeClears: [String]
    var typeChanges: [String]
    var typeList: Bool
    var noMessages: Bool
    var pathSeparator: String?
}

extension ListingArguments {
    /// The type changes in command-line order.
    var fileTypeChanges: [FileTypes.Change] {
        // Without the rewrite (a caller that parses directly), the order between the
        // four options is lost: definitions first, then selections.
        let changes = typeChanges.isEmpty
            ? typeClears.map { "clear:" + $0 } + typeAdds.map { "add:" + $0 } + types.map { "select:" + $0 }
                + typesNot.map { "negate:" + $0 }
            : typeChanges
        return changes.compactMap { change in
            let value = String(change.drop { $0 != ":" }.dropFirst())
            switch change.prefix(while: { $0 != ":" }) {
            case "select": return .select(value)
            case "negate": return .negate(value)
            case "add": return .add(value)
            case "clear": return .clear(value)
            default: return nil
            }
        }
    }

    /// `--type-list`: the known types with their globs, as ripgrep prints them.
    func typeListing() throws -> String {
        var fileTypes = FileTypes()
        for change in fileTypeChanges { try fileTypes.apply(change) }
        return fileTypes.definitions.map { "\($0.name): \($0.globs.joined(separator: ", "))\n" }.joined()
    }

    /// The byte of `--path-separator`, or `nil` for '/'.
    func pathSeparatorByte() throws -> UInt8? {
        guard let pathSeparator else { return nil }
        let bytes = Array(pathSeparator.utf8)
        guard bytes.count == 1 else {
            throw ValidationError("A path separator must be exactly one byte, but the given separator is \(bytes.count) bytes: \(pathSeparator)")
        }
        return bytes[0] == UInt8(ascii: "/") ? nil : bytes[0]
    }
}
