import ConfluentSimulator
import Foundation
import JumpchainCore
import Testing
import Workflow

/// `plan` cannot drift from `apply` (nor `destroy --dry-run` from `destroy`): every request the simulator
/// recorded during a whole rollout and a whole teardown is one a step's preview announced, method and path.
@Suite("request previews match what the operations send")
struct PreviewContractTests {
    @Test("every recorded request of apply, verify and destroy was previewed by its operation's steps")
    func previewsCoverRecordedRequests() async throws {
        var world = SimulatorConfig.jumpDemo()
        world.topics.append(
            SimulatorConfig.Topic(cluster: SimulatorConfig.JumpDemo.origin, name: "refunds", partitions: 2))
        let simulator = try await Simulator.start(world, revealOperatorSecrets: true)
        let state = NSTemporaryDirectory() + "jumpchain-preview-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        var environment = simulator.connectionInfo.playbookEnvironment(
            linkServiceAccount: SimulatorConfig.JumpDemo.linkServiceAccount)
        environment["JUMPCHAIN_POLL_MS"] = "100"
        let options = Rollout.Options(stateDirectory: state, environment: environment)
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("playbooks/demo.yaml").path
        let (playbook, _) = try Rollout.loadPlaybook(path, environment: environment)

        simulator.recordExchanges(true)
        let report = try await Rollout.apply(playbookPath: path, options: options)
        #expect(report.status == .succeeded)
        let rolloutExchanges = simulator.recordedExchanges()
        #expect(rolloutExchanges.count > 50)
        let rolloutPreviews =
            RequestPreview.requests(for: report.plan, playbook: playbook).values.flatMap { $0 }
            + RequestPreview.session(playbook)
        let unannounced = Self.unmatched(rolloutExchanges, rolloutPreviews)
        #expect(
            unannounced.isEmpty, "apply sent requests its plan did not show:\n\(unannounced.joined(separator: "\n"))")
        // A single-site run's preflight mints the link keys with the session key: their creates are listed under
        // it, and under `link-key` / `origin-link-key` only for a resume by another process (which lost them).
        let stepPreviews = RequestPreview.requests(for: report.plan, playbook: playbook)
        func keyCreates(_ step: String) -> [String] {
            (stepPreviews[step] ?? []).filter {
                $0.method == "POST" && $0.path == "/iam/v2/api-keys" && !$0.detail.contains("(only")
            }.map(\.detail)
        }
        let preflightCreates = keyCreates(RolloutStep.preflight)
        #expect(playbook.link.mintsOriginKey)
        #expect(preflightCreates.count == 3, "the session key, the link key, the origin link key: \(preflightCreates)")
        #expect(preflightCreates.contains { $0.contains("→ the one link key") }, "\(preflightCreates)")
        #expect(preflightCreates.contains { $0.contains("→ the origin link key") }, "\(preflightCreates)")
        #expect(keyCreates(RolloutStep.linkKey).isEmpty && keyCreates(RolloutStep.originLinkKey).isEmpty)
        // And those are the keys the rollout created.
        let sentCreates = rolloutExchanges.filter { $0.method == "POST" && $0.path == "/iam/v2/api-keys" }.count
        #expect(sentCreates == preflightCreates.count)
        // Each mutating preview of a step that always acts on a fresh world was seen.
        for kind in [
            RolloutStep.preflight, RolloutStep.leg1Destination, RolloutStep.leg1Source, RolloutStep.leg2,
            RolloutStep.linkKey, RolloutStep.originLinkKey,
        ] {
            let mutating = RolloutExecutorPreviews.mutating(report.plan, playbook: playbook, step: kind)
            for preview in mutating where preview.detail.contains("(only") == false {
                #expect(
                    rolloutExchanges.contains { preview.matches(method: $0.method, path: $0.path) },
                    "\(kind) previews \(preview) but never sent it")
            }
        }

        // An update adding a topic: every request it sends is one its plan showed.
        let changed = state + "/with-refunds.yaml"
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(
            of: "names: [orders, payments, inventory]", with: "names: [orders, payments, inventory, refunds]")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try text.write(toFile: changed, atomically: true, encoding: .utf8)
        let (changedBook, _) = try Rollout.loadPlaybook(changed, environment: environment)
        let planned = try #require(try await Update.planned(changedBook, path: changed, prune: false, options: options))
        #expect(planned.diff.added.map(\.origin) == ["refunds"])
        let beforeUpdate = simulator.recordedExchanges().count
        let update = try await Rollout.apply(playbookPath: changed, options: options)
        #expect(update.operation == .update && update.status == .succeeded)
        let updateExchanges = Array(simulator.recordedExchanges().dropFirst(beforeUpdate))
        let updatePreviews = planned.requests.values.flatMap { $0 } + RequestPreview.session(playbook)
        let unplanned = Self.unmatched(updateExchanges, updatePreviews)
        #expect(
            unplanned.isEmpty, "the update sent requests its plan did not show:\n\(unplanned.joined(separator: "\n"))")
        #expect(updateExchanges.filter { $0.method == "POST" && $0.path.hasSuffix("/mirrors") }.count == 2)

        let before = simulator.recordedExchanges().count
        let outcome = try await Teardown.destroy(
            Teardown.Request(run: playbook.runName, targetTopics: .keep), options: options)
        guard case .done(let teardown, let survey?) = outcome else {
            Issue.record("destroy did not run: \(outcome)")
            await simulator.stop()
            return
        }
        #expect(teardown.status == .succeeded)
        #expect(teardown.invariant?.holds == true, "\(teardown.invariant?.line ?? "no invariant")")
        let teardownExchanges = Array(simulator.recordedExchanges().dropFirst(before))
        await simulator.stop()
        let teardownPreviews = survey.requests.values.flatMap { $0 } + RequestPreview.session(playbook)
        // The survey before the teardown reads links, mirrors and topics: reads of the same objects.
        let surveyReads = teardownExchanges.filter { $0.method == "GET" }
        let writes = teardownExchanges.filter { $0.method != "GET" }
        let unannouncedWrites = Self.unmatched(writes, teardownPreviews)
        #expect(
            unannouncedWrites.isEmpty,
            "destroy sent changes its dry run did not show:\n\(unannouncedWrites.joined(separator: "\n"))")
        #expect(!surveyReads.isEmpty)
        #expect(writes.contains { $0.method == "DELETE" && $0.path.contains("/links/") })
    }

    static func unmatched(_ exchanges: [SimulatorExchange], _ previews: [PreviewRequest]) -> [String] {
        var missing: Set<String> = []
        for exchange in exchanges where !exchange.path.hasPrefix("/sim/") {
            if !previews.contains(where: { $0.matches(method: exchange.method, path: exchange.path) }) {
                missing.insert("\(exchange.method) \(exchange.path) (\(exchange.listener))")
            }
        }
        return missing.sorted()
    }
}

/// The previews of one step id in a plan, mutating ones only.
enum RolloutExecutorPreviews {
    static func mutating(_ plan: Plan, playbook: Playbook, step: String) -> [PreviewRequest] {
        (RequestPreview.requests(for: plan, playbook: playbook)[step] ?? []).filter(\.isMutating)
    }
}
