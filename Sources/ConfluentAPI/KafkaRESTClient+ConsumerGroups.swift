import JumpchainHTTP

/// Kafka REST v3 consumer-group reads (`/consumer-groups…`). On Confluent Cloud the lag paths answer on
/// Dedicated clusters only.
extension KafkaRESTClient {
    private var groupsPath: String { "/kafka/v3/clusters/\(APIEndpoint.segment(clusterID))/consumer-groups" }

    private func groupPath(_ group: String) -> String { groupsPath + "/" + APIEndpoint.segment(group) }

    /// Every group the caller may describe.
    public func listConsumerGroups() async throws(ConfluentAPIError) -> [ConsumerGroup] {
        try endpoint.decode(
            DataList<ConsumerGroup>.self, from: try await endpoint.call(.get, groupsPath), request: groupsPath
        ).data
    }

    /// The group, or nil when the cluster does not know it.
    public func consumerGroup(_ group: String) async throws(ConfluentAPIError) -> ConsumerGroup? {
        try await optional(ConsumerGroup.self, groupPath(group))
    }

    /// The group's members, or nil when the group does not exist.
    public func consumers(ofGroup group: String) async throws(ConfluentAPIError) -> [GroupConsumer]? {
        try await optional(DataList<GroupConsumer>.self, groupPath(group) + "/consumers")?.data
    }

    /// The group's committed offset and lag per partition, or nil when the group does not exist.
    public func consumerLags(group: String) async throws(ConfluentAPIError) -> [ConsumerLag]? {
        try await optional(DataList<ConsumerLag>.self, groupPath(group) + "/lags")?.data
    }

    /// The group's position on one partition, or nil when it has no committed offset there (or no group).
    public func consumerLag(
        group: String, topic: String, partition: Int
    ) async throws(ConfluentAPIError)
        -> ConsumerLag?
    {
        let path = groupPath(group) + "/lags/\(APIEndpoint.segment(topic))/partitions/\(partition)"
        return try await optional(ConsumerLag.self, path)
    }

    /// The group's largest and total lag, or nil when the group does not exist.
    public func consumerLagSummary(group: String) async throws(ConfluentAPIError) -> ConsumerGroupLagSummary? {
        try await optional(ConsumerGroupLagSummary.self, groupPath(group) + "/lag-summary")
    }

    /// The group's committed offsets by partition, or nil when the group does not exist.
    public func committedOffsets(group: String) async throws(ConfluentAPIError) -> [TopicPartition: Int64]? {
        guard let lags = try await consumerLags(group: group) else { return nil }
        var offsets: [TopicPartition: Int64] = [:]
        for lag in lags {
            offsets[TopicPartition(topic: lag.topicName, partition: lag.partitionID)] = lag.currentOffset
        }
        return offsets
    }

    /// GET `path` decoded as `T`; nil on 404.
    private func optional<T: Decodable>(_ type: T.Type, _ path: String) async throws(ConfluentAPIError) -> T? {
        let response = try await endpoint.exchange(.get, path)
        if response.status == 404 { return nil }
        guard response.isSuccess else { throw endpoint.failure(response, request: "GET \(path)") }
        return try endpoint.decode(T.self, from: response, request: path)
    }
}
