import ConfluentSimulator
import Foundation
import JumpchainTestSupport
import Testing

extension BinaryTests {
    /// `jumpchain doctor` against the simulator: every endpoint probed layer by layer, a blackholed one reported
    /// as such within the probe timeout, and the steps this host can run derived from what it reaches.
    @Suite("doctor through the built binary", .serialized)
    struct DoctorCLITests {
        private func endpoints(_ result: CLI.Result) throws -> [String: [String: Any]] {
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.output)")
            let list = (object["endpoints"] as? [[String: Any]]) ?? []
            return Dictionary(uniqueKeysWithValues: list.map { ($0["name"] as? String ?? "", $0) })
        }

        private func check(_ endpoint: [String: Any]?, _ name: String) -> (status: String, detail: String) {
            let checks = (endpoint?["checks"] as? [[String: Any]]) ?? []
            let found = checks.first { $0["name"] as? String == name }
            return (found?["status"] as? String ?? "missing", found?["detail"] as? String ?? "")
        }

        private func runnable(_ result: CLI.Result) throws -> [String: Bool] {
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let steps = (object["steps"] as? [[String: Any]]) ?? []
            return Dictionary(
                uniqueKeysWithValues: steps.map { ($0["step"] as? String ?? "", $0["runnable"] as? Bool ?? false) })
        }

        @Test("every endpoint reachable and authenticated; a blackholed target REST is named and its steps excluded")
        func doctorAgainstTheSimulator() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }

            // Bootstraps on 127.0.0.1 ports nothing listens on: no DNS query leaves the host, TCP is refused.
            var bootstraps: [String: String] = [:]
            for role in ["ORIGIN", "JUMP", "TARGET"] {
                bootstraps["JUMPCHAIN_\(role)_BOOTSTRAP"] = "127.0.0.1:\(try TLSTestServer.freePort())"
            }
            let healthy = try await world.jumpchain(
                ["doctor", world.demoPlaybook, "--output", "json", "--timeout", "3"], environment: bootstraps)
            #expect(healthy.status == 0, "\(healthy.output)")
            let found = try endpoints(healthy)
            for name in ["control plane", "origin REST", "jump REST", "target REST"] {
                #expect(found[name]?["usable"] as? Bool == true, "\(name): \(found[name] ?? [:])")
                #expect(check(found[name], "dns").detail.contains("127.0.0.1 (private)"), "\(name)")
                #expect(check(found[name], "tcp").status == "ok", "\(name)")
            }
            for name in ["control plane", "origin REST", "target REST"] {
                #expect(check(found[name], "auth").status == "ok", "\(name): \(check(found[name], "auth"))")
            }
            #expect(check(found["jump REST"], "auth").status == "skipped", "the jump has no operator key")
            #expect(try runnable(healthy).values.allSatisfy { $0 })
            let bootstrap = found["origin bootstrap"]
            #expect(check(bootstrap, "tcp").detail.contains("refused"), "\(bootstrap ?? [:])")

            world.simulator.setFaults(FaultSettings(blackholed: [SimulatorConfig.JumpDemo.target]))
            let blackholed = try await world.jumpchain(
                ["doctor", world.demoPlaybook, "--output", "json", "--timeout", "1"], environment: bootstraps)
            #expect(blackholed.status == 1, "\(blackholed.output)")
            let target = try endpoints(blackholed)["target REST"]
            #expect(target?["usable"] as? Bool == false)
            #expect(check(target, "tcp").status == "ok", "the blackhole accepts the connection")
            #expect(check(target, "auth").detail.contains("blackholed"), "\(check(target, "auth"))")
            let steps = try runnable(blackholed)
            #expect(steps["leg2"] == false)
            #expect(steps["mirror-target"] == false)
            #expect(steps["leg1-source"] == true)
            #expect(steps["link-key"] == true)

            let text = try await world.jumpchain(
                ["doctor", world.demoPlaybook, "--timeout", "1"], environment: bootstraps)
            print("doctor with the target blackholed:\n\(text.stdout)")
            #expect(text.status == 1)
            #expect(text.stdout.contains("cannot run leg2: cannot use target REST from this host"), "\(text.output)")
            #expect(text.stdout.contains("this host can run: "))
            world.simulator.setFaults(FaultSettings())

            let needles = world.issuedSecretNeedles()
            for transcript in world.transcripts {
                for needle in needles where transcript.contains(needle) {
                    Issue.record("an issued secret appeared in doctor's output")
                }
            }
        }
    }
}
