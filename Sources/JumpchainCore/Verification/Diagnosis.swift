/// A stuck hop explained: what was observed, the most likely cause in plain words, and where to look next.
public struct Diagnosis: Sendable, Hashable, Codable {
    /// What kind of problem; raw values are stable (JSON).
    public enum Cause: String, Sendable, Hashable, Codable, CaseIterable {
        case networkUnreachable = "network-unreachable"
        case authentication
        case authorization
        case linkHalfMissing = "link-half-missing"
        case linkPaused = "link-paused"
        case linkFailed = "link-failed"
        case taskError = "task-error"
        case mirrorMissing = "mirror-missing"
        case mirrorPaused = "mirror-paused"
        case mirrorFailed = "mirror-failed"
        case mirrorPending = "mirror-pending"
        case mirrorStopped = "mirror-stopped"
        case sourceTopicGone = "source-topic-gone"
        case partitionMismatch = "partition-mismatch"
        case slowHop = "slow-hop"
        case unobservable
        case readFailed = "read-failed"
    }

    public var hop: ChainHop
    public var link: String
    /// The cluster the evidence was read on.
    public var cluster: PlaybookCluster.Role
    public var clusterID: String
    public var cause: Cause
    /// The topics concerned (empty for link-level problems).
    public var topics: [String]
    /// `link_error` of the link half, when it reported one.
    public var linkError: String?
    /// What was observed: link_error_message, failing tasks, mirror status or error.
    public var message: String
    /// The most likely cause in plain words, and what to do.
    public var likelyCause: String
    /// The jumpchain command that shows more.
    public var suggestedCommand: String
    /// The REST call behind the evidence.
    public var restCall: String

    public init(
        hop: ChainHop, link: String, cluster: PlaybookCluster.Role, clusterID: String, cause: Cause,
        topics: [String] = [], linkError: String? = nil, message: String, likelyCause: String,
        suggestedCommand: String, restCall: String
    ) {
        self.hop = hop
        self.link = link
        self.cluster = cluster
        self.clusterID = clusterID
        self.cause = cause
        self.topics = topics
        self.linkError = linkError
        self.message = message
        self.likelyCause = likelyCause
        self.suggestedCommand = suggestedCommand
        self.restCall = restCall
    }

    enum CodingKeys: String, CodingKey {
        case hop
        case link
        case cluster
        case clusterID = "cluster_id"
        case cause
        case topics
        case linkError = "link_error"
        case message
        case likelyCause = "likely_cause"
        case suggestedCommand = "suggested_command"
        case restCall = "rest_call"
    }
}
