import ConfluentSimulator
import JumpchainJSON
import Testing

/// Links are judged by the ACLs of their keys' owners: an admin owner does not excuse a link key, and the
/// local key of a source-initiated link needs READ on the topics it pushes.
@Suite("Link privileges")
struct LinkPrivilegeTests {
    typealias Demo = SimulatorConfig.JumpDemo

    @Test func anAdminOwnedLinkKeyStillNeedsAlterOnTheDestination() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let jumpOperator = try await world.createKey(owner: Demo.operatorUser, resource: Demo.jump)
        try await world.createDestinationHalf(name: "l1", jumpOperator: jumpOperator)
        let refused = try await SimHTTP.send(
            "POST", world.api(Demo.origin) + "/links?link_name=l1", json: world.sourceHalfBody(linkKey: jumpOperator),
            cred: world.origin)
        #expect(refused.status == 400)
        #expect(refused.json["message"]?.stringValue?.contains("User:\(Demo.operatorUser) is not authorized") == true)
    }

    @Test func theLocalKeyOfASourceInitiatedLinkNeedsReadOnTheOriginTopics() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let jumpOperator = try await world.createKey(owner: Demo.operatorUser, resource: Demo.jump)
        let linkKey = try await world.createKey(owner: Demo.linkServiceAccount, resource: Demo.jump)
        let localKey = try await world.createKey(owner: Demo.linkServiceAccount, resource: Demo.origin)
        try await world.addACL(
            cluster: Demo.jump, with: jumpOperator, principal: "User:\(Demo.linkServiceAccount)", type: "CLUSTER",
            name: "kafka-cluster", operation: "ALTER")
        try await world.createDestinationHalf(name: "l1", jumpOperator: jumpOperator)
        let created = try await SimHTTP.send(
            "POST", world.api(Demo.origin) + "/links?link_name=l1",
            json: world.sourceHalfBody(linkKey: linkKey, local: localKey), cred: world.origin)
        try #require(created.status == 204, "\(created.text)")
        let mirror: JSON = ["source_topic_name": "orders"]
        let refused = try await SimHTTP.send(
            "POST", world.api(Demo.jump) + "/links/l1/mirrors", json: mirror,
            cred: jumpOperator)
        #expect(refused.status == 403)
        #expect(refused.json["message"]?.stringValue?.contains("not authorized to READ topic 'orders'") == true)
        try await world.addACL(
            cluster: Demo.origin, with: world.origin, principal: "User:\(Demo.linkServiceAccount)", type: "TOPIC",
            name: "orders", operation: "READ")
        let accepted = try await SimHTTP.send(
            "POST", world.api(Demo.jump) + "/links/l1/mirrors", json: mirror,
            cred: jumpOperator)
        #expect(accepted.status == 204, "\(accepted.text)")
    }

    @Test func anAdminOwnedLocalKeyGetsNoBypassEither() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let jumpOperator = try await world.createKey(owner: Demo.operatorUser, resource: Demo.jump)
        let linkKey = try await world.createKey(owner: Demo.linkServiceAccount, resource: Demo.jump)
        try await world.addACL(
            cluster: Demo.jump, with: jumpOperator, principal: "User:\(Demo.linkServiceAccount)", type: "CLUSTER",
            name: "kafka-cluster", operation: "ALTER")
        try await world.createDestinationHalf(name: "l1", jumpOperator: jumpOperator)
        // The operator's own origin key (an admin's) as the local key, with no READ ACL for the operator.
        let created = try await SimHTTP.send(
            "POST", world.api(Demo.origin) + "/links?link_name=l1",
            json: world.sourceHalfBody(linkKey: linkKey, local: world.origin), cred: world.origin)
        try #require(created.status == 204, "\(created.text)")
        let refused = try await SimHTTP.send(
            "POST", world.api(Demo.jump) + "/links/l1/mirrors", json: ["source_topic_name": "orders"],
            cred: jumpOperator)
        #expect(refused.status == 403, "\(refused.text)")
        #expect(refused.json["message"]?.stringValue?.contains("not authorized to READ topic 'orders'") == true)
    }

    @Test func aLeastPrivilegeOperatorHasExactlyItsRoles() async throws {
        let world = try await DemoWorld.start { config in
            config.users = SimulatorConfig.jumpDemoLeastPrivilege().users
        }
        defer { Task { await world.stop() } }
        // ResourceKeyAdmin: keys for the link service account and for itself on the clusters it administers.
        let linkKey = try await world.createKey(owner: Demo.linkServiceAccount, resource: Demo.jump)
        _ = try await world.createKey(owner: Demo.operatorUser, resource: Demo.jump)
        // Not a Cloud key, and no other control-plane API (networking is an organization admin's).
        let cloudKey = try await SimHTTP.send(
            "POST", world.control("/iam/v2/api-keys"),
            json: ["spec": ["display_name": "x", "owner": ["id": .string(Demo.operatorUser)]]], cred: world.cloud)
        #expect(cloudKey.status == 403, "\(cloudKey.text)")
        let networking = try await SimHTTP.send(
            "GET", world.control("/networking/v1/network-link-services?environment=\(Demo.environment)"),
            cred: world.cloud)
        #expect(networking.status == 403, "\(networking.text)")
        // CloudClusterAdmin: ACLs and links on its clusters without ACLs of its own.
        try await world.addACL(
            cluster: Demo.origin, with: world.origin, principal: "User:\(Demo.linkServiceAccount)", type: "TOPIC",
            name: "orders", operation: "READ")
        // The link service account's key is judged by its ACLs: none on the jump yet.
        let topics = try await SimHTTP.send("GET", world.api(Demo.jump) + "/topics/orders", cred: linkKey)
        #expect(topics.status == 403, "\(topics.status) \(topics.text)")
    }
}
