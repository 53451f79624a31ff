import ConfluentAPI
import JumpchainHTTP
import JumpchainJSON
import JumpchainTestSupport
import Testing

/// The error bodies the error tests feed are ones the spec declares for those operations.
@Suite("Error fixtures against the spec", .requiresSpecs)
struct ErrorFixtureContractTests {
    let contract: OpenAPIContract

    init() throws {
        contract = try confluentContract()
    }

    @Test("Kafka REST {error_code, message} and the HTML 429 page")
    func kafkaRESTErrors() {
        let exists: JSON = ["error_code": 40002, "message": "Topic 'orders' already exists."]
        let violations = contract.validateResponse(
            method: "POST", path: "/kafka/v3/clusters/lkc-jump/topics", status: 400, body: exists.jsonBytes)
        #expect(reported(violations, "400").isEmpty)
        let unauthorized: JSON = ["error_code": 40101, "message": "Authentication failed"]
        #expect(
            reported(
                contract.validateResponse(
                    method: "GET", path: "/kafka/v3/clusters/lkc-jump/links", status: 401,
                    body: unauthorized.jsonBytes), "401"
            ).isEmpty)
        // The 429 is declared as text/html: the contract accepts the page without schema checks.
        #expect(
            reported(
                contract.validateResponse(
                    method: "GET", path: "/kafka/v3/clusters/lkc-jump/topics", status: 429,
                    body: Reply.html429.body), "429"
            ).isEmpty)
    }

    @Test("Cloud {errors:[…]} for API keys: 409 on create, 403 for a deleted key")
    func cloudErrors() {
        let conflict = Fixtures.failure(
            status: 409, code: "resource_already_exists", title: "Conflict", detail: "already exists")
        #expect(
            reported(
                contract.validateResponse(
                    method: "POST", path: "/iam/v2/api-keys", status: 409, body: conflict.jsonBytes), "409"
            ).isEmpty)
        let forbidden = Fixtures.failure(
            status: 403, code: "forbidden_access", title: "Forbidden Access", detail: "no access")
        #expect(
            reported(
                contract.validateResponse(
                    method: "GET", path: "/iam/v2/api-keys/7FJIYKQ4SGQDQ72H", status: 403, body: forbidden.jsonBytes),
                "403"
            ).isEmpty)
    }
}
