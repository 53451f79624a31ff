import ConfluentSimulator
import Foundation
import JumpchainHTTP

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

    var json: JSON { JSON.parse(body) ?? .null }
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers[name] }
}

/// Real HTTP to the simulator through the project's libcurl client.
enum SimHTTP {
    static let client = HTTPClient()

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
        return Reply(status: response.status, headers: response.headers, body: response.body)
    }
}
