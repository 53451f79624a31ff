import ConfluentSimulator
import Foundation
import Testing

extension BinaryTests {
    /// Watching a rolled-out chain leaves the jump alone: `status` and `verify --watch` send it no request and
    /// mint no key unless `--inspect-jump` asks for one, which is minted, said and revoked.
    @Suite("key-free watching", .serialized)
    struct KeyFreeCLITests {
        typealias Demo = SimulatorConfig.JumpDemo

        /// Every key the simulator ever held for the jump, revoked or not.
        func allKeys(_ world: DemoWorld, on cluster: String) -> [String] {
            ((world.state()["api_keys"] as? [[String: Any]]) ?? []).filter { ($0["resource"] as? String) == cluster }
                .compactMap { $0["id"] as? String }.sorted()
        }

        @Test("status and verify --watch send nothing to the jump and mint no key")
        func watchingIsKeyFree() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let apply = try await world.jumpchain(["apply", world.demoPlaybook])
            #expect(apply.status == 0, "\(apply.output)")
            let keysBefore = allKeys(world, on: Demo.jump)
            world.simulator.recordExchanges(true)
            let status = try await world.jumpchain(["status", "jump-demo"])
            #expect(status.status == 0, "\(status.output)")
            #expect(status.stdout.contains("jump: not inspected (key-free"), "\(status.stdout)")
            // The consumer-group section is read on the origin and the target; the jump's column is marked.
            #expect(status.stdout.contains("consumer groups"), "\(status.stdout)")
            if status.stdout.contains("consumer groups (committed offsets)") {
                #expect(status.stdout.contains("JUMP n/o: not observed"), "\(status.stdout)")
            }
            let watch = try await world.jumpchain(
                ["verify", "jump-demo", "--watch", "--interval", "1", "--rounds", "2", "--fail-fast"])
            #expect(watch.status == 0, "\(watch.output)")
            #expect(watch.stdout.contains("round 2  ok"), "\(watch.stdout)")
            let exchanges = world.simulator.recordedExchanges()
            world.simulator.recordExchanges(false)
            #expect(!exchanges.isEmpty)
            #expect(exchanges.filter { $0.listener == Demo.jump }.map { "\($0.method) \($0.path)" } == [])
            #expect(exchanges.filter { $0.method == "POST" && $0.path == "/iam/v2/api-keys" }.isEmpty)
            #expect(allKeys(world, on: Demo.jump) == keysBefore)

            // Asked for, the jump is read through a session key that is minted, named and revoked.
            let inspected = try await world.jumpchain(["status", "jump-demo", "--inspect-jump"])
            #expect(inspected.status == 0, "\(inspected.output)")
            let minted = Set(allKeys(world, on: Demo.jump)).subtracting(keysBefore)
            #expect(minted.count == 1)
            #expect(inspected.stdout.contains("jump: inspected through session key \(minted.first ?? "?")"))
            #expect(!inspected.stdout.contains("JUMP n/o"), "\(inspected.stdout)")
            #expect(world.liveKeys(on: Demo.jump).count == 1)
        }
    }
}
