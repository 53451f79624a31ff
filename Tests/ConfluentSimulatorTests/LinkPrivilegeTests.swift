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
}
