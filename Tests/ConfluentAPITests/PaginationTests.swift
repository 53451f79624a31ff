import ConfluentAPI
import JumpchainHTTP
import JumpchainJSON
import JumpchainTestSupport
import Testing

/// IAM v2 lists follow `metadata.next` (absolute URLs with an opaque `page_token`) on our own base URL.
@Suite("Pagination")
struct PaginationTests {
    /// Three pages; `next` URLs point at api.confluent.cloud and carry a token with percent-escapes.
    static let page2 = "/iam/v2/api-keys?page_size=2&page_token=UvmDWOB1iwfAIBPj6EYb%2Bp2%3D"
    static let page3 = "/iam/v2/api-keys?page_size=2&page_token=Zm9v%2Fbar%3D%3D"

    static func pages(lastNext: JSON) -> @Sendable (ScriptedHTTPServer.Request) -> ScriptedHTTPServer.Response {
        { request in
            switch request.path {
            case page2:
                return Reply.json(200, Fixtures.apiKeyPage(["KEY3", "KEY4"], next: .string(Fixtures.apiHost + page3)))
            case page3: return Reply.json(200, Fixtures.apiKeyPage(["KEY5"], next: lastNext))
            default:
                guard request.pathOnly == "/iam/v2/api-keys", !request.rawQuery.contains("page_token") else {
                    return Reply.json(
                        400, Fixtures.failure(status: 400, code: "invalid_filter", title: "Bad", detail: request.path))
                }
                return Reply.json(200, Fixtures.apiKeyPage(["KEY1", "KEY2"], next: .string(Fixtures.apiHost + page2)))
            }
        }
    }

    @Test("three pages via metadata.next, filters on the first request, tokens passed on untouched")
    func threePages() async throws {
        let harness = try Harness(handler: Self.pages(lastNext: nil))
        let keys = try await harness.controlPlane.listAPIKeys(owner: "sa-12mgdv", resource: "lkc-jump")
        #expect(keys.map(\.id) == ["KEY1", "KEY2", "KEY3", "KEY4", "KEY5"])
        let paths = harness.requests.map(\.path)
        #expect(
            paths == [
                "/iam/v2/api-keys?page_size=100&spec.owner=sa-12mgdv&spec.resource=lkc-jump", Self.page2, Self.page3,
            ])
        // Every page went to our server (the base URL), never to the host named in `next`.
        #expect(harness.requests.allSatisfy { $0.header("Host") == "127.0.0.1:\(harness.server.port)" })
    }

    @Test("the last page may omit metadata.next or send it empty")
    func lastPageVariants() async throws {
        let empty = try Harness(handler: Self.pages(lastNext: ""))
        #expect(try await empty.controlPlane.listAPIKeys().count == 5)
        #expect(empty.requests.count == 3)
        #expect(empty.requests[0].path == "/iam/v2/api-keys?page_size=100")
    }

    @Test("the pages are valid ApiKeyList responses", .requiresSpecs)
    func pagesAreSpecValid() throws {
        let contract = try confluentContract()
        for page in [
            Fixtures.apiKeyPage(["KEY1", "KEY2"], next: .string(Fixtures.apiHost + Self.page2)),
            Fixtures.apiKeyPage(["KEY5"], next: nil),
        ] {
            let violations = contract.validateResponse(
                method: "GET", path: "/iam/v2/api-keys", status: 200, body: page.jsonBytes)
            #expect(reported(violations, "ApiKeyList").isEmpty)
        }
    }

    @Test("a server that keeps answering with the same next URL does not loop forever")
    func repeatedNextStops() async throws {
        let harness = try Harness { _ in
            Reply.json(200, Fixtures.apiKeyPage(["KEY1"], next: .string(Fixtures.apiHost + Self.page2)))
        }
        let keys = try await harness.controlPlane.listAPIKeys()
        #expect(harness.requests.count == 2)
        #expect(keys.count == 2)
    }

    @Test("a base URL with a path prefix keeps it for next pages")
    func baseURLWithPrefix() async throws {
        let server = try ScriptedHTTPServer { request in
            if request.path.hasPrefix("/gateway/iam/v2/api-keys?page_size=2") {
                return Reply.json(200, Fixtures.apiKeyPage(["KEY2"], next: nil))
            }
            let next = "http://127.0.0.1/gateway/iam/v2/api-keys?page_size=2&page_token=t2"
            return Reply.json(200, Fixtures.apiKeyPage(["KEY1"], next: .string(next)))
        }
        defer { server.stop() }
        let endpoint = APIEndpoint(
            http: HTTPClient(), baseURL: server.baseURL + "/gateway/", credential: Harness.credential,
            label: "gateway", retry: .none)
        let keys = try await ControlPlaneClient(endpoint: endpoint).listAPIKeys()
        #expect(keys.map(\.id) == ["KEY1", "KEY2"])
        #expect(
            server.requests.map(\.path) == [
                "/gateway/iam/v2/api-keys?page_size=100", "/gateway/iam/v2/api-keys?page_size=2&page_token=t2",
            ])
    }

    @Test("service accounts follow next too")
    func serviceAccountPages() async throws {
        let harness = try Harness { request in
            let first = !request.rawQuery.contains("page_token")
            let body: JSON = [
                "api_version": "iam/v2", "kind": "ServiceAccountList",
                "metadata": [
                    "next": first ? .string(Fixtures.apiHost + "/iam/v2/service-accounts?page_token=abc") : nil
                ],
                "data": [first ? Fixtures.serviceAccount("sa-1", "a") : Fixtures.serviceAccount("sa-2", "b")],
            ]
            return Reply.json(200, body)
        }
        let accounts = try await harness.controlPlane.listServiceAccounts()
        #expect(accounts.map(\.id) == ["sa-1", "sa-2"])
        #expect(
            harness.requests.map(\.path) == [
                "/iam/v2/service-accounts?page_size=100", "/iam/v2/service-accounts?page_token=abc",
            ])
    }
}
