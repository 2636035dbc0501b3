/// ripgrep's file types (`-t`, `-T`, `--type-add`, `--type-clear`, `--type-list`): named
/// lists of globs matched against file names, and the selection of some of them.
///
/// ```swift
/// var types = FileTypes()                       // ripgrep's built-in table
/// try types.apply(.add("web:*.{html,css}"))
/// let filter = try types.filter([.select("web"), .negate("css")])
/// filter?.match(fileName: "index.html")         // .whitelist
/// filter?.match(fileName: "README")             // .ignore: a type was selected
/// ```
public struct FileTypes: Sendable {
    /// One change to the types or the selection, in the order given on the command line.
    public enum Change: Sendable, Hashable {
        /// `-t NAME`: only files of this type (or of any selected type); `all` selects
        /// every type.
        case select(String)
        /// `-T NAME`: no files of this type.
        case negate(String)
        /// `--type-add 'NAME:GLOB'` or `--type-add 'NAME:include:OTHER,...'`.
        case add(String)
        /// `--type-clear NAME`: forget the type's globs.
        case clear(String)
    }

    /// The definitions by name; globs in the order they were added.
    private var globsByName: [String: [String]]

    /// The built-in table (``defaultDefinitions``), as ripgrep starts with.
    public init() {
        var globsByName: [String: [String]] = [:]
        for definition in FileTypes.defaultDefinitions { globsByName[definition.name] = definition.globs }
        self.globsByName = globsByName
    }

    /// Every type, sorted by name, each with its globs sorted and without duplicates:
    /// what `--type-list` prints.
    public var definitions: [(name: String, globs: [String])] {
        globsByName.keys.sorted().map { name in
            (name, Array(Set(globsByName[name]!)).sorted())
        }
    }

    /// Applies a `--type-add` or `--type-clear`; selections are left for
    /// ``filter(_:)``.
    ///
    /// - Throws: ``CoreError`` with `.invalidArgument` for a definition that is not
    ///   `NAME:GLOB` or `NAME:include:NAMES`, or includes a type that does not exist.
    public mutating func apply(_ change: Change) throws(CoreError) {
        switch change {
        case .select, .negate:
            return
        case .clear(let name):
            globsByName[name] = nil
        case .add(let definition):
            let parts = definition.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw CoreError(.invalidArgument, "invalid definition (format is type:glob, e.g., html:*.html)")
            }
            let name = String(parts[0])
            if parts.count == 3 && parts[1] == "include" {
                var globs: [String] = []
                for other in parts[2].split(separator: ",") {
                    guard let included = globsByName[String(other)] else {
                        throw CoreError(.invalidArgument, "unrecognized file type: \(other)")
                    }
                    globs += included
                }
                globsByName[name, default: []] += globs
            } else {
                let glob = definition[definition.index(after: parts[0].endIndex)...]
                guard !glob.isEmpty else {
                    throw CoreError(.invalidArgument, "invalid definition (format is type:glob, e.g., html:*.html)")
                }
                globsByName[name, default: []].append(String(glob))
            }
        }
    }

    /// The filter for the selections among `changes` (after applying the others in
    /// order), or `nil` when nothing is selected or negated.
    ///
    /// - Throws: ``CoreError`` with `.invalidArgument` naming a type that does not exist
    ///   (ripgrep's "unrecognized file type: NAME"), or `.invalidGlob` for a glob that
    ///   does not compile.
    public func filter(_ changes: [Change]) throws(CoreError) -> FileTypeFilter? {
        var types = self
        var selections: [(negated: Bool, name: String)] = []
        for change in changes {
            switch change {
            case .select(let name): selections.append((false, name))
            case .negate(let name): selections.append((true, name))
            default: try types.apply(change)
            }
        }
        guard !selections.isEmpty else { return nil }
        var rules: [FileTypeFilter.Rule] = []
        for selection in selections {
            let names = selection.name == "all" ? types.globsByName.keys.sorted() : [selection.name]
            for name in names {
                guard let globs = types.globsByName[name] else {
                    throw CoreError(.invalidArgument, "unrecognized file type: \(name)")
                }
                for pattern in globs {
                    rules.append(FileTypeFilter.Rule(glob: try Glob(pattern), negated: selection.negated))
                }
            }
        }
        return FileTypeFilter(rules: rules, hasSelection: selections.contains { !$0.negated })
    }
}

/// The file types chosen with `-t` and `-T`, compiled: decides a file by its name.
public struct FileTypeFilter: Sendable {
    struct Rule: Sendable {
        let glob: Glob
        let negated: Bool
    }

    let rules: [Rule]
    /// Whether a `-t` was given, so that files of no selected type are left out.
    let hasSelection: Bool

    /// Decides a file as ripgrep's `Types::matched` does: the last selection whose glob
    /// matches decides (`-t` whitelists, `-T` ignores); a file nothing matches is
    /// ignored when a type was selected. Directories are never decided by type: the
    /// caller does not ask for them.
    ///
    /// - Parameter fileName: The file's name, without its directory.
    public func match(fileName: UnsafeBufferPointer<UInt8>) -> IgnoreMatch {
        var index = rules.count - 1
        while index >= 0 {
            if rules[index].glob.matches(fileName) { return rules[index].negated ? .ignore : .whitelist }
            index -= 1
        }
        return hasSelection ? .ignore : .none
    }

    /// Decides a file name given as a string; see ``match(fileName:)-(UnsafeBufferPointer<UInt8>)``.
    public func match(fileName: String) -> IgnoreMatch {
        var name = fileName
        return name.withUTF8 { match(fileName: $0) }
    }
}
