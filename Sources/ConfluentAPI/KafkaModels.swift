/// A Kafka topic as Kafka REST v3 describes it (`KafkaTopic`).
public struct Topic: Codable, Sendable, Equatable {
    public var topicName: String
    public var partitionsCount: Int
    public var replicationFactor: Int?
    public var isInternal: Bool?

    enum CodingKeys: String, CodingKey {
        case topicName = "topic_name"
        case partitionsCount = "partitions_count"
        case replicationFactor = "replication_factor"
        case isInternal = "is_internal"
    }
}

/// A cluster link half (`KafkaLinkData`).
public struct Link: Codable, Sendable, Equatable {
    public var linkName: String
    public var clusterLinkID: String?
    public var sourceClusterID: String?
    public var destinationClusterID: String?
    public var remoteClusterID: String?
    public var topicNames: [String]
    public var linkState: String?
    public var linkError: String?
    public var linkErrorMessage: String?
    public var tasks: [LinkTask]?

    enum CodingKeys: String, CodingKey {
        case linkName = "link_name"
        case clusterLinkID = "cluster_link_id"
        case sourceClusterID = "source_cluster_id"
        case destinationClusterID = "destination_cluster_id"
        case remoteClusterID = "remote_cluster_id"
        case topicNames = "topic_names"
        case linkState = "link_state"
        case linkError = "link_error"
        case linkErrorMessage = "link_error_message"
        case tasks
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        linkName = try container.decode(String.self, forKey: .linkName)
        clusterLinkID = try container.decodeIfPresent(String.self, forKey: .clusterLinkID)
        sourceClusterID = try container.decodeIfPresent(String.self, forKey: .sourceClusterID)
        destinationClusterID = try container.decodeIfPresent(String.self, forKey: .destinationClusterID)
        remoteClusterID = try container.decodeIfPresent(String.self, forKey: .remoteClusterID)
        topicNames = try container.decodeIfPresent([String].self, forKey: .topicNames) ?? []
        linkState = try container.decodeIfPresent(String.self, forKey: .linkState)
        linkError = try container.decodeIfPresent(String.self, forKey: .linkError)
        linkErrorMessage = try container.decodeIfPresent(String.self, forKey: .linkErrorMessage)
        tasks = try container.decodeIfPresent([LinkTask].self, forKey: .tasks)
    }

    /// Healthy means ACTIVE with no link error and no task in error.
    public var isHealthy: Bool {
        linkState == "ACTIVE" && (linkError == nil || linkError == "NO_ERROR")
            && (tasks ?? []).allSatisfy { $0.state != "IN_ERROR" && $0.state != "LINK_FAILED" }
    }
}

/// A link task (`include_tasks=true`): AclSync, ConsumerOffsetSync, TopicConfigsSync, ...
public struct LinkTask: Codable, Sendable, Equatable {
    public struct TaskError: Codable, Sendable, Equatable {
        public var errorCode: String
        public var errorMessage: String
        enum CodingKeys: String, CodingKey {
            case errorCode = "error_code"
            case errorMessage = "error_message"
        }
    }
    public var taskName: String
    public var state: String
    public var errors: [TaskError]

    enum CodingKeys: String, CodingKey {
        case taskName = "task_name"
        case state
        case errors
    }
}

/// One configuration entry of a link as read back (`KafkaLinkConfigData`): sensitive values read as nil.
public struct LinkConfig: Codable, Sendable, Equatable {
    public var name: String
    public var value: String?
    public var isSensitive: Bool?
    public var isDefault: Bool?
    public var source: String?

    enum CodingKeys: String, CodingKey {
        case name
        case value
        case isSensitive = "is_sensitive"
        case isDefault = "is_default"
        case source
    }
}

/// Per-partition replication progress of a mirror topic.
public struct MirrorLag: Codable, Sendable, Equatable {
    public var partition: Int
    public var lag: Int64
    public var lastSourceFetchOffset: Int64

    enum CodingKeys: String, CodingKey {
        case partition
        case lag
        case lastSourceFetchOffset = "last_source_fetch_offset"
    }

    public init(partition: Int, lag: Int64, lastSourceFetchOffset: Int64) {
        self.partition = partition
        self.lag = lag
        self.lastSourceFetchOffset = lastSourceFetchOffset
    }
}

/// A mirror topic (`KafkaMirrorData`).
public struct Mirror: Codable, Sendable, Equatable {
    public var linkName: String
    public var mirrorTopicName: String
    public var sourceTopicName: String
    public var numPartitions: Int
    public var mirrorLags: [MirrorLag]
    public var mirrorStatus: String
    public var mirrorTopicError: String?
    public var stateTimeMs: Int64?

    enum CodingKeys: String, CodingKey {
        case linkName = "link_name"
        case mirrorTopicName = "mirror_topic_name"
        case sourceTopicName = "source_topic_name"
        case numPartitions = "num_partitions"
        case mirrorLags = "mirror_lags"
        case mirrorStatus = "mirror_status"
        case mirrorTopicError = "mirror_topic_error"
        case stateTimeMs = "state_time_ms"
    }
}

/// The per-topic result of a mirror state change (`AlterMirrorsData`): HTTP 200 carries per-topic errors.
public struct AlterMirrorResult: Codable, Sendable, Equatable {
    public var mirrorTopicName: String
    public var errorCode: Int?
    public var errorMessage: String?

    enum CodingKeys: String, CodingKey {
        case mirrorTopicName = "mirror_topic_name"
        case errorCode = "error_code"
        case errorMessage = "error_message"
    }
}

/// A mirror state change.
public enum MirrorAction: String, Sendable, CaseIterable {
    case promote, failover, pause, resume
}

/// An ACL binding (`CreateAclRequestData` / `AclData`).
public struct ACLBinding: Codable, Sendable, Hashable, CustomStringConvertible {
    public var resourceType: String
    public var resourceName: String
    public var patternType: String
    public var principal: String
    public var host: String
    public var operation: String
    public var permission: String

    public init(
        resourceType: String, resourceName: String, patternType: String = "LITERAL", principal: String,
        host: String = "*", operation: String, permission: String = "ALLOW"
    ) {
        self.resourceType = resourceType
        self.resourceName = resourceName
        self.patternType = patternType
        self.principal = principal
        self.host = host
        self.operation = operation
        self.permission = permission
    }

    enum CodingKeys: String, CodingKey {
        case resourceType = "resource_type"
        case resourceName = "resource_name"
        case patternType = "pattern_type"
        case principal
        case host
        case operation
        case permission
    }

    public var description: String {
        "\(permission) \(principal) \(operation) on \(resourceType) \(resourceName) (\(patternType))"
    }
}

/// Where a produced record landed.
public struct ProduceResult: Codable, Sendable, Equatable {
    public var errorCode: Int
    public var partitionID: Int?
    public var offset: Int64?
    public var message: String?

    enum CodingKeys: String, CodingKey {
        case errorCode = "error_code"
        case partitionID = "partition_id"
        case offset
        case message
    }
}

struct DataList<Item: Decodable>: Decodable {
    var data: [Item]
}
