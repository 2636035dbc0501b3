import AIFS
@_spi(Syscalls) import AIFSCore
import AIFSProcess
import AIFSSearch
import ArgumentParser
import Synchronization

/// `aifs search`: ripgrep's flags, output and exit codes over the streaming parallel
/// searcher.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search files for lines matching a pattern (ripgrep's flags and output).",
        discussion: """
            PATTERN is a PCRE2 regular expression unless -F is given. With -e, every \
            positional argument is a PATH. Files are chosen as by `aifs files`. Exit \
            status: 0 if a line matched, 1 if none did, 2 on any error.
            """
    )

    @Argument(help: ArgumentHelp("The pattern (unless -e is used), then files and directories to search.", valueName: "PATTERN | PATH"))
    var positionals: [String] = []

    @Option(name: [.customShort("e"), .customLong("regexp")], help: ArgumentHelp("A pattern to search for; may be repeated (a line matches if any does).", valueName: "PATTERN"))
    var patterns: [String] = []

    @Flag(name: [.customShort("F"), .customLong("fixed-strings")], help: "Treat patterns as literal strings.")
    var fixedStrings = false

    @Flag(name: [.customShort("i"), .customLong("ignore-case")], help: "Search case-insensitively.")
    var ignoreCase = false

    @Flag(name: [.customShort("S"), .customLong("smart-case")], help: "Search case-insensitively unless a pattern has an uppercase letter.")
    var smartCase = false

    @Flag(name: [.customShort("s"), .customLong("case-sensitive")], help: "Search case-sensitively (the default; overrides -i and -S).")
    var caseSensitive = false

    @Flag(name: [.customShort("w"), .customLong("word-regexp")], help: "Only match whole words.")
    var wordRegexp = false

    @Flag(name: [.customShort("x"), .customLong("line-regexp")], help: "Only match whole lines.")
    var lineRegexp = false

    @Flag(name: [.customShort("v"), .customLong("invert-match")], help: "Print the lines that do not match.")
    var invertMatch = false

    @Flag(name: [.customShort("c"), .customLong("count")], help: "Print the number of matching lines per file.")
    var count = false

    @Flag(name: .customLong("count-matches"), help: "Print the number of matches per file.")
    var countMatches = false

    @Flag(name: [.customShort("l"), .customLong("files-with-matches")], help: "Print only the paths of files with a match.")
    var filesWithMatches = false

    @Flag(name: .customLong("files-without-match"), help: "Print only the paths of files without a match.")
    var filesWithoutMatch = false

    @Flag(name: [.customShort("o"), .customLong("only-matching")], help: "Print each match on its own line, not whole lines.")
    var onlyMatching = false

    @Flag(name: [.customShort("n"), .customLong("line-number")], help: "Print line numbers (the default on a terminal).")
    var lineNumber = false

    @Flag(name: [.customShort("N"), .customLong("no-line-number")], help: "Do not print line numbers.")
    var noLineNumber = false

    @Flag(name: .customLong("column"), help: "Print the column of the first match (implies -n).")
    var column = false

    @Option(name: [.customShort("A"), .customLong("after-context")], help: ArgumentHelp("Print NUM lines after each match.", valueName: "NUM"))
    var afterContext: Int?

    @Option(name: [.customShort("B"), .customLong("before-context")], help: ArgumentHelp("Print NUM lines before each match.", valueName: "NUM"))
    var beforeContext: Int?

    @Option(name: [.customShort("C"), .customLong("context")], help: ArgumentHelp("Print NUM lines before and after each match.", valueName: "NUM"))
    var context: Int?

    @Option(name: [.customShort("m"), .customLong("max-count")], help: ArgumentHelp("Stop each file after NUM matching lines.", valueName: "NUM"))
    var maxCount: Int?

    @Flag(name: .customLong("json"), help: "Print results as JSON Lines in ripgrep's format.")
    var json = false

    @Flag(name: [.customShort("a"), .customLong("text")], help: "Search binary files as if they were text.")
    var text = false

    @Option(name: [.customShort("E"), .customLong("encoding")], help: ArgumentHelp("Read files in this encoding (a WHATWG label such as utf-16le, latin1, sjis, euc-jp, gbk; 'none' for raw bytes; 'auto', the default, transcodes UTF-16 files with a byte-order mark).", valueName: "ENCODING"))
    var encoding: String?

    @Option(name: [.customShort("f"), .customLong("file")], help: ArgumentHelp("Read patterns from FILE, one per line ('-' for standard input); may be repeated, and combined with -e.", valueName: "PATTERNFILE"))
    var patternFiles: [String] = []

    @Option(name: [.customShort("r"), .customLong("replace")], help: ArgumentHelp("Print each match replaced by REPLACEMENT ($1 or ${1} a group, $name or ${name} a named group, $$ a $); files are not changed.", valueName: "REPLACEMENT"))
    var replace: String?

    @Flag(name: [.customShort("b"), .customLong("byte-offset")], help: "Print the byte offset in the file of each line (of each match with -o).")
    var byteOffset = false

    @Flag(name: .customLong("trim"), help: "Remove ASCII whitespace at the start of each printed line.")
    var trim = false

    @Flag(name: .customLong("vimgrep"), help: "Print every match on its own line, as PATH:LINE:COLUMN:LINE.")
    var vimgrep = false

    @Flag(name: .customLong("max-columns-preview"), help: "With -M, print the start of a long line instead of omitting it.")
    var maxColumnsPreview = false

    @Flag(name: .customLong("passthru"), help: "Print every line of each file searched, matching or not (non-matching lines as context).")
    var passthru = false

    @Flag(name: [.customShort("P"), .customLong("pcre2")], help: "Use PCRE2 (accepted for ripgrep compatibility: PCRE2 is always aifs's engine).")
    var pcre2 = false

    @Option(name: .customLong("engine"), help: ArgumentHelp("default, pcre2 or auto (accepted for ripgrep compatibility: PCRE2 is always aifs's engine).", valueName: "ENGINE"))
    var engine: String?

    @Option(name: .customLong("regex-size-limit"), help: ArgumentHelp("Accepted for ripgrep compatibility and checked, with no effect: PCRE2 has no such limit.", valueName: "NUM+SUFFIX?"))
    var regexSizeLimit: String?

    @Option(name: .customLong("dfa-size-limit"), help: ArgumentHelp("Accepted for ripgrep compatibility and checked, with no effect: aifs has no lazy DFA cache yet.", valueName: "NUM+SUFFIX?"))
    var dfaSizeLimit: String?

    @Flag(name: [.customShort("z"), .customLong("search-zip")], help: "Search compressed files (gzip, bzip2, xz, lzma, lz4, zstd, brotli, compress) through their decompressor programs, as ripgrep.")
    var searchZip = false

    @Option(name: .customLong("pre"), help: ArgumentHelp("Search the output of COMMAND PATH (the file also on its standard input) instead of each file; an empty value turns it off.", valueName: "COMMAND"))
    var pre: String?

    @Option(name: .customLong("pre-glob"), help: ArgumentHelp("Use --pre only for files matching GLOB (as -g); may be repeated.", valueName: "GLOB"))
    var preGlobs: [String] = []

    @Flag(name: [.customShort("U"), .customLong("multiline")], help: "Let matches span lines (\\n can be matched; ^ and $ match at every line). Each file is read into memory whole, as ripgrep does.")
    var multiline = false

    @Flag(name: .customLong("multiline-dotall"), help: "With -U, let . match \\n too.")
    var multilineDotall = false

    @Option(name: .customLong("colors"), help: ArgumentHelp("A colour spec, TYPE:fg|bg|style:VALUE or TYPE:none (TYPE: path, line, column, match); may be repeated.", valueName: "COLOR_SPEC"))
    var colorSpecs: [String] = []

    @Flag(name: .customLong("null-data"), help: "Lines end with NUL bytes instead of \\n (records; binary detection off), as ripgrep.")
    var nullData = false

    @Flag(name: .customLong("crlf"), help: "Treat \\r\\n as a line terminator too: $ matches before the \\r.")
    var crlf = false

    @Flag(name: .customLong("no-unicode"), help: "ASCII-only \\w, \\d, \\s, \\b and -w (Unicode-aware by default).")
    var noUnicode = false

    @Flag(name: .customLong("binary"), help: "Search binary files found in directories too, as files named explicitly are (a match prints \"binary file matches\").")
    var binary = false

    @Flag(name: .customLong("stats"), help: "Print statistics about the search at the end.")
    var stats = false

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Print nothing; exit 0 at the first match.")
    var quiet = false

    @Flag(name: [.customShort("H"), .customLong("with-filename")], help: "Print the path with each match (the default for directories and several files).")
    var withFilename = false

    @Flag(name: [.customShort("I"), .customLong("no-filename")], help: "Never print paths with matches.")
    var noFilename = false

    @Flag(name: .customLong("heading"), help: "Print each path once, above its matches (the default on a terminal).")
    var heading = false

    @Flag(name: .customLong("no-heading"), help: "Print the path on every line.")
    var noHeading = false

    @Option(name: .customLong("color"), help: ArgumentHelp("When to colour the output: never, auto, always.", valueName: "WHEN"))
    var color: ColorChoice = .auto

    @Flag(name: [.customShort("0"), .customLong("null")], help: "Follow each path with a NUL byte.")
    var null = false

    @Flag(name: .customLong("files"), help: "Print each file that would be searched, without searching (as `aifs files`); every positional argument is a PATH.")
    var listFiles = false

    @Option(name: [.customShort("M"), .customLong("max-columns")], help: ArgumentHelp("Print an \"[Omitted long line…]\" message instead of lines longer than NUM bytes (0: no limit).", valueName: "NUM"))
    var maxColumns: Int?

    @Flag(name: .customLong("include-zero"), help: "With -c or --count-matches, also print files with no match (a count of 0).")
    var includeZero = false

    @Option(name: .customLong("context-separator"), help: ArgumentHelp("The line between non-adjacent groups of context lines (escapes such as \\t and \\x7F work).", valueName: "SEPARATOR"))
    var contextSeparator: String?

    @Flag(name: .customLong("no-context-separator"), help: "Print nothing between non-adjacent groups of context lines.")
    var noContextSeparator = false

    @Option(name: .customLong("field-context-separator"), help: ArgumentHelp("Between the path, line number and text of a context line (default '-').", valueName: "SEPARATOR"))
    var fieldContextSeparator: String?

    @Option(name: .customLong("field-match-separator"), help: ArgumentHelp("Between the path, line number and text of a matching line (default ':').", valueName: "SEPARATOR"))
    var fieldMatchSeparator: String?

    @OptionGroup var walk: WalkFlags

    @OptionGroup var listing: ListingFlags

    enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
        case never, auto, always, ansi
    }

    func validate() throws {
        if let engine, !["default", "pcre2", "auto"].contains(engine) {
            throw ValidationError("invalid --engine value '\(engine)': expected default, pcre2 or auto")
        }
        for (name, value) in [("--regex-size-limit", regexSizeLimit), ("--dfa-size-limit", dfaSizeLimit)] {
            if let value, Self.sizeInBytes(value) == nil {
                throw ValidationError("invalid \(name) value '\(value)': expected a number with an optional K, M or G suffix")
            }
        }
        for (name, value) in [("-A", afterContext), ("-B", beforeContext), ("-C", context), ("-m", maxCount), ("-M", maxColumns)] {
            if let value, value < 0 { throw ValidationError("invalid \(name) value \(value): it must be 0 or more") }
        }
        let modes = [count, countMatches, filesWithMatches, filesWithoutMatch].filter { $0 }.count
        if json && (modes > 0 || onlyMatching) {
            throw ValidationError("--json cannot be combined with -c, --count-matches, -l, --files-without-match or -o")
        }
    }

    func run() throws {
        if listing.typeList {
            try Console.standardOutput.write(try listing.typeListing())
            return
        }
        if listFiles {
            // `rg --files`: patterns are not used, every positional is a path.
            var files = FilesCommand()
            files.walk = walk
            files.listing = listing
            files.null = null
            files.paths = positionals
            try files.run()
            return
        }
        let walkOptions = try walk.options(typeChanges: listing.fileTypeChanges)
        var allPatterns = patterns
        var paths = positionals
        for file in patternFiles {
            allPatterns += try Self.patterns(fromFile: file)
        }
        if allPatterns.isEmpty && !patternFiles.isEmpty {
            // Pattern files with no line: nothing matches, as in ripgrep.
            allPatterns = ["(?!)"]
        } else if allPatterns.isEmpty {
            guard !paths.isEmpty else {
                throw ValidationError("no pattern given: aifs search PATTERN [PATH...], or -e PATTERN")
            }
            allPatterns = [paths.removeFirst()]
        }
        // ripgrep reads standard input for `-`, and when given no path while standard
        // input is a file or a pipe (not a terminal, not /dev/null).
        // Patterns read from standard input (`-f -`) leave it out of the search.
        let implicitStandardInput = paths.isEmpty && StandardInput.isReadable && !patternFiles.contains("-")
        let namedPaths = implicitStandardInput ? ["-"] : paths
        let searchesStandardInput = namedPaths.contains("-")
        let walkPaths = paths.filter { $0 != "-" }
        let walks = !searchesStandardInput || !walkPaths.isEmpty

        if !multiline && !nullData, allPatterns.contains(where: { LiteralNewline.appears(in: $0, literal: fixedStrings) }) {
            try? Console.standardError.write("aifs: \(LiteralNewline.message)\n")
            throw ExitCode(2)
        }
        var query = SearchQuery(patterns: allPatterns)
        query.literal = fixedStrings && allPatterns != ["(?!)"]
        query.caseMode = caseSensitive ? .sensitive : ignoreCase ? .insensitive : smartCase ? .smart : .sensitive
        query.wordBoundary = wordRegexp
        query.wholeLine = lineRegexp
        query.unicode = !noUnicode
        // ripgrep's `^` and `$` match at every `\n` inside a NUL-terminated record.
        query.multiline = multiline || nullData
        query.dotAll = multilineDotall
        let matcher: any Matcher
        do { matcher = try query.makeMatcher() } catch {
            try? Console.standardError.write("aifs: \(error.message)\n")
            throw ExitCode(2)
        }
        if let problem = RegexMatcher.pcre2LoadProblem, matcher is RegexMatcher {
            try? Console.standardError.write("aifs: warning: \(problem); using the slower fallback regex engine\n")
        }

        let terminal = Console.standardOutput.isTerminal
        // ripgrep: -c with -o counts matches, as --count-matches does.
        let mode: StandardPrinter.Mode =
            count ? (onlyMatching ? .countMatches : .count) : countMatches ? .countMatches
            : filesWithMatches ? .filesWithMatches : filesWithoutMatch ? .filesWithoutMatch : .lines
        let listsFiles = mode == .filesWithMatches || mode == .filesWithoutMatch

        var searcher = SearcherConfiguration()
        searcher.invert = invertMatch
        searcher.beforeContext = beforeContext ?? context ?? 0
        searcher.afterContext = afterContext ?? context ?? 0
        if mode != .lines || json { searcher.beforeContext = 0; searcher.afterContext = 0 }
        searcher.maxReportedLines = maxCount
        searcher.passthru = passthru && mode == .lines
        searcher.crlf = crlf
        searcher.multiline = multiline
        if (listsFiles || quiet) && !stats { searcher.maxReportedLines = 1 }
        searcher.binaryDetection = text ? .none : binary ? .convert : .quit
        if nullData {
            // NUL ends records: nothing is binary.
            searcher.lineTerminator = 0
            searcher.binaryDetection = .none
        }
        if let encoding {
            do { searcher.encoding = try SearchEncoding(label: encoding) } catch {
                try? Console.standardError.write("aifs: \(error.message)\n")
                throw ExitCode(2)
            }
        }
        // ripgrep maps the files when at most 10 paths are given and all are files;
        // its binary detection then differs (see BinaryDetection.convertMapped).
        if !namedPaths.isEmpty && namedPaths.count <= 10 && namedPaths.allSatisfy(Self.isFile) {
            searcher.explicitBinaryDetection = .convertMapped
        }
        let showLineNumbers = !noLineNumber && (lineNumber || column || vimgrep || (terminal && !json && mode == .lines))
        searcher.lineNumbers = showLineNumbers || json
        // One big file is searched on as many threads as files are (`-j 1`: one).
        searcher.splitting.threads = walkOptions.threads

        var printer = StandardPrinter.Configuration()
        printer.byteOffset = byteOffset
        printer.crlf = crlf
        do { printer.colors = try ColorSpecs(colorSpecs) } catch {
            try? Console.standardError.write("aifs: \(error.message)\n")
            throw ExitCode(2)
        }
        if nullData { printer.lineTerminator = 0 }
        printer.multiline = multiline
        printer.replacement = replace.map { Replacement(RawArguments.bytes(of: $0)) }
        printer.trim = trim
        printer.vimgrep = vimgrep
        printer.maxColumnsPreview = maxColumnsPreview
        printer.mode = mode
        printer.withFilename = noFilename ? false : withFilename || vimgrep || Self.searchesSeveralFiles(namedPaths)
        printer.heading = printer.withFilename && !noHeading && !vimgrep && (heading || terminal)
        printer.color = color == .always || color == .ansi || (color == .auto && terminal)
        printer.lineNumber = showLineNumbers
        printer.column = (column || vimgrep) && !noLineNumber
        printer.onlyMatching = onlyMatching
        printer.invert = invertMatch
        printer.null = null
        printer.stats = stats
        printer.includeZeroCounts = includeZero
        printer.maxColumns = maxColumns
        if noContextSeparator {
            printer.contextSeparator = nil
        } else if let contextSeparator {
            printer.contextSeparator = Self.unescaped(contextSeparator)
        }
        if let fieldContextSeparator { printer.fieldContextSeparator = Self.unescaped(fieldContextSeparator) }
        if let fieldMatchSeparator { printer.fieldMatchSeparator = Self.unescaped(fieldMatchSeparator) }
        let context = searcher.beforeContext > 0 || searcher.afterContext > 0
        let separator = json || quiet ? nil : StandardPrinter.Configuration.ripgrepFileSeparator(
            heading: printer.heading, context: context, contextSeparator: printer.contextSeparator)
        printer.fileSeparator = nil

        let started = ContinuousClock.now
        let shared = SharedOutput(console: .standardOutput, separator: separator, sorted: walkOptions.sortByPath)
        let report = SearchReport()
        var fileHandling = FileHandling(pathSeparator: try listing.pathSeparatorByte(), quietErrors: listing.noMessages)
        fileHandling.preprocessing.searchZip = searchZip
        fileHandling.preprocessing.command = pre.flatMap { $0.isEmpty ? nil : $0 }
        if !preGlobs.isEmpty {
            do { fileHandling.preprocessing.globs = try OverrideGlobs(preGlobs) } catch {
                try? Console.standardError.write("aifs: \(error.message)\n")
                throw ExitCode(2)
            }
        }
        let files = fileHandling
        var jsonConfiguration = JSONPrinter.Configuration()
        jsonConfiguration.invert = invertMatch
        jsonConfiguration.crlf = crlf
        if nullData { jsonConfiguration.lineTerminator = 0 }
        // -q --stats still counts everything for the statistics: a printer whose
        // output goes nowhere.
        let style: OutputStyle =
            quiet ? (stats ? .discarded(printer) : .quiet) : json ? .json(jsonConfiguration) : .standard(printer)
        do {
            if searchesStandardInput {
                // Before the walk, so its output comes first.
                let handler = PrintingHandler(
                    style: style, matcher: matcher, output: GroupedOutput(shared: shared), report: report, files: files)
                handler.searchStandardInput(with: Searcher(matcher: matcher, configuration: searcher))
                handler.finish()
            }
            if walks, let order = walk.collectedOrder {
                // ripgrep's way for these orders: the whole walk, sorted, then one
                // file at a time.
                let (entries, errors) = try Walker(options: walkOptions).collect(pathBytes: walkPaths.map(RawArguments.bytes(of:)))
                let handler = PrintingHandler(
                    style: style, matcher: matcher, output: GroupedOutput(shared: shared), report: report, files: files)
                for error in errors { handler.walkError(error) }
                let fileSearcher = Searcher(matcher: matcher, configuration: searcher)
                for entry in try order.sorted(entries) where PrintingHandler.isSearched(entry) {
                    if handler.shouldStop { break }
                    let binaryDetection = searcher.binaryDetection(isExplicit: entry.isExplicit)
                    handler.search(entry: entry, sequence: nil, binaryDetection: binaryDetection, with: fileSearcher)
                }
                handler.finish()
            } else if walks {
                // Unrestricted, so no roots to resolve paths in: the search straight away,
                // with the paths as typed, byte for byte.
                let search = try ParallelSearch(walkOptions: walkOptions, matcher: matcher, configuration: searcher)
                search.run(pathBytes: walkPaths.map(RawArguments.bytes(of:))) {
                    PrintingHandler(style: style, matcher: matcher, output: GroupedOutput(shared: shared), report: report, files: files)
                }
            }
        } catch let error as CoreError {
            try? Console.standardError.write("aifs: \(error.message)\n")
            throw ExitCode(2)
        }

        var totals = report.totals
        if quiet { totals.bytesPrinted = 0 }
        if json {
            try? Console.standardOutput.write(JSONPrinter.summaryMessage(stats: totals, totalElapsed: ContinuousClock.now - started))
        } else if stats {
            try? Console.standardOutput.write(totals.formatted(totalElapsed: ContinuousClock.now - started))
        }
        if namedPaths.isEmpty && report.searched.load(ordering: .relaxed) == 0 {
            // ripgrep's words (it names itself), which also make the exit status 2.
            if !listing.noMessages { try? Console.standardError.write(Self.nothingSearched) }
            report.errored.store(true, ordering: .relaxed)
        }
        // --files-without-match succeeds when it printed a path: a file did not match.
        let succeeded = mode == .filesWithoutMatch && !quiet
            ? report.printedPath.load(ordering: .relaxed) : report.matched.load(ordering: .relaxed)
        if quiet && succeeded { throw ExitCode(0) }
        if report.errored.load(ordering: .relaxed) { throw ExitCode(2) }
        if !succeeded { throw ExitCode(1) }
    }

    /// What ripgrep says when every file was filtered out of a search of the current
    /// directory.
    static let nothingSearched = """
        No files were searched, which means ripgrep probably applied a filter you didn't expect.
        Running with --debug will show why files are being skipped.

        """

    /// A separator as ripgrep reads it: `\t`, `\n`, `\r`, `\0`, `\\` and `\xHH` escapes
    /// give their bytes; anything else is taken as written.
    static func unescaped(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        var result: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < bytes.count else {
                result.append(byte)
                index += 1
                continue
            }
            let next = bytes[index + 1]
            switch next {
            case UInt8(ascii: "t"): result.append(0x09)
            case UInt8(ascii: "n"): result.append(0x0A)
            case UInt8(ascii: "r"): result.append(0x0D)
            case UInt8(ascii: "0"): result.append(0x00)
            case UInt8(ascii: "\\"): result.append(next)
            case UInt8(ascii: "x") where index + 3 < bytes.count:
                if let value = UInt8(String(decoding: bytes[(index + 2)...(index + 3)], as: UTF8.self), radix: 16) {
                    result.append(value)
                    index += 4
                    continue
                }
                result.append(contentsOf: [byte, next])
            default: result.append(contentsOf: [byte, next])
            }
            index += 2
        }
        return result
    }

    /// ripgrep's sizes: a number with an optional K, M or G suffix.
    static func sizeInBytes(_ text: String) -> Int? {
        var digits = Substring(text)
        var multiplier = 1
        switch digits.last {
        case "K", "k": multiplier = 1 << 10
        case "M", "m": multiplier = 1 << 20
        case "G", "g": multiplier = 1 << 30
        default: break
        }
        if multiplier > 1 { digits = digits.dropLast() }
        guard let value = Int(digits), value >= 0 else { return nil }
        return value.multipliedReportingOverflow(by: multiplier).overflow ? nil : value * multiplier
    }

    /// The patterns of a `-f` file, one per line (a `\r` before the `\n` dropped, as
    /// ripgrep's line reading does); `-` reads standard input.
    static func patterns(fromFile path: String) throws -> [String] {
        let bytes: [UInt8]
        do {
            if path == "-" {
                bytes = try readAll(ReadableFile(standardInputNamed: "<stdin>"))
            } else {
                bytes = try readAll(ReadableFile(pathBytes: RawArguments.bytes(of: path)))
            }
        } catch {
            try? Console.standardError.write("aifs: \(path): \(error.message)\n")
            throw ExitCode(2)
        }
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines.map { line in
            String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self)
        }
    }

    private static func readAll(_ file: borrowing ReadableFile) throws(CoreError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = try chunk.withUnsafeMutableBytes { buffer in Result { () throws(CoreError) in try file.read(into: buffer) } }.get()
            if count == 0 { return bytes }
            bytes += chunk[..<count]
        }
    }

    /// Whether `path` names a file (symbolic links followed), as Rust's `Path::is_file`.
    static func isFile(_ path: String) -> Bool {
        guard path != "-" else { return false }
        return (try? FileSystemCalls.status(pathBytes: RawArguments.bytes(of: path), followSymlinks: true))?.kind == .regular
    }

    /// ripgrep shows paths unless exactly one path is given and it is not a directory.
    static func searchesSeveralFiles(_ paths: [String]) -> Bool {
        guard paths.count == 1 else { return true }
        return (try? FileSystemCalls.status(pathBytes: RawArguments.bytes(of: paths[0]), followSymlinks: true))?.kind == .directory
    }
}

/// Which printer a worker uses.
enum OutputStyle: Sendable {
    case standard(StandardPrinter.Configuration)
    case json(JSONPrinter.Configuration)
    case quiet
    /// `-q --stats`: the standard printer for its statistics, its output dropped.
    case discarded(StandardPrinter.Configuration)
}

/// What all workers found, for the exit code and `--stats`.
final class SearchReport: Sendable {
    let matched = Atomic<Bool>(false)
    let errored = Atomic<Bool>(false)
    /// `--files-without-match` printed a path.
    let printedPath = Atomic<Bool>(false)
    /// Files searched, for ripgrep's "No files were searched" message.
    let searched = Atomic<Int>(0)
    private let stats = Mutex(Stats())

    func add(_ more: Stats) { stats.withLock { $0.add(more) } }
    var totals: Stats { stats.withLock { $0 } }
}

/// Searches one worker's files and prints their results through the worker's output.
final class PrintingHandler: SearchHandler {
    private let standard: StandardPrinter?
    private let json: JSONPrinter?
    private let quiet: QuietSink?
    private let output: GroupedOutput
    private let report: SearchReport
    private let files: FileHandling

    init(style: OutputStyle, matcher: any Matcher, output: GroupedOutput, report: SearchReport, files: FileHandling) {
        self.output = output
        self.report = report
        self.files = files
        switch style {
        case .standard(let configuration):
            standard = StandardPrinter(configuration: configuration, matcher: matcher, target: output)
            json = nil
            quiet = nil
        case .json(let configuration):
            standard = nil
            json = JSONPrinter(configuration: configuration, matcher: matcher, target: output)
            quiet = nil
        case .quiet:
            standard = nil
            json = nil
            quiet = QuietSink()
        case .discarded(let configuration):
            standard = StandardPrinter(configuration: configuration, matcher: matcher, target: DiscardingTarget())
            json = nil
            quiet = nil
        }
    }

    var shouldStop: Bool {
        (quiet != nil && report.matched.load(ordering: .relaxed)) || output.hasFailed
    }

    func search(_ task: SearchTask, with searcher: Searcher) {
        search(entry: task.entry, sequence: task.sequence, binaryDetection: task.binaryDetection, with: searcher)
    }

    /// Searches one file found by the walk (or named on the command line).
    func search(entry: WalkEntry, sequence: Int?, binaryDetection: BinaryDetection, with searcher: Searcher) {
        if shouldStop { return }
        output.beginFile(sequence: sequence)
        standard?.binaryDetection = binaryDetection
        searchFile(with: searcher) { sink throws(SearchError) in
            let shown = files.displayPath(entry.pathBytes)
            if files.preprocessing.isActive, let program = files.preprocessing.program(for: entry.pathBytes) {
                // A command's output is read, never mapped.
                let detection: BinaryDetection = binaryDetection == .convertMapped ? .convert : binaryDetection
                standard?.binaryDetection = detection
                let started = try searcher.search(
                    outputOf: program.executable, arguments: program.arguments, inputPath: entry.pathBytes,
                    displayPath: shown, binaryDetection: detection, sink: sink)
                if started { return }
                if files.preprocessing.command == program.executable {
                    let path = String(decoding: shown, as: UTF8.self)
                    throw SearchError(
                        .io, "\(path): preprocessor command could not start: '\(program.executable)'", path: path)
                }
                // -z without the decompressor installed: the file itself, as ripgrep.
                standard?.binaryDetection = binaryDetection
            }
            try searcher.search(pathBytes: entry.pathBytes, displayPath: shown, binaryDetection: binaryDetection, sink: sink)
        }
    }

    /// ripgrep searches regular files, and anything named explicitly that is not a
    /// directory (as the parallel search does).
    static func isSearched(_ entry: WalkEntry) -> Bool {
        entry.isExplicit ? entry.kind != .directory : entry.kind == .regular
    }

    /// Searches standard input, shown as `<stdin>` as ripgrep does; like a file named
    /// on the command line, its binary data is not a reason to stop.
    func searchStandardInput(with searcher: Searcher) {
        output.beginFile(sequence: nil)
        // Standard input is never mapped.
        let binaryDetection: BinaryDetection = searcher.configuration.binaryDetection == .none ? .none : .convert
        standard?.binaryDetection = binaryDetection
        searchFile(with: searcher) { sink throws(SearchError) in
            let file: ReadableFile
            do throws(CoreError) { file = try ReadableFile(standardInputNamed: "<stdin>") } catch { throw SearchError(error) }
            try searcher.search(
                file: file, displayPath: Array("<stdin>".utf8), binaryDetection: binaryDetection, sink: sink)
        }
    }

    /// Runs one file's search into the sink, then records what it found.
    private func searchFile(with searcher: Searcher, _ body: (any Sink) throws(SearchError) -> Void) {
        do {
            try body(sink)
        } catch {
            output.endFile()
            // ripgrep counts a file that failed as searched ("No files were searched" is
            // for filters).
            report.searched.add(1, ordering: .relaxed)
            report.errored.store(true, ordering: .relaxed)
            if !files.quietErrors { try? Console.standardError.write("aifs: \(error.message)\n") }
            return
        }
        output.endFile()
        report.searched.add(1, ordering: .relaxed)
        if hasMatched {
            report.matched.store(true, ordering: .relaxed)
        } else if let standard, standard.configuration.mode == .filesWithoutMatch {
            report.printedPath.store(true, ordering: .relaxed)
        }
        // Lines that could not be searched exactly make the answer incomplete: said on
        // stderr, and the exit status is 2, as for any error. A line shown cut matters
        // only where lines are printed or matches counted.
        let problems = searcher.problems.filter { $0.code != .longLineCut || showsLines }
        if !problems.isEmpty {
            report.errored.store(true, ordering: .relaxed)
            for problem in problems { try? Console.standardError.write("aifs: \(problem.message)\n") }
        }
    }

    /// Whether the output shows lines or counts matches (what a cut line makes
    /// incomplete), rather than counting lines or listing files.
    private var showsLines: Bool {
        if json != nil { return true }
        guard let standard else { return false }
        return standard.configuration.mode == .lines || standard.configuration.mode == .countMatches
            || standard.configuration.stats
    }

    private var sink: any Sink {
        if let standard { return standard }
        if let json { return json }
        return quiet!
    }

    private var hasMatched: Bool {
        if let standard { return standard.hasMatched }
        if let json { return json.hasMatched }
        return quiet?.hasMatched ?? false
    }

    func walkError(_ error: CoreError) {
        report.errored.store(true, ordering: .relaxed)
        if !files.quietErrors { try? Console.standardError.write("aifs: \(error.message)\n") }
    }

    func walkWarning(_ warning: CoreError) {
        try? Console.standardError.write("aifs: warning: \(warning.message)\n")
    }

    func finish() {
        if let standard { report.add(standard.stats) }
        if let json { report.add(json.stats) }
    }
}

/// How paths are shown and file errors reported (`--path-separator`, `--no-messages`).
struct FileHandling: Sendable {
    var pathSeparator: UInt8?
    var quietErrors = false
    var preprocessing = Preprocessing()

    func displayPath(_ path: [UInt8]) -> [UInt8] {
        guard let pathSeparator else { return path }
        return path.map { $0 == UInt8(ascii: "/") ? pathSeparator : $0 }
    }
}

/// Where `-q --stats` prints: nowhere.
final class DiscardingTarget: PrintTarget {
    func write(_ bytes: UnsafeRawBufferPointer) {}
    func endRecord() {}
}

/// `-q`: remembers that something matched and stops the file there.
final class QuietSink: Sink {
    private(set) var hasMatched = false

    func begin(path: [UInt8]) -> Bool {
        hasMatched = false
        return true
    }

    func matched(_ match: SinkMatch) -> Bool {
        hasMatched = true
        return false
    }
}
