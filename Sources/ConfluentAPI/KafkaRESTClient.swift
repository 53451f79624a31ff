import Foundation
import JumpchainHTTP
import JumpchainJSON

/// Kafka REST v3 on one cluster: topics, records, ACLs, cluster links and mirror topics.
public struct KafkaRESTClient: Sendable {
    public let endpoint: APIEndpoint
    public let clusterID: String

    public init(endpoint: APIEndpoint, clusterID: String) {
        self.endpoint = endpoint
        self.clusterID = clusterID
    }

    private var base: String { "/kafka/v3/clusters/\(APIEndpoint.segment(clusterID))" }

    // MARK: Cluster and topics

    /// `GET /kafka/v3/clusters/{id}`: proves the endpoint serves this cluster and the credential works.
    public func describeCluster() async throws(ConfluentAPIError) -> String {
        let response = try await endpoint.call(.get, base)
        let object = try? JSON.parse(response.body)
        return object?["cluster_id"]?.stringValue ?? clusterID
    }

    public func listTopics() async throws(ConfluentAPIError) -> [Topic] {
        let path = base + "/topics"
        return try endpoint.decode(
            DataList<Topic>.self, from: try await endpoint.call(.get, path), request: "GET \(path)"
        ).data
    }

    /// The topic, or nil when it does not exist.
    public func topic(_ name: String) async throws(ConfluentAPIError) -> Topic? {
        let path = base + "/topics/\(APIEndpoint.segment(name))"
        let response = try await endpoint.exchange(.get, path)
        if response.status == 404 { return nil }
        guard response.isSuccess else {
            throw endpoint.failure(response, request: "GET \(path)")
        }
        return try endpoint.decode(Topic.self, from: response, request: "GET \(path)")
    }

    public func createTopic(
        _ name: String, partitions: Int, configs: [String: String] = [:]
    )
        async throws(ConfluentAPIError)
    {
        struct Body: Encodable {
            struct Config: Encodable {
                var name: String
                var value: String
            }
            var topic_name: String
            var partitions_count: Int
            var configs: [Config]
        }
        let body = Body(
            topic_name: name, partitions_count: partitions,
            configs: configs.sorted { $0.key < $1.key }.map { Body.Config(name: $0.key, value: $0.value) })
        try await endpoint.call(.post, base + "/topics", json: APIEndpoint.encode(body))
    }

    public func deleteTopic(_ name: String) async throws(ConfluentAPIError) {
        try await endpoint.call(.delete, base + "/topics/\(APIEndpoint.segment(name))")
    }

    /// Produces one STRING record; returns where it landed (partition, offset).
    public func produce(
        topic: String, value: String, key: String? = nil, partition: Int? = nil
    )
        async throws(ConfluentAPIError) -> ProduceResult
    {
        var object: [String: Any] = ["value": ["type": "STRING", "data": value]]
        if let key { object["key"] = ["type": "STRING", "data": key] }
        if let partition { object["partition_id"] = partition }
        let body = (try? JSONSerializationBridge.data(object)) ?? []
        let path = base + "/topics/\(APIEndpoint.segment(topic))/records"
        let response = try await endpoint.call(.post, path, json: body)
        let result = try endpoint.decode(ProduceResult.self, from: response, request: "POST \(path)")
        guard result.errorCode == 200 else {
            throw ConfluentAPIError(
                code: .badRequest, message: Redactor.redact(text: result.message ?? "the record was rejected"),
                endpoint: endpoint.label,
                request: "POST \(path)", status: response.status, apiErrorCode: String(result.errorCode))
        }
        return result
    }

    // MARK: ACLs

    public func createACLs(_ bindings: [ACLBinding]) async throws(ConfluentAPIError) {
        guard !bindings.isEmpty else { return }
        struct Batch: Encodable { var data: [ACLBinding] }
        try await endpoint.call(.post, base + "/acls:batch", json: APIEndpoint.encode(Batch(data: bindings)))
    }

    /// ACLs matching the filter (nil fields match anything).
    public func listACLs(
        resourceType: String? = nil, resourceName: String? = nil, principal: String? = nil, operation: String? = nil
    ) async throws(ConfluentAPIError) -> [ACLBinding] {
        var query: [(String, String)] = []
        if let resourceType { query.append(("resource_type", resourceType)) }
        if let resourceName { query.append(("resource_name", resourceName)) }
        if let principal { query.append(("principal", principal)) }
        if let operation { query.append(("operation", operation)) }
        let path = base + "/acls"
        let response = try await endpoint.call(.get, path, query: query)
        return try endpoint.decode(DataList<ACLBinding>.self, from: response, request: "GET \(path)").data
    }

    public func deleteACLs(matching binding: ACLBinding) async throws(ConfluentAPIError) {
        let query: [(String, String)] = [
            ("resource_type", binding.resourceType), ("resource_name", binding.resourceName),
            ("pattern_type", binding.patternType), ("principal", binding.principal), ("host", binding.host),
            ("operation", binding.operation), ("permission", binding.permission),
        ]
        try await endpoint.call(.delete, base + "/acls", query: query)
    }

    // MARK: Links

    public func listLinks() async throws(ConfluentAPIError) -> [Link] {
        let path = base + "/links"
        return try endpoint.decode(
            DataList<Link>.self, from: try await endpoint.call(.get, path), request: "GET \(path)"
        ).data
    }

    /// The link half on this cluster, or nil when there is none.
    public func link(_ name: String, includeTasks: Bool = false) async throws(ConfluentAPIError) -> Link? {
        let path = base + "/links/\(APIEndpoint.segment(name))"
        let response = try await endpoint.exchange(.get, path, query: includeTasks ? [("include_tasks", "true")] : [])
        if response.status == 404 { return nil }
        guard response.isSuccess else {
            throw endpoint.failure(response, request: "GET \(path)")
        }
        return try endpoint.decode(Link.self, from: response, request: "GET \(path)")
    }

    /// Creates a link half. The body is built in a wiped buffer because configs may carry credentials.
    public func createLink(
        _ name: String, sourceClusterID: String? = nil, destinationClusterID: String? = nil,
        clusterLinkID: String? = nil, configs: [LinkConfigEntry], validateOnly: Bool = false,
        validateLink: Bool = true
    ) async throws(ConfluentAPIError) {
        var writer = SensitiveJSONWriter()
        writer.raw("{")
        var fields: [String] = []
        if let sourceClusterID { fields.append("\"source_cluster_id\":\(Self.quote(sourceClusterID))") }
        if let destinationClusterID {
            fields.append("\"destination_cluster_id\":\(Self.quote(destinationClusterID))")
        }
        if let clusterLinkID { fields.append("\"cluster_link_id\":\(Self.quote(clusterLinkID))") }
        for field in fields { writer.raw(field + ",") }
        writer.raw("\"configs\":[")
        Self.writeConfigs(configs, into: &writer)
        writer.raw("]}")
        let body = writer.finishSensitive()
        defer { body.wipe() }
        try await endpoint.call(
            .post, base + "/links",
            query: [
                ("link_name", name), ("validate_only", String(validateOnly)), ("validate_link", String(validateLink)),
            ], sensitiveJSON: body, scrubbing: JAASConfig.scrubList(configs))
    }

    public func deleteLink(_ name: String, force: Bool = false) async throws(ConfluentAPIError) {
        try await endpoint.call(
            .delete, base + "/links/\(APIEndpoint.segment(name))", query: force ? [("force", "true")] : [])
    }

    public func linkConfigs(_ name: String) async throws(ConfluentAPIError) -> [LinkConfig] {
        let path = base + "/links/\(APIEndpoint.segment(name))/configs"
        return try endpoint.decode(
            DataList<LinkConfig>.self, from: try await endpoint.call(.get, path), request: "GET \(path)"
        )
        .data
    }

    /// `PUT …/configs:alter`: sets the given entries in one batch (credentials travel in a wiped buffer).
    public func alterLinkConfigs(_ name: String, set entries: [LinkConfigEntry]) async throws(ConfluentAPIError) {
        var writer = SensitiveJSONWriter()
        writer.raw("{\"data\":[")
        for (index, entry) in entries.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.raw("{\"name\":\(Self.quote(entry.name)),\"operation\":\"SET\",\"value\":")
            switch entry.value {
            case .plain(let value): writer.string(value)
            case .secret(let secret): writer.secret(secret)
            }
            writer.raw("}")
        }
        writer.raw("]}")
        let body = writer.finishSensitive()
        defer { body.wipe() }
        try await endpoint.call(
            .put, base + "/links/\(APIEndpoint.segment(name))/configs:alter", sensitiveJSON: body,
            scrubbing: JAASConfig.scrubList(entries))
    }

    // MARK: Mirrors

    public func createMirror(
        link: String, sourceTopic: String, mirrorTopic: String? = nil
    )
        async throws(ConfluentAPIError)
    {
        var object: [String: Any] = ["source_topic_name": sourceTopic]
        if let mirrorTopic, mirrorTopic != sourceTopic { object["mirror_topic_name"] = mirrorTopic }
        let body = (try? JSONSerializationBridge.data(object)) ?? []
        try await endpoint.call(.post, base + "/links/\(APIEndpoint.segment(link))/mirrors", json: body)
    }

    public func mirrors(link: String) async throws(ConfluentAPIError) -> [Mirror] {
        let path = base + "/links/\(APIEndpoint.segment(link))/mirrors"
        return try endpoint.decode(
            DataList<Mirror>.self, from: try await endpoint.call(.get, path), request: "GET \(path)"
        ).data
    }

    /// The mirror topic, or nil when it does not exist on this link.
    public func mirror(link: String, topic: String) async throws(ConfluentAPIError) -> Mirror? {
        let path = base + "/links/\(APIEndpoint.segment(link))/mirrors/\(APIEndpoint.segment(topic))"
        let response = try await endpoint.exchange(.get, path)
        if response.status == 404 { return nil }
        guard response.isSuccess else {
            throw endpoint.failure(response, request: "GET \(path)")
        }
        return try endpoint.decode(Mirror.self, from: response, request: "GET \(path)")
    }

    /// `:promote`, `:failover`, `:pause`, `:resume`: per-topic results (HTTP 200 carries per-topic errors).
    public func alterMirrors(
        link: String, action: MirrorAction, topics: [String], validateOnly: Bool = false
    )
        async throws(ConfluentAPIError) -> [AlterMirrorResult]
    {
        let body = (try? JSONSerializationBridge.data(["mirror_topic_names": topics])) ?? []
        let path = base + "/links/\(APIEndpoint.segment(link))/mirrors:\(action.rawValue)"
        let response = try await endpoint.call(
            .post, path, query: validateOnly ? [("validate_only", "true")] : [], json: body)
        return try endpoint.decode(DataList<AlterMirrorResult>.self, from: response, request: "POST \(path)").data
    }

    // MARK: Helpers

    static func writeConfigs(_ configs: [LinkConfigEntry], into writer: inout SensitiveJSONWriter) {
        for (index, entry) in configs.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.raw("{\"name\":\(quote(entry.name)),\"value\":")
            switch entry.value {
            case .plain(let value): writer.string(value)
            case .secret(let secret): writer.secret(secret)
            }
            writer.raw("}")
        }
    }

    static func quote(_ text: String) -> String {
        var writer = SensitiveJSONWriter()
        writer.string(text)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

enum JSONSerializationBridge {
    static func data(_ object: Any) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }
}
