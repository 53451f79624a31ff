import ConfluentSimulator
import JumpchainHTTP
import JumpchainJSON
import Testing

@Suite("Traffic counters")
struct TrafficCounterTests {
    typealias Demo = SimulatorConfig.JumpDemo

    /// `traffic.<listener>` of `/sim/v1/state`.
    static func counters(
        _ state: JSON, _ listener: String
    ) -> (
        requests: Int64?, limited: Int64?, connections: Int64?
    ) {
        let entry = state["traffic"]?[listener]
        return (entry?["requests"]?.intValue, entry?["too_many_requests"]?.intValue, entry?["connections"]?.intValue)
    }

    @Test func requestsAndTooManyRequestsAreCountedPerListenerButNotIntrospection() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        try await world.setFaults(["rateLimitBurst": 3])
        var statuses: [Int] = []
        for _ in 0..<5 {
            statuses.append(
                try await SimHTTP.send("GET", world.api(Demo.origin) + "/topics", cred: world.origin).status)
        }
        #expect(statuses == [429, 429, 429, 200, 200])
        _ = try await SimHTTP.send("GET", world.control("/iam/v2/service-accounts"), cred: world.cloud)
        _ = try await world.state()
        let state = try await world.state()
        let origin = Self.counters(state, Demo.origin)
        #expect(origin.requests == 5)
        #expect(origin.limited == 3)
        #expect(Self.counters(state, Demo.target).requests == 0)
        #expect(Self.counters(state, Demo.jump).limited == 0)
        // One control-plane call; the /sim/v1 reads (and the fault settings) are not counted.
        #expect(Self.counters(state, "control-plane").requests == 1)
    }

    @Test func distinctConnectionsAreCounted() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        // Two clients cannot share a connection; each then reuses its own for a second request.
        for _ in 0..<2 {
            let client = HTTPClient()
            for _ in 0..<2 {
                let response = try await client.execute(
                    HTTPRequest(
                        method: .get, url: world.api(Demo.target) + "/topics",
                        credential: APICredential(key: world.target.key, secret: Secret(world.target.secret))))
                #expect(response.status == 200)
            }
        }
        let target = Self.counters(try await world.state(), Demo.target)
        #expect(target.requests == 4)
        #expect(target.connections == 2)
    }

    @Test func benchmarkWorldGeneratesTopicsAndLimitsClusters() throws {
        let config = SimulatorConfig.jumpDemo()
            .addingGeneratedTopics(count: 12, partitions: 3, on: Demo.origin)
            .limitingClusters(requestsPerSecond: 50, latencyMs: 30)
        let generated = config.topics.filter { $0.name.hasPrefix("bench-") }
        #expect(generated.count == 12)
        #expect(generated.first?.name == "bench-00001")
        #expect(generated.last?.name == "bench-00012")
        #expect(generated.allSatisfy { $0.partitions == 3 && $0.cluster == Demo.origin })
        #expect(config.faults.requestsPerSecond == [Demo.origin: 50, Demo.jump: 50, Demo.target: 50])
        #expect(config.faults.latencyMs == 30)
    }
}
