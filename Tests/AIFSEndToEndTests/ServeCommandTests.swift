import AIFSTestSupport
import Foundation
import Testing

/// `aifs serve` hands over to `aifs-mcp`, the program next to `aifs`. The MCP behaviour
/// itself is tested in AIFSServerTests, through `aifs serve`.
@Suite struct ServeCommandTests {
    @Test func helpIsTheServersHelp() throws {
        let dir = try TemporaryDirectory()
        let result = try AIFS.run(["serve", "--help"], in: dir.path)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("USAGE: aifs serve [--root <DIR> ...]"), "\(result)")
    }

    @Test func badOptionsAndRootsAreUsageErrors() throws {
        let dir = try TemporaryDirectory()
        let unknown = try AIFS.run(["serve", "--bogus"], in: dir.path)
        #expect(unknown.status == 2, "\(unknown)")
        #expect(unknown.stderr.contains("Unknown option '--bogus'"), "\(unknown)")
        let missing = try AIFS.run(["serve", "--root", dir.path("nowhere")], in: dir.path)
        #expect(missing.status == 2, "\(missing)")
        #expect(missing.stderr.contains("nowhere"), "\(missing)")
        #expect(missing.stderr.contains("does not exist"), "\(missing)")
    }

    @Test func withoutTheServerBesideItSaysWhatToInstall() throws {
        let dir = try TemporaryDirectory()
        let lonely = dir.path("aifs")
        try FileManager.default.copyItem(atPath: AIFS.executable, toPath: lonely)
        let result = try Process.capture(lonely, ["serve"], in: dir.path)
        #expect(result.status == 2, "\(result)")
        // /proc/self/exe gives the path with symbolic links resolved: compare the end.
        #expect(result.stderr.contains("cannot start the MCP server '"), "\(result)")
        #expect(result.stderr.contains("/aifs-mcp': No such file or directory"), "\(result)")
        #expect(result.stderr.contains("install aifs-mcp in the same directory as aifs"), "\(result)")
    }
}
