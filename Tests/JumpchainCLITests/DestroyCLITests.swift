import ConfluentSimulator
import Foundation
import JumpchainTestSupport
import Testing

extension BinaryTests {
    /// `jumpchain destroy` through the built binary: dry run, refusal, keep and delete, lost state, and seeded
    /// SIGKILLs of the rollout and of the teardown with resume.
    @Suite("destroy", .serialized)
    struct DestroyCLITests {
        static let minimumKills = 10
        static let chainTopics = ["orders", "payments", "inventory"]

        @Test("dry run sends no mutating request; no --target-topics refuses; keep fails over, leaves the jump empty")
        func destroyFinishedRunKeepingTargetTopics() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let applied = try await world.jumpchain(["apply", world.demoPlaybook])
            try #require(applied.status == 0, "\(applied.output)")

            world.simulator.recordExchanges(true)
            let dry = try await world.jumpchain(["destroy", "jump-demo", "--dry-run"])
            #expect(dry.status == 0, "\(dry.output)")
            #expect(dry.stdout.contains("found:") && dry.stdout.contains("DELETE"), "\(dry.stdout)")
            #expect(dry.stdout.contains("destroy would refuse"), "\(dry.stdout)")
            let dryRun = world.simulator.recordedExchanges()
            let dryWrites = dryRun.filter { $0.method != "GET" && !$0.path.hasPrefix("/sim/") }
            #expect(dryWrites.isEmpty, "the dry run sent \(dryWrites.map { "\($0.method) \($0.path)" })")
            #expect(dryRun.contains { $0.method == "GET" && $0.path.contains("/links/") })
            let refused = try await world.jumpchain(["destroy", "jump-demo"])
            #expect(refused.status == 2, "\(refused.output)")
            #expect(refused.stderr.contains("--target-topics keep"), "\(refused.stderr)")
            let writes = world.simulator.recordedExchanges().dropFirst(dryRun.count).filter {
                $0.method != "GET" && !$0.path.hasPrefix("/sim/")
            }
            // Refusing mints a session key to survey the jump (and revokes it): nothing else changes.
            #expect(
                writes.allSatisfy { $0.path.hasPrefix("/iam/v2/api-keys") },
                "\(writes.map { "\($0.method) \($0.path)" })")
            world.simulator.recordExchanges(false)

            let destroyed = try await world.jumpchain(["destroy", "jump-demo", "--target-topics", "keep"])
            #expect(destroyed.status == 0, "\(destroyed.output)")
            #expect(destroyed.stdout.contains("holds no key jumpchain minted (0 live) and no topic jumpchain created"))
            #expect(destroyed.stdout.contains("✓"), "\(destroyed.stdout)")
            expectTornDown(world, targetTopics: "keep", context: "keep")

            let again = try await world.jumpchain(["destroy", "jump-demo", "--target-topics", "keep"])
            #expect(again.status == 0)
            #expect(again.stdout.contains("already torn down"), "\(again.stdout)")
            let status = try await world.jumpchain(["status", "jump-demo", "--offline"])
            #expect(status.stdout.contains("then teardown (succeeded)"), "\(status.stdout)")
            let reapply = try await world.jumpchain(["apply", world.demoPlaybook])
            #expect(reapply.status == 2, "\(reapply.output)")
            let verify = try await world.jumpchain(["verify", "jump-demo"])
            #expect(verify.status == 2 && verify.stderr.contains("torn down"), "\(verify.output)")
        }

        @Test("state lost: destroy --playbook discovers the chain by its link names and topics and removes it")
        func destroyLostState() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let applied = try await world.jumpchain(["apply", world.demoPlaybook])
            try #require(applied.status == 0, "\(applied.output)")
            try FileManager.default.removeItem(atPath: world.stateDirectory)
            let missing = try await world.jumpchain(["destroy", "jump-demo", "--target-topics", "delete"])
            #expect(missing.status == 7 && missing.stderr.contains("--playbook"), "\(missing.output)")
            let destroyed = try await world.jumpchain([
                "destroy", "jump-demo", "--playbook", world.demoPlaybook, "--target-topics", "delete",
            ])
            #expect(destroyed.status == 0, "\(destroyed.output)")
            #expect(destroyed.stdout.contains("state was lost"), "\(destroyed.stdout)")
            expectTornDown(world, targetTopics: "delete", context: "lost state", aclsRecorded: false)
        }

        @Test("SIGKILL the rollout and the teardown at seeded random moments; destroy resumes to an empty jump")
        func killedRolloutsAndTeardowns() async throws {
            let seed =
                ProcessInfo.processInfo.environment["JUMPCHAIN_KILL_SEED"].flatMap(UInt64.init)
                ?? UInt64.random(in: 1...UInt64(UInt32.max))
            print("destroy kill seed: \(seed) (replay with JUMPCHAIN_KILL_SEED=\(seed))")
            var random = SeededGenerator(seed: seed)
            var kills = 0
            var worlds = 0
            while kills < Self.minimumKills && worlds < 12 {
                worlds += 1
                let world = try await DemoWorld.start()
                let mode = Bool.random(using: &random) ? "keep" : "delete"
                // The rollout: killed at a random moment, or left to finish.
                let rollout = try world.start(["apply", world.demoPlaybook])
                try await waitOrKill(rollout, seconds: Double.random(in: 0.2...6, using: &random), kills: &kills, world)
                // The teardown: killed at random moments, then run again (which resumes it) until it finishes.
                var finished = false
                var attempts = 0
                var lostState = false
                while !finished && attempts < 30 {
                    attempts += 1
                    var command = ["destroy", "jump-demo", "--target-topics", mode]
                    if lostState { command += ["--playbook", world.demoPlaybook] }
                    let running = try world.start(command)
                    let limit = attempts > 5 ? 60 : Double.random(in: 0.05...3, using: &random)
                    if try await waitOrKill(running, seconds: limit, kills: &kills, world) {
                        continue
                    }
                    let result = await running.wait()
                    world.record(result)
                    if result.status == 7 {
                        // Killed before the run was recorded: the lost-state path finds whatever it made.
                        lostState = true
                        continue
                    }
                    #expect(result.status == 0, "seed \(seed): \(result.output)")
                    finished = true
                }
                #expect(finished, "seed \(seed): destroy did not finish in 30 attempts")
                expectTornDown(
                    world, targetTopics: mode, context: "seed \(seed), world \(worlds)", aclsRecorded: !lostState)
                await world.stop()
            }
            print("destroy kills: \(kills) over \(worlds) worlds")
            #expect(kills >= Self.minimumKills, "seed \(seed)")
        }

        /// Waits up to `seconds` for the process; kills it if still running. Returns whether it was killed
        /// (the result is recorded either way only when killed; otherwise the caller waits for it).
        @discardableResult
        func waitOrKill(
            _ running: CLI.Running, seconds: Double, kills: inout Int, _ world: DemoWorld
        ) async throws
            -> Bool
        {
            let deadline = Date().addingTimeInterval(seconds)
            while running.process.isRunning && Date() < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            guard running.process.isRunning else { return false }
            running.kill()
            kills += 1
            world.record(await running.wait())
            return true
        }

        /// No link, no jump mirror or chain topic on the jump, no ACL for the link principal, no live key on the
        /// jump; the target's chain topics kept as normal topics or deleted.
        func expectTornDown(_ world: DemoWorld, targetTopics: String, context: String, aclsRecorded: Bool = true) {
            let state = world.state()
            let jump = SimulatorConfig.JumpDemo.jump
            let links = (state["links"] as? [[String: Any]]) ?? []
            #expect(links.isEmpty, "\(context): links left \(links)")
            let mirrors = (state["mirrors"] as? [[String: Any]]) ?? []
            #expect(
                !mirrors.contains { ($0["cluster_id"] as? String) == jump }, "\(context): jump mirrors left")
            #expect(
                !mirrors.contains { ($0["stored_status"] as? String) == "ACTIVE" }, "\(context): an ACTIVE mirror left")
            let topics = ((state["topics"] as? [[String: Any]]) ?? []).map {
                (($0["cluster_id"] as? String) ?? "", ($0["topic_name"] as? String) ?? "")
            }
            let jumpTopics = topics.filter { $0.0 == jump }.map(\.1).filter {
                !$0.hasPrefix("_") || $0.contains("canary")
            }
            #expect(jumpTopics.isEmpty, "\(context): topics left on the jump \(jumpTopics)")
            #expect(world.liveKeys(on: jump).isEmpty, "\(context): live keys on the jump \(world.liveKeys(on: jump))")
            if aclsRecorded {
                let acls = ((state["acls"] as? [[String: Any]]) ?? []).filter { ($0["cluster_id"] as? String) == jump }
                #expect(acls.isEmpty, "\(context): ACLs left on the jump \(acls)")
            }
            let target = topics.filter { $0.0 != jump }.map(\.1)
            if targetTopics == "delete" {
                let targetID = ((state["clusters"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
                _ = targetID
                let mirrored = mirrors.filter { Self.chainTopics.contains(($0["mirror_topic_name"] as? String) ?? "") }
                #expect(mirrored.isEmpty, "\(context): target mirrors left \(mirrored)")
            } else {
                // Every chain topic that reached the target is still there, as a STOPPED (failed over) mirror.
                #expect(
                    mirrors.allSatisfy { ($0["stored_status"] as? String) == "STOPPED" }, "\(context): \(mirrors)")
                _ = target
            }
        }
    }
}
