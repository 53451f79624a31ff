import ConfluentSimulator
import Foundation
import JumpchainHTTP
import Testing

extension BinaryTests {
    /// `topics.auto_create: true` through the built binary: both links auto-create mirrors, so a topic created on
    /// the origin after the rollout reaches the target without a rerun; verify, status and destroy cover it.
    @Suite("auto-created mirrors flow through the chain", .serialized)
    struct AutoCreateCLITests {
        typealias Demo = SimulatorConfig.JumpDemo

        static let topics =
            "  names: [orders, payments, inventory]\n  patterns: ['returns.*']\n  exclude: ['returns\\.tmp']\n"
            + "  auto_create: true"

        func send(_ world: DemoWorld, _ path: String, _ body: String) async throws -> Int {
            let key = world.simulator.connectionInfo.operatorKeys.first { $0.resource == Demo.origin }!
            let response = try await HTTPClient().execute(
                HTTPRequest(
                    method: .post,
                    url: world.simulator.clusterRESTURL(clusterID: Demo.origin) + "/kafka/v3/clusters/\(Demo.origin)"
                        + path, headers: ["Content-Type": "application/json"], body: Array(body.utf8),
                    credential: APICredential(key: key.id, secret: Secret(key.secret))))
            return response.status
        }

        /// End offsets of `topic` on `cluster` (empty when it does not exist).
        func ends(_ world: DemoWorld, _ cluster: String, _ topic: String) -> [Int64] {
            let topics = (world.state()["topics"] as? [[String: Any]]) ?? []
            let entry = topics.first {
                ($0["cluster_id"] as? String) == cluster && ($0["topic_name"] as? String) == topic
            }
            return ((entry?["end_offsets"] as? [Any]) ?? []).compactMap { ($0 as? NSNumber)?.int64Value }
        }

        func mirrors(_ world: DemoWorld, on cluster: String) -> Set<String> {
            Set(
                ((world.state()["mirrors"] as? [[String: Any]]) ?? []).filter {
                    ($0["cluster_id"] as? String) == cluster
                }.compactMap { $0["mirror_topic_name"] as? String })
        }

        @Test(
            "a new origin topic reaches the target with its offsets, an excluded one does not; turned off live; destroy"
        )
        func newOriginTopicFlowsThrough() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let playbook = try world.playbookVariant(
                "autocreate", replacing: [("  names: [orders, payments, inventory]", Self.topics)])

            let plan = try await world.jumpchain(["plan", playbook])
            #expect(plan.status == 0, "\(plan.output)")
            #expect(plan.stdout.contains("auto.create.mirror.topics.enable=true"), "\(plan.stdout)")
            #expect(
                plan.stdout.contains(#"{"name":"returns","patternType":"PREFIXED","filterType":"INCLUDE"}"#),
                "\(plan.stdout)")
            #expect(plan.stdout.contains("returns (PREFIXED) for auto-create"), "\(plan.stdout)")

            // Another run's link key: `jump-demo2` starts with `jump-demo`, and finalize-link-key must leave it.
            let cloud = world.simulator.connectionInfo.operatorKeys.first { $0.resource == nil }!
            let spec =
                #"{"spec":{"owner":{"id":"\#(Demo.linkServiceAccount)"},"resource":{"id":"\#(Demo.jump)"},"#
                + #""description":"jumpchain-link-key run=jump-demo2; held by another run's links"}}"#
            let other = try await HTTPClient().execute(
                HTTPRequest(
                    method: .post, url: world.simulator.controlPlaneURL + "/iam/v2/api-keys",
                    headers: ["Content-Type": "application/json"], body: Array(spec.utf8),
                    credential: APICredential(key: cloud.id, secret: Secret(cloud.secret))))
            let otherID = try #require(
                (try JSONSerialization.jsonObject(with: Data(other.body)) as? [String: Any])?["id"] as? String)

            let apply = try await world.jumpchain(["apply", playbook])
            #expect(apply.status == 0, "\(apply.output)")
            #expect(world.liveKeys(on: Demo.jump).contains(otherID), "finalize-link-key revoked another run's key")
            let acls = (world.state()["acls"] as? [[String: Any]]) ?? []
            #expect(
                acls.contains {
                    ($0["cluster_id"] as? String) == Demo.jump && ($0["resource_name"] as? String) == "returns"
                        && ($0["pattern_type"] as? String) == "PREFIXED" && ($0["operation"] as? String) == "READ"
                }, "the link principal reads what leg 2 auto-creates")

            // After the rollout, without a rerun: a new origin topic with records, and an excluded one.
            #expect(try await send(world, "/topics", #"{"topic_name":"returns-eu","partitions_count":2}"#) == 201)
            #expect(try await send(world, "/topics", #"{"topic_name":"returns.tmp","partitions_count":1}"#) == 201)
            for _ in 0..<3 {
                let produced = try await send(
                    world, "/topics/returns-eu/records", #"{"value":{"type":"STRING","data":"r"}}"#)
                #expect(produced == 200)
            }
            let originEnds = ends(world, Demo.origin, "returns-eu")
            #expect(originEnds.reduce(0, +) == 3)
            let deadline = Date().addingTimeInterval(30)
            while ends(world, Demo.target, "returns-eu") != originEnds, Date() < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(ends(world, Demo.target, "returns-eu") == originEnds, "offsets kept through both hops")
            #expect(mirrors(world, on: Demo.jump).contains("returns-eu"))
            #expect(!mirrors(world, on: Demo.jump).contains("returns.tmp"), "EXCLUDE wins")
            #expect(!mirrors(world, on: Demo.target).contains("returns.tmp"))

            let verify = try await world.jumpchain(["verify", "jump-demo", "--timeout", "60"])
            #expect(verify.status == 0, "\(verify.output)")
            #expect(verify.stdout.contains("returns-eu"), "verify covers the auto-created mirrors: \(verify.stdout)")
            let status = try await world.jumpchain(["status", "jump-demo"])
            #expect(
                status.stdout.contains(
                    "auto-created by the links (topics.auto_create; not in the recorded plan): returns-eu"),
                "\(status.stdout)")

            let cutover = try await world.jumpchain(["cutover", "jump-demo", "--dry-run"])
            #expect(
                cutover.stdout.contains("target mirror returns-eu: ACTIVE"),
                "cutover promotes it too: \(cutover.output)")

            // Turned off on the live chain: `configs:alter` on both legs (and the matching topic is adopted).
            let off = try world.playbookVariant(
                "autocreate-off",
                replacing: [
                    (
                        "  names: [orders, payments, inventory]",
                        "  names: [orders, payments, inventory]\n  patterns: ['returns.*']\n  exclude: ['returns\\.tmp']"
                    )
                ])
            let offPlan = try await world.jumpchain(["plan", off])
            #expect(offPlan.stdout.contains("{auto.create.mirror.topics.enable=false}"), "\(offPlan.stdout)")
            let update = try await world.jumpchain(["apply", off])
            #expect(update.status == 0, "\(update.output)")
            let key = world.simulator.connectionInfo.operatorKeys.first { $0.resource == Demo.target }!
            let config = try await HTTPClient().execute(
                HTTPRequest(
                    method: .get,
                    url: world.simulator.clusterRESTURL(clusterID: Demo.target) + "/kafka/v3/clusters/\(Demo.target)"
                        + "/links/demo-jump-to-target/configs/auto.create.mirror.topics.enable",
                    credential: APICredential(key: key.id, secret: Secret(key.secret))))
            #expect(String(decoding: config.body, as: UTF8.self).contains(#""value":"false""#))

            let destroyed = try await world.jumpchain(["destroy", "jump-demo", "--target-topics", "delete"])
            #expect(destroyed.status == 0, "\(destroyed.output)")
            #expect(destroyed.stdout.contains("(0 of 5 left) ✓"), "\(destroyed.stdout)")
            #expect(mirrors(world, on: Demo.jump).isEmpty && mirrors(world, on: Demo.target).isEmpty)
            let left = ((world.state()["acls"] as? [[String: Any]]) ?? []).filter {
                ($0["cluster_id"] as? String) == Demo.jump
                    && ($0["principal"] as? String) == "User:\(Demo.linkServiceAccount)"
            }
            #expect(left.isEmpty, "destroy removed the PREFIXED bindings it created: \(left)")
        }

        @Test(
            "with manage_acls: false, preflight names the READ bindings the auto-create filters lack; nothing changes")
        func unmanagedACLsAreNamed() async throws {
            // The origin link key's owner holds what leg 1 reads the named topics with: the jump is checked too.
            var config = SimulatorConfig.jumpDemo()
            config.acls += BinaryTests.PreflightCLITests.originLinkRights()
            let world = try await DemoWorld.start(config: config)
            defer { Task { await world.stop() } }
            let playbook = try world.playbookVariant(
                "autocreate-unmanaged",
                replacing: [
                    ("  names: [orders, payments, inventory]", Self.topics),
                    (
                        "  service_account: ${JUMPCHAIN_LINK_SA}",
                        "  service_account: ${JUMPCHAIN_LINK_SA}\n  manage_acls: false"
                    ),
                ])
            let before = world.remoteFingerprint()
            let apply = try await world.jumpchain(["apply", playbook])
            #expect(apply.status == 3, "\(apply.output)")
            #expect(
                apply.stderr.contains(
                    "leg 2 auto-create: lkc-jump lacks READ on TOPIC returns (PREFIXED) for User:sa-link01"),
                "\(apply.stderr)")
            #expect(world.remoteFingerprint() == before, "preflight changed nothing")
        }
    }
}
