import Foundation

/// `/sim/v1/...` on the control-plane port: the whole world as JSON, and fault settings.
extension WorldState {
    mutating func handleIntrospection(_ request: SimRequest, now: Double) -> SimResponse {
        switch (request.method, request.path) {
        case ("GET", "/sim/v1/state"): return .json(200, stateJSON(now: now))
        case ("GET", "/sim/v1/faults"): return .json(200, faultsJSON())
        case ("POST", "/sim/v1/faults"), ("PUT", "/sim/v1/faults"):
            do {
                let settings = try JSONDecoder().decode(
                    FaultSettings.self, from: Data(request.body.isEmpty ? Array("{}".utf8) : request.body))
                if settings.seed != faults.seed { dice = SplitMix64(seed: settings.seed) }
                faults = settings
                rateWindows = [:]
                return .json(200, faultsJSON())
            } catch {
                return .json(400, ["error": .string("invalid fault settings: \(error)")])
            }
        case ("GET", "/sim/v1/producers"): return .json(200, ["paused": .bool(producersPaused)])
        case ("POST", "/sim/v1/producers"), ("PUT", "/sim/v1/producers"):
            guard let body = JSON.parse(request.body), let paused = body["paused"]?.boolValue else {
                return .json(400, ["error": .string("expected {\"paused\": true|false}")])
            }
            producersPaused = paused
            return .json(200, ["paused": .bool(producersPaused)])
        default:
            return .json(404, ["error": .string("no simulator route \(request.method) \(request.path)")])
        }
    }

    func faultsJSON() -> JSON {
        let data = (try? JSONEncoder().encode(faults)) ?? Data("{}".utf8)
        return JSON.parse(Array(data)) ?? [:]
    }

    func stateJSON(now: Double) -> JSON {
        var clusterItems: [JSON] = []
        var linkItems: [JSON] = []
        var mirrorItems: [JSON] = []
        var topicItems: [JSON] = []
        var aclItems: [JSON] = []
        for clusterID in clusterOrder {
            let cluster = clusters[clusterID]!
            for acl in cluster.acls {
                aclItems.append([
                    "cluster_id": .string(clusterID), "principal": .string(acl.principal),
                    "operation": .string(acl.operation), "resource_type": .string(acl.resourceType),
                    "resource_name": .string(acl.resourceName), "pattern_type": .string(acl.patternType),
                ])
            }
            clusterItems.append([
                "id": .string(cluster.id), "name": .string(cluster.name), "environment": .string(cluster.environment),
                "network": .optional(cluster.network), "public": .bool(cluster.isPublic),
                "bootstrap": .string(cluster.bootstrap), "rest_url": .string(clusterURLs[clusterID] ?? ""),
            ])
            for half in cluster.links.values.sorted(by: { $0.name < $1.name }) {
                let health = linkHealth(clusterID: clusterID, name: half.name, now: now)
                linkItems.append([
                    "cluster_id": .string(clusterID), "link_name": .string(half.name),
                    "cluster_link_id": .string(half.clusterLinkID), "link_mode": .string(half.linkMode),
                    "connection_mode": .string(half.connectionMode), "remote_cluster_id": .string(half.remoteClusterID),
                    "link_state": .string(health.state), "link_error": .string(health.error),
                    "link_error_message": .optional(health.message),
                    "remote_api_key_id": .optional(Self.parseJAAS(half.configs["sasl.jaas.config"])?.key),
                    "local_api_key_id": .optional(Self.parseJAAS(half.configs["local.sasl.jaas.config"])?.key),
                ])
            }
            for topic in cluster.topics.values.sorted(by: { $0.name < $1.name }) {
                topicItems.append([
                    "cluster_id": .string(clusterID), "topic_name": .string(topic.name),
                    "end_offsets": .array(topic.endOffsets.map { .int($0) }),
                    "mirror": .bool(topic.mirror != nil),
                ])
                guard let mirror = topic.mirror else { continue }
                let shown = shownStatus(clusterID: clusterID, topic, now: now)
                mirrorItems.append([
                    "cluster_id": .string(clusterID), "link_name": .string(mirror.linkName),
                    "mirror_topic_name": .string(topic.name), "source_topic_name": .string(mirror.sourceTopic),
                    "mirror_status": .string(shown.status), "stored_status": .string(mirror.status),
                    "mirror_topic_error": .optional(shown.error),
                    "end_offsets": .array(topic.endOffsets.map { .int($0) }),
                    "mirror_lags": .array(mirrorLags(clusterID: clusterID, topic)),
                ])
            }
        }
        let keyItems: [JSON] = keyOrder.compactMap { keys[$0] }.map { key in
            [
                "id": .string(key.id), "secret": .string(key.secret), "owner": .string(key.owner),
                "resource": .optional(key.resource), "revoked": .bool(key.revoked),
                "usable": .bool(!key.revoked && now >= key.usableAt),
            ]
        }
        let principalItems: [JSON] = principals.values.sorted { $0.id < $1.id }.map {
            [
                "id": .string($0.id), "name": .string($0.name), "admin": .bool($0.admin),
                "kind": .string($0.isServiceAccount ? "ServiceAccount" : "User"),
            ]
        }
        return [
            "now_ms": .int(epochMs(now)),
            "clusters": .array(clusterItems),
            "principals": .array(principalItems),
            "links": .array(linkItems),
            "mirrors": .array(mirrorItems),
            "topics": .array(topicItems),
            "acls": .array(aclItems),
            "consumer_groups": .array(groupsStateJSON()),
            "api_keys": .array(keyItems),
            "network_link_services": .array(serviceOrder.compactMap { services[$0] }.map(serviceJSON)),
            "network_link_endpoints": .array(endpointOrder.compactMap { endpoints[$0] }.map(endpointJSON)),
            "faults": faultsJSON(),
            "traffic": trafficJSON(),
        ]
    }
}
