import ConfluentAPI
import JumpchainHTTP
import JumpchainTestSupport
import Testing

/// Both error shapes, HTML 429s, "gone" answers that are not errors, and any 2xx as success.
@Suite("Errors")
struct ErrorTests {
    /// Runs `body`, which must throw a ``ConfluentAPIError``, and returns it.
    private func caught(
        sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
    ) async throws -> ConfluentAPIError {
        do {
            try await body()
        } catch let error as ConfluentAPIError {
            return error
        }
        Issue.record("expected a ConfluentAPIError", sourceLocation: sourceLocation)
        throw CancellationError()
    }

    @Test("Kafka REST shape {error_code, message}")
    func kafkaRESTShape() async throws {
        let harness = try Harness(
            always: Reply.raw(400, #"{"error_code":40002,"message":"Topic 'orders' already exists."}"#))
        let error = try await caught { try await harness.kafka().createTopic("orders", partitions: 6) }
        #expect(error.code == .badRequest)
        #expect(error.status == 400)
        #expect(error.apiErrorCode == "40002")
        #expect(error.message == "Topic 'orders' already exists.")
        #expect(error.endpoint == "test endpoint")
        #expect(error.request == "POST /kafka/v3/clusters/lkc-jump/topics")
        #expect(
            error.description
                == "test endpoint: POST /kafka/v3/clusters/lkc-jump/topics failed with HTTP 400 (40002): "
                + "Topic 'orders' already exists.")
        #expect(!error.isTransient)
    }

    @Test("Cloud shape {errors:[{status, code, title, detail}]}")
    func cloudShape() async throws {
        let conflict = Fixtures.failure(
            status: 409, code: "resource_already_exists", title: "Conflict",
            detail: "An API key with this display name already exists")
        let harness = try Harness(always: Reply.json(409, conflict))
        let error = try await caught {
            _ = try await harness.controlPlane.createAPIKey(
                owner: "sa-1", resource: nil, environment: nil, displayName: "d", description: "")
        }
        #expect(error.code == .conflict)
        #expect(error.status == 409)
        #expect(error.apiErrorCode == "resource_already_exists")
        #expect(error.message == "An API key with this display name already exists")

        // Without detail the title is the message; without code the status string is the API code.
        let titleOnly = try Harness(
            always: Reply.raw(422, #"{"errors":[{"status":"422","title":"Validation Failed"}]}"#))
        let second = try await caught { _ = try await titleOnly.controlPlane.listServiceAccounts() }
        #expect(second.code == .badRequest)
        #expect(second.apiErrorCode == "422")
        #expect(second.message == "Validation Failed")
    }

    @Test(
        "status to code mapping",
        arguments: [
            (401, "unauthorized"), (403, "forbidden"), (404, "not-found"), (409, "conflict"), (429, "rate-limited"),
            (500, "server-error"), (503, "server-error"), (418, "unexpected-status"),
        ])
    func statusMapping(status: Int, code: String) async throws {
        let harness = try Harness(always: Reply.raw(status, #"{"error_code":\#(status)01,"message":"m"}"#))
        let error = try await caught { _ = try await harness.kafka().listLinks() }
        #expect(error.code.description == code)
        #expect(error.status == status)
        #expect(error.apiErrorCode == "\(status)01")
        #expect(error.isTransient == [429, 500, 503].contains(status))
    }

    @Test("an HTML 429 from Kafka REST becomes a rate-limited error with a readable message")
    func html429() async throws {
        let harness = try Harness(always: Reply.html429)
        let error = try await caught { _ = try await harness.kafka().listTopics() }
        #expect(error.code == .rateLimited)
        #expect(error.status == 429)
        #expect(error.apiErrorCode == nil)
        #expect(error.message == "rate limited")
        #expect(!error.description.contains("<html>"))
        #expect(error.isTransient)
    }

    @Test("a non-JSON error body (a proxy's page) keeps the status and says there was no message")
    func plainTextError() async throws {
        let harness = try Harness(always: Reply.raw(502, "Bad Gateway", contentType: "text/plain"))
        let error = try await caught { try await harness.kafka().deleteTopic("orders") }
        #expect(error.code == .server)
        #expect(error.status == 502)
        #expect(error.message == "no error message in the response body")
    }

    @Test("404 is nil for topic, link, mirror and apiKey; 403 is nil for apiKey")
    func notFoundIsNil() async throws {
        let kafka404 = Reply.raw(404, #"{"error_code":404,"message":"HTTP 404 Not Found"}"#)
        let harness = try Harness(always: kafka404)
        #expect(try await harness.kafka().topic("orders") == nil)
        #expect(try await harness.kafka().link("leg1") == nil)
        #expect(try await harness.kafka().mirror(link: "leg1", topic: "orders") == nil)
        #expect(try await harness.controlPlane.apiKey("7FJIYKQ4SGQDQ72H") == nil)

        let forbidden = Fixtures.failure(
            status: 403, code: "forbidden_access", title: "Forbidden Access",
            detail: "The API key doesn't have access to this resource")
        let deleted = try Harness(always: Reply.json(403, forbidden))
        #expect(try await deleted.controlPlane.apiKey("7FJIYKQ4SGQDQ72H") == nil)
        // For a Kafka topic a 403 is a real authorization failure, not "gone".
        let error = try await caught { _ = try await deleted.kafka().topic("orders") }
        #expect(error.code == .forbidden)
    }

    @Test("deleteAPIKey treats 204, 404 and 403 as done, 500 as a failure", arguments: [204, 404, 403])
    func deleteAPIKeyDone(status: Int) async throws {
        let harness = try Harness(always: Reply.empty(status))
        try await harness.controlPlane.deleteAPIKey("7FJIYKQ4SGQDQ72H")
        let request = try harness.onlyRequest()
        #expect(request.method == "DELETE")
        #expect(request.path == "/iam/v2/api-keys/7FJIYKQ4SGQDQ72H")
    }

    @Test("deleteAPIKey surfaces a server error")
    func deleteAPIKeyFails() async throws {
        let harness = try Harness(
            always: Reply.json(500, Fixtures.failure(status: 500, code: "internal", title: "Oops", detail: nil)))
        let error = try await caught { try await harness.controlPlane.deleteAPIKey("7FJIYKQ4SGQDQ72H") }
        #expect(error.code == .server)
        #expect(error.request == "DELETE /iam/v2/api-keys/7FJIYKQ4SGQDQ72H")
    }

    @Test(
        "any 2xx is success for creates (201 as the Terraform mocks send, 200, 202, 204)",
        arguments: [200, 201, 202, 204])
    func any2xx(status: Int) async throws {
        let harness = try Harness(always: Reply.empty(status))
        let client = harness.kafka()
        try await client.createLink("leg1", sourceClusterID: "lkc-origin", configs: [])
        try await client.createMirror(link: "leg1", sourceTopic: "orders")
        try await client.alterLinkConfigs("leg1", set: [LinkConfigEntry("acl.sync.enable", "false")])
        try await client.deleteLink("leg1")
        #expect(harness.requests.count == 4)
    }

    @Test("a produce rejected inside a 200 throws with the record's error code")
    func produceRejected() async throws {
        let harness = try Harness(
            always: Reply.raw(200, #"{"error_code":400,"message":"Bad Request: data=1 is not a base64 string."}"#))
        let error = try await caught { _ = try await harness.kafka().produce(topic: "orders", value: "x") }
        #expect(error.code == .badRequest)
        #expect(error.status == 200)
        #expect(error.apiErrorCode == "400")
        #expect(error.message == "Bad Request: data=1 is not a base64 string.")
    }

    @Test("a 2xx whose body does not decode is a decoding error")
    func undecodable() async throws {
        let harness = try Harness(always: Reply.raw(200, #"{"data":[{"link_name":5}]}"#))
        let error = try await caught { _ = try await harness.kafka().listLinks() }
        #expect(error.code == .decoding)
        #expect(error.status == 200)
    }

    @Test("no server listening is an unreachable, transient error")
    func unreachable() async throws {
        let harness = try Harness(always: Reply.empty(200))
        let port = harness.server.port
        harness.server.stop()
        let endpoint = APIEndpoint(
            http: harness.http, baseURL: "http://127.0.0.1:\(port)", credential: Harness.credential,
            label: "closed port", retry: .none)
        let error = try await caught {
            _ = try await KafkaRESTClient(endpoint: endpoint, clusterID: "lkc-1").listTopics()
        }
        #expect(error.code == .unreachable)
        #expect(error.status == nil)
        #expect(error.isTransient)
        #expect(error.cause != nil)
    }
}
