/// Everything the simulator's world starts with: clusters, networks, principals, keys, ACLs, topics,
/// producers, consumer groups and consumers, network links, timing and faults. Loadable from YAML (``SimulatorConfig/load(yaml:)``);
/// every field except `clusters` may be omitted.
public struct SimulatorConfig: Codable, Sendable, Equatable {
    public var organization: String
    public var environments: [String]
    public var networks: [Network]
    public var clusters: [Cluster]
    public var serviceAccounts: [Principal]
    public var users: [Principal]
    public var apiKeys: [APIKey]
    public var acls: [ACL]
    public var topics: [Topic]
    public var producers: [Producer]
    public var consumerGroups: [ConsumerGroup]
    public var consumers: [Consumer]
    public var networkLinkServices: [NetworkLinkService]
    public var networkLinkEndpoints: [NetworkLinkEndpoint]
    public var timing: Timing
    public var faults: FaultSettings
    /// Per-listener bind addresses: listener (`control-plane`, a cluster id or a cluster name) → `host` or
    /// `host:port` (`[v6]:port`). Listeners not named bind the `host` given to ``Simulator/start(_:host:portBase:revealOperatorSecrets:logger:tls:)``;
    /// a port of 0 or none means `portBase + index` or an OS-chosen port. See ``ListenerAddress``.
    public var bind: [String: String]

    public init(
        organization: String = "org-sim", environments: [String] = ["env-sim"], networks: [Network] = [],
        clusters: [Cluster] = [], serviceAccounts: [Principal] = [], users: [Principal] = [], apiKeys: [APIKey] = [],
        acls: [ACL] = [], topics: [Topic] = [], producers: [Producer] = [], consumerGroups: [ConsumerGroup] = [],
        consumers: [Consumer] = [], networkLinkServices: [NetworkLinkService] = [],
        networkLinkEndpoints: [NetworkLinkEndpoint] = [],
        timing: Timing = Timing(), faults: FaultSettings = FaultSettings(), bind: [String: String] = [:]
    ) {
        self.organization = organization
        self.environments = environments
        self.networks = networks
        self.clusters = clusters
        self.serviceAccounts = serviceAccounts
        self.users = users
        self.apiKeys = apiKeys
        self.acls = acls
        self.topics = topics
        self.producers = producers
        self.consumerGroups = consumerGroups
        self.consumers = consumers
        self.networkLinkServices = networkLinkServices
        self.networkLinkEndpoints = networkLinkEndpoints
        self.timing = timing
        self.faults = faults
        self.bind = bind
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        self.init(
            organization: try c.value(.organization, default: "org-sim"),
            environments: try c.value(.environments, default: ["env-sim"]),
            networks: try c.value(.networks, default: []),
            clusters: try c.value(.clusters, default: []),
            serviceAccounts: try c.value(.serviceAccounts, default: []),
            users: try c.value(.users, default: []),
            apiKeys: try c.value(.apiKeys, default: []),
            acls: try c.value(.acls, default: []),
            topics: try c.value(.topics, default: []),
            producers: try c.value(.producers, default: []),
            consumerGroups: try c.value(.consumerGroups, default: []),
            consumers: try c.value(.consumers, default: []),
            networkLinkServices: try c.value(.networkLinkServices, default: []),
            networkLinkEndpoints: try c.value(.networkLinkEndpoints, default: []),
            timing: try c.value(.timing, default: Timing()),
            faults: try c.value(.faults, default: FaultSettings()),
            bind: try c.value(.bind, default: [:])
        )
    }

    /// A private network clusters can live in.
    public struct Network: Codable, Sendable, Equatable {
        public var id: String
        /// `PRIVATE_LINK`, `PEERING` or `TRANSIT_GATEWAY`.
        public var kind: String
        public var cloud: String
        public var region: String
        public var environment: String?

        public init(id: String, kind: String, cloud: String, region: String, environment: String? = nil) {
            self.id = id
            self.kind = kind
            self.cloud = cloud
            self.region = region
            self.environment = environment
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(CodingKeys.self)
            self.init(
                id: try c.required(.id), kind: try c.required(.kind),
                cloud: try c.required(.cloud), region: try c.required(.region),
                environment: try c.optional(.environment))
        }
    }

    /// A Kafka cluster. `network` nil means public (secure public endpoints).
    public struct Cluster: Codable, Sendable, Equatable {
        public var id: String
        public var name: String?
        public var environment: String?
        public var network: String?
        public var cloud: String?
        public var region: String?
        /// The cluster type `GET /cmk/v2/clusters/{id}` gives as `spec.config.kind` (`Basic`, `Standard`,
        /// `Enterprise`, `Dedicated`, `Freight`), which sets its ACL limit; default `Dedicated`.
        public var kind: String?

        public init(
            id: String, name: String? = nil, environment: String? = nil, network: String? = nil,
            cloud: String? = nil, region: String? = nil, kind: String? = nil
        ) {
            self.id = id
            self.name = name
            self.environment = environment
            self.network = network
            self.cloud = cloud
            self.region = region
            self.kind = kind
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(CodingKeys.self)
            self.init(
                id: try c.required(.id), name: try c.optional(.name),
                environment: try c.optional(.environment),
                network: try c.optional(.network),
                cloud: try c.optional(.cloud),
                region: try c.optional(.region),
                kind: try c.optional(.kind))
        }
    }

    /// A service account (`sa-…`) or user (`u-…`). Admin principals pass every ACL check.
    public struct Principal: Codable, Sendable, Equatable {
        public var id: String
        public var name: String?
        /// An organization admin: every API, every cluster (a link's own credentials still need ACLs).
        public var admin: Bool
        /// Clusters on which the principal is a CloudClusterAdmin: the whole Kafka REST API there (links, mirrors,
        /// topics, ACLs, groups) without ACLs; nothing on the control plane by itself.
        public var clusterAdmin: [String]
        /// A ResourceKeyAdmin: may create, list and revoke API keys (for itself or a service account, on the
        /// clusters it administers) and read service accounts; no other control-plane API.
        public var keyAdmin: Bool

        public init(
            id: String, name: String? = nil, admin: Bool = false, clusterAdmin: [String] = [], keyAdmin: Bool = false
        ) {
            self.id = id
            self.name = name
            self.admin = admin
            self.clusterAdmin = clusterAdmin
            self.keyAdmin = keyAdmin
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(CodingKeys.self)
            self.init(
                id: try c.required(.id), name: try c.optional(.name),
                admin: try c.value(.admin, default: false), clusterAdmin: try c.value(.clusterAdmin, default: []),
                keyAdmin: try c.value(.keyAdmin, default: false))
        }

        enum CodingKeys: String, CodingKey {
            case id, name, admin
            case clusterAdmin = "cluster_admin"
            case keyAdmin = "key_admin"
        }
    }

    /// A pre-issued API key. `resource` nil means a Cloud (control-plane) key; otherwise a cluster id.
    /// Keys from the config are usable at once (already propagated).
    public struct APIKey: Codable, Sendable, Equatable {
        public var id: String
        public var secret: String
        public var owner: String
        public var resource: String?

        public init(id: String, secret: String, owner: String, resource: String? = nil) {
            self.id = id
            self.secret = secret
            self.owner = owner
            self.resource = resource
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(CodingKeys.self)
            self.init(
                id: try c.required(.id), secret: try c.required(.secret),
                owner: try c.required(.owner),
                resource: try c.optional(.resource))
        }
    }

    /// An ACL binding on one cluster (fields as in Kafka REST `CreateAclRequestData`).
    public struct ACL: Codable, Sendable, Equatable {
        public var cluster: String
        public var principal: String
        public var resourceType: String
        public var resourceName: String
        public var patternType: String
        public var operation: String
        public var permission: String
        public var host: String

        public init(
            cluster: String, principal: String, resourceType: String, resourceName: String,
            patternType: String = "LITERAL", operation: String, permission: String = "ALLOW", host: String = "*"
        ) {
            self.cluster = cluster
            self.principal = principal
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.patternType = patternType
            self.operation = operation
            self.permission = permission
            self.host = host
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(CodingKeys.self)
            self.init(
                cluster: try c.required(.cluster),
                principal: try c.required(.principal),
                resourceType: try c.required(.resourceType),
                resourceName: try c.required(.resourceName),
                patternType: try c.value(.patternType, default: "LITERAL"),
                operation: try c.required(.operation),
                permission: try c.value(.permission, default: "ALLOW"),
                host: try c.value(.host, default: "*"))
        }
    }

    /// A topic with `records` initial records in each partition.
    public struct Topic: Codable, Sendable, Equatable {
        public var cluster: String
        public var name: String
        public var partitions: Int
        public var records: Int

        public init(cluster: String, name: String, partitions: Int = 6, records: Int = 0) {
            self.cluster = cluster
            self.name = name
            self.partitions = partitions
            self.records = records
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(CodingKeys.self)
            self.init(
                cluster: try c.required(.cluster), name: try c.required(.name),
                partitions: try c.value(.partitions, default: 6), records: try c.value(.records, default: 0))
        }
    }

    /// Appends records to a topic in the background, spread round-robin over its partitions.
    public struct Producer: Codable, Sendable, Equatable {
        public var cluster: String
        public var topic: String
        public var recordsPerSecond: Double

        public init(cluster: String, topic: String, recordsPerSecond: Double) {
            self.cluster = cluster
            self.topic = topic
            self.recordsPerSecond = recordsPerSecond
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(CodingKeys.self)
            self.init(
                cluster: try c.required(.cluster), topic: try c.required(.topic),
                recordsPerSecond: try c.required(.recordsPerSecond))
        }
    }

    /// A network link service (`nls-…`) exposing `network` to the networks/environments it accepts.
    public struct NetworkLinkService: Codable, Sendable, Equatable {
        public var id: String
        public var environment: String
        public var network: String
        public var acceptNetworks: [String]
        public var acceptEnvironments: [String]
        /// Initial phase (default `READY`).
        public var phase: String

        public init(
            id: String, environment: String, network: String, acceptNetworks: [String] = [],
            acceptEnvironments: [String] = [], phase: String = "READY"
        ) {
            self.id = id
            self.environment = environment
            self.network = network
            self.acceptNetworks = acceptNetworks
            self.acceptEnvironments = acceptEnvironments
            self.phase = phase
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(CodingKeys.self)
            self.init(
                id: try c.required(.id),
                environment: try c.required(.environment),
                network: try c.required(.network),
                acceptNetworks: try c.value(.acceptNetworks, default: []),
                acceptEnvironments: try c.value(.acceptEnvironments, default: []),
                phase: try c.value(.phase, default: "READY"))
        }
    }

    /// A network link endpoint (`nle-…`) in `network` pointing at `service`.
    public struct NetworkLinkEndpoint: Codable, Sendable, Equatable {
        public var id: String
        public var environment: String
        public var network: String
        public var service: String
        public var phase: String

        public init(id: String, environment: String, network: String, service: String, phase: String = "READY") {
            self.id = id
            self.environment = environment
            self.network = network
            self.service = service
            self.phase = phase
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(CodingKeys.self)
            self.init(
                id: try c.required(.id),
                environment: try c.required(.environment),
                network: try c.required(.network),
                service: try c.required(.service),
                phase: try c.value(.phase, default: "READY"))
        }
    }

    /// Simulated time constants, in seconds (and records/second).
    public struct Timing: Codable, Sendable, Equatable {
        /// How long a new Kafka (cluster) API key answers 401. Confluent's is about 2 minutes.
        public var keyPropagationSeconds: Double
        /// How long a new Cloud API key answers 401.
        public var cloudKeyPropagationSeconds: Double
        /// Records copied per second per mirror partition.
        public var replicationRecordsPerSecond: Double
        /// PROVISIONING → READY for network link services and endpoints.
        public var networkLinkProvisioningSeconds: Double
        /// How often the background ticker advances replication, producers and provisioning.
        public var tickIntervalSeconds: Double

        public init(
            keyPropagationSeconds: Double = 2, cloudKeyPropagationSeconds: Double = 0,
            replicationRecordsPerSecond: Double = 1000, networkLinkProvisioningSeconds: Double = 1,
            tickIntervalSeconds: Double = 0.05
        ) {
            self.keyPropagationSeconds = keyPropagationSeconds
            self.cloudKeyPropagationSeconds = cloudKeyPropagationSeconds
            self.replicationRecordsPerSecond = replicationRecordsPerSecond
            self.networkLinkProvisioningSeconds = networkLinkProvisioningSeconds
            self.tickIntervalSeconds = tickIntervalSeconds
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(CodingKeys.self)
            let defaults = Timing()
            self.init(
                keyPropagationSeconds: try c.value(.keyPropagationSeconds, default: defaults.keyPropagationSeconds),
                cloudKeyPropagationSeconds: try c.value(
                    .cloudKeyPropagationSeconds, default: defaults.cloudKeyPropagationSeconds),
                replicationRecordsPerSecond: try c.value(
                    .replicationRecordsPerSecond, default: defaults.replicationRecordsPerSecond),
                networkLinkProvisioningSeconds: try c.value(
                    .networkLinkProvisioningSeconds, default: defaults.networkLinkProvisioningSeconds),
                tickIntervalSeconds: try c.value(.tickIntervalSeconds, default: defaults.tickIntervalSeconds))
        }
    }
}

extension KeyedDecodingContainer {
    /// The value of `key`, or `fallback` when the key is absent.
    func value<T: Decodable>(_ key: Key, default fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }

    /// The value of a key the section must give.
    func required<T: Decodable>(_ key: Key) throws -> T { try decode(T.self, forKey: key) }

    /// The value of `key`, nil when absent.
    func optional<T: Decodable>(_ key: Key) throws -> T? { try decodeIfPresent(T.self, forKey: key) }
}
