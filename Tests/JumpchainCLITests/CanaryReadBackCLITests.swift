import ConfluentSimulator
import Foundation
import Testing

extension BinaryTests {
    /// The canary is read back on the target at its origin offset: a hop that shifts offsets fails verify.
    @Suite("canary read-back", .serialized)
    struct CanaryReadBackCLITests {
        @Test("a hop that shifts offsets fails the canary; a healthy chain reads the canary back")
        func shiftedOffsetsFailVerify() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let apply = try await world.jumpchain(["apply", world.demoPlaybook])
            #expect(apply.status == 0, "\(apply.output)")
            let healthy = try await world.jumpchain(["verify", "jump-demo", "--canary", "--timeout", "10"])
            #expect(healthy.status == 0, "\(healthy.output)")
            #expect(healthy.stdout.contains("offsets same  (read back)"), "\(healthy.stdout)")

            var faults = FaultSettings()
            faults.offsetShifts = ["demo-jump-to-target": 1]
            world.simulator.setFaults(faults)
            let shifted = try await world.jumpchain(["verify", "jump-demo", "--canary", "--timeout", "10"])
            #expect(shifted.status == 5, "\(shifted.output)")
            #expect(shifted.stdout.contains("offsets differ  (read back)"), "\(shifted.stdout)")
            #expect(shifted.stdout.contains("on the target is not the canary"), "\(shifted.stdout)")
            #expect(shifted.stderr.contains("canary round 1"), "\(shifted.stderr)")
        }
    }
}
