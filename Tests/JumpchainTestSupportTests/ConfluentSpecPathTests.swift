import JumpchainTestSupport
import Testing

@Suite(.requiresSpecs) struct ConfluentSpecPathTests {
    @Test func loadsAllFiveConfluentCloudSpecsAndReportsParseTime() throws {
        let contract = try OpenAPIContract.confluentCloud()
        #expect(contract.specFiles.count == 5)
        #expect(contract.operations.count > 100)
        for (file, duration) in contract.loadDurations.sorted(by: { $0.key < $1.key }) {
            print("parsed \(file.split(separator: "/").last ?? "") in \(duration)")
        }
        // Loading again is served from the process-wide cache: same documents, no reparse.
        let again = try OpenAPIContract.confluentCloud()
        #expect(again.loadDurations == contract.loadDurations)
    }

    @Test(arguments: [
        ("GET", "/kafka/v3/clusters/lkc-1/links", "/kafka/v3/clusters/{cluster_id}/links", "listKafkaLinks"),
        (
            "POST", "/kafka/v3/clusters/lkc-1/links?link_name=L1&validate_link=false",
            "/kafka/v3/clusters/{cluster_id}/links", "createKafkaLink"
        ),
        (
            "GET", "/kafka/v3/clusters/lkc-1/links/L1", "/kafka/v3/clusters/{cluster_id}/links/{link_name}",
            "getKafkaLink"
        ),
        (
            "DELETE", "https://pkc-00000.us-east-1.aws.confluent.cloud/kafka/v3/clusters/lkc-1/links/L1?force=true",
            "/kafka/v3/clusters/{cluster_id}/links/{link_name}", "deleteKafkaLink"
        ),
        (
            "PUT", "/kafka/v3/clusters/lkc-1/links/L1/configs:alter",
            "/kafka/v3/clusters/{cluster_id}/links/{link_name}/configs:alter", "updateKafkaLinkConfigBatch"
        ),
        (
            "PUT", "/kafka/v3/clusters/lkc-1/links/L1/configs/acl.sync.enable",
            "/kafka/v3/clusters/{cluster_id}/links/{link_name}/configs/{config_name}", "updateKafkaLinkConfig"
        ),
        (
            "POST", "/kafka/v3/clusters/lkc-1/links/L1/mirrors",
            "/kafka/v3/clusters/{cluster_id}/links/{link_name}/mirrors", "createKafkaMirrorTopic"
        ),
        (
            "GET", "/kafka/v3/clusters/lkc-1/links/-/mirrors", "/kafka/v3/clusters/{cluster_id}/links/-/mirrors",
            "listKafkaMirrorTopics"
        ),
        (
            "GET", "/kafka/v3/clusters/lkc-1/links/-/mirrors/orders",
            "/kafka/v3/clusters/{cluster_id}/links/{link_name}/mirrors/{mirror_topic_name}", "readKafkaMirrorTopic"
        ),
        (
            "POST", "/kafka/v3/clusters/lkc-1/links/L1/mirrors:promote",
            "/kafka/v3/clusters/{cluster_id}/links/{link_name}/mirrors:promote", "updateKafkaMirrorTopicsPromote"
        ),
        (
            "POST", "/kafka/v3/clusters/lkc-1/links/L1/mirrors:failover",
            "/kafka/v3/clusters/{cluster_id}/links/{link_name}/mirrors:failover", "updateKafkaMirrorTopicsFailover"
        ),
        (
            "GET", "/kafka/v3/clusters/lkc-1/topics/-/configs", "/kafka/v3/clusters/{cluster_id}/topics/-/configs",
            "listKafkaAllTopicConfigs"
        ),
        (
            "GET", "/kafka/v3/clusters/lkc-1/topics/orders/configs",
            "/kafka/v3/clusters/{cluster_id}/topics/{topic_name}/configs", "listKafkaTopicConfigs"
        ),
        (
            "POST", "/kafka/v3/clusters/lkc-1/topics/orders/records",
            "/kafka/v3/clusters/{cluster_id}/topics/{topic_name}/records", "produceRecord"
        ),
        ("POST", "/iam/v2/api-keys", "/iam/v2/api-keys", "createIamV2ApiKey"),
        ("DELETE", "/iam/v2/api-keys/ABCDEFGH12345678", "/iam/v2/api-keys/{id}", "deleteIamV2ApiKey"),
        ("GET", "/iam/v2/service-accounts/sa-123", "/iam/v2/service-accounts/{id}", "getIamV2ServiceAccount"),
        ("GET", "/cmk/v2/clusters/lkc-1?environment=env-1", "/cmk/v2/clusters/{id}", "getCmkV2Cluster"),
        (
            "POST", "/networking/v1/network-link-endpoints", "/networking/v1/network-link-endpoints",
            "createNetworkingV1NetworkLinkEndpoint"
        ),
    ])
    func matchesConcretePathsToTemplates(method: String, path: String, template: String, operationId: String) throws {
        let contract = try OpenAPIContract.confluentCloud()
        let operation = try #require(contract.operation(method: method, path: path))
        #expect(operation.pathTemplate == template)
        #expect(operation.operationId == operationId)
        #expect(operation.method == method)
    }

    @Test func unknownPathsAndMethodsDoNotMatch() throws {
        let contract = try OpenAPIContract.confluentCloud()
        #expect(contract.operation(method: "GET", path: "/kafka/v3/clusters/lkc-1/links/L1/mirrors:promote") == nil)
        #expect(contract.operation(method: "PATCH", path: "/kafka/v3/clusters/lkc-1/links/L1") == nil)
        #expect(contract.operation(method: "GET", path: "/kafka/v3/clusters/lkc-1/nope") == nil)
        let violations = contract.validateResponse(method: "GET", path: "/nope", status: 200, body: [])
        #expect(violations.map(\.kind) == [.unknownOperation])
    }
}
