import ConfluentSimulator
import Foundation
import Testing

extension BinaryTests {
    /// Refusals that happen before anything is sent: cleartext endpoints, and run state others could read.
    @Suite("hardening refusals", .serialized)
    struct HardeningCLITests {
        @Test("an http:// endpoint off loopback is refused naming the field, and nothing is sent")
        func cleartextEndpointIsRefused() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let playbook = try world.playbookVariant(
                "cleartext",
                replacing: [("rest_endpoint: ${JUMPCHAIN_ORIGIN_REST}", "rest_endpoint: http://192.0.2.1:8082")])
            world.simulator.recordExchanges(true)
            let refused = try await world.jumpchain(["apply", playbook])
            let sent = world.simulator.recordedExchanges()
            world.simulator.recordExchanges(false)
            #expect(refused.status == 2, "\(refused.output)")
            #expect(refused.stderr.contains("cleartext.yaml:19:18: error: `origin.rest_endpoint` is a cleartext"))
            #expect(refused.stderr.contains("--allow-insecure-http"))
            #expect(sent.isEmpty)
        }

        @Test("a run directory others can read is refused with the chmod that fixes it")
        func looseRunDirectoryIsRefused() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let apply = try await world.jumpchain(["apply", world.demoPlaybook])
            #expect(apply.status == 0, "\(apply.output)")
            let run = world.stateDirectory + "/jump-demo"
            chmod(run, 0o755)
            let refused = try await world.jumpchain(["resume", "jump-demo"])
            #expect(refused.status == 2, "\(refused.output)")
            #expect(refused.stderr.contains("has mode 755, looser than 700"), "\(refused.stderr)")
            #expect(refused.stderr.contains("chmod 700 \(run)"), "\(refused.stderr)")
            chmod(run, 0o700)
            let store = run + "/state.sqlite"
            chmod(store, 0o644)
            let again = try await world.jumpchain(["resume", "jump-demo"])
            #expect(again.status == 2, "\(again.output)")
            #expect(again.stderr.contains("chmod 600 \(store)"), "\(again.stderr)")
            // The read-only paths (status, graph, verify) refuse it too.
            let status = try await world.jumpchain(["status", "jump-demo", "--offline"])
            #expect(status.status == 2, "\(status.output)")
            #expect(status.stderr.contains("chmod 600 \(store)"), "\(status.stderr)")
        }
    }
}
