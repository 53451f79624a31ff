import ConfluentSimulator
import Foundation
import JumpchainTestSupport
import Synchronization
import Testing
import Workflow
import WorkflowPostgres

@testable import JumpchainCore

/// A run (or update) its preflight refused is removed while `apply` still holds the run's lock: a second `apply`
/// never sees it about to go, nor starts over it before it is gone.
@Suite("refused runs removed under the lock")
struct RefusedRunRemovalTests {
    @Test(
        "a refused first apply and a refused update are removed while the run's lock is held",
        arguments: ["sqlite", "postgres"])
    func removedUnderTheLock(backend kind: String) async throws {
        if kind == "postgres", let reason = ThrowawayPostgres.unavailableReason {
            print("refused-run removal on PostgreSQL skipped: \(reason)")
            return
        }
        typealias Demo = SimulatorConfig.JumpDemo
        var config = SimulatorConfig.jumpDemo()
        // `extra` on the origin, and a plain topic of the same name on the jump where its mirror would go: a playbook
        // that adds it is refused by its preflight, a first apply and an update alike.
        config.topics.append(SimulatorConfig.Topic(cluster: Demo.origin, name: "extra", partitions: 1))
        config.topics.append(SimulatorConfig.Topic(cluster: Demo.jump, name: "extra", partitions: 1))
        let (simulator, environment, playbook) = try await JumpSessionTests.demo(config)
        let state = NSTemporaryDirectory() + "jumpchain-refused-lock-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let backend = LockProbingBackend(try await JumpSessionTests.backend(kind, state: state, database: "refused"))
        var options = Rollout.Options(stateDirectory: state, environment: environment)
        options.stateBackend = backend
        let text = try String(contentsOfFile: playbook.sourceFile, encoding: .utf8)
        let extra = state + "/extra.yaml"
        try text.replacingOccurrences(
            of: "names: [orders, payments, inventory]", with: "names: [orders, payments, inventory, extra]"
        ).write(toFile: extra, atomically: true, encoding: .utf8)
        let root = backend.runKey(playbook.runName)

        let first = await Self.code { () async throws(JumpchainError) in
            _ = try await Rollout.apply(playbookPath: extra, options: options)
        }
        let firstRemovals = backend.takeRemovals()
        let firstLeft = try backend.runExists(root)
        let built = await Self.code { () async throws(JumpchainError) in
            _ = try await Rollout.apply(playbookPath: playbook.sourceFile, options: options)
        }
        _ = backend.takeRemovals()
        let update = await Self.code { () async throws(JumpchainError) in
            _ = try await Rollout.apply(playbookPath: extra, options: options)
        }
        let updateRemovals = backend.takeRemovals()
        let operations = try backend.operationNames(ofRun: root)
        await simulator.stop()

        #expect(first == .preflightFailed)
        // Removed once, under the lock: a second removal (after the first took the lock file with it) could take a
        // run directory and lock another apply created in between.
        #expect(firstRemovals.map(\.run) == [root], "\(firstRemovals)")
        #expect(firstRemovals.allSatisfy { $0.locked }, "removed after the lock's release: \(firstRemovals)")
        #expect(!firstLeft, "the refused first apply left its run behind")
        #expect(built == nil)
        #expect(update == .preflightFailed)
        let updateKey = RunOperations.key(runKey: root, operation: "001-update")
        #expect(updateRemovals.map(\.run) == [updateKey], "\(updateRemovals)")
        #expect(updateRemovals.allSatisfy { $0.locked }, "removed after the lock's release: \(updateRemovals)")
        #expect(operations.isEmpty, "the refused update was left behind: \(operations)")
    }

    /// The code `body` failed with, nil when it succeeded.
    static func code(_ body: () async throws(JumpchainError) -> Void) async -> JumpchainError.Code? {
        do {
            try await body()
            return nil
        } catch {
            return error.code
        }
    }
}

/// A backend that, on each `removeRun`, first tries the lock of the run it belongs to (as a second `apply` would:
/// another open file, another database session) and records whether someone held it.
final class LockProbingBackend: RunStateBackend {
    struct Removal: Sendable, CustomStringConvertible {
        var run: String
        var locked: Bool
        var description: String { "\(run) (\(locked ? "locked" : "not locked"))" }
    }

    let inner: any RunStateBackend
    private let removals = Mutex<[Removal]>([])

    init(_ inner: any RunStateBackend) { self.inner = inner }

    /// The removals recorded since the last call.
    func takeRemovals() -> [Removal] {
        removals.withLock { removals in
            defer { removals = [] }
            return removals
        }
    }

    func removeRun(_ run: String) throws(WorkflowError) {
        var locked = false
        do {
            try inner.lockRun(RunOperations.runName(ofKey: run)).release()
        } catch {
            locked = error.code == .runLocked
        }
        removals.withLock { $0.append(Removal(run: run, locked: locked)) }
        try inner.removeRun(run)
    }

    var description: String { inner.description }
    func location(ofRun run: String) -> String { inner.location(ofRun: run) }
    func runExists(_ run: String) throws(WorkflowError) -> Bool { try inner.runExists(run) }
    func createRun(_ run: String, plan: Plan, manifest: String) throws(WorkflowError) -> any RunStateStore {
        try inner.createRun(run, plan: plan, manifest: manifest)
    }
    func openRun(_ run: String) throws(WorkflowError) -> any RunStateStore { try inner.openRun(run) }
    func lockRun(_ run: String) throws(WorkflowError) -> any RunLease { try inner.lockRun(run) }
    func lockRun(_ run: String, site: String) throws(WorkflowError) -> any RunLease {
        try inner.lockRun(run, site: site)
    }
    func forceUnlockRun(_ run: String) throws(WorkflowError) -> LockHolder? { try inner.forceUnlockRun(run) }
    func importRun(_ export: RunExport) throws(WorkflowError) { try inner.importRun(export) }
    func runKey(_ run: String) -> String { inner.runKey(run) }
    var lockCreatesRunKey: Bool { inner.lockCreatesRunKey }
    func openRunReadOnly(_ run: String) throws(WorkflowError) -> any RunStateStore { try inner.openRunReadOnly(run) }
    func operationNames(ofRun run: String) throws(WorkflowError) -> [String] { try inner.operationNames(ofRun: run) }
    func document(_ name: String, ofRun run: String) throws(WorkflowError) -> Data? {
        try inner.document(name, ofRun: run)
    }
    func setDocument(_ name: String, ofRun run: String, _ content: Data) throws(WorkflowError) {
        try inner.setDocument(name, ofRun: run, content)
    }
}
