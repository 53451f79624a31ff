import ConfluentAPI
import Foundation
import JumpchainHTTP
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
        /// Receives transport retry notices.
        public var notice: (@Sendable (String) -> Void)?
        /// Told the plan's size and how many steps are already done, just before the runner starts (for a
        /// progress view that shows done/total).
        public var onStart: (@Sendable (_ totalSteps: Int, _ alreadyDone: Int) -> Void)?
        /// Stop in an orderly way on SIGINT/SIGTERM (the CLI); off in tests.
        public var handleSignals: Bool

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
    }

    // MARK: Loading

    /// Loads and validates a playbook; every problem is reported as `file:line:column: …`.
    public static func loadPlaybook(
        _ path: String, environment: [String: String]
    ) throws(JumpchainError) -> (
        Playbook, [Diagnostic]
    ) {
        do {
            return try PlaybookLoader.load(path: path, environment: environment)
        } catch {
            let lines = error.diagnostics.isEmpty ? [error.message] : error.diagnostics.map(\.description)
            throw JumpchainError(.invalidInput, lines.joined(separator: "\n"), cause: error)
        }
    }

    /// Where a run lives, for messages: its run directory, or the database and run name.
    public static func runDirectory(for runName: String, options: Options) -> String {
        options.backend.location(ofRun: runName)
    }

    /// The origin topics the playbook selects: its names, plus pattern matches against the origin's topics.
    static func selectTopics(_ playbook: Playbook, origin: KafkaRESTClient) async throws(JumpchainError) -> [String] {
        let selection = playbook.topics
        guard !selection.patterns.isEmpty else { return selection.names }
        let existing: [String]
        do {
            existing = try await origin.listTopics().map(\.topicName).filter { !$0.hasPrefix("_") }
        } catch {
            throw JumpchainError(
                .preflightFailed, "listing the origin's topics to match topics.patterns failed: \(error)", cause: error)
        }
        do {
            let matched = try selection.matcher().select(from: existing)
            return Array(Set(selection.names + matched)).sorted()
        } catch {
            throw JumpchainError(.invalidInput, error.description, cause: error)
        }
    }

    /// The plan a playbook produces (read-only: at most lists the origin's topics for patterns).
    public static func plan(_ playbook: Playbook, options: Options) async throws(JumpchainError) -> Plan {
        let context = try makeContext(playbook, runName: playbook.runName, options: options)
        defer { context.credentials.wipe() }
        return try RolloutPlanner.plan(playbook, topics: try await selectTopics(playbook, origin: context.origin))
    }

    // MARK: Apply and resume

    /// Plans and runs a playbook. Refuses to start over an unfinished run of the same name; a finished run is
    /// reported as complete without sending anything anywhere.
    public static func apply(playbookPath: String, options: Options) async throws(JumpchainError) -> Report {
        let (playbook, _) = try loadPlaybook(playbookPath, environment: options.environment)
        let backend = options.backend
        let directory = runDirectory(for: playbook.runName, options: options)
        // A run whose creation was interrupted (a store without its run record) counts as absent: create it again.
        if try wrap({ () throws(WorkflowError) in try backend.runExists(playbook.runName) }),
            let store = try openCreatedStore(playbook.runName, backend: backend)
        {
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
                    + "`jumpchain resume \(playbook.runName)` (or remove \(directory) to start over)")
        }
        let context = try makeContext(playbook, runName: playbook.runName, options: options)
        defer { context.credentials.wipe() }
        let topics = try await selectTopics(playbook, origin: context.origin)
        let plan = try RolloutPlanner.plan(playbook, topics: topics)
        let manifest = try RunManifest(
            playbook: playbook, playbookHash: playbook.contentHash, jumpchainVersion: RunManifest.currentVersion
        ).encoded()
        let store = try wrap { () throws(WorkflowError) in
            try backend.createRun(playbook.runName, plan: plan, manifest: manifest)
        }
        let result = try await execute(
            run: playbook.runName, store: store, directory: directory, context: context, plan: plan, options: options)
        // A preflight failure changed nothing: leave no run behind, so a corrected playbook can be applied again.
        if result.status == .failed, result.states[RolloutStep.preflight]?.state == .failed {
            try? backend.removeRun(playbook.runName)
            throw JumpchainError(
                .preflightFailed,
                "preflight failed; nothing was changed:\n" + (result.failedSteps[RolloutStep.preflight] ?? ""))
        }
        return try check(result)
    }

    /// Resumes a run from its directory: executes the recorded plan with the recorded playbook.
    public static func resume(run: String, options: Options) async throws(JumpchainError) -> Report {
        let directory = runDirectory(for: run, options: options)
        let backend = options.backend
        guard try wrap({ () throws(WorkflowError) in try backend.runExists(run) }) else {
            throw JumpchainError(.runNotFound, "no run \(run) in \(directory)")
        }
        let store = try openStore(run, backend: backend)
        let metadata = try wrap { () throws(WorkflowError) in try store.metadata() }
        if metadata.status == .succeeded {
            return try report(store: store, directory: directory, failed: [:], alreadyComplete: true, minted: [])
        }
        let manifest = try RunManifest.decode(metadata.manifest, run: run)
        let plan = try wrap { () throws(WorkflowError) in try store.plan() }
        let context = try makeContext(manifest.playbook, runName: metadata.name, options: options)
        defer { context.credentials.wipe() }
        return try check(
            try await execute(
                run: run, store: store, directory: directory, context: context, plan: plan, options: options))
    }

    static func execute(
        run: String, store: any RunStateStore, directory: String, context: RolloutContext, plan: Plan,
        options: Options
    )
        async throws(JumpchainError) -> Report
    {
        let backend = options.backend
        let lock = try wrap { () throws(WorkflowError) in try backend.lockRun(run) }
        defer { lock.release() }
        let perCluster = context.playbook.concurrency.perCluster
        var configuration = RunnerConfiguration()
        configuration.defaultResourceLimit = perCluster
        configuration.handleSignals = options.handleSignals
        let done = ((try? store.stepStates()) ?? [:]).values.filter(\.isDone).count
        options.onStart?(plan.steps.count, done)
        let runner = Runner(store: store, lock: lock, configuration: configuration, observer: options.observer)
        let outcome: RunOutcome
        do {
            outcome = try await runner.run(executor: RolloutExecutor(context: context, plan: plan))
        } catch {
            await context.close()
            throw JumpchainError(.runFailed, error.description, cause: error)
        }
        // Whatever happened, the link secret does not outlive this process. A link key that no link half is
        // recorded as holding would be useless without its secret, so it is revoked now (a half that took it
        // unrecorded is re-pointed to a fresh key by `resume`); a key the halves hold stays with them.
        if let credential = runner.ephemeral.remove(RolloutStep.linkCredential) as? APICredential {
            let records = (try? store.stepRecords()) ?? [:]
            let holders = [RolloutStep.leg1Source, RolloutStep.leg2].compactMap { records[$0]?.outputs["key_id"] }
            if outcome.status != .succeeded, !holders.contains(credential.key) {
                try? await context.controlPlane.deleteAPIKey(credential.key)
                options.notice?(
                    "revoked link key \(credential.key): its secret is lost with this process and no link holds it")
            }
            credential.secret.wipe()
        }
        await context.close()
        return try report(
            store: store, directory: directory, failed: outcome.failedSteps, alreadyComplete: false,
            minted: await context.sessionKeyIDs())
    }

    static func check(_ report: Report) throws(JumpchainError) -> Report {
        switch report.status {
        case .succeeded: return report
        case .stopped:
            throw JumpchainError(
                .interrupted, "run \(report.runName) stopped; continue with `jumpchain resume \(report.runName)`")
        default:
            let failures = report.failedSteps.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)" }
            throw JumpchainError(
                .runFailed,
                "run \(report.runName) failed:\n\(failures.joined(separator: "\n"))\nfix the cause, then "
                    + "`jumpchain resume \(report.runName)`")
        }
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
            runName: metadata.name, directory: directory, status: metadata.status, states: records, plan: plan,
            failedSteps: failed, alreadyComplete: alreadyComplete, sessionKeysMinted: minted)
    }

    /// The run's store, or nil when its creation was interrupted before the run was recorded.
    static func openCreatedStore(
        _ run: String, backend: any RunStateBackend
    ) throws(JumpchainError) -> (any RunStateStore)? {
        do {
            return try backend.openRun(run)
        } catch  where error.code == .runNotFound {
            return nil
        } catch {
            throw JumpchainError(.runFailed, error.description, cause: error)
        }
    }

    static func openStore(_ run: String, backend: any RunStateBackend) throws(JumpchainError) -> any RunStateStore {
        try wrap { () throws(WorkflowError) in try backend.openRun(run) }
    }

    /// Maps engine errors onto jumpchain's codes (a held lock keeps its own code for its own exit status).
    static func wrap<T>(_ body: () throws(WorkflowError) -> T) throws(JumpchainError) -> T {
        do {
            return try body()
        } catch {
            let code: JumpchainError.Code =
                switch error.code {
                case .runLocked: .runLocked
                case .runNotFound: .runNotFound
                default: .runFailed
                }
            throw JumpchainError(code, error.description, cause: error)
        }
    }
}
