import Foundation
import JumpchainJSON

/// The Cloud control plane: IAM v2 API keys and service accounts, networking v1 network links.
extension WorldState {
    static let unauthenticatedHeaders = [
        ("WWW-Authenticate", "Basic error=\"invalid_key\", error_description=\"The API Key is invalid\"")
    ]

    mutating func handleControlPlane(_ request: SimRequest, now: Double) -> SimResponse {
        let segments = request.segments
        guard let key = authenticate(request.credential, resource: nil, now: now) else {
            return .cloud(
                401, "user_unauthenticated", "Unauthorized", "The API key or secret is invalid.",
                headers: Self.unauthenticatedHeaders)
        }
        let keyAdminAPI =
            segments.first == "iam" && segments.dropFirst().first == "v2"
            && (segments.dropFirst(2).first == "api-keys"
                || (segments.dropFirst(2).first == "service-accounts" && request.method == "GET"))
        // A CloudClusterAdmin reads its own cluster's CMK record (its endpoints and type).
        let ownCluster =
            request.method == "GET" && segments.count == 4 && segments.prefix(3) == ["cmk", "v2", "clusters"]
            && administers(key.owner, cluster: segments[3])
        guard isAdmin(key.owner) || ownCluster || (keyAdminAPI && principals[key.owner]?.keyAdmin == true) else {
            return .cloud(
                403, "forbidden_access", "Forbidden", "Principal \(key.owner) is not authorized for this API.")
        }
        switch (segments.first, segments.dropFirst().first, segments.dropFirst(2).first) {
        case ("iam"?, "v2"?, "api-keys"?): return handleAPIKeys(request, Array(segments.dropFirst(3)), now: now)
        case ("iam"?, "v2"?, "service-accounts"?): return handleServiceAccounts(request, Array(segments.dropFirst(3)))
        case ("cmk"?, "v2"?, "clusters"?): return handleCMKClusters(request, Array(segments.dropFirst(3)))
        case ("networking"?, "v1"?, "network-link-services"?):
            return handleNetworkLinkServices(request, Array(segments.dropFirst(3)), now: now)
        case ("networking"?, "v1"?, "network-link-endpoints"?):
            return handleNetworkLinkEndpoints(request, Array(segments.dropFirst(3)), now: now)
        default:
            return .cloud(404, "resource_not_found", "Not Found", "No route for \(request.method) \(request.path).")
        }
    }

    // MARK: Pagination

    /// Slices `items` by `page_size` (default `defaultSize`, max `maxSize`) and an opaque `page_token`.
    func page<T>(
        _ items: [T], _ request: SimRequest, defaultSize: Int, maxSize: Int, path: String
    ) -> Result<(slice: ArraySlice<T>, meta: JSON), Refusal> {
        var size = defaultSize
        if let raw = request.queryValue("page_size") {
            guard let value = Int(raw), value > 0 else {
                return .failure(
                    Refusal(
                        response: .cloud(
                            400, "invalid_filter", "Invalid Filter", "page_size must be a positive integer.",
                            source: ["parameter": "page_size"])))
            }
            size = min(value, maxSize)
        }
        var start = 0
        if let token = request.queryValue("page_token") {
            let fields =
                Data(base64Encoded: token).flatMap { String(data: $0, encoding: .utf8) }?
                .split(separator: ";").map(String.init) ?? []
            guard let first = fields.first, first.hasPrefix("offset:"), let offset = Int(first.dropFirst(7)),
                offset >= 0
            else {
                return .failure(
                    Refusal(
                        response: .cloud(
                            400, "invalid_filter", "Invalid Filter", "page_token is not valid.",
                            source: ["parameter": "page_token"])))
            }
            start = min(offset, items.count)
            if let sizeInToken = fields.dropFirst().first.flatMap({ Int($0) }), sizeInToken > 0 {
                size = min(sizeInToken, maxSize)  // a forged token must not overflow `start + size`
            }
        }
        let end = min(items.count, start + size)
        var meta: [(String, JSON)] = [("first", .string(controlPlaneURL + path))]
        if end < items.count {
            let token = Data("offset:\(end);\(size)".utf8).base64EncodedString()
            var query = request.query.filter { $0.key != "page_token" && $0.key != "page_size" }
                .flatMap { pair in pair.value.map { "\(pair.key)=\(percentEncode($0))" } }
            query.append("page_size=\(size)")
            query.append("page_token=\(percentEncode(token))")
            meta.append(("next", .string(controlPlaneURL + path + "?" + query.sorted().joined(separator: "&"))))
        }
        meta.append(("total_size", .int(items.count)))
        return .success((items[start..<end], .object(meta)))
    }

    // MARK: API keys

    private func keyJSON(_ key: KeyState, includeSecret: Bool) -> JSON {
        let owner = principals[key.owner]
        let ownerKind = owner?.isServiceAccount == false ? "User" : "ServiceAccount"
        let ownerPath = owner?.isServiceAccount == false ? "users" : "service-accounts"
        let iso = ISO8601DateFormatter()
        var spec: [(String, JSON)] = [
            ("display_name", .string(key.displayName)),
            ("description", .string(key.description)),
            ("secret", .string(includeSecret ? key.secret : "")),
            (
                "owner",
                [
                    "id": .string(key.owner), "kind": .string(ownerKind), "api_version": "iam/v2",
                    "related": .string(controlPlaneURL + "/iam/v2/\(ownerPath)/\(key.owner)"),
                    "resource_name": .string(
                        "crn://api.confluent.cloud/organization=\(organization)/\(ownerPath.dropLast())=\(key.owner)"),
                ]
            ),
        ]
        if let resource = key.resource, let cluster = clusters[resource] {
            spec.append(
                (
                    "resource",
                    [
                        "id": .string(resource), "environment": .string(cluster.environment), "kind": "Cluster",
                        "api_version": "cmk/v2",
                        "related": .string(
                            controlPlaneURL + "/cmk/v2/clusters/\(resource)?environment=\(cluster.environment)"),
                        "resource_name": .string(
                            "crn://confluent.cloud/organization=\(organization)/environment=\(cluster.environment)/cloud-cluster=\(resource)/kafka=\(resource)"
                        ),
                    ]
                ))
        }
        var metadata: [(String, JSON)] = [
            ("self", .string(controlPlaneURL + "/iam/v2/api-keys/" + key.id)),
            (
                "resource_name",
                .string(
                    "crn://api.confluent.cloud/organization=\(organization)/\(ownerPath.dropLast())=\(key.owner)/api-key=\(key.id)"
                )
            ),
            ("created_at", .string(iso.string(from: Date(timeIntervalSince1970: key.createdAt)))),
            ("updated_at", .string(iso.string(from: Date(timeIntervalSince1970: key.createdAt)))),
        ]
        if let revokedAt = key.revokedAt {
            metadata.append(("deleted_at", .string(iso.string(from: Date(timeIntervalSince1970: revokedAt)))))
        }
        return [
            "api_version": "iam/v2", "kind": "ApiKey", "id": .string(key.id), "metadata": .object(metadata),
            "spec": .object(spec),
        ]
    }

    private mutating func handleAPIKeys(_ request: SimRequest, _ rest: [String], now: Double) -> SimResponse {
        switch (request.method, rest.count) {
        case ("GET", 0):
            let owner = request.queryValue("spec.owner")
            let resource = request.queryValue("spec.resource")
            let live = keyOrder.compactMap { keys[$0] }.filter {
                !$0.revoked && (owner == nil || $0.owner == owner) && (resource == nil || $0.resource == resource)
            }
            switch page(live, request, defaultSize: 10, maxSize: 100, path: "/iam/v2/api-keys") {
            case .failure(let refusal): return refusal.response
            case .success(let (slice, meta)):
                return .json(
                    200,
                    [
                        "api_version": "iam/v2", "kind": "ApiKeyList", "metadata": meta,
                        "data": .array(slice.map { keyJSON($0, includeSecret: false) }),
                    ])
            }
        case ("POST", 0): return createAPIKey(request, now: now)
        case ("GET", 1):
            guard let key = keys[rest[0]] else {
                return .cloud(404, "resource_not_found", "Not Found", "API key \(rest[0]) was not found.")
            }
            if key.revoked {
                return .cloud(403, "forbidden_access", "Forbidden", "API key \(key.id) has been deleted.")
            }
            return .json(200, keyJSON(key, includeSecret: false))
        case ("PATCH", 1):
            guard let key = keys[rest[0]], !key.revoked else {
                return .cloud(404, "resource_not_found", "Not Found", "API key \(rest[0]) was not found.")
            }
            if let name = request.json?["spec"]?["display_name"]?.stringValue { keys[key.id]!.displayName = name }
            if let text = request.json?["spec"]?["description"]?.stringValue { keys[key.id]!.description = text }
            return .json(200, keyJSON(keys[key.id]!, includeSecret: false))
        case ("DELETE", 1):
            guard let key = keys[rest[0]] else {
                return .cloud(404, "resource_not_found", "Not Found", "API key \(rest[0]) was not found.")
            }
            if key.revoked {
                return .cloud(403, "forbidden_access", "Forbidden", "API key \(key.id) has been deleted.")
            }
            keys[key.id]!.revoked = true
            keys[key.id]!.revokedAt = now
            return .empty(204)
        default:
            return .cloud(405, "method_not_allowed", "Method Not Allowed", "\(request.method) is not supported here.")
        }
    }

    private mutating func createAPIKey(_ request: SimRequest, now: Double) -> SimResponse {
        guard let spec = request.json?["spec"] else {
            return .cloud(
                400, "invalid_input", "Bad Request", "Request body must be {\"spec\": {...}}.",
                source: ["pointer": "/spec"])
        }
        guard let owner = spec["owner"]?["id"]?.stringValue else {
            return .cloud(
                422, "invalid_configuration", "Validation Failed", "spec.owner.id is required.",
                source: ["pointer": "/spec/owner/id"])
        }
        guard principals[owner] != nil else {
            return .cloud(
                422, "invalid_configuration", "Validation Failed", "Owner \(owner) does not exist.",
                source: ["pointer": "/spec/owner/id"])
        }
        let resource = spec["resource"]?["id"]?.stringValue
        if let resource, clusters[resource] == nil {
            return .cloud(
                422, "invalid_configuration", "Validation Failed", "Resource \(resource) does not exist.",
                source: ["pointer": "/spec/resource/id"])
        }
        // A ResourceKeyAdmin mints Kafka keys for itself or a service account, on clusters it administers.
        if let caller = authenticate(request.credential, resource: nil, now: now)?.owner, !isAdmin(caller) {
            let ownerAllowed = owner == caller || principals[owner]?.isServiceAccount == true
            guard ownerAllowed, let resource, administers(caller, cluster: resource) else {
                return .cloud(
                    403, "forbidden_access", "Forbidden",
                    "Principal \(caller) may not create an API key owned by \(owner) for \(resource ?? "Cloud").")
            }
        }
        let id = newKeyID()
        let delay = resource == nil ? timing.cloudKeyPropagationSeconds : timing.keyPropagationSeconds
        let key = KeyState(
            id: id, secret: newSecret(), owner: owner, resource: resource,
            displayName: spec["display_name"]?.stringValue ?? "", description: spec["description"]?.stringValue ?? "",
            createdAt: now, usableAt: now + delay)
        keys[id] = key
        keyOrder.append(id)
        return .json(
            202, keyJSON(key, includeSecret: true),
            headers: [("Location", controlPlaneURL + "/iam/v2/api-keys/" + id)])
    }

    // MARK: Service accounts

    private func serviceAccountJSON(_ account: PrincipalState) -> JSON {
        [
            "api_version": "iam/v2", "kind": "ServiceAccount", "id": .string(account.id),
            "metadata": [
                "self": .string(controlPlaneURL + "/iam/v2/service-accounts/" + account.id),
                "resource_name": .string(
                    "crn://api.confluent.cloud/organization=\(organization)/service-account=\(account.id)"),
                "created_at": .string(
                    ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: account.createdAt))),
            ],
            "display_name": .string(account.name), "description": .string(""),
        ]
    }

    private func handleServiceAccounts(_ request: SimRequest, _ rest: [String]) -> SimResponse {
        let accounts = principals.values.filter(\.isServiceAccount).sorted { $0.id < $1.id }
        switch (request.method, rest.count) {
        case ("GET", 0):
            switch page(accounts, request, defaultSize: 10, maxSize: 100, path: "/iam/v2/service-accounts") {
            case .failure(let refusal): return refusal.response
            case .success(let (slice, meta)):
                return .json(
                    200,
                    [
                        "api_version": "iam/v2", "kind": "ServiceAccountList", "metadata": meta,
                        "data": .array(slice.map(serviceAccountJSON)),
                    ])
            }
        case ("GET", 1):
            guard let account = principals[rest[0]], account.isServiceAccount else {
                return .cloud(404, "resource_not_found", "Not Found", "Service account \(rest[0]) was not found.")
            }
            return .json(200, serviceAccountJSON(account))
        default:
            return .cloud(405, "method_not_allowed", "Method Not Allowed", "\(request.method) is not supported here.")
        }
    }
}
