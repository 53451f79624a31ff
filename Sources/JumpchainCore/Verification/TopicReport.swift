/// One topic across the chain: its two mirrors, every partition, and totals.
public struct TopicReport: Sendable, Hashable, Codable {
    /// A mirror topic as observed on one hop's destination.
    public struct MirrorSummary: Sendable, Hashable, Codable {
        public var name: String
        /// `found`, `missing`, `unobservable` or `error`.
        public var presence: String
        public var status: String?
        public var error: String?
        public var partitions: Int?

        public init(name: String, presence: String, status: String?, error: String?, partitions: Int?) {
            self.name = name
            self.presence = presence
            self.status = status
            self.error = error
            self.partitions = partitions
        }
    }

    /// Sums over the partitions whose lags are known.
    public struct Totals: Sendable, Hashable, Codable {
        public var partitions: Int
        public var failingPartitions: Int
        public var lag1: Int64
        public var lag2: Int64
        public var endToEndLag: Int64
        public var maxEndToEndLag: Int64

        public init(
            partitions: Int, failingPartitions: Int, lag1: Int64, lag2: Int64, endToEndLag: Int64,
            maxEndToEndLag: Int64
        ) {
            self.partitions = partitions
            self.failingPartitions = failingPartitions
            self.lag1 = lag1
            self.lag2 = lag2
            self.endToEndLag = endToEndLag
            self.maxEndToEndLag = maxEndToEndLag
        }

        public init(_ partitions: [PartitionReport]) {
            self.init(
                partitions: partitions.count, failingPartitions: partitions.count { !$0.passed },
                lag1: partitions.compactMap(\.lag1).reduce(0, +), lag2: partitions.compactMap(\.lag2).reduce(0, +),
                endToEndLag: partitions.compactMap(\.endToEndLag).reduce(0, +),
                maxEndToEndLag: partitions.compactMap(\.endToEndLag).max() ?? 0)
        }

        enum CodingKeys: String, CodingKey {
            case partitions
            case failingPartitions = "failing_partitions"
            case lag1 = "lag_origin_to_jump"
            case lag2 = "lag_jump_to_target"
            case endToEndLag = "lag_end_to_end"
            case maxEndToEndLag = "max_lag_end_to_end"
        }
    }

    /// The origin topic's name.
    public var topic: String
    public var jumpMirror: MirrorSummary
    public var targetMirror: MirrorSummary
    public var partitions: [PartitionReport]
    public var totals: Totals
    public var passed: Bool

    public init(
        topic: String, jumpMirror: MirrorSummary, targetMirror: MirrorSummary, partitions: [PartitionReport],
        passed: Bool
    ) {
        self.topic = topic
        self.jumpMirror = jumpMirror
        self.targetMirror = targetMirror
        self.partitions = partitions
        self.totals = Totals(partitions)
        self.passed = passed
    }

    enum CodingKeys: String, CodingKey {
        case topic
        case jumpMirror = "jump_mirror"
        case targetMirror = "target_mirror"
        case partitions
        case totals
        case passed
    }
}
