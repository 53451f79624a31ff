import ConfluentSimulator
import Foundation
import JumpchainJSON
import Testing

@Suite("Network reachability of links")
struct NetworkRuleTests {
    typealias Demo = SimulatorConfig.JumpDemo

    @Test func privateDestinationReachesPublicSource() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let leg = try await world.setUpLeg1()
        try await world.setUpLeg2(linkKey: leg.linkKey)
        #expect(try await world.link(Demo.target, "leg2", with: world.target)["link_state"] == "ACTIVE")
        try await world.eventually("orders reach the target") {
            let target = try await world.endOffsets(Demo.target, "orders")
            return target.reduce(0, +) == 300
        }
    }

    @Test func publicDestinationCannotReachPrivateSource() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let jumpOperator = try await world.createKey(owner: Demo.operatorUser, resource: Demo.jump)
        let body = world.destinationInitiatedBody(linkKey: world.origin, source: Demo.origin)
        let refused = try await SimHTTP.send(
            "POST", world.api(Demo.jump) + "/links?link_name=direct", json: body, cred: jumpOperator)
        #expect(refused.status == 400)
        #expect(refused.json["error_code"] == 40002)
        let message = refused.json["message"]?.stringValue ?? ""
        #expect(message.contains("BOOTSTRAP_TCP_CONNECTION_FAILED_ERROR"))
        #expect(message.contains("private"))

        let created = try await SimHTTP.send(
            "POST", world.api(Demo.jump) + "/links?link_name=direct&validate_link=false", json: body,
            cred: jumpOperator)
        #expect(created.status == 204)
        let link = try await world.link(Demo.jump, "direct", with: jumpOperator)
        #expect(link["link_error"] == "BOOTSTRAP_TCP_CONNECTION_FAILED_ERROR")
        #expect(link["link_state"] == "FAILED")
        let mirror = try await SimHTTP.send(
            "POST", world.api(Demo.jump) + "/links/direct/mirrors", json: ["source_topic_name": "orders"],
            cred: jumpOperator)
        #expect(mirror.status == 400)
    }

    @Test func privateSourceToPrivateDestinationInAnotherNetworkFails() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let body = world.destinationInitiatedBody(linkKey: world.origin, source: Demo.origin)
        let refused = try await SimHTTP.send(
            "POST", world.api(Demo.target) + "/links?link_name=direct", json: body, cred: world.target)
        #expect(refused.status == 400)
        #expect(refused.json["message"]?.stringValue?.contains("BOOTSTRAP_TCP_CONNECTION_FAILED_ERROR") == true)
    }

    @Test func sharedNetworkConnectsPrivateClusters() async throws {
        let world = try await DemoWorld.start { config in
            config.clusters.append(.init(id: "lkc-sibling", environment: Demo.environment, network: Demo.originNetwork))
            config.apiKeys.append(
                .init(id: "SIBLINGOPERATOR1", secret: "s1", owner: Demo.operatorUser, resource: "lkc-sibling"))
        }
        defer { Task { await world.stop() } }
        let sibling = Cred(key: "SIBLINGOPERATOR1", secret: "s1")
        let reply = try await SimHTTP.send(
            "POST", world.api("lkc-sibling") + "/links?link_name=same-net",
            json: world.destinationInitiatedBody(linkKey: world.origin, source: Demo.origin), cred: sibling)
        #expect(reply.status == 204, "\(reply.text)")
        #expect(try await world.link("lkc-sibling", "same-net", with: sibling)["link_state"] == "ACTIVE")
    }

    @Test func readyNetworkLinkEndpointConnectsPrivateNetworks() async throws {
        // Manual time: nothing is provisioned until the test ticks the world, so the early link create is refused
        // however long the calls take on a loaded machine; then the world ticks on its own clock.
        let world = try await DemoWorld.start {
            $0.timing.networkLinkProvisioningSeconds = 1.5
            $0.timing.tickIntervalSeconds = 0
        }
        defer { Task { await world.stop() } }
        // The target (Azure network) reads the origin (AWS network) once a service in the origin's network
        // accepts the target's network and an endpoint in the target's network points at it.
        let service = try await SimHTTP.send(
            "POST", world.control("/networking/v1/network-link-services"),
            json: [
                "spec": [
                    "display_name": "origin-nls", "environment": ["id": .string(Demo.environment)],
                    "network": ["id": .string(Demo.originNetwork)],
                    "accept": ["networks": [.string(Demo.targetNetwork)]],
                ]
            ], cred: world.cloud)
        #expect(service.status == 202)
        #expect(service.json["status"]?["phase"] == "PROVISIONING")
        let serviceID = try #require(service.json["id"]?.stringValue)
        let endpoint = try await SimHTTP.send(
            "POST", world.control("/networking/v1/network-link-endpoints"),
            json: [
                "spec": [
                    "display_name": "target-nle", "environment": ["id": .string(Demo.environment)],
                    "network": ["id": .string(Demo.targetNetwork)],
                    "network_link_service": ["id": .string(serviceID)],
                ]
            ], cred: world.cloud)
        #expect(endpoint.status == 202)
        let endpointID = try #require(endpoint.json["id"]?.stringValue)
        let body = world.destinationInitiatedBody(linkKey: world.origin, source: Demo.origin)
        let early = try await SimHTTP.send(
            "POST", world.api(Demo.target) + "/links?link_name=nl", json: body, cred: world.target)
        #expect(early.status == 400, "a link over a path still provisioning: \(early.text)")
        // From now on the world runs on its clock, from past the provisioning time.
        let ticker = Task {
            while !Task.isCancelled {
                world.sim.tick(now: Date().timeIntervalSince1970 + 1.5)
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        defer { ticker.cancel() }
        try await readyPathCarriesTheLink(world, endpointID: endpointID, body: body)
    }

    /// Once the endpoint is READY the link is created and mirrors; deleting the endpoint cuts the path.
    private func readyPathCarriesTheLink(_ world: DemoWorld, endpointID: String, body: JSON) async throws {
        try await world.eventually("endpoint READY") {
            let reply = try await SimHTTP.send(
                "GET",
                world.control("/networking/v1/network-link-endpoints/\(endpointID)?environment=\(Demo.environment)"),
                cred: world.cloud)
            return reply.json["status"]?["phase"] == "READY"
        }
        let created = try await SimHTTP.send(
            "POST", world.api(Demo.target) + "/links?link_name=nl", json: body, cred: world.target)
        #expect(created.status == 204, "\(created.text)")
        // The link reads with the operator's (admin) key, which still needs READ on what it mirrors.
        try await world.addACL(
            cluster: Demo.origin, with: world.origin, principal: "User:\(Demo.operatorUser)", type: "TOPIC",
            name: "payments", operation: "READ")
        let mirror = try await SimHTTP.send(
            "POST", world.api(Demo.target) + "/links/nl/mirrors", json: ["source_topic_name": "payments"],
            cred: world.target)
        #expect(mirror.status == 204)
        try await world.eventually("payments mirrored") {
            try await world.endOffsets(Demo.target, "payments") == [60, 60, 60]
        }
        // Removing the endpoint cuts the path: the link fails and its mirrors stop.
        let deleted = try await SimHTTP.send(
            "DELETE",
            world.control("/networking/v1/network-link-endpoints/\(endpointID)?environment=\(Demo.environment)"),
            cred: world.cloud)
        #expect(deleted.status == 204)
        let link = try await world.link(Demo.target, "nl", with: world.target)
        #expect(link["link_error"] == "BOOTSTRAP_TCP_CONNECTION_FAILED_ERROR")
        _ = try await SimHTTP.send(
            "POST", world.api(Demo.origin) + "/topics/payments/records",
            json: ["value": ["type": "STRING", "data": "x"]],
            cred: world.origin)
        try await Task.sleep(nanoseconds: 150_000_000)
        #expect(try await world.endOffsets(Demo.target, "payments").reduce(0, +) == 180)
        let shown = try await SimHTTP.send(
            "GET", world.api(Demo.target) + "/links/nl/mirrors/payments", cred: world.target)
        #expect(shown.json["mirror_status"] == "LINK_FAILED")
    }

    @Test func serviceThatDoesNotAcceptTheNetworkLeavesEndpointPendingAccept() async throws {
        let world = try await DemoWorld.start { config in
            config.networkLinkServices = [
                .init(id: "nls-closed", environment: Demo.environment, network: Demo.originNetwork, acceptNetworks: [])
            ]
        }
        defer { Task { await world.stop() } }
        let endpoint = try await SimHTTP.send(
            "POST", world.control("/networking/v1/network-link-endpoints"),
            json: [
                "spec": [
                    "environment": ["id": .string(Demo.environment)], "network": ["id": .string(Demo.targetNetwork)],
                    "network_link_service": ["id": "nls-closed"],
                ]
            ], cred: world.cloud)
        let id = try #require(endpoint.json["id"]?.stringValue)
        try await world.eventually("endpoint PENDING_ACCEPT") {
            let reply = try await SimHTTP.send(
                "GET", world.control("/networking/v1/network-link-endpoints/\(id)?environment=\(Demo.environment)"),
                cred: world.cloud)
            return reply.json["status"]?["phase"] == "PENDING_ACCEPT"
        }
        let refused = try await SimHTTP.send(
            "POST", world.api(Demo.target) + "/links?link_name=nl",
            json: world.destinationInitiatedBody(linkKey: world.origin, source: Demo.origin), cred: world.target)
        #expect(refused.status == 400)
    }

    @Test func bootstrapMustNameRemoteCluster() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let body: JSON = [
            "source_cluster_id": .string(Demo.jump),
            "configs": DemoWorld.configs([
                ("bootstrap.servers", "pkc-nowhere.example:9092"), ("sasl.jaas.config", DemoWorld.jaas(world.origin)),
            ]),
        ]
        let refused = try await SimHTTP.send(
            "POST", world.api(Demo.target) + "/links?link_name=bad", json: body, cred: world.target)
        #expect(refused.status == 400)
        #expect(refused.json["message"]?.stringValue?.contains("UNRESOLVABLE_BOOTSTRAP_ERROR") == true)
        let created = try await SimHTTP.send(
            "POST", world.api(Demo.target) + "/links?link_name=bad&validate_link=false", json: body, cred: world.target)
        #expect(created.status == 204)
        #expect(
            try await world.link(Demo.target, "bad", with: world.target)["link_error"] == "UNRESOLVABLE_BOOTSTRAP_ERROR"
        )
    }

    @Test func blackholedRemoteReportsTimeoutError() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let leg = try await world.setUpLeg1()
        try await world.setUpLeg2(linkKey: leg.linkKey)
        try await world.setFaults(["blackholed": [.string(Demo.jump)]])
        let link = try await world.link(Demo.target, "leg2", with: world.target)
        #expect(link["link_error"] == "TIMEOUT_ERROR")
        try await world.setFaults([:])
    }
}
