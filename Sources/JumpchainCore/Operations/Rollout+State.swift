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
    /// recover. `directory` is the operation's key in `backend` (for SQLite, its run directory).
    static func openStore(
        _ directory: String, run: String? = nil, backend: any RunStateBackend
    ) throws(JumpchainError) -> any RunStateStore {
        do {
            return try backend.openRun(directory)
        } catch {
            throw storeError(
                error, run: run ?? (directory as NSString).lastPathComponent,
                directory: directory, playbook: nil, backend: backend)
        }
    }

    /// Opens a run's store without writing anything (`status`, `graph`, `verify`, `apply`'s check).
    static func openStoreReadOnly(
        _ directory: String, run: String, playbook: String? = nil, backend: any RunStateBackend
    ) throws(JumpchainError) -> any RunStateStore {
        do {
            return try backend.openRunReadOnly(directory)
        } catch {
            throw storeError(error, run: run, directory: directory, playbook: playbook, backend: backend)
        }
    }

    static func storeError(
        _ error: WorkflowError, run: String, directory: String, playbook: String?, backend: any RunStateBackend
    ) -> JumpchainError {
        let location = backend.location(ofRun: directory)
        if error.code == .storeCorrupt
            || (error.code == .runNotFound && backend is SQLiteRunBackend && RunStore.exists(directory: directory))
        {
            return JumpchainError(
                .stateUnusable,
                "the state of run \(run) is unusable: \(error.message); "
                    + recoveryAdvice(directory: location, playbook: playbook), cause: error)
        }
        if error.code == .runNotFound {
            return JumpchainError(.runNotFound, "no run \(run) in \(location)", cause: error)
        }
        let code: JumpchainError.Code =
            switch error.code {
            case .runLocked: .runLocked
            case .insecurePermissions: .invalidInput
            default: .runFailed
            }
        return JumpchainError(code, error.message, cause: error)
    }

    /// `apply` over an existing run directory, under the run's `lock`: a complete chain with the same playbook is
    /// reported; a changed playbook runs the difference as an update of the same run (the lock is handed over);
    /// an unfinished operation or a torn-down chain is refused. Nil when the state is unusable and `--adopt` set it
    /// aside, so the run starts again.
    static func existingRun(
        _ playbook: Playbook, playbookPath: String, directory: String, prune: Bool, lock: any RunLease,
        options: Options
    ) async throws(JumpchainError) -> Report? {
        let backend = options.backend
        do {
            _ = try openStoreReadOnly(directory, run: playbook.runName, playbook: playbookPath, backend: backend)
        } catch  where error.code == .stateUnusable && options.adopt {
            try setAsideStore(directory, backend: backend)
            return nil
        }
        let entries = try RunHistory.entries(root: directory, backend: backend)
        if let teardown = entries.last(where: { $0.kind == .teardown }) {
            throw JumpchainError(
                .invalidInput,
                "run \(playbook.runName) in \(directory) was torn down (\(teardown.directory), "
                    + "\(teardown.status.rawValue)); apply does not build over it: remove \(directory) to build "
                    + "the chain again")
        }
        // A multi-site rollout started at another site: this site's `apply --site` continues it.
        if options.site != nil, let last = entries.last, last.kind == .rollout, last.status != .succeeded {
            return try await resumeRollout(
                run: playbook.runName, directory: last.directory, options: options, lock: lock)
        }
        // A multi-site update planned at another site: this site's `apply --site` runs its steps.
        if options.site != nil, let last = entries.last, last.kind == .update, last.status != .succeeded {
            lock.release()
            return try await Update.continuing(
                playbook, path: playbookPath, root: directory, entry: last, options: options)
        }
        if let unfinished = entries.last(where: { $0.status != .succeeded }) {
            throw JumpchainError(
                .runUnfinished,
                "run \(playbook.runName) in \(directory) has an unfinished \(unfinished.kind.rawValue) "
                    + "(\(unfinished.status.rawValue)); finish it with "
                    + resumeCommand(playbook.runName, site: options.site)
                    + (options.adopt
                        ? " (--adopt is only for a run whose state is lost or unusable)"
                        : " (or remove \(directory) to start over)"))
        }
        let chain = try ChainState.required(entries, run: playbook.runName, backend: backend, root: directory)
        if chain.playbookHash == playbook.contentHash, !prune, let last = entries.last {
            lock.release()
            let store = try openStoreReadOnly(last.directory, run: playbook.runName, backend: backend)
            var report = try report(
                store: store, directory: last.directory, failed: [:], alreadyComplete: true, minted: [])
            report.operation = last.kind
            return report
        }
        // A finished chain and a changed playbook: the difference runs as an update of the same run, which takes
        // the run's lock itself.
        lock.release()
        return try await Update.apply(
            playbook, path: playbookPath, root: directory, entries: entries, chain: chain, prune: prune,
            options: options)
    }

    /// Renames an unusable store (and its -wal/-shm) to `state.sqlite.unusable-<time>`, keeping it for a look.
    /// Another backend has no file to set aside: its unusable run is refused with what to do.
    static func setAsideStore(_ directory: String, backend: any RunStateBackend) throws(JumpchainError) {
        guard backend is SQLiteRunBackend else {
            throw JumpchainError(
                .stateUnusable,
                "the unusable run in \(backend.location(ofRun: directory)) cannot be set aside automatically: "
                    + "export what is left with `jumpchain state export`, remove the run from the database, then "
                    + "apply --adopt again")
        }
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
