import ConfluentSimulator
import Foundation
import Testing

extension BinaryTests {
    /// The jump-chain rollout through the built binary against the simulator, as an operator would run it.
    @Suite("jumpchain rollout through the built binary", .serialized)
    struct RolloutCLITests {
        @Test("the jump-demo rollout runs end to end; re-running apply changes nothing remotely")
        func demoEndToEnd() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let apply = try await world.jumpchain(["apply", world.demoPlaybook])
            #expect(apply.status == 0, "\(apply.output)")
            #expect(apply.stdout.contains("run jump-demo: succeeded"))

            let state = world.state()
            let links = (state["links"] as? [[String: Any]]) ?? []
            #expect(links.count == 3)
            for link in links {
                #expect(link["link_state"] as? String == "ACTIVE", "\(link)")
            }
            // Leg 1 is source-initiated: the destination half on the jump holds no credentials.
            let jumpHalf = links.first { ($0["cluster_id"] as? String) == SimulatorConfig.JumpDemo.jump }
            #expect(jumpHalf?["connection_mode"] as? String == "INBOUND")
            #expect(jumpHalf?["remote_api_key_id"] is NSNull || jumpHalf?["remote_api_key_id"] == nil)
            let mirrors = (state["mirrors"] as? [[String: Any]]) ?? []
            #expect(mirrors.count == 8)  // 3 topics + canary, on the jump and on the target
            #expect(mirrors.allSatisfy { ($0["mirror_status"] as? String) == "ACTIVE" })

            // One key on the jump, held by both links that authenticate to it.
            let liveJumpKeys = world.liveKeys(on: SimulatorConfig.JumpDemo.jump)
            #expect(liveJumpKeys.count == 1)
            let held = Set(links.compactMap { $0["remote_api_key_id"] as? String })
            #expect(held == Set(liveJumpKeys))

            let before = world.remoteFingerprint()
            let again = try await world.jumpchain(["apply", world.demoPlaybook])
            #expect(again.status == 0, "\(again.output)")
            #expect(again.stdout.contains("already complete"))
            #expect(world.remoteFingerprint() == before)

            // A changed playbook is not silently ignored on a finished run: it runs as an update of the same
            // run, which here changes nothing remotely (no topic, no link option changed).
            let changed = try world.playbookVariant("changed", replacing: [("max_lag: 0", "max_lag: 5")])
            let updated = try await world.jumpchain(["apply", changed])
            #expect(updated.status == 0, "\(updated.output)")
            #expect(updated.stdout.contains("update of run jump-demo: succeeded"), "\(updated.stdout)")
            #expect(world.remoteFingerprint() == before)

            let status = try await world.jumpchain(["status", "jump-demo"])
            #expect(status.status == 0, "\(status.output)")
            #expect(status.stdout.contains("succeeded  verify"))
            #expect(world.liveKeys(on: SimulatorConfig.JumpDemo.jump) == liveJumpKeys)

            let graph = try await world.jumpchain(["graph", "jump-demo", "--format", "mermaid", "--operation", "0"])
            #expect(graph.stdout.contains("leg1-source"))
            // By default the latest operation: the update, which makes no link.
            let latest = try await world.jumpchain(["graph", "jump-demo", "--format", "mermaid"])
            #expect(latest.stdout.contains("verify") && !latest.stdout.contains("leg1-source"), "\(latest.stdout)")

            let needles = world.issuedSecretNeedles()
            #expect(world.scanStateDirectory(for: needles).isEmpty)
            for transcript in world.transcripts {
                for needle in needles { #expect(!transcript.contains(needle)) }
            }
        }

        @Test("a playbook error is reported with file, line and column, and nothing is sent")
        func invalidPlaybook() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let broken = try world.playbookVariant("broken", replacing: [("  per_cluster: 8", "  per_clustr: 8")])
            let before = world.remoteFingerprint()
            let result = try await world.jumpchain(["apply", broken])
            #expect(result.status == 2)
            #expect(result.stderr.contains("broken.yaml:"))
            #expect(result.stderr.contains("per_cluster"))
            #expect(world.remoteFingerprint() == before)
        }
    }
}
