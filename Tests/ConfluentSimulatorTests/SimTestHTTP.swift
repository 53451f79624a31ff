import ConfluentSimulator
import Foundation
import JumpchainHTTP
import JumpchainJSON
import JumpchainTestSupport
import Synchronization

/// A key id and secret as the tests hold them.
struct Cred: Sendable {
    var key: String
    var secret: String
}

/// One HTTP answer, with its body parsed as JSON when it is JSON.
struct Reply: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var json: JSON { (try? JSON.parse(body)) ?? .null }
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers[name] }
}

/// Real HTTP to the simulator through the project's libcurl client.
enum SimHTTP {
    static let client = HTTPClient()

    /// When set, every Confluent-path response is validated against the OpenAPI documents.
    @TaskLocal static var recorder: ContractRecorder?

    static func send(
        _ method: String, _ url: String, json: JSON? = nil, raw: [UInt8]? = nil,
        contentType: String = "application/json", cred: Cred?, timeout: Duration? = nil
    ) async throws -> Reply {
        var headers: HTTPHeaders = [:]
        let body = raw ?? json?.serialized()
        if body != nil { headers.add(name: "Content-Type", value: contentType) }
        let request = HTTPRequest(
            method: HTTPMethod(rawValue: method), url: url, headers: headers, body: body,
            credential: cred.map { APICredential(key: $0.key, secret: Secret($0.secret)) }, timeout: timeout)
        let response = try await client.execute(request)
        recorder?.check(method: method, url: url, status: response.status, body: response.body)
        return Reply(status: response.status, headers: response.headers, body: response.body)
    }
}

/// Collects contract violations of the responses seen while it is installed.
final class ContractRecorder: Sendable {
    let contract: OpenAPIContract
    private let found = Mutex<[String]>([])
    private let count = Mutex(0)

    init(contract: OpenAPIContract) { self.contract = contract }

    var violations: [String] { found.withLock { $0 } }
    var checked: Int { count.withLock { $0 } }

    func check(method: String, url: String, status: Int, body: [UInt8]) {
        let afterScheme = url.range(of: "://").map { url[$0.upperBound...] } ?? url[...]
        let pathAndQuery = afterScheme.firstIndex(of: "/").map { String(afterScheme[$0...]) } ?? "/"
        let path = String(pathAndQuery.split(separator: "?").first ?? "")
        guard !path.hasPrefix("/sim/") else { return }
        count.withLock { $0 += 1 }
        let violations = contract.validateResponse(method: method, path: path, status: status, body: body)
            .filter { !Self.isDocumentedDeviation($0) }
        guard !violations.isEmpty else { return }
        found.withLock { $0 += violations.map { "\(method) \(path) \(status): \($0)" } }
    }

    /// The deviations docs/simulator.md lists: sensitive link configs carry `value: null`; an unknown
    /// consumer group (or a partition without a committed offset) answers 404, as Kafka REST does.
    static func isDocumentedDeviation(_ violation: ContractViolation) -> Bool {
        if violation.kind == .undeclaredStatus, violation.found.hasSuffix("404"),
            violation.operation.contains("/consumer-groups/")
        {
            return true
        }
        return violation.kind == .nullNotAllowed && violation.pointer.hasSuffix("/value")
            && violation.operation.contains("/links/")
    }
}
