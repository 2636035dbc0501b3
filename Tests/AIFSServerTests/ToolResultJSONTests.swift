import AIFSTestSupport
@testable import AIFSServer
import Foundation
import MCP
import Testing

/// The server's writer of tool answers against the SDK's encoding (JSONEncoder, sorted
/// keys, unescaped slashes): the same bytes for every kind of value and every
/// character that needs an escape.
@Suite struct ToolResultJSONTests {
    func sdkBytes(_ id: ID, _ result: CallTool.Result) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(CallTool.response(id: id, result: result)))
    }

    static let pieces: [String] = (0..<0x20).map { String(UnicodeScalar(UInt8($0))) } + [
        "\"", "\\", "/", "\u{7F}", "é", "日本", "😀", "\u{2028}", "\u{2029}", "plain text ", "a/b", "<tag>", "&", "'",
        "\r\n", "data:,x",
    ]

    func randomString(_ random: inout SplitMix64) -> String {
        (0..<random.next(upTo: 12)).map { _ in Self.pieces[random.next(upTo: Self.pieces.count)] }.joined()
    }

    func randomValue(_ random: inout SplitMix64, depth: Int) -> Value {
        switch random.next(upTo: depth > 2 ? 6 : 8) {
        case 0: return .null
        case 1: return .bool(random.next(upTo: 2) == 0)
        case 2: return .int(Int(bitPattern: UInt(random.next())) >> random.next(upTo: 64))
        case 3: return .double([0, 0.5, 1, -2.25, 1e300, 3.141592653589793, 1e-7, 123456789.5][random.next(upTo: 8)])
        case 4, 5: return .string(randomString(&random))
        case 6: return .array((0..<random.next(upTo: 4)).map { _ in randomValue(&random, depth: depth + 1) })
        default:
            var object: [String: Value] = [:]
            for _ in 0..<random.next(upTo: 5) { object[randomString(&random)] = randomValue(&random, depth: depth + 1) }
            return .object(object)
        }
    }

    @Test func matchesTheSDKsEncodingOnRandomResults() throws {
        var random = SplitMix64(seed: 2028)
        for round in 0..<2_000 {
            let id: ID = round % 2 == 0 ? .number(round - 1_000) : .string(randomString(&random))
            let texts = (0..<random.next(upTo: 3)).map { _ in randomString(&random) }
            let result = try CallTool.Result(
                content: texts.map { .text(text: $0, annotations: nil, _meta: nil) },
                structuredContent: random.next(upTo: 3) == 0 ? nil : randomValue(&random, depth: 0),
                isError: [nil, true, false][random.next(upTo: 3)])
            let ours = try #require(ToolResultJSON.response(id: id, result: result))
            let theirs = try sdkBytes(id, result)
            #expect(ours == theirs, "\(String(decoding: ours, as: UTF8.self))\n\(String(decoding: theirs, as: UTF8.self))")
            if ours != theirs { return }
        }
    }

    @Test func leavesWhatItDoesNotWriteToTheEncoder() {
        let image = CallTool.Result(content: [.image(data: "AA==", mimeType: "image/png", annotations: nil, _meta: nil)])
        #expect(ToolResultJSON.response(id: .number(1), result: image) == nil)
        let data = CallTool.Result(content: [], structuredContent: .data(mimeType: "text/plain", Data("x".utf8)))
        #expect(ToolResultJSON.response(id: .number(1), result: data) == nil)
    }
}
