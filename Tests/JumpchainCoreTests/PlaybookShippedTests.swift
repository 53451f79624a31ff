import Foundation
import JumpchainCore
import Testing

@Suite("Shipped playbooks")
struct PlaybookShippedTests {
    /// `playbooks/` at the package root, found from this file's path.
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("playbooks").path

    static let demoEnvironment: [String: String] = {
        // Shaped like the simulator's jump-demo world (ids `lkc-origin`, `env-jumpdemo`, `sa-link01`).
        var environment = ["JUMPCHAIN_CONTROL_PLANE": "http://127.0.0.1:9000", "JUMPCHAIN_LINK_SA": "sa-link01"]
        environment["JUMPCHAIN_CLOUD_KEY"] = "OPERATORCLOUDKEY"
        for (role, port) in [("ORIGIN", 9001), ("JUMP", 9002), ("TARGET", 9003)] {
            environment["JUMPCHAIN_\(role)_ID"] = "lkc-\(role.lowercased())"
            environment["JUMPCHAIN_\(role)_REST"] = "http://127.0.0.1:\(port)/kafka"
            environment["JUMPCHAIN_\(role)_BOOTSTRAP"] = "lkc-\(role.lowercased()).sim.local:9092"
            environment["JUMPCHAIN_\(role)_ENV"] = "env-jumpdemo"
            environment["JUMPCHAIN_\(role)_KEY"] = "OPERATOR\(role)01"
        }
        return environment
    }()

    @Test func demoLoadsWithTheSimulatorVariables() throws {
        let (playbook, diagnostics) = try PlaybookLoader.load(
            path: Self.directory + "/demo.yaml", environment: Self.demoEnvironment)
        #expect(diagnostics.isEmpty)
        #expect(playbook.runName == "jump-demo")
        #expect(playbook.controlPlane.endpoint == "http://127.0.0.1:9000")
        #expect(playbook.origin.restEndpoint == "http://127.0.0.1:9001/kafka")
        #expect(playbook.target.credentials?.secret == .env("JUMPCHAIN_TARGET_SECRET"))
        #expect(playbook.topics.names == ["orders", "payments", "inventory"])
        #expect(playbook.link.serviceAccount == "sa-link01")
    }

    @Test func demoWithoutTheVariablesNamesEachMissingOne() {
        #expect {
            _ = try PlaybookLoader.load(path: Self.directory + "/demo.yaml", environment: [:])
        } throws: { error in
            let messages = (error as? PlaybookError)?.diagnostics.map(\.message) ?? []
            return messages.count == 17
                && messages.contains { $0.contains("`JUMPCHAIN_ORIGIN_REST` used in `origin.rest_endpoint`") }
        }
    }

    @Test(arguments: ["migrate-aws-privatelink-to-azure.yaml", "dr-gcp-psc-to-aws-tgw.yaml"])
    func examplesLoadWithoutDiagnostics(name: String) throws {
        let (playbook, diagnostics) = try PlaybookLoader.load(path: Self.directory + "/" + name, environment: [:])
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(!playbook.topics.patterns.isEmpty)
    }

    @Test func exampleOptionsAreMerged() throws {
        let (playbook, _) = try PlaybookLoader.load(
            path: Self.directory + "/migrate-aws-privatelink-to-azure.yaml", environment: [:])
        #expect(playbook.link.leg1Options["consumer.offset.sync.ms"] == "10000")
        #expect(
            playbook.link.leg1Options["consumer.offset.group.filters"]?.contains("\"patternType\": \"LITERAL\"") == true
        )
        #expect(playbook.link.leg2Options["topic.config.sync.ms"] == "10000")
        #expect(playbook.link.leg1Options["topic.config.sync.ms"] == "5000")
        let dr = try PlaybookLoader.load(path: Self.directory + "/dr-gcp-psc-to-aws-tgw.yaml", environment: [:]).0
        #expect(
            dr.stdinOrder == [
                "control_plane.credentials.key", "control_plane.credentials.secret", "origin.credentials.secret",
                "target.credentials.secret",
            ])
    }
}
