import JumpchainJSON

/// A consumer group on one cluster: its committed offsets. Members are the simulated consumers of the
/// config naming this cluster and group.
struct GroupState {
    var id: String
    /// Topic → partition → committed offset (the next offset the group will read).
    var offsets: [String: [Int: Int64]] = [:]
}

/// A simulated consumer (one group member) committing behind the log end.
struct ConsumerState {
    var cluster: String
    var group: String
    var topic: String
    var recordsPerSecond: Double
    var credit: Double = 0
    var cursor = 0
}

/// One member of a group as Kafka REST shows it.
struct GroupMember {
    var consumerID: String
    var clientID: String
    var topic: String
}

/// Consumer groups: world set-up, simulated consumers, and the Kafka REST v3 `consumer-groups` paths.
extension WorldState {
    mutating func addGroups(_ config: SimulatorConfig) throws(SimulatorError) {
        for declared in config.consumerGroups {
            guard let topic = clusters[declared.cluster]?.topics[declared.topic] else {
                throw SimulatorError(
                    .invalidConfig,
                    "consumer group '\(declared.group)' names unknown topic '\(declared.topic)' on '\(declared.cluster)'"
                )
            }
            guard declared.offsets.count <= topic.endOffsets.count else {
                throw SimulatorError(
                    .invalidConfig,
                    "consumer group '\(declared.group)' lists \(declared.offsets.count) offsets but topic "
                        + "'\(declared.topic)' has \(topic.endOffsets.count) partitions")
            }
            var group = clusters[declared.cluster]!.groups[declared.group] ?? GroupState(id: declared.group)
            for (partition, offset) in declared.offsets.enumerated() {
                guard offset >= 0, offset <= topic.endOffsets[partition] else {
                    throw SimulatorError(
                        .invalidConfig,
                        "consumer group '\(declared.group)' commits offset \(offset) on \(declared.topic)-\(partition), "
                            + "outside 0...\(topic.endOffsets[partition]) (the partition's log end)")
                }
                group.offsets[declared.topic, default: [:]][partition] = offset
            }
            clusters[declared.cluster]!.groups[declared.group] = group
        }
        for consumer in config.consumers {
            // The topic may appear later (a mirror topic, say): until then the consumer waits.
            guard clusters[consumer.cluster] != nil else {
                throw SimulatorError(
                    .invalidConfig, "consumer of group '\(consumer.group)' names unknown cluster '\(consumer.cluster)'")
            }
            guard consumer.recordsPerSecond >= 0 else {
                throw SimulatorError(
                    .invalidConfig, "consumer of group '\(consumer.group)' needs recordsPerSecond >= 0")
            }
            if clusters[consumer.cluster]!.groups[consumer.group] == nil {
                clusters[consumer.cluster]!.groups[consumer.group] = GroupState(id: consumer.group)
            }
            consumers.append(
                ConsumerState(
                    cluster: consumer.cluster, group: consumer.group, topic: consumer.topic,
                    recordsPerSecond: consumer.recordsPerSecond))
        }
    }

    /// Each consumer commits up to its rate, round-robin over the partitions that have unread records;
    /// a committed offset never passes the log end. Credit does not pile up while there is nothing to read.
    mutating func runConsumers(_ elapsed: Double) {
        for index in consumers.indices {
            consumers[index].credit += consumers[index].recordsPerSecond * elapsed
            var whole = Int(consumers[index].credit)
            guard whole > 0 else { continue }
            consumers[index].credit -= Double(whole)
            let consumer = consumers[index]
            guard let topic = clusters[consumer.cluster]?.topics[consumer.topic],
                var group = clusters[consumer.cluster]?.groups[consumer.group]
            else { continue }
            var committed = group.offsets[consumer.topic] ?? [:]
            var cursor = consumer.cursor
            let count = topic.endOffsets.count
            while whole > 0 {
                guard
                    let partition = (0..<count).lazy.map({ (cursor + $0) % count }).first(where: {
                        (committed[$0] ?? 0) < topic.endOffsets[$0]
                    })
                else { break }
                let unread = topic.endOffsets[partition] - (committed[partition] ?? 0)
                let step = min(unread, Int64(max(1, whole / count)))
                committed[partition] = (committed[partition] ?? 0) + step
                whole -= Int(step)
                cursor = partition + 1
            }
            consumers[index].cursor = cursor % max(1, count)
            group.offsets[consumer.topic] = committed
            clusters[consumer.cluster]!.groups[consumer.group] = group
        }
    }

    /// The simulated consumers of `group` on `clusterID`, numbered from 1 in config order.
    func members(clusterID: String, group: String) -> [GroupMember] {
        consumers.filter { $0.cluster == clusterID && $0.group == group }.enumerated().map { index, consumer in
            GroupMember(
                consumerID: "\(group)-consumer-\(index + 1)", clientID: "sim-consumer-\(index + 1)",
                topic: consumer.topic)
        }
    }

    /// The member a partition is assigned to: members reading the topic share its partitions round-robin.
    private func assignee(_ members: [GroupMember], topic: String, partition: Int) -> GroupMember? {
        let readers = members.filter { $0.topic == topic }
        return readers.isEmpty ? nil : readers[partition % readers.count]
    }

    // MARK: Kafka REST v3

    func handleConsumerGroups(_ call: ClusterCall, _ rest: [String]) -> SimResponse {
        guard call.request.method == "GET" else { return .kafka(405, 405, "HTTP 405 Method Not Allowed") }
        let cluster = clusters[call.clusterID]!
        guard let groupID = rest.first else {
            let visible = cluster.groups.values.filter {
                authorized(call.principal, cluster: call.clusterID, "DESCRIBE", "GROUP", $0.id)
            }
            return .json(
                200,
                ClusterCall.collection(
                    kind: "KafkaConsumerGroupList", selfURL: call.clusterPath + "/consumer-groups",
                    data: visible.sorted { $0.id < $1.id }.map { groupJSON(call, $0) }))
        }
        guard authorized(call.principal, cluster: call.clusterID, "DESCRIBE", "GROUP", groupID) else {
            return ClusterCall.unauthorized
        }
        guard let group = cluster.groups[groupID] else {
            return .kafka(404, 404, "Consumer group '\(groupID)' cannot be found.")
        }
        let path = call.clusterPath + "/consumer-groups/" + groupID
        switch (rest.count, rest.dropFirst().first) {
        case (1, _): return .json(200, groupJSON(call, group))
        case (2, "consumers"?):
            let data = members(clusterID: call.clusterID, group: groupID).map { consumerJSON(call, groupID, $0) }
            return .json(
                200, ClusterCall.collection(kind: "KafkaConsumerList", selfURL: path + "/consumers", data: data))
        case (2, "lags"?):
            return .json(
                200,
                ClusterCall.collection(kind: "KafkaConsumerLagList", selfURL: path + "/lags", data: lags(call, group)))
        case (5, "lags"?) where rest[3] == "partitions":
            let topicName = rest[2]
            guard authorized(call.principal, cluster: call.clusterID, "DESCRIBE", "TOPIC", topicName) else {
                return ClusterCall.unauthorized
            }
            guard let partition = Int(rest[4]),
                let lag = lags(call, group).first(where: {
                    $0["topic_name"]?.stringValue == topicName && $0["partition_id"]?.intValue == Int64(partition)
                })
            else {
                return .kafka(
                    404, 404, "Consumer group '\(groupID)' has no committed offset on \(topicName)-\(rest[4]).")
            }
            return .json(200, lag)
        case (2, "lag-summary"?): return .json(200, lagSummaryJSON(call, group))
        default: return .kafka(404, 404, "HTTP 404 Not Found")
        }
    }

    func groupJSON(_ call: ClusterCall, _ group: GroupState) -> JSON {
        let path = call.clusterPath + "/consumer-groups/" + group.id
        let active = !members(clusterID: call.clusterID, group: group.id).isEmpty
        return [
            "kind": "KafkaConsumerGroup",
            "metadata": [
                "self": .string(path),
                "resource_name": .string("crn:///kafka=\(call.clusterID)/consumer-group=\(group.id)"),
            ],
            "cluster_id": .string(call.clusterID),
            "consumer_group_id": .string(group.id),
            "is_simple": .bool(!active),
            "partition_assignor": .string(active ? "org.apache.kafka.clients.consumer.RangeAssignor" : ""),
            "state": .string(active ? "STABLE" : "EMPTY"),
            "type": "CLASSIC",
            "is_mixed_consumer_group": false,
            "coordinator": ["related": .string(call.clusterPath + "/brokers/0")],
            "consumers": ["related": .string(path + "/consumers")],
            "lag_summary": ["related": .string(path + "/lag-summary")],
        ]
    }

    func consumerJSON(_ call: ClusterCall, _ groupID: String, _ member: GroupMember) -> JSON {
        let path = call.clusterPath + "/consumer-groups/\(groupID)/consumers/\(member.consumerID)"
        return [
            "kind": "KafkaConsumer",
            "metadata": [
                "self": .string(path),
                "resource_name": .string(
                    "crn:///kafka=\(call.clusterID)/consumer-group=\(groupID)/consumer=\(member.consumerID)"),
            ],
            "cluster_id": .string(call.clusterID),
            "consumer_group_id": .string(groupID),
            "consumer_id": .string(member.consumerID),
            "instance_id": nil,
            "client_id": .string(member.clientID),
            "assignments": ["related": .string(path + "/assignments")],
        ]
    }

    /// One `KafkaConsumerLag` per committed partition of a topic that exists and the caller may describe,
    /// ordered by topic and partition; `current_offset` is the committed offset.
    func lags(_ call: ClusterCall, _ group: GroupState) -> [JSON] {
        let cluster = clusters[call.clusterID]!
        let groupMembers = members(clusterID: call.clusterID, group: group.id)
        var items: [JSON] = []
        for (topicName, committed) in group.offsets.sorted(by: { $0.key < $1.key }) {
            guard let topic = cluster.topics[topicName],
                authorized(call.principal, cluster: call.clusterID, "DESCRIBE", "TOPIC", topicName)
            else { continue }
            for (partition, offset) in committed.sorted(by: { $0.key < $1.key })
            where topic.endOffsets.indices.contains(partition) {
                let end = topic.endOffsets[partition]
                let member = assignee(groupMembers, topic: topicName, partition: partition)
                let path = call.clusterPath + "/consumer-groups/\(group.id)/lags/\(topicName)/partitions/\(partition)"
                items.append([
                    "kind": "KafkaConsumerLag",
                    "metadata": [
                        "self": .string(path),
                        "resource_name": .string(
                            "crn:///kafka=\(call.clusterID)/consumer-group=\(group.id)/lag=\(topicName)/partition=\(partition)"
                        ),
                    ],
                    "cluster_id": .string(call.clusterID),
                    "consumer_group_id": .string(group.id),
                    "topic_name": .string(topicName),
                    "partition_id": .int(Int64(partition)),
                    "current_offset": .int(offset),
                    "log_end_offset": .int(end),
                    "lag": .int(max(0, end - offset)),
                    "consumer_id": .string(member?.consumerID ?? ""),
                    "instance_id": nil,
                    "client_id": .string(member?.clientID ?? ""),
                ])
            }
        }
        return items
    }

    func lagSummaryJSON(_ call: ClusterCall, _ group: GroupState) -> JSON {
        let items = lags(call, group)
        var worst: JSON?
        var total: Int64 = 0
        for item in items {
            let lag = item["lag"]?.intValue ?? 0
            total += lag
            if worst == nil || lag > (worst?["lag"]?.intValue ?? 0) { worst = item }
        }
        let path = call.clusterPath + "/consumer-groups/\(group.id)"
        let consumerID = worst?["consumer_id"]?.stringValue ?? ""
        let topicName = worst?["topic_name"]?.stringValue ?? ""
        let partition = worst?["partition_id"]?.intValue ?? 0
        return [
            "kind": "KafkaConsumerGroupLagSummary",
            "metadata": [
                "self": .string(path + "/lag-summary"),
                "resource_name": .string("crn:///kafka=\(call.clusterID)/consumer-groups=\(group.id)/lag-summary"),
            ],
            "cluster_id": .string(call.clusterID),
            "consumer_group_id": .string(group.id),
            "max_lag_consumer_id": .string(consumerID),
            "max_lag_instance_id": nil,
            "max_lag_client_id": .string(worst?["client_id"]?.stringValue ?? ""),
            "max_lag_topic_name": .string(topicName),
            "max_lag_partition_id": .int(partition),
            "max_lag": .int(worst?["lag"]?.intValue ?? 0),
            "total_lag": .int(total),
            "max_lag_consumer": ["related": .string(path + "/consumers/" + consumerID)],
            "max_lag_partition": [
                "related": .string(call.clusterPath + "/topics/\(topicName)/partitions/\(partition)")
            ],
        ]
    }
}

extension WorldState {
    /// `consumer_groups` of `/sim/v1/state`: every group with its committed offsets per topic.
    func groupsStateJSON() -> [JSON] {
        clusterOrder.flatMap { clusterID in
            clusters[clusterID]!.groups.values.sorted { $0.id < $1.id }.map { group -> JSON in
                let topics: [(String, JSON)] = group.offsets.sorted { $0.key < $1.key }.map { topic, committed in
                    let count = (committed.keys.max() ?? -1) + 1
                    return (topic, .array((0..<count).map { committed[$0].map { .int($0) } ?? .null }))
                }
                return [
                    "cluster_id": .string(clusterID), "consumer_group_id": .string(group.id),
                    "members": .int(members(clusterID: clusterID, group: group.id).count),
                    "committed_offsets": .object(topics),
                ]
            }
        }
    }
}
