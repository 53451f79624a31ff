import ConfluentSimulator
import JumpchainJSON
import Testing

@Suite("Mirror topics")
struct MirrorTests {
    typealias Demo = SimulatorConfig.JumpDemo

    @Test func mirrorRequiresExistingSourceTopic() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let leg = try await world.setUpLeg1(mirror: [])
        let reply = try await SimHTTP.send(
            "POST", world.api(Demo.jump) + "/links/leg1/mirrors", json: ["source_topic_name": "nope"],
            cred: leg.jumpOperator)
        #expect(reply.status == 400)
        #expect(reply.json["error_code"] == 40002)
        #expect(reply.json["message"]?.stringValue?.contains("does not exist") == true)
        let onSource = try await SimHTTP.send(
            "POST", world.api(Demo.origin) + "/links/leg1/mirrors", json: ["source_topic_name": "orders"],
            cred: world.origin)
        #expect(onSource.status == 400)
    }

    @Test func mirrorsChainAndPreservePartitionsAndOffsets() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let leg = try await world.setUpLeg1(mirror: ["orders", "payments"])
        try await world.setUpLeg2(linkKey: leg.linkKey, mirror: ["orders", "payments"])
        var produced: [(Int64, Int64)] = []
        for index in 0..<12 {
            let reply = try await SimHTTP.send(
                "POST", world.api(Demo.origin) + "/topics/orders/records",
                json: ["value": ["type": "STRING", "data": .string("r\(index)")]], cred: world.origin)
            #expect(reply.status == 200)
            #expect(reply.json["error_code"] == 200)
            produced.append((reply.json["partition_id"]!.intValue!, reply.json["offset"]!.intValue!))
        }
        #expect(produced.first! == (0, 50))
        try await world.eventually("chain converged") {
            let origin = try await world.endOffsets(Demo.origin, "orders")
            let jump = try await world.endOffsets(Demo.jump, "orders")
            let target = try await world.endOffsets(Demo.target, "orders")
            return jump == origin && target == origin
        }
        #expect(try await world.endOffsets(Demo.target, "orders") == [52, 52, 52, 52, 52, 52])
        #expect(try await world.endOffsets(Demo.target, "payments") == [60, 60, 60])
        let mirror = try await SimHTTP.send(
            "GET", world.api(Demo.target) + "/links/leg2/mirrors/orders", cred: world.target)
        #expect(mirror.json["mirror_status"] == "ACTIVE")
        #expect(mirror.json["source_topic_name"] == "orders")
        #expect(mirror.json["num_partitions"] == 6)
        for lag in mirror.json["mirror_lags"]?.arrayValue ?? [] {
            #expect(lag["lag"] == 0)
            #expect(lag["last_source_fetch_offset"] == 51)
        }
    }

    @Test func mirrorLagsReportLagAndLastSourceFetchOffset() async throws {
        let world = try await DemoWorld.start(replicationRate: 0)
        defer { Task { await world.stop() } }
        let leg = try await world.setUpLeg1()
        let fresh = try await SimHTTP.send(
            "GET", world.api(Demo.jump) + "/links/leg1/mirrors/orders", cred: leg.jumpOperator)
        let lags = fresh.json["mirror_lags"]?.arrayValue ?? []
        #expect(lags.count == 6)
        for lag in lags {
            #expect(lag["lag"] == 50)
            #expect(lag["last_source_fetch_offset"] == -1)
        }
    }

    @Test func mirrorTopicsRefuseProduce() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let leg = try await world.setUpLeg1()
        let reply = try await SimHTTP.send(
            "POST", world.api(Demo.jump) + "/topics/orders/records", json: ["value": ["type": "STRING", "data": "x"]],
            cred: leg.jumpOperator)
        #expect(reply.status == 400)
        #expect(reply.json["error_code"] == 40002)
    }

    @Test func promoteSettlesStoppedOnlyOnceLagIsZero() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        try await world.setFaults(["replicationThrottle": 0])
        let leg = try await world.setUpLeg1()
        let promote = try await SimHTTP.send(
            "POST", world.api(Demo.jump) + "/links/leg1/mirrors:promote", json: ["mirror_topic_names": ["orders"]],
            cred: leg.jumpOperator)
        #expect(promote.status == 200)
        #expect(promote.json["kind"] == "KafkaPromoteMirror")
        let item = promote.json["data"]?.arrayValue?.first
        #expect(item?["error_code"] == .null)
        #expect(item?["kind"] == "AlterMirrorsData")
        try await Task.sleep(nanoseconds: 150_000_000)
        let pending = try await SimHTTP.send(
            "GET", world.api(Demo.jump) + "/links/leg1/mirrors/orders", cred: leg.jumpOperator)
        #expect(pending.json["mirror_status"] == "PENDING_STOPPED")
        try await world.setFaults([:])
        try await world.eventually("promotion settles") {
            let reply = try await SimHTTP.send(
                "GET", world.api(Demo.jump) + "/links/leg1/mirrors/orders", cred: leg.jumpOperator)
            return reply.json["mirror_status"] == "STOPPED"
        }
        #expect(try await world.endOffsets(Demo.jump, "orders") == [50, 50, 50, 50, 50, 50])
        let write = try await SimHTTP.send(
            "POST", world.api(Demo.jump) + "/topics/orders/records", json: ["value": ["type": "STRING", "data": "x"]],
            cred: leg.jumpOperator)
        #expect(write.status == 200)
        let again = try await SimHTTP.send(
            "POST", world.api(Demo.jump) + "/links/leg1/mirrors:promote", json: ["mirror_topic_names": ["orders"]],
            cred: leg.jumpOperator)
        #expect(again.status == 200)
        #expect(again.json["data"]?.arrayValue?.first?["error_code"] == 400)
        #expect(try await world.link(Demo.jump, "leg1", with: leg.jumpOperator)["topic_names"] == [])
    }

    @Test func failoverStopsAtOnce() async throws {
        let world = try await DemoWorld.start(replicationRate: 0)
        defer { Task { await world.stop() } }
        let leg = try await world.setUpLeg1()
        let failover = try await SimHTTP.send(
            "POST", world.api(Demo.jump) + "/links/leg1/mirrors:failover", json: ["mirror_topic_name_pattern": "ord.*"],
            cred: leg.jumpOperator)
        #expect(failover.status == 200)
        #expect(failover.json["data"]?.arrayValue?.first?["mirror_topic_name"] == "orders")
        let stopped = try await SimHTTP.send(
            "GET", world.api(Demo.jump) + "/links/leg1/mirrors/orders", cred: leg.jumpOperator)
        #expect(stopped.json["mirror_status"] == "STOPPED")
    }

    @Test func pauseAndResumeWithPerTopicErrors() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let leg = try await world.setUpLeg1()
        let pause = try await SimHTTP.send(
            "POST", world.api(Demo.jump) + "/links/leg1/mirrors:pause",
            json: ["mirror_topic_names": ["orders", "ghost"]],
            cred: leg.jumpOperator)
        #expect(pause.status == 200)
        let items = pause.json["data"]?.arrayValue ?? []
        #expect(items.count == 2)
        #expect(items[0]["error_code"] == .null)
        #expect(items[1]["error_code"] == 404)
        #expect(items[1]["error_message"]?.stringValue?.isEmpty == false)
        let paused = try await SimHTTP.send(
            "GET", world.api(Demo.jump) + "/links/leg1/mirrors?mirror_status=PAUSED", cred: leg.jumpOperator)
        #expect(paused.json["data"]?.arrayValue?.count == 1)
        let resume = try await SimHTTP.send(
            "POST", world.api(Demo.jump) + "/links/leg1/mirrors:resume", json: ["mirror_topic_names": ["orders"]],
            cred: leg.jumpOperator)
        #expect(resume.json["data"]?.arrayValue?.first?["error_code"] == .null)
        let all = try await SimHTTP.send("GET", world.api(Demo.jump) + "/links/-/mirrors", cred: leg.jumpOperator)
        #expect(all.json["data"]?.arrayValue?.first?["mirror_status"] == "ACTIVE")
    }

    @Test func clusterLinkPrefixNamesMirrorTopic() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let leg = try await world.setUpLeg1(mirror: [])
        var body = world.destinationInitiatedBody(linkKey: leg.linkKey)
        if case .object(var members) = body, case .array(var configs)? = body["configs"] {
            configs.append(["name": "cluster.link.prefix", "value": "west."])
            members["configs"] = .array(configs)
            body = .object(members)
        }
        let link = try await SimHTTP.send(
            "POST", world.api(Demo.target) + "/links?link_name=pfx", json: body, cred: world.target)
        #expect(link.status == 204, "\(link.text)")
        // The jump has no mirror yet; mirror from its own topic.
        _ = try await SimHTTP.send(
            "POST", world.api(Demo.jump) + "/topics", json: ["topic_name": "events", "partitions_count": 1],
            cred: leg.jumpOperator)
        let wrong = try await SimHTTP.send(
            "POST", world.api(Demo.target) + "/links/pfx/mirrors",
            json: ["source_topic_name": "events", "mirror_topic_name": "events"], cred: world.target)
        #expect(wrong.status == 400)
        let right = try await SimHTTP.send(
            "POST", world.api(Demo.target) + "/links/pfx/mirrors",
            json: ["source_topic_name": "events", "mirror_topic_name": "west.events"], cred: world.target)
        #expect(right.status == 204)
        let shown = try await SimHTTP.send(
            "GET", world.api(Demo.target) + "/links/pfx/mirrors/west.events", cred: world.target)
        #expect(shown.json["source_topic_name"] == "events")
    }
}
