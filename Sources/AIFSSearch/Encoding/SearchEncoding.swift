/// The character encoding files are read in (`-E/--encoding`), as ripgrep: by default a
/// byte-order mark decides (UTF-16 files with one are transcoded to UTF-8, a UTF-8 BOM
/// is dropped) and everything else is searched as its bytes.
///
/// Labels are the WHATWG Encoding Standard's, as in ripgrep (`latin1` is windows-1252,
/// `sjis` is Shift_JIS, `gbk` is decoded as GB18030); a byte-order mark still wins over
/// a label, as in ripgrep. Bytes that are not valid in the encoding become U+FFFD.
public struct SearchEncoding: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// Byte-order-mark sniffing only.
        case automatic
        /// The bytes as they are: no sniffing, no BOM stripped.
        case none
        case utf16LittleEndian
        case utf16BigEndian
        case windows1252
        /// Through iconv, under this name.
        case iconv(String)
    }

    let kind: Kind
    /// The label's canonical WHATWG name (`auto`, `none`, `utf-8`, …).
    public let name: String

    /// Sniff a byte-order mark; otherwise the bytes as they are (ripgrep's default).
    public static let automatic = SearchEncoding(kind: .automatic, name: "auto")

    private init(kind: Kind, name: String) {
        self.kind = kind
        self.name = name
    }

    /// The encoding a label names: `auto`, `none`, or a WHATWG label (case and
    /// surrounding whitespace ignored).
    ///
    /// - Throws: ``SearchError`` with code `invalidArgument` and ripgrep's message,
    ///   `unknown encoding: LABEL`.
    public init(label: String) throws(SearchError) {
        let key = label.trimmingASCIIWhitespace().lowercased()
        if key == "auto" {
            self = .automatic
            return
        }
        if key == "none" {
            self.init(kind: .none, name: "none")
            return
        }
        guard let name = Self.labels[key] else {
            throw SearchError(.invalidArgument, "unknown encoding: \(label)")
        }
        switch name {
        case "utf-8": self.init(kind: .automatic, name: name)
        case "utf-16le": self.init(kind: .utf16LittleEndian, name: name)
        case "utf-16be": self.init(kind: .utf16BigEndian, name: name)
        case "windows-1252": self.init(kind: .windows1252, name: name)
        default:
            let charset = Self.iconvNames[name] ?? name.uppercased()
            guard IconvConverter(from: charset) != nil else {
                throw SearchError(.invalidArgument, "unknown encoding: \(label) (the C library's iconv cannot convert \(charset))")
            }
            self.init(kind: .iconv(charset), name: name)
        }
    }

    /// WHATWG names whose decoder iconv knows under another name.
    static let iconvNames = [
        "shift_jis": "CP932", "gbk": "GB18030", "gb18030": "GB18030", "euc-kr": "CP949", "big5": "BIG5-HKSCS",
        "x-mac-cyrillic": "MAC-CYRILLIC", "macintosh": "MACINTOSH", "iso-8859-8-i": "ISO-8859-8",
    ]

    /// WHATWG labels and the encoding each names.
    static let labels: [String: String] = {
        var table: [String: String] = [:]
        let groups: [(String, [String])] = [
            ("utf-8", ["unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8"]),
            ("utf-16le", ["csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16", "utf-16le"]),
            ("utf-16be", ["unicodefffe", "utf-16be"]),
            ("windows-1252", [
                "ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819", "iso-8859-1", "iso-ir-100",
                "iso8859-1", "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1", "latin1", "us-ascii", "windows-1252",
                "x-cp1252",
            ]),
            ("shift_jis", ["csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis", "windows-31j", "x-sjis"]),
            ("euc-jp", ["cseucpkdfmtjapanese", "euc-jp", "x-euc-jp"]),
            ("iso-2022-jp", ["csiso2022jp", "iso-2022-jp"]),
            ("gbk", ["chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312", "gb_2312-80", "gbk", "iso-ir-58", "x-gbk"]),
            ("gb18030", ["gb18030"]),
            ("big5", ["big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"]),
            ("euc-kr", [
                "cseuckr", "csksc56011987", "euc-kr", "iso-ir-149", "korean", "ks_c_5601-1987", "ks_c_5601-1989",
                "ksc5601", "ksc_5601", "windows-949",
            ]),
            ("koi8-r", ["cskoi8r", "koi", "koi8", "koi8-r", "koi8_r"]),
            ("koi8-u", ["koi8-ru", "koi8-u"]),
            ("ibm866", ["866", "cp866", "csibm866", "ibm866"]),
            ("macintosh", ["csmacintosh", "mac", "macintosh", "x-mac-roman"]),
            ("x-mac-cyrillic", ["x-mac-cyrillic", "x-mac-ukrainian"]),
        ]
        for (name, labels) in groups {
            for label in labels { table[label] = name }
        }
        // iso-8859-N and windows-125N, with their common spellings.
        for number in [2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16] {
            let name = "iso-8859-\(number)"
            for label in [name, "iso8859-\(number)", "iso8859\(number)", "iso_8859-\(number)"] { table[label] = name }
        }
        table["iso-8859-8-i"] = "iso-8859-8-i"
        table["latin2"] = "iso-8859-2"
        table["latin3"] = "iso-8859-3"
        table["latin4"] = "iso-8859-4"
        table["latin6"] = "iso-8859-10"
        table["latin9"] = "iso-8859-15"
        table["cyrillic"] = "iso-8859-5"
        table["arabic"] = "iso-8859-6"
        table["greek"] = "iso-8859-7"
        table["hebrew"] = "iso-8859-8"
        for number in [1250, 1251, 1253, 1254, 1255, 1256, 1257, 1258] {
            table["windows-\(number)"] = "windows-\(number)"
            table["cp\(number)"] = "windows-\(number)"
            table["x-cp\(number)"] = "windows-\(number)"
        }
        table["windows-874"] = "windows-874"
        return table
    }()
}

extension String {
    fileprivate func trimmingASCIIWhitespace() -> String {
        let bytes = Array(utf8)
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0C || byte == 0x0D }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
