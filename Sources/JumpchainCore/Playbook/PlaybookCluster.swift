/// One cluster of the chain as the playbook describes it.
public struct PlaybookCluster: Sendable, Hashable, Codable {
    /// Which place in the chain; used in messages.
    public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
        case origin
        case jump
        case target
    }

    public var role: Role
    /// `lkc-…` for Confluent Cloud; any `[A-Za-z0-9_-]+` for a Confluent Platform origin.
    public var id: String
    /// Whether this is a Confluent Platform cluster (only the origin may be).
    public var isPlatform: Bool
    /// The Kafka REST v3 base URL (`https://pkc-….confluent.cloud:443`).
    public var restEndpoint: String
    /// `host:port` (a comma-separated list for Platform).
    public var bootstrap: String
    /// `env-…`; nil only for a Platform cluster.
    public var environment: String?
    public var network: ClusterNetwork
    /// Operator credentials; nil for the jump unless given (the jump's only key is normally the link key).
    public var credentials: CredentialReference?
    /// `acl_limit:` (origin and jump): the ACLs the cluster allows, overriding the limit of its type that the
    /// preflight reads from the control plane (``ACLBudget``); nil: that limit.
    public var aclLimit: Int?

    public init(
        role: Role, id: String, isPlatform: Bool, restEndpoint: String, bootstrap: String, environment: String?,
        network: ClusterNetwork, credentials: CredentialReference?, aclLimit: Int? = nil
    ) {
        self.role = role
        self.id = id
        self.isPlatform = isPlatform
        self.restEndpoint = restEndpoint
        self.bootstrap = bootstrap
        self.environment = environment
        self.network = network
        self.credentials = credentials
        self.aclLimit = aclLimit
    }
}

/// How a cluster is reachable.
public enum ClusterNetwork: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Secure public endpoints.
    case `public`
    /// Private networking; see ``PrivateNetwork``.
    case `private`(PrivateNetwork)

    public var isPublic: Bool { self == .public }

    public var description: String {
        switch self {
        case .public: "public"
        case .private(let network): network.description
        }
    }
}

/// A private network. For a Confluent Platform origin only `kind` is optional-free: the other fields may
/// be nil because Platform clusters do not live in Confluent networks.
public struct PrivateNetwork: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case privateLink = "PRIVATE_LINK"
        case peering = "PEERING"
        case transitGateway = "TRANSIT_GATEWAY"
    }

    public enum Cloud: String, Sendable, Hashable, Codable, CaseIterable {
        case aws = "AWS"
        case azure = "AZURE"
        case gcp = "GCP"
    }

    public var kind: Kind?
    public var cloud: Cloud?
    public var region: String?
    /// `n-…`, the Confluent Cloud network id.
    public var networkID: String?

    public init(kind: Kind?, cloud: Cloud?, region: String?, networkID: String?) {
        self.kind = kind
        self.cloud = cloud
        self.region = region
        self.networkID = networkID
    }

    public var description: String {
        let parts = [kind?.rawValue, cloud?.rawValue, region, networkID].compactMap { $0 }
        return parts.isEmpty ? "private" : "private (\(parts.joined(separator: " ")))"
    }
}
