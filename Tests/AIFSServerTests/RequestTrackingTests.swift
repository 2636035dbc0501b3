@testable import AIFSServer
import Foundation
import Testing

/// How the transport knows which answers it still owes after end of file: requests in,
/// answers out, cancellations dropping what will never be answered.
@Suite(.timeLimit(.minutes(1)))
struct RequestTrackingTests {
    func data(_ text: String) -> Data { Data(text.utf8) }

    @Test func responsesNameTheRequestTheyAnswer() {
        #expect(StdioLineTransport.responseID(data(#"{"id":7,"jsonrpc":"2.0","result":{"content":[]}}"#)) == "n:7")
        #expect(StdioLineTransport.responseID(data(#"{"id":"a,\"b","jsonrpc":"2.0","result":{}}"#)) == #"s:a,"b"#)
        #expect(StdioLineTransport.responseID(data(#"{"error":{"code":-32602,"message":"x"},"id":"q","jsonrpc":"2.0"}"#)) == "s:q")
        #expect(StdioLineTransport.responseID(data(#"{"jsonrpc":"2.0","method":"notifications/progress","params":{}}"#)) == nil)
        #expect(StdioLineTransport.responseID(data(#"{"id":3,"jsonrpc":"2.0","method":"ping"}"#)) == nil)
    }

    @Test func requestsAndCancellationsAreTold() {
        #expect(StdioLineTransport.classify(data(#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{}}"#)) == .request(id: "n:7"))
        #expect(
            StdioLineTransport.classify(data(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}}"#))
                == .cancellation(of: "n:7"))
        #expect(StdioLineTransport.classify(data(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)) == .other)
        #expect(StdioLineTransport.classify(data(#"{"jsonrpc":"2.0","id":7,"result":{}}"#)) == .other)
        #expect(StdioLineTransport.classify(data("not json")) == .other)
    }

    @Test func aCancelledRequestOwesNoAnswer() async {
        let tracker = RequestTracker()
        tracker.received("n:1")
        tracker.received("n:2")
        tracker.answered("n:1")
        tracker.answered("n:1")  // twice: nothing more
        tracker.answered("n:2")  // the cancellation of 2
        let clock = ContinuousClock()
        let started = clock.now
        await tracker.drained(within: .seconds(30))
        // Nothing was owed, so it returned at once rather than after the timeout.
        #expect(clock.now - started < .seconds(10))
    }
}
