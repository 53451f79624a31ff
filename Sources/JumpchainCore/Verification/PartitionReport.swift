/// One partition of one topic across the chain. Offsets are log-end offsets (the offset the next record
/// gets); nil where a hop could not be observed or does not have the partition.
public struct PartitionReport: Sendable, Hashable, Codable {
    public var partition: Int
    public var originEnd: Int64?
    public var jumpEnd: Int64?
    public var targetEnd: Int64?
    /// origin → jump.
    public var lag1: Int64?
    /// jump → target.
    public var lag2: Int64?
    /// origin → target: `lag1 + lag2`.
    public var endToEndLag: Int64?
    /// Whether the partition is within the threshold (false when its lag is unknown).
    public var passed: Bool
    /// Why it did not pass, or a remark (`leg 2 has not fetched yet`); nil when all is well.
    public var note: String?
    /// `lag1` and `endToEndLag` are lower bounds rather than measurements: the jump and the target were read
    /// at different moments and records arrived in between (the jump's end differed between the two reads).
    /// The chain had at least this lag when the jump was read.
    public var lagIsLowerBound: Bool
    /// The figures (by their JSON names) inferred from mirror lags rather than read where they live: the
    /// origin's end and the lags through it come from the jump mirror's `lag`; the jump's end from the
    /// target mirror's when that view is later. Nobody should mistake them for measurements.
    public var derived: [String] = []
    /// Where `origin_end` comes from (nil: unknown): measured on the origin (`canary`, `consumer_group`) or derived
    /// from the mirrors (`jump_mirror_lag`, `jump_end`). The largest candidate is used (see ``PartitionDerivation``).
    public var originEndSource: OriginEndSource?
    /// The origin's end as measured on the origin before the mirrors were read, whether or not it was used: below
    /// `origin_end` when records arrived after it was read (then `origin_end` is derived). Nil: not measured.
    public var originEndMeasured: Int64?

    public init(
        partition: Int, originEnd: Int64?, jumpEnd: Int64?, targetEnd: Int64?, lag1: Int64?, lag2: Int64?,
        endToEndLag: Int64?, passed: Bool, note: String?, lagIsLowerBound: Bool = false
    ) {
        self.lagIsLowerBound = lagIsLowerBound
        self.partition = partition
        self.originEnd = originEnd
        self.jumpEnd = jumpEnd
        self.targetEnd = targetEnd
        self.lag1 = lag1
        self.lag2 = lag2
        self.endToEndLag = endToEndLag
        self.passed = passed
        self.note = note
    }

    enum CodingKeys: String, CodingKey {
        case partition
        case originEnd = "origin_end"
        case jumpEnd = "jump_end"
        case targetEnd = "target_end"
        case lag1 = "lag_origin_to_jump"
        case lag2 = "lag_jump_to_target"
        case endToEndLag = "lag_end_to_end"
        case passed
        case note
        case lagIsLowerBound = "lag_is_lower_bound"
        case derived
        case originEndSource = "origin_end_source"
        case originEndMeasured = "origin_end_measured"
    }
}

extension PartitionReport {
    /// Decodes reports written before `derived` or `lag_is_lower_bound` existed as deriving nothing, measured, and
    /// those written before `origin_end_source` as not saying where the origin's end came from.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            partition: try c.decode(Int.self, forKey: .partition),
            originEnd: try c.decodeIfPresent(Int64.self, forKey: .originEnd),
            jumpEnd: try c.decodeIfPresent(Int64.self, forKey: .jumpEnd),
            targetEnd: try c.decodeIfPresent(Int64.self, forKey: .targetEnd),
            lag1: try c.decodeIfPresent(Int64.self, forKey: .lag1),
            lag2: try c.decodeIfPresent(Int64.self, forKey: .lag2),
            endToEndLag: try c.decodeIfPresent(Int64.self, forKey: .endToEndLag),
            passed: try c.decode(Bool.self, forKey: .passed), note: try c.decodeIfPresent(String.self, forKey: .note),
            lagIsLowerBound: try c.decodeIfPresent(Bool.self, forKey: .lagIsLowerBound) ?? false)
        derived = try c.decodeIfPresent([String].self, forKey: .derived) ?? []
        originEndSource = try c.decodeIfPresent(OriginEndSource.self, forKey: .originEndSource)
        originEndMeasured = try c.decodeIfPresent(Int64.self, forKey: .originEndMeasured)
    }
}
