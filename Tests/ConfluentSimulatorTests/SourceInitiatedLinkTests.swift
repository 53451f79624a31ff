import ConfluentSimulator
import JumpchainJSON
import Testing

@Suite("Source-initiated links")
struct SourceInitiatedLinkTests {
    typealias Demo = SimulatorConfig.JumpDemo

    @Test func sourceHalfRequiresDestinationHalfFirst() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let linkKey = try await world.createKey(owner: Demo.linkServiceAccount, resource: Demo.jump)
        let reply = try await SimHTTP.send(
            "POST", world.api(Demo.origin) + "/links?link_name=l1", json: world.sourceHalfBody(linkKey: linkKey),
            cred: world.origin)
        #expect(reply.status == 400)
        #expect(reply.json["error_code"] == 40002)
        #expect(reply.json["message"]?.stringValue?.contains("must be created on cluster \(Demo.jump)") == true)
    }

    @Test func sourceInitiatedLinkIsActiveWithBothHalvesAndSharesClusterLinkID() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let jumpOperator = try await world.createKey(owner: Demo.operatorUser, resource: Demo.jump)
        try await world.createDestinationHalf(name: "l1", jumpOperator: jumpOperator)
        let alone = try await world.link(Demo.jump, "l1", with: jumpOperator)
        #expect(alone["link_state"] == "UNAVAILABLE")
        #expect(alone["source_cluster_id"] == .string(Demo.origin))

        let leg = try await world.setUpLeg1Existing(name: "l1", jumpOperator: jumpOperator)
        let destination = try await world.link(Demo.jump, "l1", with: jumpOperator)
        let source = try await world.link(Demo.origin, "l1", with: world.origin)
        #expect(destination["link_state"] == "ACTIVE")
        #expect(source["link_state"] == "ACTIVE")
        #expect(source["destination_cluster_id"] == .string(Demo.jump))
        #expect(destination["cluster_link_id"] == source["cluster_link_id"])
        #expect(destination["topic_names"] == ["orders"])
        #expect(source["topic_names"] == [])
        try await world.eventually("orders mirrored to the jump") {
            try await world.endOffsets(Demo.jump, "orders") == world.endOffsets(Demo.origin, "orders")
        }
        let state = try await world.state()
        let halves = state["links"]?.arrayValue ?? []
        let sourceHalf = halves.first { $0["cluster_id"] == .string(Demo.origin) }
        #expect(sourceHalf?["remote_api_key_id"] == .string(leg.key))
        #expect(sourceHalf?["local_api_key_id"] == .string(world.origin.key))
    }

    @Test func sourceInitiatedRemoteKeyNeedsAlterOnDestinationCluster() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let jumpOperator = try await world.createKey(owner: Demo.operatorUser, resource: Demo.jump)
        let linkKey = try await world.createKey(owner: Demo.linkServiceAccount, resource: Demo.jump)
        try await world.createDestinationHalf(name: "l1", jumpOperator: jumpOperator)
        let refused = try await SimHTTP.send(
            "POST", world.api(Demo.origin) + "/links?link_name=l1", json: world.sourceHalfBody(linkKey: linkKey),
            cred: world.origin)
        #expect(refused.status == 400)
        #expect(refused.json["message"]?.stringValue?.contains("ALTER on CLUSTER") == true)
        let created = try await SimHTTP.send(
            "POST", world.api(Demo.origin) + "/links?link_name=l1&validate_link=false",
            json: world.sourceHalfBody(linkKey: linkKey), cred: world.origin)
        #expect(created.status == 204)
        #expect(try await world.link(Demo.jump, "l1", with: jumpOperator)["link_error"] == "AUTHENTICATION_ERROR")
        try await world.addACL(
            cluster: Demo.jump, with: jumpOperator, principal: "User:\(Demo.linkServiceAccount)", type: "CLUSTER",
            name: "kafka-cluster", operation: "ALTER")
        #expect(try await world.link(Demo.jump, "l1", with: jumpOperator)["link_state"] == "ACTIVE")
    }

    @Test func sourceInitiatedLocalCredentialsMustBeLiveForSource() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let jumpOperator = try await world.createKey(owner: Demo.operatorUser, resource: Demo.jump)
        try await world.createDestinationHalf(name: "l1", jumpOperator: jumpOperator)
        let body = world.sourceHalfBody(linkKey: jumpOperator, local: Cred(key: world.origin.key, secret: "wrong"))
        let refused = try await SimHTTP.send(
            "POST", world.api(Demo.origin) + "/links?link_name=l1", json: body, cred: world.origin)
        #expect(refused.status == 400)
        #expect(refused.json["message"]?.stringValue?.contains("AUTHENTICATION_ERROR") == true)
    }

    @Test func deletingEitherHalfStopsReplication() async throws {
        for deleteSource in [true, false] {
            let world = try await DemoWorld.start()
            // Hold replication until a half is gone, then lift the hold: nothing may move any more.
            try await world.setFaults(["linkThrottles": ["leg1": 0]])
            let leg = try await world.setUpLeg1()
            let url =
                deleteSource
                ? world.api(Demo.origin) + "/links/leg1" : world.api(Demo.jump) + "/links/leg1?force=true"
            let deleted = try await SimHTTP.send(
                "DELETE", url, cred: deleteSource ? world.origin : leg.jumpOperator)
            #expect(deleted.status == 200)
            try await world.setFaults([:])
            try await Task.sleep(nanoseconds: 200_000_000)
            #expect(try await world.endOffsets(Demo.jump, "orders") == [0, 0, 0, 0, 0, 0])
            let mirror = try await SimHTTP.send(
                "GET", world.api(Demo.jump) + "/links/-/mirrors", cred: leg.jumpOperator)
            let status = mirror.json["data"]?.arrayValue?.first?["mirror_status"]
            #expect(status == (deleteSource ? "LINK_FAILED" : "FAILED"))
            await world.stop()
        }
    }
}

extension DemoWorld {
    /// Completes leg 1 when the destination half already exists; returns the link key.
    func setUpLeg1Existing(name: String, jumpOperator: Cred) async throws -> Cred {
        let linkKey = try await createKey(owner: Demo.linkServiceAccount, resource: Demo.jump)
        try await addACL(
            cluster: Demo.jump, with: jumpOperator, principal: "User:\(Demo.linkServiceAccount)", type: "CLUSTER",
            name: "kafka-cluster", operation: "ALTER")
        try await createSourceHalf(name: name, linkKey: linkKey)
        let reply = try await SimHTTP.send(
            "POST", api(Demo.jump) + "/links/\(name)/mirrors", json: ["source_topic_name": "orders"],
            cred: jumpOperator)
        try #require(reply.status == 204, "mirror: \(reply.text)")
        return linkKey
    }
}
