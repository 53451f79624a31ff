import ConfluentSimulator
import JumpchainJSON
import Testing

@Suite("Link configs")
struct LinkConfigTests {
    typealias Demo = SimulatorConfig.JumpDemo

    @Test func sensitiveLinkConfigsComeBackNull() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        _ = try await world.setUpLeg1()
        let configs = try await SimHTTP.send("GET", world.api(Demo.origin) + "/links/leg1/configs", cred: world.origin)
        #expect(configs.status == 200)
        #expect(configs.json["kind"] == "KafkaLinkConfigDataList")
        let items = configs.json["data"]?.arrayValue ?? []
        for name in ["sasl.jaas.config", "local.sasl.jaas.config"] {
            let item = try #require(items.first { $0["name"] == .string(name) })
            #expect(item["value"] == .null)
            #expect(item["is_sensitive"] == true)
            #expect(item["source"] == "DYNAMIC_CLUSTER_LINK_CONFIG")
        }
        let leaked = configs.text.contains(world.origin.secret)  // a Bool: never print the secret
        #expect(!leaked)
        let bootstrap = try await SimHTTP.send(
            "GET", world.api(Demo.origin) + "/links/leg1/configs/bootstrap.servers", cred: world.origin)
        #expect(bootstrap.json["value"] == .string(world.sim.bootstrap(clusterID: Demo.jump)))
        #expect(bootstrap.json["is_sensitive"] == false)
        let one = try await SimHTTP.send(
            "GET", world.api(Demo.origin) + "/links/leg1/configs/sasl.jaas.config", cred: world.origin)
        #expect(one.json["value"] == .null)
    }

    @Test func linkConfigsPutDeleteAndAlter() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let leg = try await world.setUpLeg1()
        let base = world.api(Demo.jump) + "/links/leg1/configs"
        let put = try await SimHTTP.send(
            "PUT", base + "/consumer.offset.sync.enable", json: ["value": "true"], cred: leg.jumpOperator)
        #expect(put.status == 204)
        var read = try await SimHTTP.send("GET", base + "/consumer.offset.sync.enable", cred: leg.jumpOperator)
        #expect(read.json["value"] == "true")
        #expect(read.json["is_default"] == false)
        let delete = try await SimHTTP.send("DELETE", base + "/consumer.offset.sync.enable", cred: leg.jumpOperator)
        #expect(delete.status == 204)
        read = try await SimHTTP.send("GET", base + "/consumer.offset.sync.enable", cred: leg.jumpOperator)
        #expect(read.json["value"] == "false")
        #expect(read.json["source"] == "DEFAULT_CONFIG")
        let alter = try await SimHTTP.send(
            "PUT", base + ":alter",
            json: [
                "data": [
                    ["name": "acl.sync.ms", "value": "9000"], ["name": "topic.config.sync.ms", "operation": "DELETE"],
                ]
            ],
            cred: leg.jumpOperator)
        #expect(alter.status == 204)
        read = try await SimHTTP.send("GET", base + "/acl.sync.ms", cred: leg.jumpOperator)
        #expect(read.json["value"] == "9000")
        let readOnly = try await SimHTTP.send(
            "PUT", base + "/link.mode", json: ["value": "SOURCE"], cred: leg.jumpOperator)
        #expect(readOnly.status == 400)
    }

    @Test func jaasParsingFindsTheKey() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let leg = try await world.setUpLeg1()
        try await world.setUpLeg2(linkKey: leg.linkKey)
        let state = try await world.state()
        let leg2 = state["links"]?.arrayValue?.first { $0["link_name"] == "leg2" }
        #expect(leg2?["remote_api_key_id"] == .string(leg.linkKey.key))
    }
}
