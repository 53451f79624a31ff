import ConfluentAPI
import Foundation
import JumpchainHTTP
public import Workflow

extension Rollout {
    /// A run's recorded step states plus, when read live, the chain's verification report (links, mirrors,
    /// per-hop lag, diagnoses).
    public struct Status: Sendable {
        public var runName: String
        public var directory: String
        public var runStatus: RunStatus
        public var plan: Plan
        public var states: [String: StepRecord]
        public var report: VerificationReport?
        /// Synced consumer groups on each hop (live, when the playbook turns offset sync on).
        public var groups: GroupOffsetReport?
        public var liveError: String?
        public var sessionKeysMinted: [String]
        /// The run's later operations (a teardown, ...), oldest first, each with its own plan and step states.
        public var operations: [OperationStatus] = []
        /// Whether the live view read the jump (through a session key); false for a key-free status.
        public var jumpInspected = false
        /// Topics (origin names) whose mirrors the links created themselves (`topics.auto_create`): in the live
        /// report, not in the recorded plans.
        public var autoCreated: [String] = []
        /// With `--site` at a site that does not reach every private cluster: what it could not read, and where
        /// that is read.
        public var notRead: [String] = []
        /// With `--site` at such a site: the verdict on what was read there, and where the rest is read.
        public var siteVerdict: String?
        /// With `--site` at such a site: whether what was read passed; nil when nothing was judged there.
        public var sitePassed: Bool?
    }

    /// One later operation of a run, as `status` and `graph` show it.
    public struct OperationStatus: Sendable {
        public var kind: OperationKind
        public var directory: String
        public var runStatus: RunStatus
        public var plan: Plan
        public var states: [String: StepRecord]
    }

    /// Step states from the run directory and, with `live`, one observation of the chain from Confluent:
    /// key-free by default (origin and target only; the jump is reported as not observed), or with
    /// `inspectJump` through a jump session key that is revoked before this returns.
    /// A run's first operation is its `status` proper; later ones are listed in ``Status/operations``.
    public static func status(
        run: String, live: Bool, inspectJump: Bool = false, options: Options
    ) async throws(JumpchainError) -> Status {
        try await Interruption.run(
            enabled: options.handleSignals && live, hint: "the session key it minted was revoked"
        ) { () async throws(JumpchainError) -> Status in
            try await statusNow(run: run, live: live, inspectJump: inspectJump, options: options)
        }
    }

    static func statusNow(
        run: String, live: Bool, inspectJump: Bool, options: Options
    ) async throws(JumpchainError) -> Status {
        let root = runDirectory(for: run, options: options)
        let backend = options.backend
        var entries = try RunHistory.entries(root: root, backend: backend)
        guard !entries.isEmpty else {
            throw JumpchainError(.runNotFound, "no run \(run) in \(location(of: run, options: options))")
        }
        let first = entries.removeFirst()
        let (store, directory, metadata, manifest) = try openRun(first.directory, run: run, backend: backend)
        let plan = try wrap { () throws(WorkflowError) in try store.plan() }
        let states = try wrap { () throws(WorkflowError) in try store.stepRecords() }
        var status = Status(
            runName: RunOperations.runName(ofKey: metadata.name), directory: directory, runStatus: metadata.status,
            plan: plan, states: states,
            report: nil, liveError: nil, sessionKeysMinted: [])
        for entry in entries {
            let store = try openStoreReadOnly(entry.directory, run: run, backend: backend)
            status.operations.append(
                OperationStatus(
                    kind: entry.kind, directory: entry.directory, runStatus: entry.status,
                    plan: try wrap { () throws(WorkflowError) in try store.plan() },
                    states: try wrap { () throws(WorkflowError) in try store.stepRecords() }))
        }
        // `--site` names a site of the playbook, offline too.
        if !live, options.site != nil, manifest.operation == .rollout,
            let chain = (try? ChainState.load([first] + entries, run: run, backend: backend)) ?? nil
        {
            _ = try commandSite(chain.playbook, options: options)
        }
        // A torn-down chain has nothing left to observe.
        guard live, manifest.operation == .rollout, !entries.contains(where: { $0.kind == .teardown }),
            let chain = try ChainState.load([first] + entries, run: run, backend: backend)
        else {
            return status
        }
        let chainPlan = try chain.topologyPlan()
        let site = try commandSite(chain.playbook, options: options)
        if site == nil {
            try requireSiteOrEverySecret(chain.playbook, run: status.runName, words: "status", options: options)
        }
        let unreachedHere = unreached(chain.playbook, site: site)
        if let site, unreachedHere.count == 2, !inspectJump {
            throw JumpchainError(
                .invalidInput,
                "status \(status.runName) --site \(site.name): this site reaches neither the origin nor the target, "
                    + "so nothing of the chain would be read here (the jump's mirrors are read with --inspect-jump); "
                    + "run it at a site that does: " + siteChoices(chain.playbook, run: status.runName, words: "status")
            )
        }
        let (report, groups, liveError, minted, autoCreated) = try await RunSession.with(
            chain.playbook, runName: metadata.name, options: options
        ) { context throws(JumpchainError) in
            var report: VerificationReport?
            var groups: GroupOffsetReport?
            var liveError: String?
            var autoCreated: [String] = []
            do {
                if let site, !unreachedHere.isEmpty {
                    // Only what this site reaches: the unreached cluster is not contacted (nor are the groups).
                    let verifier = try await siteVerifier(
                        context, plan: chainPlan, site: site, inspectJump: inspectJump)
                    let planned = Set(context.topology(for: chainPlan).topics.map(\.origin))
                    autoCreated = verifier.topology.topics.map(\.origin).filter { !planned.contains($0) }.sorted()
                    report = await verifier.verifyOnce(threshold: Int64(chain.playbook.verify.maxLag))
                    report = report.map { sited($0, site: site.name, unreached: unreachedHere) }
                    return (report, GroupOffsetReport?.none, String?.none, await context.sessionKeyIDs(), autoCreated)
                }
                let verifier = try await context.verifier(for: chainPlan, inspectJump: inspectJump)
                let planned = Set(context.topology(for: chainPlan).topics.map(\.origin))
                autoCreated = verifier.topology.topics.map(\.origin).filter { !planned.contains($0) }.sorted()
                report = await verifier.verifyOnce(threshold: Int64(chain.playbook.verify.maxLag))
                // Key-free, the groups are read on the origin and the target; the jump's column is not observed.
                groups = try await context.groupOffsets(
                    topology: context.topology(for: chainPlan), jump: inspectJump ? try await context.jump() : nil)
            } catch {
                liveError = "\(error)"
            }
            return (report, groups, liveError, await context.sessionKeyIDs(), autoCreated)
        }
        // The origin ends are recorded where they were read (not from a site that does not reach the origin).
        if let report, !unreachedHere.contains(.origin) {
            OriginOffsetRecord.save(report, root: root, backend: backend)
        }
        if let site, !unreachedHere.isEmpty {
            status.notRead = notReadLines(chain.playbook, run: status.runName, site: site)
            status.siteVerdict = report.map {
                siteVerdict($0, playbook: chain.playbook, run: status.runName, site: site, inspectJump: inspectJump)
            }
            status.sitePassed = report.flatMap { siteJudged($0) ? $0.passed : nil }
        }
        status.groups = groups
        status.report = report
        status.autoCreated = autoCreated
        status.jumpInspected = inspectJump
        status.liveError = liveError
        status.sessionKeysMinted = minted
        return status
    }

    /// What `verify` found: the report, and the canary rounds when the canary ran.
    public struct Verification: Sendable {
        public var report: VerificationReport
        public var canary: [CanaryResult]
        /// Whether the jump was read (through a session key); `verify --watch` is key-free by default.
        public var jumpInspected = true
        /// Synced consumer groups on each hop, when the playbook turns offset sync on.
        public var groups: GroupOffsetReport?
        /// The playbook's `verify.max_group_lag` (0 when not given).
        public var maxGroupLag: Int = 0
        /// `verify --site` at a site that does not reach both private clusters: the half it checked.
        public var half: SiteHalf?
        public var passed: Bool { report.passed && canary.allSatisfy(\.passed) }
    }

    /// Polls until every link half is healthy, every mirror ACTIVE and end-to-end lag ≤ the playbook's threshold,
    /// or the timeout passes; then, with `canary`, sends canary rounds (`watch`: every `interval`, until
    /// `rounds` or the first failure with `failFast`). `inspectJump` nil: a one-shot verify reads the jump
    /// through a session key, a `watch` is key-free (the jump is reported as not observed).
    ///
    /// The timeout is a deadline for everything after the jump's session key works (the watch's rounds
    /// excepted): every request gets at most what is left of it (``RequestDeadline``), so an unreachable
    /// cluster cannot make it wait longer. Minting the session key is bounded by the key propagation timeout.
    /// `onRound` is told each verification round's report, for a progress line.
    public static func verify(
        run: String, timeout: Duration?, canary: Bool, watch: Duration? = nil, rounds: Int? = nil,
        failFast: Bool = false, inspectJump: Bool? = nil, onCanary: (@Sendable (CanaryResult) -> Void)? = nil,
        onRound: (@Sendable (VerificationReport) -> Void)? = nil, options: Options
    ) async throws(JumpchainError) -> Verification {
        try await Interruption.run(
            enabled: options.handleSignals, hint: "the session key it minted was revoked"
        ) { () async throws(JumpchainError) -> Verification in
            try await verifyNow(
                run: run, timeout: timeout, canary: canary, watch: watch, rounds: rounds, failFast: failFast,
                inspectJump: inspectJump, onCanary: onCanary, onRound: onRound, options: options)
        }
    }

    static func verifyNow(
        run: String, timeout: Duration?, canary: Bool, watch: Duration?, rounds: Int?,
        failFast: Bool, inspectJump: Bool?, onCanary: (@Sendable (CanaryResult) -> Void)?,
        onRound: (@Sendable (VerificationReport) -> Void)?, options: Options
    ) async throws(JumpchainError) -> Verification {
        let inspectJump = inspectJump ?? (watch == nil)
        let root = runDirectory(for: run, options: options)
        let backend = options.backend
        let (_, _, metadata, _) = try openRun(root, run: run, backend: backend)
        // The chain as its operations left it: the rollout's topics plus those updates added.
        let entries = try RunHistory.entries(root: root, backend: backend)
        if let teardown = entries.last(where: { $0.kind == .teardown }) {
            throw JumpchainError(
                .invalidInput,
                "run \(run) was torn down (\(teardown.directory), \(teardown.status.rawValue)): there is no chain to verify"
            )
        }
        let chain = try ChainState.required(
            entries, run: run, backend: backend, root: location(of: run, options: options))
        let plan = try chain.topologyPlan()
        let playbook = chain.playbook
        let limit = timeout ?? playbook.verify.timeout
        let site = try commandSite(playbook, options: options)
        if site == nil { try requireSiteOrEverySecret(playbook, run: run, words: "verify", options: options) }
        if let site, !unreached(playbook, site: site).isEmpty {
            guard unreached(playbook, site: site).count < 2 else {
                throw JumpchainError(
                    .invalidInput,
                    "verify \(run) --site \(site.name): this site reaches neither the origin nor the target, so it "
                        + "has no half of the chain to check; run it at a site that does: "
                        + siteChoices(playbook, run: run, words: "verify"))
            }
            guard watch == nil else {
                throw JumpchainError(
                    .invalidInput,
                    "verify \(run) --site \(site.name) --watch: the canary heartbeat needs the origin and the "
                        + "target, and this site does not reach both; run a one-shot verify at each site")
            }
            return try await RunSession.with(
                playbook, runName: RunOperations.runName(ofKey: metadata.name), options: options
            ) { context throws(JumpchainError) in
                try await verifyHalf(
                    run: RunOperations.runName(ofKey: metadata.name), root: root, entries: entries, site: site,
                    context: context, plan: plan, limit: limit, canary: canary, options: options)
            }
        }
        let verification = try await RunSession.with(
            playbook, runName: RunOperations.runName(ofKey: metadata.name), options: options
        ) {
            context throws(JumpchainError) in
            var verification = try await verify(
                run: run, context: context, plan: plan, limit: limit, canary: canary, watch: watch, rounds: rounds,
                failFast: failFast, inspectJump: inspectJump, onCanary: onCanary, onRound: onRound, options: options)
            verification.maxGroupLag = playbook.verify.maxGroupLag ?? 0
            return verification
        }
        OriginOffsetRecord.save(verification.report, root: root, backend: backend)
        return verification
    }

    /// How long past `verify --timeout` the reads of a round started before it may take: 5 s, or the timeout
    /// itself when that is shorter. A command ends within the timeout plus this grace.
    public static func lastRoundGrace(_ limit: Duration) -> Duration { min(limit, .seconds(5)) }

    static func verify(
        run: String, context: RolloutContext, plan: Plan, limit: Duration, canary: Bool, watch: Duration?,
        rounds: Int?, failFast: Bool, inspectJump: Bool = true, onCanary: (@Sendable (CanaryResult) -> Void)?,
        onRound: (@Sendable (VerificationReport) -> Void)? = nil, options: Options
    ) async throws(JumpchainError) -> Verification {
        let playbook = context.playbook
        do {
            // The jump's session key first: Confluent takes up to about two minutes to propagate a new key, which
            // the timeout does not count; that wait has its own bound (the key propagation timeout).
            var verifier = try await RequestDeadline.within(options.timing.keyPropagationTimeout) {
                try await context.verifier(for: plan, inspectJump: inspectJump)
            }
            // The loop starts no round past `limit`, but a round that starts just before it needs time for its
            // reads: they (and the canary and group reads after them) get a bounded grace past it, so the last
            // round reports what it read (a slow hop, say) instead of reads cut by the deadline.
            let deadline = ContinuousClock.now + limit + lastRoundGrace(limit)
            // The canary before the first mirror read: its offset + 1 is then a measured origin end (a lower bound
            // when the mirrors are read) for its partition in every round; produced after, it would overstate the
            // lag. The rounds wait for it like for any other record; then it is followed and read back.
            let canaryRound: (probe: CanaryProbe, produced: CanaryProbe.Produced)?
            if canary {
                guard let probe = try await context.canaryProbe(for: plan, inspectJump: inspectJump) else {
                    throw JumpchainError(
                        .invalidInput,
                        "run \(run) has no canary topic: set verify.canary: true in the playbook before apply")
                }
                let produced = await RequestDeadline.$current.withValue(deadline) { await probe.produce() }
                verifier.measuredOriginEnds = produced.measuredOriginEnd(topic: probe.canary.origin)
                canaryRound = (probe, produced)
            } else {
                canaryRound = nil
            }
            // The first canary is followed alongside the rounds, so its arrival times (and latency) are when it
            // arrived, not when the rounds ended.
            async let firstCanary: CanaryResult? = RequestDeadline.$current.withValue(deadline) {
                guard let (probe, produced) = canaryRound else { return nil }
                return await probe.follow(
                    produced, timeout: watch == nil ? limit + lastRoundGrace(limit) : limit,
                    pollInterval: options.timing.statePollInterval)
            }
            let report = await RequestDeadline.$current.withValue(deadline) { [verifier] in
                await verifier.verify(
                    until: limit, threshold: Int64(playbook.verify.maxLag),
                    pollInterval: options.timing.statePollInterval, onRound: onRound)
            }
            var results: [CanaryResult] = []
            if let (probe, _) = canaryRound, let first = await firstCanary {
                if let watch {
                    results = await probe.watch(
                        interval: watch, rounds: rounds, failFast: failFast, timeout: limit,
                        pollInterval: options.timing.statePollInterval, first: first, onRound: { onCanary?($0) })
                } else {
                    onCanary?(first)
                    results = [first]
                }
            }
            var verification = Verification(report: report, canary: results, jumpInspected: inspectJump)
            // Consumer groups under the same deadline. When the chain already failed (a cluster did not answer,
            // say), a failed group read adds nothing to that verdict; on a passing chain it is an error. Key-free
            // (`inspectJump` off), the jump's column is not observed.
            do {
                verification.groups = try await RequestDeadline.$current.withValue(deadline) {
                    try await context.groupOffsets(
                        topology: context.topology(for: plan), jump: inspectJump ? try await context.jump() : nil)
                }
            } catch {
                if report.passed {
                    throw JumpchainError(.remote, "verify \(run): reading consumer groups: \(error)", cause: error)
                }
            }
            return verification
        } catch let error as JumpchainError {
            throw error
        } catch {
            throw JumpchainError(.remote, "verify \(run): \(error)", cause: error)
        }
    }

    static func openRun(
        _ directory: String, run: String, backend: any RunStateBackend
    ) throws(JumpchainError) -> (
        any RunStateStore, String, RunMetadata, RunManifest
    ) {
        guard try wrap({ () throws(WorkflowError) in try backend.runExists(directory) }) else {
            throw JumpchainError(.runNotFound, "no run \(run) in \(backend.location(ofRun: directory))")
        }
        let store = try openStoreReadOnly(directory, run: run, backend: backend)
        let metadata = try wrap { () throws(WorkflowError) in try store.metadata() }
        return (store, store.location, metadata, try RunManifest.decode(metadata.manifest, run: run))
    }
}

extension Rollout {
    /// `plan --validate`: the preflight checks plus a `validate_only=true` create of leg 1's destination half,
    /// so the servers judge what they can before anything is changed (see ``preview(_:validate:options:)``).
    static func validate(
        _ playbook: Playbook, plan: Plan, context: RolloutContext, options: Options
    ) async throws(JumpchainError) -> [String] {
        let executor = RolloutExecutor(context: context, plan: plan)
        var findings: [String] = []
        do {
            _ = try await executor.preflight(
                plan[RolloutStep.preflight] ?? StepSpec(id: RolloutStep.preflight, kind: RolloutStep.preflight),
                report: { options.notice?($0) })
            findings.append("preflight: every check passed")
            let jump = try await context.jump()
            try await jump.createLink(
                playbook.link.leg1Name, sourceClusterID: playbook.origin.id,
                configs: [LinkConfigEntry("link.mode", "DESTINATION"), LinkConfigEntry("connection.mode", "INBOUND")]
                    + executor.options(RolloutExecutor.leg1Options(playbook)), validateOnly: true, validateLink: false)
            findings.append("jump \(playbook.jump.id): validate_only create of \(playbook.link.leg1Name) accepted")
        } catch {
            throw JumpchainError(.preflightFailed, "validation failed; nothing was changed:\n\(error)", cause: error)
        }
        return findings
    }
}
