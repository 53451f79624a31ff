import ConfluentSimulator
import JumpchainHTTP
import JumpchainJSON
import Testing

@Suite("Fault injection")
struct FaultTests {
    typealias Demo = SimulatorConfig.JumpDemo

    @Test func addedLatencyDelaysAnswers() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        try await world.setFaults(["latencyMs": 1000, "listeners": [.string(Demo.origin)]])
        let clock = ContinuousClock()
        let start = clock.now
        let reply = try await SimHTTP.send("GET", world.api(Demo.origin) + "/topics", cred: world.origin)
        #expect(reply.status == 200)
        #expect(clock.now - start >= .milliseconds(990))
        // Only the listed listener is slowed: with a minute of latency on the origin, a target request sent with an
        // origin request answers first (an order, not a time bound; the origin request is then cancelled).
        try await world.setFaults(["latencyMs": 60_000, "listeners": [.string(Demo.origin)]])
        let first = await withTaskGroup(of: String.self) { group in
            group.addTask {
                _ = try? await SimHTTP.send("GET", world.api(Demo.origin) + "/topics", cred: world.origin)
                return Demo.origin
            }
            group.addTask {
                let reply = try? await SimHTTP.send("GET", world.api(Demo.target) + "/topics", cred: world.target)
                return reply?.status == 200 ? Demo.target : "target failed"
            }
            defer { group.cancelAll() }
            return await group.next()
        }
        #expect(first == Demo.target)
    }

    @Test func fractionOfServerErrorsIsSeededAndShaped() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        try await world.setFaults(["serverErrorRate": 0.5, "seed": 42])
        var statuses: [Int] = []
        for _ in 0..<20 {
            let reply = try await SimHTTP.send("GET", world.api(Demo.origin) + "/topics", cred: world.origin)
            statuses.append(reply.status)
            if reply.status == 500 { #expect(reply.json["error_code"] == 50003) }
        }
        print("server-error fault seed 42 statuses: \(statuses)")
        let errors = statuses.filter { $0 == 500 }.count
        #expect(errors > 2 && errors < 18)
        let control = try await SimHTTP.send("GET", world.control("/iam/v2/service-accounts"), cred: world.cloud)
        if control.status == 500 { #expect(control.json["errors"]?.arrayValue?.isEmpty == false) }
    }

    @Test func rateLimitBurstOnClusterIsHTML() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        try await world.setFaults(["rateLimitBurst": 2])
        for _ in 0..<2 {
            let reply = try await SimHTTP.send("GET", world.api(Demo.origin) + "/topics", cred: world.origin)
            #expect(reply.status == 429)
            #expect(reply.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(reply.text.contains("<html>"))
            #expect(reply.header("Retry-After") == nil)
        }
        #expect(try await SimHTTP.send("GET", world.api(Demo.origin) + "/topics", cred: world.origin).status == 200)
    }

    @Test func rateLimitBurstOnControlPlaneIsJSONWithHeaders() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        try await world.setFaults(["rateLimitBurst": 1])
        let reply = try await SimHTTP.send("GET", world.control("/iam/v2/api-keys"), cred: world.cloud)
        #expect(reply.status == 429)
        #expect(reply.json["errors"]?.arrayValue?.first?["status"] == "429")
        #expect(reply.header("Retry-After") != nil)
        #expect(reply.header("X-RateLimit-Limit") != nil)
        #expect(reply.header("X-RateLimit-Remaining") == "0")
        #expect(reply.header("X-RateLimit-Reset") != nil)
    }

    @Test func perEndpointRequestRateLimit() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        // Four requests sent together, so that they reach the simulator within its one-second window even on a
        // loaded machine (one after the other, a slow answer let the window pass and the next one through).
        func together(_ url: String, _ cred: Cred) async throws -> [Reply] {
            try await withThrowingTaskGroup(of: Reply.self) { group in
                for _ in 0..<4 { group.addTask { try await SimHTTP.send("GET", url, cred: cred) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        try await world.setFaults(["requestsPerSecond": [Demo.origin: 1]])
        let statuses = try await together(world.api(Demo.origin) + "/topics", world.origin).map(\.status)
        #expect(statuses.contains(200) && statuses.contains(429), "\(statuses)")
        #expect(try await SimHTTP.send("GET", world.api(Demo.target) + "/topics", cred: world.target).status == 200)
        try await world.setFaults(["requestsPerSecond": ["control-plane /iam/v2/api-keys": 1]])
        let keys = try await together(world.control("/iam/v2/api-keys"), world.cloud)
        #expect(keys.contains { $0.status == 200 }, "\(keys.map(\.status))")
        let limited = try #require(keys.first { $0.status == 429 }, "\(keys.map(\.status))")
        #expect(limited.header("X-RateLimit-Limit") == "1")
        let other = try await SimHTTP.send("GET", world.control("/iam/v2/service-accounts"), cred: world.cloud)
        #expect(other.status == 200)
    }

    @Test func droppedConnectionIsATransportError() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        try await world.setFaults(["dropNext": 1])
        await #expect(throws: TransportError.self) {
            _ = try await SimHTTP.send("GET", world.api(Demo.origin) + "/topics", cred: world.origin)
        }
        #expect(try await SimHTTP.send("GET", world.api(Demo.origin) + "/topics", cred: world.origin).status == 200)
    }

    @Test func blackholedEndpointAcceptsAndNeverAnswers() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        try await world.setFaults(["blackholed": [.string(Demo.origin)]])
        await #expect(throws: TransportError.self) {
            _ = try await SimHTTP.send(
                "GET", world.api(Demo.origin) + "/topics", cred: world.origin, timeout: .milliseconds(300))
        }
        // A held request completes once the blackhole is lifted.
        let held = Task {
            try await SimHTTP.send("GET", world.api(Demo.origin) + "/topics", cred: world.origin, timeout: .seconds(5))
        }
        try await Task.sleep(nanoseconds: 200_000_000)
        try await world.setFaults([:])
        #expect(try await held.value.status == 200)
    }

    @Test func replicationThrottlePerLinkAndGlobal() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        try await world.setFaults(["linkThrottles": ["leg1": 0]])
        _ = try await world.setUpLeg1()
        try await Task.sleep(nanoseconds: 150_000_000)
        #expect(try await world.endOffsets(Demo.jump, "orders").reduce(0, +) == 0)
        // 5 records/s/partition: some move at once, all 50 would take 10 s (a tick covers at most 5 s).
        try await world.setFaults(["replicationThrottle": 5])
        try await world.eventually("throttled replication moves") {
            try await world.endOffsets(Demo.jump, "orders").allSatisfy { $0 > 0 }
        }
        let moved = try await world.endOffsets(Demo.jump, "orders")
        #expect(moved.allSatisfy { $0 < 50 })
        try await world.setFaults([:])
        try await world.eventually("caught up") {
            try await world.endOffsets(Demo.jump, "orders") == [50, 50, 50, 50, 50, 50]
        }
    }

    @Test func networkLinkFailurePhaseIsInjectable() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        try await world.setFaults(["networkLinkFailurePhase": "FAILED"])
        let service = try await SimHTTP.send(
            "POST", world.control("/networking/v1/network-link-services"),
            json: [
                "spec": [
                    "environment": ["id": .string(Demo.environment)], "network": ["id": .string(Demo.originNetwork)],
                ]
            ],
            cred: world.cloud)
        let id = try #require(service.json["id"]?.stringValue)
        try await world.eventually("service FAILED") {
            let reply = try await SimHTTP.send(
                "GET", world.control("/networking/v1/network-link-services/\(id)?environment=\(Demo.environment)"),
                cred: world.cloud)
            return reply.json["status"]?["phase"] == "FAILED" && reply.json["status"]?["error_code"] != nil
        }
    }

    @Test func introspectionIsNeverFaulted() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        try await world.setFaults(["serverErrorRate": 1, "blackholed": ["control-plane"]])
        #expect(try await SimHTTP.send("GET", world.control("/sim/v1/state"), cred: nil).status == 200)
        try await world.setFaults([:])
    }
}

@Suite("Shutdown")
struct ShutdownTests {
    /// Stop lets go of every connection: a request a blackhole holds sees the stop and drops its connection, and any
    /// connection still open (one accepted but never handled, say) is closed. The client's own timeout is far longer
    /// than the time limit, so a connection stop left open fails the test instead of passing after the timeout.
    @Test(.timeLimit(.minutes(1)))
    func stopReturnsWhileARequestIsHeldByABlackhole() async throws {
        let world = try await DemoWorld.start()
        let origin = SimulatorConfig.JumpDemo.origin
        try await world.setFaults(["blackholed": [.string(origin)]])
        let held = Task {
            try? await SimHTTP.send("GET", world.api(origin) + "/topics", cred: world.origin, timeout: .seconds(600))
        }
        // Held, not merely sent: the handler is inside the blackhole when the simulator stops.
        while world.sim.heldRequests(listener: origin) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        await world.stop()
        let reply = await held.value
        #expect(reply?.status == nil, "the held request was answered \(reply?.status ?? 0) after the stop")
    }
}
