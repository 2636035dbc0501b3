import AIFS
import AIFSCore
import AIFSTestSupport
import Foundation
import MCP
import Testing

@testable import AIFSServer

/// `resources/read` passes two gates: the server's own (`FileResources.path`, against
/// the server's roots) and the facade's (`FileService.readFile`, against the service's
/// roots). In `aifs serve` both hold the same roots, so an end-to-end test passes with
/// either gate removed. Here each gate is tested alone: the other one is made wider
/// than the roots under test, so removing the gate under test lets the read through.
///
/// Issue 15: a gap the mutation tests found (removing the server's gate failed no test).
@Suite struct ResourceGateTests {
    private func invalidParamsMessage(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
        } catch let MCPError.invalidParams(message) {
            return message ?? ""
        } catch {
            Issue.record("expected invalidParams, got \(error)")
            return nil
        }
        Issue.record("expected invalidParams, the read succeeded")
        return nil
    }

    /// The server's gate alone: the facade would read anything in the temporary
    /// directory; the server's roots are only `inside`.
    @Test func issue15_theServersOwnGateRefusesAResourceOutsideItsRoots() async throws {
        let dir = try TemporaryDirectory()
        let inside = try dir.directory("inside")
        try dir.file("inside/ok.txt", "ok")
        let secret = try dir.file("outside/secret.txt", "secret")
        try dir.symlink("inside/link.txt", to: secret)
        let service = FileService(roots: try Roots([dir.path]))
        let context = ToolContext(service: service, roots: try Roots([inside]), watchers: WatchRegistry())
        // The facade's own gate lets it through: only the server's can refuse it.
        #expect(try service.readFile(path: secret, range: .bytes(offset: 0, length: nil)).bytes == Array("secret".utf8))

        for uri in [
            FileResources.uri(secret), "file://\(inside)/../outside/secret.txt", FileResources.uri(inside + "/link.txt"),
        ] {
            let message = await invalidParamsMessage { _ = try await FileResources.read(uri, context: context) }
            #expect(message?.contains("outside the allowed roots") == true, "\(uri): \(message ?? "")")
            #expect(message?.contains(inside) == true, "the message names the roots: \(message ?? "")")
        }
        let result = try await FileResources.read(FileResources.uri(inside + "/ok.txt"), context: context)
        #expect(result.contents.first?.text == "ok")
    }

    /// The facade's gate alone: the server's roots are the whole temporary directory,
    /// the service's only `inside`.
    @Test func issue15_theFacadesGateRefusesAResourceOutsideItsRoots() async throws {
        let dir = try TemporaryDirectory()
        let inside = try dir.directory("inside")
        let secret = try dir.file("outside/secret.txt", "secret")
        let service = FileService(roots: try Roots([inside]))
        let context = ToolContext(service: service, roots: try Roots([dir.path]), watchers: WatchRegistry())
        let message = await invalidParamsMessage { _ = try await FileResources.read(FileResources.uri(secret), context: context) }
        #expect(message?.contains("outside the allowed roots") == true, "\(message ?? "")")
    }
}
