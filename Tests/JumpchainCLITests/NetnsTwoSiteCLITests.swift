import ConfluentSimulator
import Foundation
import JumpchainTestSupport
import SeededRandom
import Testing

extension BinaryTests {
    /// The two-site rollout as it would really be run: `apply --site origin-side` inside the origin's network and
    /// `apply --site target-side` inside the target's (network namespaces; without them, loopback with the other
    /// side's REST listener blackholed), in turns and at the same time, SIGKILLed at seeded instants, on a shared
    /// SQLite directory and on a PostgreSQL both sides reach. It converges with one live key per leg on the jump,
    /// each held by its link, no secret on disk or in any output, and verify passing.
    @Suite("two sites across two networks, killed and resumed", .serialized)
    struct NetnsTwoSiteCLITests {
        static let minimumKills = 20
        static let sites: [NetnsRig.Side: String] = [.origin: "origin-side", .target: "target-side"]

        /// A site holds no secret of the private cluster it does not reach.
        static func withoutOtherSecret(_ side: NetnsRig.Side) -> [String: String] {
            ["JUMPCHAIN_\(RigWorld.otherSide(side).rawValue.uppercased())_SECRET": ""]
        }

        enum Backend: String, CaseIterable, Sendable {
            case sqlite, postgres
        }

        @Test(
            "apply --site at each side, in turns and interleaved, ≥ 20 seeded SIGKILLs: converges, invariant holds",
            arguments: Backend.allCases)
        func twoSitesConverge(backend: Backend) async throws {
            if backend == .postgres, let reason = ThrowawayPostgres.unavailableReason {
                print("two-site rig on PostgreSQL skipped: \(reason)")
                return
            }
            let seed =
                ProcessInfo.processInfo.environment["JUMPCHAIN_KILL_SEED"].flatMap(UInt64.init)
                ?? UInt64.random(in: 1...UInt64(UInt32.max))
            print("two-site \(backend) seed: \(seed) (replay with JUMPCHAIN_KILL_SEED=\(seed))")
            var random = SeededGenerator(seed: seed)
            let rigWorld = try await RigWorld.start()
            var postgres: ThrowawayPostgres?
            defer {
                postgres?.stop()
                rigWorld.stopNow()
            }
            var state: [String] = []
            if backend == .postgres {
                let url: String
                if let rig = rigWorld.rig {
                    // Its own cluster, listening on the public address both sides reach (and trusting the rig's /16).
                    let cluster = try await ThrowawayPostgres.offPool {
                        try ThrowawayPostgres.start(
                            extraListenAddresses: [rig.publicAddress], trustedNetworks: ["10.\(rig.octet).0.0/16"])
                    }
                    postgres = cluster
                    url = try await cluster.createDatabase("netns", host: rig.publicAddress)
                } else {
                    url = try await ThrowawayPostgres.shared().createDatabase("netns")
                }
                state = ["--state", url]
            }
            let playbook = try rigWorld.world.playbookVariant(
                "two-sites",
                replacing: [
                    (
                        "concurrency:",
                        "sites:\n  origin-side: {reaches: [origin]}\n  target-side: {reaches: [target]}\n\nconcurrency:"
                    )
                ])

            var kills = 0
            var rounds = 0
            var interleavedRounds = 0
            var finished = false
            var turn = NetnsRig.Side.origin
            let started = Date()
            while !finished {
                rounds += 1
                if rounds > 120 {
                    Issue.record("seed \(seed): no convergence after 120 rounds (\(kills) kills)")
                    break
                }
                // Interleaved (both sides at once) needs real networks: the blackhole fallback is global.
                let together = rigWorld.rig != nil && Bool.random(using: &random)
                let sides = together ? NetnsRig.Side.allCases : [turn]
                turn = RigWorld.otherSide(turn)
                if together { interleavedRounds += 1 }
                let running = try sides.map { side in
                    (
                        side,
                        try rigWorld.start(
                            ["apply", playbook, "--site", Self.sites[side]!, "--no-wait"] + state, at: side,
                            environment: Self.withoutOtherSecret(side))
                    )
                }
                let killing = kills < Self.minimumKills
                let deadlines = sides.map { _ in
                    Date().addingTimeInterval(Double.random(in: 0.05...2.0, using: &random))
                }
                var results: [(NetnsRig.Side, CLI.Result, Bool)] = []
                for (index, (side, process)) in running.enumerated() {
                    var killed = false
                    if killing {
                        while process.process.isRunning && Date() < deadlines[index] {
                            try await Task.sleep(for: .milliseconds(10))
                        }
                        if process.process.isRunning {
                            process.kill()
                            killed = true
                            kills += 1
                        }
                    }
                    let result = await process.wait()
                    rigWorld.world.record(result)
                    results.append((side, result, killed))
                }
                for (side, result, killed) in results where !killed {
                    // 0: the run is complete; 10: another site's turn; 75: that site's lock is still held (a killed
                    // PostgreSQL session not yet gone). Anything else is a failure to report.
                    switch result.status {
                    case 0: finished = true
                    case 10, 75: break
                    default: Issue.record("seed \(seed): \(side) side exited \(result.status): \(result.output)")
                    }
                }
            }
            print(
                "two-site \(backend): \(kills) kills over \(rounds) rounds (\(interleavedRounds) interleaved) in "
                    + String(format: "%.1f s", Date().timeIntervalSince(started))
                    + (rigWorld.rig == nil ? " (blackholed fallback)" : " (network namespaces)"))
            #expect(kills >= Self.minimumKills, "seed \(seed)")

            // Both sites see the run complete (the last to finish exits 0; the other is told so), without kills.
            for side in NetnsRig.Side.allCases {
                let again = try await rigWorld.jumpchain(
                    ["apply", playbook, "--site", Self.sites[side]!, "--no-wait"] + state, at: side,
                    environment: Self.withoutOtherSecret(side))
                #expect(again.status == 0, "seed \(seed): \(side): \(again.output)")
            }
            rigWorld.world.simulator.setFaults(FaultSettings())
            // Verify from the root namespace, which reaches every endpoint (plain http to the rig's own addresses).
            let insecure = rigWorld.rig == nil ? [] : ["--allow-insecure-http"]
            try await expectConverged(rigWorld.world, seed: seed, state: state + insecure)
        }

        /// Three ACTIVE link halves, eight ACTIVE mirrors, one live key per leg on the jump each held by its link,
        /// verify passing (from the root namespace, which reaches every endpoint), and no secret anywhere.
        func expectConverged(_ world: DemoWorld, seed: UInt64, state: [String]) async throws {
            let snapshot = world.state()
            let links = (snapshot["links"] as? [[String: Any]]) ?? []
            #expect(links.count == 3, "seed \(seed): \(links)")
            #expect(links.allSatisfy { ($0["link_state"] as? String) == "ACTIVE" }, "seed \(seed): \(links)")
            let mirrors = (snapshot["mirrors"] as? [[String: Any]]) ?? []
            #expect(mirrors.count == 8, "seed \(seed)")
            let live = world.liveKeys(on: SimulatorConfig.JumpDemo.jump)
            let held = Set(links.compactMap { $0["remote_api_key_id"] as? String })
            #expect(live.count == 2, "seed \(seed): live keys on the jump \(live), links hold \(held)")
            #expect(held == Set(live), "seed \(seed): links hold \(held), live \(live)")

            let verify = try await world.jumpchain(["verify", "jump-demo", "--timeout", "60"] + state)
            #expect(verify.status == 0, "seed \(seed): \(verify.output)")
            #expect(world.liveKeys(on: SimulatorConfig.JumpDemo.jump) == live, "verify left a session key")

            let needles = world.issuedSecretNeedles()
            #expect(world.scanStateDirectory(for: needles).isEmpty, "seed \(seed): a secret reached the run directory")
            if state.first == "--state" {
                // What the shared database holds, as an export: no secret either.
                let export = try await world.jumpchain(["state", "export", "jump-demo"] + state.prefix(2))
                #expect(export.status == 0, "\(export.stderr)")
                for needle in needles where export.stdout.contains(needle) {
                    Issue.record("seed \(seed): an issued secret is in the shared database")
                }
            }
            for transcript in world.transcripts {
                for needle in needles where transcript.contains(needle) {
                    Issue.record("seed \(seed): an issued secret appeared in a command line or its output")
                }
            }
        }
    }
}
