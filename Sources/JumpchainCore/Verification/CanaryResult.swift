/// One canary round: where the record was written, when each hop had it, and whether its offset held.
public struct CanaryResult: Sendable, Hashable, Codable {
    /// When a hop's mirror had fetched past the canary's offset.
    public struct Arrival: Sendable, Hashable, Codable {
        public var hop: ChainHop
        /// The last offset of the canary's partition on the hop's destination when the record was seen.
        public var lastOffset: Int64
        /// Milliseconds after the produce call returned (polling resolution).
        public var afterMs: Int64

        public init(hop: ChainHop, lastOffset: Int64, afterMs: Int64) {
            self.hop = hop
            self.lastOffset = lastOffset
            self.afterMs = afterMs
        }

        enum CodingKeys: String, CodingKey {
            case hop
            case lastOffset = "last_offset"
            case afterMs = "after_ms"
        }
    }

    /// The unique id the record carries (its key, and inside its value).
    public var id: String
    public var topic: String
    public var round: Int
    public var write: CanaryWrite?
    public var jumpArrival: Arrival?
    public var targetArrival: Arrival?
    /// Produce to arrival on the target, in milliseconds (an upper bound: arrival is polled).
    public var latencyMs: Int64?
    /// Read back: true when the record at the canary's origin offset on the target is the canary; false when
    /// it is not there (another record, or the canary at another offset). Not read back (Kafka REST has no
    /// consume): derived — true when both hops' last record of the partition is at the canary's offset, nil
    /// when newer records followed it (inconclusive, not a failure).
    public var offsetsMatch: Bool?
    /// How ``offsetsMatch`` was established: `read back` (the record was read on the target: measured) or
    /// `derived: not read back` (from end offsets only). A failed read-back's details are in ``failure``.
    public var offsetCheck: String?
    public var passed: Bool
    public var failure: String?
    public var diagnoses: [Diagnosis]

    public init(
        id: String, topic: String, round: Int, write: CanaryWrite?, jumpArrival: Arrival?, targetArrival: Arrival?,
        latencyMs: Int64?, offsetsMatch: Bool?, passed: Bool, failure: String?, diagnoses: [Diagnosis]
    ) {
        self.id = id
        self.topic = topic
        self.round = round
        self.write = write
        self.jumpArrival = jumpArrival
        self.targetArrival = targetArrival
        self.latencyMs = latencyMs
        self.offsetsMatch = offsetsMatch
        self.offsetCheck = nil
        self.passed = passed
        self.failure = failure
        self.diagnoses = diagnoses
    }

    /// One line per `--watch` round.
    public var heartbeatLine: String {
        var parts = ["round \(round)", passed ? "ok" : "FAIL", "canary \(id)"]
        if let write { parts.append("p\(write.partition)@\(write.offset)") }
        if let jumpArrival { parts.append("jump +\(jumpArrival.afterMs)ms") }
        if let targetArrival { parts.append("target +\(targetArrival.afterMs)ms") }
        if let latencyMs { parts.append("latency \(latencyMs)ms") }
        switch offsetsMatch {
        case true?: parts.append("offsets same")
        case false?: parts.append("offsets differ")
        case nil: break
        }
        if let offsetCheck { parts.append("(\(offsetCheck))") }
        if let failure { parts.append("— \(failure)") }
        return parts.joined(separator: "  ")
    }

    enum CodingKeys: String, CodingKey {
        case id
        case topic
        case round
        case write
        case jumpArrival = "jump_arrival"
        case targetArrival = "target_arrival"
        case latencyMs = "latency_ms"
        case offsetsMatch = "offsets_match"
        case offsetCheck = "offset_check"
        case passed
        case failure
        case diagnoses
    }
}
