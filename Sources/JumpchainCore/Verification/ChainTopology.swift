/// What verification needs to know about a rolled-out chain: the three clusters, the two link names and the
/// topics with their mirror names on each hop. Holds ids and names only, so it can be built from a stored run.
public struct ChainTopology: Sendable, Hashable, Codable {
    /// One cluster of the chain.
    public struct Cluster: Sendable, Hashable, Codable {
        public var role: PlaybookCluster.Role
        public var id: String

        public init(role: PlaybookCluster.Role, id: String) {
            self.role = role
            self.id = id
        }
    }

    /// One origin topic and the names its mirrors carry on the jump (leg 1) and on the target (leg 2).
    public struct ChainTopic: Sendable, Hashable, Codable {
        public var origin: String
        public var jumpMirror: String
        public var targetMirror: String

        /// Mirrors keep the source name unless a `cluster.link.prefix` is set on a leg.
        public init(origin: String, jumpMirror: String? = nil, targetMirror: String? = nil) {
            self.origin = origin
            self.jumpMirror = jumpMirror ?? origin
            self.targetMirror = targetMirror ?? self.jumpMirror
        }
    }

    /// The run's name, used in the commands diagnoses suggest.
    public var runName: String
    public var origin: Cluster
    public var jump: Cluster
    public var target: Cluster
    /// Leg 1 (origin → jump, source-initiated: a SOURCE half on the origin, a DESTINATION half on the jump).
    public var leg1Name: String
    /// Leg 2 (jump → target, destination-initiated: one half, on the target).
    public var leg2Name: String
    public var topics: [ChainTopic]
    /// Who each leg reads its source as (`User:sa-…`), when known: leg 1's local key's owner on the origin (the
    /// origin link key's), leg 2's link key's owner on the jump. Diagnoses name them with the missing right.
    public var leg1Reader: String?
    public var leg2Reader: String?

    public init(
        runName: String, origin: Cluster, jump: Cluster, target: Cluster, leg1Name: String, leg2Name: String,
        topics: [ChainTopic]
    ) {
        self.runName = runName
        self.origin = origin
        self.jump = jump
        self.target = target
        self.leg1Name = leg1Name
        self.leg2Name = leg2Name
        self.topics = topics
    }

    /// The topology of a playbook once its topic selection has been resolved to `topics`.
    public init(playbook: Playbook, topics: [ChainTopic]) {
        self.init(
            runName: playbook.runName, origin: Cluster(role: .origin, id: playbook.origin.id),
            jump: Cluster(role: .jump, id: playbook.jump.id), target: Cluster(role: .target, id: playbook.target.id),
            leg1Name: playbook.link.leg1Name, leg2Name: playbook.link.leg2Name, topics: topics)
        leg1Reader = playbook.link.originPrincipal
        leg2Reader = "User:\(playbook.link.serviceAccount)"
    }

    /// The principal hop `hop` reads its source as, when known.
    public func reader(_ hop: ChainHop) -> String? {
        hop == .leg1 ? leg1Reader : leg2Reader
    }

    /// Plain words for who reads hop `hop`'s source: leg 1's local key, leg 2's link key, with its owner.
    public func readerDescription(_ hop: ChainHop) -> String {
        let key = hop == .leg1 ? "leg 1's local key on the origin" : "leg 2's link key on the jump"
        return reader(hop).map { "\(key) (\($0))" } ?? key
    }

    public func cluster(_ role: PlaybookCluster.Role) -> Cluster {
        switch role {
        case .origin: return origin
        case .jump: return jump
        case .target: return target
        }
    }

    public func linkName(_ hop: ChainHop) -> String {
        hop == .leg1 ? leg1Name : leg2Name
    }

    /// The clusters holding a half of the hop's link, source half first.
    public func linkHalves(_ hop: ChainHop) -> [PlaybookCluster.Role] {
        hop == .leg1 ? [.origin, .jump] : [.target]
    }

    /// The name of the topic's mirror on the hop's destination.
    public func mirrorName(_ topic: ChainTopic, on hop: ChainHop) -> String {
        hop == .leg1 ? topic.jumpMirror : topic.targetMirror
    }

    /// The name of the topic the hop mirrors from.
    public func sourceName(_ topic: ChainTopic, on hop: ChainHop) -> String {
        hop == .leg1 ? topic.origin : topic.jumpMirror
    }
}
