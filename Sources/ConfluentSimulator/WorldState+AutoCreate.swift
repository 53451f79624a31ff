import Foundation
import JumpchainJSON

/// Link-side automatic mirror creation, as Confluent documents it: a destination half with
/// `auto.create.mirror.topics.enable=true` creates, for every source topic its `auto.create.mirror.topics.filters`
/// select (an INCLUDE filter matches and no EXCLUDE filter does), a mirror topic named
/// `cluster.link.prefix` + the source name, unless a topic of that name already exists on the destination. Like
/// a manual mirror, it needs the link's principal to DESCRIBE and READ the source topic. Mirrors created this
/// way are ordinary mirrors (offsets kept; chained: a mirror on the jump is a source topic for leg 2).
extension WorldState {
    static let autoCreateEnable = "auto.create.mirror.topics.enable"
    static let autoCreateFilters = "auto.create.mirror.topics.filters"

    /// Parses `{"topicFilters":[{"name":..,"patternType":"LITERAL|PREFIXED","filterType":"INCLUDE|EXCLUDE"}]}`.
    /// Turning auto-create on without a filter is a misconfiguration (Confluent puts the task in error).
    static func parseTopicFilters(_ text: String?) -> Result<[GroupFilter], SyncProblem> {
        switch parseNameFilters(text, config: autoCreateFilters, listKey: "topicFilters") {
        case .success(let filters) where filters.contains(where: \.include): return .success(filters)
        case .success:
            return .failure(
                SyncProblem("\(autoCreateEnable) is true but \(autoCreateFilters) includes no topic"))
        case .failure(let problem): return .failure(problem)
        }
    }

    /// Creates the missing mirrors of every auto-creating link (called from the tick).
    mutating func autoCreateMirrors(now: Double) {
        for clusterID in clusterOrder {
            for name in clusters[clusterID]!.links.keys.sorted() {
                let half = clusters[clusterID]!.links[name]!
                guard half.linkMode == "DESTINATION", half.configs[Self.autoCreateEnable] == "true",
                    case .success(let filters) = Self.parseTopicFilters(half.configs[Self.autoCreateFilters])
                else { continue }
                let health = linkHealth(clusterID: clusterID, name: name, now: now)
                guard health.isActive, let source = sourceCluster(ofLink: name, on: clusterID) else { continue }
                let prefix = half.configs["cluster.link.prefix"] ?? ""
                for topic in source.topics.values.sorted(by: { $0.name < $1.name })
                where !topic.name.hasPrefix("__") && Self.selected(topic.name, by: filters) {
                    let mirrorName = prefix + topic.name
                    guard clusters[clusterID]!.topics[mirrorName] == nil,
                        ServiceLimits.nameProblem(mirrorName) == nil,
                        mayAutoMirror(health, source: source, topic: topic.name),
                        partitionLimitRefusal(cluster: clusterID, adding: topic.endOffsets.count) == nil
                    else { continue }
                    let count = topic.endOffsets.count
                    var mirror = TopicState(name: mirrorName, endOffsets: Array(repeating: 0, count: count))
                    mirror.mirror = MirrorState(
                        linkName: name, sourceTopic: topic.name, status: "ACTIVE", stateTimeMs: epochMs(now),
                        credit: Array(repeating: 0, count: count))
                    clusters[clusterID]!.topics[mirrorName] = mirror
                }
            }
        }
    }

    /// The link's principal on the source may see the topic (DESCRIBE) and read it (READ).
    private func mayAutoMirror(_ health: LinkHealth, source: ClusterState, topic: String) -> Bool {
        guard let reader = health.readerPrincipal else { return true }
        return authorized(reader, cluster: source.id, "DESCRIBE", "TOPIC", topic, adminBypass: false)
            && linkMayRead(health, sourceClusterID: source.id, topic: topic)
    }

    /// The `AutoCreateMirror` entry of `include_tasks`.
    func autoCreateTaskJSON(_ half: LinkHalf, _ health: LinkHealth) -> JSON {
        let enabled = half.linkMode == "DESTINATION" && half.configs[Self.autoCreateEnable] == "true"
        var errors: [JSON] = []
        let state: String
        if !health.isActive {
            state = "LINK_FAILED"
        } else if !enabled {
            state = "NOT_CONFIGURED"
        } else if case .failure(let problem) = Self.parseTopicFilters(half.configs[Self.autoCreateFilters]) {
            state = "IN_ERROR"
            errors = [["error_code": "MISCONFIGURATION_ERROR", "error_message": .string(problem.message)]]
        } else {
            state = "ACTIVE"
        }
        return ["task_name": "AutoCreateMirror", "state": .string(state), "errors": .array(errors)]
    }
}
