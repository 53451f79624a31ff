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
    public static func verify(
        run: String, timeout: Duration?, canary: Bool, watch: Duration? = nil, rounds: Int? = nil,
        failFast: Bool = false, onCanary: (@Sendable (CanaryResult) -> Void)? = nil, options: Options
    ) async throws(JumpchainError) -> Verification {
        let (store, _, metadata, manifest) = try openRun(run, options: options)
        let plan = try wrap { () throws(WorkflowError) in try store.plan() }
        let playbook = manifest.playbook
        let context = try makeContext(playbook, runName: metadata.name, options: options)
        defer { context.credentials.wipe() }
        let limit = timeout ?? playbook.verify.timeout
        do {
            let verifier = try await context.verifier(for: plan)
            let report = await verifier.verify(
                until: limit, threshold: Int64(playbook.verify.maxLag), pollInterval: options.timing.statePollInterval)
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
                    let result = await probe.run(timeout: limit, pollInterval: options.timing.statePollInterval)
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
            retryObserver: options.notice)
    }

    static func openRun(
        _ run: String, options: Options
    ) throws(JumpchainError) -> (
        any RunStateStore, String, RunMetadata, RunManifest
    ) {
        let directory = runDirectory(for: run, options: options)
        let backend = options.backend
        guard try wrap({ () throws(WorkflowError) in try backend.runExists(run) }) else {
            throw JumpchainError(.runNotFound, "no run \(run) in \(directory)")
        }
        let store = try openStore(run, backend: backend)
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
