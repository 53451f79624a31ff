import ConfluentSimulator
import Foundation
import JumpchainJSON
import JumpchainTestSupport
import Testing

@Suite("Consumer groups")
struct ConsumerGroupTests {
    typealias Demo = SimulatorConfig.JumpDemo

    /// Committed offsets of `group` on `cluster` as `/lags` reports them: topic → [partition: offset].
    static func committed(
        _ world: DemoWorld, _ cluster: String, _ group: String, with cred: Cred
    ) async throws
        -> [String: [Int64: Int64]]
    {
        let reply = try await SimHTTP.send("GET", world.api(cluster) + "/consumer-groups/\(group)/lags", cred: cred)
        guard reply.status == 200 else { return [:] }
        var result: [String: [Int64: Int64]] = [:]
        for item in reply.json["data"]?.arrayValue ?? [] {
            result[item["topic_name"]!.stringValue!, default: [:]][item["partition_id"]!.intValue!] =
                item["current_offset"]!.intValue!
        }
        return result
    }

    @Test func declaredGroupsAndConsumersReadThroughKafkaREST() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let origin = world.api(Demo.origin)
        let list = try await SimHTTP.send("GET", origin + "/consumer-groups", cred: world.origin)
        #expect(list.status == 200)
        #expect(list.json["kind"]?.stringValue == "KafkaConsumerGroupList")
        let ids = list.json["data"]?.arrayValue?.compactMap { $0["consumer_group_id"]?.stringValue }
        #expect(ids == [Demo.consumerGroup, Demo.idleGroup])

        let active = try await SimHTTP.send(
            "GET", origin + "/consumer-groups/\(Demo.consumerGroup)", cred: world.origin)
        #expect(active.json["state"]?.stringValue == "STABLE")
        #expect(active.json["is_simple"]?.boolValue == false)
        let idle = try await SimHTTP.send("GET", origin + "/consumer-groups/\(Demo.idleGroup)", cred: world.origin)
        #expect(idle.json["state"]?.stringValue == "EMPTY")

        let members = try await SimHTTP.send(
            "GET", origin + "/consumer-groups/\(Demo.consumerGroup)/consumers", cred: world.origin)
        #expect(members.json["data"]?.arrayValue?.count == 1)
        #expect(
            members.json["data"]?.arrayValue?.first?["consumer_id"]?.stringValue == "\(Demo.consumerGroup)-consumer-1")

        // payments-audit: committed 60/55/50 on a 3×60 topic.
        let lags = try await SimHTTP.send("GET", origin + "/consumer-groups/\(Demo.idleGroup)/lags", cred: world.origin)
        let rows = lags.json["data"]?.arrayValue ?? []
        #expect(rows.map { $0["current_offset"]?.intValue } == [60, 55, 50])
        #expect(rows.map { $0["log_end_offset"]?.intValue } == [60, 60, 60])
        #expect(rows.map { $0["lag"]?.intValue } == [0, 5, 10])
        #expect(rows.map { $0["consumer_id"]?.stringValue } == ["", "", ""])
        let one = try await SimHTTP.send(
            "GET", origin + "/consumer-groups/\(Demo.idleGroup)/lags/payments/partitions/1", cred: world.origin)
        #expect(one.json["current_offset"]?.intValue == 55)
        let summary = try await SimHTTP.send(
            "GET", origin + "/consumer-groups/\(Demo.idleGroup)/lag-summary", cred: world.origin)
        #expect(summary.json["max_lag"]?.intValue == 10)
        #expect(summary.json["max_lag_partition_id"]?.intValue == 2)
        #expect(summary.json["total_lag"]?.intValue == 15)

        // The live consumer starts at 40 per partition and stops at the log end (50: no producer here).
        try await world.eventually("orders-app caught up") {
            let offsets = try await Self.committed(world, Demo.origin, Demo.consumerGroup, with: world.origin)
            return offsets["orders"] == Dictionary(uniqueKeysWithValues: (0..<6).map { (Int64($0), Int64(50)) })
        }
        let caughtUp = try await SimHTTP.send(
            "GET", origin + "/consumer-groups/\(Demo.consumerGroup)/lag-summary", cred: world.origin)
        #expect(caughtUp.json["total_lag"]?.intValue == 0)

        let missing = try await SimHTTP.send("GET", origin + "/consumer-groups/nope", cred: world.origin)
        #expect(missing.status == 404)
        let noPartition = try await SimHTTP.send(
            "GET", origin + "/consumer-groups/\(Demo.idleGroup)/lags/orders/partitions/0", cred: world.origin)
        #expect(noPartition.status == 404)
    }

    @Test func consumersCommitBehindTheProducer() async throws {
        let world = try await DemoWorld.start { config in
            config.timing.tickIntervalSeconds = 0
            config.producers = [SimulatorConfig.Producer(cluster: Demo.origin, topic: "orders", recordsPerSecond: 60)]
            config.consumers = [
                SimulatorConfig.Consumer(
                    cluster: Demo.origin, group: Demo.consumerGroup, topic: "orders", recordsPerSecond: 1000)
            ]
        }
        defer { Task { await world.stop() } }
        let start = Date().timeIntervalSince1970 + 1
        world.sim.tick(now: start)
        for step in 1..<4 {
            world.sim.tick(now: start + Double(step))
            let ends = try await world.endOffsets(Demo.origin, "orders")
            let offsets = try await Self.committed(world, Demo.origin, Demo.consumerGroup, with: world.origin)
            // A fast consumer commits exactly up to the log end, never beyond it.
            #expect(offsets["orders"] == Dictionary(uniqueKeysWithValues: ends.enumerated().map { (Int64($0), $1) }))
        }
        #expect(try await world.endOffsets(Demo.origin, "orders") == Array(repeating: 80, count: 6))
    }

    @Test func groupsThatDoNotFitTheWorldAreRefused() async throws {
        var config = SimulatorConfig.jumpDemo()
        config.consumerGroups = [
            SimulatorConfig.ConsumerGroup(cluster: Demo.origin, group: "g", topic: "payments", offsets: [61])
        ]
        await #expect(throws: SimulatorError.self) { try await Simulator.start(config) }
        config.consumerGroups = []
        config.consumers = [
            SimulatorConfig.Consumer(cluster: "lkc-nowhere", group: "g", topic: "orders", recordsPerSecond: 1)
        ]
        await #expect(throws: SimulatorError.self) { try await Simulator.start(config) }
        let yaml = """
            clusters: [{id: lkc-a}]
            topics: [{cluster: lkc-a, name: t, partitions: 2, records: 10}]
            consumerGroups: [{cluster: lkc-a, group: g, topic: t, offsets: [3, 4]}]
            consumers: [{cluster: lkc-a, group: g, topic: t, recordsPerSecond: 2}]
            """
        let loaded = try SimulatorConfig.load(yaml: yaml)
        #expect(loaded.consumerGroups == [.init(cluster: "lkc-a", group: "g", topic: "t", offsets: [3, 4])])
        #expect(loaded.consumers == [.init(cluster: "lkc-a", group: "g", topic: "t", recordsPerSecond: 2)])
    }

    @Test func groupEndpointsMatchTheOpenAPIDocuments() async throws {
        guard let contract = try? OpenAPIContract.confluentCloud() else {
            print("OpenAPI documents not found (\(SpecLocator.current.reason)); contract test skipped")
            return
        }
        let recorder = ContractRecorder(contract: contract)
        try await SimHTTP.$recorder.withValue(recorder) {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let sync = try await OffsetSyncWorld.start(world)
            try await sync.enable(cluster: Demo.jump, link: "leg1", with: sync.jumpOperator)
            try await world.eventually("offsets on the jump") {
                try await Self.committed(world, Demo.jump, Demo.idleGroup, with: sync.jumpOperator)["payments"] != nil
            }
            let origin = world.api(Demo.origin)
            for path in [
                "/consumer-groups", "/consumer-groups/\(Demo.consumerGroup)",
                "/consumer-groups/\(Demo.consumerGroup)/consumers", "/consumer-groups/\(Demo.consumerGroup)/lags",
                "/consumer-groups/\(Demo.consumerGroup)/lags/orders/partitions/3",
                "/consumer-groups/\(Demo.consumerGroup)/lag-summary", "/consumer-groups/\(Demo.idleGroup)/lag-summary",
            ] {
                let reply = try await SimHTTP.send("GET", origin + path, cred: world.origin)
                #expect(reply.status == 200, "\(path): \(reply.text)")
            }
            for path in [
                "/consumer-groups", "/consumer-groups/\(Demo.idleGroup)",
                "/consumer-groups/\(Demo.idleGroup)/consumers",
                "/consumer-groups/\(Demo.idleGroup)/lags", "/consumer-groups/\(Demo.idleGroup)/lag-summary",
                "/links/leg1?include_tasks=true",
            ] {
                let reply = try await SimHTTP.send("GET", world.api(Demo.jump) + path, cred: sync.jumpOperator)
                #expect(reply.status == 200, "\(path): \(reply.text)")
            }
            // 404 for an unknown group is a listed deviation (the spec declares no 404 on these paths).
            for path in ["/consumer-groups/nope", "/consumer-groups/nope/lags"] {
                let reply = try await SimHTTP.send("GET", world.api(Demo.jump) + path, cred: sync.jumpOperator)
                #expect(reply.status == 404)
            }
            // A task in error, with its errors list.
            _ = try await SimHTTP.send(
                "DELETE", origin + "/acls?resource_type=GROUP&pattern_type=ANY&operation=DESCRIBE&permission=ALLOW",
                cred: world.origin)
            try await world.eventually("ConsumerOffsetSync in error") {
                let link = try await world.link(Demo.jump, "leg1?include_tasks=true", with: sync.jumpOperator)
                let task = link["tasks"]?.arrayValue?.first { $0["task_name"]?.stringValue == "ConsumerOffsetSync" }
                return task?["state"]?.stringValue == "IN_ERROR"
            }
        }
        print("contract: checked \(recorder.checked) responses")
        #expect(recorder.checked >= 13)
        #expect(recorder.violations == [])
    }
}
