import ConfluentAPI
import Foundation
import JumpchainHTTP
import JumpchainTestSupport
import Testing

/// The hostile-server cases that need a client configuration the CLI does not expose (a private CA) or that
/// are about decoding rather than failing. The other cases run through the binary in
/// `JumpchainCLITests/HostileServerCLITests`.
@Suite("Hostile servers", .timeLimit(.minutes(1)))
struct HostileServerTests {
    static let credential = APICredential(key: "HOSTILEKEY000001", secret: Secret("hostile-secret-0001"))

    @Test func tlsCertificateForAnotherNameIsRefusedWithoutRetry() async throws {
        let tls = try TLSTestServer.start(subjectAltName: "DNS:other.example")
        defer { tls.stop() }
        // The CA is trusted: only the name is wrong, and that alone must fail the handshake.
        let http = HTTPClient(configuration: .init(caBundlePath: tls.caPath))
        defer { http.shutdown() }
        let endpoint = APIEndpoint(
            http: http, baseURL: "https://127.0.0.1:\(tls.port)", credential: Self.credential,
            label: "origin (lkc-origin) Kafka REST", retry: .standard)
        let client = KafkaRESTClient(endpoint: endpoint, clusterID: "lkc-origin")
        let error = await #expect(throws: ConfluentAPIError.self) { _ = try await client.listTopics() }
        #expect(error?.code == .unreachable)
        #expect(error?.isTransient == false)  // nor by resuming the step later
        let transport = error?.cause as? TransportError
        #expect(transport?.code == .tls)
        #expect(transport?.attempts == 1)  // a certificate does not get better by asking again
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("origin (lkc-origin) Kafka REST: GET /kafka/v3/clusters/lkc-origin/topics"))
        #expect(!text.contains("hostile-secret-0001"))
    }

    @Test func unknownEnumValuesAreKeptVerbatim() async throws {
        // Confluent may add link states and mirror statuses: they must decode (and be shown as they are),
        // never crash or fail the whole listing.
        let server = try ScriptedHTTPServer { request in
            let body =
                request.path.hasSuffix("/mirrors")
                ? #"{"kind":"KafkaMirrorDataList","metadata":{},"data":[{"link_name":"l","mirror_topic_name":"t","source_topic_name":"t","num_partitions":1,"mirror_lags":[],"mirror_status":"QUANTUM_ENTANGLED"}]}"#
                : #"{"kind":"KafkaLinkData","link_name":"l","link_state":"HIBERNATING","link_error":"NEW_ERROR_KIND"}"#
            return .init(headers: [("Content-Type", "application/json")], body: Array(body.utf8))
        }
        defer { server.stop() }
        let http = HTTPClient()
        defer { http.shutdown() }
        let client = KafkaRESTClient(
            endpoint: APIEndpoint(
                http: http, baseURL: server.baseURL, credential: Self.credential, label: "jump (lkc-jump) Kafka REST",
                retry: .none),
            clusterID: "lkc-jump")
        let link = try await client.link("l")
        #expect(link?.linkState == "HIBERNATING")
        #expect(link?.linkError == "NEW_ERROR_KIND")
        #expect(try await client.mirrors(link: "l").map(\.mirrorStatus) == ["QUANTUM_ENTANGLED"])
    }
}
