/// An IAM v2 API key as listed (the secret is never part of it: it is returned once, at creation).
public struct APIKey: Sendable, Equatable, Decodable {
    public struct Reference: Sendable, Equatable, Decodable {
        public var id: String
        public var kind: String?
        public var environment: String?
    }
    public struct Spec: Sendable, Equatable, Decodable {
        public var displayName: String?
        public var description: String?
        public var owner: Reference?
        public var resource: Reference?

        enum CodingKeys: String, CodingKey {
            case displayName = "display_name"
            case description
            case owner
            case resource
        }
    }
    public var id: String
    public var spec: Spec
}

/// An IAM v2 service account.
public struct ServiceAccount: Sendable, Equatable, Decodable {
    public var id: String
    public var displayName: String?
    public var description: String?

    enum CodingKeys: String, CodingKey {
        case id
        case displayName = "display_name"
        case description
    }
}

/// A CMK v2 Kafka cluster, as far as jumpchain reads it: its type (`spec.config.kind`: `Basic`, `Standard`,
/// `Enterprise`, `Dedicated` or `Freight`), which sets limits such as the ACLs per cluster.
public struct KafkaCluster: Sendable, Equatable, Decodable {
    public struct Config: Sendable, Equatable, Decodable {
        public var kind: String?
    }
    public struct Spec: Sendable, Equatable, Decodable {
        public var config: Config?
    }
    public var id: String
    public var spec: Spec?

    /// `spec.config.kind`, when the control plane said.
    public var kind: String? { spec?.config?.kind }
}

struct PagedList<Item: Decodable>: Decodable {
    struct Metadata: Decodable {
        var next: String?
    }
    var metadata: Metadata?
    var data: [Item]
}
