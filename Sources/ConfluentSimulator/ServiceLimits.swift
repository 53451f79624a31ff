/// Confluent's documented limits, enforced where the service would (docs/simulator.md cites each source), so
/// that no request can make the simulator allocate without bound or hold the world lock for long.
enum ServiceLimits {
    /// Partitions per cluster (pre-replication) of a Dedicated cluster, the largest cluster type.
    static let partitionsPerCluster = 100_000
    /// `partitions_count` is an int32 in the Kafka REST document; no topic may exceed the cluster's limit.
    static let partitionsPerTopic = partitionsPerCluster
    /// Kafka's topic name rule (`org.apache.kafka.common.internals.Topic`): at most 249 characters.
    static let topicNameLength = 249
    /// Request bodies the simulator reads (its own cap; Confluent documents 100 MB Kafka requests and
    /// 20 MB messages for Dedicated clusters; the simulator stores no payloads).
    static let requestBodyBytes = 16 * 1024 * 1024
    /// ACLs per cluster by cluster type (*Kafka Cluster Types in Confluent Cloud*: Basic and Standard 1,000,
    /// Enterprise 4,000, Dedicated 10,000; Freight is not listed there, so the simulator gives it Dedicated's,
    /// the limit jumpchain assumes for it). The same figures as `ACLBudget.kindLimits` in JumpchainCore, which
    /// the simulator does not depend on: change both together.
    static let aclsPerCluster: [String: Int] = [
        "Basic": 1_000, "Standard": 1_000, "Enterprise": 4_000, "Dedicated": 10_000, "Freight": 10_000,
    ]

    /// Kafka's legal topic characters: ASCII letters, digits, `.`, `_` and `-`.
    static func isLegalNameCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default: return false
        }
    }

    /// Kafka's `InvalidTopicException` text for an illegal topic (or, by the simulator's choice, link) name,
    /// or nil when the name is legal.
    static func nameProblem(_ name: String, kind: String = "Topic") -> String? {
        if name.isEmpty { return "\(kind) name is illegal, it can't be empty" }
        if name == "." || name == ".." { return "\(kind) name cannot be \".\" or \"..\"" }
        if name.utf8.count > topicNameLength {
            return "\(kind) name is illegal, it can't be longer than \(topicNameLength) characters, "
                + "\(kind.lowercased()) name: \(name.prefix(64))…"
        }
        if !name.utf8.allSatisfy(isLegalNameCharacter) {
            return "\(kind) name \"\(name.prefix(64))\" is illegal, it contains a character other than "
                + "ASCII alphanumerics, '.', '_' and '-'"
        }
        return nil
    }
}

extension WorldState {
    /// Partitions (pre-replication) the cluster holds now, mirror topics included.
    func partitionCount(cluster clusterID: String) -> Int {
        clusters[clusterID]?.topics.values.reduce(0) { $0 + $1.endOffsets.count } ?? 0
    }

    /// A 400 when adding `extra` partitions would pass the cluster's limit, else nil.
    func partitionLimitRefusal(cluster clusterID: String, adding extra: Int) -> SimResponse? {
        let current = partitionCount(cluster: clusterID)
        guard extra > ServiceLimits.partitionsPerCluster - current else { return nil }
        return ClusterCall.badRequest(
            "Adding \(extra) partitions would exceed the cluster's limit of \(ServiceLimits.partitionsPerCluster) "
                + "partitions (it has \(current)).")
    }
}

extension WorldState {
    /// A 400 when adding `extra` ACLs would pass the limit of the cluster's type, else nil.
    func aclLimitRefusal(cluster clusterID: String, adding extra: Int) -> SimResponse? {
        let current = clusters[clusterID]?.acls.count ?? 0
        let kind = clusters[clusterID]?.kind ?? "Dedicated"
        let limit = ServiceLimits.aclsPerCluster[kind] ?? 10_000
        guard extra > limit - current else { return nil }
        return ClusterCall.badRequest(
            "Adding \(extra) ACLs would exceed the cluster's limit of \(limit) ACLs (a \(kind) cluster; it has "
                + "\(current)).")
    }
}
