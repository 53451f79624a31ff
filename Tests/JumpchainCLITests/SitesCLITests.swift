import ConfluentSimulator
import Foundation
import JumpchainTestSupport
import SeededRandom
import Testing

extension BinaryTestsLane3 {
    /// Multi-site runs through the binary: two sites of the demo chain sharing one state directory, each running
    /// only the steps whose clusters it reaches, one link key per leg.
    @Suite("sites", .serialized)
    struct SitesCLITests {
        static let sites = """

            sites:
              origin-side: {reaches: [origin]}
              target-side: {reaches: [target]}
            """

        static func playbook(_ world: DemoWorld) throws -> String {
            let path = try world.playbookVariant("sites", replacing: [])
            let handle = try #require(FileHandle(forWritingAtPath: path))
            handle.seekToEndOfFile()
            handle.write(Data(sites.utf8))
            try handle.close()
            return path
        }

        @Test("alternating --site: hand-offs exit 10 and name what they wait for; two keys, each held by its link")
        func alternate() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let playbook = try Self.playbook(world)

            let plan = try await world.jumpchain(["plan", playbook])
            #expect(plan.status == 0, "\(plan.output)")
            #expect(plan.stdout.contains("hand-offs: origin-side → target-side"), "\(plan.stdout)")
            #expect(plan.stdout.contains("leg2") && plan.stdout.contains("[target-side]"), "\(plan.stdout)")

            // doctor --site: with the target's REST blackholed this host can be the origin's site, not the target's.
            world.simulator.setFaults(FaultSettings(blackholed: [SimulatorConfig.JumpDemo.target]))
            let originDoctor = try await world.jumpchain(
                ["doctor", playbook, "--site", "origin-side", "--timeout", "1"])
            #expect(originDoctor.status == 0, "\(originDoctor.output)")
            #expect(originDoctor.stdout.contains("this host is site origin-side: this host can run all"))
            let targetDoctor = try await world.jumpchain(
                ["doctor", playbook, "--site", "target-side", "--timeout", "1"])
            #expect(targetDoctor.status == 1, "\(targetDoctor.output)")
            #expect(targetDoctor.stdout.contains("leg2 (cannot use target REST)"), "\(targetDoctor.stdout)")
            world.simulator.setFaults(FaultSettings())

            let early = try await world.jumpchain(["apply", playbook, "--site", "target-side"])
            #expect(early.status == 10, "\(early.output)")
            #expect(early.stderr.contains("waiting for site origin-side to run step preflight"), "\(early.stderr)")

            let first = try await world.jumpchain(["apply", playbook, "--site", "origin-side"])
            #expect(first.status == 10, "\(first.output)")
            #expect(first.stderr.contains("waiting for site target-side to run step"), "\(first.stderr)")
            #expect(first.stderr.contains("invariant at site origin-side") && first.stderr.contains("✓"))
            let status = try await world.jumpchain(["status", "jump-demo"])
            #expect(status.stdout.contains("site origin-side"), "\(status.output)")
            #expect(status.stdout.contains("waits for site target-side"), "\(status.output)")

            // The target's site needs no origin secret: it never calls the origin.
            let second = try await world.jumpchain(
                ["resume", "jump-demo", "--site", "target-side"], environment: ["JUMPCHAIN_ORIGIN_SECRET": ""])
            #expect(second.status == 0, "\(second.output)")
            #expect(second.stdout.contains("the jump holds 2 link keys"), "\(second.stdout)")
            let again = try await world.jumpchain(["resume", "jump-demo", "--site", "origin-side"])
            #expect(again.status == 0, "\(again.output)")
            try expectTwoKeys(world, context: "alternating")
            // Teardown (from a host that reaches everything) revokes both legs' keys.
            let destroy = try await world.jumpchain(["destroy", "jump-demo", "--target-topics", "keep"])
            #expect(destroy.status == 0, "\(destroy.output)")
            #expect(world.liveKeys(on: SimulatorConfig.JumpDemo.jump).isEmpty)
        }

        @Test("two processes, one per site, with --wait on a shared state directory: both finish")
        func concurrent() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let playbook = try Self.playbook(world)
            let target = try world.start([
                "apply", playbook, "--site", "target-side", "--wait", "--wait-timeout", "120",
            ])
            let origin = try world.start([
                "apply", playbook, "--site", "origin-side", "--wait", "--wait-timeout", "120",
            ])
            let second = try world.start(["resume", "jump-demo", "--site", "origin-side"])
            let (o, t, s) = (await origin.wait(), await target.wait(), await second.wait())
            for result in [o, t, s] { world.record(result) }
            #expect(o.status == 0, "\(o.output)")
            #expect(t.status == 0, "\(t.output)")
            #expect(t.output.contains("waiting for site origin-side"), "\(t.output)")
            // A second runner of the same site is refused (75, naming the holder), or found the run absent (7) or
            // already finished (0) — never a second writer.
            #expect([0, 7, 75].contains(s.status), "\(s.output)")
            if s.status == 75 { #expect(s.stderr.contains("site origin-side"), "\(s.stderr)") }
            try expectTwoKeys(world, context: "concurrent")
        }

        @Test("SIGKILL at seeded random moments at either site, resume at either: converges, no orphan key")
        func killAtEitherSite() async throws {
            let seed = CLI.killSeed("JUMPCHAIN_SITES_KILL_SEED", label: "sites kill")
            var random = SeededGenerator(seed: seed)
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let playbook = try Self.playbook(world)
            var kills = 0
            var finished: Set<String> = []
            var attempts = 0
            while finished.count < 2 {
                attempts += 1
                if attempts > 40 {
                    Issue.record("seed \(seed): no convergence after 40 attempts")
                    break
                }
                let site = Bool.random(using: &random) ? "origin-side" : "target-side"
                let created = FileManager.default.fileExists(atPath: world.stateDirectory + "/jump-demo/state.sqlite")
                let command = created ? ["resume", "jump-demo", "--site", site] : ["apply", playbook, "--site", site]
                let delay = kills < 5 ? Double.random(in: 0.05...2.5, using: &random) : 120
                let (result, killed) = try await world.runOrKill(command, after: delay)
                if killed {
                    kills += 1
                    finished = []
                    continue
                }
                #expect([0, 7, 10].contains(result.status), "seed \(seed): \(result.output)")
                if result.status == 0 { finished.insert(site) }
            }
            print("sites kill: \(kills) kills, \(attempts) runs")
            try expectTwoKeys(world, context: "seed \(seed)")
        }

        /// Three ACTIVE link halves, eight mirrors, exactly two live link keys on the jump, each held by one link,
        /// no session key left, and no issued secret in the state directory or any output.
        func expectTwoKeys(_ world: DemoWorld, context: String) throws {
            let state = world.state()
            let links = (state["links"] as? [[String: Any]]) ?? []
            #expect(links.count == 3, "\(context)")
            #expect(links.allSatisfy { ($0["link_state"] as? String) == "ACTIVE" }, "\(context): \(links)")
            let mirrors = (state["mirrors"] as? [[String: Any]]) ?? []
            #expect(mirrors.count == 8, "\(context)")
            let live = world.liveKeys(on: SimulatorConfig.JumpDemo.jump)
            let held = links.compactMap { $0["remote_api_key_id"] as? String }
            #expect(live.count == 2, "\(context): live keys on the jump \(live)")
            #expect(Set(held) == Set(live), "\(context): links hold \(held), live \(live)")
            #expect(Set(held).count == 2, "\(context): each leg holds its own key: \(held)")
            let needles = world.issuedSecretNeedles()
            #expect(world.scanStateDirectory(for: needles).isEmpty, "\(context): a secret reached the state directory")
            for transcript in world.transcripts {
                for needle in needles where transcript.contains(needle) {
                    Issue.record("\(context): an issued secret appeared in a command line or its output")
                }
            }
        }
    }
}
