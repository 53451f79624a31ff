/// The state of one hop's link halves and mirrors as observed.
public struct HopHealth: Sendable, Hashable, Codable {
    /// One half of the hop's link on one cluster.
    public struct LinkHalf: Sendable, Hashable, Codable {
        public var cluster: PlaybookCluster.Role
        public var clusterID: String
        /// `found`, `missing` (404), `unobservable` (no credential) or `error` (the read failed).
        public var presence: String
        public var linkState: String?
        public var linkError: String?
        public var linkErrorMessage: String?
        /// Tasks not ACTIVE, as `Name: STATE (ERROR_CODE: message)`.
        public var failingTasks: [String]
        public var healthy: Bool

        public init(
            cluster: PlaybookCluster.Role, clusterID: String, presence: String, linkState: String?,
            linkError: String?, linkErrorMessage: String?, failingTasks: [String], healthy: Bool
        ) {
            self.cluster = cluster
            self.clusterID = clusterID
            self.presence = presence
            self.linkState = linkState
            self.linkError = linkError
            self.linkErrorMessage = linkErrorMessage
            self.failingTasks = failingTasks
            self.healthy = healthy
        }

        enum CodingKeys: String, CodingKey {
            case cluster
            case clusterID = "cluster_id"
            case presence
            case linkState = "link_state"
            case linkError = "link_error"
            case linkErrorMessage = "link_error_message"
            case failingTasks = "failing_tasks"
            case healthy
        }
    }

    public var hop: ChainHop
    public var link: String
    public var halves: [LinkHalf]
    /// Mirrors on the hop's destination that are ACTIVE, out of `mirrorsTotal`.
    public var mirrorsActive: Int
    public var mirrorsTotal: Int
    /// Every half found and healthy and every mirror ACTIVE.
    public var healthy: Bool

    public init(hop: ChainHop, link: String, halves: [LinkHalf], mirrorsActive: Int, mirrorsTotal: Int, healthy: Bool) {
        self.hop = hop
        self.link = link
        self.halves = halves
        self.mirrorsActive = mirrorsActive
        self.mirrorsTotal = mirrorsTotal
        self.healthy = healthy
    }

    enum CodingKeys: String, CodingKey {
        case hop
        case link
        case halves
        case mirrorsActive = "mirrors_active"
        case mirrorsTotal = "mirrors_total"
        case healthy
    }
}
