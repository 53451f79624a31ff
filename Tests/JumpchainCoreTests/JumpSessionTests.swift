import ConfluentAPI
import ConfluentSimulator
import Foundation
import Testing

@testable import JumpchainCore

/// The jump session key against the simulator: one key per process, however many steps need the jump at once.
@Suite("jump session key")
struct JumpSessionTests {
    @Test("steps that first need the jump at the same time share one session key; closing revokes it")
    func concurrentFirstUsesMintOneKey() async throws {
        let simulator = try await Simulator.start(.jumpDemo(), revealOperatorSecrets: true)
        var environment = simulator.connectionInfo.playbookEnvironment(
            linkServiceAccount: SimulatorConfig.JumpDemo.linkServiceAccount)
        environment["JUMPCHAIN_POLL_MS"] = "20"
        let playbookPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("playbooks/demo.yaml").path
        let (playbook, _) = try Rollout.loadPlaybook(playbookPath, environment: environment)
        let context = try RunSession.makeContext(
            playbook, runName: playbook.runName, options: Rollout.Options(environment: environment))
        // As after a resume: several steps (leg 1's destination half, the jump ACLs, jump mirrors) start together.
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<6 {
                group.addTask { try await context.jump().clusterID }
            }
            for try await cluster in group { #expect(cluster == SimulatorConfig.JumpDemo.jump) }
        }
        let minted = await context.sessionKeyIDs()
        #expect(minted.count == 1, "session keys minted: \(minted)")
        await context.close()
        context.credentials.wipe()
        let live = Self.liveKeys(simulator, on: SimulatorConfig.JumpDemo.jump)
        await simulator.stop()
        #expect(live.isEmpty, "live keys on the jump after close: \(live)")
    }

    @Test("a step that needs the jump while the session key propagates waits for it instead of using it early")
    func callerDuringPropagationWaits() async throws {
        let simulator = try await Simulator.start(.jumpDemo(), revealOperatorSecrets: true)
        var environment = simulator.connectionInfo.playbookEnvironment(
            linkServiceAccount: SimulatorConfig.JumpDemo.linkServiceAccount)
        environment["JUMPCHAIN_POLL_MS"] = "20"
        let playbookPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("playbooks/demo.yaml").path
        let (playbook, _) = try Rollout.loadPlaybook(playbookPath, environment: environment)
        let context = try RunSession.makeContext(
            playbook, runName: playbook.runName, options: Rollout.Options(environment: environment))
        let first = Task { try await context.jump().clusterID }
        // The key exists on the control plane and is still propagating to the jump (seconds, in this world).
        while Self.liveKeys(simulator, on: SimulatorConfig.JumpDemo.jump).isEmpty {
            try await Task.sleep(for: .milliseconds(5))
        }
        // A second step arrives now: the client it gets already works (a 401 here failed a step for good).
        let topics = try await context.jump().listTopics()
        #expect(topics.isEmpty, "the demo jump holds no topic before a rollout: \(topics.map(\.topicName))")
        #expect(try await first.value == SimulatorConfig.JumpDemo.jump)
        #expect(await context.sessionKeyIDs().count == 1)
        await context.close()
        context.credentials.wipe()
        await simulator.stop()
    }

    static func liveKeys(_ simulator: Simulator, on cluster: String) -> [String] {
        let state = (try? JSONSerialization.jsonObject(with: Data(simulator.stateJSON().utf8))) as? [String: Any]
        return ((state?["api_keys"] as? [[String: Any]]) ?? []).filter {
            ($0["resource"] as? String) == cluster && ($0["revoked"] as? Bool) != true
        }.compactMap { $0["id"] as? String }
    }
}
