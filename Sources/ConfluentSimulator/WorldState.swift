import Foundation
import SeededRandom

/// The whole simulated world: one value guarded by one lock in ``World``; every handler and the ticker
/// mutate it in place, so behaviour is deterministic given the sequence of calls and `now` values.
struct WorldState {
    var organization: String
    var environments: [String]
    var networks: [String: SimulatorConfig.Network] = [:]
    var clusters: [String: ClusterState] = [:]
    var clusterOrder: [String] = []
    var principals: [String: PrincipalState] = [:]
    var keys: [String: KeyState] = [:]
    var keyOrder: [String] = []
    var services: [String: NetworkLinkServiceState] = [:]
    var serviceOrder: [String] = []
    var endpoints: [String: NetworkLinkEndpointState] = [:]
    var endpointOrder: [String] = []
    var producers: [ProducerState] = []
    var consumers: [ConsumerState] = []
    /// Set through `/sim/v1/producers` (`{"paused": true}`): producers append nothing (consumers still run).
    var producersPaused = false
    var timing: SimulatorConfig.Timing
    var faults: FaultSettings
    var dice: SeededGenerator
    var ids: SeededGenerator
    var lastTick: Double?
    var rateWindows: [String: (start: Double, count: Int)] = [:]
    /// Requests, 429s and connections per listener (see ``ListenerTraffic``).
    var traffic: [String: ListenerTraffic] = [:]
    /// Base URLs, filled in once the listeners have their ports.
    var controlPlaneURL = ""
    var clusterURLs: [String: String] = [:]
    /// Set by `Simulator.stop()` so requests held by a blackhole let go.
    var stopped = false
    /// Requests a blackhole holds right now, by listener.
    var heldRequests: [String: Int] = [:]

    init(config: SimulatorConfig, now: Double) throws(SimulatorError) {
        organization = config.organization
        environments = config.environments
        timing = config.timing
        faults = config.faults
        dice = SeededGenerator(seed: config.faults.seed)
        ids = SeededGenerator(seed: 0x5EED_1D5)
        for network in config.networks { networks[network.id] = network }
        for cluster in config.clusters {
            guard clusters[cluster.id] == nil else {
                throw SimulatorError(.invalidConfig, "cluster '\(cluster.id)' is declared twice")
            }
            if let network = cluster.network, networks[network] == nil {
                throw SimulatorError(
                    .invalidConfig, "cluster '\(cluster.id)' names network '\(network)', which is not declared")
            }
            if let kind = cluster.kind, ServiceLimits.aclsPerCluster[kind] == nil {
                throw SimulatorError(
                    .invalidConfig,
                    "cluster '\(cluster.id)' has kind '\(kind)'; expected one of "
                        + ServiceLimits.aclsPerCluster.keys.sorted().joined(separator: ", "))
            }
            let net = cluster.network.flatMap { networks[$0] }
            clusters[cluster.id] = ClusterState(
                id: cluster.id, name: cluster.name ?? cluster.id,
                environment: cluster.environment ?? net?.environment ?? environments.first ?? "env-sim",
                network: cluster.network, cloud: cluster.cloud ?? net?.cloud ?? "AWS",
                region: cluster.region ?? net?.region ?? "us-east-1", kind: cluster.kind ?? "Dedicated")
            clusterOrder.append(cluster.id)
        }
        for account in config.serviceAccounts {
            principals[account.id] = PrincipalState(
                id: account.id, name: account.name ?? account.id, admin: account.admin,
                clusterAdmin: Set(account.clusterAdmin), keyAdmin: account.keyAdmin, isServiceAccount: true,
                createdAt: now)
        }
        for user in config.users {
            principals[user.id] = PrincipalState(
                id: user.id, name: user.name ?? user.id, admin: user.admin, clusterAdmin: Set(user.clusterAdmin),
                keyAdmin: user.keyAdmin, isServiceAccount: false, createdAt: now)
        }
        for key in config.apiKeys {
            guard principals[key.owner] != nil else {
                throw SimulatorError(.invalidConfig, "API key '\(key.id)' names unknown owner '\(key.owner)'")
            }
            if let resource = key.resource, clusters[resource] == nil {
                throw SimulatorError(.invalidConfig, "API key '\(key.id)' names unknown cluster '\(resource)'")
            }
            keys[key.id] = KeyState(
                id: key.id, secret: key.secret, owner: key.owner, resource: key.resource, displayName: key.id,
                description: "from the simulator config", createdAt: now, usableAt: now)
            keyOrder.append(key.id)
        }
        for acl in config.acls {
            guard clusters[acl.cluster] != nil else {
                throw SimulatorError(.invalidConfig, "an ACL names unknown cluster '\(acl.cluster)'")
            }
            clusters[acl.cluster]!.acls.insert(
                ACLEntry(
                    resourceType: acl.resourceType, resourceName: acl.resourceName, patternType: acl.patternType,
                    principal: acl.principal, host: acl.host, operation: acl.operation, permission: acl.permission))
        }
        for topic in config.topics {
            guard clusters[topic.cluster] != nil else {
                throw SimulatorError(.invalidConfig, "topic '\(topic.name)' names unknown cluster '\(topic.cluster)'")
            }
            guard topic.partitions > 0 else {
                throw SimulatorError(.invalidConfig, "topic '\(topic.name)' needs at least one partition")
            }
            clusters[topic.cluster]!.topics[topic.name] = TopicState(
                name: topic.name, endOffsets: Array(repeating: Int64(topic.records), count: topic.partitions))
        }
        for producer in config.producers {
            guard clusters[producer.cluster]?.topics[producer.topic] != nil else {
                throw SimulatorError(
                    .invalidConfig, "producer names unknown topic '\(producer.topic)' on '\(producer.cluster)'")
            }
            producers.append(
                ProducerState(
                    cluster: producer.cluster, topic: producer.topic, recordsPerSecond: producer.recordsPerSecond))
        }
        try addGroups(config)
        for service in config.networkLinkServices {
            services[service.id] = NetworkLinkServiceState(
                id: service.id, displayName: service.id, description: "", environment: service.environment,
                network: service.network, acceptNetworks: service.acceptNetworks,
                acceptEnvironments: service.acceptEnvironments, phase: service.phase, readyAt: now, createdAt: now)
            serviceOrder.append(service.id)
        }
        for endpoint in config.networkLinkEndpoints {
            endpoints[endpoint.id] = NetworkLinkEndpointState(
                id: endpoint.id, displayName: endpoint.id, description: "", environment: endpoint.environment,
                network: endpoint.network, service: endpoint.service, phase: endpoint.phase, readyAt: now,
                createdAt: now)
            endpointOrder.append(endpoint.id)
        }
    }

    // MARK: Identifiers

    private static let upperAlnum = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    private static let lowerAlnum = Array("abcdefghijklmnopqrstuvwxyz0123456789")
    private static let base64URL = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    private static let secretAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    mutating func randomString(_ alphabet: [Character], _ count: Int) -> String {
        String((0..<count).map { _ in alphabet[Int(ids.next() % UInt64(alphabet.count))] })
    }

    mutating func newKeyID() -> String { randomString(Self.upperAlnum, 16) }
    mutating func newSecret() -> String { randomString(Self.secretAlphabet, 64) }
    mutating func newClusterLinkID() -> String { randomString(Self.base64URL, 22) }
    mutating func newResourceID(_ prefix: String) -> String { prefix + "-" + randomString(Self.lowerAlnum, 6) }

    // MARK: Authentication and authorisation

    /// The live key matching `credential` for `resource` (nil resource: a Cloud key), or nil.
    func authenticate(_ credential: (key: String, secret: String)?, resource: String?, now: Double) -> KeyState? {
        guard let credential, let key = keys[credential.key], !key.revoked, key.secret == credential.secret,
            key.resource == resource, now >= key.usableAt, principals[key.owner] != nil
        else { return nil }
        return key
    }

    func isAdmin(_ principalID: String) -> Bool { principals[principalID]?.admin ?? false }

    /// An organization admin, or a CloudClusterAdmin of `clusterID`.
    func administers(_ principalID: String, cluster clusterID: String) -> Bool {
        isAdmin(principalID) || principals[principalID]?.clusterAdmin.contains(clusterID) == true
    }

    /// Kafka-style ACL check: admins and the cluster's CloudClusterAdmins pass (unless `adminBypass` is off: a link's credentials are judged by
    /// their owner's ACLs whatever the owner is); a matching DENY wins; otherwise a matching ALLOW is needed.
    /// ALL grants everything; READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS.
    func authorized(
        _ principalID: String, cluster clusterID: String, _ operation: String, _ resourceType: String,
        _ resourceName: String, adminBypass: Bool = true
    ) -> Bool {
        if adminBypass, administers(principalID, cluster: clusterID) { return true }
        guard let cluster = clusters[clusterID] else { return false }
        let principal = "User:" + principalID
        let matching =
            cluster.acls.matching(principal: principal, resourceType: resourceType, name: resourceName)
            + cluster.acls.matching(principal: "User:*", resourceType: resourceType, name: resourceName)
        let implied: Set<String> =
            switch operation {
            case "DESCRIBE": ["DESCRIBE", "ALL", "READ", "WRITE", "DELETE", "ALTER"]
            case "DESCRIBE_CONFIGS": ["DESCRIBE_CONFIGS", "ALL", "ALTER_CONFIGS"]
            default: [operation, "ALL"]
            }
        if matching.contains(where: { $0.permission == "DENY" && implied.contains($0.operation) }) { return false }
        return matching.contains { $0.permission == "ALLOW" && implied.contains($0.operation) }
    }

    static func patternMatches(_ acl: ACLEntry, _ name: String) -> Bool {
        switch acl.patternType {
        case "PREFIXED": return name.hasPrefix(acl.resourceName)
        default: return acl.resourceName == "*" || acl.resourceName == name
        }
    }

    // MARK: Networks

    /// Whether cluster `from` can open a connection to cluster `to`: `to` is public, or both share a
    /// network, or a READY endpoint in `from`'s network points at a READY service in `to`'s network that
    /// accepts `from`'s network or environment.
    func reachable(from: ClusterState, to: ClusterState) -> Bool {
        guard let target = to.network else { return true }
        guard let origin = from.network else { return false }
        if origin == target { return true }
        let originEnvironment = networks[origin]?.environment ?? from.environment
        return endpoints.values.contains { endpoint in
            guard endpoint.phase == "READY", endpoint.network == origin, let service = services[endpoint.service],
                service.phase == "READY", service.network == target
            else { return false }
            return service.acceptNetworks.contains(origin) || service.acceptEnvironments.contains(originEnvironment)
                || service.acceptEnvironments.contains(from.environment)
        }
    }

    /// Finds the cluster a `bootstrap.servers` value names (scheme prefixes ignored).
    func clusterForBootstrap(_ value: String?) -> ClusterState? {
        guard let value else { return nil }
        for raw in value.split(separator: ",") {
            var server = raw.trimmingCharacters(in: .whitespaces)
            if let range = server.range(of: "://") { server = String(server[range.upperBound...]) }
            if let cluster = clusters.values.first(where: { $0.bootstrap == server }) { return cluster }
        }
        return nil
    }

    func epochMs(_ now: Double) -> Int64 { Int64(now * 1000) }
}
