import AIFSTestSupport
import Foundation
import MCP
import Testing

/// Files as resources end to end: list, read, and a subscription notified by a real
/// file change.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ServeResourceTests {
    let directory: TemporaryDirectory
    var root: String { directory.path("root") }

    init() throws {
        directory = try TemporaryDirectory()
        try directory.tree([
            "root/src/main.swift": "print(1)\n",
            "root/notes.txt": "first\n",
            "root/.hidden/secret.txt": "hidden\n",
            "root-evil/secret.txt": "do not read me\n",
        ])
        try Data([0x7F, 0x45, 0x4C, 0x46, 0x00, 0x01, 0x02, 0xFF]).write(to: URL(fileURLWithPath: directory.path("root/app.bin")))
    }

    func start() async throws -> ServerProcess {
        try await ServerProcess.start(["--root", root], in: directory.path)
    }

    func uri(_ relative: String) -> String {
        URL(fileURLWithPath: directory.path(relative)).absoluteString
    }

    @Test func listAndReadFiles() async throws {
        let server = try await start()
        let (resources, next) = try await server.client.listResources()
        #expect(resources.map(\.name) == ["app.bin", "notes.txt", "src/main.swift"])
        #expect(resources.map(\.uri) == [uri("root/app.bin"), uri("root/notes.txt"), uri("root/src/main.swift")])
        #expect(resources.first { $0.name == "notes.txt" }?.size == 6)
        #expect(next == nil)

        let text = try await server.client.readResource(uri: uri("root/notes.txt"))
        #expect(text.first?.text == "first\n")
        #expect(text.first?.mimeType == "text/plain")
        let binary = try await server.client.readResource(uri: uri("root/app.bin"))
        #expect(binary.first?.text == nil)
        #expect(binary.first?.blob == Data([0x7F, 0x45, 0x4C, 0x46, 0x00, 0x01, 0x02, 0xFF]).base64EncodedString())

        for (bad, message) in [
            (uri("root-evil/secret.txt"), "outside the allowed roots"), ("file:///etc/passwd", "outside the allowed roots"),
            ("https://example.com/x", "not a file URI"), (uri("root/missing.txt"), "no such file"),
            (uri("root/src"), "is a directory"),
        ] {
            do {
                _ = try await server.client.readResource(uri: bad)
                Issue.record("\(bad) was read")
            } catch let error as MCPError {
                #expect(error.code == -32602, "\(bad): \(error)")
                #expect("\(error)".contains(message), "\(bad): \(error)")
            }
        }
        // The server is still there.
        #expect(try await server.client.readResource(uri: uri("root/src/main.swift")).first?.text == "print(1)\n")
        #expect(await server.close() == 0)
    }

    @Test func listPagesThroughManyFiles() async throws {
        for index in 0..<620 {
            try directory.file(String(format: "root/many/f%04d.txt", index), "\(index)\n")
        }
        let server = try await start()
        var names: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let (resources, next) = try await server.client.listResources(cursor: cursor)
            #expect(resources.count <= 500)
            names += resources.map(\.name)
            cursor = next
            pages += 1
        } while cursor != nil && pages < 10
        #expect(pages == 2)
        #expect(names.count == 623)
        #expect(names == names.sorted())
        #expect(await server.close() == 0)
    }

    @Test func subscriptionIsNotifiedOfARealChange() async throws {
        let server = try await start()
        let (updates, continuation) = AsyncStream<String>.makeStream()
        await server.client.onNotification(ResourceUpdatedNotification.self) { message in
            continuation.yield(message.params.uri)
        }
        let notes = uri("root/notes.txt")
        try await server.client.subscribeToResource(uri: notes)
        // Subscribing twice is harmless.
        try await server.client.subscribeToResource(uri: notes)
        try "second\n".write(toFile: directory.path("root/notes.txt"), atomically: false, encoding: .utf8)

        let updated = await first(of: updates, within: .seconds(30))
        #expect(updated == notes)
        // A read after the notification sees the new contents.
        #expect(try await server.client.readResource(uri: notes).first?.text == "second\n")

        // An atomic save (a temporary file renamed over it, as editors and write_file
        // do) is a change too, and so is a second one: the watch follows the name.
        for contents in ["third\n", "fourth\n"] {
            try contents.write(toFile: directory.path("root/notes.txt"), atomically: true, encoding: .utf8)
            #expect(await first(of: updates, within: .seconds(30)) == notes, "\(contents)")
            #expect(try await server.client.readResource(uri: notes).first?.text == contents)
        }

        await #expect(throws: MCPError.self) { try await server.client.subscribeToResource(uri: uri("root-evil/secret.txt")) }
        await #expect(throws: MCPError.self) { try await server.client.subscribeToResource(uri: uri("root/missing.txt")) }

        let parameters = try JSONDecoder().decode(
            ResourceUnsubscribe.Parameters.self, from: JSONEncoder().encode(["uri": notes]))
        _ = try await server.client.send(ResourceUnsubscribe.request(parameters)).value
        #expect(await server.close() == 0)
    }

    /// The first element of `stream`, or `nil` after `timeout`.
    func first(of stream: AsyncStream<String>, within timeout: Duration) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask {
                for await element in stream { return element }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
