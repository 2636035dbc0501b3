import AIFSCore
import Foundation

/// The JSON-RPC 2.0 errors the transport answers itself, before the SDK sees a
/// message, because the SDK's own answers are wrong for them: it answers a parse error
/// with a made-up id, a missing `method` or `"jsonrpc": "1.0"` with -32700, and
/// `arguments` that are not an object with -32603 "The data isn't in the correct
/// format".
enum JSONRPCChecks {
    /// What the transport does with an incoming line.
    enum Verdict {
        /// Hand it on; the object is the decoded message.
        case pass([String: Any])
        /// Answer it with this error response (and hand nothing on).
        case reject(Data)
        /// Drop it: a malformed message that needs no answer (a response or
        /// notification).
        case ignore
    }

    static func check(_ data: Data) -> Verdict {
        guard let value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            return .reject(error(id: nil, code: -32700, "Parse error: the message is not valid JSON"))
        }
        guard let object = value as? [String: Any] else {
            let what = value is [Any] ? "a batch (an array); send one JSON-RPC object per line" : "not a JSON-RPC object"
            return .reject(error(id: nil, code: -32600, "Invalid Request: the message is \(what)"))
        }
        let id = object["id"]
        // Strings and numbers (Foundation hands both numbers and booleans over as
        // NSNumber here, so a boolean id passes on to the SDK).
        let validID = id.map { !($0 is [Any]) && !($0 is [String: Any]) } ?? true
        guard validID else {
            return .reject(error(id: nil, code: -32600, "Invalid Request: 'id' must be a string or a number"))
        }
        guard object["jsonrpc"] as? String == "2.0" else {
            return .reject(error(id: id, code: -32600, "Invalid Request: 'jsonrpc' must be \"2.0\""))
        }
        guard let method = object["method"] else {
            // A response (to a request of ours) has a result or an error instead.
            if object["result"] != nil || object["error"] != nil { return .pass(object) }
            return id == nil ? .ignore : .reject(error(id: id, code: -32600, "Invalid Request: the message has no 'method'"))
        }
        guard let name = method as? String else {
            return .reject(error(id: id, code: -32600, "Invalid Request: 'method' must be a string"))
        }
        if name == "tools/call", id != nil {
            guard let parameters = object["params"] as? [String: Any] else {
                return .reject(error(id: id, code: -32602, "Invalid params: tools/call needs 'params' with the tool's 'name' and 'arguments'"))
            }
            if let arguments = parameters["arguments"], !(arguments is [String: Any]), !(arguments is NSNull) {
                return .reject(error(
                    id: id, code: -32602,
                    "Invalid params: 'arguments' must be an object of the tool's arguments by name ({\"path\": ...}), not \(kind(of: arguments))"))
            }
            guard parameters["name"] is String else {
                return .reject(error(id: id, code: -32602, "Invalid params: tools/call needs the tool's 'name' as a string"))
            }
        }
        return .pass(object)
    }

    private static func kind(of value: Any) -> String {
        switch value {
        case is [Any]: "an array"
        case is String: "a string"
        case is NSNumber: "a number"
        default: "another JSON value"
        }
    }

    /// An error response as the SDK writes one (sorted keys).
    static func error(id: Any?, code: Int, _ message: String) -> Data {
        var out: [UInt8] = []
        JSONBytes.append(#"{"error":{"code":"#, to: &out)
        JSONBytes.appendInteger(code, to: &out)
        JSONBytes.append(#","message":"#, to: &out)
        JSONBytes.appendString(message, to: &out)
        JSONBytes.append(#"},"id":"#, to: &out)
        switch id {
        case let text as String: JSONBytes.appendString(text, to: &out)
        case let number as NSNumber: out += Array(number.stringValue.utf8)
        default: JSONBytes.append("null", to: &out)
        }
        JSONBytes.append(#","jsonrpc":"2.0"}"#, to: &out)
        return Data(out)
    }
}
