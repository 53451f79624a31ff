import ConfluentAPI
import JumpchainHTTP
import JumpchainTestSupport
import Testing

/// Retries happen through the endpoint's policy: transient statuses are retried, final ones are not.
@Suite("Retries through the endpoint")
struct EndpointRetryTests {
    /// Tiny waits so the suite stays fast; three attempts.
    static let fast = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5), maxDelay: .milliseconds(20))

    @Test("503 then 200 succeeds, and onRetry hears about the wait")
    func serviceUnavailableThenOK() async throws {
        let retries = Recorder<String>()
        let list = Fixtures.collection("KafkaTopicList", "/topics", [Fixtures.topic])
        let harness = try Harness(
            sequence: [
                Reply.raw(503, #"{"error_code":50302,"message":"broker not available"}"#), Reply.json(200, list),
            ],
            retry: Self.fast, onRetry: { attempt, reason, _ in retries.append("\(attempt) \(reason)") })
        let topics = try await harness.kafka().listTopics()
        #expect(topics.map(\.topicName) == ["orders"])
        #expect(harness.requests.count == 2)
        #expect(retries.values == ["1 HTTP 503"])
    }

    @Test("an HTML 429 then 200 succeeds")
    func rateLimitedThenOK() async throws {
        let harness = try Harness(sequence: [Reply.html429, Reply.json(200, Fixtures.inboundLink)], retry: Self.fast)
        let link = try await harness.kafka().link("leg1")
        #expect(link?.linkName == "leg1")
        #expect(harness.requests.count == 2)
    }

    @Test("a retried createLink sends the same body again (the sensitive buffer survives the first attempt)")
    func createLinkRetried() async throws {
        let harness = try Harness(sequence: [Reply.empty(503), Reply.empty(204)], retry: Self.fast)
        let jump = APICredential(key: "JUMPKEY000000001", secret: Secret("retry-secret-value"))
        try await harness.kafka().createLink(
            "leg1", sourceClusterID: "lkc-origin",
            configs: [LinkConfigEntry("sasl.jaas.config", secret: JAASConfig.plain(jump))])
        let requests = harness.requests
        try #require(requests.count == 2)
        #expect(requests[0].body == requests[1].body)
        #expect(occurrences(of: Array("retry-secret-value".utf8), in: requests[1].body) == 1)
    }

    @Test("409 is final: one request, a conflict error")
    func conflictNotRetried() async throws {
        let conflict = Fixtures.failure(
            status: 409, code: "resource_already_exists", title: "Conflict", detail: "already exists")
        let harness = try Harness(always: Reply.json(409, conflict), retry: Self.fast)
        do {
            _ = try await harness.controlPlane.createAPIKey(
                owner: "sa-1", resource: nil, environment: nil, displayName: "d", description: "")
            Issue.record("expected a conflict")
        } catch {
            #expect(error.code == .conflict)
        }
        #expect(harness.requests.count == 1)
    }

    @Test("503 until the budget runs out surfaces the last answer as a server error")
    func budgetExhausted() async throws {
        let harness = try Harness(
            always: Reply.raw(503, #"{"error_code":50302,"message":"broker not available"}"#), retry: Self.fast)
        do {
            try await harness.kafka().deleteTopic("orders")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .server)
            #expect(error.apiErrorCode == "50302")
            #expect(error.isTransient)
        }
        #expect(harness.requests.count == 3)
    }
}
