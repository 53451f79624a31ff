import ConfluentSimulator
import Foundation
import JumpchainHTTP
import JumpchainTestSupport
import SeededRandom
import Testing

extension BinaryTestsLane2 {
    /// An update (a changed playbook on a live chain) at two sites, neither of which reaches both private clusters:
    /// the origin's site reads the selection and plans it, the target's site finds the planned update in the shared
    /// state and runs its steps. Each site's runner cannot reach the other's private cluster (its REST blackholed).
    @Suite("update at two sites", .serialized)
    struct SitesUpdateCLITests {
        static let three = "names: [orders, payments, inventory]"
        static let four = "names: [orders, payments, inventory, refunds]"
        static let five = "names: [orders, payments, inventory, refunds, shipments]"

        /// The demo chain with `refunds` and `shipments` on the origin, built at two sites; returns the world and
        /// the playbook that adds `refunds`.
        static func builtChain() async throws -> (DemoWorld, String) {
            var config = SimulatorConfig.jumpDemo()
            config.topics += ["refunds", "shipments"].map {
                SimulatorConfig.Topic(cluster: SimulatorConfig.JumpDemo.origin, name: $0, partitions: 2, records: 20)
            }
            let world = try await DemoWorld.start(config: config)
            let built = try await at(world, "origin-side", ["apply", try playbook(world, "sites-built", Self.three)])
            #expect(built.status == 10, "\(built.output)")
            let finished = try await at(world, "target-side", ["resume", "jump-demo"])
            #expect(finished.status == 0, "\(finished.output)")
            return (world, try playbook(world, "sites-added", Self.four))
        }

        static func playbook(_ world: DemoWorld, _ name: String, _ names: String) throws -> String {
            let path = try world.playbookVariant(name, replacing: [(Self.three, names)])
            let handle = try #require(FileHandle(forWritingAtPath: path))
            handle.seekToEndOfFile()
            handle.write(Data(BinaryTestsLane3.SitesCLITests.sites.utf8))
            try handle.close()
            return path
        }

        /// Runs `arguments --site site` with the other site's private cluster blackholed.
        static func at(_ world: DemoWorld, _ site: String, _ arguments: [String]) async throws -> CLI.Result {
            world.simulator.setFaults(FaultSettings(blackholed: [other(site)]))
            defer { world.simulator.setFaults(FaultSettings()) }
            return try await world.jumpchain(arguments + ["--site", site])
        }

        /// Creates (`.post`) or deletes a plain topic `name` on the target with the operator's key; the HTTP status.
        static func targetTopic(_ world: DemoWorld, _ method: HTTPMethod, _ name: String) async throws -> Int {
            let target = SimulatorConfig.JumpDemo.target
            let key = try #require(world.simulator.connectionInfo.operatorKeys.first { $0.resource == target })
            let path = method == .post ? "/topics" : "/topics/\(name)"
            let response = try await HTTPClient().execute(
                HTTPRequest(
                    method: method,
                    url: world.simulator.clusterRESTURL(clusterID: target) + "/kafka/v3/clusters/\(target)" + path,
                    headers: ["Content-Type": "application/json"],
                    body: method == .post ? Array(#"{"topic_name":"\#(name)","partitions_count":2}"#.utf8) : [],
                    credential: APICredential(key: key.id, secret: Secret(key.secret))))
            return response.status
        }

        static func other(_ site: String) -> String {
            site == "origin-side" ? SimulatorConfig.JumpDemo.target : SimulatorConfig.JumpDemo.origin
        }

        @Test("plan shows the sites; target-side waits for origin-side's plan, runs its steps; kills converge; --prune")
        func addTopic() async throws {
            let (world, added) = try await Self.builtChain()
            defer { Task { await world.stop() } }
            let linkKeys = world.liveKeys(on: SimulatorConfig.JumpDemo.jump)

            let plan = try await world.jumpchain(["plan", added])
            #expect(plan.status == 0, "\(plan.output)")
            #expect(plan.stdout.contains("add             refunds"), "\(plan.stdout)")
            #expect(plan.stdout.contains("hand-offs: origin-side → target-side"), "\(plan.stdout)")
            #expect(plan.stdout.contains("• preflight:target [target-side]"), "\(plan.stdout)")
            #expect(plan.stdout.contains("• mirror-jump:refunds [origin-side]"), "\(plan.stdout)")
            #expect(plan.stdout.contains("• mirror-target:refunds [target-side]"), "\(plan.stdout)")
            #expect(plan.stdout.contains("then verify compares the records"), "\(plan.stdout)")
            let planJSON = try await world.jumpchain(["plan", added, "--output", "json"])
            #expect(planJSON.status == 0, "\(planJSON.output)")
            let document = try JSONSerialization.jsonObject(with: Data(planJSON.stdout.utf8)) as? [String: Any]
            let turns = (document?["hand_offs"] as? [[String: Any]])?.compactMap { $0["site"] as? String }
            #expect(turns == ["origin-side", "target-side"], "\(planJSON.stdout)")

            // The target's site cannot read the selection: it waits for the origin's site to plan the update.
            let early = try await Self.at(world, "target-side", ["apply", added])
            #expect(early.status == 10, "\(early.output)")
            #expect(early.stderr.contains("waiting for site origin-side to run step preflight"), "\(early.stderr)")

            // Stopped while it waits, it names the command that goes on there: the same apply (nothing is recorded
            // yet that a resume would continue).
            let stopped = try world.start(["apply", added, "--site", "target-side", "--wait", "--wait-timeout", "60"])
            let stopGuard = Date().addingTimeInterval(60)
            while stopped.process.isRunning && Date() < stopGuard
                && !((try? String(contentsOfFile: stopped.errPath, encoding: .utf8)) ?? "").contains("waiting for site")
            {
                try await Task.sleep(for: .milliseconds(20))
            }
            kill(stopped.process.processIdentifier, SIGINT)
            let interrupted = await stopped.wait()
            world.record(interrupted)
            #expect(interrupted.status == 130, "\(interrupted.output)")
            #expect(
                interrupted.stderr.contains("continue with `jumpchain apply \(added) --site target-side`"),
                "\(interrupted.stderr)")
            #expect(!interrupted.output.contains("resume RUN"), "\(interrupted.output)")

            let first = try await Self.at(world, "origin-side", ["apply", added])
            #expect(first.status == 10, "\(first.output)")
            #expect(first.stderr.contains("waiting for site target-side to run step"), "\(first.stderr)")
            let status = try await world.jumpchain(["status", "jump-demo", "--offline"])
            #expect(status.stdout.contains("waits for site target-side"), "\(status.output)")

            // Another version of the playbook at the target's site is refused: the recorded plan is what would run.
            let more = try Self.playbook(world, "sites-more", Self.five)
            let other = try await Self.at(world, "target-side", ["apply", more])
            #expect(other.status == 2, "\(other.output)")
            #expect(other.stderr.contains("planned from another version of this playbook"), "\(other.stderr)")

            // A topic that is no mirror holds refunds' name on the target: preflight:target fails, and the origin's
            // steps already ran, so the way on is to delete it and resume the target's site (not to edit the playbook).
            #expect(try await Self.targetTopic(world, .post, "refunds") == 201)
            let clash = try await Self.at(world, "target-side", ["apply", added])
            #expect(clash.status != 0, "\(clash.output)")
            #expect(
                clash.output.contains(
                    "topic refunds already exists and is not a mirror of demo-jump-to-target; delete it on the "
                        + "target, then `jumpchain resume jump-demo --site target-side`"), "\(clash.output)")
            #expect(!clash.output.contains("leave refunds out"), "\(clash.output)")
            #expect(try await Self.targetTopic(world, .delete, "refunds") == 204)

            // The target's site needs no origin secret: it never calls the origin.
            world.simulator.setFaults(FaultSettings(blackholed: [SimulatorConfig.JumpDemo.origin]))
            let second = try await world.jumpchain(
                ["apply", added, "--site", "target-side"], environment: ["JUMPCHAIN_ORIGIN_SECRET": ""])
            world.simulator.setFaults(FaultSettings())
            #expect(second.status == 0, "\(second.output)")
            #expect(second.stdout.contains("added           refunds"), "\(second.stdout)")
            let again = try await Self.at(world, "origin-side", ["apply", added])
            #expect(again.status == 0, "\(again.output)")
            #expect(again.stdout.contains("already complete"), "\(again.stdout)")

            try expectMirrored(world, "refunds", context: "two-site update")
            #expect(world.liveKeys(on: SimulatorConfig.JumpDemo.jump) == linkKeys, "no new key, no session key left")
            let verify = try await world.jumpchain(["verify", "jump-demo", "--timeout", "60"])
            #expect(verify.status == 0, "\(verify.output)")
            #expect(verify.stdout.contains("refunds"), "\(verify.stdout)")

            // Another topic, with SIGKILLs at seeded random moments at either site: `apply --site` at either
            // continues the recorded update and it converges.
            let seed = CLI.killSeed("JUMPCHAIN_SITES_UPDATE_KILL_SEED", label: "sites update kill")
            var random = SeededGenerator(seed: seed)
            // A SIGKILLed process's session key is swept by a later process of its site; link keys never change.
            let keys = Set(world.liveJumpKeys(ownedBy: SimulatorConfig.JumpDemo.linkServiceAccount))
            var kills = 0
            var finished: Set<String> = []
            var attempts = 0
            while finished.count < 2 {
                attempts += 1
                if attempts > 30 {
                    Issue.record("seed \(seed): no convergence after 30 attempts")
                    break
                }
                let site = Bool.random(using: &random) ? "origin-side" : "target-side"
                let delay = kills < 3 ? Double.random(in: 0.05...1.5, using: &random) : 120
                world.simulator.setFaults(FaultSettings(blackholed: [Self.other(site)]))
                let (result, killed) = try await world.runOrKill(["apply", more, "--site", site], after: delay)
                world.simulator.setFaults(FaultSettings())
                if killed {
                    kills += 1
                    finished = []
                    continue
                }
                #expect([0, 10].contains(result.status), "seed \(seed): \(result.output)")
                if result.status == 0 { finished.insert(site) }
            }
            print("sites update kill: \(kills) kills, \(attempts) runs")
            try expectMirrored(world, "shipments", context: "seed \(seed)")
            #expect(
                Set(world.liveJumpKeys(ownedBy: SimulatorConfig.JumpDemo.linkServiceAccount)) == keys,
                "seed \(seed): no new link key")

            // --prune of both, one process per site with --wait (started first, the target's waits for the plan):
            // the origin's site checks and records leg 1 (nothing added), the target's site fails the target
            // mirrors over and deletes the jump mirrors with their ACLs.
            let three = try Self.playbook(world, "sites-three", Self.three)
            let waiting = try world.start([
                "apply", three, "--prune", "--site", "target-side", "--wait", "--wait-timeout", "120",
            ])
            let guardTime = Date().addingTimeInterval(60)
            func said() -> String {
                [waiting.outPath, waiting.errPath].compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }
                    .joined()
            }
            while waiting.process.isRunning && Date() < guardTime && !said().contains("waiting for site origin-side") {
                try await Task.sleep(for: .milliseconds(20))
            }
            let origin = try await world.jumpchain(["apply", three, "--prune", "--site", "origin-side"])
            let pruned = await waiting.wait()
            world.record(pruned)
            #expect([0, 10].contains(origin.status), "\(origin.output)")
            #expect(pruned.output.contains("waiting for site origin-side to run step preflight"), "\(pruned.output)")
            #expect(pruned.status == 0, "\(pruned.output)")
            #expect(pruned.stdout.contains("pruned          refunds, shipments"), "\(pruned.stdout)")
            let mirrors = (world.state()["mirrors"] as? [[String: Any]]) ?? []
            for topic in ["refunds", "shipments"] {
                let left = mirrors.filter { ($0["mirror_topic_name"] as? String) == topic }
                #expect(left.count == 1 && left.first?["stored_status"] as? String == "STOPPED", "\(topic): \(left)")
                #expect(left.first?["cluster_id"] as? String == SimulatorConfig.JumpDemo.target, "\(topic): \(left)")
            }
        }

        /// Runs `arguments --site site` as that site's host: the other site's private cluster blackholed and its
        /// secret unset.
        static func host(_ world: DemoWorld, _ site: String, _ arguments: [String]) async throws -> CLI.Result {
            let secret = site == "origin-side" ? "JUMPCHAIN_TARGET_SECRET" : "JUMPCHAIN_ORIGIN_SECRET"
            world.simulator.setFaults(FaultSettings(blackholed: [other(site)]))
            defer { world.simulator.setFaults(FaultSettings()) }
            return try await world.jumpchain(arguments + ["--site", site], environment: [secret: ""])
        }

        @Test("status and verify --site read only what the site reaches; resume at the target before the update's plan")
        func statusVerifyAtSites() async throws {
            let (world, added) = try await Self.builtChain()
            defer { Task { await world.stop() } }

            // Without --site, a host lacking a secret is refused with the --site choices (exit 2, nothing read).
            for words in ["status", "verify"] {
                let refused = try await world.jumpchain(
                    [words, "jump-demo"], environment: ["JUMPCHAIN_TARGET_SECRET": ""])
                #expect(refused.status == 2, "\(refused.output)")
                #expect(
                    refused.stderr.contains(
                        "`jumpchain \(words) jump-demo --site origin-side` at site origin-side (reaches origin) or "
                            + "`jumpchain \(words) jump-demo --site target-side` at site target-side (reaches target)"),
                    "\(refused.stderr)")
            }

            // status at each site: the live view of what it reaches, and what it could not read from there.
            let originStatus = try await Self.host(world, "origin-side", ["status", "jump-demo"])
            #expect(originStatus.status == 0, "\(originStatus.output)")
            #expect(
                originStatus.stdout.contains(
                    "not read from site origin-side: the target \(SimulatorConfig.JumpDemo.target) (this site does not "
                        + "reach it); site target-side reads it with `jumpchain status jump-demo --site target-side`"),
                "\(originStatus.stdout)")
            #expect(!originStatus.stdout.contains("live state unavailable"), "\(originStatus.stdout)")
            // An unreached cluster is no diagnosis (it is not missing credentials); the others' hints name the site.
            #expect(!originStatus.stdout.contains("no credential for the target"), "\(originStatus.stdout)")
            #expect(
                originStatus.stdout.contains("more: jumpchain status jump-demo --site origin-side"),
                "\(originStatus.stdout)")
            // The verdict covers what was read: the unreached target is not read here, never a failure; without
            // --inspect-jump no mirror or lag is read here at all: not judged, never PASS.
            #expect(
                originStatus.stdout.contains(
                    "not judged as far as site origin-side reads it (origin): no mirror or lag was read here (the "
                        + "jump's mirrors are read with --inspect-jump: `jumpchain status jump-demo --site origin-side "
                        + "--inspect-jump`); the target is read from site target-side with `jumpchain status jump-demo "
                        + "--site target-side`"), "\(originStatus.stdout)")
            #expect(originStatus.stdout.contains("jump-demo: NOT JUDGED"), "\(originStatus.stdout)")
            #expect(!originStatus.stdout.contains("jump-demo: PASS"), "\(originStatus.stdout)")
            let originJSON = try await Self.host(world, "origin-side", ["status", "jump-demo", "--output", "json"])
            let originDocument = try #require(
                try JSONSerialization.jsonObject(with: Data(originJSON.stdout.utf8)) as? [String: Any],
                "\(originJSON.output)")
            #expect(originDocument["site_passed"] is NSNull, "\(originJSON.stdout)")
            // --site names a site of the playbook, offline as live.
            let unknown = try await world.jumpchain(["status", "jump-demo", "--offline", "--site", "nowhere"])
            #expect(unknown.status == 2, "\(unknown.output)")
            // Reading the jump too, each partition is judged on leg 1's lag (the target's end is not read here).
            let inspected = try await Self.host(world, "origin-side", ["status", "jump-demo", "--inspect-jump"])
            #expect(inspected.stdout.contains("jump-demo: PASS"), "\(inspected.stdout)")
            #expect(
                inspected.stdout.contains("healthy as far as site origin-side reads it (origin and jump)"),
                "\(inspected.stdout)")
            let inspectedJSON = try await Self.host(
                world, "origin-side", ["status", "jump-demo", "--inspect-jump", "--output", "json"])
            let inspectedDocument = try #require(
                try JSONSerialization.jsonObject(with: Data(inspectedJSON.stdout.utf8)) as? [String: Any],
                "\(inspectedJSON.output)")
            #expect(inspectedDocument["site_passed"] as? Bool == true, "\(inspectedJSON.stdout)")
            // A real problem in what was read still fails: leg 1's link down (the origin cannot reach the jump).
            world.simulator.setFaults(
                FaultSettings(blackholed: [SimulatorConfig.JumpDemo.target, SimulatorConfig.JumpDemo.jump]))
            let broken = try await world.jumpchain(
                ["status", "jump-demo", "--site", "origin-side"], environment: ["JUMPCHAIN_TARGET_SECRET": ""])
            world.simulator.setFaults(FaultSettings())
            #expect(
                broken.stdout.contains(
                    "FAIL as far as site origin-side reads it (origin): leg 1 (origin → jump): link "
                        + "`demo-origin-to-jump` on the origin (lkc-origin): FAILED, TIMEOUT_ERROR"), "\(broken.output)"
            )
            #expect(broken.stdout.contains("jump-demo: FAIL"), "\(broken.stdout)")
            let targetStatus = try await Self.host(world, "target-side", ["status", "jump-demo", "--inspect-jump"])
            #expect(targetStatus.status == 0, "\(targetStatus.output)")
            #expect(
                targetStatus.stdout.contains(
                    "not read from site target-side: the origin \(SimulatorConfig.JumpDemo.origin)"),
                "\(targetStatus.stdout)")
            #expect(targetStatus.stdout.contains("jump: inspected through session key"), "\(targetStatus.stdout)")
            #expect(
                targetStatus.stdout.contains(
                    "healthy as far as site target-side reads it (target and jump); the origin is read from site "
                        + "origin-side with `jumpchain status jump-demo --site origin-side`"), "\(targetStatus.stdout)")
            #expect(targetStatus.stdout.contains("jump-demo: PASS"), "\(targetStatus.stdout)")

            // verify at each site: the origin's half records leg 1, the target's half compares leg 2 with it.
            // --groups at the target's site before the origin's site recorded the origin's groups: not checked,
            // the other site's turn (exit 10) naming the command there (the rollout's verify:origin record serves
            // the rest, and records no groups).
            let unrecorded = try await Self.host(
                world, "target-side", ["verify", "jump-demo", "--groups", "--timeout", "30"])
            #expect(unrecorded.status == 10, "\(unrecorded.output)")
            #expect(
                unrecorded.stderr.contains(
                    "the synced consumer groups were not checked at site target-side: there is no record of the "
                        + "origin's group offsets with the origin's half compared here (step verify:origin of "),
                "\(unrecorded.stderr)")
            #expect(
                unrecorded.stderr.contains(
                    "site origin-side records them with `jumpchain verify jump-demo --site origin-side`, then run "
                        + "`jumpchain verify jump-demo --groups --site target-side` here"), "\(unrecorded.stderr)")
            let originHalf = try await Self.host(world, "origin-side", ["verify", "jump-demo", "--timeout", "30"])
            #expect(originHalf.status == 0, "\(originHalf.output)")
            #expect(
                originHalf.stdout.contains("checked at site origin-side: the origin's half — leg 1"),
                "\(originHalf.stdout)")
            #expect(
                originHalf.stdout.contains("with `jumpchain verify jump-demo --site target-side`"),
                "\(originHalf.stdout)")
            let targetHalf = try await Self.host(world, "target-side", ["verify", "jump-demo", "--timeout", "30"])
            #expect(targetHalf.status == 0, "\(targetHalf.output)")
            #expect(
                targetHalf.stdout.contains(
                    "checked at site target-side: the target's half — leg 2 read now and compared with the origin's "
                        + "half `verify --site` at the origin's site"), "\(targetHalf.stdout)")
            // The record's age is shown.
            #expect(targetHalf.stdout.contains(" s ago)"), "\(targetHalf.stdout)")
            #expect(targetHalf.stdout.contains("PASS"), "\(targetHalf.stdout)")
            // --output json: the document `verify` prints without --site, plus the site, the half and what was
            // checked; `passed` a JSON boolean.
            let whole = try await world.jumpchain(["verify", "jump-demo", "--timeout", "30", "--output", "json"])
            #expect(whole.status == 0, "\(whole.output)")
            let wholeKeys = try #require(
                try JSONSerialization.jsonObject(with: Data(whole.stdout.split(separator: "\n")[0].utf8))
                    as? [String: Any]
            ).keys
            for site in ["origin-side", "target-side"] {
                let json = try await Self.host(
                    world, site, ["verify", "jump-demo", "--timeout", "30", "--output", "json"])
                #expect(json.status == 0, "\(json.output)")
                let lines = json.stdout.split(separator: "\n")
                // As without --site, the groups the target's half compared follow on their own line.
                #expect(lines.count == (site == "origin-side" ? 1 : 2), "\(json.stdout)")
                if site == "target-side", lines.count == 2 {
                    #expect(lines[1].hasPrefix("{\"consumer_groups\":"), "\(json.stdout)")
                }
                let document = try #require(
                    try JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8)) as? [String: Any])
                #expect(document["passed"] as? Bool == true, "\(json.stdout)")
                // A passing half fails no partition (the origin's half does not read the target).
                #expect((document["failing_partitions"] as? [Any])?.isEmpty == true, "\(json.stdout)")
                #expect(json.stdout.contains("\"passed\":true"), "\(json.stdout)")
                #expect(document["site"] as? String == site)
                #expect(document["half"] as? String == (site == "origin-side" ? "origin" : "target"))
                #expect((document["checked"] as? [String])?.first?.hasPrefix("checked at site \(site)") == true)
                #expect(Set(document.keys) == Set(wholeKeys).union(["site", "half", "checked"]), "\(json.stdout)")
            }

            // Leg 2 crawls while the origin's producer goes on: the target's half falls behind the origin's newer
            // record and fails (exit 5), naming the partitions.
            world.simulator.setFaults(FaultSettings(linkThrottles: ["demo-jump-to-target": 0.01]))
            try await Task.sleep(for: .milliseconds(1500))
            let recorded = try await world.jumpchain(
                ["verify", "jump-demo", "--site", "origin-side", "--timeout", "30"],
                environment: ["JUMPCHAIN_TARGET_SECRET": ""])
            #expect(recorded.status == 0, "\(recorded.output)")
            let behind = try await world.jumpchain(
                ["verify", "jump-demo", "--site", "target-side", "--timeout", "2"],
                environment: ["JUMPCHAIN_ORIGIN_SECRET": ""])
            world.simulator.setFaults(FaultSettings())
            #expect(behind.status == 5, "\(behind.output)")
            #expect(
                behind.stderr.contains("jumpchain: verification of the target's half failed: orders:"),
                "\(behind.stderr)")

            // resume at the target's site before the origin's site planned the update it waits for: says so (10).
            let early = try await Self.host(world, "target-side", ["apply", added])
            #expect(early.status == 10, "\(early.output)")
            let resumed = try await Self.host(world, "target-side", ["resume", "jump-demo"])
            #expect(resumed.status == 10, "\(resumed.output)")
            #expect(
                resumed.stderr.contains(
                    "the update of \(added) waits for site origin-side to plan and record it: site origin-side runs "
                        + "`jumpchain apply \(added) --site origin-side`; then here `jumpchain apply \(added) --site "
                        + "target-side --wait`"), "\(resumed.stderr)")
            let planned = try await Self.host(world, "origin-side", ["apply", added])
            #expect(planned.status == 10, "\(planned.output)")
            let finished = try await Self.host(world, "target-side", ["resume", "jump-demo"])
            #expect(finished.status == 0, "\(finished.output)")
            let done = try await Self.host(world, "target-side", ["resume", "jump-demo"])
            #expect(done.status == 0, "\(done.output)")
            try expectMirrored(world, "refunds", context: "update after status and verify at each site")
            // The origin's records predate the update (another topic set): the target's half refuses to compare
            // with them (exit 10), naming the origin's site's command.
            let stale = try await Self.host(world, "target-side", ["verify", "jump-demo", "--timeout", "30"])
            #expect(stale.status == 10, "\(stale.output)")
            #expect(
                stale.stderr.contains(
                    "there is no record of the origin's half since the run's latest operation began"),
                "\(stale.stderr)")
            #expect(stale.stderr.contains("`jumpchain verify jump-demo --site origin-side`"), "\(stale.stderr)")

            // --groups at the target's site compares the target's group offsets with those the origin's half
            // recorded (offset sync runs every 5 s while the consumer commits: a few rounds may be needed).
            var compared: CLI.Result?
            for _ in 0..<20 where compared == nil {
                _ = try await Self.host(world, "origin-side", ["verify", "jump-demo", "--timeout", "30"])
                let result = try await Self.host(
                    world, "target-side", ["verify", "jump-demo", "--groups", "--timeout", "30"])
                if result.status == 0 { compared = result } else { try await Task.sleep(for: .milliseconds(500)) }
            }
            let groups = try #require(compared, "verify --groups at the target's site never passed")
            #expect(
                groups.stdout.contains(
                    "consumer groups: the target's committed offsets compared with the origin's recorded by `verify "
                        + "--site` at the origin's site"), "\(groups.stdout)")
            #expect(groups.stdout.contains("orders-app"), "\(groups.stdout)")
            // Leg 2's offset sync broken (the link's DESCRIBE on the group on the jump revoked): exit 9, named.
            let removed = world.simulator.removeACLs(
                clusterID: SimulatorConfig.JumpDemo.jump,
                principal: "User:\(SimulatorConfig.JumpDemo.linkServiceAccount)", resourceType: "GROUP",
                resourceName: "orders-app")
            #expect(removed == 1)
            var failed: CLI.Result?
            for _ in 0..<20 where failed == nil {
                let result = try await Self.host(
                    world, "target-side", ["verify", "jump-demo", "--groups", "--timeout", "1"])
                if result.status == 9 { failed = result } else { try await Task.sleep(for: .milliseconds(500)) }
            }
            let lagging = try #require(failed, "verify --groups at the target's site never failed")
            #expect(lagging.stderr.contains("jumpchain: consumer groups failed:"), "\(lagging.stderr)")
            #expect(lagging.stderr.contains("orders-app"), "\(lagging.stderr)")
        }

        @Test("a site that reaches both runs a changed playbook's whole update at once; verify --site there is whole")
        func siteReachesBoth() async throws {
            var config = SimulatorConfig.jumpDemo()
            config.topics.append(
                SimulatorConfig.Topic(
                    cluster: SimulatorConfig.JumpDemo.origin, name: "refunds", partitions: 2, records: 20))
            let world = try await DemoWorld.start(config: config)
            defer { Task { await world.stop() } }
            let sites = "\nsites:\n  hub: {reaches: [origin, target]}\n  edge: {reaches: [origin]}\n"
            func playbook(_ name: String, _ names: String) throws -> String {
                let path = try world.playbookVariant(name, replacing: [(Self.three, names)])
                let handle = try #require(FileHandle(forWritingAtPath: path))
                handle.seekToEndOfFile()
                handle.write(Data(sites.utf8))
                try handle.close()
                return path
            }
            let built = try await world.jumpchain(["apply", try playbook("hub-built", Self.three)])
            #expect(built.status == 0, "\(built.output)")
            let added = try playbook("hub-added", Self.four)
            let plan = try await world.jumpchain(["plan", added])
            #expect(plan.status == 0, "\(plan.output)")
            #expect(plan.stdout.contains("• mirror-jump:refunds [hub]"), "\(plan.stdout)")
            #expect(plan.stdout.contains("• mirror-target:refunds [hub]"), "\(plan.stdout)")
            #expect(!plan.stdout.contains("[edge]") && !plan.stdout.contains("verify:origin"), "\(plan.stdout)")
            let updated = try await world.jumpchain(["apply", added, "--site", "hub"])
            #expect(updated.status == 0, "\(updated.output)")
            #expect(updated.stdout.contains("added           refunds"), "\(updated.stdout)")
            try expectMirrored(world, "refunds", context: "update at a site that reaches both")
            // That site reads the whole chain: no half, no `not read` line.
            let verify = try await world.jumpchain(["verify", "jump-demo", "--site", "hub", "--timeout", "60"])
            #expect(verify.status == 0, "\(verify.output)")
            #expect(verify.stdout.contains("refunds"), "\(verify.stdout)")
            #expect(!verify.stdout.contains("half"), "\(verify.stdout)")
            let status = try await world.jumpchain(["status", "jump-demo", "--site", "hub"])
            #expect(status.status == 0, "\(status.output)")
            #expect(!status.stdout.contains("not read from site"), "\(status.stdout)")
        }

        /// `topic` mirrored ACTIVE on both hops, and no issued secret in the state directory or any output.
        func expectMirrored(_ world: DemoWorld, _ topic: String, context: String) throws {
            let mirrors = (world.state()["mirrors"] as? [[String: Any]]) ?? []
            let found = mirrors.filter { ($0["mirror_topic_name"] as? String) == topic }
            #expect(found.count == 2, "\(context): \(found)")
            #expect(found.allSatisfy { ($0["mirror_status"] as? String) == "ACTIVE" }, "\(context): \(found)")
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
