/// Rewrites a `search` or `files` command line from ripgrep's syntax into the forms
/// ArgumentParser accepts, before ArgumentParser sees it.
///
/// ripgrep (14, through lexopt) accepts what ArgumentParser does not:
/// - a short option's value attached (`-C1`, `-m1`, `-tpy`, `-C=1`) or at the end of a
///   bundle (`-inC2`);
/// - a value that starts with `-`, separate (`-e -test`, `--regexp -x`) or attached
///   (`-e-baz`, `--regexp=-x`);
/// - a flag given again, or a flag followed by one that contradicts it (`-i -s`,
///   `--heading --no-heading`, `-c -l`): the last one wins;
/// - negations that only undo an earlier flag (`--no-hidden`, `--ignore`,
///   `--no-fixed-strings`);
/// - `-u`, `-uu`, `-uuu` as `--no-ignore`, then `--hidden`, then `--binary`.
///
/// The rewrite turns every option into `--long` or `--long=value`, keeps only the last
/// of each group of contradicting flags, and moves the positional arguments after a
/// `--`, so a pattern or path that starts with `-` (after `--`, or `-` for stdin) stays
/// positional. Tokens it does not know are passed on unchanged, so ArgumentParser still
/// reports unknown options in its own words. See docs/design/0008-ripgrep-arguments.md.
enum RipgrepArguments {
    /// One option of a command, under the long name ArgumentParser knows it by.
    struct Option: Sendable {
        var long: String
        var short: Character?
        /// Takes a value (the next argument, whatever it starts with, or an attached one).
        var takesValue = false
        /// May be given several times, every value kept (`-e`, `-g`); otherwise the
        /// last occurrence wins.
        var repeatable = false
        /// Options in one group contradict each other: only the last one given counts.
        var group: String?
        /// Only undoes the other members of its group; not passed on.
        var isNegation = false
        /// Passed on as this other option, with this before the value
        /// (`-t py` becomes `--type-change=select:py`).
        var rewrite: (long: String, prefix: String)?
    }

    /// The options of one command.
    ///
    /// Looked up by a linear search: a command line has a few options, and building
    /// dictionaries of these at every start cost more than all the searches (issue 18).
    struct Table: Sendable {
        let options: [Option]

        init(_ options: [Option]) { self.options = options }

        /// The option with this long name.
        func option(long: some StringProtocol) -> Option? {
            options.first { $0.long == long }
        }

        /// The option with this short letter.
        func option(short: Character) -> Option? {
            options.first { $0.short == short }
        }
    }

    /// Rewrites `arguments` if they start with the name of a command that speaks
    /// ripgrep's syntax; returns other command lines unchanged.
    ///
    /// - Parameter config: Arguments from the configuration file, put before the
    ///   command's own (so the command line overrides them), as ripgrep does with
    ///   `RIPGREP_CONFIG_PATH`.
    static func normalize(_ arguments: [String], config: [String] = []) -> [String] {
        guard let command = arguments.first, let table = table(for: command) else { return arguments }
        return [command] + normalize(config + arguments.dropFirst(), table: table)
    }

    /// The rewrite of one command's arguments (without the command's name).
    static func normalize(_ arguments: some Collection<String>, table: Table) -> [String] {
        // (key for "last wins", the token to pass on or nil for a negation)
        var options: [(key: String?, tokens: [String]?)] = []
        var positionals: [String] = []
        var unknown: [String] = []
        var rest = arguments[...]

        func add(_ option: Option, value: String?) {
            let long = option.rewrite?.long ?? option.long
            let prefix = option.rewrite?.prefix ?? ""
            // An empty value (`-r=`, `--replace=`) goes separately: ArgumentParser reads
            // `--replace=` as a missing value.
            let tokens = value.map { prefix.isEmpty && $0.isEmpty ? ["--\(long)", ""] : ["--\(long)=\(prefix)\($0)"] }
                ?? ["--\(long)"]
            let key = option.repeatable ? nil : option.group ?? option.long
            options.append((key, option.isNegation ? nil : tokens))
        }

        while let argument = rest.popFirst() {
            if argument == "--" {
                positionals.append(contentsOf: rest)
                break
            }
            if argument == "-" || !argument.hasPrefix("-") {
                positionals.append(argument)
                continue
            }
            if argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                let name = body.prefix { $0 != "=" }
                let attached = name.endIndex < body.endIndex ? String(body[body.index(after: name.endIndex)...]) : nil
                guard let option = table.option(long: name) else {
                    unknown.append(argument)
                    continue
                }
                if option.takesValue {
                    guard let value = attached ?? rest.popFirst() else {
                        unknown.append(argument)  // ArgumentParser says the value is missing.
                        continue
                    }
                    add(option, value: value)
                } else if attached != nil {
                    unknown.append(argument)  // ArgumentParser says a flag takes no value.
                } else {
                    add(option, value: nil)
                }
                continue
            }
            // A bundle of short options: flags, then perhaps one that takes the rest.
            var letters = argument.dropFirst()[...]
            var unrestricted = 0
            while let letter = letters.popFirst() {
                if letter == "u" {
                    unrestricted += 1
                    continue
                }
                guard let option = table.option(short: letter) else {
                    unknown.append("-\(letter)")
                    continue
                }
                guard option.takesValue else {
                    add(option, value: nil)
                    continue
                }
                var value: String? = letters.isEmpty ? rest.popFirst() : String(letters)
                // lexopt reads `-C=1` as `-C 1`.
                if !letters.isEmpty, letters.first == "=" { value = String(letters.dropFirst()) }
                letters = ""
                if let value { add(option, value: value) } else { unknown.append("-\(letter)") }
            }
            for level in Self.unrestrictedLevels.prefix(unrestricted) {
                if let option = table.option(long: level) { add(option, value: nil) }
            }
        }

        var lastIndex: [String: Int] = [:]
        for (index, option) in options.enumerated() {
            if let key = option.key { lastIndex[key] = index }
        }
        var result: [String] = []
        for (index, option) in options.enumerated() {
            if let key = option.key, lastIndex[key] != index { continue }
            if let tokens = option.tokens { result.append(contentsOf: tokens) }
        }
        result.append(contentsOf: unknown)
        if !positionals.isEmpty {
            result.append("--")
            result.append(contentsOf: positionals)
        }
        return result
    }

    /// What `-u`, `-uu` and `-uuu` add, one level each.
    static let unrestrictedLevels = ["no-ignore", "hidden", "binary"]

    /// Reads an `AIFS_CONFIG_PATH` file as ripgrep reads `RIPGREP_CONFIG_PATH`: one
    /// argument per line, blank lines and lines starting with `#` skipped, each line
    /// trimmed of surrounding whitespace.
    static func configArguments(contents: String) -> [String] {
        contents.split(separator: "\n", omittingEmptySubsequences: false).compactMap { line in
            let trimmed = line.trimmingWhitespace()
            return trimmed.isEmpty || trimmed.hasPrefix("#") ? nil : String(trimmed)
        }
    }

    // MARK: - The tables

    static let walkOptions: [Option] = [
        Option(long: "hidden", short: ".", group: "hidden"),
        Option(long: "no-hidden", group: "hidden", isNegation: true),
        Option(long: "no-ignore", group: "ignore"),
        Option(long: "ignore", group: "ignore", isNegation: true),
        Option(long: "no-ignore-parent", group: "ignore-parent"),
        Option(long: "ignore-parent", group: "ignore-parent", isNegation: true),
        Option(long: "no-ignore-vcs", group: "ignore-vcs"),
        Option(long: "ignore-vcs", group: "ignore-vcs", isNegation: true),
        Option(long: "no-ignore-dot", group: "ignore-dot"),
        Option(long: "ignore-dot", group: "ignore-dot", isNegation: true),
        Option(long: "no-ignore-exclude", group: "ignore-exclude"),
        Option(long: "ignore-exclude", group: "ignore-exclude", isNegation: true),
        Option(long: "no-ignore-global", group: "ignore-global"),
        Option(long: "ignore-global", group: "ignore-global", isNegation: true),
        Option(long: "no-ignore-files", group: "ignore-files"),
        Option(long: "ignore-files", group: "ignore-files", isNegation: true),
        Option(long: "no-require-git", group: "require-git"),
        Option(long: "require-git", group: "require-git", isNegation: true),
        Option(long: "ignore-file", takesValue: true, repeatable: true),
        Option(long: "ignore-file-case-insensitive", group: "ignore-file-case"),
        Option(long: "no-ignore-file-case-insensitive", group: "ignore-file-case", isNegation: true),
        Option(long: "follow", short: "L", group: "follow"),
        Option(long: "no-follow", group: "follow", isNegation: true),
        Option(long: "max-depth", short: "d", takesValue: true, group: "max-depth"),
        Option(long: "maxdepth", takesValue: true, group: "max-depth", rewrite: ("max-depth", "")),
        Option(long: "glob", short: "g", takesValue: true, repeatable: true),
        Option(long: "iglob", takesValue: true, repeatable: true),
        Option(long: "glob-case-insensitive", group: "glob-case"),
        Option(long: "no-glob-case-insensitive", group: "glob-case", isNegation: true),
        Option(long: "max-filesize", takesValue: true),
        Option(long: "one-file-system", group: "one-file-system"),
        Option(long: "no-one-file-system", group: "one-file-system", isNegation: true),
        Option(long: "sort", takesValue: true, group: "sort"),
        Option(long: "sortr", takesValue: true, group: "sort"),
        Option(long: "threads", short: "j", takesValue: true),
        Option(long: "type", short: "t", takesValue: true, repeatable: true, rewrite: ("type-change", "select:")),
        Option(long: "type-not", short: "T", takesValue: true, repeatable: true, rewrite: ("type-change", "negate:")),
        Option(long: "type-add", takesValue: true, repeatable: true, rewrite: ("type-change", "add:")),
        Option(long: "type-clear", takesValue: true, repeatable: true, rewrite: ("type-change", "clear:")),
        Option(long: "type-list"),
        Option(long: "no-messages", group: "messages"),
        Option(long: "messages", group: "messages", isNegation: true),
        Option(long: "null", short: "0"),
        Option(long: "no-config", isNegation: true),
        Option(long: "path-separator", takesValue: true),
    ]

    static let searchOptions: [Option] = walkOptions + [
        Option(long: "regexp", short: "e", takesValue: true, repeatable: true),
        Option(long: "fixed-strings", short: "F", group: "fixed-strings"),
        Option(long: "no-fixed-strings", group: "fixed-strings", isNegation: true),
        Option(long: "ignore-case", short: "i", group: "case"),
        Option(long: "smart-case", short: "S", group: "case"),
        Option(long: "case-sensitive", short: "s", group: "case"),
        Option(long: "word-regexp", short: "w", group: "boundary"),
        Option(long: "line-regexp", short: "x", group: "boundary"),
        Option(long: "invert-match", short: "v", group: "invert"),
        Option(long: "no-invert-match", group: "invert", isNegation: true),
        Option(long: "count", short: "c", group: "mode"),
        Option(long: "count-matches", group: "mode"),
        Option(long: "files-with-matches", short: "l", group: "mode"),
        Option(long: "files-without-match", group: "mode"),
        Option(long: "json", group: "mode"),
        // ripgrep 14: a mode that lists files wins over the search modes, in any order.
        Option(long: "files"),
        Option(long: "no-json", group: "mode", isNegation: true),
        Option(long: "only-matching", short: "o"),
        Option(long: "line-number", short: "n", group: "line-number"),
        Option(long: "no-line-number", short: "N", group: "line-number"),
        Option(long: "column", group: "column"),
        Option(long: "no-column", group: "column", isNegation: true),
        Option(long: "after-context", short: "A", takesValue: true),
        Option(long: "before-context", short: "B", takesValue: true),
        Option(long: "context", short: "C", takesValue: true),
        Option(long: "max-count", short: "m", takesValue: true),
        Option(long: "max-columns", short: "M", takesValue: true),
        // ripgrep 14: -a, --binary and their negations set one binary mode.
        Option(long: "text", short: "a", group: "binary"),
        Option(long: "no-text", group: "binary", isNegation: true),
        Option(long: "binary", group: "binary"),
        Option(long: "no-unicode", group: "unicode"),
        Option(long: "crlf", group: "crlf"),
        Option(long: "null-data", group: "null-data"),
        Option(long: "colors", takesValue: true, repeatable: true),
        Option(long: "search-zip", short: "z", group: "search-zip"),
        Option(long: "no-search-zip", group: "search-zip", isNegation: true),
        Option(long: "pre", takesValue: true, group: "pre"),
        Option(long: "no-pre", group: "pre", isNegation: true),
        Option(long: "pre-glob", takesValue: true, repeatable: true),
        Option(long: "multiline", short: "U", group: "multiline"),
        Option(long: "no-multiline", group: "multiline", isNegation: true),
        Option(long: "multiline-dotall", group: "multiline-dotall"),
        Option(long: "no-multiline-dotall", group: "multiline-dotall", isNegation: true),
        Option(long: "no-crlf", group: "crlf", isNegation: true),
        Option(long: "file", short: "f", takesValue: true, repeatable: true),
        Option(long: "replace", short: "r", takesValue: true, group: "replace"),
        Option(long: "no-replace", group: "replace", isNegation: true),
        Option(long: "byte-offset", short: "b", group: "byte-offset"),
        Option(long: "no-byte-offset", group: "byte-offset", isNegation: true),
        Option(long: "trim", group: "trim"),
        Option(long: "no-trim", group: "trim", isNegation: true),
        Option(long: "vimgrep"),
        Option(long: "max-columns-preview", group: "max-columns-preview"),
        Option(long: "no-max-columns-preview", group: "max-columns-preview", isNegation: true),
        Option(long: "passthru", group: "passthru"),
        Option(long: "passthrough", group: "passthru", rewrite: ("passthru", "")),
        Option(long: "pcre2", short: "P", group: "engine"),
        Option(long: "no-pcre2", group: "engine", isNegation: true),
        Option(long: "engine", takesValue: true, group: "engine"),
        Option(long: "regex-size-limit", takesValue: true),
        Option(long: "dfa-size-limit", takesValue: true),
        Option(long: "unicode", group: "unicode", isNegation: true),
        Option(long: "encoding", short: "E", takesValue: true, group: "encoding"),
        Option(long: "no-encoding", group: "encoding", isNegation: true),
        Option(long: "no-binary", group: "binary", isNegation: true),
        Option(long: "stats", group: "stats"),
        Option(long: "no-stats", group: "stats", isNegation: true),
        Option(long: "quiet", short: "q"),
        Option(long: "with-filename", short: "H", group: "filename"),
        Option(long: "no-filename", short: "I", group: "filename"),
        Option(long: "heading", group: "heading"),
        Option(long: "no-heading", group: "heading"),
        Option(long: "color", takesValue: true),
        Option(long: "include-zero", group: "include-zero"),
        Option(long: "no-include-zero", group: "include-zero", isNegation: true),
        Option(long: "context-separator", takesValue: true, group: "context-separator"),
        Option(long: "no-context-separator", group: "context-separator"),
        Option(long: "field-context-separator", takesValue: true),
        Option(long: "field-match-separator", takesValue: true),
    ]

    /// The options of a command that speaks ripgrep's syntax; `nil` for the others.
    static func table(for command: String) -> Table? {
        switch command {
        case "search": searchTable
        case "files": filesTable
        default: nil
        }
    }

    private static let searchTable = Table(searchOptions)
    private static let filesTable = Table(walkOptions)
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        var result = self
        while let first = result.first, first.isWhitespace { result.removeFirst() }
        while let last = result.last, last.isWhitespace { result.removeLast() }
        return result
    }
}
