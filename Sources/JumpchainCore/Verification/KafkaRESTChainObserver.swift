public import ConfluentAPI

/// ``ChainObserver`` over the Kafka REST v3 clients of the three clusters. A nil client (normally the
/// jump's: its only key is the link key) makes that cluster ``ChainObservationError/Code/unobservable``.
public struct KafkaRESTChainObserver: ChainObserver {
    public var origin: KafkaRESTClient?
    public var jump: KafkaRESTClient?
    public var target: KafkaRESTClient?
    /// When set, a hop's mirrors are read from shared listings (one list call per round per cluster and link).
    public var listings: MirrorListings?
    /// Why a nil jump client is not observed, when that was a choice (key-free watching), not a lack of keys.
    public var unobservedJumpReason: String?
    /// Why a nil origin or target client is not observed, when the host is one site of a multi-site run that
    /// does not reach it (`status --site`); nil: the playbook gave no credentials.
    public var unreachedReason: String?
    /// Reads records back where that is possible (the simulator); nil: record contents are not observed.
    public var recordReader: SimulatorRecordReader?

    /// The consumer groups on the origin whose lags (`log_end_offset` per partition) measure the origin's ends:
    /// every listed group this selection selects (names, prefixes, minus exclusions; the playbook's
    /// `consumer_groups`), at most ``maxMeasuringGroups`` of them by name. Nil: none are read.
    public var measuringGroups: ConsumerGroupSelection?

    /// Groups read per observation at most (one `lags` call each): the figures are a bonus, every partition
    /// without one is derived and marked so.
    public static let maxMeasuringGroups = 16

    /// The largest `log_end_offset` each origin partition shows in the lags of the selected groups. A group that
    /// cannot be read (gone since the listing, say) is skipped.
    public func originEndOffsets() async throws -> [TopicPartition: MeasuredOriginEnd] {
        guard let origin, let selection = measuringGroups else { return [:] }
        let groups = try await origin.listConsumerGroups().map(\.consumerGroupID).filter { selection.selects($0) }
            .sorted().prefix(Self.maxMeasuringGroups)
        var ends: [TopicPartition: MeasuredOriginEnd] = [:]
        for group in groups {
            for lag in (try? await origin.consumerLags(group: group)) ?? [] {
                let key = TopicPartition(topic: lag.topicName, partition: lag.partitionID)
                let measured = MeasuredOriginEnd(offset: lag.logEndOffset, source: .consumerGroup)
                ends[key] = measured.merged(with: ends[key])
            }
        }
        return ends
    }

    public init(
        origin: KafkaRESTClient?, jump: KafkaRESTClient?, target: KafkaRESTClient?, listings: MirrorListings? = nil
    ) {
        self.origin = origin
        self.jump = jump
        self.target = target
        self.listings = listings
    }

    func client(_ role: PlaybookCluster.Role) throws(ChainObservationError) -> KafkaRESTClient {
        let client: KafkaRESTClient?
        switch role {
        case .origin: client = origin
        case .jump: client = jump
        case .target: client = target
        }
        guard let client else {
            if role == .jump, let unobservedJumpReason {
                throw ChainObservationError(code: .unobservable, message: unobservedJumpReason)
            }
            if role != .jump, let unreachedReason {
                throw ChainObservationError(code: .unobservable, message: unreachedReason)
            }
            throw ChainObservationError(
                code: .unobservable, message: "no credentials for the \(role) in the playbook, so it cannot be read")
        }
        return client
    }

    public func linkHalf(role: PlaybookCluster.Role, link: String) async throws -> Link? {
        try await client(role).link(link, includeTasks: true)
    }

    public func mirror(role: PlaybookCluster.Role, link: String, topic: String) async throws -> Mirror? {
        // One by one on purpose: a hop is read through ``mirrorListing(role:link:)``; this is its fallback and
        // the canary's single read, which must not wait for a whole listing each.
        try await client(role).mirror(link: link, topic: topic)
    }

    public func mirrorListing(role: PlaybookCluster.Role, link: String) async throws -> [String: Mirror]? {
        guard let listings else { return nil }
        return try await listings.listing(try client(role), link: link)
    }

    public func topicExists(role: PlaybookCluster.Role, topic: String) async throws -> Bool {
        try await client(role).topic(topic) != nil
    }

    public func produceCanary(topic: String, key: String, value: String) async throws -> CanaryWrite {
        let result = try await client(.origin).produce(topic: topic, value: value, key: key)
        guard let partition = result.partitionID, let offset = result.offset else {
            throw ChainObservationError(
                code: .rejected, message: "the produce response to `\(topic)` on the origin has no partition or offset")
        }
        return CanaryWrite(partition: partition, offset: offset)
    }

    public func readRecords(
        role: PlaybookCluster.Role, topic: String, partition: Int, offset: Int64, count: Int
    ) async throws -> [ObservedRecord]? {
        try await recordReader?.read(role: role, topic: topic, partition: partition, offset: offset, count: count)
    }
}
