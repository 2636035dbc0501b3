import AIFSCore
import Foundation
import MCP

/// Writes the answer to a `tools/call` as the SDK writes it (`JSONEncoder` with sorted
/// keys and unescaped slashes), byte for byte, without `JSONEncoder`.
///
/// `JSONEncoder` writes strings one character at a time: two thirds of the server's CPU
/// for a 200 KB `read_file`, whose text goes out twice (in `content` and in
/// `structuredContent`). This writer copies the runs of a string that need no escape
/// whole. It handles what the tools return (text content, plain JSON values); for
/// anything else (images, annotations, `_meta`, data values) it returns `nil` and the
/// caller uses `JSONEncoder`. `ToolResultJSONTests` compares the two on random values.
enum ToolResultJSON {
    /// The JSON-RPC response, or `nil` when the result holds something left to
    /// `JSONEncoder`.
    static func response(id: ID, result: CallTool.Result) -> [UInt8]? {
        guard result._meta == nil else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(result.content.reduce(256) { size, item in
            if case .text(let text, _, _) = item { return size + 2 * text.utf8.count }
            return size
        })
        out += Array(#"{"id":"#.utf8)
        switch id {
        case .string(let string): appendString(string, to: &out)
        case .number(let number): out += Array(String(number).utf8)
        }
        out += Array(#","jsonrpc":"2.0","result":{"content":["#.utf8)
        for (index, item) in result.content.enumerated() {
            guard case .text(let text, nil, nil) = item else { return nil }
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += Array(#"{"text":"#.utf8)
            appendString(text, to: &out)
            out += Array(#","type":"text"}"#.utf8)
        }
        out.append(UInt8(ascii: "]"))
        if let isError = result.isError { out += Array((isError ? #","isError":true"# : #","isError":false"#).utf8) }
        if let structured = result.structuredContent {
            out += Array(#","structuredContent":"#.utf8)
            guard appendValue(structured, to: &out) else { return nil }
        }
        out += Array("}}".utf8)
        return out
    }

    /// Appends `value`; `false` for a value left to `JSONEncoder`.
    static func appendValue(_ value: Value, to out: inout [UInt8]) -> Bool {
        switch value {
        case .null: out += Array("null".utf8)
        case .bool(let bool): out += Array((bool ? "true" : "false").utf8)
        case .int(let int): out += Array(String(int).utf8)
        case .double(let double):
            // Rare in our results; JSONEncoder's own rendering of numbers is kept exactly.
            guard let data = try? JSONEncoder().encode(double) else { return false }
            out += data
        case .string(let string): appendString(string, to: &out)
        case .data: return false
        case .array(let array):
            out.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                guard appendValue(element, to: &out) else { return false }
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            for (index, key) in object.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                guard appendValue(object[key]!, to: &out) else { return false }
            }
            out.append(UInt8(ascii: "}"))
        }
        return true
    }

    /// Appends `string` quoted, with JSONEncoder's escapes (AIFSCore's one JSON
    /// escaping).
    static func appendString(_ string: String, to out: inout [UInt8]) {
        JSONBytes.appendString(string, to: &out)
    }
}
