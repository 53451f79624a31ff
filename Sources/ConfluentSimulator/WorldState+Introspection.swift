import Foundation
import JumpchainJSON
import SeededRandom

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
                if settings.seed != faults.seed { dice = SeededGenerator(seed: settings.seed) }
                faults = settings
                rateWindows = [:]
                return .json(200, faultsJSON())
            } catch {
                return .json(400, ["error": .string("invalid fault settings: \(error)")])
            }
        case ("GET", "/sim/v1/producers"): return .json(200, ["paused": .bool(producersPaused)])
        case ("POST", "/sim/v1/producers"), ("PUT", "/sim/v1/producers"):
            guard let body = try? JSON.parse(request.body, maximumDepth: 64), let paused = body["paused"]?.boolValue
            else {
                return .json(400, ["error": .string("expected {\"paused\": true|false}")])
            }
            producersPaused = paused
            return .json(200, ["paused": .bool(producersPaused)])
        case ("GET", _) where request.path.hasPrefix("/sim/v1/clusters/"):
            return readRecords(request)
        default:
            return .json(404, ["error": .string("no simulator route \(request.method) \(request.path)")])
        }
    }

    /// `GET /sim/v1/clusters/<id>/topics/<topic>/partitions/<p>/records?offset=<x>&count=<n>`: the records at
    /// offsets x…x+n-1 (Kafka REST v3 has no consume; this stands in for a consumer). Records produced through
    /// REST carry their value; others (the simulated producers') carry none.
    func readRecords(_ request: SimRequest) -> SimResponse {
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.count == 9, parts[3] != "", parts[4] == "topics", parts[6] == "partitions", parts[8] == "records",
            let partition = Int(parts[7])
        else { return .json(404, ["error": .string("no simulator route GET \(request.path)")]) }
        guard let topic = clusters[parts[3]]?.topics[parts[5]], topic.endOffsets.indices.contains(partition) else {
            return .json(404, ["error": .string("no partition \(parts[7]) of topic \(parts[5]) on \(parts[3])")])
        }
        let start = max(0, Int64(request.queryValue("offset") ?? "0") ?? 0)
        let count = min(100, max(1, Int64(request.queryValue("count") ?? "1") ?? 1))
        let end = min(topic.endOffsets[partition], start + count)
        let records: [JSON] =
            start < end
            ? (start..<end).map { offset in
                ["offset": .int(offset), "value": topic.records[partition]?[offset].map { .string($0) } ?? nil]
            } : []
        return .json(
            200,
            [
                "cluster_id": .string(parts[3]), "topic_name": .string(parts[5]), "partition_id": .int(partition),
                "log_end_offset": .int(topic.endOffsets[partition]), "records": .array(records),
            ])
    }

    func faultsJSON() -> JSON {
        let data = (try? JSONEncoder().encode(faults)) ?? Data("{}".utf8)
        return (try? JSON.parse(data)) ?? [:]
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
                "description": .string(key.description), "resource": .optional(key.resource),
                "revoked": .bool(key.revoked),
                "usable": .bool(!key.revoked && now >= key.usableAt),
            ]
        }
        let principalItems: [JSON] = principals.values.sorted { $0.id < $1.id }.map {
            [
                "id": .string($0.id), "name": .string($0.name), "admin": .bool($0.admin),
                "cluster_admin": .array($0.clusterAdmin.sorted().map { .string($0) }), "key_admin": .bool($0.keyAdmin),
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
