import Foundation
import JumpchainHTTP
import JumpchainTestSupport
import Testing

@Suite("Request deadlines, the request log and retry summaries")
struct DeadlineTests {
    @Test("within a deadline, a server that does not answer in time costs one cut-short attempt, no retries")
    func deadlineBoundsAttemptsAndRetries() async throws {
        let server = try ScriptedHTTPServer { _ in ScriptedHTTPServer.Response(hang: true) }
        defer { server.stop() }
        let attempts = Recorder<RequestLogEntry>()
        let client = HTTPClient(
            configuration: HTTPClient.Configuration(timeout: .seconds(15), requestLog: { attempts.append($0) }))
        let error = await #expect(throws: TransportError.self) {
            try await RequestDeadline.within(.milliseconds(400)) {
                _ = try await client.send(
                    HTTPRequest(method: .get, url: server.baseURL + "/held"), retry: RetryPolicy(maxAttempts: 5))
            }
        }
        #expect(error?.code == .timedOut)
        #expect(error?.attempts == 1, "a retry was started past the deadline")
        #expect(attempts.values.count == 1)
        #expect(attempts.values.first?.status == nil)
    }

    @Test("a deadline that has passed sends nothing")
    func passedDeadlineSendsNothing() async throws {
        let server = try ScriptedHTTPServer { _ in .text(200, "ok") }
        defer { server.stop() }
        let error = await #expect(throws: TransportError.self) {
            try await RequestDeadline.$current.withValue(ContinuousClock.now - .seconds(1)) {
                _ = try await HTTPClient().send(HTTPRequest(method: .get, url: server.baseURL + "/x"))
            }
        }
        #expect(error?.code == .timedOut)
        #expect(server.requests.isEmpty)
    }

    @Test("the request log names method, URL, status and attempt, and never a credential")
    func requestLogIsRedacted() async throws {
        let count = Counter()
        let server = try ScriptedHTTPServer { _ in count.increment() == 1 ? .text(503, "busy") : .text(200, "ok") }
        defer { server.stop() }
        let entries = Recorder<RequestLogEntry>()
        let client = HTTPClient(configuration: HTTPClient.Configuration(requestLog: { entries.append($0) }))
        let credential = APICredential(key: "LOGKEY0000000001", secret: Secret("s3cr3t-value-that-must-not-show"))
        let response = try await client.send(
            HTTPRequest(method: .get, url: server.baseURL + "/topics", credential: credential),
            retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5), maxDelay: .milliseconds(10)))
        #expect(response.status == 200)
        let lines = entries.values.map(\.description)
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("GET \(server.baseURL)/topics → 503 in "))
        #expect(lines[0].hasSuffix("(attempt 1)"))
        #expect(lines[1].hasSuffix("(attempt 2)"))
        #expect(!lines.joined().contains("s3cr3t"))
    }

    @Test("a retry summary is one rounded line")
    func summaryIsRounded() {
        #expect(RetrySummary.format(.nanoseconds(46_469_713)) == "46 ms")
        #expect(RetrySummary.format(.milliseconds(1260)) == "1.3 s")
        #expect(RetrySummary.format(.milliseconds(42_400)) == "42 s")
        let summary = RetrySummary(
            request: "GET /x on origin", reasons: ["HTTP 429", "HTTP 429, server asked to wait", "timed-out: slow"],
            waited: .milliseconds(1260), outcome: "succeeded")
        #expect(summary.description == "GET /x on origin: 4 attempts (HTTP 429 ×2, timed-out), waited 1.3 s; succeeded")
    }
}
