import ConfluentAPI
import Foundation
public import JumpchainHTTP
public import Workflow

/// The rollout's entry points for the CLI: plan, apply, resume, status. Each resolves secrets into memory,
/// runs against Confluent (or the simulator), and always revokes the jump session key before returning.
public enum Rollout {
    /// Settings shared by every command.
    public struct Options: Sendable {
        /// Where run directories live (`<stateDirectory>/<run-name>/`); default `./.jumpchain`.
        public var stateDirectory: String
        /// Where runs are kept when not in SQLite run directories (e.g. a shared PostgreSQL database).
        public var stateBackend: (any RunStateBackend)?
        /// The backend every command reads and writes runs through.
        public var backend: any RunStateBackend {
            stateBackend ?? SQLiteRunBackend(stateDirectory: stateDirectory)
        }
        /// The environment `${VAR}` and `env:` references read.
        public var environment: [String: String]
        /// Where `stdin` references read; nil reads standard input in the playbook's ``Playbook/stdinOrder``.
        public var stdin: StdinSecrets?
        public var timing: RolloutTiming
        /// Receives engine events (step started, waiting, retrying, ...).
        public var observer: (@Sendable (WorkflowEvent) -> Void)?
        /// Receives notices: one summary line per request that needed transport retries, revoked keys.
        public var notice: (@Sendable (String) -> Void)?
        /// Told about every HTTP attempt (`--verbose`): method, redacted URL, status, duration, attempt.
        public var requestLog: (@Sendable (RequestLogEntry) -> Void)?
        /// Receives every change of what the process's request pacer learnt of a cluster's rate limit (`--verbose`).
        public var pacingLog: (@Sendable (String) -> Void)?
        /// Told the plan's size and how many steps are already done, just before the runner starts (for a
        /// progress view that shows done/total).
        public var onStart: (@Sendable (_ totalSteps: Int, _ alreadyDone: Int) -> Void)?
        /// Stop in an orderly way on SIGINT/SIGTERM (the CLI); off in tests.
        public var handleSignals: Bool
        /// Accept `http://` endpoints on non-loopback hosts (`--allow-insecure-http`).
        public var allowInsecureHTTP = false
        /// `apply --adopt`: recover a run whose state was lost (see `RolloutExecutor+Adopt.swift`).
        public var adopt = false
        /// `--site NAME`: run only this site's steps of a multi-site run; nil runs every step here.
        public var site: String?
        /// `--wait`: when every step left is another site's, poll the store for that site's progress (until
        /// ``siteWaitTimeout``) instead of stopping with "another site's turn".
        public var waitForOtherSites = false
        /// How long `--wait` waits for other sites in all, in seconds.
        public var siteWaitTimeout: Double = 3600
        /// How often `--wait` looks at the store, in seconds.
        public var sitePollInterval: Double = 1

        public init(
            stateDirectory: String = ".jumpchain", environment: [String: String]? = nil,
            stdin: StdinSecrets? = nil, timing: RolloutTiming? = nil,
            observer: (@Sendable (WorkflowEvent) -> Void)? = nil, notice: (@Sendable (String) -> Void)? = nil,
            handleSignals: Bool = false
        ) {
            self.stateDirectory = stateDirectory
            let environment = environment ?? ProcessInfo.processInfo.environment
            self.environment = environment
            self.stdin = stdin
            self.timing = timing ?? RolloutTiming.fromEnvironment(environment)
            self.observer = observer
            self.notice = notice
            self.handleSignals = handleSignals
        }
    }

    /// What a finished (or stopped) apply/resume reports.
    public struct Report: Sendable {
        public var runName: String
        public var directory: String
        public var status: RunStatus
        public var states: [String: StepRecord]
        public var plan: Plan
        public var failedSteps: [String: String]
        /// True when the run was already complete and nothing was sent anywhere.
        public var alreadyComplete: Bool
        public var sessionKeysMinted: [String]
        /// Which operation this report is of (a rollout's apply or resume, a teardown, ...).
        public var operation: OperationKind = .rollout
        /// A teardown's end-state check, as printed ("the jump holds no key jumpchain minted ...").
        public var invariant: Invariant?
        /// Another site's steps this site waits for (a multi-site run stopped at a hand-off), in plan order.
        public var awaiting: [StepSpec] = []
        /// The site this report is of (`--site`), nil for a single-site run.
        public var site: String?
    }

    /// An end-state check printed after an operation, like the rollout's one-key invariant.
    public struct Invariant: Sendable {
        public var holds: Bool
        public var line: String
    }

    // MARK: Loading

    /// Loads and validates a playbook; every problem is reported as `file:line:column: …`.
    public static func loadPlaybook(
        _ path: String, environment: [String: String], allowInsecureHTTP: Bool = false
    ) throws(JumpchainError) -> (
        Playbook, [Diagnostic]
    ) {
        do {
            return try PlaybookLoader.load(
                path: path, environment: environment, allowInsecureHTTP: allowInsecureHTTP)
        } catch {
            let lines = error.diagnostics.isEmpty ? [error.message] : error.diagnostics.map(\.description)
            throw JumpchainError(.invalidInput, lines.joined(separator: "\n"), cause: error)
        }
    }

    /// The key a run is kept under in the selected backend: its run directory (SQLite), or its name (PostgreSQL).
    /// Messages name ``location(of:options:)`` instead.
    public static func runDirectory(for runName: String, options: Options) -> String {
        options.backend.runKey(runName)
    }

    /// Where a run lives, for messages: its run directory, or the database and run name.
    public static func location(of runName: String, options: Options) -> String {
        options.backend.location(ofRun: runName)
    }

    /// The origin topics the playbook selects (names plus pattern matches). An empty selection is not refused
    /// here: the rollout refuses it (``requireTopics(_:_:)``), an update or a teardown may have none left.
    static func selectTopics(_ playbook: Playbook, origin: KafkaRESTClient) async throws(JumpchainError) -> [String] {
        try await resolveTopics(playbook, origin: origin).topics
    }

    /// The plan a playbook produces (read-only: at most lists the origin's topics for patterns).
    public static func plan(_ playbook: Playbook, options: Options) async throws(JumpchainError) -> Plan {
        try await preview(playbook, validate: false, options: options).plan
    }

    // MARK: Apply and resume

    /// Plans and runs a playbook. Refuses to start over an unfinished run of the same name; a finished run is
    /// reported as complete without sending anything anywhere.
    public static func apply(
        playbookPath: String, prune: Bool = false, options: Options
    ) async throws(JumpchainError) -> Report {
        // The hint names the run: read from the playbook here too (a playbook that does not load stops before
        // anything starts, and then re-running the same apply is the way on).
        let run = try? loadPlaybook(
            playbookPath, environment: options.environment, allowInsecureHTTP: options.allowInsecureHTTP
        ).0.runName
        let next =
            run.map { resumeCommand($0, site: options.site) } ?? command("apply \(playbookPath)", site: options.site)
        return try await Interruption.run(
            enabled: options.handleSignals, hint: "if the run had started, continue it with \(next)"
        ) { () async throws(JumpchainError) -> Report in
            try await applyNow(playbookPath: playbookPath, prune: prune, options: options)
        }
    }

    static func applyNow(playbookPath: String, prune: Bool, options: Options) async throws(JumpchainError) -> Report {
        let (playbook, _) = try loadPlaybook(
            playbookPath, environment: options.environment, allowInsecureHTTP: options.allowInsecureHTTP)
        let backend = options.backend
        let directory = runDirectory(for: playbook.runName, options: options)
        let site = try options.site.map { name throws(JumpchainError) in try playbook.site(named: name).name }
        try await awaitRunStart(
            playbook, playbookPath: playbookPath, site: site, directory: directory, options: options)
        // The lock first: a second apply of the same run while one runs is told so (75), whatever phase the
        // first one is in, and two applies can never both create the run.
        let existed = backend.lockCreatesRunKey ? FileManager.default.fileExists(atPath: directory) : true
        let lock = try wrap { () throws(WorkflowError) in
            try backend.lockRun(directory, site: site, sites: playbook.siteList.map(\.name))
        }
        // Released last, after any removal below: a second apply in between is told the run is locked (75), never
        // shown a run about to be removed (nor a directory it would then lose).
        defer { lock.release() }
        do {
            if try wrap({ () throws(WorkflowError) in try backend.runExists(directory) }),
                let existing = try await existingRun(
                    playbook, playbookPath: playbookPath, directory: directory, prune: prune, lock: lock,
                    options: options)
            {
                return existing
            }
            return try await startRollout(playbook, directory: directory, lock: lock, options: options)
        } catch {
            // Stopped before the run was created: leave no directory behind that was not there before. A refused run
            // was removed already (``removingRefused(_:_:)``), its lock file with it: removing it again could take
            // what another apply, locking it afresh meanwhile, created.
            if !existed, !(error.cause is Refused), !RunStore.exists(directory: directory) {
                try? backend.removeRun(directory)
            }
            throw error
        }
    }

    /// Runs `session` (a ``RunSession``, closed when it returns) and, when its preflight refused the run or operation
    /// it created (``Refused``), removes that run — after the session closed, and before the caller releases the lock
    /// it holds: no other process acts on the run while it is being removed. That is all the lock guarantees: with
    /// SQLite, removing a refused first run takes the lock file with it, so another apply may lock the run afresh
    /// (and start over) before this one releases its lock; and a multi-site run holds only its site's lock(s), so
    /// the removal leaves a lock file another process holds (``RunDirectory/removeEngineFiles(_:)``; README, "The
    /// lock"). Nothing else removes the run (`applyNow` skips a ``Refused`` cause), so it is removed once.
    static func removingRefused<T>(
        _ backend: any RunStateBackend, _ session: () async throws(JumpchainError) -> T
    ) async throws(JumpchainError) -> T {
        do {
            return try await session()
        } catch {
            if let refused = error.cause as? Refused { try? backend.removeRun(refused.directory) }
            throw error
        }
    }

    /// The cause of the ``JumpchainError/Code/preflightFailed`` of a run, or of an update operation of one, that
    /// its preflight refused: it changed nothing, and `apply` removes it (so that a corrected playbook can be
    /// applied again; ``removingRefused(_:_:)``, under the run's lock) once the session it ran in has closed — its
    /// key revoked, and its sweep of keys other sessions left done while their leases, which live in the run, still
    /// tell the live ones apart (a removed run counts every session as dead).
    struct Refused: Error {
        /// The run's (operation's) key in the backend.
        var directory: String
    }

    /// Creates and runs the rollout of `playbook` under `lock` (the caller's: it releases it after this returns, a
    /// refused run removed by then).
    static func startRollout(
        _ playbook: Playbook, directory: String, lock: any RunLease, options: Options
    ) async throws(JumpchainError) -> Report {
        try await removingRefused(options.backend) { () async throws(JumpchainError) -> Report in
            try await rolloutSession(playbook, directory: directory, lock: lock, options: options)
        }
    }

    /// ``startRollout(_:directory:lock:options:)``'s session.
    private static func rolloutSession(
        _ playbook: Playbook, directory: String, lock: any RunLease, options: Options
    ) async throws(JumpchainError) -> Report {
        try await RunSession.with(playbook, runName: playbook.runName, options: options) {
            context throws(JumpchainError) in
            let resolution = try await resolveTopics(playbook, origin: context.origin)
            try requireTopics(resolution, playbook)
            var plan = try RolloutPlanner.plan(playbook, topics: resolution.topics)
            if options.adopt { plan = try adopting(plan) }
            let manifest = try RunManifest(
                operation: .rollout, playbook: playbook, playbookHash: playbook.contentHash
            ).encoded()
            let store = try wrap { () throws(WorkflowError) in
                try options.backend.createRun(directory, plan: plan, manifest: manifest)
            }
            let result = try await execute(
                store: store, directory: directory, context: context, plan: plan,
                executor: RolloutExecutor(context: context, plan: plan), options: options, lock: lock)
            // A preflight failure changed nothing: no run is left behind (``Refused``, removed by `startRollout`).
            if result.status == .failed, result.states[RolloutStep.preflight]?.state == .failed {
                throw JumpchainError(
                    .preflightFailed,
                    "preflight failed; nothing was changed:\n" + (result.failedSteps[RolloutStep.preflight] ?? ""),
                    cause: Refused(directory: directory))
            }
            return try check(result)
        }
    }

    /// Resumes a run's latest operation from its directory: executes the recorded plan with the recorded
    /// playbook, routed by the operation kind its manifest records.
    public static func resume(run: String, options: Options) async throws(JumpchainError) -> Report {
        try await Interruption.operation("resume \(run)", options: options) {
            () async throws(JumpchainError) -> Report in
            try await resumeNow(run: run, options: options)
        }
    }

    static func resumeNow(run: String, options: Options) async throws(JumpchainError) -> Report {
        let root = runDirectory(for: run, options: options)
        guard let latest = try RunHistory.entries(root: root, backend: options.backend).last else {
            throw JumpchainError(.runNotFound, "no run \(run) in \(options.backend.location(ofRun: run))")
        }
        if let site = options.site,
            let awaited = AwaitedUpdate.pending(root: root, site: site, latest: latest, backend: options.backend)
        {
            throw awaited.waiting
        }
        switch latest.kind {
        case .rollout: return try await resumeRollout(run: run, directory: latest.directory, options: options)
        case .update: return try await Update.resume(run: run, root: root, entry: latest, options: options)
        case .teardown: return try await Teardown.resume(run: run, root: root, entry: latest, options: options)
        case .cutover: return try await Cutover.resume(run: run, root: root, entry: latest, options: options)
        case .failover: return try await Failover.resume(run: run, root: root, entry: latest, options: options)
        }
    }

    static func resumeRollout(
        run: String, directory: String, options: Options, lock: (any RunLease)? = nil
    ) async throws(JumpchainError) -> Report {
        let store = try openStore(directory, run: run, backend: options.backend)
        let metadata = try wrap { () throws(WorkflowError) in try store.metadata() }
        if metadata.status == .succeeded {
            return try report(store: store, directory: directory, failed: [:], alreadyComplete: true, minted: [])
        }
        let manifest = try RunManifest.decode(metadata.manifest, run: run)
        if let site = options.site { _ = try manifest.playbook.site(named: site) }
        let plan = try wrap { () throws(WorkflowError) in try store.plan() }
        return try await RunSession.with(manifest.playbook, runName: metadata.name, options: options) {
            context throws(JumpchainError) in
            try check(
                try await execute(
                    store: store, directory: directory, context: context, plan: plan,
                    executor: RolloutExecutor(context: context, plan: plan), options: options, lock: lock))
        }
    }

    /// Runs `executor` over the recorded plan under the run's lock: `held`, when the caller took it already (and
    /// releases it), else taken here and released on return. The session key is revoked before the run is recorded
    /// as succeeded; the caller's ``RunSession`` closes the context again on every exit path.
    static func execute(
        store: any RunStateStore, directory: String, context: RolloutContext, plan: Plan,
        executor: some StepExecutor, options: Options, lock held: (any RunLease)? = nil
    )
        async throws(JumpchainError) -> Report
    {
        let lock: any RunLease
        let sites = context.playbook.siteList.map(\.name)
        if let held {
            lock = held
        } else {
            lock = try wrap { () throws(WorkflowError) in
                try options.backend.lockRun(directory, site: options.site, sites: sites)
            }
        }
        defer { if held == nil { lock.release() } }
        let perCluster = context.playbook.concurrency.perCluster
        var configuration = RunnerConfiguration()
        configuration.defaultResourceLimit = perCluster
        // Each cluster has its own budget: a global cap of per_cluster let the jump's mirrors hold every slot,
        // so the target's could not start until the jump's were all done (the hops did not overlap).
        configuration.maxConcurrency = perCluster * 3
        // SIGINT/SIGTERM are handled around the whole command (``Interruption``): they cancel this task, and the
        // runner records an orderly stop when its caller is cancelled.
        configuration.handleSignals = false
        // The session key is revoked (with any a killed process of this run left) before the run is recorded as
        // succeeded: a kill in between leaves the run unfinished, and the next `resume` sweeps them instead of
        // reporting an already complete run while keys stay alive on the jump.
        // A session key that could not be revoked keeps the run unfinished (recorded failed, naming the key):
        // `resume` sweeps it and then records the run as succeeded.
        let runName = RunOperations.runName(ofKey: store.runName)
        let next = resumeCommand(runName, site: sites.isEmpty ? nil : options.site)
        configuration.beforeSuccess = {
            let left = await context.close()
            return left.isEmpty ? nil : RunSession.unrevoked(left, run: runName, next: next).message
        }
        if !sites.isEmpty { configuration.site = options.site }
        let done = ((try? store.stepStates()) ?? [:]).values.filter(\.isDone).count
        options.onStart?(plan.steps.count, done)
        let ephemeral = EphemeralStore()
        var outcome: RunOutcome
        var waitFailure: JumpchainError?
        while true {
            let before = foreignStates(store, plan: plan, configuration: configuration)
            let runner = Runner(
                store: store, lock: lock, configuration: configuration, ephemeral: ephemeral,
                observer: options.observer)
            do {
                outcome = try await runner.run(executor: executor)
            } catch {
                throw JumpchainError(.runFailed, error.message, cause: error)
            }
            guard !outcome.awaiting.isEmpty else { break }
            // Another site moved on while this one ran: look again at once.
            if foreignStates(store, plan: plan, configuration: configuration) != before { continue }
            guard options.waitForOtherSites else { break }
            do throws(JumpchainError) {
                try await waitForOtherSites(
                    outcome.awaiting, store: store, plan: plan, configuration: configuration, since: before,
                    options: options)
            } catch {
                waitFailure = error
                break
            }
        }
        // Whatever happened, the link secrets do not outlive this process. A link key (the jump's, per leg in a
        // multi-site run, or the origin link key) that no link half is recorded as holding would be useless
        // without its secret, so it is revoked now (a half that took it unrecorded is re-pointed to a fresh key by
        // `resume`); a key the halves hold stays with them.
        let records = (try? store.stepRecords()) ?? [:]
        let jumpHolders = { (steps: [String]) in steps.compactMap { records[$0]?.outputs["key_id"] } }
        let originHolders = [records[RolloutStep.leg1Source]?.outputs["local_key_id"]].compactMap { $0 }
        // Link keys the preflight minted before it refused the run are revoked like the session key, unsaid once
        // revoked: the refusal says nothing was changed. One that stays live is named and keeps the run (below).
        let refused = records[RolloutStep.preflight].map { $0.state == .failed } ?? false
        var unrevoked: [String: String] = [:]
        var kinds: [String: String] = [:]
        for (name, holders, what) in [
            (RolloutStep.linkCredential, jumpHolders([RolloutStep.leg1Source, RolloutStep.leg2]), "link key"),
            (RolloutStep.credentialName(leg: "leg1"), jumpHolders([RolloutStep.leg1Source]), "leg 1 link key"),
            (RolloutStep.credentialName(leg: "leg2"), jumpHolders([RolloutStep.leg2]), "leg 2 link key"),
            (RolloutStep.originLinkCredential, originHolders, "origin link key"),
        ] {
            guard let credential = ephemeral.remove(name) as? APICredential else { continue }
            if outcome.status != .succeeded, !holders.contains(credential.key) {
                let controlPlane = context.controlPlane
                let keyID = credential.key
                let failure = await Interruption.shielded { await JumpSession.revoke(keyID, through: controlPlane) }
                if let failure {
                    unrevoked[keyID] = failure
                    kinds[keyID] = what
                } else if !refused {
                    options.notice?(
                        "revoked \(what) \(credential.key): its secret is lost with this process and no link holds it")
                }
            }
            credential.secret.wipe()
        }
        if !unrevoked.isEmpty {
            // Live, useless without its secret: the run stays (a refused preflight's too), and `resume` revokes
            // it (the preflight's re-run, or `finalize-link-key`, revokes this run's other link keys).
            let failures = outcome.failedSteps.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)" }
            let left = RunSession.unrevoked(
                unrevoked, kinds: kinds, run: runName, next: "`jumpchain resume \(runName)`")
            let failed = failures.isEmpty ? "" : "run \(runName) failed:\n\(failures.joined(separator: "\n"))\n"
            throw JumpchainError(.runUnfinished, failed + left.message)
        }
        if executor is RolloutExecutor {
            recordOriginOffsets(store: store, plan: plan, context: context, options: options)
        }
        var report = try report(
            store: store, directory: directory, failed: outcome.failedSteps, alreadyComplete: false,
            minted: await context.sessionKeyIDs())
        report.awaiting = outcome.awaiting
        report.site = configuration.site
        if !sites.isEmpty, executor is RolloutExecutor {
            report.invariant = await siteInvariant(context, store: store, plan: plan, site: configuration.site)
        }
        if let waitFailure {
            if let line = report.invariant?.line { options.notice?(line) }
            throw waitFailure
        }
        if let unfinished = outcome.unfinished { throw JumpchainError(.runUnfinished, unfinished) }
        return report
    }

    /// A multi-site rollout's cross-site verification: the origin ends its origin's site read in `verify:origin`
    /// become the run's `last-origin-offsets` (offsets and time only), which `failover` falls back on when the
    /// origin is gone, as a `verify` or `status` would have recorded them (a later record is kept).
    static func recordOriginOffsets(
        store: any RunStateStore, plan: Plan, context: RolloutContext, options: Options
    ) {
        let id = RolloutStep.perSide(RolloutStep.verify, .origin)
        guard plan[id] != nil, let step = try? store.stepRecords()[id], step.state == .succeeded,
            let text = step.outputs[SiteObservation.outputKey],
            let observation = try? SiteObservation.decode(text, step: id),
            let record = OriginOffsetRecord.from(
                observation, topology: SiteVerification.topology(context.topology(for: plan), covering: observation))
        else { return }
        let run = RunOperations.runName(ofKey: store.runName)
        OriginOffsetRecord.save(record, root: runDirectory(for: run, options: options), backend: options.backend)
    }

    static func check(_ report: Report) throws(JumpchainError) -> Report {
        if !report.awaiting.isEmpty { throw otherSitesTurn(report) }
        switch report.status {
        case .succeeded: return report
        case .stopped:
            throw JumpchainError(
                .interrupted,
                "run \(report.runName) stopped; continue with \(resumeCommand(report.runName, site: report.site))")
        default:
            let failures = report.failedSteps.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)" }
            throw JumpchainError(
                .runFailed,
                "run \(report.runName) failed:\n\(failures.joined(separator: "\n"))\nfix the cause, then "
                    + resumeCommand(report.runName, site: report.site))
        }
    }

    /// "`jumpchain resume RUN`", with the `--site` of a multi-site run's site: the command that continues it here.
    static func resumeCommand(_ run: String, site: String?) -> String { command("resume \(run)", site: site) }

    /// "`jumpchain WORDS`", plus `--site SITE` when this process runs one site of a multi-site run: the one form of
    /// every command a hint (interruption, failure, another site's turn) tells the operator to run.
    static func command(_ words: String, site: String?) -> String {
        "`jumpchain \(words)\(site.map { " --site \($0)" } ?? "")`"
    }

    static func report(
        store: any RunStateStore, directory: String, failed: [String: String], alreadyComplete: Bool,
        minted: [String]
    )
        throws(JumpchainError) -> Report
    {
        let metadata = try wrap { () throws(WorkflowError) in try store.metadata() }
        let records = try wrap { () throws(WorkflowError) in try store.stepRecords() }
        let plan = try wrap { () throws(WorkflowError) in try store.plan() }
        return Report(
            runName: RunOperations.runName(ofKey: metadata.name), directory: store.location, status: metadata.status,
            states: records, plan: plan,
            failedSteps: failed, alreadyComplete: alreadyComplete, sessionKeysMinted: minted)
    }

    /// Maps engine errors onto jumpchain's codes (a held lock keeps its own code for its own exit status). The
    /// message is the engine's own, without its internal code.
    static func wrap<T>(_ body: () throws(WorkflowError) -> T) throws(JumpchainError) -> T {
        do {
            return try body()
        } catch {
            let code: JumpchainError.Code =
                switch error.code {
                case .runLocked: .runLocked
                case .runNotFound: .runNotFound
                case .insecurePermissions: .invalidInput
                default: .runFailed
                }
            throw JumpchainError(code, error.message, cause: error)
        }
    }
}
