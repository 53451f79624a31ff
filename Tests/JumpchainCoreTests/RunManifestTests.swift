import Foundation
import JumpchainCore
import Testing
import Workflow

/// A run's manifest records its operation kind and a schema version: a version-1 manifest (no version, no
/// kind) is read as a rollout, a newer one is refused naming the version.
@Suite("run manifest versions")
struct RunManifestTests {
    static func run(manifest: (String) -> String) throws -> (state: String, directory: String) {
        let (playbook, _) = try PlaybookLoader.load(
            path: PlaybookShippedTests.directory + "/demo.yaml", environment: PlaybookShippedTests.demoEnvironment)
        let encoded = String(decoding: try JSONEncoder().encode(playbook), as: UTF8.self)
        let state = NSTemporaryDirectory() + "jumpchain-manifest-\(UUID().uuidString)"
        let directory = state + "/jump-demo"
        let plan = try Plan(steps: [StepSpec(id: "preflight", kind: "preflight")])
        _ = try RunStore.create(directory: directory, runName: "jump-demo", plan: plan, manifest: manifest(encoded))
        return (state, directory)
    }

    @Test("a version-1 manifest (jumpchain 0.1.0: no schema_version, no operation) reads as a rollout")
    func versionOneReadsAsRollout() async throws {
        let (state, _) = try Self.run { #"{"jumpchainVersion":"0.1.0","playbook":\#($0),"playbookHash":"h"}"# }
        defer { try? FileManager.default.removeItem(atPath: state) }
        let status = try await Rollout.status(
            run: "jump-demo", live: false, options: Rollout.Options(stateDirectory: state, environment: [:]))
        #expect(status.runName == "jump-demo")
        #expect(status.plan.steps.map(\.id) == ["preflight"])
        #expect(status.operations.isEmpty)
    }

    @Test("a manifest of a newer schema is refused with the version and what to do")
    func newerManifestIsRefused() async throws {
        let (state, _) = try Self.run {
            #"{"jumpchainVersion":"9.0.0","operation":"rollout","playbook":\#($0),"playbookHash":"h","schema_version":3}"#
        }
        defer { try? FileManager.default.removeItem(atPath: state) }
        await #expect {
            _ = try await Rollout.status(
                run: "jump-demo", live: false, options: Rollout.Options(stateDirectory: state, environment: [:]))
        } throws: { error in
            let message = (error as? JumpchainError)?.message ?? ""
            return message.contains("newer jumpchain") && message.contains("schema 3")
        }
    }

    @Test("an operation kind this build does not know is refused, not guessed")
    func unknownOperationIsRefused() async throws {
        let (state, _) = try Self.run {
            #"{"jumpchainVersion":"0.2.0","operation":"replicate","playbook":\#($0),"playbookHash":"h","schema_version":2}"#
        }
        defer { try? FileManager.default.removeItem(atPath: state) }
        await #expect {
            _ = try await Rollout.status(
                run: "jump-demo", live: false, options: Rollout.Options(stateDirectory: state, environment: [:]))
        } throws: { error in
            ((error as? JumpchainError)?.message ?? "").contains("does not know")
        }
    }
}
