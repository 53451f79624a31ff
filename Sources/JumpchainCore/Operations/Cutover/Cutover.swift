import ConfluentAPI
import Foundation
public import Workflow

/// `jumpchain cutover RUN`: the planned end of a migration, as a resumable operation of the run: preflight,
/// quiesce check, drain until every hop and every synced group agree, promote the target's mirrors, report.
/// The jump's mirrors and the links stay until `destroy`.
public enum Cutover {
    public struct Request: Sendable {
        public var run: String
        /// Seconds the origin must stay still; nil: `--no-quiet-check`.
        public var quietPeriod: Int?
        public var timeout: Int
        public var dryRun: Bool

        public init(run: String, quietPeriod: Int?, timeout: Int, dryRun: Bool = false) {
            self.run = run
            self.quietPeriod = quietPeriod
            self.timeout = timeout
            self.dryRun = dryRun
        }
    }

    /// What a dry run shows: the plan and every request it would send.
    public struct Preview: Sendable {
        public var runName: String
        public var plan: Plan
        public var requests: [String: [PreviewRequest]]
        /// Mirror states found now, one line each.
        public var found: [String]
    }

    public enum Outcome: Sendable {
        case previewed(Preview)
        case done(Rollout.Report)
    }

    public static func cutover(_ request: Request, options: Rollout.Options) async throws(JumpchainError) -> Outcome {
        try await Interruption.operation("cutover \(request.run)", options: options) {
            () async throws(JumpchainError) -> Outcome in
            try await cutoverNow(request, options: options)
        }
    }

    static func cutoverNow(_ request: Request, options: Rollout.Options) async throws(JumpchainError) -> Outcome {
        let recorded = try RecordedRun(request.run, options: options)
        let (root, entries) = (recorded.root, recorded.entries)
        if let later = entries.last(where: { $0.kind == .teardown || $0.kind == .failover }) {
            throw JumpchainError(
                .invalidInput,
                "run \(request.run) has a later \(later.kind.rawValue) (\(later.directory), \(later.status.rawValue)); "
                    + "a cutover needs a live chain")
        }
        if let latest = entries.last, latest.kind == .cutover, !request.dryRun,
            try !changedNothing(latest, options: options)
        {
            return .done(try await resume(run: request.run, root: root, entry: latest, options: options))
        }
        if let unfinished = entries.last(where: { $0.kind != .cutover && $0.status != .succeeded }) {
            throw JumpchainError(
                .runUnfinished,
                "run \(request.run)'s \(unfinished.kind.rawValue) is \(unfinished.status.rawValue); finish it with "
                    + "\(Rollout.resumeCommand(request.run, site: options.site)) before a cutover")
        }
        let (chain, rolloutPlan) = try recorded.chain(options: options)
        let playbook = chain.playbook
        let sited = options.site != nil && !playbook.siteList.isEmpty
        if sited {
            // A multi-site cutover starts at its first step's site (the target's).
            let skeleton = try CutoverPlanner.plan(
                playbook, scope: CutoverScope(topics: [], quietPeriod: request.quietPeriod, timeout: 0), sites: true)
            if !request.dryRun,
                let started = try await Rollout.awaitStart(
                    skeleton, of: .cutover, run: request.run, command: "cutover \(request.run)", options: options)
            {
                return .done(try await resume(run: request.run, root: root, entry: started, options: options))
            }
        }
        return try await RunSession.with(
            playbook, runName: playbook.runName, options: options, readOnly: request.dryRun
        ) { context throws(JumpchainError) in
            let canary = playbook.verify.canary ? playbook.verify.canaryTopic : nil
            // With `topics.auto_create`, the target's mirrors the links created themselves are promoted too.
            let topology: ChainTopology
            do {
                topology = try await context.liveTopology(for: rolloutPlan, jump: nil)
            } catch {
                throw JumpchainError(
                    .remote, "cutover \(request.run): listing the target's mirrors: \(error); nothing was changed",
                    cause: error)
            }
            let topics = topology.topics.filter { $0.origin != canary }
            let scope = CutoverScope(topics: topics, quietPeriod: request.quietPeriod, timeout: request.timeout)
            let plan = try CutoverPlanner.plan(playbook, scope: scope, sites: sited)
            if request.dryRun {
                var found: [String] = []
                for topic in topics {
                    let mirror = try? await context.target.mirror(
                        link: playbook.link.leg2Name, topic: topic.targetMirror)
                    found.append("target mirror \(topic.targetMirror): \(mirror?.mirrorStatus ?? "not found")")
                }
                if let latest = entries.last, latest.kind == .cutover {
                    found.append("a cutover is already recorded (\(latest.directory), \(latest.status.rawValue))")
                }
                var requests: [String: [PreviewRequest]] = [:]
                for step in plan.steps { requests[step.id] = CutoverExecutor.preview(step, playbook: playbook) }
                return .previewed(Preview(runName: playbook.runName, plan: plan, requests: requests, found: found))
            }
            let directory = RunHistory.newDirectory(root: root, kind: .cutover, after: entries)
            let manifest = try RunManifest(
                operation: .cutover, playbook: playbook, playbookHash: playbook.contentHash
            ).encoded()
            let store = try Rollout.wrap { () throws(WorkflowError) in
                try options.backend.createRun(directory, plan: plan, manifest: manifest)
            }
            return .done(
                try await run(store: store, directory: directory, context: context, plan: plan, options: options))
        }
    }

    /// Whether a recorded cutover stopped before its promotion ever started (refused by the preflight, the
    /// quiesce check or the drain, or killed before): it changed nothing, so a new cutover starts afresh with
    /// this invocation's flags instead of resuming the old one's.
    static func changedNothing(
        _ entry: RunHistory.Entry, options: Rollout.Options
    ) throws(JumpchainError) -> Bool {
        guard entry.status != .succeeded else { return false }
        // A live process holding it is still running it: resuming reports that (the run is locked).
        guard let lock = try? options.backend.lockRun(entry.directory) else { return false }
        defer { lock.release() }
        let store = try Rollout.openStore(entry.directory, backend: options.backend)
        // A multi-site cutover handed over to another site (not failed) goes on: its record of the origin's
        // groups is the other site's work.
        let plan = try Rollout.wrap { () throws(WorkflowError) in try store.plan() }
        if entry.status != .failed, plan.steps.contains(where: { $0.site != nil }) { return false }
        let states = try Rollout.wrap { () throws(WorkflowError) in try store.stepStates() }
        return (states[CutoverStep.Kind.promote.rawValue] ?? .pending) == .pending
    }

    /// Resumes (or reports, when finished: a second cutover is a no-op) a recorded cutover.
    static func resume(
        run: String, root: String, entry: RunHistory.Entry, options: Rollout.Options
    ) async throws(JumpchainError) -> Rollout.Report {
        try await Rollout.resumeRecorded(.cutover, run: run, root: root, entry: entry, options: options) {
            store, plan, context throws(JumpchainError) in
            try await Cutover.run(
                store: store, directory: entry.directory, context: context, plan: plan, options: options)
        }
    }

    static func run(
        store: any RunStateStore, directory: String, context: RolloutContext, plan: Plan, options: Rollout.Options
    ) async throws(JumpchainError) -> Rollout.Report {
        var report = try await Rollout.execute(
            store: store, directory: directory, context: context, plan: plan,
            executor: CutoverExecutor(context: context, pollInterval: options.timing.statePollInterval),
            options: options)
        report.operation = .cutover
        return try Rollout.check(report)
    }
}
