import AIFSTestSupport
import Foundation
import MCP
import Testing

/// search_content's `multiline` and `replace` (issue 18): matches across lines, and a
/// preview of `rg -r` that writes nothing.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ServeSearchReplaceTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
        try directory.tree(["root/kv.txt": "foo=1 bar=22\nbaz\nfoo=3\n", "root/ml.txt": "a foo\nbar b\nc\n"])
    }

    @Test func replacePreviewsAndWritesNothing() async throws {
        let server = try await ServerProcess.start(["--root", directory.path("root")], in: directory.path)
        let result = try await server.call("search_content", ["pattern": #"(?P<k>\w+)=(\d+)"#, "replace": "${k}:$2"])
        let replaced = (result["matches"]?.arrayValue ?? []).compactMap { $0.objectValue?["replaced"]?.stringValue }
        #expect(replaced == ["foo:1 bar:22", "foo:3"], "\(result.text)")
        #expect(result.text.contains("kv.txt:1:1:foo:1 bar:22  (replaced; not written)"), "\(result.text)")
        #expect(try String(contentsOfFile: directory.path("root/kv.txt"), encoding: .utf8) == "foo=1 bar=22\nbaz\nfoo=3\n")
        #expect(await server.close() == 0)
    }

    @Test func multilineMatchesSpanLines() async throws {
        let server = try await ServerProcess.start(["--root", directory.path("root")], in: directory.path)
        let result = try await server.call("search_content", ["pattern": #"foo\nbar"#, "multiline": true])
        let matches = result["matches"]?.arrayValue ?? []
        #expect(matches.count == 1, "\(result.text)")
        let line = matches.first?.objectValue?["line"]?.intValue
        #expect(line == 1)
        #expect(matches.first?.objectValue?["text"]?.stringValue == "a foo\nbar b", "\(result.text)")
        // Without multiline, no single line can hold a newline: an error that says so
        // (as `rg` refuses it), never a silent "no match".
        let single = try await server.call("search_content", ["pattern": #"foo\nbar"#])
        #expect(single.isError == true, "\(single.text)")
        #expect(single.text.contains("set multiline to true"), "\(single.text)")
        let literal = try await server.call("search_content", ["pattern": "foo\nbar", "literal": true])
        #expect(literal.isError == true, "\(literal.text)")
        #expect(await server.close() == 0)
    }
}
