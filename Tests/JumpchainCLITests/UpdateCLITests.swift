import ConfluentSimulator
import Foundation
import JumpchainTestSupport
import SeededRandom
import Testing

extension BinaryTestsLane2 {
    /// `plan` and `apply` on a changed playbook of a live chain, through the built binary.
    @Suite("change topics on a live chain", .serialized)
    struct UpdateCLITests {
        static func world() async throws -> DemoWorld {
            var config = SimulatorConfig.jumpDemo()
            let origin = SimulatorConfig.JumpDemo.origin
            config.topics += [
                SimulatorConfig.Topic(cluster: origin, name: "refunds", partitions: 2, records: 20),
                SimulatorConfig.Topic(cluster: origin, name: "shipments", partitions: 3, records: 30),
            ]
            return try await DemoWorld.start(config: config)
        }

        static let five = "names: [orders, payments, inventory, refunds, shipments]"

        @Test("two added topics: only their requests are sent, both mirrored on both hops, verified, one live key")
        func addTwoTopics() async throws {
            let world = try await Self.world()
            defer { Task { await world.stop() } }
            let applied = try await world.jumpchain(["apply", world.demoPlaybook])
            try #require(applied.status == 0, "\(applied.output)")
            let linkKeys = world.liveKeys(on: SimulatorConfig.JumpDemo.jump)
            let added = try world.playbookVariant(
                "added", replacing: [("names: [orders, payments, inventory]", Self.five)])

            // A topic the origin does not have: preflight refuses, and no operation is left behind.
            let ghost = try world.playbookVariant(
                "ghost",
                replacing: [("names: [orders, payments, inventory]", "names: [orders, payments, inventory, ghost]")])
            let refused = try await world.jumpchain(["apply", ghost])
            #expect(refused.status == 3, "\(refused.output)")
            #expect(refused.stderr.contains("ghost"), "\(refused.stderr)")
            let history = try await world.jumpchain(["status", "jump-demo", "--offline"])
            #expect(!history.stdout.contains("then update"), "\(history.stdout)")

            let plan = try await world.jumpchain(["plan", added])
            #expect(plan.status == 0, "\(plan.output)")
            #expect(plan.stdout.contains("add             refunds, shipments"), "\(plan.stdout)")
            #expect(plan.stdout.contains("mirror-target:shipments"))
            #expect(!plan.stdout.contains("mirror-jump:orders"))

            world.simulator.recordExchanges(true)
            let update = try await world.jumpchain(["apply", added])
            let exchanges = world.simulator.recordedExchanges().filter { !$0.path.hasPrefix("/sim/") }
            world.simulator.recordExchanges(false)
            #expect(update.status == 0, "\(update.output)")
            #expect(update.stdout.contains("added           refunds, shipments"), "\(update.stdout)")
            // No link and no link key: only mirrors of the added topics, their ACLs and the session key.
            #expect(!exchanges.contains { $0.method == "POST" && $0.path.hasSuffix("/links") })
            let mirrorCreates = exchanges.filter { $0.method == "POST" && $0.path.hasSuffix("/mirrors") }
            #expect(mirrorCreates.count == 4, "\(mirrorCreates.map(\.path))")
            for create in mirrorCreates {
                let body = String(decoding: create.requestBody, as: UTF8.self)
                #expect(body.contains("refunds") || body.contains("shipments"), "\(body)")
            }
            let keyCreates = exchanges.filter { $0.method == "POST" && $0.path == "/iam/v2/api-keys" }
            #expect(keyCreates.count <= 1, "only a session key may be minted")
            #expect(world.liveKeys(on: SimulatorConfig.JumpDemo.jump) == linkKeys)

            let mirrors = (world.state()["mirrors"] as? [[String: Any]]) ?? []
            #expect(mirrors.count == 12, "\(mirrors.count) mirrors")  // 5 topics + canary, on both hops
            #expect(mirrors.allSatisfy { ($0["mirror_status"] as? String) == "ACTIVE" })

            let verify = try await world.jumpchain(["verify", "jump-demo", "--timeout", "60"])
            #expect(verify.status == 0, "\(verify.output)")
            #expect(verify.stdout.contains("refunds") && verify.stdout.contains("shipments"), "\(verify.stdout)")
            let status = try await world.jumpchain(["status", "jump-demo", "--offline"])
            #expect(status.stdout.contains("then update (succeeded)"), "\(status.stdout)")
            #expect(status.stdout.contains("succeeded  verify"))

            // Destroy removes what the update added too.
            let destroyed = try await world.jumpchain(["destroy", "jump-demo", "--target-topics", "delete"])
            #expect(destroyed.status == 0, "\(destroyed.output)")
            #expect(destroyed.stdout.contains("(0 of 6 left) ✓"), "\(destroyed.stdout)")
            let acls = ((world.state()["acls"] as? [[String: Any]]) ?? []).filter {
                ($0["cluster_id"] as? String) == SimulatorConfig.JumpDemo.jump
            }
            #expect(acls.isEmpty, "\(acls)")
        }

        @Test("--prune fails the target mirror over and deletes the jump mirror; an unalterable option is refused")
        func pruneAndRefuse() async throws {
            let world = try await Self.world()
            defer { Task { await world.stop() } }
            let five = try world.playbookVariant(
                "five", replacing: [("names: [orders, payments, inventory]", Self.five)])
            let applied = try await world.jumpchain(["apply", five])
            try #require(applied.status == 0, "\(applied.output)")

            // shipments no longer selected, and an alterable option changed.
            let four = try world.playbookVariant(
                "four",
                replacing: [
                    ("names: [orders, payments, inventory]", "names: [orders, payments, inventory, refunds]"),
                    ("consumer.offset.sync.ms: \"5000\"", "consumer.offset.sync.ms: \"6000\""),
                ])
            let left = try await world.jumpchain(["apply", four])
            #expect(left.status == 0, "\(left.output)")
            #expect(left.output.contains("left alone: shipments"), "\(left.output)")
            #expect(left.stdout.contains("link options    altered"), "\(left.stdout)")
            let jump = SimulatorConfig.JumpDemo.jump
            func jumpTopics() -> [String] {
                ((world.state()["topics"] as? [[String: Any]]) ?? []).filter { ($0["cluster_id"] as? String) == jump }
                    .compactMap { $0["topic_name"] as? String }
            }
            #expect(jumpTopics().contains("shipments"))

            let plan = try await world.jumpchain(["plan", four, "--prune"])
            #expect(plan.stdout.contains("no longer wanted shipments (pruned)"), "\(plan.stdout)")
            let pruned = try await world.jumpchain(["apply", four, "--prune"])
            #expect(pruned.status == 0, "\(pruned.output)")
            #expect(pruned.stdout.contains("pruned          shipments"), "\(pruned.stdout)")
            #expect(!jumpTopics().contains("shipments"))
            let mirrors = (world.state()["mirrors"] as? [[String: Any]]) ?? []
            let target = mirrors.first {
                ($0["mirror_topic_name"] as? String) == "shipments" && ($0["cluster_id"] as? String) != jump
            }
            #expect(target?["stored_status"] as? String == "STOPPED", "\(String(describing: target))")
            let acls = ((world.state()["acls"] as? [[String: Any]]) ?? []).filter {
                ($0["cluster_id"] as? String) == jump && ($0["resource_name"] as? String) == "shipments"
            }
            #expect(acls.isEmpty, "\(acls)")

            // cluster.link.prefix cannot change on an existing link: refused before any request.
            let prefixed = try world.playbookVariant(
                "prefixed",
                replacing: [
                    ("names: [orders, payments, inventory]", "names: [orders, payments, inventory, refunds]"),
                    (
                        "consumer.offset.sync.ms: \"5000\"",
                        "consumer.offset.sync.ms: \"6000\"\n    cluster.link.prefix: dr."
                    ),
                ])
            world.simulator.recordExchanges(true)
            let refused = try await world.jumpchain(["apply", prefixed])
            let sent = world.simulator.recordedExchanges().filter { !$0.path.hasPrefix("/sim/") }
            world.simulator.recordExchanges(false)
            #expect(refused.status == 2, "\(refused.output)")
            #expect(refused.stderr.contains("`cluster.link.prefix`"), "\(refused.stderr)")
            // The way out, as the update's other refusals say it: a torn-down run is not built over.
            #expect(
                refused.stderr.contains("`jumpchain destroy` the chain, remove its run directory"), "\(refused.stderr)")
            #expect(sent.isEmpty, "\(sent.map { "\($0.method) \($0.path)" })")
        }

        @Test("an update SIGKILLed at seeded moments: apply refuses to start another, resume finishes it")
        func killedUpdateResumes() async throws {
            let seed =
                ProcessInfo.processInfo.environment["JUMPCHAIN_KILL_SEED"].flatMap(UInt64.init)
                ?? UInt64.random(in: 1...UInt64(UInt32.max))
            print("update kill seed: \(seed) (replay with JUMPCHAIN_KILL_SEED=\(seed))")
            var random = SeededGenerator(seed: seed)
            let world = try await Self.world()
            defer { Task { await world.stop() } }
            let applied = try await world.jumpchain(["apply", world.demoPlaybook])
            try #require(applied.status == 0, "\(applied.output)")
            let linkKeys = world.liveKeys(on: SimulatorConfig.JumpDemo.jump)
            let added = try world.playbookVariant(
                "added", replacing: [("names: [orders, payments, inventory]", Self.five)])
            var command = ["apply", added]
            var finished = false
            var kills = 0
            for _ in 0..<20 where !finished {
                let running = try world.start(command)
                let deadline = Date().addingTimeInterval(
                    kills < 3 ? Double.random(in: 0.1...1.5, using: &random) : 60)
                while running.process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
                if running.process.isRunning {
                    running.kill()
                    kills += 1
                    world.record(await running.wait())
                    // Only a kill after the update's store was created (atomically, by rename) leaves an
                    // unfinished update behind; a kill before it leaves nothing for `apply` to refuse.
                    if command[0] == "apply",
                        FileManager.default.fileExists(
                            atPath: world.stateDirectory + "/jump-demo/operations/001-update/state.sqlite")
                    {
                        let again = try await world.jumpchain(["apply", added])
                        // 0: the kill landed after the update had already been recorded as succeeded.
                        #expect([0, 6].contains(again.status), "seed \(seed): \(again.output)")
                        finished = again.status == 0
                        command = ["resume", "jump-demo"]
                    }
                    continue
                }
                let result = await running.wait()
                world.record(result)
                #expect(result.status == 0, "seed \(seed): \(result.output)")
                finished = result.status == 0
            }
            #expect(finished, "seed \(seed)")
            print("update kills: \(kills)")
            let mirrors = (world.state()["mirrors"] as? [[String: Any]]) ?? []
            #expect(mirrors.count == 12, "seed \(seed): \(mirrors.count) mirrors")
            #expect(mirrors.allSatisfy { ($0["mirror_status"] as? String) == "ACTIVE" }, "seed \(seed)")
            #expect(world.liveKeys(on: SimulatorConfig.JumpDemo.jump) == linkKeys, "seed \(seed)")
        }
    }
}
