import ConfluentAPI
import Foundation
import JumpchainHTTP
import JumpchainJSON
import JumpchainTestSupport
import Synchronization
import Testing

/// A real HTTP server on 127.0.0.1 with the Confluent clients pointed at it: the client under test talks
/// libcurl to sockets, nothing of our HTTP layer is replaced.
final class Harness: Sendable {
    static let credential = APICredential(key: "ENDPOINTKEY00001", secret: Secret("endpoint-secret-0001"))

    let server: ScriptedHTTPServer
    let http = HTTPClient()
    let endpoint: APIEndpoint

    init(
        retry: RetryPolicy = .none, onRetry: (@Sendable (Int, String, Duration) -> Void)? = nil,
        handler: @escaping @Sendable (ScriptedHTTPServer.Request) -> ScriptedHTTPServer.Response
    ) throws {
        server = try ScriptedHTTPServer(handler: handler)
        endpoint = APIEndpoint(
            http: http, baseURL: server.baseURL, credential: Self.credential, label: "test endpoint", retry: retry,
            onRetry: onRetry)
    }

    /// Answers every request with the same response.
    convenience init(always response: ScriptedHTTPServer.Response, retry: RetryPolicy = .none) throws {
        try self.init(retry: retry) { _ in response }
    }

    /// Answers requests with `responses` in order, repeating the last one.
    convenience init(
        sequence responses: [ScriptedHTTPServer.Response], retry: RetryPolicy = .none,
        onRetry: (@Sendable (Int, String, Duration) -> Void)? = nil
    ) throws {
        let counter = Counter()
        try self.init(retry: retry, onRetry: onRetry) { _ in
            let index = counter.increment() - 1
            return responses[min(index, responses.count - 1)]
        }
    }

    deinit {
        server.stop()
        http.shutdown()
    }

    func kafka(_ cluster: String = "lkc-jump") -> KafkaRESTClient {
        KafkaRESTClient(endpoint: endpoint, clusterID: cluster)
    }

    var controlPlane: ControlPlaneClient { ControlPlaneClient(endpoint: endpoint) }

    var requests: [ScriptedHTTPServer.Request] { server.requests }

    /// The one request the server received (fails the test when there were several or none).
    func onlyRequest(sourceLocation: SourceLocation = #_sourceLocation) throws -> ScriptedHTTPServer.Request {
        let all = requests
        try #require(all.count == 1, "expected one request, got \(all.count)", sourceLocation: sourceLocation)
        return all[0]
    }
}

/// Response builders for the scripted server.
enum Reply {
    static func json(_ status: Int, _ value: JSON, headers: [(String, String)] = []) -> ScriptedHTTPServer.Response {
        ScriptedHTTPServer.Response(
            status: status, headers: headers + [("Content-Type", "application/json")], body: value.jsonBytes)
    }

    static func raw(
        _ status: Int, _ body: String, contentType: String = "application/json"
    )
        -> ScriptedHTTPServer.Response
    {
        ScriptedHTTPServer.Response(status: status, headers: [("Content-Type", contentType)], body: Array(body.utf8))
    }

    static func empty(_ status: Int) -> ScriptedHTTPServer.Response {
        ScriptedHTTPServer.Response(status: status)
    }

    /// Jetty's DoSFilter page: what Kafka REST sends on 429 (HTML, no rate-limit headers).
    static let html429 = raw(
        429,
        "<html><head><title>Error 429 Too Many Requests</title></head><body><h2>HTTP ERROR 429</h2></body></html>",
        contentType: "text/html;charset=iso-8859-1")
}

/// A thread-safe counter for scripted handlers.
final class Counter: @unchecked Sendable {
    // Invariant: `value` is only touched under `lock`.
    private let lock = Mutex(())
    private var value = 0

    /// Adds one and returns the new value.
    func increment() -> Int {
        lock.withLock { _ in
            value += 1; return value
        }
    }
    var current: Int { lock.withLock { _ in value } }
}

/// Collects values from `@Sendable` callbacks.
final class Recorder<Value: Sendable>: @unchecked Sendable {
    // Invariant: `stored` is only touched under `lock`.
    private let lock = Mutex(())
    private var stored: [Value] = []

    func append(_ value: Value) { lock.withLock { _ in stored.append(value) } }
    var values: [Value] { lock.withLock { _ in stored } }
}

extension ScriptedHTTPServer.Request {
    /// The request-target without its query string.
    var pathOnly: String { String(path.split(separator: "?", maxSplits: 1)[0]) }

    /// The raw query string ("" when there is none).
    var rawQuery: String {
        let parts = path.split(separator: "?", maxSplits: 1)
        return parts.count > 1 ? String(parts[1]) : ""
    }

    /// The body parsed as JSON.
    func json() throws -> JSON { try JSON(parsing: body) }
}

/// The whole body of `haystack` contains `needle` this many times (byte-wise, non-overlapping).
func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> Int {
    guard !needle.isEmpty, needle.count <= haystack.count else { return 0 }
    var count = 0
    var index = 0
    while index + needle.count <= haystack.count {
        if haystack[index..<index + needle.count].elementsEqual(needle) {
            count += 1
            index += needle.count
        } else {
            index += 1
        }
    }
    return count
}

/// Loads the Confluent Cloud contract once per process (the parse is cached by the support library).
func confluentContract() throws -> OpenAPIContract {
    try OpenAPIContract.confluentCloud()
}

/// Prints violations (they never carry secrets) and returns them for `#expect(....isEmpty)`.
func reported(_ violations: [ContractViolation], _ label: String) -> [ContractViolation] {
    for violation in violations { print("  \(label): \(violation)") }
    return violations
}

/// Whether a JSON member is missing (as opposed to present, even as `null`).
func isAbsent(_ value: JSON?) -> Bool {
    if case .none = value { return true }
    return false
}

/// The contract when the specs are present; otherwise nil, after printing (once) why spec checks are skipped.
func optionalContract() throws -> OpenAPIContract? {
    try optionalContractOnce.get()
}

private let optionalContractOnce: Result<OpenAPIContract?, OpenAPIContractError> = Result {
    () throws(OpenAPIContractError) -> OpenAPIContract? in
    guard SpecLocator.current.enabledOrPrintSkip(test: "spec checks in ConfluentAPITests") else { return nil }
    return try OpenAPIContract.confluentCloud()
}
