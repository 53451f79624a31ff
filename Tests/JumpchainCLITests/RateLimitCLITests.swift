import ConfluentSimulator
import Foundation
import Testing

extension BinaryTests {
    /// Rollouts against Confluent-style per-cluster rate limits that jumpchain is not told.
    @Suite("jumpchain under rate limits it is not told", .serialized)
    struct RateLimitCLITests {
        typealias Demo = SimulatorConfig.JumpDemo

        /// The first 429 on each cluster is how the limit is learnt: enough topics that it (and a jitter 429)
        /// stay within 2%.
        @Test("a rollout against an untold per-cluster limit keeps 429 answers at or under 2% on every cluster")
        func untoldLimitKeepsTooManyRequestsRare() async throws {
            let limit = 25.0
            let config = SimulatorConfig.jumpDemo()
                .addingGeneratedTopics(count: 120, on: Demo.origin)
                .limitingClusters(requestsPerSecond: limit, latencyMs: 5)
            let world = try await DemoWorld.start(config: config)
            defer { Task { await world.stop() } }
            let playbook = try world.playbookVariant(
                "limited",
                replacing: [
                    ("names: [orders, payments, inventory]", "patterns: [\"bench-.*\"]"),
                    ("canary: true", "canary: false"),
                ])
            let apply = try await world.jumpchain(["apply", playbook])
            #expect(apply.status == 0, "\(apply.output)")
            let mirrors = (world.state()["mirrors"] as? [[String: Any]]) ?? []
            #expect(mirrors.count == 240, "120 topics on the jump and on the target")

            let traffic = (world.state()["traffic"] as? [String: [String: Any]]) ?? [:]
            for cluster in [Demo.origin, Demo.jump, Demo.target] {
                let requests = traffic[cluster]?["requests"] as? Int ?? 0
                let limited = traffic[cluster]?["too_many_requests"] as? Int ?? -1
                let connections = traffic[cluster]?["connections"] as? Int ?? -1
                print(
                    "\(cluster) at \(limit) req/s: \(requests) requests, \(limited) × 429, \(connections) connections")
                #expect(requests > 0)
                #expect(
                    limited >= 0 && Double(limited) <= 0.02 * Double(requests), "\(cluster): \(limited) of \(requests)")
            }
        }
    }
}
