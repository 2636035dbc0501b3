import AIFS
@_spi(Syscalls) import AIFSCore
import AIFSProcess
import AIFSSearch
import ArgumentParser
import Synchronization

/// The values of an `aifs search` command line, whichever parser read them
/// (ArgumentParser through ``SearchCommand``, or ``DirectParsing``), and the search they
/// ask for.
///
/// Plain values, so that a search does not pay at every start for ArgumentParser's
/// property wrappers (issue 18). No defaults: both parsers must give every value, which
/// the compiler checks.
struct SearchArguments {
    var positionals: [String]
    var patterns: [String]
    var fixedStrings: Bool
    var ignoreCase: Bool
    var smartCase: Bool
    var caseSensitive: Bool
    var wordRegexp: Bool
    var lineRegexp: Bool
    var invertMatch: Bool
    var count: Bool
    var countMatches: Bool
    var filesWithMatches: Bool
    var filesWithoutMatch: Bool
    var onlyMatching: Bool
    var lineNumber: Bool
    var noLineNumber: Bool
    var column: Bool
    var afterContext: Int?
    var beforeContext: Int?
    var context: Int?
    var maxCount: Int?
    var json: Bool
    var text: Bool
    var encoding: String?
    var patternFiles: [String]
    var replace: String?
    var byteOffset: Bool
    var trim: Bool
    var vimgrep: Bool
    var maxColumnsPreview: Bool
    var passthru: Bool
    var pcre2: Bool
    var engine: String?
    var regexSizeLimit: String?
    var dfaSizeLimit: String?
    var searchZip: Bool
    var pre: String?
    var preGlobs: [String]
    var multiline: Bool
    var multilineDotall: Bool
    var colorSpecs: [String]
    var nullData: Bool
    var crlf: Bool
    var noUnicode: Bool
    var binary: Bool
    var stats: Bool
    var quiet: Bool
    var withFilename: Bool
    var noFilename: Bool
    var heading: Bool
    var noHeading: Bool
    var color: SearchCommand.ColorChoice
    var null: Bool
    var listFiles: Bool
    var maxColumns: Int?
    var includeZero: Bool
    var contextSeparator: String?
    var noContextSeparator: Bool
    var fieldContextSeparator: String?
    var fieldMatchSeparator: String?
    var walk: WalkArguments
    var listing: ListingArguments
}

extension SearchArguments {
    func validate() throws {
        // Written out, without arrays of tuples: their generic metadata, built at run
        // time, cost more than the checks at every start (issue 18).
        if let engine, engine != "default" && engine != "pcre2" && engine != "auto" {
            throw ValidationError("invalid --engine value '\(engine)': expected default, pcre2 or auto")
        }
        try Self.checkSize(regexSizeLimit, of: "--regex-size-limit")
        try Self.checkSize(dfaSizeLimit, of: "--dfa-size-limit")
        try Self.checkNotNegative(afterContext, of: "-A")
        try Self.checkNotNegative(beforeContext, of: "-B")
        try Self.checkNotNegative(context, of: "-C")
        try Self.checkNotNegative(maxCount, of: "-m")
        try Self.checkNotNegative(maxColumns, of: "-M")
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
            try FilesArguments(walk: walk, listing: listing, null: null, paths: positionals).run()
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
        // Only a regex loads PCRE2: a literal pattern never opens the library.
        if matcher is RegexMatcher, let problem = RegexMatcher.pcre2LoadProblem {
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

    private static func checkSize(_ value: String?, of name: String) throws {
        if let value, sizeInBytes(value) == nil {
            throw ValidationError("invalid \(name) value '\(value)': expected a number with an optional K, M or G suffix")
        }
    }

    private static func checkNotNegative(_ value: Int?, of name: String) throws {
        if let value, value < 0 { throw ValidationError("invalid \(name) value \(value): it must be 0 or more") }
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
