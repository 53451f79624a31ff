/// Where a partition's origin end offset in a report comes from: two measurements, read on the origin before the
/// mirrors, and two derivations from the mirrors. Every source gives a lower bound of the origin's end at the
/// moment the mirrors were read (logs only grow), so the largest available figure is the closest one: it is the
/// one reported, and ties go to a measurement (see ``PartitionDerivation``).
public enum OriginEndSource: String, Sendable, Hashable, Codable, CaseIterable {
    /// Measured: the canary's produce answer. The record landed at offset `x` of its partition, so the partition's
    /// log end was at least `x + 1` when the produce call returned; jumpchain produces it before it reads the
    /// mirrors, so the figure never runs ahead of what the mirrors could have copied.
    case canary
    /// Measured: a consumer group's `log_end_offset` (its lags on the origin), read before the mirrors.
    case consumerGroup = "consumer_group"
    /// Derived: the jump mirror's end plus its `lag` (leg 1's view of the origin).
    case jumpMirrorLag = "jump_mirror_lag"
    /// Derived: the jump's end (the origin is at least as far as the jump): the jump mirror was not read (a
    /// key-free view) or its view was older than the target's.
    case jumpEnd = "jump_end"

    public var isMeasured: Bool { self == .canary || self == .consumerGroup }

    /// A few words for tables.
    public var phrase: String {
        switch self {
        case .canary: return "the canary's produce offset + 1"
        case .consumerGroup: return "a consumer group's log_end_offset"
        case .jumpMirrorLag: return "jump mirror end + its lag"
        case .jumpEnd: return "the jump's end"
        }
    }
}

/// An origin end offset read on the origin itself (see ``OriginEndSource/canary`` and
/// ``OriginEndSource/consumerGroup``): a lower bound of the partition's log end when it was read.
public struct MeasuredOriginEnd: Sendable, Hashable {
    public var offset: Int64
    public var source: OriginEndSource

    public init(offset: Int64, source: OriginEndSource) {
        self.offset = offset
        self.source = source
    }

    /// What the canary's produce answer measures: its partition's log end was at least `offset + 1`.
    public init(canary write: CanaryWrite) {
        self.init(offset: write.offset + 1, source: .canary)
    }

    /// Per partition, the larger of two measurements (both are lower bounds); a tie keeps `self`.
    public func merged(with other: MeasuredOriginEnd?) -> MeasuredOriginEnd {
        guard let other, other.offset > offset else { return self }
        return other
    }
}
