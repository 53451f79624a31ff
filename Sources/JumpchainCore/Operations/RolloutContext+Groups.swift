import ConfluentAPI
import Foundation

extension RolloutContext {
    /// Observes the selected groups' committed offsets on all three hops for the chain's topics (nil when the
    /// playbook turns offset sync on for neither leg). `jump` is nil when the jump cannot be read.
    /// With `recordedOrigin` (a multi-site cutover, at a site that does not reach the origin), the origin's
    /// groups and offsets are those its site recorded (``originGroupOffsets()``), and the origin is not read.
    func groupOffsets(
        topology: ChainTopology, jump: KafkaRESTClient?, recordedOrigin: [String: [TopicPartition: Int64]]? = nil
    ) async throws -> GroupOffsetReport? {
        guard let sync = playbook.offsetSyncPlan(originPrincipal: playbook.link.originPrincipal ?? "") else {
            return nil
        }
        let link = playbook.link
        let jumpPrefix =
            link.leg1Options["consumer.group.prefix.enable"] == "true"
            ? link.leg1Options["cluster.link.prefix"] ?? "" : ""
        let targetPrefix =
            link.leg2Options["consumer.group.prefix.enable"] == "true"
            ? link.leg2Options["cluster.link.prefix"] ?? "" : ""
        let sortedGroups: [String]
        if let recordedOrigin {
            sortedGroups = recordedOrigin.keys.sorted()
        } else {
            sortedGroups = try await origin.listConsumerGroups().map(\.consumerGroupID).filter {
                playbook.consumerGroups.selects($0)
            }.sorted()
        }
        // Only groups a cluster lists are read (an unknown group answers 404, which the specs do not declare).
        let onJumpGroups = Set(try await jump?.listConsumerGroups().map(\.consumerGroupID) ?? [])
        let onTargetGroups = Set(try await target.listConsumerGroups().map(\.consumerGroupID))
        func offsets(
            _ client: KafkaRESTClient?, _ group: String, listed: Set<String>
        ) async throws -> [TopicPartition:
            Int64]
        {
            guard let client, listed.contains(group) else { return [:] }
            return try await client.committedOffsets(group: group) ?? [:]
        }
        var rows: [GroupOffsetReport.Row] = []
        for group in sortedGroups {
            let onOrigin: [TopicPartition: Int64]
            if let recordedOrigin {
                onOrigin = recordedOrigin[group] ?? [:]
            } else {
                onOrigin = try await origin.committedOffsets(group: group) ?? [:]
            }
            let onJump = try await offsets(jump, jumpPrefix + group, listed: onJumpGroups)
            let onTarget = try await offsets(target, targetPrefix + jumpPrefix + group, listed: onTargetGroups)
            for topic in topology.topics {
                let partitions = Set(
                    onOrigin.keys.filter { $0.topic == topic.origin }.map(\.partition)
                        + onTarget.keys.filter { $0.topic == topic.targetMirror }.map(\.partition)
                ).sorted()
                for partition in partitions {
                    rows.append(
                        GroupOffsetReport.Row(
                            group: group, topic: topic.origin, partition: partition,
                            origin: onOrigin[TopicPartition(topic: topic.origin, partition: partition)],
                            jump: onJump[TopicPartition(topic: topic.jumpMirror, partition: partition)],
                            target: onTarget[TopicPartition(topic: topic.targetMirror, partition: partition)]))
                }
            }
        }
        var problems: [String] = []
        for (leg, client, name) in [
            ("leg 1", jump, link.leg1Name), ("leg 2", Optional(target), link.leg2Name),
        ] {
            guard let client, let half = try await client.link(name, includeTasks: true) else { continue }
            for task in half.tasks ?? [] where task.taskName == "ConsumerOffsetSync" && task.state == "IN_ERROR" {
                let errors = task.errors.map { "\($0.errorCode) \($0.errorMessage)" }.joined(separator: "; ")
                problems.append("\(leg) (\(name) on \(client.clusterID)) offset sync in error: \(errors)")
            }
        }
        if sync.leg1 == nil { problems.append("leg 1 does not sync consumer offsets (consumer.offset.sync.enable)") }
        if sync.leg2 == nil { problems.append("leg 2 does not sync consumer offsets (consumer.offset.sync.enable)") }
        return GroupOffsetReport(
            groups: sortedGroups, rows: rows, problems: problems, syncReachesTarget: sync.reachesTarget,
            jumpObserved: jump != nil)
    }

    /// The selected groups' committed offsets on the origin (nil when the playbook turns offset sync on for neither
    /// leg), for a multi-site cutover's origin site to record.
    func originGroupOffsets() async throws -> [String: [TopicPartition: Int64]]? {
        guard playbook.offsetSyncPlan(originPrincipal: playbook.link.originPrincipal ?? "") != nil else { return nil }
        var offsets: [String: [TopicPartition: Int64]] = [:]
        for group in try await origin.listConsumerGroups().map(\.consumerGroupID)
        where playbook.consumerGroups.selects(group) {
            offsets[group] = try await origin.committedOffsets(group: group) ?? [:]
        }
        return offsets
    }
}

/// The origin's synced groups and committed offsets as a site that reaches the origin records them for a site that
/// does not (a split cutover's quiesce, `verify --site` at the origin's site): group ids, `topic|partition` and
/// offsets, nothing else.
enum RecordedGroupOffsets {
    static func encode(_ groups: [String: [TopicPartition: Int64]]) -> String {
        let encoded = groups.mapValues { offsets in
            Dictionary(uniqueKeysWithValues: offsets.map { ("\($0.key.topic)|\($0.key.partition)", $0.value) })
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(encoded)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func decode(_ text: String?) -> [String: [TopicPartition: Int64]]? {
        guard let text, let groups = try? JSONDecoder().decode([String: [String: Int64]].self, from: Data(text.utf8))
        else { return nil }
        return groups.mapValues { offsets in
            Dictionary(
                uniqueKeysWithValues: offsets.compactMap { key, value -> (TopicPartition, Int64)? in
                    let parts = key.split(separator: "|")
                    guard parts.count == 2, let partition = Int(parts[1]) else { return nil }
                    return (TopicPartition(topic: String(parts[0]), partition: partition), value)
                })
        }
    }
}
