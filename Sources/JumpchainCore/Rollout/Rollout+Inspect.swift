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
        public var liveError: String?
        public var sessionKeysMinted: [String]
    }

    /// Step states from the run directory and, with `live`, one observation of the chain from Confluent
    /// (through a jump session key that is revoked before this returns).
    public static func status(run: String, live: Bool, options: Options) async throws(JumpchainError) -> Status {
        try await Interruption.run(
            enabled: options.handleSignals && live, hint: "the session key it minted was revoked"
        ) { () async throws(JumpchainError) -> Status in
            try await statusNow(run: run, live: live, options: options)
        }
    }

    static func statusNow(run: String, live: Bool, options: Options) async throws(JumpchainError) -> Status {
        let (store, directory, metadata, manifest) = try openRun(run, options: options)
        let plan = try wrap { () throws(WorkflowError) in try store.plan() }
        let states = try wrap { () throws(WorkflowError) in try store.stepRecords() }
        var status = Status(
            runName: metadata.name, directory: directory, runStatus: metadata.status, plan: plan, states: states,
            report: nil, liveError: nil, sessionKeysMinted: [])
        guard live else { return status }
        let context = try makeContext(manifest.playbook, runName: metadata.name, options: options)
        defer { context.credentials.wipe() }
        do {
            let verifier = try await context.verifier(for: plan)
            status.report = await verifier.verifyOnce(threshold: Int64(manifest.playbook.verify.maxLag))
        } catch {
            status.liveError = "\(error)"
        }
        await context.close()
        status.sessionKeysMinted = await context.sessionKeyIDs()
        return status
    }

    /// What `verify` found: the report, and the canary rounds when the canary ran.
    public struct Verification: Sendable {
        public var report: VerificationReport
        public var canary: [CanaryResult]
        public var passed: Bool { report.passed && canary.allSatisfy(\.passed) }
    }

    /// Polls until every link half is healthy, every mirror ACTIVE and end-to-end lag ≤ the playbook's threshold,
    /// or the timeout passes; then, with `canary`, sends canary rounds (`watch`: every `interval`, until
    /// `rounds` or the first failure with `failFast`).
    ///
    /// The timeout is a deadline for everything after the jump's session key works (the watch's rounds
    /// excepted): every request gets at most what is left of it (``RequestDeadline``), so an unreachable
    /// cluster cannot make it wait longer. Minting the session key is bounded by the key propagation timeout.
    /// `onRound` is told each verification round's report, for a progress line.
    public static func verify(
        run: String, timeout: Duration?, canary: Bool, watch: Duration? = nil, rounds: Int? = nil,
        failFast: Bool = false, onCanary: (@Sendable (CanaryResult) -> Void)? = nil,
        onRound: (@Sendable (VerificationReport) -> Void)? = nil, options: Options
    ) async throws(JumpchainError) -> Verification {
        try await Interruption.run(
            enabled: options.handleSignals, hint: "the session key it minted was revoked"
        ) { () async throws(JumpchainError) -> Verification in
            try await verifyNow(
                run: run, timeout: timeout, canary: canary, watch: watch, rounds: rounds, failFast: failFast,
                onCanary: onCanary, onRound: onRound, options: options)
        }
    }

    static func verifyNow(
        run: String, timeout: Duration?, canary: Bool, watch: Duration?, rounds: Int?,
        failFast: Bool, onCanary: (@Sendable (CanaryResult) -> Void)?,
        onRound: (@Sendable (VerificationReport) -> Void)?, options: Options
    ) async throws(JumpchainError) -> Verification {
        let (store, _, metadata, manifest) = try openRun(run, options: options)
        let plan = try wrap { () throws(WorkflowError) in try store.plan() }
        let playbook = manifest.playbook
        let context = try makeContext(playbook, runName: metadata.name, options: options)
        defer { context.credentials.wipe() }
        let limit = timeout ?? playbook.verify.timeout
        do {
            // The jump's session key first: Confluent takes up to about two minutes to propagate a new key, which
            // the timeout does not count; that wait has its own bound (the key propagation timeout).
            let verifier = try await RequestDeadline.within(options.timing.keyPropagationTimeout) {
                try await context.verifier(for: plan)
            }
            let deadline = ContinuousClock.now + limit
            let report = await RequestDeadline.$current.withValue(deadline) {
                await verifier.verify(
                    until: limit, threshold: Int64(playbook.verify.maxLag),
                    pollInterval: options.timing.statePollInterval, onRound: onRound)
            }
            var results: [CanaryResult] = []
            if canary {
                guard let probe = try await context.canaryProbe(for: plan) else {
                    throw JumpchainError(
                        .invalidInput,
                        "run \(run) has no canary topic: set verify.canary: true in the playbook before apply")
                }
                if let watch {
                    results = await probe.watch(
                        interval: watch, rounds: rounds, failFast: failFast, timeout: limit,
                        pollInterval: options.timing.statePollInterval, onRound: { onCanary?($0) })
                } else {
                    let left = max(deadline - ContinuousClock.now, .zero)
                    let result = await RequestDeadline.$current.withValue(deadline) {
                        await probe.run(timeout: left, pollInterval: options.timing.statePollInterval)
                    }
                    onCanary?(result)
                    results = [result]
                }
            }
            await context.close()
            return Verification(report: report, canary: results)
        } catch let error as JumpchainError {
            await context.close()
            throw error
        } catch {
            await context.close()
            throw JumpchainError(.remote, "verify \(run): \(error)", cause: error)
        }
    }

    static func makeContext(
        _ playbook: Playbook, runName: String, options: Options
    ) throws(JumpchainError)
        -> RolloutContext
    {
        let credentials = try RolloutCredentials.resolve(
            playbook, environment: options.environment,
            stdin: options.stdin ?? StdinSecrets(order: playbook.stdinOrder))
        return RolloutContext(
            playbook: playbook, credentials: credentials, runName: runName, timing: options.timing,
            retryObserver: options.notice, requestLog: options.requestLog)
    }

    static func openRun(
        _ run: String, options: Options
    ) throws(JumpchainError) -> (
        RunStore, String, RunMetadata, RunManifest
    ) {
        let directory = runDirectory(for: run, options: options)
        guard RunStore.exists(directory: directory) else {
            throw JumpchainError(.runNotFound, "no run \(run) in \(directory)")
        }
        let store = try openStore(directory)
        let metadata = try wrap { () throws(WorkflowError) in try store.metadata() }
        return (store, directory, metadata, try RunManifest.decode(metadata.manifest, run: run))
    }
}

extension Rollout {
    /// `plan --validate`: the preflight checks plus a `validate_only=true` create of leg 1's destination half,
    /// so the servers judge what they can before anything is changed. Only the jump session key is minted (and
    /// revoked before this returns).
    public static func validate(
        _ playbook: Playbook, plan: Plan, options: Options
    ) async throws(JumpchainError)
        -> [String]
    {
        try await Interruption.run(
            enabled: options.handleSignals, hint: "nothing was changed and the session key it minted was revoked"
        ) { () async throws(JumpchainError) -> [String] in
            try await validateNow(playbook, plan: plan, options: options)
        }
    }

    static func validateNow(
        _ playbook: Playbook, plan: Plan, options: Options
    ) async throws(JumpchainError)
        -> [String]
    {
        let context = try makeContext(playbook, runName: playbook.runName, options: options)
        defer { context.credentials.wipe() }
        let executor = RolloutExecutor(context: context, plan: plan)
        var findings: [String] = []
        do {
            _ = try await executor.preflight(report: { options.notice?($0) })
            findings.append("preflight: every check passed")
            let jump = try await context.jump()
            try await jump.createLink(
                playbook.link.leg1Name, sourceClusterID: playbook.origin.id,
                configs: [LinkConfigEntry("link.mode", "DESTINATION"), LinkConfigEntry("connection.mode", "INBOUND")]
                    + executor.options(playbook.link.leg1Options), validateOnly: true, validateLink: false)
            findings.append("jump \(playbook.jump.id): validate_only create of \(playbook.link.leg1Name) accepted")
        } catch {
            await context.close()
            throw JumpchainError(.preflightFailed, "validation failed; nothing was changed:\n\(error)", cause: error)
        }
        await context.close()
        return findings
    }
}
