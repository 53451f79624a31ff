import Foundation
import Testing
import Workflow

#if canImport(Glibc)
    import Glibc
#endif

/// One behaviour, every backend: what the engine relies on from a ``RunStateBackend`` and its stores.
@Suite("store contract, every backend", .serialized)
struct SharedStoreTests {
    private let plan: Plan

    init() throws {
        plan = try Plan(steps: [
            StepSpec(id: "a", kind: "k"), StepSpec(id: "b", kind: "k", dependsOn: ["a"]),
            StepSpec(id: "c", kind: "k", dependsOn: ["a"]),
        ])
    }

    @Test(arguments: BackendKind.testable)
    func createOpenAndRefuseDuplicates(_ kind: BackendKind) async throws {
        let fixture = try await TestBackend.make(kind, "contract-create")
        defer { fixture.cleanUp() }
        let backend = fixture.backend
        #expect(try !backend.runExists("orders"))
        let missing = #expect(throws: WorkflowError.self) { try backend.openRun("orders") }
        #expect(missing?.code == .runNotFound)

        let store = try backend.createRun("orders", plan: plan, manifest: #"{"playbook":"p.yaml"}"#)
        #expect(store.runName == "orders")
        #expect(try backend.runExists("orders"))
        let metadata = try store.metadata()
        #expect(metadata.name == "orders")
        #expect(metadata.status == .created)
        #expect(metadata.manifest == #"{"playbook":"p.yaml"}"#)
        #expect(metadata.schemaVersion == RunStore.schemaVersion)
        #expect(try store.plan() == plan)
        #expect(try store.stepStates() == ["a": .pending, "b": .pending, "c": .pending])
        #expect(try store.integrityCheck())

        let duplicate = #expect(throws: WorkflowError.self) {
            try backend.createRun("orders", plan: plan, manifest: "{}")
        }
        #expect(duplicate?.code == .runAlreadyExists)
        try store.setManifest(#"{"v":2}"#)
        #expect(try backend.openRun("orders").metadata().manifest == #"{"v":2}"#)
    }

    @Test(arguments: BackendKind.testable)
    func committedTransitionsAreSeenByAnotherConnection(_ kind: BackendKind) async throws {
        let fixture = try await TestBackend.make(kind, "contract-commit")
        defer { fixture.cleanUp() }
        let store = try fixture.backend.createRun("r", plan: plan, manifest: "{}")
        let started = Date(timeIntervalSince1970: 1_800_000_000.125)
        let first = try store.commit(
            [.started("a", attempt: 1, at: started)],
            events: [WorkflowEvent(kind: .runStarted), WorkflowEvent(kind: .stepStarted, stepID: "a", attempt: 1)],
            status: .running)
        let second = try store.commit(
            [
                .succeeded("a", outputs: ["key_id": "K1"], at: started.addingTimeInterval(2)),
                .skipped("c", reason: "none", at: started),
            ],
            events: [WorkflowEvent(kind: .stepSucceeded, stepID: "a", attempt: 1)], status: nil)
        let sequences = (first + second).compactMap(\.sequence)
        #expect(sequences.count == 3)
        #expect(sequences == sequences.sorted() && Set(sequences).count == 3, "sequences increase")

        let reopened = try fixture.backend.openRun("r")
        let records = try reopened.stepRecords()
        #expect(records["a"]?.state == .succeeded)
        #expect(records["a"]?.attempts == 1)
        #expect(records["a"]?.outputs == ["key_id": "K1"])
        #expect(records["a"]?.startedAt == started)
        #expect(records["c"]?.state == .skipped)
        #expect(records["c"]?.lastError == "none")
        #expect(records["b"]?.state == .pending)
        #expect(try reopened.metadata().status == .running)
        let events = try reopened.events()
        #expect(events.map(\.kind) == [.runStarted, .stepStarted, .stepSucceeded])
        #expect(try reopened.events(after: sequences[0]).count == 2)
        #expect(try reopened.events(after: 0, limit: 1).count == 1)

        try store.commit([.failed("b", error: "HTTP 500", at: Date())], events: [], status: .failed)
        try store.commit([.reset("b", error: nil)], events: [], status: nil)
        let b = try reopened.stepRecords()["b"]
        #expect(b?.state == .pending)
        #expect(b?.lastError == "HTTP 500", "a reset without an error keeps the last one")
    }

    @Test(arguments: BackendKind.testable)
    func secondLockIsRefusedWithTheHolderNamed(_ kind: BackendKind) async throws {
        let fixture = try await TestBackend.make(kind, "contract-lock")
        defer { fixture.cleanUp() }
        _ = try fixture.backend.createRun("locked", plan: plan, manifest: "{}")
        let lease = try fixture.backend.lockRun("locked")
        let error = #expect(throws: WorkflowError.self) { try fixture.backend.lockRun("locked") }
        #expect(error?.code == .runLocked)
        #expect(error?.message.contains("pid \(getpid())") == true, "\(error?.message ?? "")")
        let refused = #expect(throws: WorkflowError.self) { try fixture.backend.forceUnlockRun("locked") }
        #expect(refused?.code == .runLocked, "force-unlock refuses a live holder")
        lease.release()
        lease.release()
        try fixture.backend.lockRun("locked").release()
    }

    @Test(arguments: BackendKind.testable)
    func aRunnerFinishesARunAndItsExportImportsElsewhere(_ kind: BackendKind) async throws {
        let fixture = try await TestBackend.make(kind, "contract-export")
        defer { fixture.cleanUp() }
        let store = try fixture.backend.createRun("moved", plan: plan, manifest: #"{"m":1}"#)
        let lease = try fixture.backend.lockRun("moved")
        let runner = Runner(store: store, lock: lease)
        let outcome = try await runner.run(
            executor: ClosureExecutor { step, context in
                context.progress("working on \(step.id)")
                return ["id": step.id]
            })
        lease.release()
        #expect(outcome.status == .succeeded)

        let export = try store.export()
        #expect(export.steps.map(\.stepID) == ["a", "b", "c"])
        #expect(export.steps.allSatisfy { $0.state == .succeeded })
        #expect(export.events.contains { $0.kind == .stepProgress })
        let decoded = try RunExport.decode(try export.encoded(), source: "test")
        #expect(decoded.sameHistory(as: export))

        for target in BackendKind.testable {
            let other = try await TestBackend.make(target, "contract-import")
            defer { other.cleanUp() }
            #expect(try other.backend.importRunIfNew(decoded))
            let imported = try other.backend.openRun("moved")
            #expect(try imported.export().sameHistory(as: export), "\(kind) → \(target)")
            #expect(try imported.metadata().status == .succeeded)
            #expect(try !other.backend.importRunIfNew(decoded), "the same history again changes nothing")

            var diverged = decoded
            diverged.events.append(WorkflowEvent(kind: .runStarted, message: "elsewhere"))
            let error = #expect(throws: WorkflowError.self) { try other.backend.importRunIfNew(diverged) }
            #expect(error?.code == .runAlreadyExists)
            #expect(try imported.export().sameHistory(as: export), "a refused import changes nothing")
        }
    }

    @Test(arguments: BackendKind.testable)
    func aRunsOperationsTravelWithItsExportAndDocumentsStayBeside(_ kind: BackendKind) async throws {
        let fixture = try await TestBackend.make(kind, "contract-operations")
        defer { fixture.cleanUp() }
        _ = try fixture.backend.createRun("chain", plan: plan, manifest: #"{"op":"rollout"}"#)
        let key = fixture.backend.runKey("chain")
        for name in ["001-update", "002-teardown"] {
            _ = try fixture.backend.createRun(
                RunOperations.key(runKey: key, operation: name), plan: plan, manifest: #"{"op":"\#(name)"}"#)
        }
        // A document beside the run: created, replaced, read back; never part of the export.
        #expect(try fixture.backend.document("last.json", ofRun: key) == nil)
        try fixture.backend.setDocument("last.json", ofRun: key, Data(#"{"v":1}"#.utf8))
        try fixture.backend.setDocument("last.json", ofRun: key, Data(#"{"v":2}"#.utf8))
        #expect(try fixture.backend.document("last.json", ofRun: key) == Data(#"{"v":2}"#.utf8))

        let export = try RunExport.decode(try fixture.backend.exportRun("chain").encoded(), source: "test")
        #expect(export.operations?.map(\.name) == ["001-update", "002-teardown"])
        #expect(export.operations?.allSatisfy { $0.run.name == export.name } == true)
        #expect(!String(decoding: try export.encoded(), as: UTF8.self).contains(#"\"v\""#))

        for target in BackendKind.testable {
            let other = try await TestBackend.make(target, "contract-operations-import")
            defer { other.cleanUp() }
            #expect(try other.backend.importRunIfNew(export))
            let names = try other.backend.operationNames(ofRun: other.backend.runKey("chain")).sorted()
            #expect(names == ["001-update", "002-teardown"], "\(kind) → \(target)")
            let teardown = try other.backend.openRun(
                RunOperations.key(runKey: other.backend.runKey("chain"), operation: "002-teardown"))
            #expect(try teardown.metadata().manifest == #"{"op":"002-teardown"}"#)
            #expect(try other.backend.exportRun("chain").sameHistory(as: export), "\(kind) → \(target)")
            #expect(try !other.backend.importRunIfNew(export), "the same history again changes nothing")
            var diverged = export
            diverged.operations?.removeLast()
            let error = #expect(throws: WorkflowError.self) { try other.backend.importRunIfNew(diverged) }
            #expect(error?.code == .runAlreadyExists, "a run with other operations is refused")
        }
        // An operation written by a newer jumpchain is refused, naming it.
        var newer = export
        newer.operations?[0].run.schemaVersion = 99
        let tooNew = #expect(throws: WorkflowError.self) {
            try RunExport.decode(try newer.encoded(), source: "run.json")
        }
        #expect(tooNew?.code == .storeTooNew)
        #expect(tooNew?.message.contains("operation 001-update") == true, "\(tooNew?.message ?? "")")
    }

    @Test(arguments: BackendKind.testable)
    func removedRunIsGone(_ kind: BackendKind) async throws {
        let fixture = try await TestBackend.make(kind, "contract-remove")
        defer { fixture.cleanUp() }
        _ = try fixture.backend.createRun("gone", plan: plan, manifest: "{}")
        try fixture.backend.removeRun("gone")
        #expect(try !fixture.backend.runExists("gone"))
        _ = try fixture.backend.createRun("gone", plan: plan, manifest: "{}")
    }

    @Test func exportFromANewerJumpchainIsRefused() async throws {
        let json = #"{"format":"jumpchain-run","schemaVersion":99,"name":"x","whatever":"new"}"#
        let error = #expect(throws: WorkflowError.self) { try RunExport.decode(Data(json.utf8), source: "x.json") }
        #expect(error?.code == .storeTooNew)
        #expect(error?.message.contains("x.json") == true)
        let other = #expect(throws: WorkflowError.self) {
            try RunExport.decode(Data(#"{"hello":1}"#.utf8), source: "y.json")
        }
        #expect(other?.code == .storeCorrupt)
    }
}
