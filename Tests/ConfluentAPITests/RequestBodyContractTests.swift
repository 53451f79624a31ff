import ConfluentAPI
import JumpchainHTTP
import JumpchainJSON
import JumpchainTestSupport
import Testing

/// The bodies the client builds, as a real server receives them, checked against the spec request schemas;
/// paths and query strings are asserted exactly.
@Suite("Request bodies and paths")
struct RequestBodyContractTests {
    /// Nil when the specs are absent: the HTTP behaviour is still tested, only the spec checks are skipped.
    let contract: OpenAPIContract?

    init() throws {
        contract = try optionalContract()
    }

    /// Validates what the server received for `request` against the operation the path hits.
    private func expectValid(
        _ request: ScriptedHTTPServer.Request, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let contract else { return }
        let violations = contract.validateRequest(method: request.method, path: request.pathOnly, body: request.body)
        #expect(reported(violations, "\(request.method) \(request.pathOnly)").isEmpty, sourceLocation: sourceLocation)
    }

    private static func configs(_ body: JSON) -> [String: JSON] {
        var result: [String: JSON] = [:]
        for entry in body["configs"]?.arrayValue ?? [] {
            if let name = entry["name"]?.stringValue { result[name] = entry["value"] ?? .null }
        }
        return result
    }

    @Test("createLink, destination half of a source-initiated link (DESTINATION/INBOUND, source_cluster_id)")
    func createInboundLink() async throws {
        let harness = try Harness(always: Reply.empty(204))
        try await harness.kafka("lkc-jump").createLink(
            "leg1", sourceClusterID: "lkc-origin",
            configs: [
                LinkConfigEntry("link.mode", "DESTINATION"), LinkConfigEntry("connection.mode", "INBOUND"),
                LinkConfigEntry("consumer.offset.sync.enable", "true"),
            ])
        let request = try harness.onlyRequest()
        #expect(request.method == "POST")
        #expect(
            request.path == "/kafka/v3/clusters/lkc-jump/links?link_name=leg1&validate_only=false&validate_link=true")
        #expect(request.header("Content-Type") == "application/json")
        expectValid(request)
        let body = try request.json()
        #expect(body["source_cluster_id"] == "lkc-origin")
        #expect(isAbsent(body["destination_cluster_id"]))
        #expect(
            Self.configs(body) == [
                "link.mode": "DESTINATION", "connection.mode": "INBOUND", "consumer.offset.sync.enable": "true",
            ])
        // Order is kept: link.mode first, as the entries were given.
        #expect(body["configs"]?[0]?["name"] == "link.mode")
    }

    @Test("createLink, source half (SOURCE/OUTBOUND, destination_cluster_id, remote and local SASL)")
    func createOutboundLink() async throws {
        let harness = try Harness(always: Reply.empty(204))
        let jump = APICredential(key: "JUMPKEY000000001", secret: Secret("jump+secret/with=chars"))
        let origin = APICredential(key: "ORIGINKEY0000001", secret: Secret("origin-secret-value"))
        try await harness.kafka("lkc-origin").createLink(
            "leg 1/a", destinationClusterID: "lkc-jump", clusterLinkID: "qz0HDEV-Qz2B5aPFpcWQJQ",
            configs: [
                LinkConfigEntry("link.mode", "SOURCE"), LinkConfigEntry("connection.mode", "OUTBOUND"),
                LinkConfigEntry("bootstrap.servers", "pkc-jump.us-east-1.aws.confluent.cloud:9092"),
                LinkConfigEntry("security.protocol", "SASL_SSL"), LinkConfigEntry("sasl.mechanism", "PLAIN"),
                LinkConfigEntry("sasl.jaas.config", secret: JAASConfig.plain(jump)),
                LinkConfigEntry("local.security.protocol", "SASL_SSL"),
                LinkConfigEntry("local.sasl.mechanism", "PLAIN"),
                LinkConfigEntry("local.sasl.jaas.config", secret: JAASConfig.plain(origin)),
            ], validateOnly: true, validateLink: false)
        let request = try harness.onlyRequest()
        #expect(request.method == "POST")
        // The link name is percent-encoded in the query.
        #expect(
            request.path
                == "/kafka/v3/clusters/lkc-origin/links?link_name=leg%201%2Fa&validate_only=true&validate_link=false")
        expectValid(request)
        let body = try request.json()
        #expect(body["destination_cluster_id"] == "lkc-jump")
        #expect(isAbsent(body["source_cluster_id"]))
        #expect(body["cluster_link_id"] == "qz0HDEV-Qz2B5aPFpcWQJQ")
        let configs = Self.configs(body)
        #expect(configs.count == 9)
        #expect(configs["link.mode"] == "SOURCE")
        #expect(configs["bootstrap.servers"] == "pkc-jump.us-east-1.aws.confluent.cloud:9092")
        #expect(
            configs["sasl.jaas.config"]
                == .string(
                    "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"JUMPKEY000000001\""
                        + " password=\"jump+secret/with=chars\";"))
        #expect(
            configs["local.sasl.jaas.config"]
                == .string(
                    "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"ORIGINKEY0000001\""
                        + " password=\"origin-secret-value\";"))
    }

    @Test("alterLinkConfigs is a PUT to configs:alter with SET operations")
    func alterLinkConfigs() async throws {
        let harness = try Harness(always: Reply.empty(204))
        let jump = APICredential(key: "JUMPKEY000000001", secret: Secret("rotated-secret"))
        try await harness.kafka().alterLinkConfigs(
            "leg1",
            set: [
                LinkConfigEntry("consumer.offset.sync.ms", "10000"),
                LinkConfigEntry("sasl.jaas.config", secret: JAASConfig.plain(jump)),
            ])
        let request = try harness.onlyRequest()
        #expect(request.method == "PUT")
        #expect(request.path == "/kafka/v3/clusters/lkc-jump/links/leg1/configs:alter")
        expectValid(request)
        let body = try request.json()
        let data = try #require(body["data"]?.arrayValue)
        #expect(data.count == 2)
        #expect(data[0] == ["name": "consumer.offset.sync.ms", "operation": "SET", "value": "10000"])
        #expect(data[1]["operation"] == "SET")
        #expect(data[1]["value"]?.stringValue?.contains("password=\"rotated-secret\"") == true)
    }

    @Test("createMirror sends mirror_topic_name only when it differs from the source name")
    func createMirror() async throws {
        let harness = try Harness(always: Reply.empty(204))
        let client = harness.kafka()
        try await client.createMirror(link: "leg1", sourceTopic: "orders")
        try await client.createMirror(link: "leg1", sourceTopic: "payments", mirrorTopic: "jump.payments")
        try await client.createMirror(link: "leg1", sourceTopic: "audit", mirrorTopic: "audit")
        let requests = harness.requests
        try #require(requests.count == 3)
        for request in requests {
            #expect(request.method == "POST")
            #expect(request.path == "/kafka/v3/clusters/lkc-jump/links/leg1/mirrors")
            expectValid(request)
        }
        #expect(try requests[0].json() == ["source_topic_name": "orders"])
        #expect(try requests[1].json() == ["source_topic_name": "payments", "mirror_topic_name": "jump.payments"])
        #expect(try requests[2].json() == ["source_topic_name": "audit"])
    }

    @Test("alterMirrors posts mirror_topic_names to mirrors:<action>", arguments: MirrorAction.allCases)
    func alterMirrors(action: MirrorAction) async throws {
        let harness = try Harness(always: Reply.json(200, Fixtures.promoteResult))
        _ = try await harness.kafka().alterMirrors(link: "leg1", action: action, topics: ["orders", "payments"])
        _ = try await harness.kafka().alterMirrors(
            link: "leg1", action: action, topics: ["orders"], validateOnly: true)
        let requests = harness.requests
        try #require(requests.count == 2)
        #expect(requests[0].method == "POST")
        #expect(requests[0].path == "/kafka/v3/clusters/lkc-jump/links/leg1/mirrors:\(action.rawValue)")
        #expect(
            requests[1].path == "/kafka/v3/clusters/lkc-jump/links/leg1/mirrors:\(action.rawValue)?validate_only=true")
        for request in requests { expectValid(request) }
        #expect(try requests[0].json() == ["mirror_topic_names": ["orders", "payments"]])
    }

    @Test("createACLs posts one acls:batch with every binding; an empty list sends nothing")
    func createACLs() async throws {
        let harness = try Harness(always: Reply.empty(201))
        try await harness.kafka().createACLs([])
        #expect(harness.requests.isEmpty)
        try await harness.kafka().createACLs([
            ACLBinding(resourceType: "TOPIC", resourceName: "orders", principal: "User:sa-12mgdv", operation: "READ"),
            ACLBinding(
                resourceType: "CLUSTER", resourceName: "kafka-cluster", principal: "User:sa-12mgdv",
                operation: "ALTER"),
            ACLBinding(
                resourceType: "GROUP", resourceName: "jc-", patternType: "PREFIXED", principal: "User:sa-12mgdv",
                operation: "DESCRIBE", permission: "DENY"),
        ])
        let request = try harness.onlyRequest()
        #expect(request.method == "POST")
        #expect(request.path == "/kafka/v3/clusters/lkc-jump/acls:batch")
        expectValid(request)
        let data = try #require(try request.json()["data"]?.arrayValue)
        #expect(data.count == 3)
        #expect(
            data[2]
                == [
                    "resource_type": "GROUP", "resource_name": "jc-", "pattern_type": "PREFIXED",
                    "principal": "User:sa-12mgdv", "host": "*", "operation": "DESCRIBE", "permission": "DENY",
                ])
    }

    @Test("deleteACLs, deleteLink and link(includeTasks:) put their filters in the query")
    func queryOnlyCalls() async throws {
        let harness = try Harness { request in
            if request.method == "GET" { return Reply.json(200, Fixtures.inboundLink) }
            if request.pathOnly.hasSuffix("/acls") { return Reply.json(200, ["data": []]) }
            return Reply.empty(200)
        }
        let client = harness.kafka()
        try await client.deleteACLs(
            matching: ACLBinding(
                resourceType: "TOPIC", resourceName: "orders", principal: "User:sa-12mgdv", operation: "READ"))
        try await client.deleteLink("leg1")
        try await client.deleteLink("leg1", force: true)
        _ = try await client.link("leg1")
        _ = try await client.link("leg1", includeTasks: true)
        let paths = harness.requests.map { "\($0.method) \($0.path)" }
        #expect(
            paths == [
                "DELETE /kafka/v3/clusters/lkc-jump/acls?resource_type=TOPIC&resource_name=orders&pattern_type=LITERAL"
                    + "&principal=User%3Asa-12mgdv&host=%2A&operation=READ&permission=ALLOW",
                "DELETE /kafka/v3/clusters/lkc-jump/links/leg1",
                "DELETE /kafka/v3/clusters/lkc-jump/links/leg1?force=true",
                "GET /kafka/v3/clusters/lkc-jump/links/leg1",
                "GET /kafka/v3/clusters/lkc-jump/links/leg1?include_tasks=true",
            ])
        for request in harness.requests { expectValid(request) }
    }

    @Test("createTopic sends name, partitions and sorted configs")
    func createTopic() async throws {
        let harness = try Harness(always: Reply.json(201, Fixtures.topic))
        try await harness.kafka().createTopic(
            "orders", partitions: 6, configs: ["retention.ms": "604800000", "cleanup.policy": "delete"])
        let request = try harness.onlyRequest()
        #expect(request.method == "POST")
        #expect(request.path == "/kafka/v3/clusters/lkc-jump/topics")
        expectValid(request)
        #expect(
            try request.json()
                == [
                    "topic_name": "orders", "partitions_count": 6,
                    "configs": [
                        ["name": "cleanup.policy", "value": "delete"], ["name": "retention.ms", "value": "604800000"],
                    ],
                ])
    }

    @Test("produce sends a STRING record, with key and partition when given")
    func produce() async throws {
        let harness = try Harness(always: Reply.json(200, Fixtures.produced))
        let client = harness.kafka("lkc-origin")
        _ = try await client.produce(topic: "orders", value: "hello \"world\"")
        _ = try await client.produce(topic: "orders", value: "v", key: "k1", partition: 2)
        let requests = harness.requests
        try #require(requests.count == 2)
        for request in requests {
            #expect(request.method == "POST")
            #expect(request.path == "/kafka/v3/clusters/lkc-origin/topics/orders/records")
            expectValid(request)
        }
        #expect(try requests[0].json() == ["value": ["type": "STRING", "data": "hello \"world\""]])
        #expect(
            try requests[1].json()
                == [
                    "value": ["type": "STRING", "data": "v"], "key": ["type": "STRING", "data": "k1"],
                    "partition_id": 2,
                ])
    }

    @Test("createAPIKey sends spec.owner and, for a cluster key, spec.resource with its environment")
    func createAPIKey() async throws {
        let harness = try Harness(
            always: Reply.json(202, Fixtures.apiKey(id: "7FJIYKQ4SGQDQ72H", secret: String(repeating: "s", count: 64))))
        _ = try await harness.controlPlane.createAPIKey(
            owner: "sa-12mgdv", resource: "lkc-jump", environment: "env-abc123", displayName: "jumpchain jump key",
            description: "link credentials for the jump cluster")
        _ = try await harness.controlPlane.createAPIKey(
            owner: "sa-12mgdv", resource: nil, environment: nil, displayName: "cloud key", description: "")
        let requests = harness.requests
        try #require(requests.count == 2)
        for request in requests {
            #expect(request.method == "POST")
            #expect(request.path == "/iam/v2/api-keys")
            expectValid(request)
        }
        #expect(
            try requests[0].json()
                == [
                    "spec": [
                        "display_name": "jumpchain jump key", "description": "link credentials for the jump cluster",
                        "owner": ["id": "sa-12mgdv"], "resource": ["id": "lkc-jump", "environment": "env-abc123"],
                    ]
                ])
        #expect(isAbsent(try requests[1].json()["spec"]?["resource"]))
    }
}

@Suite("Paths")
struct PathTests {
    @Test("names are percent-encoded as single path segments; describeCluster reads cluster_id")
    func segments() async throws {
        let harness = try Harness { request in
            request.pathOnly == "/kafka/v3/clusters/lkc-jump"
                ? Reply.raw(200, #"{"kind":"KafkaCluster","metadata":{"self":"x"},"cluster_id":"lkc-jump"}"#)
                : Reply.raw(404, #"{"error_code":404,"message":"not found"}"#)
        }
        #expect(try await harness.kafka().describeCluster() == "lkc-jump")
        #expect(try await harness.kafka().topic("orders/v2 ü") == nil)
        #expect(try await harness.kafka().mirror(link: "leg:1", topic: "a?b") == nil)
        #expect(
            harness.requests.map(\.path) == [
                "/kafka/v3/clusters/lkc-jump", "/kafka/v3/clusters/lkc-jump/topics/orders%2Fv2%20%C3%BC",
                "/kafka/v3/clusters/lkc-jump/links/leg%3A1/mirrors/a%3Fb",
            ])
    }
}
