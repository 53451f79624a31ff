/// The mutable entities of the simulated world. All live inside ``WorldState`` under one lock.

struct PrincipalState {
    var id: String
    var name: String
    var admin: Bool
    /// Clusters where the principal is a CloudClusterAdmin (see ``SimulatorConfig/Principal/clusterAdmin``).
    var clusterAdmin: Set<String> = []
    /// A ResourceKeyAdmin (see ``SimulatorConfig/Principal/keyAdmin``).
    var keyAdmin = false
    var isServiceAccount: Bool
    var createdAt: Double
}

struct KeyState {
    var id: String
    var secret: String
    var owner: String
    /// Cluster id for a Kafka key; nil for a Cloud key.
    var resource: String?
    var displayName: String
    var description: String
    var createdAt: Double
    /// When the key starts to authenticate (created + propagation delay).
    var usableAt: Double
    var revoked = false
    var revokedAt: Double?
}

struct ACLEntry: Hashable {
    var resourceType: String
    var resourceName: String
    var patternType: String
    var principal: String
    var host: String
    var operation: String
    var permission: String
}

struct TopicState {
    var name: String
    var endOffsets: [Int64]
    var configs: [String: String] = [:]
    var mirror: MirrorState?
    /// Producer round-robin cursor and fractional credit.
    var produceCursor = 0
    /// Values of records produced through REST (canaries), by partition and offset; mirrors copy them.
    var records: [Int: [Int64: String]] = [:]
}

struct MirrorState {
    var linkName: String
    var sourceTopic: String
    /// Stored status: ACTIVE, PAUSED, PENDING_STOPPED, STOPPED (FAILED etc. are derived when shown).
    var status: String
    var stateTimeMs: Int64
    /// Fractional replication credit per partition.
    var credit: [Double]
    /// Why the mirror failed (stored status FAILED), e.g. its link was force-deleted.
    var failure: String?
}

struct LinkHalf {
    var name: String
    var clusterLinkID: String
    /// Deprecated `link_id` (UUID form), shared by both halves like `cluster_link_id`.
    var linkID: String
    /// DESTINATION, SOURCE or BIDIRECTIONAL.
    var linkMode: String
    /// OUTBOUND or INBOUND.
    var connectionMode: String
    var remoteClusterID: String
    var configs: [String: String]
    var createdAt: Double
    /// Consumer offset sync bookkeeping (destination halves only).
    var offsetSync = OffsetSyncState()
}

struct ClusterState {
    var id: String
    var name: String
    var environment: String
    var network: String?
    var cloud: String
    var region: String
    /// `spec.config.kind`: the cluster type, which sets the ACL limit (``ServiceLimits/aclsPerCluster``).
    var kind = "Dedicated"
    var topics: [String: TopicState] = [:]
    var acls = ACLTable()
    var links: [String: LinkHalf] = [:]
    var groups: [String: GroupState] = [:]

    var isPublic: Bool { network == nil }
    var bootstrap: String { "\(id).sim.local:9092" }
}

struct NetworkLinkServiceState {
    var id: String
    var displayName: String
    var description: String
    var environment: String
    var network: String
    var acceptNetworks: [String]
    var acceptEnvironments: [String]
    var phase: String
    var readyAt: Double
    var createdAt: Double
}

struct NetworkLinkEndpointState {
    var id: String
    var displayName: String
    var description: String
    var environment: String
    var network: String
    var service: String
    var phase: String
    var readyAt: Double
    var createdAt: Double
}

struct ProducerState {
    var cluster: String
    var topic: String
    var recordsPerSecond: Double
    var credit: Double = 0
}

/// A link's health as its owner cluster reports it.
struct LinkHealth {
    var state: String
    var error: String
    var message: String?
    /// API key id each half authenticates with (remote credentials), for introspection.
    var remoteKeyID: String?
    var localKeyID: String?
    /// The principal that reads source topics (the link key's owner of a destination-initiated link, the local
    /// key's owner of a source-initiated one), when known. Judged by its ACLs, admin or not.
    var readerPrincipal: String?

    var isActive: Bool { state == "ACTIVE" }
}
