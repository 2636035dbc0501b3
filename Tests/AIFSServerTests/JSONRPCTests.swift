import AIFSTestSupport
import Foundation
import Testing

/// JSON-RPC errors as the specification words them (issue 19, part 6): the raw lines a
/// broken client might send, written to the server's stdin; stdin is then closed and
/// every answer read until the server exits.
@Suite(.timeLimit(.minutes(1)))
struct JSONRPCTests {
    static func answers(to lines: [String], root: String) throws -> [[String: Any]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BuiltProducts.executable(named: "aifs-mcp"))
        process.arguments = ["--root", root]
        process.environment = ServerProcess.testEnvironment
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let initialize = #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
        let all = [initialize, #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#] + lines
        try input.fileHandleForWriting.write(contentsOf: Data(all.joined(separator: "\n").utf8 + [0x0A]))
        try input.fileHandleForWriting.close()
        let data = try output.fileHandleForReading.readToEnd() ?? Data()
        process.waitUntilExit()
        return data.split(separator: 0x0A).compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
    }

    static func error(_ answer: [String: Any]?) -> (code: Int, message: String)? {
        guard let error = answer?["error"] as? [String: Any], let code = error["code"] as? Int else { return nil }
        return (code, error["message"] as? String ?? "")
    }

    @Test func malformedMessagesGetTheSpecificationsErrors() throws {
        let dir = try TemporaryDirectory()
        try dir.file("a.txt", "a\n")
        let answers = try Self.answers(to: [
            #"{"jsonrpc":"2.0","id":1,"method":"#,
            #"{"jsonrpc":"2.0","id":2}"#,
            #"{"jsonrpc":"1.0","id":3,"method":"tools/list"}"#,
            #"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"read_file","arguments":["a.txt"]}}"#,
            #"{"jsonrpc":"2.0","id":5,"method":"resources/templates/list"}"#,
            #"[{"jsonrpc":"2.0","id":6,"method":"tools/list"}]"#,
            #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"a.txt"}}}"#,
        ], root: dir.path)
        func answer(_ id: Int) -> [String: Any]? { answers.first { ($0["id"] as? Int) == id } }
        let nullIDs = answers.filter { $0["id"] is NSNull }
        // The parse error and the batch are answered with id null, never a made-up id.
        #expect(nullIDs.count == 2, "\(answers)")
        #expect(nullIDs.compactMap { Self.error($0)?.code }.sorted() == [-32700, -32600])
        #expect(answer(1) == nil, "a line that is not JSON has no id to answer")
        #expect(Self.error(answer(2))?.code == -32600)
        #expect(Self.error(answer(3))?.code == -32600)
        #expect(Self.error(answer(4))?.code == -32602)
        #expect(Self.error(answer(4))?.message.contains("'arguments' must be an object") == true)
        let templates = (answer(5)?["result"] as? [String: Any])?["resourceTemplates"] as? [[String: Any]]
        #expect(templates?.first?["uriTemplate"] as? String == "file://{path}")
        #expect((answer(7)?["result"] as? [String: Any])?["isError"] as? Bool == false)
    }
}
