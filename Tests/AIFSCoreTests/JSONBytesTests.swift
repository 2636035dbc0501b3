import AIFSCore
import AIFSTestSupport
import Foundation
import Testing

/// The one JSON escaping: what a JSON parser reads back is what was written, for random
/// strings full of control characters, quotes, backslashes and non-ASCII, and for bytes
/// that are not UTF-8 at all.
@Suite struct JSONBytesTests {
    private func parse(_ bytes: [UInt8]) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) as? String
    }

    /// Characters that need care: every control character, quotes, backslash, slash,
    /// DEL, the line and paragraph separators, a combining mark, an emoji, a CJK
    /// character and the replacement character itself.
    private static let alphabet: [Unicode.Scalar] =
        (0..<0x20).map { Unicode.Scalar($0)! }
        + ["\"", "\\", "/", "a", "Z", " ", "\u{7F}", "\u{80}", "\u{2028}", "\u{2029}", "\u{301}", "\u{1F600}", "\u{4E2D}", "\u{FFFD}"]

    @Test func randomStringsReadBackTheSame() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<2_000 {
            var text = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...40, using: &random) {
                text.append(Self.alphabet.randomElement(using: &random)!)
            }
            let string = String(text)
            var out: [UInt8] = []
            JSONBytes.appendString(string, to: &out)
            #expect(parse(out) == string, "\(Array(string.utf8))")
            #expect(JSONBytes.quoted(string) == String(decoding: out, as: UTF8.self))
        }
    }

    /// Foundation's `JSONEncoder` (slashes unescaped) writes the same bytes: the MCP
    /// server's answers did not change when they moved to the shared writer.
    @Test func theSameBytesAsJSONEncoder() throws {
        var random = SplitMix64(seed: 11)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        for _ in 0..<500 {
            let string = String(String.UnicodeScalarView(
                (0..<Int.random(in: 0...20, using: &random)).map { _ in Self.alphabet.randomElement(using: &random)! }))
            var out: [UInt8] = []
            JSONBytes.appendString(string, to: &out)
            #expect(Array(try encoder.encode(string)) == out, "\(Array(string.utf8))")
        }
    }

    @Test func everyControlCharacterHasOneSpelling() {
        let expected: [UInt8: String] = [0x08: #"\b"#, 0x09: #"\t"#, 0x0A: #"\n"#, 0x0C: #"\f"#, 0x0D: #"\r"#]
        for byte in UInt8(0)..<0x20 {
            var out: [UInt8] = []
            JSONBytes.appendString(String(UnicodeScalar(byte)), to: &out)
            let spelled = String(decoding: out.dropFirst().dropLast(), as: UTF8.self)
            #expect(spelled == expected[byte] ?? String(format: "\\u%04x", byte))
        }
    }

    /// Bytes that are not UTF-8 (a stray continuation byte, a truncated sequence, an
    /// overlong form, a surrogate) come out as U+FFFD, and the output is valid JSON.
    @Test func invalidUTF8BecomesReplacementCharacters() {
        var random = SplitMix64(seed: 13)
        let pieces: [[UInt8]] = [[0x80], [0xC3], [0xE2, 0x82], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xFF], [0x22], [0x5C], [0x0A], [0x61], [0xC3, 0xA9]]
        for _ in 0..<2_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...12, using: &random) { bytes += pieces.randomElement(using: &random)! }
            var out: [UInt8] = []
            bytes.withUnsafeBufferPointer { JSONBytes.appendString(bytes: $0, to: &out) }
            #expect(parse(out) == String(decoding: bytes, as: UTF8.self), "\(bytes)")
        }
    }

    @Test func integers() {
        for value: Int64 in [0, 7, -7, 10, 99, 100, 1_000_000_007, .max, .min] {
            var out: [UInt8] = []
            JSONBytes.appendInteger(value, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(value))
        }
        var out: [UInt8] = []
        JSONBytes.appendInteger(UInt64.max, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == String(UInt64.max))
    }
}
