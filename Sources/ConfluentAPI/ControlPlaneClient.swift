import Foundation
public import JumpchainHTTP

/// The Confluent Cloud control plane (`api.confluent.cloud`): IAM v2 API keys and service accounts.
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
    public func apiKey(_ id: String) async throws(ConfluentAPIError) -> APIKey? {
        let path = "/iam/v2/api-keys/\(APIEndpoint.segment(id))"
        let response = try await endpoint.exchange(.get, path)
        if response.status == 404 || response.status == 403 { return nil }
        guard response.isSuccess else {
            throw ConfluentAPIError.from(response: response, endpoint: endpoint.label, request: "GET \(path)")
        }
        return try endpoint.decode(APIKey.self, from: response, request: path)
    }

    /// Revokes a key. Already gone (404/403) counts as done.
    public func deleteAPIKey(_ id: String) async throws(ConfluentAPIError) {
        let path = "/iam/v2/api-keys/\(APIEndpoint.segment(id))"
        let response = try await endpoint.exchange(.delete, path)
        if response.isSuccess || response.status == 404 || response.status == 403 { return }
        throw ConfluentAPIError.from(response: response, endpoint: endpoint.label, request: "DELETE \(path)")
    }

    public func serviceAccount(_ id: String) async throws(ConfluentAPIError) -> ServiceAccount? {
        let path = "/iam/v2/service-accounts/\(APIEndpoint.segment(id))"
        let response = try await endpoint.exchange(.get, path)
        if response.status == 404 || response.status == 403 { return nil }
        guard response.isSuccess else {
            throw ConfluentAPIError.from(response: response, endpoint: endpoint.label, request: "GET \(path)")
        }
        return try endpoint.decode(ServiceAccount.self, from: response, request: path)
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
            // `next` is an absolute URL on the same API; keep its path and query, use our base URL.
            let relative = Self.pathAndQuery(of: next)
            let parts = relative.split(separator: "?", maxSplits: 1)
            let nextQuery = parts.count > 1 ? Self.parseQuery(String(parts[1])) : []
            response = try await endpoint.call(.get, String(parts[0]), query: nextQuery)
        }
    }

    static func pathAndQuery(of url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let afterHost = url[scheme.upperBound...]
        guard let slash = afterHost.firstIndex(of: "/") else { return "/" }
        return String(afterHost[slash...])
    }

    static func parseQuery(_ query: String) -> [(String, String)] {
        query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).removingPercentEncoding ?? String($0)
            }
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
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
                while cursor < body.count, body[cursor] == UInt8(ascii: " ") || body[cursor] == UInt8(ascii: ":") {
                    cursor += 1
                }
                guard cursor < body.count, body[cursor] == UInt8(ascii: "\"") else {
                    index += 1
                    continue
                }
                cursor += 1
                var value: [UInt8] = []
                while cursor < body.count, body[cursor] != UInt8(ascii: "\"") {
                    if body[cursor] == UInt8(ascii: "\\"), cursor + 1 < body.count {
                        cursor += 1
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
}
