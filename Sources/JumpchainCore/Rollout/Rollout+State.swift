import Foundation
import Workflow

/// Reading a run's recorded state, and the one recovery path when it is lost or unusable: `apply --adopt`.
extension Rollout {
    /// What to type when a run's state is lost or unusable.
    static func recoveryAdvice(directory: String, playbook: String?) -> String {
        "to recover, run `jumpchain apply --adopt \(playbook ?? "PLAYBOOK")`: it sets the unusable store in "
            + "\(directory) aside, starts the run again and adopts the links and mirrors of this run that match the "
            + "playbook (a new link key replaces the old one, which is then revoked)"
    }

    /// Opens a run's store for writing (`resume`), mapping a lost or damaged store to a message that says how to
    /// recover.
    static func openStore(_ directory: String, run: String) throws(JumpchainError) -> RunStore {
        do {
            return try RunStore.open(directory: directory)
        } catch {
            throw storeError(error, run: run, directory: directory, playbook: nil)
        }
    }

    /// Opens a run's store without writing anything (`status`, `graph`, `verify`, `apply`'s check).
    static func openStoreReadOnly(
        _ directory: String, run: String, playbook: String? = nil
    ) throws(JumpchainError) -> RunStore {
        do {
            return try RunStore.openReadOnly(directory: directory)
        } catch {
            throw storeError(error, run: run, directory: directory, playbook: playbook)
        }
    }

    static func storeError(
        _ error: WorkflowError, run: String, directory: String, playbook: String?
    ) -> JumpchainError {
        if error.code == .storeCorrupt || (error.code == .runNotFound && RunStore.exists(directory: directory)) {
            return JumpchainError(
                .stateUnusable,
                "the state of run \(run) is unusable: \(error.message); "
                    + recoveryAdvice(directory: directory, playbook: playbook), cause: error)
        }
        if error.code == .runNotFound {
            return JumpchainError(.runNotFound, "no run \(run) in \(directory)", cause: error)
        }
        let code: JumpchainError.Code = error.code == .runLocked ? .runLocked : .runFailed
        return JumpchainError(code, error.message, cause: error)
    }

    /// `apply` over an existing run directory: a complete run is reported (nil when there is nothing usable and
    /// `--adopt` set it aside, so the run starts again); an unfinished one is refused.
    static func existingRun(
        _ playbook: Playbook, playbookPath: String, directory: String, options: Options
    ) throws(JumpchainError) -> Report? {
        let store: RunStore
        do {
            store = try openStoreReadOnly(directory, run: playbook.runName, playbook: playbookPath)
        } catch  where error.code == .stateUnusable && options.adopt {
            try setAsideStore(directory)
            return nil
        }
        let metadata = try wrap { () throws(WorkflowError) in try store.metadata() }
        if metadata.status == .succeeded {
            let recorded = try RunManifest.decode(metadata.manifest, run: playbook.runName)
            guard recorded.playbookHash == playbook.contentHash else {
                throw JumpchainError(
                    .invalidInput,
                    "run \(playbook.runName) in \(directory) is complete, but \(playbookPath) has changed since "
                        + "it ran; a finished run is never re-planned: give the changed playbook a new run_name, "
                        + "or revert the change")
            }
            return try report(store: store, directory: directory, failed: [:], alreadyComplete: true, minted: [])
        }
        throw JumpchainError(
            .runUnfinished,
            "run \(playbook.runName) in \(directory) is unfinished (\(metadata.status.rawValue)); finish it with "
                + "`jumpchain resume \(playbook.runName)`"
                + (options.adopt ? " (--adopt is only for a run whose state is lost or unusable)" : ""))
    }

    /// Renames an unusable store (and its -wal/-shm) to `state.sqlite.unusable-<time>`, keeping it for a look.
    static func setAsideStore(_ directory: String) throws(JumpchainError) {
        let store = RunDirectory.storePath(directory)
        let stamp = Int(Date().timeIntervalSince1970)
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: store + suffix) {
            do {
                try FileManager.default.moveItem(atPath: store + suffix, toPath: "\(store).unusable-\(stamp)\(suffix)")
            } catch {
                throw JumpchainError(
                    .runFailed, "cannot set the unusable store \(store)\(suffix) aside: \(error)", cause: error)
            }
        }
    }

    /// The plan with adoption switched on for its preflight (recorded, so a resume of it adopts too).
    static func adopting(_ plan: Plan) throws(JumpchainError) -> Plan {
        var steps = plan.steps
        for index in steps.indices where steps[index].id == RolloutStep.preflight {
            steps[index].parameters[RolloutExecutor.adoptParameter] = "true"
        }
        return try wrap { () throws(WorkflowError) in try Plan(steps: steps) }
    }
}
