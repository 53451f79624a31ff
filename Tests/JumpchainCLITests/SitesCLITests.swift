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

        static func playbook(_ world: DemoWorld, replacing replacements: [(String, String)] = []) throws -> String {
            let path = try world.playbookVariant("sites", replacing: replacements)
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
            // No site reaches both origin and target: each side's site records its leg, a last step compares.
            #expect(plan.stdout.contains("• verify:origin [origin-side]"), "\(plan.stdout)")
            #expect(plan.stdout.contains("• verify:target [target-side]"), "\(plan.stdout)")
            #expect(plan.stdout.contains("then verify compares the records"), "\(plan.stdout)")

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
            #expect(second.stdout.contains("verification"), "the compared verification passed: \(second.stdout)")
            let again = try await world.jumpchain(["resume", "jump-demo", "--site", "origin-side"])
            #expect(again.status == 0, "\(again.output)")
            try expectTwoKeys(world, context: "alternating")
            // Teardown (from a host that reaches everything) revokes both legs' keys.
            let destroy = try await world.jumpchain(["destroy", "jump-demo", "--target-topics", "keep"])
            #expect(destroy.status == 0, "\(destroy.output)")
            #expect(world.liveKeys(on: SimulatorConfig.JumpDemo.jump).isEmpty)
        }

        @Test("cutover, failover and destroy at two sites, each cut off from the other private cluster")
        func otherOperations() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let playbook = try Self.playbook(world)
            // Each site's runner cannot reach the other site's private cluster (its REST is blackholed).
            func at(_ site: String, _ arguments: [String]) async throws -> CLI.Result {
                let other = site == "origin-side" ? SimulatorConfig.JumpDemo.target : SimulatorConfig.JumpDemo.origin
                world.simulator.setFaults(FaultSettings(blackholed: [other]))
                defer { world.simulator.setFaults(FaultSettings()) }
                return try await world.jumpchain(arguments + ["--site", site])
            }
            let built = try await at("origin-side", ["apply", playbook])
            #expect(built.status == 10, "\(built.output)")
            let finished = try await at("target-side", ["resume", "jump-demo"])
            #expect(finished.status == 0, "\(finished.output)")
            // The cross-site verification recorded what the origin's site saw of the origin: offsets and a time.
            let recordPath = world.stateDirectory + "/jump-demo/last-origin-offsets.json"
            let record = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: recordPath)))
                    as? [String: Any])
            #expect(Set(record.keys) == ["observed_at", "offsets"], "\(record)")
            let offsets = try #require(record["offsets"] as? [String: [String: Int]], "\(record)")
            #expect(offsets.keys.contains("orders") && offsets["orders"]?.isEmpty == false, "\(offsets)")
            let mode = try FileManager.default.attributesOfItem(atPath: recordPath)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(String(mode ?? 0, radix: 8))")

            // Cutover: the target's site checks its side, the origin's checks leg 1's source half and records its
            // groups, the target's drains (the origin's ends read from the jump's mirrors), promotes and reports.
            let early = try await at("origin-side", ["cutover", "jump-demo", "--no-quiet-check"])
            #expect(early.status == 10, "\(early.output)")
            #expect(early.stderr.contains("waiting for site target-side to run step cutover-preflight"))
            #expect(early.stderr.contains("starts it with `jumpchain cutover jump-demo --site target-side`"))
            // Stopped while it waits for the other site: the hint goes on at this site, with its --site.
            let waiting = try await interruptWhileWaiting(
                world, ["cutover", "jump-demo", "--no-quiet-check", "--site", "origin-side"])
            #expect(waiting.status == 130, "\(waiting.output)")
            #expect(
                waiting.stderr.contains("continue with `jumpchain cutover jump-demo --site origin-side`"),
                "\(waiting.stderr)")
            // Given up waiting: another site's turn, naming the command that site runs.
            let gaveUp = try await world.jumpchain([
                "cutover", "jump-demo", "--no-quiet-check", "--site", "origin-side", "--wait", "--wait-timeout", "1",
            ])
            #expect(gaveUp.status == 10, "\(gaveUp.output)")
            #expect(gaveUp.stderr.contains("gave up waiting after 1s"), "\(gaveUp.stderr)")
            #expect(gaveUp.stderr.contains("`jumpchain cutover jump-demo --site target-side`"), "\(gaveUp.stderr)")
            let checked = try await at("target-side", ["cutover", "jump-demo", "--no-quiet-check"])
            #expect(checked.status == 10, "\(checked.output)")
            #expect(checked.stderr.contains("waiting for site origin-side to run step cutover-preflight:origin"))
            let recorded = try await at("origin-side", ["resume", "jump-demo"])
            #expect(recorded.status == 10, "\(recorded.output)")
            #expect(recorded.stderr.contains("waiting for site target-side to run step drain"), "\(recorded.stderr)")
            try await expectDrainRefusedWithoutQuiesceRecord(world)
            try await expectDrainTimeoutNamesTheSite(world)
            let promoted = try await at("target-side", ["cutover", "jump-demo"])
            #expect(promoted.status == 0, "\(promoted.output)")
            #expect(promoted.stdout.contains("records lost: 0"), "\(promoted.stdout)")

            // Failover runs at the target's site; the origin's site is told whose turn it is.
            let notYet = try await at("origin-side", ["failover", "jump-demo"])
            #expect(notYet.status == 10, "\(notYet.output)")
            #expect(notYet.stderr.contains("waiting for site target-side to run step failover-target-mirrors"))
            let interrupted = try await interruptWhileWaiting(
                world, ["failover", "jump-demo", "--site", "origin-side"])
            #expect(interrupted.status == 130, "\(interrupted.output)")
            #expect(
                interrupted.stderr.contains("continue with `jumpchain failover jump-demo --site origin-side`"),
                "\(interrupted.stderr)")
            let failover = try await at("target-side", ["failover", "jump-demo"])
            #expect(failover.status == 0, "\(failover.output)")
            #expect(failover.stdout.contains("not probed at site target-side"), "\(failover.stdout)")
            // It falls back on the origin offsets the cross-site verification recorded (no verify or status ran).
            #expect(failover.stdout.contains("origin offsets recorded at"), "\(failover.stdout)")

            // Destroy: the preview shows each step's site and the hand-off; the target's side starts it.
            let preview = try await at(
                "target-side", ["destroy", "jump-demo", "--target-topics", "keep", "--dry-run"])
            #expect(preview.status == 0, "\(preview.output)")
            #expect(preview.stdout.contains("delete-leg2 [target-side]"), "\(preview.stdout)")
            #expect(preview.stdout.contains("hand-offs: target-side → origin-side"), "\(preview.stdout)")
            let waits = try await at("origin-side", ["destroy", "jump-demo", "--target-topics", "keep"])
            #expect(waits.status == 10, "\(waits.output)")
            #expect(waits.stderr.contains("waiting for site target-side to run step target-mirrors"))
            let stopped = try await interruptWhileWaiting(
                world, ["destroy", "jump-demo", "--target-topics", "keep", "--site", "origin-side"])
            #expect(stopped.status == 130, "\(stopped.output)")
            #expect(
                stopped.stderr.contains("continue with `jumpchain destroy jump-demo --site origin-side`"),
                "\(stopped.stderr)")
            let first = try await at("target-side", ["destroy", "jump-demo", "--target-topics", "keep"])
            #expect(first.status == 10, "\(first.output)")
            #expect(first.stderr.contains("waiting for site origin-side to run step delete-leg1-source"))
            // The origin's site needs no target secret: it never calls the target.
            world.simulator.setFaults(FaultSettings(blackholed: [SimulatorConfig.JumpDemo.target]))
            let last = try await world.jumpchain(
                ["resume", "jump-demo", "--site", "origin-side"], environment: ["JUMPCHAIN_TARGET_SECRET": ""])
            world.simulator.setFaults(FaultSettings())
            #expect(last.status == 0, "\(last.output)")
            #expect(
                last.stdout.contains("holds no key jumpchain minted") && last.stdout.contains("✓"), "\(last.stdout)")
            #expect(world.liveKeys(on: SimulatorConfig.JumpDemo.jump).isEmpty)
            #expect(!last.stdout.contains("✗"), "\(last.stdout)")
        }

        /// A copy of the run whose quiesce record is gone (as a version that did not record it would leave it):
        /// the target's drain would have to read the origin, so it stops naming what is missing and which site runs
        /// what first; nothing is promoted.
        func expectDrainRefusedWithoutQuiesceRecord(_ world: DemoWorld) async throws {
            var removed = false
            let copy = try await stateCopy(world, "no-quiesce-record") { object in
                if object["stepID"] as? String == "quiesce" || object["step_id"] as? String == "quiesce",
                    var outputs = object["outputs"] as? [String: Any], outputs["origin_groups"] != nil
                {
                    outputs["origin_groups"] = nil
                    object["outputs"] = outputs
                    removed = true
                }
            }
            // The original export held the record (so its absence below is the edit's doing).
            #expect(removed, "the export recorded no origin_groups on step quiesce")
            #expect(
                try !String(contentsOfFile: copy + ".json", encoding: .utf8).contains("origin_groups"),
                "the record was not found")
            world.simulator.setFaults(FaultSettings(blackholed: [SimulatorConfig.JumpDemo.origin]))
            let refused = try await world.jumpchain(["cutover", "jump-demo", "--site", "target-side", "--state", copy])
            world.simulator.setFaults(FaultSettings())
            #expect(refused.status == 4, "\(refused.output)")
            #expect(
                refused.output.contains(
                    "drain at site target-side needs the origin's consumer group offsets that step quiesce records at "
                        + "site origin-side (output origin_groups), and the recorded quiesce has none"),
                "\(refused.output)")
            #expect(
                refused.output.contains(
                    "Run `jumpchain cutover jump-demo --site target-side` again (a new cutover starts here), then "
                        + "`jumpchain cutover jump-demo --site origin-side` at site origin-side"), "\(refused.output)")
            let mirrors = (world.state()["mirrors"] as? [[String: Any]]) ?? []
            let onTarget = mirrors.filter { $0["cluster_id"] as? String == SimulatorConfig.JumpDemo.target }
            #expect(
                !onTarget.isEmpty && onTarget.allSatisfy { $0["mirror_status"] as? String == "ACTIVE" },
                "nothing was promoted: \(onTarget)")
        }

        /// A copy of the run (a state directory of its own, named `name`, its export beside it as `name.json`),
        /// every JSON object of the export passed through `change` first.
        func stateCopy(
            _ world: DemoWorld, _ name: String, _ change: @escaping (inout [String: Any]) -> Void
        ) async throws -> String {
            let export = try await world.jumpchain(["state", "export", "jump-demo"])
            #expect(export.status == 0, "\(export.output)")
            func transform(_ value: Any) -> Any {
                if var object = value as? [String: Any] {
                    change(&object)
                    return object.mapValues(transform)
                }
                if let array = value as? [Any] { return array.map(transform) }
                return value
            }
            let original = try JSONSerialization.jsonObject(with: Data(export.stdout.utf8))
            let copy = world.workDirectory + "/" + name
            try JSONSerialization.data(withJSONObject: transform(original)).write(
                to: URL(fileURLWithPath: copy + ".json"))
            let imported = try await world.jumpchain(["state", "import", copy + ".json", "--state", copy])
            #expect(imported.status == 0, "\(imported.output)")
            return copy
        }

        /// A copy of the run whose drain waits 1 s while leg 2 crawls and the origin's producer goes on: the drain
        /// at the target's site times out (nothing promoted), naming the commands to run there with its --site.
        func expectDrainTimeoutNamesTheSite(_ world: DemoWorld) async throws {
            let copy = try await stateCopy(world, "short-drain") { object in
                if object["id"] as? String == "drain", var parameters = object["parameters"] as? [String: Any] {
                    parameters["timeout"] = "1"
                    object["parameters"] = parameters
                }
            }
            var faults = FaultSettings(blackholed: [SimulatorConfig.JumpDemo.origin])
            faults.linkThrottles = ["demo-jump-to-target": 0.01]
            world.simulator.setFaults(faults)
            try await Task.sleep(for: .milliseconds(1500))
            let timedOut = try await world.jumpchain(["cutover", "jump-demo", "--site", "target-side", "--state", copy])
            world.simulator.setFaults(FaultSettings())
            #expect(timedOut.status == 4, "\(timedOut.output)")
            #expect(
                timedOut.output.contains("after 1s the hops still differ (nothing was promoted)"), "\(timedOut.output)")
            #expect(
                timedOut.output.contains(
                    "check `jumpchain verify jump-demo --site target-side`, then run `jumpchain cutover jump-demo "
                        + "--site target-side` again"), "\(timedOut.output)")
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

        @Test("a runner refused the site's lock sweeps nothing: the holder's session key stays live and it finishes")
        func refusedRunnerLeavesTheHoldersKey() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let playbook = try Self.playbook(world)
            let operatorKeys = { world.liveJumpKeys(ownedBy: SimulatorConfig.JumpDemo.operatorUser) }
            // The origin's site runs its steps with a session key, then holds its lock (and the key) while it waits.
            let holder = try world.start([
                "apply", playbook, "--site", "origin-side", "--wait", "--wait-timeout", "120",
            ])
            let guardTime = Date().addingTimeInterval(60)
            func holderWaits() -> Bool {
                ((try? String(contentsOfFile: holder.errPath, encoding: .utf8)) ?? "")
                    .contains("waiting for site target-side")
            }
            while holder.process.isRunning && Date() < guardTime && !holderWaits() {
                try await Task.sleep(for: .milliseconds(20))
            }
            let session = operatorKeys()
            #expect(holderWaits() && session.count == 1, "the holder waits with its session key: \(session)")
            let refused = try await world.jumpchain(["resume", "jump-demo", "--site", "origin-side"])
            #expect(refused.status == 75, "\(refused.output)")
            #expect(refused.stderr.contains("site origin-side"), "\(refused.stderr)")
            #expect(operatorKeys() == session, "the refused runner revoked the holder's session key")
            let target = try await world.jumpchain(["resume", "jump-demo", "--site", "target-side"])
            #expect(target.status == 0, "\(target.output)")
            let held = await holder.wait()
            world.record(held)
            #expect(held.status == 0, "\(held.output)")
            #expect(operatorKeys().isEmpty, "session keys left: \(world.describeKeys(operatorKeys()))")
            try expectTwoKeys(world, context: "refused runner")
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

        @Test("cross-site verify: SIGINT names the --site; a target behind the origin's record fails, then resumes")
        func crossSiteVerifyFails() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let playbook = try Self.playbook(world, replacing: [("timeout: 2m", "timeout: 5s")])

            // Interrupted at the origin's site once its link key exists: the hint resumes at that site.
            let running = try world.start(["apply", playbook, "--site", "origin-side"])
            let guardTime = Date().addingTimeInterval(60)
            while running.process.isRunning && Date() < guardTime
                && world.liveJumpKeys(ownedBy: SimulatorConfig.JumpDemo.linkServiceAccount).isEmpty
            {
                try await Task.sleep(for: .milliseconds(5))
            }
            kill(running.process.processIdentifier, SIGINT)
            let stopped = await running.wait()
            world.record(stopped)
            #expect(stopped.status == 130, "\(stopped.output)")
            #expect(stopped.stderr.contains("--site origin-side`"), "\(stopped.stderr)")

            let origin = try await world.jumpchain(["resume", "jump-demo", "--site", "origin-side"])
            #expect(origin.status == 10, "\(origin.output)")
            // Leg 2 crawls: the target never reaches the origin's ends (nor the canary) that verify:origin recorded.
            world.simulator.setFaults(FaultSettings(linkThrottles: ["demo-jump-to-target": 0.01]))
            let target = try await world.jumpchain(["resume", "jump-demo", "--site", "target-side"])
            world.simulator.setFaults(FaultSettings())
            #expect(target.status == 4, "\(target.output)")
            #expect(target.stderr.contains("verify: verification failed for"), "\(target.stderr)")
            #expect(target.stderr.contains("compared what verify:origin and verify:target recorded"))
            #expect(target.stderr.contains("`jumpchain resume jump-demo --site target-side`"), "\(target.stderr)")
            // Leg 2 repaired: the resumed comparison reads leg 2 again and it has caught up with the origin's record.
            let repaired = try await world.jumpchain(["resume", "jump-demo", "--site", "target-side"])
            #expect(repaired.status == 0, "\(repaired.output)")
            let status = try await world.jumpchain(["status", "jump-demo", "--offline", "--output", "json"])
            #expect(status.stdout.contains("verify:target"), "\(status.output)")
            #expect(world.scanStateDirectory(for: world.issuedSecretNeedles()).isEmpty, "a secret reached the state")
        }

        @Test("auto_create: the cross-site verification covers a mirror the links created after the plan")
        func autoCreatedMirrorsVerified() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let playbook = try Self.playbook(
                world, replacing: [("  names: [orders, payments, inventory]", BinaryTests.AutoCreateCLITests.topics)])
            let links = BinaryTests.AutoCreateCLITests()

            // Leg 1 crawls, so verify:origin waits for its canary to reach the jump: it is stopped there.
            world.simulator.setFaults(FaultSettings(linkThrottles: ["demo-origin-to-jump": 0.001]))
            let running = try world.start(["apply", playbook, "--site", "origin-side"])
            let guardTime = Date().addingTimeInterval(90)
            while running.process.isRunning && Date() < guardTime {
                let said = (try? String(contentsOfFile: running.outPath, encoding: .utf8)) ?? ""
                if said.contains("step verify:origin #") { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            kill(running.process.processIdentifier, SIGINT)
            let stopped = await running.wait()
            world.record(stopped)
            world.simulator.setFaults(FaultSettings())
            #expect(stopped.status == 130, "\(stopped.output)")

            // A topic created after the plan: leg 1 mirrors it on the jump by itself (leg 2, made at the target's
            // site later, mirrors it on the target when it is created).
            let created = try await links.send(world, "/topics", #"{"topic_name":"returns-eu","partitions_count":2}"#)
            #expect(created == 201)
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, !links.mirrors(world, on: SimulatorConfig.JumpDemo.jump).contains("returns-eu") {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(links.mirrors(world, on: SimulatorConfig.JumpDemo.jump).contains("returns-eu"))

            let origin = try await world.jumpchain(["resume", "jump-demo", "--site", "origin-side"])
            #expect(origin.status == 10, "\(origin.output)")
            let target = try await world.jumpchain(
                ["resume", "jump-demo", "--site", "target-side", "--output", "json"])
            #expect(target.status == 0, "\(target.output)")
            let document = try #require(
                target.stdout.split(separator: "\n").reversed().lazy.compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }.first { $0["outputs"] != nil }, "\(target.stdout)")
            let outputs = try #require(document["outputs"] as? [String: [String: String]])
            // Each site's record holds the auto-created mirror, and the comparison counted it.
            var recorded: [String: Set<String>] = [:]
            for side in ["verify:origin", "verify:target"] {
                let text = try #require(outputs[side]?["observation"], "\(side): \(outputs[side] ?? [:])")
                let observation = try #require(
                    try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                let mirrors = ((observation["hop"] as? [String: Any])?["mirrors"] as? [[String: Any]]) ?? []
                recorded[side] = Set(mirrors.compactMap { ($0["topic"] as? [String: Any])?["origin"] as? String })
                #expect(recorded[side]?.contains("returns-eu") == true, "\(side): \(recorded[side] ?? [])")
            }
            #expect(
                outputs["verify"]?["topics"] == String(recorded["verify:origin"]?.count ?? 0),
                "\(outputs["verify"] ?? [:])")
        }

        /// Runs `arguments` with `--wait`, and SIGINTs it once it says it waits for another site.
        func interruptWhileWaiting(_ world: DemoWorld, _ arguments: [String]) async throws -> CLI.Result {
            let running = try world.start(arguments + ["--wait", "--wait-timeout", "60"])
            let guardTime = Date().addingTimeInterval(60)
            while running.process.isRunning && Date() < guardTime {
                let said = (try? String(contentsOfFile: running.errPath, encoding: .utf8)) ?? ""
                if said.contains("waiting for site") { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            kill(running.process.processIdentifier, SIGINT)
            let result = await running.wait()
            world.record(result)
            return result
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
