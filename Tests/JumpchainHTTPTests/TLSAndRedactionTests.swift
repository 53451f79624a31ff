import Foundation
import JumpchainHTTP
import JumpchainTestSupport
import Logging
import Synchronization
import Testing

@Suite("TLS with a CA generated at test time")
struct TLSTests {
    @Test("a self-signed CA is accepted with the CA file and rejected without it")
    func customCA() async throws {
        let tls = try TLSTestServer.start()
        defer { tls.stop() }
        let trusting = HTTPClient(configuration: .init(caBundlePath: tls.caPath))
        let response = try await trusting.execute(HTTPRequest(method: .get, url: tls.url, timeout: .seconds(5)))
        #expect(response.status == 200)

        let untrusting = HTTPClient(configuration: .init(caBundlePath: tls.otherCAPath))
        let error = await #expect(throws: TransportError.self) {
            _ = try await untrusting.execute(HTTPRequest(method: .get, url: tls.url))
        }
        #expect(error?.code == .tls)
        let systemDefault = HTTPClient()
        let defaultError = await #expect(throws: TransportError.self) {
            _ = try await systemDefault.execute(HTTPRequest(method: .get, url: tls.url))
        }
        #expect(defaultError?.code == .tls)
    }
}

@Suite("Redaction")
struct RedactionTests {
    static let key = "LINKKEY4REDACT01"
    static let secretText = "s3cr3t-VALUE-that-must-never-print-0123456789abcdef"

    @Test("a failing request with Basic auth and a JAAS password leaks neither in errors nor debug logs")
    func failingRequestLeaksNothing() async throws {
        let server = try ScriptedHTTPServer { _ in ScriptedHTTPServer.Response(hang: true) }
        defer { server.stop() }
        let lines = LogCapture()
        var logger = Logger(label: "test", factory: { _ in lines })
        logger.logLevel = .debug
        let client = HTTPClient(configuration: .init(logger: logger))
        let jaasPassword = "jaas-PASSWORD-0987654321-zyx"
        let body = """
            {"configs":[{"name":"sasl.jaas.config","value":"org.apache.kafka.common.security.plain.PlainLoginModule \
            required username=\\"K\\" password=\\"\(jaasPassword)\\";"},{"name":"local.sasl.jaas.config",\
            "value":"x password=\\"\(jaasPassword)\\";"}]}
            """
        let credential = APICredential(key: Self.key, secret: Secret(Self.secretText))
        let request = HTTPRequest(
            method: .post, url: server.baseURL + "/kafka/v3/clusters/lkc-1/links?link_name=l",
            headers: ["Content-Type": "application/json", "Authorization": "Basic \(Self.basic())"],
            body: Array(body.utf8), credential: credential, timeout: .milliseconds(300))
        var error: TransportError?
        do {
            _ = try await client.execute(request)
        } catch let caught {
            error = caught
        }
        #expect(error?.code == .timedOut)
        // The request did carry the credential to the server (as Basic auth made by libcurl).
        #expect(server.requests.first?.header("Authorization") == "Basic \(Self.basic())")
        let texts = [error.map { "\($0)" } ?? "", String(reflecting: error as Any), "\(request)"] + lines.lines
        #expect(lines.lines.count >= 2)
        for text in texts {
            #expect(!text.contains(Self.secretText))
            #expect(!text.contains(Self.basic()))
            #expect(!text.contains(jaasPassword))
        }
    }

    @Test("Redactor masks authorization headers, JSON secrets and known values")
    func redactorShapes() {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Basic \(Self.basic())")
        headers.add(name: "X-Other", value: "fine")
        #expect(!"\(headers)".contains(Self.basic()))
        #expect("\(headers)".contains("fine"))
        let json = #"{"spec":{"secret":"\#(Self.secretText)","owner":{"id":"sa-1"}}}"#
        let masked = Redactor.redact(text: json)
        #expect(!masked.contains(Self.secretText))
        #expect(masked.contains("sa-1"))
        let known = Redactor.redact(
            text: "oops \(Self.secretText) and \(Self.basic())",
            credentials: [APICredential(key: Self.key, secret: Secret(Self.secretText))])
        #expect(!known.contains(Self.secretText))
        #expect(!known.contains(Self.basic()))
    }

    @Test("Secret never prints and wipes its bytes")
    func secretNeverPrints() {
        let secret = Secret(Self.secretText)
        #expect("\(secret)" == "<redacted>")
        #expect(!String(reflecting: secret).contains(Self.secretText))
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains(Self.secretText))
        #expect(secret.byteCount == Self.secretText.utf8.count)
        secret.wipe()
        #expect(secret.isWiped)
        #expect(secret.withBytes { $0.count } == 0)
    }

    static func basic() -> String {
        Data("\(key):\(secretText)".utf8).base64EncodedString()
    }
}

/// Collects log lines for assertions.
final class LogCapture: LogHandler, @unchecked Sendable {
    // Invariant: `storage` is only touched under `lock`.
    private let lock = Mutex(())
    private var storage: [String] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        lock.withLock { _ in storage.append("\(event.message)") }
    }
    var lines: [String] { lock.withLock { _ in storage } }
}
