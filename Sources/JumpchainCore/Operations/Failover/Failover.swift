import ConfluentAPI
import Foundation
import JumpchainHTTP
public import Workflow

/// `jumpchain failover RUN`: disaster recovery, as a resumable operation of the run. Every target mirror is
/// failed over at once (no lag wait); the origin and the jump are each given a short timeout and reported
/// when they do not answer. Ends with a data-at-risk report saved in the run.
public enum Failover {
    public struct Request: Sendable {
        public var run: String
        /// How long each cluster is given to answer.
        public var clusterTimeout: Duration
        public var dryRun: Bool

        public init(run: String, clusterTimeout: Duration = .seconds(5), dryRun: Bool = false) {
            self.run = run
            self.clusterTimeout = clusterTimeout
            self.dryRun = dryRun
        }
    }

    public enum Outcome: Sendable {
        /// A dry run: the report a failover now would make; nothing changed.
        case previewed(FailoverReport, Plan, [String: [PreviewRequest]])
        case done(Rollout.Report)
    }

    public static func failover(_ request: Request, options: Rollout.Options) async throws(JumpchainError) -> Outcome {
        try await Interruption.operation("failover \(request.run)", options: options) {
            () async throws(JumpchainError) -> Outcome in
            try await failoverNow(request, options: options)
        }
    }

    static func failoverNow(_ request: Request, options: Rollout.Options) async throws(JumpchainError) -> Outcome {
        let recorded = try RecordedRun(request.run, options: options)
        let (root, entries) = (recorded.root, recorded.entries)
        let options = shortened(options, request.clusterTimeout)
        if let latest = entries.last, latest.kind == .failover, !request.dryRun {
            return .done(try await resume(run: request.run, root: root, entry: latest, options: options))
        }
        if let teardown = entries.last(where: { $0.kind == .teardown }) {
            throw JumpchainError(
                .invalidInput,
                "run \(request.run) was torn down (\(teardown.directory), \(teardown.status.rawValue)): there is no "
                    + "chain to fail over")
        }
        let (chain, rolloutPlan) = try recorded.chain(options: options)
        let playbook = chain.playbook
        // A multi-site failover starts at its first step's site (the target's).
        if !request.dryRun, options.site != nil, !playbook.siteList.isEmpty,
            let started = try await Rollout.awaitStart(
                try FailoverPlanner.plan(playbook, topics: [], root: ""), of: .failover, run: request.run,
                command: "failover \(request.run)", options: options)
        {
            return .done(try await resume(run: request.run, root: root, entry: started, options: options))
        }
        return try await RunSession.with(
            playbook, runName: playbook.runName, options: options, readOnly: request.dryRun
        ) { context throws(JumpchainError) in
            let canary = playbook.verify.canary ? playbook.verify.canaryTopic : nil
            // With `topics.auto_create`, the target's mirrors the links created themselves fail over too; a target
            // that does not answer within the cluster timeout leaves the recorded topics.
            let recorded = context.topology(for: rolloutPlan)
            let live = try? await RequestDeadline.within(request.clusterTimeout) {
                try await context.liveTopology(from: recorded, jump: nil)
            }
            let topics = (live ?? recorded).topics.filter { $0.origin != canary }
            let plan = try FailoverPlanner.plan(
                playbook, topics: topics, root: root)
            let executor = FailoverExecutor(
                context: context, clusterTimeout: request.clusterTimeout, backend: options.backend)
            if request.dryRun {
                let ends = (try? await executor.targetEnds(topics)) ?? [:]
                let report = await executor.assess(
                    topics: topics, targetEnds: ends, root: root,
                    failedOver: [], dryRun: true)
                var requests: [String: [PreviewRequest]] = [:]
                for step in plan.steps { requests[step.id] = FailoverExecutor.preview(step, playbook: playbook) }
                return .previewed(report, plan, requests)
            }
            let directory = RunHistory.newDirectory(root: root, kind: .failover, after: entries)
            let manifest = try RunManifest(
                operation: .failover, playbook: playbook, playbookHash: playbook.contentHash
            ).encoded()
            let store = try Rollout.wrap { () throws(WorkflowError) in
                try options.backend.createRun(directory, plan: plan, manifest: manifest)
            }
            return .done(
                try await run(
                    store: store, directory: directory, context: context, plan: plan, options: options,
                    clusterTimeout: request.clusterTimeout))
        }
    }

    /// Short per-request limits: an unreachable cluster is reported, never waited on.
    static func shortened(_ options: Rollout.Options, _ limit: Duration) -> Rollout.Options {
        var options = options
        options.timing.httpTimeout = min(options.timing.httpTimeout, limit)
        options.timing.httpAttempts = min(options.timing.httpAttempts, 2)
        options.timing.keyPropagationTimeout = min(options.timing.keyPropagationTimeout, limit * 2)
        return options
    }

    /// Resumes (or reports, when finished) a recorded failover.
    static func resume(
        run: String, root: String, entry: RunHistory.Entry, options: Rollout.Options
    ) async throws(JumpchainError) -> Rollout.Report {
        let options = shortened(options, .seconds(5))
        return try await Rollout.resumeRecorded(.failover, run: run, root: root, entry: entry, options: options) {
            store, plan, context throws(JumpchainError) in
            try await Failover.run(
                store: store, directory: entry.directory, context: context, plan: plan, options: options,
                clusterTimeout: options.timing.httpTimeout)
        }
    }

    static func run(
        store: any RunStateStore, directory: String, context: RolloutContext, plan: Plan, options: Rollout.Options,
        clusterTimeout: Duration
    ) async throws(JumpchainError) -> Rollout.Report {
        var report = try await Rollout.execute(
            store: store, directory: directory, context: context, plan: plan,
            executor: FailoverExecutor(context: context, clusterTimeout: clusterTimeout, backend: options.backend),
            options: options)
        report.operation = .failover
        return try Rollout.check(report)
    }
}
