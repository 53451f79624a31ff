import Foundation
import JumpchainJSON

/// CMK v2 (read-only): where each cluster's REST endpoint and bootstrap are, so clients can discover them.
extension WorldState {
    func cmkClusterJSON(_ cluster: ClusterState) -> JSON {
        let environmentRef: JSON = [
            "id": .string(cluster.environment),
            "related": .string(controlPlaneURL + "/org/v2/environments/\(cluster.environment)"),
            "resource_name": .string(
                "crn://confluent.cloud/organization=\(organization)/environment=\(cluster.environment)"),
        ]
        let rest = clusterURLs[cluster.id] ?? ""
        let bootstrap = "SASL_SSL://" + cluster.bootstrap
        let access = cluster.network == nil ? "PUBLIC" : "PRIVATE_LINK"
        let accessPoint: JSON = [
            "connection_type": .string(access), "http_endpoint": .string(rest),
            "kafka_bootstrap_endpoint": .string(bootstrap),
        ]
        var spec: [(String, JSON)] = [
            ("display_name", .string(cluster.name)), ("availability", "MULTI_ZONE"), ("cloud", .string(cluster.cloud)),
            ("region", .string(cluster.region)),
            (
                "config",
                cluster.kind == "Dedicated" ? ["kind": "Dedicated", "cku": 2] : ["kind": .string(cluster.kind)]
            ),
            ("kafka_bootstrap_endpoint", .string(bootstrap)), ("http_endpoint", .string(rest)),
            ("endpoints", .object([(access, accessPoint)])),
            ("environment", environmentRef),
        ]
        if let network = cluster.network {
            spec.append(
                (
                    "network",
                    [
                        "id": .string(network), "environment": .string(cluster.environment),
                        "related": .string(controlPlaneURL + "/networking/v1/networks/\(network)"),
                        "resource_name": .string(
                            "crn://confluent.cloud/organization=\(organization)/environment=\(cluster.environment)/network=\(network)"
                        ),
                    ]
                ))
        }
        return [
            "api_version": "cmk/v2", "kind": "Cluster", "id": .string(cluster.id),
            "metadata": [
                "self": .string(controlPlaneURL + "/cmk/v2/clusters/\(cluster.id)"),
                "resource_name": .string(
                    "crn://confluent.cloud/organization=\(organization)/environment=\(cluster.environment)/cloud-cluster=\(cluster.id)"
                ),
            ],
            "spec": .object(spec),
            "status": ["phase": "PROVISIONED", "cku": 2],
        ]
    }

    func handleCMKClusters(_ request: SimRequest, _ rest: [String]) -> SimResponse {
        guard request.method == "GET" else {
            return .cloud(405, "method_not_allowed", "Method Not Allowed", "The simulator serves CMK read-only.")
        }
        guard let environment = request.queryValue("environment") else {
            return .cloud(
                400, "invalid_filter", "Invalid Filter", "Query parameter 'environment' is required.",
                source: ["parameter": "environment"])
        }
        let inEnvironment = clusterOrder.compactMap { clusters[$0] }.filter { $0.environment == environment }
        if let id = rest.first {
            guard let cluster = inEnvironment.first(where: { $0.id == id }) else {
                return .cloud(404, "resource_not_found", "Not Found", "Cluster \(id) was not found in \(environment).")
            }
            return .json(200, cmkClusterJSON(cluster))
        }
        let networks = request.query["spec.network"] ?? []
        let listed = inEnvironment.filter { networks.isEmpty || networks.contains($0.network ?? "") }
        switch page(listed, request, defaultSize: 10, maxSize: 100, path: "/cmk/v2/clusters") {
        case .failure(let refusal): return refusal.response
        case .success(let (slice, meta)):
            return .json(
                200,
                [
                    "api_version": "cmk/v2", "kind": "ClusterList", "metadata": meta,
                    "data": .array(slice.map(cmkClusterJSON)),
                ])
        }
    }
}
