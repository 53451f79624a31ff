import Foundation
import JumpchainJSON

/// Kafka REST v3 cluster-link endpoints: create, list, get, delete, configs.
extension WorldState {
    static let sensitiveSuffixes = [
        "ssl.key.password", "ssl.keystore.key", "ssl.keystore.certificate.chain", "ssl.truststore.certificates",
    ]

    static func isSensitive(_ name: String) -> Bool {
        name == "sasl.jaas.config" || name == "local.sasl.jaas.config"
            || sensitiveSuffixes.contains { name == $0 || name == "local." + $0 }
    }

    /// Defaults every link reports; `is_read_only` ones cannot be changed.
    static let linkDefaults: [(name: String, value: String, readOnly: Bool)] = [
        ("acl.sync.enable", "false", false), ("acl.sync.ms", "5000", false),
        ("auto.create.mirror.topics.enable", "false", false), ("auto.create.mirror.topics.filters", "", false),
        ("cluster.link.retry.timeout.ms", "300000", true), ("connection.mode", "OUTBOUND", true),
        ("consumer.group.prefix.enable", "false", false), ("consumer.offset.sync.enable", "false", false),
        ("consumer.offset.sync.ms", "30000", false), ("link.mode", "DESTINATION", true),
        ("local.sasl.mechanism", "GSSAPI", false), ("local.security.protocol", "PLAINTEXT", false),
        ("topic.config.sync.ms", "5000", false),
    ]

    mutating func handleLinks(_ call: ClusterCall, _ rest: [String]) -> SimResponse {
        let method = call.request.method
        let reading = method == "GET"
        guard
            authorized(
                call.principal, cluster: call.clusterID, reading ? "DESCRIBE" : "ALTER", "CLUSTER", "kafka-cluster")
        else { return ClusterCall.unauthorized }
        guard let name = rest.first else {
            switch method {
            case "GET":
                let links = clusters[call.clusterID]!.links.values.sorted { $0.name < $1.name }
                let mirroring = mirroringTopicsByLink(call.clusterID)
                let data = links.map { linkJSON(call, $0, includeTasks: false, mirroring: mirroring) }
                return .json(
                    200,
                    ClusterCall.collection(kind: "KafkaLinkDataList", selfURL: call.clusterPath + "/links", data: data))
            case "POST": return createLink(call)
            default: return .kafka(405, 405, "HTTP 405 Method Not Allowed")
            }
        }
        if rest.count >= 2, rest[1].hasPrefix("mirrors") { return handleMirrors(call, name, Array(rest.dropFirst())) }
        guard let half = clusters[call.clusterID]!.links[name] else {
            return .kafka(404, 404, "Cluster link '\(name)' cannot be found.")
        }
        switch (method, rest.count) {
        case ("GET", 1):
            return .json(
                200, linkJSON(call, half, includeTasks: call.request.queryBool("include_tasks", default: false)))
        case ("DELETE", 1): return deleteLink(call, half)
        case ("GET", 2) where rest[1] == "configs":
            let data = linkConfigs(half).map { linkConfigJSON(call, half, $0) }
            return .json(
                200,
                ClusterCall.collection(
                    kind: "KafkaLinkConfigDataList", selfURL: call.clusterPath + "/links/\(name)/configs", data: data))
        case ("PUT", 2) where rest[1] == "configs:alter":
            guard let items = call.request.json?["data"]?.arrayValue else {
                return .kafka(400, 400, "Request body must be {\"data\": [...]}")
            }
            var changes: [(String, String?)] = []
            for item in items {
                guard let configName = item["name"]?.stringValue else {
                    return .kafka(400, 400, "Field 'name' is required.")
                }
                let delete = item["operation"]?.stringValue == "DELETE"
                changes.append((configName, delete ? nil : item["value"]?.stringValue))
            }
            let validateOnly =
                call.request.queryBool("validate_only", default: false)
                || call.request.json?["validate_only"]?.boolValue == true
            return alterLinkConfigs(call, name, changes, validateOnly: validateOnly)
        case ("GET", 3) where rest[1] == "configs":
            guard let entry = linkConfigs(half).first(where: { $0.name == rest[2] }) else {
                return .kafka(404, 404, "Config '\(rest[2])' cannot be found for cluster link '\(name)'.")
            }
            return .json(200, linkConfigJSON(call, half, entry))
        case ("PUT", 3) where rest[1] == "configs":
            guard let value = call.request.json?["value"]?.stringValue else {
                return .kafka(400, 400, "Field 'value' is required.")
            }
            return alterLinkConfigs(call, name, [(rest[2], value)], validateOnly: false)
        case ("DELETE", 3) where rest[1] == "configs":
            return alterLinkConfigs(call, name, [(rest[2], nil)], validateOnly: false)
        default:
            return .kafka(404, 404, "HTTP 404 Not Found")
        }
    }

    struct LinkConfigEntry {
        var name: String
        var value: String
        var isDefault: Bool
        var readOnly: Bool
    }

    func linkConfigs(_ half: LinkHalf) -> [LinkConfigEntry] {
        var entries: [String: LinkConfigEntry] = [:]
        for item in Self.linkDefaults {
            entries[item.name] = LinkConfigEntry(
                name: item.name, value: item.value, isDefault: true, readOnly: item.readOnly)
        }
        for (name, value) in half.configs {
            let readOnly = entries[name]?.readOnly ?? false
            entries[name] = LinkConfigEntry(name: name, value: value, isDefault: false, readOnly: readOnly)
        }
        return entries.values.sorted { $0.name < $1.name }
    }

    func linkConfigJSON(_ call: ClusterCall, _ half: LinkHalf, _ entry: LinkConfigEntry) -> JSON {
        let sensitive = Self.isSensitive(entry.name)
        return [
            "kind": "KafkaLinkConfigData",
            "metadata": [
                "self": .string(call.clusterPath + "/links/\(half.name)/configs/\(entry.name)"),
                "resource_name": .string(
                    "crn:///kafka=\(call.clusterID)/cluster-link=\(half.name)/config=\(entry.name)"),
            ],
            "cluster_id": .string(call.clusterID), "name": .string(entry.name),
            "value": sensitive ? .null : .string(entry.value),
            "is_default": .bool(entry.isDefault), "is_read_only": .bool(entry.readOnly),
            "is_sensitive": .bool(sensitive),
            "source": .string(entry.isDefault ? "DEFAULT_CONFIG" : "DYNAMIC_CLUSTER_LINK_CONFIG"),
            "synonyms": [], "link_name": .string(half.name),
        ]
    }

    /// Mirror topics still mirroring, by link name, on `clusterID` (one pass over the topics).
    func mirroringTopicsByLink(_ clusterID: String) -> [String: [String]] {
        var byLink: [String: [String]] = [:]
        for topic in clusters[clusterID]?.topics.values ?? [:].values {
            guard let mirror = topic.mirror, mirror.status != "STOPPED" else { continue }
            byLink[mirror.linkName, default: []].append(topic.name)
        }
        return byLink
    }

    func linkJSON(
        _ call: ClusterCall, _ half: LinkHalf, includeTasks: Bool, mirroring: [String: [String]]? = nil
    ) -> JSON {
        let health = linkHealth(clusterID: call.clusterID, name: half.name, now: call.now)
        let topicNames = ((mirroring ?? mirroringTopicsByLink(call.clusterID))[half.name] ?? []).sorted()
        let isSourceHalf = half.linkMode == "SOURCE"
        var object: [(String, JSON)] = [
            ("kind", "KafkaLinkData"),
            (
                "metadata",
                [
                    "self": .string(call.clusterPath + "/links/" + half.name),
                    "resource_name": .string("crn:///kafka=\(call.clusterID)/cluster-link=\(half.name)"),
                ]
            ),
            ("source_cluster_id", isSourceHalf ? .null : .string(half.remoteClusterID)),
            ("destination_cluster_id", isSourceHalf ? .string(half.remoteClusterID) : .null),
            ("remote_cluster_id", .null),
            ("link_name", .string(half.name)),
            ("link_id", .string(half.linkID)),
            ("cluster_link_id", .string(half.clusterLinkID)),
            ("topic_names", .strings(topicNames)),
            ("link_error", .string(health.error)),
            ("link_error_message", .optional(health.message)),
            ("link_state", .string(health.state)),
        ]
        if includeTasks {
            let taskState = health.isActive ? "NOT_CONFIGURED" : "LINK_FAILED"
            let tasks: [JSON] = ["AclSync", "AutoCreateMirror", "ConsumerOffsetSync", "TopicConfigsSync"].map {
                if $0 == "ConsumerOffsetSync" { return offsetSyncTaskJSON(half, health) }
                if $0 == "AutoCreateMirror" { return autoCreateTaskJSON(half, health) }
                return [
                    "task_name": .string($0),
                    "state": .string($0 == "TopicConfigsSync" && health.isActive ? "ACTIVE" : taskState),
                    "errors": [],
                ]
            }
            object.append(("tasks", .array(tasks)))
        }
        return .object(object)
    }

    private mutating func createLink(_ call: ClusterCall) -> SimResponse {
        let request = call.request
        guard let name = request.queryValue("link_name"), !name.isEmpty else {
            return .kafka(400, 400, "Query parameter 'link_name' is required.")
        }
        if let problem = ServiceLimits.nameProblem(name, kind: "Cluster link") {
            return ClusterCall.badRequest(problem)
        }
        let body = request.json ?? [:]
        var configs: [String: String] = [:]
        for item in body["configs"]?.arrayValue ?? [] {
            guard let configName = item["name"]?.stringValue else {
                return .kafka(400, 400, "Config 'name' is required.")
            }
            if let value = item["value"]?.stringValue { configs[configName] = value }
        }
        if clusters[call.clusterID]!.links[name] != nil {
            return ClusterCall.badRequest("Cluster link '\(name)' already exists.")
        }
        let linkMode = configs["link.mode"] ?? "DESTINATION"
        let connectionMode = configs["connection.mode"] ?? "OUTBOUND"
        guard ["DESTINATION", "SOURCE"].contains(linkMode) else {
            if linkMode == "BIDIRECTIONAL" {
                return ClusterCall.badRequest("link.mode BIDIRECTIONAL is not supported by the simulator.")
            }
            return ClusterCall.badRequest("Invalid value '\(linkMode)' for link.mode.")
        }
        guard ["OUTBOUND", "INBOUND"].contains(connectionMode) else {
            return ClusterCall.badRequest("Invalid value '\(connectionMode)' for connection.mode.")
        }
        let remote: String?
        var clusterLinkID = newClusterLinkID()
        var linkID = newUUID()
        switch (linkMode, connectionMode) {
        case ("SOURCE", "INBOUND"):
            return ClusterCall.badRequest("A SOURCE link must use connection.mode OUTBOUND.")
        case ("SOURCE", _):
            guard let destination = body["destination_cluster_id"]?.stringValue else {
                return ClusterCall.badRequest("destination_cluster_id is required for link.mode SOURCE.")
            }
            guard let peer = clusters[destination]?.links[name], peer.linkMode == "DESTINATION",
                peer.connectionMode == "INBOUND"
            else {
                return ClusterCall.badRequest(
                    "The destination half of cluster link '\(name)' (link.mode DESTINATION, connection.mode INBOUND) "
                        + "must be created on cluster \(destination) before the source half.")
            }
            if let expected = body["cluster_link_id"]?.stringValue, expected != peer.clusterLinkID {
                return ClusterCall.badRequest(
                    "cluster_link_id '\(expected)' does not match the destination half's '\(peer.clusterLinkID)'.")
            }
            clusterLinkID = peer.clusterLinkID
            linkID = peer.linkID
            remote = destination
        case (_, "INBOUND"):
            remote = body["source_cluster_id"]?.stringValue ?? body["destination_cluster_id"]?.stringValue
            if configs.keys.contains(where: { $0.hasSuffix("sasl.jaas.config") }) {
                return ClusterCall.badRequest(
                    "The destination half of a source-initiated link (connection.mode INBOUND) takes no credentials.")
            }
        default:
            remote = body["source_cluster_id"]?.stringValue
        }
        guard let remote, !remote.isEmpty else {
            return ClusterCall.badRequest("source_cluster_id is required for link.mode DESTINATION.")
        }
        guard remote != call.clusterID else {
            return ClusterCall.badRequest("A cluster link cannot point at its own cluster.")
        }
        if linkMode == "DESTINATION", let expected = body["cluster_link_id"]?.stringValue { clusterLinkID = expected }
        let half = LinkHalf(
            name: name, clusterLinkID: clusterLinkID, linkID: linkID, linkMode: linkMode,
            connectionMode: connectionMode, remoteClusterID: remote, configs: configs, createdAt: call.now)
        var trial = self
        trial.clusters[call.clusterID]!.links[name] = half
        if request.queryBool("validate_link", default: true) {
            if clusters[remote] == nil {
                return ClusterCall.badRequest("Cluster link validation failed: cluster \(remote) cannot be found.")
            }
            if connectionMode == "OUTBOUND" {
                let health = trial.linkHealth(clusterID: call.clusterID, name: name, now: call.now)
                if !health.isActive {
                    return ClusterCall.badRequest(
                        "Cluster link validation failed: \(health.error): \(health.message ?? "link is not available")")
                }
            }
        }
        if request.queryBool("validate_only", default: false) { return .empty(204) }
        clusters[call.clusterID]!.links[name] = half
        return .empty(204)
    }

    private mutating func deleteLink(_ call: ClusterCall, _ half: LinkHalf) -> SimResponse {
        let mirrors = clusters[call.clusterID]!.topics.values.filter {
            $0.mirror?.linkName == half.name && !["STOPPED", "FAILED"].contains($0.mirror?.status ?? "")
        }
        let force = call.request.queryBool("force", default: false)
        if !mirrors.isEmpty, !force {
            return ClusterCall.badRequest(
                "Cluster link '\(half.name)' has \(mirrors.count) active mirror topic(s); "
                    + "promote or fail them over, or delete with force=true.")
        }
        if call.request.queryBool("validate_only", default: false) { return .empty(200) }
        for topic in mirrors {
            clusters[call.clusterID]!.topics[topic.name]!.mirror!.status = "FAILED"
            clusters[call.clusterID]!.topics[topic.name]!.mirror!.failure = "Cluster link '\(half.name)' was deleted"
            clusters[call.clusterID]!.topics[topic.name]!.mirror!.stateTimeMs = epochMs(call.now)
        }
        clusters[call.clusterID]!.links[half.name] = nil
        return .empty(200)
    }

    private mutating func alterLinkConfigs(
        _ call: ClusterCall, _ name: String, _ changes: [(String, String?)], validateOnly: Bool
    ) -> SimResponse {
        let readOnly = Set(Self.linkDefaults.filter(\.readOnly).map(\.name))
        for (configName, _) in changes where readOnly.contains(configName) {
            return ClusterCall.badRequest("Cannot alter read-only cluster link config '\(configName)'.")
        }
        if validateOnly { return .empty(204) }
        for (configName, value) in changes {
            clusters[call.clusterID]!.links[name]!.configs[configName] = value
        }
        return .empty(204)
    }

    mutating func newUUID() -> String {
        let hex = randomString(Array("0123456789abcdef"), 32)
        let chars = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(chars[$0]) }.joined(separator: "-")
    }
}
