/// ripgrep's `--colors`: the colour and style of paths, line numbers, columns and
/// matches, as escape sequences in `termcolor`'s order.
///
/// Each spec is `TYPE:fg:COLOR`, `TYPE:bg:COLOR`, `TYPE:style:STYLE` or `TYPE:none`,
/// TYPE being `path`, `line`, `column` or `match`; COLOR a name (`black`, `blue`,
/// `green`, `red`, `cyan`, `magenta`, `yellow`, `white`), a number 0-255 or `R,G,B`
/// (decimal or `0x` hex); STYLE `bold`, `nobold`, `intense`, `nointense`, `underline`,
/// `nounderline`, `italic` or `noitalic`. Specs apply in order on top of ripgrep's
/// defaults (paths magenta, line numbers green, matches bold red).
public struct ColorSpecs: Sendable, Hashable {
    /// One type's colours and style.
    struct Spec: Sendable, Hashable {
        var foreground: Color?
        var background: Color?
        var bold = false
        var intense = false
        var underline = false
        var italic = false

        /// `termcolor`'s `set_color`: reset, styles, then colours.
        var escape: [UInt8] {
            var text = "\u{1B}[0m"
            if bold { text += "\u{1B}[1m" }
            if italic { text += "\u{1B}[3m" }
            if underline { text += "\u{1B}[4m" }
            if let foreground { text += foreground.escape(foreground: true, intense: intense) }
            if let background { text += background.escape(foreground: false, intense: intense) }
            return Array(text.utf8)
        }
    }

    enum Color: Sendable, Hashable {
        case named(Int)
        case ansi256(Int)
        case rgb(Int, Int, Int)

        static let names = ["black": 0, "red": 1, "green": 2, "yellow": 3, "blue": 4, "magenta": 5, "cyan": 6, "white": 7]

        func escape(foreground: Bool, intense: Bool) -> String {
            let layer = foreground ? "38" : "48"
            switch self {
            case .named(let number):
                return intense ? "\u{1B}[\(layer);5;\(number + 8)m" : "\u{1B}[\(foreground ? 3 : 4)\(number)m"
            case .ansi256(let number):
                return "\u{1B}[\(layer);5;\(number)m"
            case .rgb(let red, let green, let blue):
                return "\u{1B}[\(layer);2;\(red);\(green);\(blue)m"
            }
        }
    }

    var pathSpec = Spec(foreground: .named(5))
    var lineSpec = Spec(foreground: .named(2))
    var columnSpec = Spec()
    var matchSpec = Spec(foreground: .named(1), bold: true)

    /// Paths' escape sequence.
    public private(set) var path: [UInt8] = []
    /// Line numbers'.
    public private(set) var line: [UInt8] = []
    /// Columns' (and byte offsets').
    public private(set) var column: [UInt8] = []
    /// Matches'.
    public private(set) var match: [UInt8] = []
    /// Matches have no colour or style (`match:none`): ripgrep then prints lines plain,
    /// without even the resets.
    public var matchIsPlain: Bool { matchSpec == Spec() }

    /// ripgrep's defaults.
    public init() {
        refresh()
    }

    /// The defaults with `specs` applied in order.
    ///
    /// - Throws: ``SearchError`` (`invalidArgument`) naming the spec that cannot be read.
    public init(_ specs: [String]) throws(SearchError) {
        for text in specs { try apply(text) }
        refresh()
    }

    private mutating func refresh() {
        path = pathSpec.escape
        line = lineSpec.escape
        column = columnSpec.escape
        match = matchSpec.escape
    }

    private mutating func apply(_ text: String) throws(SearchError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func invalid(_ why: String) -> SearchError {
            SearchError(.invalidArgument, "invalid --colors spec '\(text)': \(why)")
        }
        guard parts.count == 2 || parts.count == 3 else {
            throw invalid("expected TYPE:ATTRIBUTE:VALUE or TYPE:none")
        }
        var spec: Spec
        switch parts[0] {
        case "path": spec = pathSpec
        case "line": spec = lineSpec
        case "column": spec = columnSpec
        case "match": spec = matchSpec
        default: throw invalid("unknown type '\(parts[0])' (path, line, column or match)")
        }
        switch (parts[1], parts.count) {
        case ("none", 2):
            spec = Spec()
        case ("fg", 3), ("bg", 3):
            guard let color = Self.color(parts[2]) else { throw invalid("unknown colour '\(parts[2])'") }
            if parts[1] == "fg" { spec.foreground = color } else { spec.background = color }
        case ("style", 3):
            switch parts[2] {
            case "bold": spec.bold = true
            case "nobold": spec.bold = false
            case "intense": spec.intense = true
            case "nointense": spec.intense = false
            case "underline": spec.underline = true
            case "nounderline": spec.underline = false
            case "italic": spec.italic = true
            case "noitalic": spec.italic = false
            default: throw invalid("unknown style '\(parts[2])'")
            }
        default:
            throw invalid("unknown attribute '\(parts[1])' (fg, bg, style or none)")
        }
        switch parts[0] {
        case "path": pathSpec = spec
        case "line": lineSpec = spec
        case "column": columnSpec = spec
        default: matchSpec = spec
        }
    }

    private static func color(_ text: String) -> Color? {
        if let named = Color.names[text] { return .named(named) }
        if let number = number(text), (0...255).contains(number) { return .ansi256(number) }
        let components = text.split(separator: ",").map { number(String($0)) }
        if components.count == 3, let red = components[0], let green = components[1], let blue = components[2],
           [red, green, blue].allSatisfy({ (0...255).contains($0) })
        {
            return .rgb(red, green, blue)
        }
        return nil
    }

    private static func number(_ text: String) -> Int? {
        text.hasPrefix("0x") ? Int(text.dropFirst(2), radix: 16) : Int(text)
    }
}
