import ConfluentSimulator
import JumpchainJSON
import Testing

@Suite("Destination-initiated links")
struct DestinationInitiatedLinkTests {
    typealias Demo = SimulatorConfig.JumpDemo

    @Test func destinationInitiatedLinkNeedsReadOnSourceTopics() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let jumpOperator = try await world.createKey(owner: Demo.operatorUser, resource: Demo.jump)
        let linkKey = try await world.createKey(owner: Demo.linkServiceAccount, resource: Demo.jump)
        let topic = try await SimHTTP.send(
            "POST", world.api(Demo.jump) + "/topics", json: ["topic_name": "local", "partitions_count": 2],
            cred: jumpOperator)
        #expect(topic.status == 201)
        let link = try await SimHTTP.send(
            "POST", world.api(Demo.target) + "/links?link_name=l2",
            json: world.destinationInitiatedBody(linkKey: linkKey),
            cred: world.target)
        #expect(link.status == 204, "\(link.text)")
        let refused = try await SimHTTP.send(
            "POST", world.api(Demo.target) + "/links/l2/mirrors", json: ["source_topic_name": "local"],
            cred: world.target)
        #expect(refused.status == 403)
        #expect(refused.json["error_code"] == 40301)
        try await world.addACL(
            cluster: Demo.jump, with: jumpOperator, principal: "User:\(Demo.linkServiceAccount)", type: "TOPIC",
            name: "loc", operation: "READ", pattern: "PREFIXED")
        let allowed = try await SimHTTP.send(
            "POST", world.api(Demo.target) + "/links/l2/mirrors", json: ["source_topic_name": "local"],
            cred: world.target)
        #expect(allowed.status == 204)
    }

    @Test func destinationInitiatedLinkNeedsLiveKeyForSource() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        // A key for the wrong cluster (the target's own operator key) does not authenticate to the jump.
        let refused = try await SimHTTP.send(
            "POST", world.api(Demo.target) + "/links?link_name=l2",
            json: world.destinationInitiatedBody(linkKey: world.target), cred: world.target)
        #expect(refused.status == 400)
        #expect(refused.json["message"]?.stringValue?.contains("AUTHENTICATION_ERROR") == true)
    }

    @Test func linkCreationNeedsAlterOnCluster() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let linkKey = try await world.createKey(owner: Demo.linkServiceAccount, resource: Demo.jump)
        let refused = try await SimHTTP.send(
            "POST", world.api(Demo.jump) + "/links?link_name=x",
            json: [
                "source_cluster_id": .string(Demo.origin),
                "configs": DemoWorld.configs([("link.mode", "DESTINATION"), ("connection.mode", "INBOUND")]),
            ],
            cred: linkKey)
        #expect(refused.status == 403)
        #expect(refused.json["error_code"] == 40301)
    }

    @Test func duplicateAndMissingLinks() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let leg = try await world.setUpLeg1()
        try await world.setUpLeg2(linkKey: leg.linkKey)
        let again = try await SimHTTP.send(
            "POST", world.api(Demo.target) + "/links?link_name=leg2",
            json: world.destinationInitiatedBody(linkKey: leg.linkKey), cred: world.target)
        #expect(again.status == 400)
        #expect(again.json["error_code"] == 40002)
        let missing = try await SimHTTP.send("GET", world.api(Demo.target) + "/links/nope", cred: world.target)
        #expect(missing.status == 404)
        #expect(missing.json["error_code"] == 404)
        let inUse = try await SimHTTP.send("DELETE", world.api(Demo.target) + "/links/leg2", cred: world.target)
        #expect(inUse.status == 400)
        let list = try await SimHTTP.send("GET", world.api(Demo.target) + "/links", cred: world.target)
        #expect(list.json["kind"] == "KafkaLinkDataList")
        #expect(list.json["data"]?.arrayValue?.count == 1)
        let withTasks = try await SimHTTP.send(
            "GET", world.api(Demo.target) + "/links/leg2?include_tasks=true", cred: world.target)
        #expect(withTasks.json["tasks"]?.arrayValue?.isEmpty == false)
        let validateOnly = try await SimHTTP.send(
            "POST", world.api(Demo.target) + "/links?link_name=dry&validate_only=true",
            json: world.destinationInitiatedBody(linkKey: leg.linkKey), cred: world.target)
        #expect(validateOnly.status == 204)
        #expect(try await SimHTTP.send("GET", world.api(Demo.target) + "/links/dry", cred: world.target).status == 404)
    }
}
