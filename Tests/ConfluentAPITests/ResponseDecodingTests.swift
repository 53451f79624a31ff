import ConfluentAPI
import JumpchainHTTP
import JumpchainJSON
import JumpchainTestSupport
import Testing

/// Spec-valid responses (validated here first, so the fixtures are known good) decoded into the models.
@Suite("Response decoding")
struct ResponseDecodingTests {
    /// Nil when the specs are absent: the HTTP behaviour is still tested, only the spec checks are skipped.
    let contract: OpenAPIContract?

    init() throws {
        contract = try optionalContract()
    }

    private func expectValid(
        _ method: String, _ path: String, _ status: Int, _ body: JSON,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let contract else { return }
        let violations = contract.validateResponse(method: method, path: path, status: status, body: body.jsonBytes)
        #expect(reported(violations, "\(method) \(path) \(status)").isEmpty, sourceLocation: sourceLocation)
    }

    @Test("links: null and omitted ids, tasks with errors, unknown extensible states")
    func links() async throws {
        let list = Fixtures.collection("KafkaLinkDataList", "/links", [Fixtures.inboundLink, Fixtures.outboundLink])
        expectValid("GET", "/kafka/v3/clusters/lkc-jump/links", 200, list)
        expectValid("GET", "/kafka/v3/clusters/lkc-jump/links/leg1", 200, Fixtures.inboundLink)
        let harness = try Harness { request in
            request.pathOnly.hasSuffix("/links") ? Reply.json(200, list) : Reply.json(200, Fixtures.inboundLink)
        }
        let links = try await harness.kafka().listLinks()
        try #require(links.count == 2)
        let inbound = links[0]
        #expect(inbound.linkName == "leg1")
        #expect(inbound.clusterLinkID == "qz0HDEV-Qz2B5aPFpcWQJQ")
        #expect(inbound.sourceClusterID == "lkc-origin")
        #expect(inbound.destinationClusterID == nil)
        #expect(inbound.remoteClusterID == nil)
        #expect(inbound.topicNames == ["orders", "payments"])
        #expect(inbound.linkState == "ACTIVE")
        #expect(inbound.linkError == "NO_ERROR")
        #expect(inbound.linkErrorMessage == nil)
        let tasks = try #require(inbound.tasks)
        #expect(tasks.map(\.taskName) == ["ConsumerOffsetSync", "AclSync"])
        #expect(tasks[1].state == "IN_ERROR")
        #expect(tasks[1].errors.first?.errorCode == "MISCONFIGURATION_ERROR")
        #expect(tasks[1].errors.first?.errorMessage == "acl.filters is empty")
        #expect(!inbound.isHealthy, "a task in error makes the link unhealthy")

        let outbound = links[1]
        #expect(outbound.destinationClusterID == "lkc-jump")
        #expect(outbound.sourceClusterID == nil)
        #expect(outbound.topicNames.isEmpty)
        #expect(outbound.linkState == "AVAILABLE")
        #expect(outbound.tasks == nil)
        #expect(!outbound.isHealthy)

        let single = try await harness.kafka().link("leg1", includeTasks: true)
        #expect(single == inbound)
    }

    @Test("link configs: a sensitive value reads back as null")
    func linkConfigs() async throws {
        let list = Fixtures.collection(
            "KafkaLinkConfigDataList", "/links/leg1/configs",
            [
                Fixtures.linkConfig("link.mode", "SOURCE"),
                Fixtures.linkConfig("sasl.jaas.config", nil, sensitive: true),
                Fixtures.linkConfig("consumer.offset.sync.ms", "30000", isDefault: true),
            ])
        // The spec declares `value` as a non-nullable string, yet real servers (Terraform fixture
        // read_created_cluster_link_config.json) send null for sensitive entries: that is the only deviation.
        if let contract {
            let violations = contract.validateResponse(
                method: "GET", path: "/kafka/v3/clusters/lkc-jump/links/leg1/configs", status: 200,
                body: list.jsonBytes)
            #expect(violations.map { "\($0.kind) \($0.pointer)" } == ["null-not-allowed /data/1/value"])
        }
        let harness = try Harness(always: Reply.json(200, list))
        let configs = try await harness.kafka().linkConfigs("leg1")
        let request = try harness.onlyRequest()
        #expect(request.path == "/kafka/v3/clusters/lkc-jump/links/leg1/configs")
        try #require(configs.count == 3)
        #expect(configs[0].name == "link.mode")
        #expect(configs[0].value == "SOURCE")
        #expect(configs[0].source == "DYNAMIC_CLUSTER_LINK_CONFIG")
        #expect(configs[1].name == "sasl.jaas.config")
        #expect(configs[1].value == nil)
        #expect(configs[1].isSensitive == true)
        #expect(configs[2].isDefault == true)
        #expect(configs[2].source == "DEFAULT_CONFIG")
    }

    @Test("mirrors: lags per partition, 64-bit offsets, -1 for a new mirror")
    func mirrors() async throws {
        let list = Fixtures.collection(
            "KafkaMirrorDataList", "/links/leg1/mirrors", [Fixtures.mirror, Fixtures.pendingMirror])
        expectValid("GET", "/kafka/v3/clusters/lkc-jump/links/leg1/mirrors", 200, list)
        expectValid("GET", "/kafka/v3/clusters/lkc-jump/links/leg1/mirrors/orders", 200, Fixtures.mirror)
        let harness = try Harness { request in
            request.pathOnly.hasSuffix("/mirrors") ? Reply.json(200, list) : Reply.json(200, Fixtures.mirror)
        }
        let mirrors = try await harness.kafka().mirrors(link: "leg1")
        try #require(mirrors.count == 2)
        let orders = mirrors[0]
        #expect(orders.linkName == "leg1")
        #expect(orders.mirrorTopicName == "orders")
        #expect(orders.sourceTopicName == "orders")
        #expect(orders.numPartitions == 3)
        #expect(orders.mirrorStatus == "ACTIVE")
        #expect(orders.stateTimeMs == 1_700_000_000_123)
        #expect(
            orders.mirrorLags == [
                MirrorLag(partition: 0, lag: 0, lastSourceFetchOffset: 41),
                MirrorLag(partition: 1, lag: 5, lastSourceFetchOffset: 9_000_000_000),
                MirrorLag(partition: 2, lag: 0, lastSourceFetchOffset: -1),
            ])
        #expect(mirrors[1].mirrorTopicName == "jump.payments")
        #expect(mirrors[1].sourceTopicName == "payments")
        #expect(mirrors[1].mirrorStatus == "PENDING_MIRROR")
        #expect(mirrors[1].mirrorTopicError == "NO_ERROR")

        let single = try await harness.kafka().mirror(link: "leg1", topic: "orders")
        #expect(single == orders)
        #expect(harness.requests.last?.path == "/kafka/v3/clusters/lkc-jump/links/leg1/mirrors/orders")
    }

    @Test("alterMirrors: a per-topic error inside a 200 is returned, not thrown")
    func alterMirrorsPerTopicError() async throws {
        expectValid("POST", "/kafka/v3/clusters/lkc-jump/links/leg1/mirrors:promote", 200, Fixtures.promoteResult)
        let harness = try Harness(always: Reply.json(200, Fixtures.promoteResult))
        let results = try await harness.kafka().alterMirrors(
            link: "leg1", action: .promote, topics: ["orders", "payments"])
        try #require(results.count == 2)
        #expect(results[0].mirrorTopicName == "orders")
        #expect(results[0].errorCode == nil)
        #expect(results[0].errorMessage == nil)
        #expect(results[1].mirrorTopicName == "payments")
        #expect(results[1].errorCode == 400)
        #expect(results[1].errorMessage == "Topic 'payments' has already stopped its mirror from 'leg1'")
    }

    @Test("ACL list")
    func aclList() async throws {
        let list = Fixtures.collection(
            "KafkaAclList", "/acls",
            [Fixtures.acl("READ"), Fixtures.acl("ALTER", resourceType: "CLUSTER", name: "kafka-cluster")])
        expectValid("GET", "/kafka/v3/clusters/lkc-jump/acls", 200, list)
        let harness = try Harness(always: Reply.json(200, list))
        let acls = try await harness.kafka().listACLs(principal: "User:sa-12mgdv", operation: "READ")
        #expect(
            try harness.onlyRequest().path
                == "/kafka/v3/clusters/lkc-jump/acls?principal=User%3Asa-12mgdv&operation=READ")
        #expect(
            acls == [
                ACLBinding(
                    resourceType: "TOPIC", resourceName: "orders", principal: "User:sa-12mgdv", operation: "READ"),
                ACLBinding(
                    resourceType: "CLUSTER", resourceName: "kafka-cluster", principal: "User:sa-12mgdv",
                    operation: "ALTER"),
            ])
    }

    @Test("topic and topic list")
    func topic() async throws {
        expectValid("GET", "/kafka/v3/clusters/lkc-jump/topics/orders", 200, Fixtures.topic)
        let list = Fixtures.collection("KafkaTopicList", "/topics", [Fixtures.topic])
        expectValid("GET", "/kafka/v3/clusters/lkc-jump/topics", 200, list)
        let harness = try Harness { request in
            request.pathOnly.hasSuffix("/topics") ? Reply.json(200, list) : Reply.json(200, Fixtures.topic)
        }
        let topic = try #require(try await harness.kafka().topic("orders"))
        #expect(topic.topicName == "orders")
        #expect(topic.partitionsCount == 6)
        #expect(topic.replicationFactor == 3)
        #expect(topic.isInternal == false)
        #expect(try await harness.kafka().listTopics() == [topic])
    }

    @Test("produce result: partition and 64-bit offset")
    func produceResult() async throws {
        expectValid("POST", "/kafka/v3/clusters/lkc-origin/topics/orders/records", 200, Fixtures.produced)
        let harness = try Harness(always: Reply.json(200, Fixtures.produced))
        let result = try await harness.kafka("lkc-origin").produce(topic: "orders", value: "hello", key: "k01")
        #expect(result.errorCode == 200)
        #expect(result.partitionID == 2)
        #expect(result.offset == 8_589_934_592)
        #expect(result.message == nil)
    }

    @Test("API key create (202): key, owner, resource and the secret as a credential")
    func apiKeyCreate() async throws {
        let secret = "Zq1QQ+Ls3nKuQD/kCI0aa0RVWjUm6HjkG5CmVwSSH3x1pvbrLLrFFH5i5dVQyZmuAbCdEfGh"
        let body = Fixtures.apiKey(id: "7FJIYKQ4SGQDQ72H", secret: secret)
        expectValid("POST", "/iam/v2/api-keys", 202, body)
        let harness = try Harness(
            always: Reply.json(
                202, body, headers: [("Location", "https://api.confluent.cloud/iam/v2/api-keys/7FJIYKQ4SGQDQ72H")]))
        let created = try await harness.controlPlane.createAPIKey(
            owner: "sa-12mgdv", resource: "lkc-jump", environment: "env-abc123", displayName: "d", description: "d")
        #expect(created.key.id == "7FJIYKQ4SGQDQ72H")
        #expect(created.key.spec.owner?.id == "sa-12mgdv")
        #expect(created.key.spec.owner?.kind == "ServiceAccount")
        #expect(created.key.spec.resource?.id == "lkc-jump")
        #expect(created.key.spec.resource?.environment == "env-abc123")
        #expect(created.key.spec.displayName == "jumpchain leg keys")
        #expect(created.credential.key == "7FJIYKQ4SGQDQ72H")
        #expect(created.credential.secret.withBytes { Array($0) } == Array(secret.utf8))
    }

    @Test("API key get and service accounts")
    func apiKeyGetAndServiceAccounts() async throws {
        let key = Fixtures.apiKey(id: "7FJIYKQ4SGQDQ72H")
        expectValid("GET", "/iam/v2/api-keys/7FJIYKQ4SGQDQ72H", 200, key)
        let accounts: JSON = [
            "api_version": "iam/v2", "kind": "ServiceAccountList",
            "metadata": ["first": "https://api.confluent.cloud/iam/v2/service-accounts", "next": nil],
            "data": [Fixtures.serviceAccount("sa-12mgdv", "jumpchain"), Fixtures.serviceAccount("sa-9x", "other")],
        ]
        expectValid("GET", "/iam/v2/service-accounts", 200, accounts)
        let account = Fixtures.serviceAccount("sa-12mgdv", "jumpchain")
        expectValid("GET", "/iam/v2/service-accounts/sa-12mgdv", 200, account)
        let harness = try Harness { request in
            switch request.pathOnly {
            case "/iam/v2/api-keys/7FJIYKQ4SGQDQ72H": return Reply.json(200, key)
            case "/iam/v2/service-accounts": return Reply.json(200, accounts)
            case "/iam/v2/service-accounts/sa-12mgdv": return Reply.json(200, account)
            default:
                return Reply.json(
                    404, Fixtures.failure(status: 404, code: "not_found", title: "Not Found", detail: nil))
            }
        }
        let client = harness.controlPlane
        let fetched = try #require(try await client.apiKey("7FJIYKQ4SGQDQ72H"))
        #expect(fetched.id == "7FJIYKQ4SGQDQ72H")
        #expect(fetched.spec.resource?.id == "lkc-jump")
        let listed = try await client.listServiceAccounts()
        #expect(listed.map(\.id) == ["sa-12mgdv", "sa-9x"])
        #expect(listed[0].displayName == "jumpchain")
        #expect(listed[0].description == "jumpchain link owner")
        #expect(try await client.serviceAccount("sa-12mgdv") == listed[0])
        #expect(try await client.serviceAccount("sa-missing") == nil)
        #expect(harness.requests.map(\.path)[1] == "/iam/v2/service-accounts?page_size=100")
    }

    @Test("CMK cluster: its type (spec.config.kind); a refusal is a forbidden error, not a transient one")
    func cmkClusterKind() async throws {
        let standard: JSON = [
            "api_version": "cmk/v2", "kind": "Cluster", "id": "lkc-jump",
            "metadata": ["self": "https://api.confluent.cloud/cmk/v2/clusters/lkc-jump"],
            "spec": [
                "display_name": "jump", "availability": "SINGLE_ZONE", "cloud": "AWS", "region": "us-east-1",
                "config": ["kind": "Standard"],
                "environment": [
                    "id": "env-abc123", "related": "https://api.confluent.cloud/org/v2/environments/env-abc123",
                    "resource_name": "crn://confluent.cloud/organization=org-1/environment=env-abc123",
                ],
            ],
            "status": ["phase": "PROVISIONED"],
        ]
        expectValid("GET", "/cmk/v2/clusters/lkc-jump", 200, standard)
        let harness = try Harness { request in
            switch request.path {
            case "/cmk/v2/clusters/lkc-jump?environment=env-abc123": return Reply.json(200, standard)
            default:
                return Reply.json(
                    403,
                    Fixtures.failure(status: 403, code: "forbidden_access", title: "Forbidden", detail: "not yours"))
            }
        }
        let cluster = try await harness.controlPlane.cluster("lkc-jump", environment: "env-abc123")
        #expect(cluster.id == "lkc-jump" && cluster.kind == "Standard")
        do {
            _ = try await harness.controlPlane.cluster("lkc-other", environment: "env-abc123")
            Issue.record("a 403 was read as a cluster")
        } catch {
            #expect(error.code == .forbidden && !error.isTransient)
        }
    }
}
