/// A consumer group as Kafka REST v3 describes it (`KafkaConsumerGroup`).
public struct ConsumerGroup: Codable, Sendable, Equatable {
    public var consumerGroupID: String
    public var isSimple: Bool
    public var partitionAssignor: String
    /// `STABLE`, `EMPTY`, `PREPARING_REBALANCE`, … (an extensible enum: unknown values are kept as text).
    public var state: String
    /// `CLASSIC`, `CONSUMER`, … (absent from older servers).
    public var type: String?
    public var isMixedConsumerGroup: Bool?

    enum CodingKeys: String, CodingKey {
        case consumerGroupID = "consumer_group_id"
        case isSimple = "is_simple"
        case partitionAssignor = "partition_assignor"
        case state
        case type
        case isMixedConsumerGroup = "is_mixed_consumer_group"
    }
}

/// A member of a consumer group (`KafkaConsumer`).
public struct GroupConsumer: Codable, Sendable, Equatable {
    public var consumerID: String
    public var instanceID: String?
    public var clientID: String

    enum CodingKeys: String, CodingKey {
        case consumerID = "consumer_id"
        case instanceID = "instance_id"
        case clientID = "client_id"
    }
}

/// A group's position on one partition (`KafkaConsumerLag`): `currentOffset` is the committed offset
/// (the next record the group will read), `logEndOffset` the partition's end, `lag` their difference.
/// `consumerID` and `clientID` are empty when no member holds the partition.
public struct ConsumerLag: Codable, Sendable, Equatable {
    public var consumerGroupID: String
    public var topicName: String
    public var partitionID: Int
    public var currentOffset: Int64
    public var logEndOffset: Int64
    public var lag: Int64
    public var consumerID: String
    public var instanceID: String?
    public var clientID: String

    enum CodingKeys: String, CodingKey {
        case consumerGroupID = "consumer_group_id"
        case topicName = "topic_name"
        case partitionID = "partition_id"
        case currentOffset = "current_offset"
        case logEndOffset = "log_end_offset"
        case lag
        case consumerID = "consumer_id"
        case instanceID = "instance_id"
        case clientID = "client_id"
    }
}

/// The largest and total lag of a group (`KafkaConsumerGroupLagSummary`).
public struct ConsumerGroupLagSummary: Codable, Sendable, Equatable {
    public var consumerGroupID: String
    public var maxLag: Int64
    public var totalLag: Int64
    public var maxLagTopicName: String
    public var maxLagPartitionID: Int
    public var maxLagConsumerID: String
    public var maxLagInstanceID: String?
    public var maxLagClientID: String

    enum CodingKeys: String, CodingKey {
        case consumerGroupID = "consumer_group_id"
        case maxLag = "max_lag"
        case totalLag = "total_lag"
        case maxLagTopicName = "max_lag_topic_name"
        case maxLagPartitionID = "max_lag_partition_id"
        case maxLagConsumerID = "max_lag_consumer_id"
        case maxLagInstanceID = "max_lag_instance_id"
        case maxLagClientID = "max_lag_client_id"
    }
}

/// One partition of one topic.
public struct TopicPartition: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int

    public init(topic: String, partition: Int) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }

    public var description: String { "\(topic)-\(partition)" }
}
