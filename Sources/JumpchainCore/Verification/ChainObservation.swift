public import ConfluentAPI

/// Everything one round of verification read, before any judgement: the input of ``Diagnoser``.
public struct ChainObservation: Sendable, Equatable {
    /// One link half as read on one cluster.
    public struct HalfObservation: Sendable, Equatable, Codable {
        public var role: PlaybookCluster.Role
        public var clusterID: String
        public var link: Observed<Link>

        public init(role: PlaybookCluster.Role, clusterID: String, link: Observed<Link>) {
            self.role = role
            self.clusterID = clusterID
            self.link = link
        }
    }

    /// One mirror topic as read on the hop's destination.
    public struct MirrorObservation: Sendable, Equatable, Codable {
        public var topic: ChainTopology.ChainTopic
        public var mirrorName: String
        public var mirror: Observed<Mirror>
        /// Whether the hop's source topic exists; only read when the mirror reports SOURCE_UNAVAILABLE.
        public var sourceExists: Bool?

        public init(
            topic: ChainTopology.ChainTopic, mirrorName: String, mirror: Observed<Mirror>, sourceExists: Bool? = nil
        ) {
            self.topic = topic
            self.mirrorName = mirrorName
            self.mirror = mirror
            self.sourceExists = sourceExists
        }
    }

    /// One hop: its link halves and its mirrors.
    public struct HopObservation: Sendable, Equatable, Codable {
        public var hop: ChainHop
        public var link: String
        public var halves: [HalfObservation]
        public var mirrors: [MirrorObservation]

        public init(hop: ChainHop, link: String, halves: [HalfObservation], mirrors: [MirrorObservation]) {
            self.hop = hop
            self.link = link
            self.halves = halves
            self.mirrors = mirrors
        }
    }

    public var topology: ChainTopology
    public var leg1: HopObservation
    public var leg2: HopObservation
    /// Origin end offsets measured on the origin before the mirrors were read (the canary's produce answer, a
    /// consumer group's `log_end_offset`), where there are any.
    public var originEnds: [TopicPartition: MeasuredOriginEnd] = [:]

    public init(topology: ChainTopology, leg1: HopObservation, leg2: HopObservation) {
        self.topology = topology
        self.leg1 = leg1
        self.leg2 = leg2
    }

    public func hop(_ hop: ChainHop) -> HopObservation { hop == .leg1 ? leg1 : leg2 }
}
