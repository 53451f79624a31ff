import ConfluentSimulator
import Foundation
import JumpchainJSON
import JumpchainTestSupport
import SeededRandom
import Testing

extension BinaryTestsLane3 {
    /// Offset sync through both legs, `jumpchain cutover` and `jumpchain failover` through the built binary,
    /// with seeded SIGKILLs of both operations resumed.
    @Suite("cutover and failover", .serialized)
    struct CutoverCLITests {
        static let minimumKills = 6
        static let chainTopics = ["orders", "payments", "inventory"]
        /// Partitions of the chain's topics in the jump-demo world (6 + 3 + 2).
        static let partitionCount = 11
        static let origin = SimulatorConfig.JumpDemo.origin
        static let jump = SimulatorConfig.JumpDemo.jump
        static let target = SimulatorConfig.JumpDemo.target

        @Test("producers stopped: cutover promotes with zero records lost and group offsets equal; again: a no-op")
        func cutoverOfTheDemo() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let applied = try await world.jumpchain(["apply", world.demoPlaybook])
            try #require(applied.status == 0, "\(applied.output)")
            // Offset sync reaches the target through both legs.
            let synced = try await eventually {
                let result = try await world.jumpchain(["verify", "jump-demo", "--groups"])
                return result.status == 0 ? result : nil
            }
            #expect(
                synced?.stdout.contains("orders-app") == true, "\(synced?.output ?? "verify --groups never passed")")
            #expect(Self.committed(world, Self.target, "orders-app", "orders") != nil)

            world.simulator.setProducersPaused(true)
            let dry = try await world.jumpchain(["cutover", "jump-demo", "--dry-run"])
            #expect(dry.status == 0, "\(dry.output)")
            #expect(dry.stdout.contains("mirrors:promote"), "\(dry.stdout)")
            #expect(Self.mirrorStatus(world, Self.target, "orders") == "ACTIVE", "a dry run promoted")

            let cutover = try await world.jumpchain(["cutover", "jump-demo", "--quiet-period", "2"])
            try #require(cutover.status == 0, "\(cutover.output)")
            #expect(cutover.stdout.contains("records lost: 0"), "\(cutover.stdout)")
            Self.expectCutOver(world, context: "cutover")

            let report = try await world.jumpchain(["cutover", "jump-demo", "--output", "json"])
            #expect(report.status == 0, "\(report.output)")
            let json = try Self.lastJSON(report.stdout)
            #expect((json["partitions"] as? [[String: Any]])?.count == Self.partitionCount, "\(report.stdout)")
            Self.expectReportMatchesWorld(json, world, context: "cutover json")
            let again = try await world.jumpchain(["cutover", "jump-demo"])
            #expect(again.status == 0)
            #expect(again.stdout.contains("already had its cutover"), "\(again.stdout)")
            let status = try await world.jumpchain(["status", "jump-demo", "--offline"])
            #expect(status.stdout.contains("records lost: 0"), "\(status.stdout)")
        }

        @Test("producers still running: the quiesce check refuses, naming the moving partitions; nothing promoted")
        func quiesceRefusesWhileProducing() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let applied = try await world.jumpchain(["apply", world.demoPlaybook])
            try #require(applied.status == 0, "\(applied.output)")
            let refused = try await world.jumpchain(["cutover", "jump-demo", "--quiet-period", "3"])
            #expect(refused.status == 4, "\(refused.output)")
            #expect(refused.stderr.contains("still being written: orders-"), "\(refused.stderr)")
            for topic in Self.chainTopics {
                #expect(Self.mirrorStatus(world, Self.target, topic) == "ACTIVE", "\(topic) was promoted")
            }
            // The refusal changed nothing: a new cutover starts afresh with its own flags.
            world.simulator.setProducersPaused(true)
            let skipped = try await world.jumpchain(["cutover", "jump-demo", "--no-quiet-check"])
            #expect(skipped.status == 0, "\(skipped.output)")
            #expect(skipped.stdout.contains("quiesce check skipped (--no-quiet-check"), "\(skipped.stdout)")
            #expect(skipped.stdout.contains("records lost: 0"), "\(skipped.stdout)")
            Self.expectCutOver(world, context: "after a refused cutover")
        }

        @Test("a group's DESCRIBE on the jump revoked: verify --groups fails naming the group and leg 2")
        func missingGroupDescribeOnTheJump() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let applied = try await world.jumpchain(["apply", world.demoPlaybook])
            try #require(applied.status == 0, "\(applied.output)")
            let removed = world.simulator.removeACLs(
                clusterID: Self.jump, principal: "User:\(SimulatorConfig.JumpDemo.linkServiceAccount)",
                resourceType: "GROUP", resourceName: "orders-app")
            #expect(removed == 1)
            let failed = try await eventually {
                // A loaded machine may not read the links within the short timeout: only a run that got as far as
                // the groups and named the missing right counts.
                let result = try await world.jumpchain(["verify", "jump-demo", "--groups", "--timeout", "1"])
                return result.status == 9 && result.stderr.contains("DESCRIBE consumer group") ? result : nil
            }
            let stderr = failed?.stderr ?? "verify --groups never named the missing DESCRIBE"
            #expect(stderr.contains("DESCRIBE consumer group 'orders-app'"), "\(stderr)")
        }

        @Test("manage_acls: false: the preflight names the missing DESCRIBE on the group for leg 2; nothing changes")
        func preflightNamesMissingGroupACLs() async throws {
            // The origin link key's owner holds what leg 1 reads with, so the preflight gets as far as the jump.
            var config = SimulatorConfig.jumpDemo()
            config.acls += BinaryTests.PreflightCLITests.originLinkRights()
            let world = try await DemoWorld.start(config: config)
            defer { Task { await world.stop() } }
            let playbook = try world.playbookVariant(
                "no-acls",
                replacing: [
                    ("    leg2: demo-jump-to-target\n", "    leg2: demo-jump-to-target\n  manage_acls: false\n")
                ])
            let before = world.remoteFingerprint()
            let refused = try await world.jumpchain(["apply", playbook])
            #expect(refused.status == 3, "\(refused.output)")
            #expect(
                refused.stderr.contains("leg 2 offset sync: lkc-jump lacks DESCRIBE on GROUP orders-app"),
                "\(refused.stderr)")
            #expect(world.remoteFingerprint() == before, "a refused preflight changed something")
        }

        @Test("origin blackholed: failover completes, reporting the origin offsets recorded before the outage")
        func failoverWithTheOriginGone() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let applied = try await world.jumpchain(["apply", world.demoPlaybook])
            try #require(applied.status == 0, "\(applied.output)")
            let verified = try await world.jumpchain(["verify", "jump-demo"])
            #expect(verified.status == 0, "\(verified.output)")
            let recorded = try Self.recordedOrigin(world)
            world.simulator.setFaults(FaultSettings(blackholed: [Self.origin]))

            let dry = try await world.jumpchain(["failover", "jump-demo", "--dry-run", "--cluster-timeout", "2"])
            #expect(dry.status == 0, "\(dry.output)")
            #expect(dry.stdout.contains("dry run"), "\(dry.stdout)")
            #expect(Self.mirrorStatus(world, Self.target, "orders") == "ACTIVE", "a dry run failed over")

            let failover = try await world.jumpchain([
                "failover", "jump-demo", "--cluster-timeout", "2", "--output", "json",
            ])
            try #require(failover.status == 0, "\(failover.output)")
            let json = try Self.lastJSON(failover.stdout)
            Self.expectFailoverReport(json, world, recorded: recorded, context: "failover")
            let status = try await world.jumpchain(["status", "jump-demo", "--offline"])
            #expect(status.stdout.contains("records at risk"), "\(status.stdout)")
            #expect(status.stdout.contains("unreachable: origin"), "\(status.stdout)")
            let statusJSON = try await world.jumpchain(["status", "jump-demo", "--offline", "--output", "json"])
            // status's one document carries the saved report of each later operation.
            let statusDocument = try Self.lastJSON(statusJSON.stdout)
            let operations = try #require(statusDocument["operations"] as? [[String: Any]], "\(statusJSON.stdout)")
            let saved = try #require(operations.last?["report"] as? [String: Any], "\(statusJSON.stdout)")
            let canonical = { (value: [String: Any]) throws -> String in
                let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
                return String(decoding: data, as: UTF8.self)
            }
            #expect(try canonical(saved) == canonical(json), "\(statusJSON.stdout)")
        }

        @Test("origin and jump blackholed: failover still fails the target over and reports both unreachable")
        func failoverWithOriginAndJumpGone() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let applied = try await world.jumpchain(["apply", world.demoPlaybook])
            try #require(applied.status == 0, "\(applied.output)")
            world.simulator.setFaults(FaultSettings(blackholed: [Self.origin, Self.jump]))
            let failover = try await world.jumpchain(["failover", "jump-demo", "--cluster-timeout", "2"])
            try #require(failover.status == 0, "\(failover.output)")
            #expect(failover.stdout.contains("unreachable: origin \(Self.origin)"), "\(failover.stdout)")
            #expect(failover.stdout.contains("unreachable: jump \(Self.jump)"), "\(failover.stdout)")
            for topic in Self.chainTopics {
                #expect(Self.mirrorStatus(world, Self.target, topic) == "STOPPED", "\(topic) not failed over")
            }
        }

        @Test("SIGKILL cutover and failover at seeded random moments; run again, they converge on the same report")
        func killedCutoversAndFailovers() async throws {
            let seed = CLI.killSeed("JUMPCHAIN_KILL_SEED", label: "cutover/failover kill")
            var random = SeededGenerator(seed: seed)
            var kills = 0
            var worlds = 0
            while (kills < Self.minimumKills || worlds < 2) && worlds < 10 {
                worlds += 1
                let world = try await DemoWorld.start()
                let applied = try await world.jumpchain(["apply", world.demoPlaybook])
                try #require(applied.status == 0, "seed \(seed): \(applied.output)")
                let isCutover = worlds % 2 == 1
                var recorded: [String: [String: Int64]] = [:]
                let command: [String]
                if isCutover {
                    world.simulator.setProducersPaused(true)
                    command = ["cutover", "jump-demo", "--quiet-period", "1", "--output", "json"]
                } else {
                    let verified = try await world.jumpchain(["verify", "jump-demo"])
                    #expect(verified.status == 0, "seed \(seed): \(verified.output)")
                    recorded = try Self.recordedOrigin(world)
                    world.simulator.setFaults(FaultSettings(blackholed: [Self.origin]))
                    command = ["failover", "jump-demo", "--cluster-timeout", "1", "--output", "json"]
                }
                var finished: CLI.Result?
                var attempts = 0
                while finished == nil && attempts < 30 {
                    attempts += 1
                    let limit = attempts > 4 ? 120 : Double.random(in: 0.05...2.5, using: &random)
                    let (result, killed) = try await world.runOrKill(command, after: limit)
                    if killed {
                        kills += 1
                        continue
                    }
                    #expect(result.status == 0, "seed \(seed): \(result.output)")
                    finished = result
                }
                let result = try #require(finished, "seed \(seed): \(command[0]) did not finish in 30 attempts")
                let json = try Self.lastJSON(result.stdout)
                if isCutover {
                    Self.expectCutOver(world, context: "seed \(seed), world \(worlds)")
                    Self.expectReportMatchesWorld(json, world, context: "seed \(seed), world \(worlds)")
                } else {
                    Self.expectFailoverReport(json, world, recorded: recorded, context: "seed \(seed), world \(worlds)")
                }
                // Run once more: the finished operation answers with the very report it saved.
                let again = try await world.jumpchain(command)
                #expect(again.status == 0, "seed \(seed): \(again.output)")
                // The saved report is printed with sorted keys: the same report is the same line.
                #expect(
                    Self.lastJSONLine(again.stdout) == Self.lastJSONLine(result.stdout),
                    "seed \(seed): the report changed on a second \(command[0]):\n\(result.stdout)\n---\n\(again.stdout)"
                )
                await world.stop()
            }
            print("cutover/failover kills: \(kills) over \(worlds) worlds")
            #expect(kills >= Self.minimumKills, "seed \(seed)")
        }

        // MARK: Helpers

        /// Retries `body` (a CLI call) until it returns a value, at most 40 times.
        func eventually<T>(_ body: () async throws -> T?) async throws -> T? {
            for _ in 0..<40 {
                if let value = try await body() { return value }
                try await Task.sleep(for: .milliseconds(500))
            }
            return nil
        }

        static func lastJSONLine(_ stdout: String) -> String {
            String(stdout.split(separator: "\n").last { $0.hasPrefix("{") } ?? "")
        }

        static func lastJSON(_ stdout: String) throws -> [String: Any] {
            let line = lastJSONLine(stdout)
            return try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(stdout)")
        }

        static func topicEnds(_ world: DemoWorld, _ cluster: String, _ topic: String) -> [Int64] {
            let topics = (world.state()["topics"] as? [[String: Any]]) ?? []
            let item = topics.first { $0["cluster_id"] as? String == cluster && $0["topic_name"] as? String == topic }
            return ((item?["end_offsets"] as? [Any]) ?? []).compactMap { ($0 as? NSNumber)?.int64Value }
        }

        static func mirrorStatus(_ world: DemoWorld, _ cluster: String, _ topic: String) -> String? {
            let mirrors = (world.state()["mirrors"] as? [[String: Any]]) ?? []
            return mirrors.first {
                $0["cluster_id"] as? String == cluster && $0["mirror_topic_name"] as? String == topic
            }?["mirror_status"] as? String
        }

        static func committed(_ world: DemoWorld, _ cluster: String, _ group: String, _ topic: String) -> [Int64?]? {
            let groups = (world.state()["consumer_groups"] as? [[String: Any]]) ?? []
            let item = groups.first {
                $0["cluster_id"] as? String == cluster && $0["consumer_group_id"] as? String == group
            }
            guard let offsets = (item?["committed_offsets"] as? [String: Any])?[topic] as? [Any] else { return nil }
            return offsets.map { ($0 as? NSNumber)?.int64Value }
        }

        /// Target topics promoted (STOPPED: the simulator accepts produce on them), end offsets and the group's
        /// committed offsets equal to the origin's.
        static func expectCutOver(_ world: DemoWorld, context: String) {
            for topic in chainTopics {
                #expect(mirrorStatus(world, target, topic) == "STOPPED", "\(context): \(topic) not promoted")
                #expect(topicEnds(world, target, topic) == topicEnds(world, origin, topic), "\(context): \(topic)")
            }
            let onOrigin = committed(world, origin, "orders-app", "orders")
            #expect(onOrigin != nil && committed(world, target, "orders-app", "orders") == onOrigin, "\(context)")
        }

        /// The cutover report's offsets are the world's and no record was lost.
        static func expectReportMatchesWorld(_ json: [String: Any], _ world: DemoWorld, context: String) {
            let rows = (json["partitions"] as? [[String: Any]]) ?? []
            #expect(rows.count == Self.partitionCount, "\(context): \(json)")
            for row in rows {
                guard let topic = row["topic"] as? String, let partition = row["partition"] as? Int else { continue }
                let end = topicEnds(world, origin, topic)[partition]
                #expect((row["origin"] as? NSNumber)?.int64Value == end, "\(context): \(row)")
                #expect((row["target"] as? NSNumber)?.int64Value == end, "\(context): \(row)")
                #expect((row["recordsLost"] as? NSNumber)?.int64Value == 0, "\(context): \(row)")
            }
            let groups = (json["groups"] as? [[String: Any]]) ?? []
            let onOrigin = committed(world, origin, "orders-app", "orders") ?? []
            #expect(groups.count == onOrigin.count, "\(context): \(groups)")
            for row in groups {
                guard let partition = row["partition"] as? Int else { continue }
                #expect((row["target"] as? NSNumber)?.int64Value == onOrigin[partition], "\(context): \(row)")
            }
        }

        /// What `verify` recorded of the origin, read from the run directory.
        static func recordedOrigin(_ world: DemoWorld) throws -> [String: [String: Int64]] {
            let path = world.stateDirectory + "/jump-demo/last-origin-offsets.json"
            let data = try #require(FileManager.default.contents(atPath: path), "verify recorded nothing at \(path)")
            let json = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
            let offsets = (json["offsets"] as? [String: [String: Any]]) ?? [:]
            return offsets.mapValues { $0.compactMapValues { ($0 as? NSNumber)?.int64Value } }
        }

        /// Every target mirror failed over; the origin named unreachable; each partition's origin offset is the
        /// recorded one and the target's is the world's.
        static func expectFailoverReport(
            _ json: [String: Any], _ world: DemoWorld, recorded: [String: [String: Int64]], context: String
        ) {
            for topic in chainTopics {
                #expect(mirrorStatus(world, target, topic) == "STOPPED", "\(context): \(topic) not failed over")
            }
            let unreachable = (json["unreachable"] as? [String]) ?? []
            #expect(unreachable.contains { $0.hasPrefix("origin") }, "\(context): \(json)")
            let rows = (json["partitions"] as? [[String: Any]]) ?? []
            #expect(rows.count == Self.partitionCount, "\(context): \(json)")
            for row in rows {
                guard let topic = row["topic"] as? String, let partition = row["partition"] as? Int else { continue }
                #expect(row["originSource"] as? String == "recorded", "\(context): \(row)")
                #expect(
                    (row["origin"] as? NSNumber)?.int64Value == recorded[topic]?[String(partition)],
                    "\(context): \(row)")
                #expect(
                    (row["target"] as? NSNumber)?.int64Value == topicEnds(world, target, topic)[partition],
                    "\(context): \(row)")
            }
        }
    }
}
