import ConfluentSimulator
import Foundation
import JumpchainTestSupport
import Testing

extension BinaryTests {
    /// Reachability that is real: the simulator's listeners bound per the network-namespace rig, and `doctor` run
    /// inside each side's namespace reports what that side reaches (or, without a rig, the same with the other
    /// side's REST listener blackholed).
    @Suite("doctor across two networks", .serialized)
    struct NetnsDoctorCLITests {
        private func report(_ result: CLI.Result) throws -> (usable: [String: Bool], runnable: [String: Bool]) {
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.output)")
            let endpoints = (object["endpoints"] as? [[String: Any]]) ?? []
            let steps = (object["steps"] as? [[String: Any]]) ?? []
            return (
                Dictionary(
                    uniqueKeysWithValues: endpoints.map {
                        ($0["name"] as? String ?? "", $0["usable"] as? Bool ?? false)
                    }
                ),
                Dictionary(
                    uniqueKeysWithValues: steps.map { ($0["step"] as? String ?? "", $0["runnable"] as? Bool ?? false) })
            )
        }

        @Test("inside each side: its own REST, the jump and the control plane reachable, the other side's not")
        func doctorAtEachSide() async throws {
            let rigWorld = try await RigWorld.start()
            defer { rigWorld.stopNow() }
            if let rig = rigWorld.rig {
                let info = rigWorld.world.simulator.connectionInfo
                #expect(info.controlPlaneURL.hasPrefix("http://\(rig.publicAddress):"), "\(info.controlPlaneURL)")
                let urls = Dictionary(uniqueKeysWithValues: info.clusters.map { ($0.id, $0.restURL) })
                #expect(urls[SimulatorConfig.JumpDemo.origin]?.hasPrefix("http://\(rig.originAddress):") == true)
                #expect(urls[SimulatorConfig.JumpDemo.target]?.hasPrefix("http://\(rig.targetAddress):") == true)
                #expect(urls[SimulatorConfig.JumpDemo.jump]?.hasPrefix("http://\(rig.publicAddress):") == true)
            }
            // Bootstraps on loopback ports nothing listens on: no DNS query, nothing outside the rig contacted.
            var bootstraps: [String: String] = [:]
            for role in ["ORIGIN", "JUMP", "TARGET"] {
                bootstraps["JUMPCHAIN_\(role)_BOOTSTRAP"] = "127.0.0.1:\(try TLSTestServer.freePort())"
            }
            for side in NetnsRig.Side.allCases {
                let other = RigWorld.otherSide(side)
                let result = try await rigWorld.jumpchain(
                    ["doctor", rigWorld.world.demoPlaybook, "--output", "json", "--timeout", "2"], at: side,
                    environment: bootstraps)
                #expect(result.status == 1, "\(side): \(result.output)")
                let (usable, runnable) = try report(result)
                for name in ["control plane", "jump REST", "\(side.rawValue) REST"] {
                    #expect(usable[name] == true, "\(side) side: \(name) should be reachable: \(result.stdout)")
                }
                #expect(usable["\(other.rawValue) REST"] == false, "\(side) side reaches the \(other) REST")
                let own = side == .origin ? "leg1-source" : "leg2"
                let others = side == .origin ? "leg2" : "leg1-source"
                #expect(runnable[own] == true, "\(side): \(runnable)")
                #expect(runnable[others] == false, "\(side): \(runnable)")
                #expect(runnable["link-key"] == true, "control-plane steps run at either side: \(runnable)")

                let text = try await rigWorld.jumpchain(
                    ["doctor", rigWorld.world.demoPlaybook, "--timeout", "2"], at: side, environment: bootstraps)
                print("doctor inside the \(side) side:\n\(text.stdout)")
                #expect(text.stdout.contains("cannot use \(other.rawValue) REST from this host"), "\(text.output)")
            }
            // doctor --site on a playbook with sites: each side is its own site, and not the other's.
            let sites = try rigWorld.world.playbookVariant(
                "doctor-sites",
                replacing: [
                    (
                        "concurrency:",
                        "sites:\n  origin-side: {reaches: [origin]}\n  target-side: {reaches: [target]}\n\nconcurrency:"
                    )
                ])
            for side in NetnsRig.Side.allCases {
                for site in ["origin-side", "target-side"] {
                    let own = site.hasPrefix(side.rawValue)
                    let result = try await rigWorld.jumpchain(
                        ["doctor", sites, "--site", site, "--timeout", "2"], at: side, environment: bootstraps)
                    if own { print("doctor --site \(site) inside the \(side) side:\n\(result.stdout)") }
                    #expect(result.status == (own ? 0 : 1), "\(side) side, --site \(site): \(result.output)")
                }
            }
            rigWorld.world.simulator.setFaults(FaultSettings())
            let needles = rigWorld.world.issuedSecretNeedles()
            for transcript in rigWorld.world.transcripts {
                for needle in needles where transcript.contains(needle) {
                    Issue.record("an issued secret appeared in doctor's output")
                }
            }
        }
    }
}
