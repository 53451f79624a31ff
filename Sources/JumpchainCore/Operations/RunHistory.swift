import ConfluentAPI
import Foundation
public import Workflow

/// A run's operations, oldest first: the rollout that built the chain is the run itself, every later operation
/// (a teardown, ...) a run of its own in the backend under `<run key>/operations/<NNN>-<kind>` (SQLite: the
/// directory `<run-dir>/operations/<NNN>-<kind>/` with its own store; PostgreSQL: the run named so), with its own
/// plan and manifest, so a run keeps its whole history and `resume`, `status` and `graph` can route any of them.
public enum RunHistory {
    public struct Entry: Sendable {
        /// 0 for the operation in the run directory itself, then 1, 2, ... in `operations/`.
        public var index: Int
        /// The operation's key in the backend (for SQLite, its run directory).
        public var directory: String
        public var kind: OperationKind
        public var status: RunStatus
    }

    /// Every operation of the run whose key is `root`, oldest first (empty when there is no run).
    public static func entries(root: String, backend: any RunStateBackend) throws(JumpchainError) -> [Entry] {
        var entries: [Entry] = []
        if try Rollout.wrap({ () throws(WorkflowError) in try backend.runExists(root) }) {
            entries.append(try entry(index: 0, directory: root, backend: backend))
        }
        let names = try Rollout.wrap { () throws(WorkflowError) in try backend.operationNames(ofRun: root) }.sorted()
        for name in names {
            guard let index = Int(name.prefix(while: \.isNumber)) else { continue }
            let directory = RunOperations.key(runKey: root, operation: name)
            entries.append(try entry(index: index, directory: directory, backend: backend))
        }
        return entries
    }

    /// The documents jumpchain keeps beside a run, in its directory (``RunStateBackend/document(_:ofRun:)``):
    /// the run's own files as much as the engine's.
    static let runDocuments = [
        OriginOffsetRecord.fileName, Rollout.originHalfDocument, AwaitedUpdate.document,
    ]

    /// The entries of a run directory that are not the run's own (the engine's files, later operations'
    /// directories holding only engine files, the ``runDocuments``), as paths relative to `root`.
    public static func foreignEntries(_ root: String) -> [String] {
        var foreign = RunDirectory.foreignEntries(root).filter {
            $0 != RunOperations.folder && !runDocuments.contains($0)
        }
        let folder = (root as NSString).appendingPathComponent(RunOperations.folder)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            let directory = (folder as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                foreign.append("\(RunOperations.folder)/\(name)")
                continue
            }
            foreign += RunDirectory.foreignEntries(directory).map { "\(RunOperations.folder)/\(name)/\($0)" }
        }
        return foreign.sorted()
    }

    /// Removes a run's own files (see ``foreignEntries(_:)``) and the directories they leave empty; anything
    /// else is left alone.
    public static func removeRunFiles(_ root: String) {
        let folder = (root as NSString).appendingPathComponent(RunOperations.folder)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            RunDirectory.removeEngineFiles((folder as NSString).appendingPathComponent(name))
        }
        rmdir(folder)
        for name in runDocuments { unlink((root as NSString).appendingPathComponent(name)) }
        RunDirectory.removeEngineFiles(root)
    }

    /// The key for a new operation of `kind` after `entries`.
    static func newDirectory(root: String, kind: OperationKind, after entries: [Entry]) -> String {
        let index = (entries.map(\.index).max() ?? 0) + 1
        return RunOperations.key(runKey: root, operation: String(format: "%03d-%@", index, kind.rawValue))
    }

    private static func entry(
        index: Int, directory: String, backend: any RunStateBackend
    ) throws(JumpchainError) -> Entry {
        // Read-only: listing a run's history writes nothing (status and graph work on a read-only directory).
        let store = try Rollout.openStoreReadOnly(
            directory, run: (directory as NSString).lastPathComponent, backend: backend)
        let metadata = try Rollout.wrap { () throws(WorkflowError) in try store.metadata() }
        let manifest = try RunManifest.decode(metadata.manifest, run: metadata.name)
        return Entry(index: index, directory: directory, kind: manifest.operation, status: metadata.status)
    }
}

/// The chain as a run's succeeded operations left it: the latest playbook, the mirrored topics (the rollout's,
/// plus those updates added, minus those they pruned) and the ACL bindings jumpchain created.
struct ChainState {
    var playbook: Playbook
    var playbookHash: String
    /// Mirrored topics, canary included, with their names on each hop.
    var topics: [ChainTopology.ChainTopic]
    var originCanaryCreated = false
    var jumpACLs: [ACLBinding] = []
    var originACLs: [ACLBinding] = []
    /// The PREFIXED names the origin's ACL budget recorded (`origin_acl_prefixes`) in the chain's operations:
    /// the chain's topic bindings, never auto-create's filter bindings (``Update/refuseStalePrefixes``).
    var originBudgetPrefixes: [String] = []
    /// The PREFIXED names the jump's ACL budget recorded (`jump_acl_prefixes`) in the chain's operations.
    var jumpBudgetPrefixes: [String] = []
    var aclsUnknown: String?

    /// The budget's PREFIXED names on which the chain itself created the origin's bindings (not its owner's).
    var stalePrefixCandidates: [String] {
        let created = Set(
            originACLs.filter { $0.resourceType == "TOPIC" && $0.patternType == "PREFIXED" }.map(\.resourceName))
        return originBudgetPrefixes.filter { created.contains($0) }
    }

    /// The chain's topics as a plan of `mirror-target` steps (what the verifier and the canary read).
    func topologyPlan() throws(JumpchainError) -> Plan {
        let steps = topics.map { topic in
            StepSpec(
                id: "\(RolloutStep.mirrorTarget):\(topic.origin)", kind: RolloutStep.mirrorTarget,
                parameters: [
                    "topic": topic.origin, "source_topic": topic.jumpMirror, "mirror_topic": topic.targetMirror,
                ])
        }
        do {
            return try Plan(steps: steps)
        } catch {
            throw JumpchainError(.internalError, "the chain's topics make no valid plan: \(error)", cause: error)
        }
    }

    /// Mirror topics a plan's `mirror-target` steps name.
    static func topics(of plan: Plan) -> [ChainTopology.ChainTopic] {
        plan.steps.filter { $0.kind == RolloutStep.mirrorTarget }.compactMap { step -> ChainTopology.ChainTopic? in
            guard let topic = step.parameters["topic"], let jumpMirror = step.parameters["source_topic"],
                let targetMirror = step.parameters["mirror_topic"]
            else { return nil }
            return ChainTopology.ChainTopic(origin: topic, jumpMirror: jumpMirror, targetMirror: targetMirror)
        }
    }

    /// ``load(_:run:backend:)`` for a run that must have a rollout: no rollout is `runNotFound` naming `root`.
    static func required(
        _ entries: [RunHistory.Entry], run: String, backend: any RunStateBackend, root: String
    ) throws(JumpchainError) -> ChainState {
        guard let chain = try load(entries, run: run, backend: backend) else {
            throw JumpchainError(.runNotFound, "run \(run) in \(root) has no rollout")
        }
        return chain
    }

    /// Folds the run's rollout and succeeded (or, for ACL bookkeeping, started) updates; nil without a rollout.
    static func load(
        _ entries: [RunHistory.Entry], run: String, backend: any RunStateBackend
    ) throws(JumpchainError) -> ChainState? {
        var state: ChainState?
        for entry in entries where entry.kind != .teardown {
            let (store, _, _, manifest) = try Rollout.openRun(entry.directory, run: run, backend: backend)
            let plan = try Rollout.wrap { () throws(WorkflowError) in try store.plan() }
            let records = try Rollout.wrap { () throws(WorkflowError) in try store.stepRecords() }
            let playbook = manifest.playbook
            switch entry.kind {
            case .rollout:
                var chain = ChainState(
                    playbook: playbook, playbookHash: manifest.playbookHash, topics: topics(of: plan))
                chain.originCanaryCreated = records[RolloutStep.canaryTopic]?.outputs["created"] == "true"
                chain.addACLs(plan: plan, records: records, playbook: playbook, topics: chain.topics)
                state = chain
            case .update:
                guard var chain = state else { continue }
                let added = topics(of: plan).filter { !chain.topics.map(\.origin).contains($0.origin) }
                // What an update created counts even when it has not finished: destroy must remove it.
                chain.addACLs(plan: plan, records: records, playbook: playbook, topics: added)
                chain.topics += added
                if entry.status == .succeeded {
                    let pruned = Set(
                        plan.steps.filter { $0.kind == UpdateStep.Kind.pruneJump.rawValue }.compactMap {
                            $0.parameters["topic"]
                        })
                    chain.topics.removeAll { pruned.contains($0.origin) }
                    chain.playbook = playbook
                    chain.playbookHash = manifest.playbookHash
                }
                state = chain
            case .teardown, .cutover, .failover:
                // A teardown is skipped by the loop; a cutover or failover changes the target's topics, not the
                // chain's shape.
                continue
            }
        }
        return state
    }

    /// The ACLs an operation created: what it wanted minus what its preflight saw before (robust to a crash
    /// between the create and its record), or the ACL steps' own record for runs of older versions.
    mutating func addACLs(
        plan: Plan, records: [String: StepRecord], playbook: Playbook, topics: [ChainTopology.ChainTopic]
    ) {
        guard playbook.link.manageACLs else { return }
        let preflight = records[RolloutStep.preflight]
        guard preflight?.state == .succeeded else { return }  // nothing was created before preflight passed
        if let before = preflight?.outputs[RolloutExecutor.jumpACLsBefore] {
            let existing = Set(ACLRecord.decode(before)).union(jumpACLs)
            // In the form the preflight chose (LITERAL, or PREFIXED under the cluster's ACL limit).
            let jumpPrefixes = ACLBudget.prefixes(preflight?.outputs[ACLBudget.jumpPrefixesKey])
            jumpBudgetPrefixes += jumpPrefixes.filter { !jumpBudgetPrefixes.contains($0) }
            jumpACLs += RolloutExecutor.wantedJumpACLs(
                playbook, jumpMirrors: topics.map(\.jumpMirror), prefixes: jumpPrefixes
            )
            .filter { !existing.contains($0) }
            // The origin's budget is in the preflight `acls-origin` depends on (the site that reaches the origin).
            let originPreflight = records[RolloutStep.originBudgetStep(plan[RolloutStep.originACLs])]
            if plan[RolloutStep.originACLs] != nil,
                let before = originPreflight?.outputs[RolloutExecutor.originACLsBefore]
            {
                let existingOrigin = Set(ACLRecord.decode(before)).union(originACLs)
                let originPrefixes = ACLBudget.prefixes(originPreflight?.outputs[ACLBudget.originPrefixesKey])
                originBudgetPrefixes += originPrefixes.filter { !originBudgetPrefixes.contains($0) }
                originACLs += RolloutExecutor.wantedOriginACLs(
                    playbook, topics: topics.map(\.origin), prefixes: originPrefixes
                )
                .filter { !existingOrigin.contains($0) }
            } else {
                // No record of the origin's bindings before the run: only what `acls-origin` itself created.
                originACLs += ACLRecord.decode(records[RolloutStep.originACLs]?.outputs[ACLRecord.outputKey] ?? "")
            }
            return
        }
        let jump = records[RolloutStep.jumpACLs]?.outputs[ACLRecord.outputKey]
        if jump == nil, records[RolloutStep.jumpACLs]?.state == .succeeded {
            aclsUnknown =
                "this run was made by an older jumpchain that did not record which ACLs it created: none is deleted"
            return
        }
        jumpACLs += ACLRecord.decode(jump ?? "")
        originACLs += ACLRecord.decode(records[RolloutStep.originACLs]?.outputs[ACLRecord.outputKey] ?? "")
    }
}
