import Foundation
import JumpchainJSON

/// When a link last synced consumer offsets and what went wrong then (shown by `include_tasks`).
struct OffsetSyncState {
    var lastRun: Double?
    var errors: [(code: String, message: String)] = []
}

/// One entry of `consumer.offset.group.filters`.
struct GroupFilter: Equatable {
    var name: String
    var prefixed: Bool
    var include: Bool

    func matches(_ group: String) -> Bool {
        prefixed ? group.hasPrefix(name) : (name == "*" || name == group)
    }
}

/// Link-side consumer offset sync, as Confluent documents it: with `consumer.offset.sync.enable=true` the
/// destination half copies, every `consumer.offset.sync.ms`, the committed offsets of the source groups its
/// `consumer.offset.group.filters` select, for topics that are still mirrors of that link, when the link's
/// principal may DESCRIBE the group and the topic on the source.
extension WorldState {
    /// Parses `{"groupFilters":[{"name":..,"patternType":"LITERAL|PREFIXED","filterType":"INCLUDE|EXCLUDE"}]}`
    /// (`patternType` defaults to LITERAL, `filterType` to INCLUDE; empty text selects no group).
    static func parseGroupFilters(_ text: String?) -> Result<[GroupFilter], SyncProblem> {
        parseNameFilters(text, config: "consumer.offset.group.filters", listKey: "groupFilters")
    }

    /// The filter format Confluent shares between `consumer.offset.group.filters` (`groupFilters`) and
    /// `auto.create.mirror.topics.filters` (`topicFilters`).
    static func parseNameFilters(_ text: String?, config: String, listKey: String) -> Result<[GroupFilter], SyncProblem>
    {
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return .success([]) }
        guard let json = try? JSON.parse(text, maximumDepth: 64), let entries = json[listKey]?.arrayValue else {
            return .failure(SyncProblem("\(config) is not JSON of the form {\"\(listKey)\":[...]}"))
        }
        var filters: [GroupFilter] = []
        for (index, entry) in entries.enumerated() {
            guard let name = entry["name"]?.stringValue, !name.isEmpty else {
                return .failure(SyncProblem("\(config) \(listKey)[\(index)] has no name"))
            }
            let pattern = entry["patternType"]?.stringValue ?? "LITERAL"
            let type = entry["filterType"]?.stringValue ?? "INCLUDE"
            guard ["LITERAL", "PREFIXED"].contains(pattern), ["INCLUDE", "EXCLUDE"].contains(type) else {
                return .failure(
                    SyncProblem(
                        "\(config) \(listKey)[\(index)]: patternType must be LITERAL or PREFIXED "
                            + "and filterType INCLUDE or EXCLUDE"))
            }
            filters.append(GroupFilter(name: name, prefixed: pattern == "PREFIXED", include: type == "INCLUDE"))
        }
        return .success(filters)
    }

    /// A group is selected when an INCLUDE filter matches it and no EXCLUDE filter does.
    static func selected(_ group: String, by filters: [GroupFilter]) -> Bool {
        filters.contains { $0.include && $0.matches(group) } && !filters.contains { !$0.include && $0.matches(group) }
    }

    struct SyncProblem: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    /// Runs every due offset sync (called from the tick).
    mutating func syncConsumerOffsets(now: Double) {
        for clusterID in clusterOrder {
            for name in clusters[clusterID]!.links.keys.sorted() {
                let half = clusters[clusterID]!.links[name]!
                guard half.linkMode == "DESTINATION", half.configs["consumer.offset.sync.enable"] == "true" else {
                    continue
                }
                let intervalMs = Double(half.configs["consumer.offset.sync.ms"] ?? "30000") ?? 30000
                if let last = half.offsetSync.lastRun, now - last < intervalMs / 1000 { continue }
                clusters[clusterID]!.links[name]!.offsetSync.lastRun = now
                let health = linkHealth(clusterID: clusterID, name: name, now: now)
                guard health.isActive, let source = sourceCluster(ofLink: name, on: clusterID) else { continue }
                clusters[clusterID]!.links[name]!.offsetSync.errors = syncOffsets(
                    destinationID: clusterID, half: half, source: source, health: health)
            }
        }
    }

    /// The principal the link uses on its source: the remote key's owner for a destination-initiated link,
    /// the owner of the source half's local key for a source-initiated one.
    func sourcePrincipal(_ half: LinkHalf, _ health: LinkHealth, source: ClusterState) -> String? {
        if let reader = health.readerPrincipal { return reader }
        guard let peer = source.links[half.name],
            let key = Self.parseJAAS(peer.configs["local.sasl.jaas.config"])?.key
        else { return nil }
        return keys[key]?.owner
    }

    private mutating func syncOffsets(
        destinationID: String, half: LinkHalf, source: ClusterState, health: LinkHealth
    ) -> [(code: String, message: String)] {
        let filters: [GroupFilter]
        switch Self.parseGroupFilters(half.configs["consumer.offset.group.filters"]) {
        case .success(let parsed): filters = parsed
        case .failure(let problem): return [("MISCONFIGURATION_ERROR", problem.message)]
        }
        let principal = sourcePrincipal(half, health, source: source)
        func may(_ type: String, _ name: String) -> Bool {
            // The link's principal is judged by its ACLs, admin or not (as for what the link reads).
            principal.map { authorized($0, cluster: source.id, "DESCRIBE", type, name, adminBypass: false) } ?? false
        }
        let prefix = half.configs["cluster.link.prefix"] ?? ""
        let groupPrefix = half.configs["consumer.group.prefix.enable"] == "true" ? prefix : ""
        var mirrorOf: [String: String] = [:]
        for topic in clusters[destinationID]!.topics.values {
            guard let mirror = topic.mirror, mirror.linkName == half.name,
                ["ACTIVE", "PAUSED", "PENDING_STOPPED"].contains(mirror.status)
            else { continue }
            mirrorOf[mirror.sourceTopic] = topic.name
        }
        var errors: [(code: String, message: String)] = []
        let who = "User:" + (principal ?? "?")
        for group in source.groups.values.sorted(by: { $0.id < $1.id }) where Self.selected(group.id, by: filters) {
            guard may("GROUP", group.id) else {
                errors.append(
                    (
                        "AUTHORIZATION_ERROR",
                        "Cluster link '\(half.name)' (\(who)) is not authorized to DESCRIBE consumer group "
                            + "'\(group.id)' on cluster \(source.id); its offsets are not synced"
                    ))
                continue
            }
            let targetGroup = groupPrefix + group.id
            if !members(clusterID: destinationID, group: targetGroup).isEmpty {
                errors.append(
                    (
                        "CONSUMER_GROUP_IN_USE_ERROR",
                        "Consumer group '\(targetGroup)' has active members on cluster \(destinationID); "
                            + "its offsets are not synced"
                    ))
                continue
            }
            for (topic, offsets) in group.offsets.sorted(by: { $0.key < $1.key }) {
                guard let mirrorName = mirrorOf[topic] else { continue }
                guard may("TOPIC", topic) else {
                    errors.append(
                        (
                            "AUTHORIZATION_ERROR",
                            "Cluster link '\(half.name)' (\(who)) is not authorized to DESCRIBE topic '\(topic)' on "
                                + "cluster \(source.id); offsets of consumer group '\(group.id)' on it are not synced"
                        ))
                    continue
                }
                var copy = clusters[destinationID]!.groups[targetGroup] ?? GroupState(id: targetGroup)
                for (partition, offset) in offsets { copy.offsets[mirrorName, default: [:]][partition] = offset }
                clusters[destinationID]!.groups[targetGroup] = copy
            }
        }
        return errors
    }

    /// The `ConsumerOffsetSync` entry of `include_tasks`.
    func offsetSyncTaskJSON(_ half: LinkHalf, _ health: LinkHealth) -> JSON {
        let enabled = half.linkMode == "DESTINATION" && half.configs["consumer.offset.sync.enable"] == "true"
        let state: String
        var errors: [JSON] = []
        if !health.isActive {
            state = "LINK_FAILED"
        } else if !enabled {
            state = "NOT_CONFIGURED"
        } else if half.offsetSync.errors.isEmpty {
            state = "ACTIVE"
        } else {
            state = "IN_ERROR"
            errors = half.offsetSync.errors.map {
                ["error_code": .string($0.code), "error_message": .string($0.message)]
            }
        }
        return ["task_name": "ConsumerOffsetSync", "state": .string(state), "errors": .array(errors)]
    }
}
