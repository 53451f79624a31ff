import ConfluentSimulator
import Foundation
import JumpchainTestSupport
import SeededRandom
import Testing

extension BinaryTests {
    /// `apply` SIGKILLed at random moments — key creation and secret destruction included — and `resume`d each
    /// time, converges to the same end state as an uninterrupted run, with the one-key invariant intact.
    @Suite("kill -9 and resume", .serialized)
    struct KillResumeCLITests {
        static let minimumKills = 20

        @Test("SIGKILL at seeded random moments, resume each time: same end state, invariant holds, no secret leaks")
        func killAndResume() async throws {
            let seed = CLI.killSeed("JUMPCHAIN_KILL_SEED", label: "kill-and-resume")
            var random = SeededGenerator(seed: seed)
            var kills = 0
            var worlds = 0
            var killedBeforeDestroy = 0
            while kills < Self.minimumKills {
                worlds += 1
                let world = try await DemoWorld.start()
                var command = ["apply", world.demoPlaybook]
                var finished = false
                var attempts = 0
                while !finished {
                    attempts += 1
                    // Most kills land in the first seconds, where the keys are minted and the links created.
                    let delay = Double.random(in: 0.05...(attempts > 6 ? 20 : 3.5), using: &random)
                    let (result, killed) = try await world.runOrKill(command, after: delay)
                    if killed {
                        kills += 1
                        if !result.stdout.contains("step destroy-secret #1 succeeded") { killedBeforeDestroy += 1 }
                    } else {
                        #expect(result.status == 0, "seed \(seed): \(result.output)")
                        finished = true
                    }
                    // Killed before the run was created (its store appears whole or not at all): apply again.
                    let created = FileManager.default.fileExists(
                        atPath: world.stateDirectory + "/jump-demo/state.sqlite")
                    command = created ? ["resume", "jump-demo"] : ["apply", world.demoPlaybook]
                    if attempts > 40 {
                        Issue.record("seed \(seed): no convergence after 40 attempts")
                        break
                    }
                }
                try await expectConverged(world, seed: seed)
                await world.stop()
            }
            print(
                "kill-and-resume: \(kills) kills over \(worlds) worlds, \(killedBeforeDestroy) before the secret was destroyed"
            )
            #expect(kills >= Self.minimumKills)
            #expect(killedBeforeDestroy > 0, "seed \(seed): no kill landed between key creation and secret destruction")
        }

        /// The end state of an uninterrupted run: three ACTIVE link halves, eight ACTIVE mirrors, exactly one
        /// live key on the jump held by both links, exactly one origin link key held by leg 1's source half, no
        /// session key left, and no secret on disk or in output.
        func expectConverged(_ world: DemoWorld, seed: UInt64) async throws {
            let state = world.state()
            let links = (state["links"] as? [[String: Any]]) ?? []
            #expect(links.count == 3, "seed \(seed)")
            #expect(links.allSatisfy { ($0["link_state"] as? String) == "ACTIVE" }, "seed \(seed): \(links)")
            let mirrors = (state["mirrors"] as? [[String: Any]]) ?? []
            #expect(mirrors.count == 8, "seed \(seed)")
            #expect(mirrors.allSatisfy { ($0["mirror_status"] as? String) == "ACTIVE" }, "seed \(seed)")
            let liveJumpKeys = world.liveKeys(on: SimulatorConfig.JumpDemo.jump)
            let held = Set(links.compactMap { $0["remote_api_key_id"] as? String })
            #expect(liveJumpKeys.count == 1, "seed \(seed): live keys on the jump \(world.describeKeys(liveJumpKeys))")
            #expect(held == Set(liveJumpKeys), "seed \(seed): links hold \(held), live \(liveJumpKeys)")
            // The origin side: exactly one origin link key jumpchain minted, the one leg 1's source half holds.
            let originKeys = world.liveOriginLinkKeys()
            #expect(originKeys.count == 1, "seed \(seed): origin link keys \(originKeys)")
            #expect(world.heldLocalKeys() == Set(originKeys), "seed \(seed): local keys \(world.heldLocalKeys())")

            // Offsets match across both hops (mirrors preserve them); the verify command proves it.
            let verify = try await world.jumpchain(["verify", "jump-demo", "--timeout", "60"])
            #expect(verify.status == 0, "seed \(seed): \(verify.output)")
            #expect(world.liveKeys(on: SimulatorConfig.JumpDemo.jump) == liveJumpKeys, "verify left a session key")

            let needles = world.issuedSecretNeedles()
            #expect(world.scanStateDirectory(for: needles).isEmpty, "seed \(seed): a secret reached the run directory")
            for transcript in world.transcripts {
                for needle in needles where transcript.contains(needle) {
                    Issue.record("seed \(seed): an issued secret appeared in a command line or its output")
                }
            }
        }
    }

    /// The window the seeded kill loops hit under load: every step done, the session key not yet revoked.
    @Suite("killed while the finished run revokes its session key", .serialized)
    struct KilledWhileClosingCLITests {
        @Test(
            "SIGKILL after the last step, at the session key's revocation: the run stays unfinished, resume revokes it")
        func killWhileRevokingTheSessionKey() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let running = try world.start(["apply", world.demoPlaybook, "--output", "json"])
            // No step after destroy-secret calls the control plane (the session key was minted by preflight):
            // holding it from then on stops the run at its first control-plane request after the last step.
            let deadline = Date().addingTimeInterval(120)
            var held = false
            while running.process.isRunning && Date() < deadline {
                let text = (try? String(contentsOfFile: running.outPath, encoding: .utf8)) ?? ""
                if text.split(separator: "\n").contains(where: {
                    $0.contains("\"kind\":\"stepSucceeded\"") && $0.contains("\"stepID\":\"destroy-secret\"")
                }) {
                    world.simulator.setFaults(FaultSettings(blackholed: [Self.controlPlane]))
                }
                if world.simulator.heldRequests(listener: Self.controlPlane) > 0 {
                    held = true
                    break
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            running.kill()
            let killed = await running.wait()
            world.record(killed)
            world.simulator.setFaults(FaultSettings())
            try #require(held, "the run never reached the control plane after its last step: \(killed.output)")
            let links = (world.state()["links"] as? [[String: Any]]) ?? []
            let linkKeys = Set(links.compactMap { $0["remote_api_key_id"] as? String })
            let sessionKeys = world.liveKeys(on: SimulatorConfig.JumpDemo.jump).filter { !linkKeys.contains($0) }
            #expect(!sessionKeys.isEmpty, "the kill landed after the session key was revoked")

            let resumed = try await world.jumpchain(["resume", "jump-demo"])
            #expect(resumed.status == 0, "\(resumed.output)")
            let live = world.liveKeys(on: SimulatorConfig.JumpDemo.jump)
            #expect(Set(live) == linkKeys && live.count == 1, "live keys on the jump \(live), links hold \(linkKeys)")
        }

        static let controlPlane = "control-plane"
    }

    @Suite("SIGINT stops in order", .serialized)
    struct InterruptCLITests {
        @Test("SIGINT during apply records an orderly stop, revokes the session key, exits 130; resume finishes")
        func interruptThenResume() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let running = try world.start(["apply", world.demoPlaybook])
            // Wait until the run is past the session key's creation (preflight uses it), then interrupt.
            let deadline = Date().addingTimeInterval(30)
            while running.process.isRunning && Date() < deadline {
                let keys = world.liveKeys(on: SimulatorConfig.JumpDemo.jump)
                if !keys.isEmpty { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(300))
            kill(running.process.processIdentifier, SIGINT)
            let interrupted = await running.wait()
            world.record(interrupted)
            #expect(interrupted.status == 130, "\(interrupted.output)")
            #expect(interrupted.stderr.contains("jumpchain resume jump-demo"))
            // The invariant holds after the interrupted run too: no key on the jump but those its links hold.
            let state = world.state()
            let links = (state["links"] as? [[String: Any]]) ?? []
            let held = Set(links.compactMap { $0["remote_api_key_id"] as? String })
            let unheld = world.liveKeys(on: SimulatorConfig.JumpDemo.jump).filter { !held.contains($0) }
            #expect(unheld.isEmpty, "live jump keys not held by a link: \(unheld)")
            let unheldOrigin = world.liveOriginLinkKeys().filter { !world.heldLocalKeys().contains($0) }
            #expect(unheldOrigin.isEmpty, "live origin link keys not held by a link: \(unheldOrigin)")

            let resumed = try await world.jumpchain(["resume", "jump-demo"])
            #expect(resumed.status == 0, "\(resumed.output)")
            #expect(world.liveKeys(on: SimulatorConfig.JumpDemo.jump).count == 1)
            #expect(world.liveOriginLinkKeys().count == 1, "origin link keys \(world.liveOriginLinkKeys())")
        }
    }

    @Suite("resume after the link secret was lost", .serialized)
    struct LostSecretCLITests {
        @Test("killed right after the link key was minted: resume mints a new key, re-points, revokes the old one")
        func killAfterLinkKey() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let running = try world.start(["apply", world.demoPlaybook, "--output", "json"])
            let deadline = Date().addingTimeInterval(60)
            var killedAfter: String?
            while running.process.isRunning && Date() < deadline {
                let text = (try? String(contentsOfFile: running.outPath, encoding: .utf8)) ?? ""
                let lines = text.split(separator: "\n")
                if lines.contains(where: {
                    $0.contains("\"kind\":\"stepSucceeded\"") && $0.contains("\"stepID\":\"link-key\"")
                }) {
                    running.kill()
                    killedAfter = "link-key succeeded"
                    break
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            let killed = await running.wait()
            world.record(killed)
            try #require(killedAfter != nil, "the run finished before the link key step was seen: \(killed.output)")
            let firstKeys = world.liveKeys(on: SimulatorConfig.JumpDemo.jump)
            #expect(!firstKeys.isEmpty)

            let resumed = try await world.jumpchain(["resume", "jump-demo", "--output", "json"])
            #expect(resumed.status == 0, "\(resumed.output)")
            #expect(resumed.stdout.contains("ephemeralRecovered"), "\(resumed.stdout.prefix(3000))")
            let finalKeys = world.liveKeys(on: SimulatorConfig.JumpDemo.jump)
            #expect(finalKeys.count == 1, "live keys on the jump: \(finalKeys)")
            // The old link key is gone; the new one is held by both links that authenticate to the jump.
            let links = (world.state()["links"] as? [[String: Any]]) ?? []
            let held = Set(links.compactMap { $0["remote_api_key_id"] as? String })
            #expect(held == Set(finalKeys))
            #expect(Set(firstKeys).isDisjoint(with: finalKeys), "the link key minted before the kill is still alive")
            let needles = world.issuedSecretNeedles()
            #expect(world.scanStateDirectory(for: needles).isEmpty)
        }
    }
}
