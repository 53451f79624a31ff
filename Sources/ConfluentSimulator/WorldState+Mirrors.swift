import Foundation
import JumpchainJSON

/// Kafka REST v3 mirror-topic endpoints: create, list, get and the state changes.
extension WorldState {
    static let mirrorActions: [String: String] = [
        "mirrors:promote": "promote", "mirrors:failover": "failover", "mirrors:pause": "pause",
        "mirrors:resume": "resume",
    ]

    mutating func handleMirrors(_ call: ClusterCall, _ linkName: String, _ rest: [String]) -> SimResponse {
        let method = call.request.method
        let allLinks = linkName == "-"
        if !allLinks, clusters[call.clusterID]!.links[linkName] == nil {
            return .kafka(404, 404, "Cluster link '\(linkName)' cannot be found.")
        }
        switch (method, rest.count, rest[0]) {
        case ("GET", 1, "mirrors"):
            let wanted = call.request.queryValue("mirror_status")
            let topics = clusters[call.clusterID]!.topics.values.filter {
                guard let mirror = $0.mirror else { return false }
                return allLinks || mirror.linkName == linkName
            }.sorted { $0.name < $1.name }
            // One health evaluation per link for the whole listing (it is the same for every mirror of it).
            var healths: [String: LinkHealth] = [:]
            let data = topics.compactMap { topic -> JSON? in
                let linkName = topic.mirror!.linkName
                let health =
                    healths[linkName] ?? linkHealth(clusterID: call.clusterID, name: linkName, now: call.now)
                healths[linkName] = health
                let json = mirrorJSON(call, topic, includeErrors: false, health: health)
                if let wanted, json["mirror_status"]?.stringValue != wanted { return nil }
                return json
            }
            return .json(
                200,
                ClusterCall.collection(
                    kind: "KafkaMirrorDataList", selfURL: call.clusterPath + "/links/\(linkName)/mirrors", data: data))
        case ("POST", 1, "mirrors") where !allLinks:
            return createMirror(call, linkName)
        case ("GET", 2, "mirrors"):
            guard let topic = clusters[call.clusterID]!.topics[rest[1]], let mirror = topic.mirror,
                allLinks || mirror.linkName == linkName
            else {
                return .kafka(404, 404, "Mirror topic '\(rest[1])' of cluster link '\(linkName)' cannot be found.")
            }
            let errors = call.request.queryBool("include_state_transition_errors", default: false)
            return .json(200, mirrorJSON(call, topic, includeErrors: errors))
        case ("POST", 1, let action) where !allLinks && Self.mirrorActions[action] != nil:
            return alterMirrors(call, linkName, Self.mirrorActions[action]!)
        default:
            return .kafka(404, 404, "HTTP 404 Not Found")
        }
    }

    /// Per-partition lag against the live source log end; `last_source_fetch_offset` is the offset of the
    /// last record copied (mirror end offset − 1, so −1 before anything was copied).
    func mirrorLags(clusterID: String, _ topic: TopicState) -> [JSON] {
        let source = topic.mirror.flatMap { mirror in
            sourceCluster(ofLink: mirror.linkName, on: clusterID)?.topics[mirror.sourceTopic]
        }
        return topic.endOffsets.enumerated().map { partition, end in
            let sourceEnd = source.flatMap {
                $0.endOffsets.indices.contains(partition) ? $0.endOffsets[partition] : nil
            }
            let lag = max(0, (sourceEnd ?? end) - end)
            return ["partition": .int(partition), "lag": .int(lag), "last_source_fetch_offset": .int(end - 1)]
        }
    }

    /// The status clients see: the stored one, or LINK_FAILED / SOURCE_UNAVAILABLE while the link or the
    /// source topic is gone.
    func shownStatus(
        clusterID: String, _ topic: TopicState, now: Double, health known: LinkHealth? = nil
    ) -> (status: String, error: String?) {
        guard let mirror = topic.mirror else { return ("STOPPED", nil) }
        if mirror.status == "FAILED" { return ("FAILED", mirror.failure) }
        guard mirror.status == "ACTIVE" else { return (mirror.status, nil) }
        guard clusters[clusterID]?.links[mirror.linkName] != nil else {
            return ("LINK_FAILED", "Cluster link '\(mirror.linkName)' does not exist")
        }
        let health = known ?? linkHealth(clusterID: clusterID, name: mirror.linkName, now: now)
        guard health.isActive else { return ("LINK_FAILED", "\(health.error): \(health.message ?? "")") }
        guard let source = sourceCluster(ofLink: mirror.linkName, on: clusterID),
            source.topics[mirror.sourceTopic] != nil
        else { return ("SOURCE_UNAVAILABLE", "Source topic '\(mirror.sourceTopic)' does not exist") }
        if !linkMayRead(health, sourceClusterID: source.id, topic: mirror.sourceTopic) {
            return ("SOURCE_UNAVAILABLE", "Cluster link is not authorized to READ topic '\(mirror.sourceTopic)'")
        }
        return ("ACTIVE", nil)
    }

    func mirrorJSON(_ call: ClusterCall, _ topic: TopicState, includeErrors: Bool, health: LinkHealth? = nil) -> JSON {
        let mirror = topic.mirror!
        let shown = shownStatus(clusterID: call.clusterID, topic, now: call.now, health: health)
        var object: [(String, JSON)] = [
            ("kind", "KafkaMirrorData"),
            ("metadata", ["self": .string(call.clusterPath + "/links/\(mirror.linkName)/mirrors/\(topic.name)")]),
            ("link_name", .string(mirror.linkName)),
            ("mirror_topic_name", .string(topic.name)),
            ("source_topic_name", .string(mirror.sourceTopic)),
            ("num_partitions", .int(topic.endOffsets.count)),
            ("mirror_lags", .array(mirrorLags(clusterID: call.clusterID, topic))),
            ("mirror_status", .string(shown.status)),
            ("state_time_ms", .int(mirror.stateTimeMs)),
        ]
        if let error = shown.error { object.append(("mirror_topic_error", .string(error))) }
        if includeErrors { object.append(("mirror_state_transition_errors", [])) }
        return .object(object)
    }

    private mutating func createMirror(_ call: ClusterCall, _ linkName: String) -> SimResponse {
        guard let body = call.request.json, let sourceName = body["source_topic_name"]?.stringValue, !sourceName.isEmpty
        else { return .kafka(400, 400, "Field 'source_topic_name' is required.") }
        let half = clusters[call.clusterID]!.links[linkName]!
        guard half.linkMode == "DESTINATION" else {
            return ClusterCall.badRequest(
                "Mirror topics are created on the destination cluster of link '\(linkName)', not on its source.")
        }
        let prefix = half.configs["cluster.link.prefix"] ?? ""
        let mirrorName = body["mirror_topic_name"]?.stringValue ?? prefix + sourceName
        guard mirrorName == prefix + sourceName else {
            return ClusterCall.badRequest(
                prefix.isEmpty
                    ? "Mirror topic name '\(mirrorName)' must equal the source topic name '\(sourceName)'."
                    : "Mirror topic name '\(mirrorName)' must be the link prefix '\(prefix)' followed by '\(sourceName)'."
            )
        }
        if let factor = body["replication_factor"]?.intValue, factor != 3 {
            return ClusterCall.badRequest("Topic replication factor must be 3")
        }
        if clusters[call.clusterID]!.topics[mirrorName] != nil {
            return ClusterCall.badRequest("Topic '\(mirrorName)' already exists.")
        }
        let health = linkHealth(clusterID: call.clusterID, name: linkName, now: call.now)
        guard health.isActive else {
            return ClusterCall.badRequest(
                "Cluster link '\(linkName)' is not available (\(health.error)): \(health.message ?? "")")
        }
        guard let source = clusters[half.remoteClusterID], let sourceTopic = source.topics[sourceName] else {
            return ClusterCall.badRequest(
                "Source topic '\(sourceName)' does not exist on cluster \(half.remoteClusterID).")
        }
        guard linkMayRead(health, sourceClusterID: source.id, topic: sourceName) else {
            return .kafka(
                403, 40301,
                "Cluster link '\(linkName)' is not authorized to READ topic '\(sourceName)' on cluster \(source.id).")
        }
        let count = sourceTopic.endOffsets.count
        if let refusal = partitionLimitRefusal(cluster: call.clusterID, adding: count) { return refusal }
        var topic = TopicState(name: mirrorName, endOffsets: Array(repeating: 0, count: count))
        topic.mirror = MirrorState(
            linkName: linkName, sourceTopic: sourceName, status: "ACTIVE", stateTimeMs: epochMs(call.now),
            credit: Array(repeating: 0, count: count))
        clusters[call.clusterID]!.topics[mirrorName] = topic
        return .empty(204)
    }

    private mutating func alterMirrors(_ call: ClusterCall, _ linkName: String, _ action: String) -> SimResponse {
        let body = call.request.json ?? [:]
        var names: [String] = []
        if let list = body["mirror_topic_names"]?.arrayValue {
            names = list.compactMap(\.stringValue)
        } else if let pattern = body["mirror_topic_name_pattern"]?.stringValue {
            guard let regex = try? NSRegularExpression(pattern: "^(?:" + pattern + ")$") else {
                return .kafka(400, 400, "Invalid mirror_topic_name_pattern '\(pattern)'.")
            }
            names = clusters[call.clusterID]!.topics.values.filter {
                $0.mirror?.linkName == linkName
                    && regex.firstMatch(in: $0.name, range: NSRange($0.name.startIndex..., in: $0.name)) != nil
            }.map(\.name).sorted()
        } else {
            return .kafka(400, 400, "Either mirror_topic_names or mirror_topic_name_pattern is required.")
        }
        let validateOnly = call.request.queryBool("validate_only", default: false)
        let items = names.map { name in
            alterOneMirror(call, linkName, name, action, validateOnly: validateOnly)
        }
        return .json(
            200,
            [
                "kind": "KafkaPromoteMirror",
                "metadata": ["self": .string(call.clusterPath + "/links/\(linkName)/mirrors:\(action)")],
                "data": .array(items),
            ])
    }

    private mutating func alterOneMirror(
        _ call: ClusterCall, _ linkName: String, _ name: String, _ action: String, validateOnly: Bool
    ) -> JSON {
        func item(_ code: Int?, _ message: String?, _ lags: [JSON]) -> JSON {
            [
                "kind": "AlterMirrorsData",
                "metadata": ["self": .string(call.clusterPath + "/links/\(linkName)/mirrors/\(name)")],
                "mirror_topic_name": .string(name),
                "error_code": code.map { .int($0) } ?? .null,
                "error_message": .optional(message),
                "mirror_lags": .array(lags),
                "messages_truncated": nil,
                "partition_level_truncation_data": [],
            ]
        }
        guard let topic = clusters[call.clusterID]!.topics[name], let mirror = topic.mirror,
            mirror.linkName == linkName
        else {
            return item(404, "Topic '\(name)' is not a mirror topic of cluster link '\(linkName)'.", [])
        }
        let lags = mirrorLags(clusterID: call.clusterID, topic)
        let next: String
        switch (action, mirror.status) {
        case (_, "STOPPED"):
            return item(400, "Topic '\(name)' has already stopped its mirror from '\(linkName)'", lags)
        case (_, "FAILED"):
            return item(400, "Topic '\(name)' has failed mirroring from '\(linkName)': \(mirror.failure ?? "")", lags)
        case ("pause", "ACTIVE"): next = "PAUSED"
        case ("resume", "PAUSED"): next = "ACTIVE"
        case ("promote", "ACTIVE"), ("promote", "PAUSED"): next = "PENDING_STOPPED"
        case ("failover", "ACTIVE"), ("failover", "PAUSED"), ("failover", "PENDING_STOPPED"): next = "STOPPED"
        case ("pause", "PAUSED"), ("resume", "ACTIVE"): next = mirror.status
        default:
            return item(400, "Cannot \(action) mirror topic '\(name)' in state \(mirror.status).", lags)
        }
        if !validateOnly, next != mirror.status {
            clusters[call.clusterID]!.topics[name]!.mirror!.status = next
            clusters[call.clusterID]!.topics[name]!.mirror!.stateTimeMs = epochMs(call.now)
        }
        return item(nil, nil, lags)
    }
}
