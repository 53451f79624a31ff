import ConfluentSimulator
import Foundation
import JumpchainJSON
import Testing

/// `auto.create.mirror.topics.enable` and `auto.create.mirror.topics.filters` on both legs of the demo chain:
/// new origin topics reach the target through the jump without anyone creating a mirror.
@Suite("auto-created mirror topics")
struct AutoCreateTests {
    typealias Demo = SimulatorConfig.JumpDemo

    static func filters(_ entries: [(String, String, String)]) -> String {
        let items = entries.map { #"{"name":"\#($0.0)","patternType":"\#($0.1)","filterType":"\#($0.2)"}"# }
        return #"{"topicFilters":["# + items.joined(separator: ",") + "]}"
    }

    func alter(
        _ world: DemoWorld, _ cluster: String, _ link: String, cred: Cred, _ pairs: [(String, String)]
    )
        async throws
    {
        let reply = try await SimHTTP.send(
            "PUT", world.api(cluster) + "/links/\(link)/configs:alter",
            json: ["data": .array(pairs.map { ["name": .string($0.0), "value": .string($0.1)] })], cred: cred)
        try #require(reply.status == 204, "configs:alter: \(reply.status) \(reply.text)")
    }

    func mirrors(_ world: DemoWorld, _ cluster: String, _ link: String, cred: Cred) async throws -> [String: String] {
        let reply = try await SimHTTP.send("GET", world.api(cluster) + "/links/\(link)/mirrors", cred: cred)
        var result: [String: String] = [:]
        for item in reply.json["data"]?.arrayValue ?? [] {
            result[item["mirror_topic_name"]?.stringValue ?? ""] = item["source_topic_name"]?.stringValue
        }
        return result
    }

    @Test(
        "filters pick the source topics (EXCLUDE wins, ACLs apply); a new origin topic reaches the target with its offsets"
    )
    func chainedAutoCreate() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let leg1 = try await world.setUpLeg1(mirror: [])
        try await world.setUpLeg2(linkKey: leg1.linkKey, mirror: [])
        // Leg 2's reader may not READ `payments` on the jump: it is never auto-created on the target.
        let deny = try await SimHTTP.send(
            "POST", world.api(Demo.jump) + "/acls",
            json: [
                "resource_type": "TOPIC", "resource_name": "payments", "pattern_type": "LITERAL",
                "principal": .string("User:\(Demo.linkServiceAccount)"), "host": "*", "operation": "READ",
                "permission": "DENY",
            ], cred: leg1.jumpOperator)
        try #require(deny.status == 201, "\(deny.text)")
        let leg1Filters = Self.filters([
            ("orders", "PREFIXED", "INCLUDE"), ("payments", "LITERAL", "INCLUDE"), ("orders-tmp", "LITERAL", "EXCLUDE"),
        ])
        try await alter(
            world, Demo.jump, "leg1", cred: leg1.jumpOperator,
            [("auto.create.mirror.topics.enable", "true"), ("auto.create.mirror.topics.filters", leg1Filters)])
        try await alter(
            world, Demo.target, "leg2", cred: world.target,
            [
                ("auto.create.mirror.topics.enable", "true"),
                ("auto.create.mirror.topics.filters", Self.filters([("*", "LITERAL", "INCLUDE")])),
            ])
        for name in ["orders-eu", "orders-tmp"] {
            let created = try await SimHTTP.send(
                "POST", world.api(Demo.origin) + "/topics",
                json: ["topic_name": .string(name), "partitions_count": 2], cred: world.origin)
            try #require(created.status == 201, "\(created.text)")
        }
        for _ in 0..<3 {
            let produced = try await SimHTTP.send(
                "POST", world.api(Demo.origin) + "/topics/orders-eu/records",
                json: ["value": ["type": "STRING", "data": "refund"]], cred: world.origin)
            try #require(produced.status == 200, "\(produced.text)")
        }
        let originEnds = try await world.endOffsets(Demo.origin, "orders-eu")
        #expect(originEnds.reduce(0, +) == 3)
        try await world.eventually("orders-eu on the target with the origin's offsets") {
            try await world.endOffsets(Demo.target, "orders-eu") == originEnds
        }
        let onJump = try await mirrors(world, Demo.jump, "leg1", cred: leg1.jumpOperator)
        #expect(onJump == ["orders": "orders", "orders-eu": "orders-eu", "payments": "payments"], "\(onJump)")
        let onTarget = try await mirrors(world, Demo.target, "leg2", cred: world.target)
        #expect(onTarget == ["orders": "orders", "orders-eu": "orders-eu"], "\(onTarget)")
        let ordersEnds = try await world.endOffsets(Demo.origin, "orders")
        try await world.eventually("orders on the target with the origin's offsets") {
            try await world.endOffsets(Demo.target, "orders") == ordersEnds
        }

        // The configs read back, and the task is ACTIVE.
        let configs = try await SimHTTP.send(
            "GET", world.api(Demo.jump) + "/links/leg1/configs", cred: leg1.jumpOperator)
        let values = Dictionary(
            uniqueKeysWithValues: (configs.json["data"]?.arrayValue ?? []).map {
                ($0["name"]?.stringValue ?? "", $0["value"]?.stringValue ?? "")
            })
        #expect(values["auto.create.mirror.topics.enable"] == "true")
        #expect(values["auto.create.mirror.topics.filters"] == leg1Filters)
        let link = try await SimHTTP.send(
            "GET", world.api(Demo.jump) + "/links/leg1?include_tasks=true", cred: leg1.jumpOperator)
        let task = link.json["tasks"]?.arrayValue?.first { $0["task_name"]?.stringValue == "AutoCreateMirror" }
        #expect(task?["state"]?.stringValue == "ACTIVE", "\(link.text)")

        // Turned on without a filter, the task is in error and nothing more is created.
        try await alter(
            world, Demo.target, "leg2", cred: world.target, [("auto.create.mirror.topics.filters", "")])
        let broken = try await SimHTTP.send(
            "GET", world.api(Demo.target) + "/links/leg2?include_tasks=true", cred: world.target)
        let brokenTask = broken.json["tasks"]?.arrayValue?.first {
            $0["task_name"]?.stringValue == "AutoCreateMirror"
        }
        #expect(brokenTask?["state"]?.stringValue == "IN_ERROR", "\(broken.text)")
        #expect(
            brokenTask?["errors"]?.arrayValue?.first?["error_code"]?.stringValue == "MISCONFIGURATION_ERROR")
    }
}
