/// The result of verifying a chain: per hop, per topic and per partition, with failures and diagnoses.
public struct VerificationReport: Sendable, Hashable, Codable {
    public var runName: String
    /// The largest acceptable end-to-end lag per partition (the playbook's `verify.max_lag`).
    public var threshold: Int64
    public var hops: [HopHealth]
    public var topics: [TopicReport]
    public var passed: Bool
    /// One plain sentence per failure.
    public var failures: [String]
    /// `topic:partition` for every failing partition (`topic:*` when no partition could be read).
    public var failingPartitions: [String]
    public var diagnoses: [Diagnosis]
    /// Observation rounds so far (1 for a single observation).
    public var rounds: Int
    /// Time spent verifying, in milliseconds.
    public var elapsedMs: Int64

    public init(
        runName: String, threshold: Int64, hops: [HopHealth], topics: [TopicReport], passed: Bool,
        failures: [String], failingPartitions: [String], diagnoses: [Diagnosis], rounds: Int, elapsedMs: Int64
    ) {
        self.runName = runName
        self.threshold = threshold
        self.hops = hops
        self.topics = topics
        self.passed = passed
        self.failures = failures
        self.failingPartitions = failingPartitions
        self.diagnoses = diagnoses
        self.rounds = rounds
        self.elapsedMs = elapsedMs
    }

    /// The hop's health entry.
    public func hop(_ hop: ChainHop) -> HopHealth? { hops.first { $0.hop == hop } }

    /// The topic's report by origin topic name.
    public func topic(_ name: String) -> TopicReport? { topics.first { $0.topic == name } }

    enum CodingKeys: String, CodingKey {
        case runName = "run_name"
        case threshold
        case hops
        case topics
        case passed
        case failures
        case failingPartitions = "failing_partitions"
        case diagnoses
        case rounds
        case elapsedMs = "elapsed_ms"
    }
}
