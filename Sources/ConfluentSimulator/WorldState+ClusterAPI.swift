import Foundation
import JumpchainJSON

/// Kafka REST v3 on one cluster listener: routing, the cluster object, topics, partitions, records.
extension WorldState {
    /// Answers a request that reached cluster `listenerCluster`'s listener.
    mutating func handleCluster(_ request: SimRequest, listenerCluster: String, now: Double) -> SimResponse {
        let segments = request.segments
        guard segments.count >= 3, segments[0] == "kafka", segments[1] == "v3", segments[2] == "clusters" else {
            return .kafka(404, 404, "HTTP 404 Not Found")
        }
        guard let key = authenticate(request.credential, resource: listenerCluster, now: now) else {
            return .kafka(401, 40101, "Authentication failed")
        }
        guard segments.count >= 4 else {
            if request.method == "GET" {
                let call = ClusterCall(
                    request: request, clusterID: listenerCluster, principal: key.owner, now: now,
                    base: clusterURLs[listenerCluster] ?? "")
                return .json(
                    200,
                    ClusterCall.collection(
                        kind: "KafkaClusterList", selfURL: call.base + "/kafka/v3/clusters",
                        data: [clusterJSON(call)]))
            }
            return .kafka(405, 405, "HTTP 405 Method Not Allowed")
        }
        guard segments[3] == listenerCluster else {
            return .kafka(404, 404, "Cluster \(segments[3]) cannot be found.")
        }
        let call = ClusterCall(
            request: request, clusterID: listenerCluster, principal: key.owner, now: now,
            base: clusterURLs[listenerCluster] ?? "")
        let rest = Array(segments.dropFirst(4))
        let method = request.method
        switch (method, rest.count, rest.first) {
        case ("GET", 0, _): return .json(200, clusterJSON(call))
        case (_, _, "topics"?): return handleTopics(call, Array(rest.dropFirst()))
        case (_, _, "acls"?), (_, _, "acls:batch"?): return handleACLs(call, rest)
        case (_, _, "links"?): return handleLinks(call, Array(rest.dropFirst()))
        case (_, _, "consumer-groups"?): return handleConsumerGroups(call, Array(rest.dropFirst()))
        default: return .kafka(404, 404, "HTTP 404 Not Found")
        }
    }

    func clusterJSON(_ call: ClusterCall) -> JSON {
        let path = call.clusterPath
        return [
            "kind": "KafkaCluster",
            "metadata": ["self": .string(path), "resource_name": .string("crn:///kafka=\(call.clusterID)")],
            "cluster_id": .string(call.clusterID),
            "controller": ["related": .string(path + "/brokers/0")],
            "acls": ["related": .string(path + "/acls")],
            "brokers": ["related": .string(path + "/brokers")],
            "broker_configs": ["related": .string(path + "/broker-configs")],
            "consumer_groups": ["related": .string(path + "/consumer-groups")],
            "topics": ["related": .string(path + "/topics")],
            "partition_reassignments": ["related": .string(path + "/topics/-/partitions/-/reassignment")],
        ]
    }

    func topicJSON(_ call: ClusterCall, _ topic: TopicState) -> JSON {
        let path = call.clusterPath + "/topics/" + topic.name
        return [
            "kind": "KafkaTopic",
            "metadata": [
                "self": .string(path), "resource_name": .string("crn:///kafka=\(call.clusterID)/topic=\(topic.name)"),
            ],
            "cluster_id": .string(call.clusterID),
            "topic_name": .string(topic.name),
            "is_internal": false,
            "replication_factor": 3,
            "partitions_count": .int(topic.endOffsets.count),
            "partitions": ["related": .string(path + "/partitions")],
            "configs": ["related": .string(path + "/configs")],
            "partition_reassignments": ["related": .string(path + "/partitions/-/reassignment")],
        ]
    }

    func partitionJSON(_ call: ClusterCall, _ topic: String, _ partition: Int) -> JSON {
        let path = call.clusterPath + "/topics/\(topic)/partitions/\(partition)"
        return [
            "kind": "KafkaPartition",
            "metadata": [
                "self": .string(path),
                "resource_name": .string("crn:///kafka=\(call.clusterID)/topic=\(topic)/partition=\(partition)"),
            ],
            "cluster_id": .string(call.clusterID),
            "topic_name": .string(topic),
            "partition_id": .int(partition),
            "leader": ["related": .string(path + "/replicas/0")],
            "replicas": ["related": .string(path + "/replicas")],
            "reassignment": ["related": .string(path + "/reassignment")],
        ]
    }

    private func may(_ call: ClusterCall, _ operation: String, _ type: String, _ name: String) -> Bool {
        authorized(call.principal, cluster: call.clusterID, operation, type, name)
    }

    private mutating func handleTopics(_ call: ClusterCall, _ rest: [String]) -> SimResponse {
        let method = call.request.method
        guard let topicName = rest.first else {
            switch method {
            case "GET": return listTopics(call)
            case "POST": return createTopic(call)
            default: return .kafka(405, 405, "HTTP 405 Method Not Allowed")
            }
        }
        let describeOp = rest.count >= 2 && rest[1] == "configs" ? "DESCRIBE_CONFIGS" : "DESCRIBE"
        let operation: String =
            switch (method, rest.count) {
            case ("DELETE", 1): "DELETE"
            case ("PATCH", 1): "ALTER"
            case ("POST", 2) where rest[1] == "records": "WRITE"
            default: describeOp
            }
        guard may(call, operation, "TOPIC", topicName) else { return ClusterCall.unauthorized }
        guard let topic = clusters[call.clusterID]?.topics[topicName] else {
            return ClusterCall.notFoundTopic(topicName)
        }
        switch (method, rest.count) {
        case ("GET", 1): return .json(200, topicJSON(call, topic))
        case ("DELETE", 1):
            clusters[call.clusterID]!.topics[topicName] = nil
            return .empty(204)
        case ("PATCH", 1): return alterPartitions(call, topic)
        case ("GET", 2) where rest[1] == "partitions":
            return .json(
                200,
                ClusterCall.collection(
                    kind: "KafkaPartitionList", selfURL: call.clusterPath + "/topics/\(topicName)/partitions",
                    data: topic.endOffsets.indices.map { partitionJSON(call, topicName, $0) }))
        case ("GET", 3) where rest[1] == "partitions":
            guard let partition = Int(rest[2]), topic.endOffsets.indices.contains(partition) else {
                return .kafka(404, 40403, "This server does not host this topic-partition.")
            }
            return .json(200, partitionJSON(call, topicName, partition))
        case ("GET", 2) where rest[1] == "configs": return .json(200, topicConfigsJSON(call, topic))
        case ("POST", 2) where rest[1] == "records": return produce(call, topic)
        default: return .kafka(404, 404, "HTTP 404 Not Found")
        }
    }

    private func listTopics(_ call: ClusterCall) -> SimResponse {
        let all = clusters[call.clusterID].map { Array($0.topics.values) } ?? []
        let topics = all.filter { may(call, "DESCRIBE", "TOPIC", $0.name) }
        let data = topics.sorted { $0.name < $1.name }.map { topicJSON(call, $0) }
        return .json(
            200, ClusterCall.collection(kind: "KafkaTopicList", selfURL: call.clusterPath + "/topics", data: data))
    }

    private mutating func createTopic(_ call: ClusterCall) -> SimResponse {
        guard let body = call.request.json, let name = body["topic_name"]?.stringValue, !name.isEmpty else {
            return .kafka(400, 400, "topic_name is required")
        }
        guard may(call, "CREATE", "CLUSTER", "kafka-cluster") || may(call, "CREATE", "TOPIC", name) else {
            return ClusterCall.unauthorized
        }
        if let problem = ServiceLimits.nameProblem(name) { return ClusterCall.badRequest(problem) }
        if clusters[call.clusterID]?.topics[name] != nil {
            return ClusterCall.badRequest("Topic '\(name)' already exists.")
        }
        let partitions = body["partitions_count"]?.intValue ?? 6
        guard partitions > 0 else { return ClusterCall.badRequest("Number of partitions must be larger than 0.") }
        guard partitions <= ServiceLimits.partitionsPerTopic else {
            return ClusterCall.badRequest(
                "Number of partitions \(partitions) exceeds the limit of \(ServiceLimits.partitionsPerTopic).")
        }
        if let refusal = partitionLimitRefusal(cluster: call.clusterID, adding: Int(partitions)) { return refusal }
        if let factor = body["replication_factor"]?.intValue, factor != 3 {
            return ClusterCall.badRequest("Topic replication factor must be 3")
        }
        var configs: [String: String] = [:]
        for item in body["configs"]?.arrayValue ?? [] {
            if let configName = item["name"]?.stringValue, let value = item["value"]?.stringValue {
                configs[configName] = value
            }
        }
        let topic = TopicState(
            name: name, endOffsets: Array(repeating: 0, count: Int(partitions)), configs: configs)
        if body["validate_only"]?.boolValue == true { return .json(200, topicJSON(call, topic)) }
        clusters[call.clusterID]!.topics[name] = topic
        return .json(201, topicJSON(call, topic))
    }

    private mutating func alterPartitions(_ call: ClusterCall, _ topic: TopicState) -> SimResponse {
        guard let count = call.request.json?["partitions_count"]?.intValue else {
            return .kafka(400, 400, "partitions_count is required")
        }
        guard count > topic.endOffsets.count else {
            return ClusterCall.badRequest("Topic already has \(topic.endOffsets.count) partitions.")
        }
        guard count <= ServiceLimits.partitionsPerTopic else {
            return ClusterCall.badRequest(
                "Number of partitions \(count) exceeds the limit of \(ServiceLimits.partitionsPerTopic).")
        }
        let extra = Int(count) - topic.endOffsets.count
        if let refusal = partitionLimitRefusal(cluster: call.clusterID, adding: extra) { return refusal }
        if let mirror = topic.mirror, mirror.status != "STOPPED" {
            return ClusterCall.badRequest("Topic '\(topic.name)' is a mirror topic; its partitions follow the source.")
        }
        var updated = topic
        updated.endOffsets += Array(repeating: 0, count: extra)
        clusters[call.clusterID]!.topics[topic.name] = updated
        return .json(200, topicJSON(call, updated))
    }

    private func topicConfigsJSON(_ call: ClusterCall, _ topic: TopicState) -> JSON {
        var values = ["cleanup.policy": "delete", "retention.ms": "604800000", "min.insync.replicas": "2"]
        let defaults = Set(values.keys).subtracting(topic.configs.keys)
        values.merge(topic.configs) { $1 }
        let path = call.clusterPath + "/topics/\(topic.name)/configs"
        let data: [JSON] = values.keys.sorted().map { name in
            [
                "kind": "KafkaTopicConfig",
                "metadata": ["self": .string(path + "/" + name)],
                "cluster_id": .string(call.clusterID), "topic_name": .string(topic.name), "name": .string(name),
                "value": .string(values[name]!), "is_default": .bool(defaults.contains(name)),
                "is_read_only": false, "is_sensitive": false,
                "source": .string(defaults.contains(name) ? "DEFAULT_CONFIG" : "DYNAMIC_TOPIC_CONFIG"),
                "synonyms": [],
            ]
        }
        return ClusterCall.collection(kind: "KafkaTopicConfigList", selfURL: path, data: data)
    }

    private mutating func produce(_ call: ClusterCall, _ topic: TopicState) -> SimResponse {
        let contentType = call.request.headers["content-type"] ?? ""
        guard contentType.lowercased().hasPrefix("application/json") else {
            return .kafka(415, 415, "HTTP 415 Unsupported Media Type")
        }
        guard !call.request.body.isEmpty else { return .kafka(422, 422, "Payload error. Request body is empty.") }
        guard let body = call.request.json else { return .kafka(400, 400, "Unexpected JSON in request body") }
        if let mirror = topic.mirror, mirror.status != "STOPPED" {
            return ClusterCall.badRequest(
                "Topic '\(topic.name)' is a read-only mirror topic of cluster link '\(mirror.linkName)': "
                    + "produce is refused until it is promoted or failed over.")
        }
        var updated = topic
        let partition: Int
        if let requested = body["partition_id"]?.intValue {
            guard updated.endOffsets.indices.contains(Int(requested)) else {
                return .kafka(404, 40403, "This server does not host this topic-partition.")
            }
            partition = Int(requested)
        } else {
            partition = updated.produceCursor % updated.endOffsets.count
            updated.produceCursor += 1
        }
        let offset = updated.endOffsets[partition]
        updated.endOffsets[partition] += 1
        if let value = body["value"]?["data"], !value.isNull {
            updated.records[partition, default: [:]][offset] =
                value.stringValue ?? String(decoding: value.serialized(), as: UTF8.self)
        }
        clusters[call.clusterID]!.topics[topic.name] = updated
        func sized(_ data: JSON?) -> JSON {
            guard let data, !data.isNull else { return nil }
            let type = data["type"]?.stringValue ?? "JSON"
            let payload = data["data"]
            let size: Int =
                switch (type, payload) {
                case ("STRING", .string(let text)?): text.utf8.count
                case ("BINARY", .string(let text)?): Data(base64Encoded: text)?.count ?? 0
                case (_, let value?): value.serialized().count
                default: 0
                }
            return ["type": .string(type), "size": .int(size)]
        }
        let timestamp = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: call.now))
        return .json(
            200,
            [
                "error_code": 200, "cluster_id": .string(call.clusterID), "topic_name": .string(topic.name),
                "partition_id": .int(partition), "offset": .int(offset), "timestamp": .string(timestamp),
                "key": sized(body["key"]), "value": sized(body["value"]),
            ])
    }
}
