import ConfluentSimulator
import Foundation
import JumpchainJSON
import Synchronization
import Testing

@Suite("Introspection, configuration and start-up")
struct IntrospectionTests {
    typealias Demo = SimulatorConfig.JumpDemo

    @Test func stateShowsClustersLinksMirrorsTopicsAndKeys() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let leg = try await world.setUpLeg1()
        let state = try await world.state()
        #expect(
            state["clusters"]?.arrayValue?.map { $0["id"] } == [
                .string(Demo.origin), .string(Demo.jump), .string(Demo.target),
            ])
        #expect(state["clusters"]?.arrayValue?[1]["public"] == true)
        #expect(state["links"]?.arrayValue?.count == 2)
        #expect(state["mirrors"]?.arrayValue?.first?["mirror_topic_name"] == "orders")
        #expect(state["topics"]?.arrayValue?.contains { $0["topic_name"] == "inventory" } == true)
        let key = state["api_keys"]?.arrayValue?.first { $0["id"] == .string(leg.linkKey.key) }
        // Compared as a Bool so a failure never prints the secret.
        let secretShown = key?["secret"]?.stringValue == leg.linkKey.secret
        #expect(secretShown)
        #expect(key?["owner"] == .string(Demo.linkServiceAccount))
        #expect(key?["resource"] == .string(Demo.jump))
        #expect(key?["revoked"] == false)
        let faults = try await SimHTTP.send("GET", world.control("/sim/v1/faults"), cred: nil)
        #expect(faults.json["latencyMs"] == 0)
    }

    @Test func yamlConfigLoadsEveryField() throws {
        let yaml = """
            organization: org-test
            environments: [env-a]
            networks:
              - {id: n-a, kind: PEERING, cloud: GCP, region: europe-west1, environment: env-a}
            clusters:
              - {id: lkc-a, name: a, environment: env-a, network: n-a}
              - {id: lkc-b}
            serviceAccounts:
              - {id: sa-1, name: one}
            users:
              - {id: u-1, admin: true}
            apiKeys:
              - {id: KEYA, secret: s, owner: u-1, resource: lkc-a}
              - {id: CLOUD, secret: c, owner: u-1}
            acls:
              - {cluster: lkc-a, principal: "User:sa-1", resourceType: TOPIC, resourceName: t, operation: READ}
            topics:
              - {cluster: lkc-a, name: t, partitions: 2, records: 5}
            producers:
              - {cluster: lkc-a, topic: t, recordsPerSecond: 3}
            networkLinkServices:
              - {id: nls-1, environment: env-a, network: n-a, acceptEnvironments: [env-a]}
            networkLinkEndpoints:
              - {id: nle-1, environment: env-a, network: n-a, service: nls-1}
            timing: {keyPropagationSeconds: 0.5, replicationRecordsPerSecond: 10}
            faults: {latencyMs: 5, seed: 7}
            """
        let config = try SimulatorConfig.load(yaml: yaml)
        #expect(config.clusters.count == 2)
        #expect(config.clusters[1].network == nil)
        #expect(config.acls.first?.patternType == "LITERAL")
        #expect(config.topics.first?.records == 5)
        #expect(config.timing.keyPropagationSeconds == 0.5)
        #expect(config.timing.tickIntervalSeconds == 0.05)
        #expect(config.faults.seed == 7)
        #expect(config.serviceAccounts.first?.admin == false)
        #expect(config.networkLinkEndpoints.first?.phase == "READY")
    }

    @Test func invalidConfigIsRefusedWithAClearMessage() async throws {
        let config = SimulatorConfig(clusters: [.init(id: "lkc-a", network: "n-missing")])
        do {
            _ = try await Simulator.start(config)
            Issue.record("expected a refusal")
        } catch let error as SimulatorError {
            #expect(error.code == .invalidConfig)
            #expect(error.description.contains("n-missing"))
        }
        #expect(throws: SimulatorError.self) { try SimulatorConfig.scenario(named: "nope") }
    }

    @Test func jumpDemoScenarioStartsAndWritesConnectionFile() async throws {
        // Start-up time is printed for the record, not asserted: speed belongs in benchmarks, not timed tests.
        let clock = ContinuousClock()
        let start = clock.now
        let sim = try await Simulator.start(
            try SimulatorConfig.scenario(named: "jump-demo"), revealOperatorSecrets: true)
        defer { Task { await sim.stop() } }
        print("jump-demo start-up: \(clock.now - start)")
        #expect(sim.ports.count == 4)
        #expect(Set(sim.ports.values).count == 4)
        #expect(sim.bootstrap(clusterID: Demo.jump) == "lkc-jump.sim.local:9092")
        let info = sim.connectionInfo
        #expect(info.clusters.map(\.network) == [Demo.originNetwork, nil, Demo.targetNetwork])
        #expect(Set(info.operatorKeys.compactMap(\.resource)) == [Demo.origin, Demo.target])
        #expect(info.operatorKeys.contains { $0.resource == nil })
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sim-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try sim.writeConnectionInfo(to: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let decoded = try JSONDecoder().decode(
            SimulatorConnectionInfo.self, from: try Data(contentsOf: URL(fileURLWithPath: path)))
        let roundTrips = decoded == info  // a Bool: the info holds operator secrets
        #expect(roundTrips)
        // A symlink planted where the staging file goes (a shared directory) is not followed: what it points to is
        // left as it was, and the connection file is a regular file of its own.
        let decoy = path + ".decoy"
        let planted = path + ".again"
        defer { for file in [decoy, planted] { try? FileManager.default.removeItem(atPath: file) } }
        try "untouched".write(toFile: decoy, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: planted + ".\(ProcessInfo.processInfo.processIdentifier).partial", withDestinationPath: decoy)
        try sim.writeConnectionInfo(to: planted)
        #expect(try String(contentsOfFile: decoy, encoding: .utf8) == "untouched")
        let plantedType = try FileManager.default.attributesOfItem(atPath: planted)[.type] as? FileAttributeType
        #expect(plantedType == .typeRegular)
        let plantedInfo = try JSONDecoder().decode(
            SimulatorConnectionInfo.self, from: try Data(contentsOf: URL(fileURLWithPath: planted)))
        let plantedRoundTrips = plantedInfo == info
        #expect(plantedRoundTrips)
        // The jump gets no operator key; the link account starts with no rights.
        let state = try? JSON.parse(sim.stateJSON())
        #expect(state?["api_keys"]?.arrayValue?.contains { $0["resource"] == .string(Demo.jump) } == false)
        let keyless = try await SimHTTP.send(
            "GET", sim.clusterRESTURL(clusterID: Demo.origin) + "/kafka/v3/clusters/\(Demo.origin)/topics", cred: nil)
        #expect(keyless.status == 401)
    }

    @Test func cmkClustersTellWhereEachClusterListens() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let list = try await SimHTTP.send(
            "GET", world.control("/cmk/v2/clusters?environment=\(Demo.environment)"), cred: world.cloud)
        #expect(list.status == 200)
        #expect(list.json["data"]?.arrayValue?.count == 3)
        let origin = try await SimHTTP.send(
            "GET", world.control("/cmk/v2/clusters/\(Demo.origin)?environment=\(Demo.environment)"), cred: world.cloud)
        #expect(origin.json["spec"]?["http_endpoint"] == .string(world.sim.clusterRESTURL(clusterID: Demo.origin)))
        #expect(origin.json["spec"]?["kafka_bootstrap_endpoint"] == "SASL_SSL://lkc-origin.sim.local:9092")
        #expect(origin.json["spec"]?["network"]?["id"] == .string(Demo.originNetwork))
        #expect(origin.json["status"]?["phase"] == "PROVISIONED")
    }

    @Test func producersAppendInTheBackground() async throws {
        let world = try await DemoWorld.start { config in
            config.producers = [.init(cluster: Demo.origin, topic: "inventory", recordsPerSecond: 100)]
        }
        defer { Task { await world.stop() } }
        try await world.eventually("producer appended") {
            try await world.endOffsets(Demo.origin, "inventory").reduce(0, +) > 90
        }
    }

    @Test func pausedProducersAppendNothingUntilResumed() async throws {
        var config = SimulatorConfig.jumpDemo()
        config.timing.tickIntervalSeconds = 0
        config.producers = [.init(cluster: Demo.origin, topic: "inventory", recordsPerSecond: 4)]
        let sim = try await Simulator.start(config, revealOperatorSecrets: true)
        defer { Task { await sim.stop() } }
        func total() -> Int64 {
            let state = try? JSON.parse(sim.stateJSON())
            let inventory = state?["topics"]?.arrayValue?.first {
                $0["topic_name"] == "inventory" && $0["cluster_id"] == .string(Demo.origin)
            }
            return (inventory?["end_offsets"]?.arrayValue ?? []).compactMap(\.intValue).reduce(0, +)
        }
        let base = Date().timeIntervalSince1970
        sim.tick(now: base)
        let paused = try await SimHTTP.send(
            "POST", sim.controlPlaneURL + "/sim/v1/producers", json: ["paused": true], cred: nil)
        #expect(paused.status == 200)
        let before = total()
        sim.tick(now: base + 2)
        #expect(total() == before, "a paused producer appended")
        let resumed = try await SimHTTP.send(
            "POST", sim.controlPlaneURL + "/sim/v1/producers", json: ["paused": false], cred: nil)
        #expect(resumed.status == 200)
        sim.tick(now: base + 4)
        #expect(total() == before + 8)
        let bad = try await SimHTTP.send("POST", sim.controlPlaneURL + "/sim/v1/producers", json: [:], cred: nil)
        #expect(bad.status == 400)
    }

    @Test func manualTickDrivesReplicationDeterministically() async throws {
        var config = SimulatorConfig.jumpDemo()
        config.timing.tickIntervalSeconds = 0
        config.timing.keyPropagationSeconds = 0
        config.timing.replicationRecordsPerSecond = 10
        config.producers = [.init(cluster: Demo.origin, topic: "inventory", recordsPerSecond: 4)]
        let sim = try await Simulator.start(config, revealOperatorSecrets: true)
        defer { Task { await sim.stop() } }
        let base = Date().timeIntervalSince1970
        sim.tick(now: base)
        sim.tick(now: base + 1)
        let state = try? JSON.parse(sim.stateJSON())
        let inventory = state?["topics"]?.arrayValue?.first { $0["topic_name"] == "inventory" }
        #expect(inventory?["end_offsets"] == [42, 42])
    }
}

@Suite("Serving from the CLI")
struct RunTests {
    @Test func runWritesConnectionFileReportsPortsAndStops() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sim-run-\(UUID().uuidString).json")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lines = Mutex<[String]>([])
        try await Simulator.run(
            try SimulatorConfig.scenario(named: "jump-demo"), connectionFile: path, revealOperatorSecrets: true,
            report: { line in lines.withLock { $0.append(line) } },
            until: {
                let info = try? JSONDecoder().decode(
                    SimulatorConnectionInfo.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
                let reply = try? await SimHTTP.send("GET", (info?.controlPlaneURL ?? "") + "/sim/v1/state", cred: nil)
                #expect(reply?.status == 200)
                #expect(info?.operatorKeys.count == 3)
            })
        let report = lines.withLock { $0 }
        #expect(report.first == "simulator connection file: \(path)")
        #expect(report.contains { $0.hasPrefix("cluster lkc-jump (jump, public)") })
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }
}
