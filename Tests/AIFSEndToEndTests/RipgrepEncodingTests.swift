import AIFSTestSupport
import Foundation
import Testing

/// `-E/--encoding` and byte-order-mark sniffing as ripgrep (issue 18), compared byte for
/// byte with the installed `rg`: UTF-16 files with a BOM are transcoded by default,
/// labels are WHATWG's, a BOM wins over a label, `none` searches the raw bytes, and
/// offsets count the UTF-8 bytes searched.
@Suite struct RipgrepEncodingTests {
    static let rg = Process.which("rg")

    static func utf16(_ text: String, bigEndian: Bool, bom: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = bom ? (bigEndian ? [0xFE, 0xFF] : [0xFF, 0xFE]) : []
        for unit in text.utf16 {
            let high = UInt8(unit >> 8), low = UInt8(unit & 0xFF)
            bytes += bigEndian ? [high, low] : [low, high]
        }
        return bytes
    }

    static func makeTree(_ name: String = #function) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(name)
        let text = "test one\nnaïve test 😀 two\nlast line\n"
        try RipgrepBinaryTests.write(utf16(text, bigEndian: false), to: dir.path("le.txt"))
        try RipgrepBinaryTests.write(utf16(text, bigEndian: true), to: dir.path("be.txt"))
        try RipgrepBinaryTests.write(utf16(text, bigEndian: false, bom: false), to: dir.path("le-nobom.txt"))
        try RipgrepBinaryTests.write([0xEF, 0xBB, 0xBF] + Array("test bom\n".utf8), to: dir.path("bom8.txt"))
        try RipgrepBinaryTests.write(Array("caf".utf8) + [0xE9, 0x20, 0x80, 0x81] + Array(" test\n".utf8), to: dir.path("latin.txt"))
        // あ and 日本 in Shift_JIS, then an invalid lead byte.
        try RipgrepBinaryTests.write([0x82, 0xA0, 0x20, 0x93, 0xFA, 0x96, 0x7B] + Array(" test\n".utf8) + [0x82, 0x0A], to: dir.path("sjis.txt"))
        // 日本 in EUC-JP.
        try RipgrepBinaryTests.write([0xC6, 0xFC, 0xCB, 0xDC] + Array(" test\n".utf8), to: dir.path("eucjp.txt"))
        // 中文 in GBK.
        try RipgrepBinaryTests.write([0xD6, 0xD0, 0xCE, 0xC4] + Array(" test\n".utf8), to: dir.path("gbk.txt"))
        return dir
    }

    static let forms: [[String]] = [
        ["-n", "--column", "test", "le.txt"], ["-n", "^test", "be.txt"], ["-o", "naïve", "le.txt", "be.txt"],
        ["--json", "😀", "le.txt"], ["-c", "test"], ["-l", "test"], ["test", "le-nobom.txt"],
        ["-E", "utf-16le", "-n", "two", "le-nobom.txt"], ["-Eutf-16le", "two", "le-nobom.txt"],
        ["--encoding=utf-16le", "two", "le-nobom.txt"], ["--encoding", "UTF-16LE", "two", "le-nobom.txt"],
        ["-E", "utf-16be", "test", "le.txt"], ["-E", "utf8", "test", "be.txt"],
        ["-E", "none", "-c", "test", "le.txt"], ["-E", "none", "test", "bom8.txt"], ["--column", "^test", "bom8.txt"],
        ["-E", "latin1", "caf.", "latin.txt"], ["-E", "windows-1252", "test", "latin.txt"], ["-E=iso-8859-1", "é", "latin.txt"],
        ["-E", "sjis", "test", "sjis.txt"], ["-Eshift_jis", "-c", "\u{FFFD}", "sjis.txt"], ["-E", "euc-jp", "日本", "eucjp.txt"],
        ["-E", "gbk", "中文", "gbk.txt"], ["-E", "sjis", "test", "bom8.txt"],
        ["-E", "nonsense", "test", "le.txt"],
    ]

    @Test(.enabled(if: rg != nil, "ripgrep is not installed"), arguments: forms)
    func encodingsAsRipgrep(_ arguments: [String]) throws {
        let dir = try Self.makeTree("encodings")
        let ours = try AIFS.run(["search", "--sort", "path"] + arguments, in: dir.path)
        let theirs = try Process.capture(Self.rg!, ["--sort", "path"] + arguments, in: dir.path)
        let figures = { (text: String) in text.split(separator: "\n").map { String($0.replacing(/"elapsed(_total)?":\{[^}]*\}/, with: "")) } }
        #expect(ours.status == theirs.status, "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
        #expect(figures(ours.stdout) == figures(theirs.stdout), "\(arguments)\nours: \(ours)\ntheirs: \(theirs)")
    }

    /// A UTF-16 file larger than every buffer is transcoded as it streams: a match near
    /// its end has the right line number.
    @Test(.enabled(if: rg != nil, "ripgrep is not installed"))
    func largeUTF16FilesStream() throws {
        let dir = try TemporaryDirectory()
        var text = ""
        for index in 0..<120_000 { text += "line \(index) é\n" }
        text += "needle 😀\n"
        try RipgrepBinaryTests.write(Self.utf16(text, bigEndian: false), to: dir.path("big16.txt"))
        let ours = try AIFS.run(["search", "-n", "needle|line 99999 ", "big16.txt"], in: dir.path)
        let theirs = try Process.capture(Self.rg!, ["-n", "needle|line 99999 ", "big16.txt"], in: dir.path)
        #expect(ours.stdout == theirs.stdout, "ours: \(ours)\ntheirs: \(theirs)")
        #expect(ours.stdout == "100000:line 99999 é\n120001:needle 😀\n")
    }

    @Test func unknownEncodingIsAnError() throws {
        let dir = try Self.makeTree()
        let result = try AIFS.run(["search", "-E", "klingon", "test"], in: dir.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("unknown encoding: klingon"), "\(result)")
    }
}
