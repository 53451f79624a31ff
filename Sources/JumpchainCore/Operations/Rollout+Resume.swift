import Workflow

extension Rollout {
    /// Whether resuming an operation holds the rollout's lock (nothing may build while it runs).
    enum RolloutLockUse {
        case none
        /// The run root must exist and is locked.
        case required
        /// Locked when the run root exists (a teardown of a run whose state was lost has none).
        case ifPresent
    }

    /// Resumes (or reports, when finished: nothing is sent) a recorded operation of a run other than the
    /// rollout: its recorded plan runs with its recorded playbook in a fresh session, at this site
    /// (`--site`, checked against that playbook) or at every site. Update, teardown, cutover and failover
    /// share it; `body` runs the operation's executor.
    static func resumeRecorded(
        _ operation: OperationKind, run: String, root: String, entry: RunHistory.Entry, options: Options,
        rolloutLock: RolloutLockUse = .none,
        _ body: (_ store: any RunStateStore, _ plan: Plan, _ context: RolloutContext) async throws(JumpchainError)
            -> Report
    ) async throws(JumpchainError) -> Report {
        let store = try openStore(entry.directory, backend: options.backend)
        let metadata = try wrap { () throws(WorkflowError) in try store.metadata() }
        if metadata.status == .succeeded {
            var report = try report(
                store: store, directory: entry.directory, failed: [:], alreadyComplete: true, minted: [])
            report.operation = operation
            return report
        }
        let manifest = try RunManifest.decode(metadata.manifest, run: run)
        let playbook = manifest.playbook
        if let site = options.site { _ = try playbook.site(named: site) }
        let plan = try wrap { () throws(WorkflowError) in try store.plan() }
        if let site = options.site, !playbook.siteList.isEmpty, plan.steps.contains(where: { $0.site == nil }) {
            throw JumpchainError(
                .invalidInput,
                "resume \(run) --site \(site): this \(operation.rawValue) was started without --site, for one host "
                    + "that reaches every cluster (its steps have no site); resume it without --site from such a host")
        }
        let lock = try lockRollout(root, use: rolloutLock, playbook: playbook, options: options)
        defer { lock?.release() }
        return try await RunSession.with(
            playbook, runName: RunOperations.runName(ofKey: metadata.name), options: options
        ) { context throws(JumpchainError) in
            try await body(store, plan, context)
        }
    }

    /// The rollout's lock at this site (`--site`), or at every site, as `use` says; nil when not taken.
    static func lockRollout(
        _ root: String, use: RolloutLockUse, playbook: Playbook, options: Options
    ) throws(JumpchainError) -> (any RunLease)? {
        switch use {
        case .none: return nil
        case .ifPresent where (try? options.backend.runExists(root)) != true: return nil
        case .required, .ifPresent:
            let sites = playbook.siteList.map(\.name)
            let site = sites.isEmpty ? nil : options.site
            return try wrap { () throws(WorkflowError) in try options.backend.lockRun(root, site: site, sites: sites) }
        }
    }

    /// An operation of a multi-site run starts at the site of its plan's first step: at another site
    /// (`--site`) this waits for it to start (`--wait`; then returns the operation's entry, to resume) or stops
    /// with "another site's turn". Nil where this process may start it (its site's turn, or no `--site`).
    /// `command` (its words, e.g. `apply PATH`) starts it at that site and, stopped while waiting, goes on here;
    /// an operation recorded in `entries` (read before the wait) is an earlier one, not the one waited for.
    static func awaitStart(
        _ plan: Plan, of operation: OperationKind, run: String, command: String,
        after entries: [RunHistory.Entry] = [], options: Options
    ) async throws(JumpchainError) -> RunHistory.Entry? {
        guard let site = options.site, let first = plan.steps.first, let owner = first.site, owner != site else {
            return nil
        }
        let root = runDirectory(for: run, options: options)
        let known = Set(entries.map(\.directory))
        func started() throws(JumpchainError) -> RunHistory.Entry? {
            try RunHistory.entries(root: root, backend: options.backend).last.flatMap {
                $0.kind == operation && !known.contains($0.directory) ? $0 : nil
            }
        }
        let line =
            "waiting for site \(owner) to run step \(first.id): run \(run) has no unfinished \(operation.rawValue) "
            + "yet; site \(owner) starts it with \(Rollout.command(command, site: owner))"
        try await waitForStart(line, options: options, here: Rollout.command(command, site: site)) {
            () throws(JumpchainError) in try started() != nil
        }
        return try started()
    }
}

/// The recorded run that an operation on a built chain (cutover, failover) starts from: its history and its
/// rollout; then the chain as its operations left it.
struct RecordedRun {
    let run: String
    let root: String
    let entries: [RunHistory.Entry]
    let rollout: RunHistory.Entry

    /// Refuses a run with no recorded rollout (`runNotFound`).
    init(_ run: String, options: Rollout.Options) throws(JumpchainError) {
        self.run = run
        root = Rollout.runDirectory(for: run, options: options)
        entries = try RunHistory.entries(root: root, backend: options.backend)
        guard let rollout = entries.first(where: { $0.kind == .rollout }) else {
            throw JumpchainError(.runNotFound, "no run \(run) in \(options.backend.location(ofRun: root))")
        }
        self.rollout = rollout
    }

    /// The chain as its operations left it (the rollout's topics plus those updates added), and its topology plan.
    func chain(options: Rollout.Options) throws(JumpchainError) -> (ChainState, Plan) {
        let chain = try ChainState.required(entries, run: run, backend: options.backend, root: rollout.directory)
        return (chain, try chain.topologyPlan())
    }
}
