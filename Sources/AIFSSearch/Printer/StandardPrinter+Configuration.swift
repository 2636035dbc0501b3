extension StandardPrinter {
    /// What a ``StandardPrinter`` prints for each file: ripgrep's output modes.
    public enum Mode: Sendable, Hashable {
        /// Matching lines, with context (the default).
        case lines
        /// The number of matching lines per file (`-c`, `--count`).
        case count
        /// The number of matches per file (`--count-matches`); with ``Configuration/invert``
        /// the number of non-matching lines, as ripgrep counts.
        case countMatches
        /// The path of each file with a match (`-l`, `--files-with-matches`).
        case filesWithMatches
        /// The path of each file without a match (`--files-without-match`).
        case filesWithoutMatch
    }

    /// How a ``StandardPrinter`` formats its output; each field names the ripgrep flag
    /// it stands for.
    ///
    /// The defaults are ripgrep's output to a pipe for one file: no path, no line
    /// numbers, no colour.
    public struct Configuration: Sendable, Hashable {
        /// What to print for each file.
        public var mode: Mode = .lines
        /// Prefix each line with its path and ``fieldMatchSeparator`` (`-H`); ripgrep turns
        /// it on when it searches a directory or more than one file. In the count modes
        /// it prefixes the count; the list modes always print the path.
        public var withFilename = false
        /// Print the path once on its own line before a file's lines instead of on each
        /// line (`--heading`, ripgrep's default on a terminal). Needs ``withFilename``.
        public var heading = false
        /// Colour the output with ripgrep 13's default ANSI colours (`--color always`):
        /// paths magenta, line numbers green, matches bold red.
        public var color = false
        /// Print line numbers (`-n`), when the searcher counts lines.
        public var lineNumber = false
        /// Print the 1-based byte column of the line's first match (`--column`); implies
        /// ``lineNumber``. With ``onlyMatching``, each match's own column.
        public var column = false
        /// Print each match on its own line instead of whole lines (`-o`).
        public var onlyMatching = false
        /// The searcher reports non-matching lines (`-v`): their matches are not
        /// coloured, and context lines, which are then the matching ones, are.
        public var invert = false
        /// The line between non-adjacent groups of context (`--context-separator`);
        /// `nil` prints nothing (`--no-context-separator`).
        public var contextSeparator: [UInt8]? = Array("--".utf8)
        /// Between the fields of a matching line (`--field-match-separator`).
        public var fieldMatchSeparator: [UInt8] = [UInt8(ascii: ":")]
        /// Between the fields of a context line (`--field-context-separator`).
        public var fieldContextSeparator: [UInt8] = [UInt8(ascii: "-")]
        /// A line printed before a file's first output line when this printer has
        /// printed anything before (ripgrep's file separator), or `nil` for none.
        ///
        /// ripgrep uses an empty line with ``heading``, the context separator when
        /// context lines were asked for, and nothing otherwise: see
        /// ``ripgrepFileSeparator(heading:context:contextSeparator:)``. The printer cannot
        /// tell on its own, as context is the searcher's business.
        ///
        /// A driver whose workers each have their own printer should set this to `nil`
        /// and write the separator itself between the non-empty outputs of two files, as
        /// ripgrep's parallel output does; the separator is then not counted in
        /// ``Stats/bytesPrinted``, as in ripgrep with more than one thread.
        public var fileSeparator: [UInt8]?
        /// The byte that ends a path instead of the field separator or newline
        /// (`-0` sets it to NUL). It does not apply to the binary file messages.
        public var pathTerminator: UInt8?
        /// Lines longer than this many bytes, terminator included, are replaced by an
        /// "[Omitted long … line]" message (`-M`, `--max-columns`); `nil` or 0 for no limit.
        public var maxColumns: Int?
        /// With ``maxColumns``, print the start of a long line (that many grapheme
        /// clusters) and how many matches were left out, instead of omitting it
        /// (`--max-columns-preview`).
        public var maxColumnsPreview = false
        /// Print the byte offset of each line (of each match with ``onlyMatching``) in
        /// the file, after the line number and column (`-b`, `--byte-offset`).
        public var byteOffset = false
        /// Remove ASCII whitespace at the start of each printed line (`--trim`).
        public var trim = false
        /// Print each match as a record of its own: path, line, column and the whole
        /// line (`--vimgrep`, which also turns those fields on).
        public var vimgrep = false
        /// Print each match replaced by this template (`-r`, `--replace`); nothing is
        /// written to the files.
        public var replacement: Replacement?
        /// The colours used with ``color`` (`--colors`).
        public var colors = ColorSpecs()
        /// The byte that ends lines: `\n`, or NUL with `--null-data`. Lines are printed
        /// with theirs, and the records the printer ends itself (a last line without
        /// one, `-o` matches, counts, paths) end with it, as in ripgrep.
        public var lineTerminator = UInt8(ascii: "\n")
        /// A `\r` before a line's `\n` is part of its terminator (`--crlf`).
        public var crlf = false
        /// A match may hold several lines (`-U`): each is printed as a line of its own,
        /// with its own number and the column of the match's first match, and `-c`
        /// counts matches, as ripgrep does.
        public var multiline = false
        /// Print counts of zero in the count modes (`--include-zero`).
        public var includeZeroCounts = false
        /// Count every match for ``Stats/matches`` (`--stats`).
        ///
        /// This costs a matcher pass over each matching line when the output would not
        /// otherwise need one, and, as in ripgrep, it makes ``Mode/filesWithMatches`` and
        /// ``Mode/filesWithoutMatch`` search whole files instead of stopping at the
        /// first match, and turns "[Omitted long matching line]" into "[Omitted long line
        /// with N matches]".
        public var stats = false

        /// Creates ripgrep's default configuration; set the fields to change it.
        public init() {}

        /// `-0`, `--null`: whether paths end with a NUL byte (``pathTerminator``).
        public var null: Bool {
            get { pathTerminator == 0 }
            set { pathTerminator = newValue ? 0 : nil }
        }

        /// The file separator ripgrep 13 uses (see ``fileSeparator``): an empty line with
        /// headings, otherwise the context separator when context lines are printed.
        ///
        /// - Parameters:
        ///   - heading: whether ``heading`` is on.
        ///   - context: whether context lines were asked for (`-A`, `-B`, `-C` above 0).
        ///   - contextSeparator: the configured ``contextSeparator``.
        public static func ripgrepFileSeparator(
            heading: Bool, context: Bool, contextSeparator: [UInt8]?
        ) -> [UInt8]? {
            if heading { return [] }
            return context ? contextSeparator : nil
        }
    }
}
