public import ConfluentAPI
import Foundation
import JumpchainHTTP
public import Workflow

extension Rollout {
    /// A run's recorded step states plus the live state of its links and mirrors.
    public struct Status: Sendable {
        public var runName: String
        public var directory: String
        public var runStatus: RunStatus
        public var plan: Plan
        public var states: [String: StepRecord]
        /// Live link halves: (description, link or nil when missing, error text when unreadable).
        public var links: [LinkHalf]
        public var snapshot: ChainSnapshot?
        public var liveError: String?
        public var sessionKeysMinted: [String]
    }

    public struct LinkHalf: Sendable {
        public var role: String
        public var cluster: String
        public var name: String
        public var link: Link?
        public var advice: String { link.map(LinkAdvice.describe) ?? "missing" }
    }

    /// Step states from the run directory and, with `live`, the links and per-hop mirror lag from Confluent
    /// (through a jump session key that is revoked before this returns).
    public static func status(run: String, live: Bool, options: Options) async throws(JumpchainError) -> Status {
        let (store, directory, metadata, manifest) = try openRun(run, options: options)
        let plan = try wrap { () throws(WorkflowError) in try store.plan() }
        let states = try wrap { () throws(WorkflowError) in try store.stepRecords() }
        var status = Status(
            runName: metadata.name, directory: directory, runStatus: metadata.status, plan: plan, states: states,
            links: [], snapshot: nil, liveError: nil, sessionKeysMinted: [])
        guard live else { return status }
        let playbook = manifest.playbook
        let credentials = try RolloutCredentials.resolve(
            playbook, environment: options.environment,
            stdin: options.stdin ?? StdinSecrets(order: playbook.stdinOrder))
        defer { credentials.wipe() }
        let context = RolloutContext(
            playbook: playbook, credentials: credentials, runName: metadata.name, timing: options.timing,
            retryObserver: options.notice)
        do {
            let jump = try await context.jump()
            for (role, client, name) in [
                ("leg 1 source half (origin)", context.origin, playbook.link.leg1Name),
                ("leg 1 destination half (jump)", jump, playbook.link.leg1Name),
                ("leg 2 (target)", context.target, playbook.link.leg2Name),
            ] {
                let link = try await client.link(name, includeTasks: true)
                status.links.append(LinkHalf(role: role, cluster: client.clusterID, name: name, link: link))
            }
            let topics = plan.steps.filter { $0.kind == RolloutStep.mirrorJump }.compactMap { $0.parameters["topic"] }
            status.snapshot = try await ChainSnapshotReader(context: context, topics: topics).read(report: nil)
        } catch {
            status.liveError = "\(error)"
        }
        await context.close()
        status.sessionKeysMinted = await context.sessionKeyIDs()
        return status
    }

    /// Waits until every mirror is ACTIVE on both hops and end-to-end lag ≤ the playbook's threshold, or the
    /// timeout passes; the snapshot and whether it passed.
    public static func verify(
        run: String, timeout: Duration?, options: Options
    ) async throws(JumpchainError) -> (
        ChainSnapshot, passed: Bool, problem: String?
    ) {
        let (store, _, metadata, manifest) = try openRun(run, options: options)
        let plan = try wrap { () throws(WorkflowError) in try store.plan() }
        let playbook = manifest.playbook
        let credentials = try RolloutCredentials.resolve(
            playbook, environment: options.environment,
            stdin: options.stdin ?? StdinSecrets(order: playbook.stdinOrder))
        defer { credentials.wipe() }
        let context = RolloutContext(
            playbook: playbook, credentials: credentials, runName: metadata.name, timing: options.timing,
            retryObserver: options.notice)
        let topics = plan.steps.filter { $0.kind == RolloutStep.mirrorJump }.compactMap { $0.parameters["topic"] }
        let reader = ChainSnapshotReader(context: context, topics: topics)
        let threshold = Int64(playbook.verify.maxLag)
        let deadline = ContinuousClock.now + (timeout ?? playbook.verify.timeout)
        do {
            while true {
                let snapshot = try await reader.read(report: nil)
                let problem = snapshot.firstProblem(threshold: threshold)
                if problem == nil || ContinuousClock.now >= deadline {
                    await context.close()
                    return (snapshot, problem == nil, problem)
                }
                try await Task.sleep(for: options.timing.statePollInterval)
            }
        } catch {
            await context.close()
            throw JumpchainError(.remote, "verify \(run): \(error)", cause: error)
        }
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
