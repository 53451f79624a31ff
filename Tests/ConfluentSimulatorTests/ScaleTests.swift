import ConfluentSimulator
import Foundation
import JumpchainJSON
import Testing

@Suite("Scale")
struct ScaleTests {
    @Test func holdsTenThousandTopicsOfSixPartitionsAndHundredLinks() async throws {
        var config = SimulatorConfig(
            environments: ["env-s"],
            clusters: [.init(id: "lkc-src"), .init(id: "lkc-dst")],
            users: [.init(id: "u-admin", admin: true)],
            apiKeys: [
                .init(id: "SRCKEY", secret: "s", owner: "u-admin", resource: "lkc-src"),
                .init(id: "DSTKEY", secret: "d", owner: "u-admin", resource: "lkc-dst"),
            ])
        // The links read with an admin's key, which still needs READ: admins do not excuse link credentials.
        config.acls = [
            .init(
                cluster: "lkc-src", principal: "User:u-admin", resourceType: "TOPIC", resourceName: "*",
                operation: "READ")
        ]
        config.topics = (0..<10_000).map { .init(cluster: "lkc-src", name: "topic-\($0)", partitions: 6, records: 3) }
        config.timing.tickIntervalSeconds = 0.05
        let clock = ContinuousClock()
        let started = clock.now
        let sim = try await Simulator.start(config)
        defer { Task { await sim.stop() } }
        // A guard against a start-up that grows without bound, not a speed figure (speed belongs in benchmarks).
        #expect(clock.now - started < .seconds(30))
        let src = Cred(key: "SRCKEY", secret: "s")
        let dst = Cred(key: "DSTKEY", secret: "d")
        let dstAPI = sim.clusterRESTURL(clusterID: "lkc-dst") + "/kafka/v3/clusters/lkc-dst"
        let jaas = DemoWorld.jaas(src)
        for index in 0..<100 {
            let reply = try await SimHTTP.send(
                "POST", dstAPI + "/links?link_name=link-\(index)",
                json: [
                    "source_cluster_id": "lkc-src",
                    "configs": DemoWorld.configs([
                        ("bootstrap.servers", sim.bootstrap(clusterID: "lkc-src")), ("sasl.jaas.config", jaas),
                    ]),
                ], cred: dst)
            try #require(reply.status == 204)
            let mirror = try await SimHTTP.send(
                "POST", dstAPI + "/links/link-\(index)/mirrors", json: ["source_topic_name": .string("topic-\(index)")],
                cred: dst)
            try #require(mirror.status == 204)
        }
        let links = try await SimHTTP.send("GET", dstAPI + "/links", cred: dst)
        #expect(links.json["data"]?.arrayValue?.count == 100)
        let listStart = clock.now
        let topics = try await SimHTTP.send(
            "GET", sim.clusterRESTURL(clusterID: "lkc-src") + "/kafka/v3/clusters/lkc-src/topics", cred: src)
        #expect(topics.json["data"]?.arrayValue?.count == 10_000)
        print("listing 10,000 topics took \(clock.now - listStart)")
        let probe = try await SimHTTP.send("GET", dstAPI + "/links/link-99/mirrors/topic-99", cred: dst)
        #expect(probe.json["num_partitions"] == 6)
        let deadline = Date().addingTimeInterval(30)
        var caughtUp = false
        while Date() < deadline, !caughtUp {
            let mirrors = try await SimHTTP.send("GET", dstAPI + "/links/-/mirrors", cred: dst)
            caughtUp = (mirrors.json["data"]?.arrayValue ?? []).allSatisfy { mirror in
                (mirror["mirror_lags"]?.arrayValue ?? []).allSatisfy { $0["lag"] == 0 }
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        #expect(caughtUp)
    }
}
