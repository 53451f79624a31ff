import Foundation
public import JumpchainHTTP
import JumpchainJSON

/// The Confluent Cloud control plane (`api.confluent.cloud`): IAM v2 API keys and service accounts, CMK v2 clusters.
public struct ControlPlaneClient: Sendable {
    public let endpoint: APIEndpoint

    public init(endpoint: APIEndpoint) {
        self.endpoint = endpoint
    }

    /// A new API key and its secret, which the API returns this once and never again.
    public struct CreatedKey: Sendable {
        public var key: APIKey
        public var credential: APICredential
    }

    /// Creates a resource-specific key (a Kafka cluster key when `resource` is a cluster id).
    /// The secret is lifted out of the response bytes into a ``Secret``; the response buffer is zeroed.
    public func createAPIKey(
        owner: String, resource: String?, environment: String?, displayName: String, description: String
    ) async throws(ConfluentAPIError) -> CreatedKey {
        var spec: [String: Any] = [
            "display_name": displayName, "description": description, "owner": ["id": owner],
        ]
        if let resource {
            var reference: [String: Any] = ["id": resource]
            if let environment { reference["environment"] = environment }
            spec["resource"] = reference
        }
        let body = (try? JSONSerializationBridge.data(["spec": spec])) ?? []
        var response = try await endpoint.call(.post, "/iam/v2/api-keys", json: body)
        defer { response.body.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        let key = try endpoint.decode(APIKey.self, from: response, request: "POST /iam/v2/api-keys")
        guard let secret = SecretExtractor.stringField("secret", in: response.body) else {
            throw ConfluentAPIError(
                code: .decoding, message: "the created key \(key.id) came back without spec.secret",
                endpoint: endpoint.label, request: "POST /iam/v2/api-keys", status: response.status)
        }
        return CreatedKey(key: key, credential: APICredential(key: key.id, secret: secret))
    }

    /// Every key matching the filters, following `metadata.next` across pages.
    public func listAPIKeys(
        owner: String? = nil, resource: String? = nil, pageSize: Int = 100
    )
        async throws(ConfluentAPIError) -> [APIKey]
    {
        var query: [(String, String)] = [("page_size", String(pageSize))]
        if let owner { query.append(("spec.owner", owner)) }
        if let resource { query.append(("spec.resource", resource)) }
        return try await paged(APIKey.self, path: "/iam/v2/api-keys", query: query)
    }

    /// The key, or nil when it is gone (Cloud answers 403 or 404 for deleted keys).
    ///
    /// A 403 is ambiguous: Cloud answers it for a key deleted moments ago, and also when the caller may not read the
    /// key (`user_unauthorized`, e.g. an operator that may create keys but not read them). `forbiddenIsGone: false`
    /// takes only 404 as gone and throws the 403 (``ConfluentAPIError/Code/forbidden``) for the caller to weigh.
    public func apiKey(_ id: String, forbiddenIsGone: Bool = true) async throws(ConfluentAPIError) -> APIKey? {
        let path = "/iam/v2/api-keys/\(APIEndpoint.segment(id))"
        let response = try await endpoint.exchange(.get, path)
        if response.status == 404 || (forbiddenIsGone && response.status == 403) { return nil }
        guard response.isSuccess else {
            throw endpoint.failure(response, request: "GET \(path)")
        }
        return try endpoint.decode(APIKey.self, from: response, request: "GET \(path)")
    }

    /// Revokes a key. Already gone (404/403) counts as done.
    public func deleteAPIKey(_ id: String) async throws(ConfluentAPIError) {
        let path = "/iam/v2/api-keys/\(APIEndpoint.segment(id))"
        let response = try await endpoint.exchange(.delete, path)
        if response.isSuccess || response.status == 404 || response.status == 403 { return }
        throw endpoint.failure(response, request: "DELETE \(path)")
    }

    public func serviceAccount(_ id: String) async throws(ConfluentAPIError) -> ServiceAccount? {
        let path = "/iam/v2/service-accounts/\(APIEndpoint.segment(id))"
        let response = try await endpoint.exchange(.get, path)
        if response.status == 404 || response.status == 403 { return nil }
        guard response.isSuccess else {
            throw endpoint.failure(response, request: "GET \(path)")
        }
        return try endpoint.decode(ServiceAccount.self, from: response, request: "GET \(path)")
    }

    /// `GET /cmk/v2/clusters/{id}?environment=…`: the cluster's CMK record (its type in `spec.config.kind`).
    public func cluster(_ id: String, environment: String) async throws(ConfluentAPIError) -> KafkaCluster {
        let path = "/cmk/v2/clusters/\(APIEndpoint.segment(id))"
        let response = try await endpoint.call(.get, path, query: [("environment", environment)])
        return try endpoint.decode(KafkaCluster.self, from: response, request: "GET \(path)")
    }

    public func listServiceAccounts() async throws(ConfluentAPIError) -> [ServiceAccount] {
        try await paged(ServiceAccount.self, path: "/iam/v2/service-accounts", query: [("page_size", "100")])
    }

    private func paged<Item: Decodable>(
        _ type: Item.Type, path: String, query: [(String, String)]
    )
        async throws(ConfluentAPIError) -> [Item]
    {
        var items: [Item] = []
        var response = try await endpoint.call(.get, path, query: query)
        var seen: Set<String> = []
        while true {
            let page = try endpoint.decode(PagedList<Item>.self, from: response, request: "GET \(path)")
            items += page.data
            guard let next = page.metadata?.next, !next.isEmpty, seen.insert(next).inserted else { return items }
            // `next` is an absolute URL on the same API: keep its path and query as sent (the token is opaque,
            // so it is not decoded and re-encoded) and use our own base URL, never the host it names.
            response = try await endpoint.call(.get, Self.relativeTarget(of: next, baseURL: endpoint.baseURL))
        }
    }

    /// The request target of `next` relative to `baseURL`: the path and query, minus any path prefix the base
    /// URL already has (a gateway mounted at `/confluent` answers `next` links that include it).
    static func relativeTarget(of next: String, baseURL: String) -> String {
        let target = pathAndQuery(of: next)
        let prefix = pathAndQuery(of: baseURL)
        guard prefix != "/", target.hasPrefix(prefix + "/") else { return target }
        return String(target.dropFirst(prefix.count))
    }

    static func pathAndQuery(of url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let afterHost = url[scheme.upperBound...]
        guard let slash = afterHost.firstIndex(of: "/") else { return "/" }
        return String(afterHost[slash...])
    }
}

/// Lifts one JSON string value out of raw bytes without making a Swift `String` of it.
enum SecretExtractor {
    static func stringField(_ field: String, in body: [UInt8]) -> Secret? {
        let needle = Array("\"\(field)\"".utf8)
        guard needle.count <= body.count else { return nil }
        var index = 0
        while index + needle.count <= body.count {
            if Array(body[index..<index + needle.count]) == needle {
                var cursor = index + needle.count
                while cursor < body.count,
                    [UInt8(ascii: " "), 0x0A, 0x0D, 0x09, UInt8(ascii: ":")].contains(body[cursor])
                {
                    cursor += 1
                }
                guard cursor < body.count, body[cursor] == UInt8(ascii: "\"") else {
                    index += 1
                    continue
                }
                cursor += 1
                var value: [UInt8] = []
                value.reserveCapacity(body.count - cursor)
                while cursor < body.count, body[cursor] != UInt8(ascii: "\"") {
                    if body[cursor] == UInt8(ascii: "\\"), cursor + 1 < body.count {
                        cursor += 1
                        cursor = unescape(body, at: cursor, into: &value)
                        continue
                    }
                    value.append(body[cursor])
                    cursor += 1
                }
                guard !value.isEmpty else {
                    index += 1
                    continue
                }
                let secret = Secret(bytes: value)
                value.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                return secret
            }
            index += 1
        }
        return nil
    }

    /// Decodes the JSON escape whose letter is at `index` (after the backslash) into `value`; returns the index
    /// after it. `\uXXXX` (with surrogate pairs) becomes UTF-8, so `\u002B` reads as `+`.
    private static func unescape(_ body: [UInt8], at index: Int, into value: inout [UInt8]) -> Int {
        switch body[index] {
        case UInt8(ascii: "n"): value.append(0x0A)
        case UInt8(ascii: "r"): value.append(0x0D)
        case UInt8(ascii: "t"): value.append(0x09)
        case UInt8(ascii: "b"): value.append(0x08)
        case UInt8(ascii: "f"): value.append(0x0C)
        case UInt8(ascii: "u"):
            guard var scalar = hex4(body, at: index + 1) else {
                value.append(body[index])
                return index + 1
            }
            var next = index + 5
            if (0xD800..<0xDC00).contains(scalar), next + 5 < body.count, body[next] == UInt8(ascii: "\\"),
                body[next + 1] == UInt8(ascii: "u"), let low = hex4(body, at: next + 2), (0xDC00..<0xE000).contains(low)
            {
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                next += 6
            }
            value += Array(String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
            return next
        default: value.append(body[index])
        }
        return index + 1
    }

    private static func hex4(_ body: [UInt8], at index: Int) -> UInt32? {
        guard index + 4 <= body.count else { return nil }
        var result: UInt32 = 0
        for byte in body[index..<index + 4] {
            guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else { return nil }
            result = result * 16 + UInt32(digit)
        }
        return result
    }
}
