import ConfluentAPI
import Foundation
import JumpchainHTTP
import JumpchainTestSupport
import Testing

/// Secrets reach the server exactly where they belong and nowhere else: not in descriptions, errors, models.
@Suite("Secrets")
struct SecretTests {
    static let apiSecret = "Zq1QQ+Ls3nKuQD/kCI0aa0RVWjUm6HjkG5CmVwSSH3x1pvbrLLrFFH5i5dVQyZmuAbCdEfGh"

    /// Whether `text` holds any of `needles`; a Bool, so that a failing expectation does not print the text.
    private static func leaks(_ text: String, _ needles: [String]) -> Bool {
        needles.contains { text.contains($0) }
    }

    /// Everything a value can print as.
    private static func renderings(_ value: Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return [String(describing: value), String(reflecting: value), dumped]
    }

    @Test("the created key's secret is in the credential, byte for byte, and in no rendering")
    func apiKeySecret() async throws {
        let body = Fixtures.apiKey(id: "7FJIYKQ4SGQDQ72H", secret: Self.apiSecret)
        let harness = try Harness(always: Reply.json(202, body))
        let created = try await harness.controlPlane.createAPIKey(
            owner: "sa-12mgdv", resource: "lkc-jump", environment: "env-abc123", displayName: "d", description: "d")
        #expect(created.credential.secret.withBytes { Array($0) } == Array(Self.apiSecret.utf8))
        for text in Self.renderings(created) + Self.renderings(created.key) + Self.renderings(created.credential) {
            #expect(!Self.leaks(text, ["Zq1QQ", "CdEfGh"]))
        }
        // The request carried the endpoint's credential as Basic auth, and no secret in the body.
        let request = try harness.onlyRequest()
        let basic = Data("ENDPOINTKEY00001:endpoint-secret-0001".utf8).base64EncodedString()
        #expect(request.header("Authorization") == "Basic \(basic)")
        #expect(occurrences(of: Array("secret".utf8), in: request.body) == 0)
    }

    @Test("JSON escapes in the secret are decoded (\\/ and \\u002b)")
    func escapedSecret() async throws {
        let raw =
            #"{"api_version":"iam/v2","kind":"ApiKey","id":"KEYESCAPED000001","metadata":{"self":"x"},"#
            + #""spec":{"display_name":"\"secret\": \"decoy\"","secret":"ab\/cd\u002Bef\\gh","owner":{"id":"sa-1"}}}"#
        let harness = try Harness(always: Reply.raw(202, raw))
        let created = try await harness.controlPlane.createAPIKey(
            owner: "sa-1", resource: nil, environment: nil, displayName: "d", description: "")
        #expect(created.credential.secret.withBytes { Array($0) } == Array(#"ab/cd+ef\gh"#.utf8))
        #expect(created.key.spec.displayName == #""secret": "decoy""#)
    }

    @Test("a create response that does not decode fails without echoing the secret")
    func undecodableCreate() async throws {
        let raw = #"{"kind":"ApiKey","spec":{"secret":"\#(Self.apiSecret)"}}"#
        let harness = try Harness(always: Reply.raw(202, raw))
        do {
            _ = try await harness.controlPlane.createAPIKey(
                owner: "sa-1", resource: nil, environment: nil, displayName: "d", description: "")
            Issue.record("expected a decoding error")
        } catch {
            #expect(error.code == .decoding)
            #expect(!Self.leaks(error.description, ["Zq1QQ", "CdEfGh"]))
        }
    }

    @Test("a create response without spec.secret is an error naming the key")
    func missingSecret() async throws {
        let harness = try Harness(always: Reply.json(202, Fixtures.apiKey(id: "7FJIYKQ4SGQDQ72H", secret: "")))
        do {
            _ = try await harness.controlPlane.createAPIKey(
                owner: "sa-1", resource: nil, environment: nil, displayName: "d", description: "")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .decoding)
            #expect(error.message.contains("7FJIYKQ4SGQDQ72H"))
        }
    }

    @Test("createLink: each JAAS password reaches the server exactly once, JSON-escaped; descriptions mask it")
    func createLinkBody() async throws {
        let harness = try Harness(always: Reply.empty(204))
        let jump = APICredential(key: "JUMPKEY000000001", secret: Secret("J+mp/S3cret=Value0123456789"))
        let origin = APICredential(key: "ORIGINKEY0000001", secret: Secret("0rigin-S3cret-Value-abcdefgh"))
        let configs = [
            LinkConfigEntry("link.mode", "SOURCE"), LinkConfigEntry("connection.mode", "OUTBOUND"),
            LinkConfigEntry("sasl.jaas.config", secret: JAASConfig.plain(jump)),
            LinkConfigEntry("local.sasl.jaas.config", secret: JAASConfig.plain(origin)),
        ]
        try await harness.kafka("lkc-origin").createLink("leg1", destinationClusterID: "lkc-jump", configs: configs)
        let body = try harness.onlyRequest().body
        #expect(occurrences(of: Array("J+mp/S3cret=Value0123456789".utf8), in: body) == 1)
        #expect(occurrences(of: Array("0rigin-S3cret-Value-abcdefgh".utf8), in: body) == 1)
        #expect(occurrences(of: Array(#"password=\"J+mp/S3cret=Value0123456789\";"#.utf8), in: body) == 1)
        #expect(occurrences(of: Array(#"username=\"JUMPKEY000000001\""#.utf8), in: body) == 1)
        // Client side: every rendering of the entries masks the values.
        for text in Self.renderings(configs) + configs.map(\.description) {
            #expect(!Self.leaks(text, ["S3cret"]))
        }
        #expect(configs[2].description == "sasl.jaas.config=<redacted>")
        #expect(configs[0].description == "link.mode=SOURCE")
        // The caller's secrets are untouched by the call (the body buffer is the one that was wiped).
        #expect(jump.secret.withBytes { Array($0) } == Array("J+mp/S3cret=Value0123456789".utf8))
    }

    @Test("JAAS values with quotes or backslashes stay one well-formed JAAS string")
    func jaasEscaping() throws {
        let odd = APICredential(key: "KEY", secret: Secret(#"pa"ss\word"#))
        let jaas = JAASConfig.plain(odd).withBytes { String(decoding: $0, as: UTF8.self) }
        #expect(
            jaas
                == #"org.apache.kafka.common.security.plain.PlainLoginModule required username="KEY" password="pa\"ss\\word";"#
        )
        #expect(JAASConfig.username(in: jaas) == "KEY")
    }

    /// An error body that echoes a secret; printed by its name only, so test output never shows the value.
    struct Echo: Sendable, CustomStringConvertible {
        var description: String
        var body: String
    }

    static let echoes = [
        Echo(
            description: "Kafka REST message with a JAAS password",
            body: #"{"error_code":40002,"message":"bad password=\"S3cretEcho\""}"#),
        Echo(
            description: "Cloud detail with a JAAS config",
            body: #"{"errors":[{"status":"400","code":"invalid_configuration","#
                + #""detail":"sasl.jaas.config ... password=\"S3cretEcho\";"}]}"#),
        Echo(
            description: "bare echo of the link password and of the endpoint's key:secret",
            body: #"{"error_code":40101,"message":"Authentication failed for "#
                + #"ENDPOINTKEY00001:endpoint-secret-0001 (S3cretEcho)"}"#),
    ]

    @Test("an error body echoing a secret yields an error without it", arguments: echoes)
    func echoedSecret(echo: Echo) async throws {
        let body = echo.body
        let harness = try Harness(always: Reply.raw(400, body))
        let jump = APICredential(key: "JUMPKEY000000001", secret: Secret("S3cretEcho"))
        do {
            try await harness.kafka().createLink(
                "leg1", sourceClusterID: "lkc-origin",
                configs: [LinkConfigEntry("sasl.jaas.config", secret: JAASConfig.plain(jump))])
            Issue.record("expected an error")
        } catch {
            for text in Self.renderings(error) + [error.message] {
                #expect(!Self.leaks(text, ["S3cretEcho", "endpoint-secret-0001"]))
            }
        }
    }
}
