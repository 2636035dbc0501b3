import AIFSTestSupport
import Foundation
import Testing

/// The round trip of a small `read_file` through a raw newline-delimited JSON-RPC
/// client with blocking reads (the SDK's client transport polls every 10 ms, which
/// would hide the server's own latency). Reported, never asserted: wall-clock numbers
/// belong in BENCHMARKS.md, not in pass/fail.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct RoundTripTests {
    /// Reads newline-terminated messages from a pipe.
    final class LineReader {
        let handle: FileHandle
        var pending = Data()

        init(_ handle: FileHandle) { self.handle = handle }

        func next() -> Data? {
            while true {
                if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = pending[pending.startIndex..<newline]
                    pending = Data(pending[(newline + 1)...])
                    return Data(line)
                }
                let chunk = handle.availableData
                if chunk.isEmpty { return nil }
                pending.append(chunk)
            }
        }
    }

    @Test func readFileRoundTrip() throws {
        let directory = try TemporaryDirectory()
        try directory.file("root/small.txt", "hello\nworld\n")
        let (process, input, output, _, _) = try ServerProcess.launch(["--root", directory.path("root")], in: directory.path)
        defer { if process.isRunning { process.terminate() } }
        let reader = LineReader(output.fileHandleForReading)
        func send(_ json: String) { input.fileHandleForWriting.write(Data((json + "\n").utf8)) }

        send(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#)
        #expect(reader.next() != nil)
        send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)

        let clock = ContinuousClock()
        var samples: [Duration] = []
        for id in 1...220 {
            let started = clock.now
            send(#"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"read_file","arguments":{"path":"small.txt"}}}"#)
            let response = reader.next()
            let elapsed = clock.now - started
            #expect(response.map { String(decoding: $0, as: UTF8.self).contains("hello\\nworld") } == true)
            if id > 20 { samples.append(elapsed) }  // the first calls warm up
        }
        samples.sort()
        let p50 = samples[samples.count / 2]
        let p99 = samples[samples.count * 99 / 100]
        print("read_file round trip over \(samples.count) calls: p50 \(p50), p99 \(p99)")
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
