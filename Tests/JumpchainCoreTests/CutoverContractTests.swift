import ConfluentSimulator
import Foundation
import JumpchainCore
import JumpchainTestSupport
import Testing
import Workflow

/// `cutover` and `failover` against the specs and their own previews: every request they send is one their
/// dry run showed, and every exchange matches Confluent's OpenAPI documents.
@Suite("cutover and failover requests match their previews and the specs")
struct CutoverContractTests {
    @Test("cutover then failover of the demo: previewed, and valid against the specs", .requiresSpecs)
    func cutoverAndFailoverExchanges() async throws {
        let contract = try OpenAPIContract.confluentCloud()
        let simulator = try await Simulator.start(.jumpDemo(), revealOperatorSecrets: true)
        let state = NSTemporaryDirectory() + "jumpchain-cutover-contract-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        var environment = simulator.connectionInfo.playbookEnvironment(
            linkServiceAccount: SimulatorConfig.JumpDemo.linkServiceAccount)
        environment["JUMPCHAIN_POLL_MS"] = "100"
        let options = Rollout.Options(stateDirectory: state, environment: environment)
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("playbooks/demo.yaml").path
        let (playbook, _) = try Rollout.loadPlaybook(path, environment: environment)
        let applied = try await Rollout.apply(playbookPath: path, options: options)
        #expect(applied.status == .succeeded)
        simulator.setProducersPaused(true)

        let request = Cutover.Request(run: playbook.runName, quietPeriod: 1, timeout: 60)
        var dry = request
        dry.dryRun = true
        guard case .previewed(let preview) = try await Cutover.cutover(dry, options: options) else {
            Issue.record("the dry run ran a cutover")
            await simulator.stop()
            return
        }
        simulator.recordExchanges(true)
        let outcome = try await Cutover.cutover(request, options: options)
        guard case .done(let report) = outcome else {
            Issue.record("cutover did not run")
            await simulator.stop()
            return
        }
        #expect(report.status == .succeeded)
        let cutoverExchanges = simulator.recordedExchanges()
        let previews = preview.requests.values.flatMap { $0 } + RequestPreview.session(playbook)
        let unannounced = PreviewContractTests.unmatched(cutoverExchanges, previews)
        #expect(
            unannounced.isEmpty,
            "cutover sent requests its dry run did not show:\n\(unannounced.joined(separator: "\n"))")
        #expect(cutoverExchanges.contains { $0.method == "POST" && $0.path.hasSuffix("mirrors:promote") })

        guard
            case .previewed(_, _, let failoverRequests) = try await Failover.failover(
                Failover.Request(run: playbook.runName, dryRun: true), options: options)
        else {
            Issue.record("the failover dry run ran a failover")
            await simulator.stop()
            return
        }
        let before = simulator.recordedExchanges().count
        _ = try await Failover.failover(Failover.Request(run: playbook.runName), options: options)
        let failoverExchanges = Array(simulator.recordedExchanges().dropFirst(before))
        let exchanges = simulator.recordedExchanges()
        await simulator.stop()
        let failoverUnannounced = PreviewContractTests.unmatched(
            failoverExchanges, failoverRequests.values.flatMap { $0 } + RequestPreview.session(playbook))
        #expect(
            failoverUnannounced.isEmpty,
            "failover sent requests its dry run did not show:\n\(failoverUnannounced.joined(separator: "\n"))")

        var violations: [String] = []
        for exchange in exchanges where !exchange.path.hasPrefix("/sim/") {
            guard contract.operation(method: exchange.method, path: exchange.path) != nil else {
                violations.append("\(exchange.method) \(exchange.path): no such operation in the specs")
                continue
            }
            if !exchange.requestBody.isEmpty {
                violations += contract.validateRequest(
                    method: exchange.method, path: exchange.path, body: exchange.requestBody
                ).map { "request \($0)" }
            }
            violations += contract.validateResponse(
                method: exchange.method, path: exchange.path, status: exchange.status, body: exchange.responseBody
            ).filter { !ContractTests.isKnownDeviation($0, exchange) }.map { "response \(exchange.status) \($0)" }
        }
        #expect(violations.isEmpty, "\(violations.prefix(20).joined(separator: "\n"))")
    }
}
