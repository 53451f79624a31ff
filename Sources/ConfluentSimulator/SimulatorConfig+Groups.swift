extension SimulatorConfig {
    /// Committed offsets of consumer group `group` for `topic` on `cluster`, one per partition from
    /// partition 0 (a shorter list leaves the remaining partitions without a committed offset).
    public struct ConsumerGroup: Codable, Sendable, Equatable {
        public var cluster: String
        public var group: String
        public var topic: String
        public var offsets: [Int64]

        public init(cluster: String, group: String, topic: String, offsets: [Int64]) {
            self.cluster = cluster
            self.group = group
            self.topic = topic
            self.offsets = offsets
        }
    }

    /// A member of consumer group `group` reading `topic` on `cluster`: it commits up to
    /// `recordsPerSecond` records a second in total, never past the partitions' log-end offsets
    /// (so it trails any producer), starting from the group's committed offsets (else from 0). The topic
    /// need not exist yet (a mirror topic created later, say): the consumer waits for it.
    public struct Consumer: Codable, Sendable, Equatable {
        public var cluster: String
        public var group: String
        public var topic: String
        public var recordsPerSecond: Double

        public init(cluster: String, group: String, topic: String, recordsPerSecond: Double) {
            self.cluster = cluster
            self.group = group
            self.topic = topic
            self.recordsPerSecond = recordsPerSecond
        }
    }
}
