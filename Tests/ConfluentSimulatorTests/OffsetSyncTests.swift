import ConfluentSimulator
import Foundation
import JumpchainJSON
import Synchronization
import Testing

/// The demo chain with consumer groups on the origin: leg 1 (origin → jump, source-initiated, whose source
/// half reads the origin as `sa-link01`) and optionally leg 2 (jump → target, reading the jump as
/// `sa-link01`). With manual time every ``tick()`` is one second: producers, replication, consumers,
/// then every due offset sync, in that order.
struct OffsetSyncWorld {
    typealias Demo = SimulatorConfig.JumpDemo
    static let all = #"{"groupFilters":[{"name":"*","patternType":"LITERAL","filterType":"INCLUDE"}]}"#

    let world: DemoWorld
    let jumpOperator: Cred
    let originLinkKey: Cred
    let linkKey: Cred
    let clock = ManualClock()

    /// A demo world on manual time whose `orders-app` consumer commits 1 record per partition per second.
    static func manual(adjust: (inout SimulatorConfig) -> Void = { _ in }) async throws -> DemoWorld {
        try await DemoWorld.start { config in
            config.timing.tickIntervalSeconds = 0
            config.consumers = [
                SimulatorConfig.Consumer(
                    cluster: Demo.origin, group: Demo.consumerGroup, topic: "orders", recordsPerSecond: 6)
            ]
            adjust(&config)
        }
    }

    /// Sets up leg 1 (and leg 2) mirroring `mirrors`; grants `sa-link01` DESCRIBE on every group and topic
    /// of the origin (and every group of the jump) unless told otherwise.
    static func start(
        _ world: DemoWorld, mirrors: [String] = ["orders", "payments"], leg2: Bool = false,
        grantOriginGroups: Bool = true, grantOriginTopics: Bool = true, grantJumpGroups: Bool = true
    ) async throws -> OffsetSyncWorld {
        let account = "User:\(Demo.linkServiceAccount)"
        let jumpOperator = try await world.createKey(owner: Demo.operatorUser, resource: Demo.jump)
        let linkKey = try await world.createKey(owner: Demo.linkServiceAccount, resource: Demo.jump)
        let originLinkKey = try await world.createKey(owner: Demo.linkServiceAccount, resource: Demo.origin)
        for (type, operation) in [("CLUSTER", "ALTER"), ("TOPIC", "READ")] {
            try await world.addACL(
                cluster: Demo.jump, with: jumpOperator, principal: account, type: type,
                name: type == "CLUSTER" ? "kafka-cluster" : "*", operation: operation)
        }
        if grantJumpGroups {
            try await world.addACL(
                cluster: Demo.jump, with: jumpOperator, principal: account, type: "GROUP", name: "*",
                operation: "DESCRIBE")
        }
        for (type, grant) in [("GROUP", grantOriginGroups), ("TOPIC", grantOriginTopics)] where grant {
            try await world.addACL(
                cluster: Demo.origin, with: world.origin, principal: account, type: type, name: "*",
                operation: "DESCRIBE")
        }
        // The source half pushes what its local key's owner can READ (Confluent's least-privilege link).
        for topic in mirrors {
            try await world.addACL(
                cluster: Demo.origin, with: world.origin, principal: account, type: "TOPIC", name: topic,
                operation: "READ")
        }
        try await world.createDestinationHalf(name: "leg1", jumpOperator: jumpOperator)
        let source = try await SimHTTP.send(
            "POST", world.api(Demo.origin) + "/links?link_name=leg1",
            json: world.sourceHalfBody(linkKey: linkKey, local: originLinkKey), cred: world.origin)
        try #require(source.status == 204, "source half: \(source.text)")
        for topic in mirrors {
            let reply = try await SimHTTP.send(
                "POST", world.api(Demo.jump) + "/links/leg1/mirrors", json: ["source_topic_name": .string(topic)],
                cred: jumpOperator)
            try #require(reply.status == 204, "mirror \(topic): \(reply.text)")
        }
        if leg2 { try await world.setUpLeg2(linkKey: linkKey, mirror: mirrors) }
        return OffsetSyncWorld(world: world, jumpOperator: jumpOperator, originLinkKey: originLinkKey, linkKey: linkKey)
    }

    func cred(_ cluster: String) -> Cred {
        switch cluster {
        case Demo.jump: jumpOperator
        case Demo.target: world.target
        default: world.origin
        }
    }

    /// Turns offset sync on for link `link` on `cluster` (its destination half).
    func enable(
        cluster: String = Demo.jump, link: String = "leg1", with cred: Cred? = nil, filters: String = all,
        intervalMs: Int = 1
    ) async throws {
        let reply = try await SimHTTP.send(
            "PUT", world.api(cluster) + "/links/\(link)/configs:alter",
            json: [
                "data": [
                    ["name": "consumer.offset.sync.enable", "value": "true"],
                    ["name": "consumer.offset.group.filters", "value": .string(filters)],
                    ["name": "consumer.offset.sync.ms", "value": .string(String(intervalMs))],
                ]
            ], cred: cred ?? self.cred(cluster))
        try #require(reply.status == 204, "enable offset sync: \(reply.text)")
    }

    /// One simulated second.
    func tick(_ count: Int = 1) {
        for _ in 0..<count { world.sim.tick(now: clock.advance()) }
    }

    /// Committed offsets of `group` on `cluster` (topic → partition → offset); empty when the group is absent.
    func offsets(_ cluster: String, _ group: String) async throws -> [String: [Int64: Int64]] {
        try await ConsumerGroupTests.committed(world, cluster, group, with: cred(cluster))
    }

    func groupStatus(_ cluster: String, _ group: String) async throws -> Int {
        try await SimHTTP.send("GET", world.api(cluster) + "/consumer-groups/\(group)", cred: cred(cluster)).status
    }

    /// The `ConsumerOffsetSync` task of `link` on `cluster`.
    func task(_ cluster: String = Demo.jump, _ link: String = "leg1") async throws -> JSON {
        let reply = try await SimHTTP.send(
            "GET", world.api(cluster) + "/links/\(link)?include_tasks=true", cred: cred(cluster))
        return reply.json["tasks"]?.arrayValue?.first { $0["task_name"]?.stringValue == "ConsumerOffsetSync" } ?? .null
    }
}

/// Simulated seconds, starting a minute ahead of the wall clock so keys made by the test are usable.
final class ManualClock: Sendable {
    private let now = Mutex(Date().timeIntervalSince1970 + 60)

    func advance() -> Double {
        now.withLock {
            $0 += 1
            return $0
        }
    }
}

@Suite("Link offset sync")
struct OffsetSyncTests {
    typealias Demo = SimulatorConfig.JumpDemo

    @Test func syncCopiesSelectedGroupsOfMirroredTopicsOnly() async throws {
        let world = try await OffsetSyncWorld.manual { config in
            config.consumerGroups.append(
                .init(cluster: Demo.origin, group: "mixed", topic: "inventory", offsets: [5, 5]))
            config.consumerGroups.append(
                .init(cluster: Demo.origin, group: "mixed", topic: "orders", offsets: [7, 7, 7, 7, 7, 7]))
        }
        defer { Task { await world.stop() } }
        let sync = try await OffsetSyncWorld.start(world)
        try await sync.enable(
            filters: #"{"groupFilters":[{"name":"*","patternType":"LITERAL","filterType":"INCLUDE"},"#
                + #"{"name":"payments-","patternType":"PREFIXED","filterType":"EXCLUDE"}]}"#)
        sync.tick(2)
        let origin = try await sync.offsets(Demo.origin, Demo.consumerGroup)
        #expect(origin["orders"]?[0] == 41)
        #expect(try await sync.offsets(Demo.jump, Demo.consumerGroup) == origin)
        // `inventory` is not mirrored by leg1: only the `orders` offsets of `mixed` travel.
        #expect(try await sync.offsets(Demo.jump, "mixed") == ["orders": [0: 7, 1: 7, 2: 7, 3: 7, 4: 7, 5: 7]])
        #expect(try await sync.groupStatus(Demo.jump, Demo.idleGroup) == 404)
        #expect(try await sync.task()["state"]?.stringValue == "ACTIVE")
        #expect(try await sync.task()["errors"]?.arrayValue?.isEmpty == true)

        try await sync.enable(filters: #"{"groupFilters":[{"name":"payments-","patternType":"PREFIXED"}]}"#)
        sync.tick()
        #expect(try await sync.offsets(Demo.jump, Demo.idleGroup) == ["payments": [0: 60, 1: 55, 2: 50]])
        #expect(try await sync.offsets(Demo.jump, Demo.consumerGroup)["orders"]?[0] == 41)
    }

    @Test func nothingSyncsUntilEnabledWithFilters() async throws {
        let world = try await OffsetSyncWorld.manual()
        defer { Task { await world.stop() } }
        let sync = try await OffsetSyncWorld.start(world)
        sync.tick(2)
        #expect(try await sync.groupStatus(Demo.jump, Demo.consumerGroup) == 404)
        #expect(try await sync.task()["state"]?.stringValue == "NOT_CONFIGURED")
        try await sync.enable(filters: "")
        sync.tick(2)
        #expect(try await sync.groupStatus(Demo.jump, Demo.consumerGroup) == 404)
        try await sync.enable(filters: "not json")
        sync.tick()
        let task = try await sync.task()
        #expect(task["state"]?.stringValue == "IN_ERROR")
        #expect(task["errors"]?.arrayValue?.first?["error_code"]?.stringValue == "MISCONFIGURATION_ERROR")
    }

    @Test func syncRunsEveryConsumerOffsetSyncMs() async throws {
        let world = try await OffsetSyncWorld.manual()
        defer { Task { await world.stop() } }
        let sync = try await OffsetSyncWorld.start(world)
        try await sync.enable(intervalMs: 2500)
        var seen: [Int64?] = []
        for _ in 0..<5 {
            sync.tick()
            seen.append(try await sync.offsets(Demo.jump, Demo.consumerGroup)["orders"]?[0])
        }
        // Origin: 40, 41, 42, 43, 44 at the five ticks; synced at the first and 3 s later.
        #expect(try await sync.offsets(Demo.origin, Demo.consumerGroup)["orders"]?[0] == 44)
        #expect(seen == [40, 40, 40, 43, 43])
    }

    @Test(arguments: ["failover", "promote"])
    func syncStopsOnceTheMirrorIsNoLongerAMirror(action: String) async throws {
        let world = try await OffsetSyncWorld.manual()
        defer { Task { await world.stop() } }
        let sync = try await OffsetSyncWorld.start(world)
        try await sync.enable()
        sync.tick(2)
        let before = try await sync.offsets(Demo.jump, Demo.consumerGroup)
        #expect(before["orders"]?[0] == 41)
        let reply = try await SimHTTP.send(
            "POST", world.api(Demo.jump) + "/links/leg1/mirrors:\(action)",
            json: ["mirror_topic_names": ["orders"]], cred: sync.jumpOperator)
        #expect(reply.json["data"]?.arrayValue?.first?["error_code"]?.isNull == true, "\(reply.text)")
        sync.tick(3)
        #expect(try await sync.offsets(Demo.origin, Demo.consumerGroup)["orders"]?[0] == 44)
        #expect(try await sync.offsets(Demo.jump, Demo.consumerGroup) == before)
    }

    @Test func withoutDescribeOnTheGroupOffsetsStopAndTheTaskSaysWhy() async throws {
        let world = try await OffsetSyncWorld.manual()
        defer { Task { await world.stop() } }
        let sync = try await OffsetSyncWorld.start(world)
        try await sync.enable()
        sync.tick(2)
        let before = try await sync.offsets(Demo.jump, Demo.consumerGroup)
        #expect(before["orders"]?[0] == 41)
        let revoke = try await SimHTTP.send(
            "DELETE",
            world.api(Demo.origin) + "/acls?resource_type=GROUP&pattern_type=ANY&operation=DESCRIBE&permission=ALLOW",
            cred: world.origin)
        #expect(revoke.status == 200, "\(revoke.text)")
        sync.tick(2)
        #expect(try await sync.offsets(Demo.origin, Demo.consumerGroup)["orders"]?[0] == 43)
        #expect(try await sync.offsets(Demo.jump, Demo.consumerGroup) == before)
        let task = try await sync.task()
        #expect(task["state"]?.stringValue == "IN_ERROR")
        let messages = task["errors"]?.arrayValue?.compactMap { $0["error_message"]?.stringValue } ?? []
        #expect(messages.contains { $0.contains("DESCRIBE consumer group '\(Demo.consumerGroup)'") })
        #expect(task["errors"]?.arrayValue?.first?["error_code"]?.stringValue == "AUTHORIZATION_ERROR")
    }

    @Test func withoutDescribeOnTheTopicItsOffsetsDoNotTravel() async throws {
        let world = try await OffsetSyncWorld.manual()
        defer { Task { await world.stop() } }
        let sync = try await OffsetSyncWorld.start(world, grantOriginTopics: false)
        // READ implies DESCRIBE, and mirroring needs READ: the right goes away after the mirror exists.
        let revoke = try await SimHTTP.send(
            "DELETE",
            world.api(Demo.origin)
                + "/acls?resource_type=TOPIC&resource_name=orders&pattern_type=LITERAL&principal=User:"
                + "\(Demo.linkServiceAccount)&host=*&operation=READ&permission=ALLOW",
            cred: world.origin)
        try #require(revoke.status == 200, "acl delete: \(revoke.status) \(revoke.text)")
        try await sync.enable()
        sync.tick(2)
        #expect(try await sync.offsets(Demo.jump, Demo.idleGroup) == ["payments": [0: 60, 1: 55, 2: 50]])
        #expect(try await sync.groupStatus(Demo.jump, Demo.consumerGroup) == 404)
        let task = try await sync.task()
        #expect(task["state"]?.stringValue == "IN_ERROR")
        #expect(
            task["errors"]?.arrayValue?.first?["error_message"]?.stringValue?.contains("DESCRIBE topic 'orders'")
                == true)
    }

    @Test func aGroupReachesTheTargetOnlyWhenBothLegsSyncIt() async throws {
        let world = try await OffsetSyncWorld.manual()
        defer { Task { await world.stop() } }
        let sync = try await OffsetSyncWorld.start(world, leg2: true, grantJumpGroups: false)
        try await sync.enable()
        sync.tick(2)
        #expect(try await sync.offsets(Demo.jump, Demo.consumerGroup)["orders"]?[0] == 41)
        #expect(try await sync.groupStatus(Demo.target, Demo.consumerGroup) == 404)

        // Leg 2 on, but its principal may not DESCRIBE groups on the jump.
        try await sync.enable(cluster: Demo.target, link: "leg2")
        sync.tick()
        #expect(try await sync.groupStatus(Demo.target, Demo.consumerGroup) == 404)
        let task = try await sync.task(Demo.target, "leg2")
        #expect(task["state"]?.stringValue == "IN_ERROR")
        #expect(
            task["errors"]?.arrayValue?.first?["error_message"]?.stringValue?.contains("on cluster \(Demo.jump)")
                == true)

        try await world.addACL(
            cluster: Demo.jump, with: sync.jumpOperator, principal: "User:\(Demo.linkServiceAccount)", type: "GROUP",
            name: "orders-", operation: "DESCRIBE", pattern: "PREFIXED")
        sync.tick()
        // Leg 1 syncs before leg 2 within a tick, so the target matches the origin at once.
        let origin = try await sync.offsets(Demo.origin, Demo.consumerGroup)
        #expect(origin["orders"]?[0] == 43)
        #expect(try await sync.offsets(Demo.target, Demo.consumerGroup) == origin)
        #expect(try await sync.groupStatus(Demo.target, Demo.idleGroup) == 404)
    }

    @Test func aGroupWithActiveMembersOnTheDestinationIsNotOverwritten() async throws {
        // The same group also consumes the jump's `orders` (a mirror topic that appears once leg 1 creates it).
        let world = try await OffsetSyncWorld.manual { config in
            config.consumers.append(
                .init(cluster: Demo.jump, group: Demo.consumerGroup, topic: "orders", recordsPerSecond: 600))
        }
        defer { Task { await world.stop() } }
        let sync = try await OffsetSyncWorld.start(world)
        try await sync.enable()
        sync.tick(2)
        // The jump's member read the whole mirror (50 per partition); the origin's group is at 41.
        #expect(try await sync.offsets(Demo.origin, Demo.consumerGroup)["orders"]?[0] == 41)
        #expect(
            try await sync.offsets(Demo.jump, Demo.consumerGroup)
                == ["orders": Dictionary(uniqueKeysWithValues: (0..<6).map { (Int64($0), Int64(50)) })])
        let task = try await sync.task()
        #expect(task["state"]?.stringValue == "IN_ERROR")
        #expect(task["errors"]?.arrayValue?.first?["error_code"]?.stringValue == "CONSUMER_GROUP_IN_USE_ERROR")
        // The idle group has no members on the jump and is synced as usual.
        #expect(try await sync.offsets(Demo.jump, Demo.idleGroup) == ["payments": [0: 60, 1: 55, 2: 50]])
    }
}
