public import ConfluentAPI

/// Read access to a chain, one call per REST resource, so verification stays pure and testable.
///
/// The rollout layer implements it over ``KafkaRESTClient`` (see ``KafkaRESTChainObserver``). Conventions:
/// return nil for a resource that does not exist (HTTP 404); throw ``ChainObservationError`` with
/// ``ChainObservationError/Code/unobservable`` when there is no credential for a cluster (normally the jump,
/// whose only key is the link key); throw ``ConfluentAPIError`` for API failures.
public protocol ChainObserver: Sendable {
    /// `GET /kafka/v3/clusters/<id>/links/<link>?include_tasks=true` on the cluster playing `role`.
    func linkHalf(role: PlaybookCluster.Role, link: String) async throws -> Link?
    /// `GET /kafka/v3/clusters/<id>/links/<link>/mirrors/<topic>` on the cluster playing `role`.
    func mirror(role: PlaybookCluster.Role, link: String, topic: String) async throws -> Mirror?
    /// Whether a (source) topic exists; used to tell a deleted source topic from other failures.
    func topicExists(role: PlaybookCluster.Role, topic: String) async throws -> Bool
    /// Produces one STRING record on the origin and returns where it landed.
    func produceCanary(topic: String, key: String, value: String) async throws -> CanaryWrite
    /// The records of `topic`'s `partition` from `offset` (at most `count`) on the cluster playing `role`, or
    /// nil when records cannot be read there (Kafka REST v3 has no consume; see ``SimulatorRecordReader``).
    func readRecords(
        role: PlaybookCluster.Role, topic: String, partition: Int, offset: Int64, count: Int
    ) async throws -> [ObservedRecord]?
    /// Every mirror of `link` on the cluster playing `role` by mirror topic name, from one list call, or nil
    /// when this observer reads mirrors one by one (the default). A requirement, not only an extension
    /// method: calls through `any ChainObserver` must reach the conforming type's listing.
    func mirrorListing(role: PlaybookCluster.Role, link: String) async throws -> [String: Mirror]?
    /// Origin partitions' end offsets as the origin itself reports them (a consumer group's `log_end_offset`),
    /// empty when none is available (the default). ``OffsetVerifier/observe()`` reads them before the mirrors.
    /// A requirement, like ``mirrorListing(role:link:)``: calls through `any ChainObserver` must reach it.
    func originEndOffsets() async throws -> [TopicPartition: MeasuredOriginEnd]
}

extension ChainObserver {
    public func originEndOffsets() async throws -> [TopicPartition: MeasuredOriginEnd] { [:] }

    public func readRecords(
        role: PlaybookCluster.Role, topic: String, partition: Int, offset: Int64, count: Int
    ) async throws -> [ObservedRecord]? { nil }
}

extension ChainObserver {
    public func mirrorListing(role: PlaybookCluster.Role, link: String) async throws -> [String: Mirror]? { nil }
}

/// Where the canary record was written on the origin: mirrors keep partition and offset on every hop. It also
/// measures the origin: when the produce call returned, the partition's log end was at least `offset + 1`
/// (``MeasuredOriginEnd/init(canary:)``).
public struct CanaryWrite: Sendable, Hashable, Codable {
    public var partition: Int
    public var offset: Int64

    public init(partition: Int, offset: Int64) {
        self.partition = partition
        self.offset = offset
    }
}
