import ArgumentParser

/// Builds `search` and `files` commands straight from their rewritten arguments
/// (``RipgrepArguments``), without ArgumentParser's parse.
///
/// ArgumentParser learns a command's options by reflecting on its property wrappers at
/// every start: for `aifs search PATTERN DIR`, 3.7 ms of the 10.4 ms the process took,
/// where `rg` takes 3.9 ms in all (issue 18). After the rewrite, a command line that
/// parses is a list of `--long` and `--long=value` tokens, `--`, then the positional
/// arguments; reading that takes microseconds. The values go into the plain structures
/// both parsers fill (``SearchArguments``, ``FilesArguments``), which hold `run()` and
/// `validate()`; `--help` stays ArgumentParser's.
///
/// Whenever this parser is not sure, it answers `nil` and ArgumentParser parses the
/// command line as before, so errors keep their wording and status: an option it does
/// not know (`--help`, `--version`, a misspelling), a value that does not convert, a
/// flag given a value, a command line that fails `validate()`. An option of the tables
/// that no property here reads also answers `nil`: a new flag is slower until it is
/// wired here, never wrong.
///
/// The end-to-end tests compare the commands both parsers build, flag by flag
/// (`AIFS_TEST_PARSED_COMMAND`, see ``AIFSCommand``).
enum DirectParsing {
    /// A command read without ArgumentParser.
    enum Command {
        case search(SearchArguments)
        case files(FilesArguments)

        func run() throws {
            switch self {
            case .search(let arguments): try arguments.run()
            case .files(let arguments): try arguments.run()
            }
        }

        /// The values read, for the tests (``AIFSCommand/printParsedCommand(_:forcingArgumentParser:)``).
        var values: String {
            switch self {
            case .search(let arguments): String(reflecting: arguments)
            case .files(let arguments): String(reflecting: arguments)
            }
        }
    }

    /// The command, or `nil` when ArgumentParser must parse `arguments`.
    static func command(_ arguments: [String]) -> Command? {
        guard let name = arguments.first, let table = RipgrepArguments.table(for: name),
              let options = ParsedOptions(arguments.dropFirst(), table: table)
        else { return nil }
        do throws(ParsedOptions.Unparsable) {
            switch name {
            case "search":
                let search = try SearchArguments(options)
                guard options.consumedAll, (try? search.validate()) != nil else { return nil }
                return .search(search)
            case "files":
                let files = try FilesArguments(options)
                guard options.consumedAll else { return nil }
                return .files(files)
            default:
                return nil
            }
        } catch {
            return nil
        }
    }
}

/// The options of one rewritten command line, in order; each read marks the options
/// of its name as consumed.
///
/// A plain array searched linearly: a command line has a few options, and a dictionary
/// of arrays cost more at start than every lookup (its generic metadata is built at run
/// time).
///
/// ## Threading
/// One parse, on one thread.
final class ParsedOptions {
    /// A value that does not convert, or a flag given a value: ArgumentParser decides.
    struct Unparsable: Error {}

    private struct Entry {
        let name: String
        /// `nil` for a flag.
        let value: String?
        var consumed = false
    }

    private var entries: [Entry] = []
    let positionals: [String]

    /// Reads rewritten arguments; `nil` for any token that is not `--long`,
    /// `--long=value` or `--long VALUE` (an empty value) before the `--`.
    init?(_ arguments: ArraySlice<String>, table: RipgrepArguments.Table) {
        var rest = arguments
        var positionals: [String] = []
        while let argument = rest.popFirst() {
            if argument == "--" {
                positionals = Array(rest)
                break
            }
            guard argument.hasPrefix("--") else { return nil }
            let body = argument.dropFirst(2)
            let name = String(body.prefix { $0 != "=" })
            var value: String?
            if name.utf8.count < body.utf8.count {
                value = String(body.dropFirst(name.utf8.count + 1))
            } else if table.option(long: name)?.takesValue == true {
                // `--replace ""`: the rewrite passes an empty value separately.
                guard let next = rest.popFirst() else { return nil }
                value = next
            }
            entries.append(Entry(name: name, value: value))
        }
        self.positionals = positionals
    }

    /// Whether every option given was read by the command.
    var consumedAll: Bool { entries.allSatisfy(\.consumed) }

    /// The values given for `name` (`nil` for each time it was given as a flag), marked
    /// as consumed.
    private func take(_ name: String) -> [String?] {
        var found: [String?] = []
        for index in entries.indices where entries[index].name == name {
            entries[index].consumed = true
            found.append(entries[index].value)
        }
        return found
    }

    /// Whether the flag was given.
    func flag(_ name: String) throws(Unparsable) -> Bool {
        let found = take(name)
        guard found.allSatisfy({ $0 == nil }) else { throw Unparsable() }
        return !found.isEmpty
    }

    /// The value of an option given once (or the last one given).
    func string(_ name: String) throws(Unparsable) -> String? {
        try list(name).last
    }

    /// The values of a repeatable option.
    func list(_ name: String) throws(Unparsable) -> [String] {
        var values: [String] = []
        for value in take(name) {
            guard let value else { throw Unparsable() }
            values.append(value)
        }
        return values
    }

    /// A number, read as ArgumentParser reads an `Int`.
    func integer(_ name: String) throws(Unparsable) -> Int? {
        guard let text = try string(name) else { return nil }
        guard let value = Int(text) else { throw Unparsable() }
        return value
    }

    /// One of an enumeration's raw values.
    func choice<Choice: RawRepresentable<String>>(_ name: String, as type: Choice.Type) throws(Unparsable) -> Choice? {
        guard let text = try string(name) else { return nil }
        guard let value = Choice(rawValue: text) else { throw Unparsable() }
        return value
    }
}

// Each initializer below gives every value through the memberwise initializer, which
// has no defaults: the compiler checks that none is forgotten.

extension SearchArguments {
    init(_ options: ParsedOptions) throws(ParsedOptions.Unparsable) {
        self.init(
            positionals: options.positionals,
            patterns: try options.list("regexp"),
            fixedStrings: try options.flag("fixed-strings"),
            ignoreCase: try options.flag("ignore-case"),
            smartCase: try options.flag("smart-case"),
            caseSensitive: try options.flag("case-sensitive"),
            wordRegexp: try options.flag("word-regexp"),
            lineRegexp: try options.flag("line-regexp"),
            invertMatch: try options.flag("invert-match"),
            count: try options.flag("count"),
            countMatches: try options.flag("count-matches"),
            filesWithMatches: try options.flag("files-with-matches"),
            filesWithoutMatch: try options.flag("files-without-match"),
            onlyMatching: try options.flag("only-matching"),
            lineNumber: try options.flag("line-number"),
            noLineNumber: try options.flag("no-line-number"),
            column: try options.flag("column"),
            afterContext: try options.integer("after-context"),
            beforeContext: try options.integer("before-context"),
            context: try options.integer("context"),
            maxCount: try options.integer("max-count"),
            json: try options.flag("json"),
            text: try options.flag("text"),
            encoding: try options.string("encoding"),
            patternFiles: try options.list("file"),
            replace: try options.string("replace"),
            byteOffset: try options.flag("byte-offset"),
            trim: try options.flag("trim"),
            vimgrep: try options.flag("vimgrep"),
            maxColumnsPreview: try options.flag("max-columns-preview"),
            passthru: try options.flag("passthru"),
            pcre2: try options.flag("pcre2"),
            engine: try options.string("engine"),
            regexSizeLimit: try options.string("regex-size-limit"),
            dfaSizeLimit: try options.string("dfa-size-limit"),
            searchZip: try options.flag("search-zip"),
            pre: try options.string("pre"),
            preGlobs: try options.list("pre-glob"),
            multiline: try options.flag("multiline"),
            multilineDotall: try options.flag("multiline-dotall"),
            colorSpecs: try options.list("colors"),
            nullData: try options.flag("null-data"),
            crlf: try options.flag("crlf"),
            noUnicode: try options.flag("no-unicode"),
            binary: try options.flag("binary"),
            stats: try options.flag("stats"),
            quiet: try options.flag("quiet"),
            withFilename: try options.flag("with-filename"),
            noFilename: try options.flag("no-filename"),
            heading: try options.flag("heading"),
            noHeading: try options.flag("no-heading"),
            color: try options.choice("color", as: SearchCommand.ColorChoice.self) ?? .auto,
            null: try options.flag("null"),
            listFiles: try options.flag("files"),
            maxColumns: try options.integer("max-columns"),
            includeZero: try options.flag("include-zero"),
            contextSeparator: try options.string("context-separator"),
            noContextSeparator: try options.flag("no-context-separator"),
            fieldContextSeparator: try options.string("field-context-separator"),
            fieldMatchSeparator: try options.string("field-match-separator"),
            walk: try WalkArguments(options),
            listing: try ListingArguments(options)
        )
    }
}

extension FilesArguments {
    init(_ options: ParsedOptions) throws(ParsedOptions.Unparsable) {
        self.init(
            walk: try WalkArguments(options), listing: try ListingArguments(options), null: try options.flag("null"),
            paths: options.positionals)
    }
}

extension WalkArguments {
    init(_ options: ParsedOptions) throws(ParsedOptions.Unparsable) {
        self.init(
            hidden: try options.flag("hidden"),
            noIgnore: try options.flag("no-ignore"),
            noIgnoreParent: try options.flag("no-ignore-parent"),
            noIgnoreVCS: try options.flag("no-ignore-vcs"),
            noIgnoreDot: try options.flag("no-ignore-dot"),
            noIgnoreExclude: try options.flag("no-ignore-exclude"),
            noIgnoreGlobal: try options.flag("no-ignore-global"),
            noIgnoreFiles: try options.flag("no-ignore-files"),
            noRequireGit: try options.flag("no-require-git"),
            ignoreFiles: try options.list("ignore-file"),
            ignoreFileCaseInsensitive: try options.flag("ignore-file-case-insensitive"),
            follow: try options.flag("follow"),
            maxDepth: try options.integer("max-depth"),
            globs: try options.list("glob"),
            globCaseInsensitive: try options.flag("glob-case-insensitive"),
            iglobs: try options.list("iglob"),
            maxFileSize: try options.string("max-filesize"),
            oneFileSystem: try options.flag("one-file-system"),
            sort: try options.choice("sort", as: WalkFlags.SortMode.self),
            sortReverse: try options.choice("sortr", as: WalkFlags.SortMode.self),
            threads: try options.integer("threads") ?? 0
        )
    }
}

extension ListingArguments {
    init(_ options: ParsedOptions) throws(ParsedOptions.Unparsable) {
        // The rewrite turns -t, -T, --type-add and --type-clear into --type-change.
        self.init(
            types: [],
            typesNot: [],
            typeAdds: [],
            typeClears: [],
            typeChanges: try options.list("type-change"),
            typeList: try options.flag("type-list"),
            noMessages: try options.flag("no-messages"),
            pathSeparator: try options.string("path-separator")
        )
    }
}
