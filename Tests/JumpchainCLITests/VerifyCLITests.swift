import ConfluentSimulator
import Foundation
import JumpchainHTTP
import Testing

extension BinaryTestsLane3 {
    /// `jumpchain verify` against a rolled-out chain in the simulator: a healthy chain passes with a canary whose
    /// offset is the same on both hops; each breakage fails with exit 5 and the right diagnosis.
    @Suite("verify diagnoses a broken chain", .serialized)
    struct VerifyCLITests {
        typealias Demo = SimulatorConfig.JumpDemo

        /// A world with the demo rollout applied.
        func rolledOut() async throws -> DemoWorld {
            let world = try await DemoWorld.start()
            let apply = try await world.jumpchain(["apply", world.demoPlaybook])
            #expect(apply.status == 0, "\(apply.output)")
            return world
        }

        /// Runs `verify --output json` and returns the exit status and the report's diagnosis causes.
        ///
        /// `--timeout 3`: the session key's propagation is not counted, and the last round's reads get as long again
        /// past the timeout, so a loaded machine reports the diagnosis under test, not `read-failed`.
        func verify(
            _ world: DemoWorld, extra: [String] = [], timeout: Int = 3
        ) async throws -> (status: Int32, causes: [String], json: String) {
            let result = try await world.jumpchain(
                ["verify", "jump-demo", "--timeout", String(timeout), "--output", "json"] + extra)
            let firstLine = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
            let report = (try? JSONSerialization.jsonObject(with: Data(firstLine.utf8))) as? [String: Any]
            let causes = ((report?["diagnoses"] as? [[String: Any]]) ?? []).compactMap { $0["cause"] as? String }
            return (result.status, causes, result.stdout + result.stderr)
        }

        func operatorKey(_ world: DemoWorld, resource: String?) -> APICredential {
            let key = world.simulator.connectionInfo.operatorKeys.first { $0.resource == resource }!
            return APICredential(key: key.id, secret: Secret(key.secret))
        }

        func send(
            _ world: DemoWorld, _ method: HTTPMethod, _ url: String, body: String? = nil, as credential: APICredential
        )
            async throws -> Int
        {
            let response = try await HTTPClient().execute(
                HTTPRequest(
                    method: method, url: url, headers: ["Content-Type": "application/json"],
                    body: body.map { Array($0.utf8) },
                    credential: credential))
            return response.status
        }

        @Test("a healthy chain passes, and the canary's offset is the same on both hops")
        func healthyChainWithCanary() async throws {
            let world = try await rolledOut()
            defer { Task { await world.stop() } }
            let result = try await world.jumpchain(["verify", "jump-demo", "--canary"])
            #expect(result.status == 0, "\(result.output)")
            #expect(result.stdout.contains("PASS"))
            #expect(result.stdout.contains("offsets same"))
            #expect(result.stdout.contains("latency"))
            let watch = try await world.jumpchain(
                [
                    "verify", "jump-demo", "--watch", "--interval", "1", "--rounds", "2", "--fail-fast", "--output",
                    "json",
                ])
            #expect(watch.status == 0, "\(watch.output)")
            let rounds = watch.stdout.split(separator: "\n").filter {
                $0.contains("\"latency_ms\"") && $0.hasPrefix("{")
            }
            #expect(rounds.count == 2, "\(watch.stdout)")
            #expect(world.liveKeys(on: Demo.jump).count == 1)
        }

        @Test("a paused mirror on the jump")
        func pausedJumpMirror() async throws {
            let world = try await rolledOut()
            defer { Task { await world.stop() } }
            // An operator key for the jump, only for this test's set-up.
            let control = operatorKey(world, resource: nil)
            let created = try await HTTPClient().execute(
                HTTPRequest(
                    method: .post, url: world.simulator.controlPlaneURL + "/iam/v2/api-keys",
                    headers: ["Content-Type": "application/json"],
                    body: Array(
                        #"{"spec":{"owner":{"id":"\#(Demo.operatorUser)"},"resource":{"id":"\#(Demo.jump)"}}}"#.utf8),
                    credential: control))
            let object = try JSONSerialization.jsonObject(with: Data(created.body)) as? [String: Any]
            let spec = object?["spec"] as? [String: Any]
            let jumpKey = APICredential(
                key: object?["id"] as? String ?? "", secret: Secret(spec?["secret"] as? String ?? ""))
            try await Task.sleep(for: .milliseconds(2300))
            let status = try await send(
                world, .post,
                world.simulator.clusterRESTURL(clusterID: Demo.jump)
                    + "/kafka/v3/clusters/\(Demo.jump)/links/demo-origin-to-jump/mirrors:pause",
                body: #"{"mirror_topic_names":["orders"]}"#, as: jumpKey)
            #expect(status == 200)
            let (exit, causes, output) = try await verify(world)
            #expect(exit == 5, "\(output)")
            #expect(causes.contains("mirror-paused"), "\(causes)")
        }

        @Test("leg 1's source half deleted")
        func sourceHalfDeleted() async throws {
            let world = try await rolledOut()
            defer { Task { await world.stop() } }
            let status = try await send(
                world, .delete,
                world.simulator.clusterRESTURL(clusterID: Demo.origin)
                    + "/kafka/v3/clusters/\(Demo.origin)/links/demo-origin-to-jump?force=true",
                as: operatorKey(world, resource: Demo.origin))
            #expect((200..<300).contains(status))
            let (exit, causes, output) = try await verify(world)
            #expect(exit == 5, "\(output)")
            #expect(causes.contains("link-half-missing"), "\(causes)")
            #expect(output.contains("demo-origin-to-jump"))
        }

        @Test("the link key revoked")
        func linkKeyRevoked() async throws {
            let world = try await rolledOut()
            defer { Task { await world.stop() } }
            let linkKey = try #require(world.liveKeys(on: Demo.jump).first)
            let status = try await send(
                world, .delete, world.simulator.controlPlaneURL + "/iam/v2/api-keys/\(linkKey)",
                as: operatorKey(world, resource: nil))
            #expect(status == 204)
            let (exit, causes, output) = try await verify(world)
            #expect(exit == 5, "\(output)")
            #expect(causes.contains("authentication"), "\(causes)")
        }

        @Test("a slow hop exceeds the threshold")
        func slowHop() async throws {
            let world = try await rolledOut()
            defer { Task { await world.stop() } }
            var faults = FaultSettings()
            faults.replicationThrottle = 0.2
            world.simulator.setFaults(faults)
            try await Task.sleep(for: .seconds(1))  // the demo producer keeps writing to orders
            // The slow-hop diagnosis compares the first and the last round. The target's slow answers (a round reads
            // it twice, 3.6 s) make the round that started before the timeout (3 s) still be reading when it passes:
            // its reads get a grace, so it reports the slow hop, not `read-failed`.
            faults.latencyMs = 1800
            faults.listeners = [Demo.target]
            world.simulator.setFaults(faults)
            let (exit, causes, output) = try await verify(world, timeout: 3)
            #expect(exit == 5, "\(output)")
            #expect(causes.contains("slow-hop"), "\(causes)")
            #expect(!causes.contains("read-failed"), "the reads of the round in flight were cut: \(output)")
            #expect(output.contains("orders"))
        }

        @Test("the origin topic deleted")
        func originTopicDeleted() async throws {
            let world = try await rolledOut()
            defer { Task { await world.stop() } }
            let status = try await send(
                world, .delete,
                world.simulator.clusterRESTURL(clusterID: Demo.origin)
                    + "/kafka/v3/clusters/\(Demo.origin)/topics/payments",
                as: operatorKey(world, resource: Demo.origin))
            #expect(status == 204)
            try await Task.sleep(for: .milliseconds(300))
            let (exit, causes, output) = try await verify(world)
            #expect(exit == 5, "\(output)")
            #expect(causes.contains("source-topic-gone"), "\(causes)")
        }

        @Test("leg 1's local key loses READ on an origin topic: the diagnosis names the right, topic and principal")
        func originTopicReadRevoked() async throws {
            let world = try await rolledOut()
            defer { Task { await world.stop() } }
            let principal = "User:\(Demo.linkServiceAccount)"
            let removed = world.simulator.removeACLs(
                clusterID: Demo.origin, principal: principal, resourceType: "TOPIC", resourceName: "payments")
            #expect(removed > 0, "the rollout granted the origin link key's owner rights on payments")
            let (exit, causes, output) = try await verify(world)
            #expect(exit == 5, "\(output)")
            #expect(causes.contains("authorization"), "\(causes)")
            #expect(
                output.contains("leg 1's local key on the origin (\(principal)) lacks READ on TOPIC payments"),
                "\(output)")
        }

        @Test("the link loses DESCRIBE on a synced group on the origin: the diagnosis names the group and principal")
        func originGroupDescribeRevoked() async throws {
            let world = try await rolledOut()
            defer { Task { await world.stop() } }
            let principal = "User:\(Demo.linkServiceAccount)"
            let removed = world.simulator.removeACLs(
                clusterID: Demo.origin, principal: principal, resourceType: "GROUP", resourceName: Demo.consumerGroup)
            #expect(removed > 0, "the rollout granted DESCRIBE on the synced group")
            // The offset-sync task notices on its next sync (consumer.offset.sync.ms): a bounded number of tries.
            var last: (status: Int32, causes: [String], json: String) = (0, [], "")
            for _ in 0..<10 {
                last = try await verify(world)
                if last.causes.contains("authorization") { break }
                try await Task.sleep(for: .seconds(1))
            }
            #expect(last.status == 5, "\(last.json)")
            #expect(last.causes.contains("authorization"), "\(last.causes)")
            #expect(
                last.json.contains(
                    "leg 1's local key on the origin (\(principal)) lacks DESCRIBE on GROUP \(Demo.consumerGroup)"),
                "\(last.json)")
        }
    }
}
