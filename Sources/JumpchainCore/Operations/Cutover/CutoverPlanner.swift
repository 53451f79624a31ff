public import Workflow

/// Step ids of a cutover (`jumpchain cutover`), in the order the graph runs them; a step's id is its kind.
public enum CutoverStep {
    /// What a cutover step does: the executor and the request preview switch over every case.
    public enum Kind: String, CaseIterable, Sendable {
        /// The chain is healthy and every mirror is ACTIVE on both hops.
        case preflight = "cutover-preflight"
        /// The origin's end offsets do not move for the quiet period (the operator stopped the producers).
        case quiesce
        /// Every partition's end offset is equal on origin, jump and target, and every synced group's target
        /// offset equals its origin offset.
        case drain
        /// `:promote` of every target mirror, then STOPPED.
        case promote = "promote-target-mirrors"
        /// The final report: offsets at cutover, records lost, where each group resumes on the target.
        case report = "cutover-report"
    }
}

extension CutoverStep.Kind: SitedStepKind {
    public static var operation: OperationKind { .cutover }

    /// Which endpoints a cutover step calls (the jump through a session key, so with the control plane).
    public var calls: [StepEndpoint] {
        switch self {
        case .preflight: [.controlPlane, .origin, .jump, .target]
        case .quiesce: [.origin]
        case .drain: [.controlPlane, .origin, .jump, .target]
        case .promote: [.target]
        case .report: [.controlPlane, .origin, .jump, .target]
        }
    }
}

/// What a cutover covers and how it waits: the chain's topics (canary excluded) and the operator's flags.
public struct CutoverScope: Sendable {
    public var topics: [ChainTopology.ChainTopic]
    /// Seconds the origin must stay still; nil skips the quiesce check (`--no-quiet-check`).
    public var quietPeriod: Int?
    /// Seconds `drain` and `promote` may wait.
    public var timeout: Int

    public init(topics: [ChainTopology.ChainTopic], quietPeriod: Int?, timeout: Int) {
        self.topics = topics
        self.quietPeriod = quietPeriod
        self.timeout = timeout
    }
}

/// Turns a cutover scope into the persisted step graph: one chain, each step after the previous one.
public enum CutoverPlanner {
    /// With `sites` (a multi-site run, `--site`), every step is placed at a site that reaches what it calls; when
    /// no site reaches both private clusters, the steps that read both are split (``split(_:)``).
    public static func plan(
        _ playbook: Playbook, scope: CutoverScope, sites: Bool = false
    ) throws(JumpchainError) -> Plan {
        let topics = ChainTopicList.encode(scope.topics)
        let parameters: [CutoverStep.Kind: [String: String]] = [
            .preflight: ["topics": topics],
            .quiesce: ["topics": topics, "quiet_period": scope.quietPeriod.map(String.init) ?? ""],
            .drain: ["topics": topics, "timeout": String(scope.timeout)],
            .promote: ["topics": topics, "timeout": String(scope.timeout)],
            .report: ["topics": topics, "quiet_check": scope.quietPeriod == nil ? "skipped" : "passed"],
        ]
        let target = "cluster:\(playbook.target.id)"
        var steps: [StepSpec] = []
        var previous: String?
        for kind in CutoverStep.Kind.allCases {
            steps.append(
                StepSpec(
                    id: kind.rawValue, kind: kind.rawValue, dependsOn: previous.map { [$0] } ?? [],
                    parameters: parameters[kind] ?? [:], resources: kind == .promote ? [target] : [],
                    timeoutSeconds: Double(max(900, scope.timeout + (scope.quietPeriod ?? 0) + 60))))
            previous = kind.rawValue
        }
        let plan: Plan
        do {
            plan = try Plan(steps: steps)
        } catch {
            throw JumpchainError(.internalError, "the cutover planner built an invalid graph: \(error)", cause: error)
        }
        guard sites, !playbook.siteList.isEmpty else { return plan }
        return try SiteAssignment.assign(
            playbook.noSiteReachesBoth ? try split(plan) : plan, playbook: playbook, steps: CutoverStep.Kind.self)
    }

    /// The id of the origin site's preflight in a split plan.
    public static let originPreflight = "\(CutoverStep.Kind.preflight.rawValue):origin"

    /// When no site reaches both private clusters: each site reads what it reaches. The target's site checks the
    /// jump's and the target's halves and mirrors; the origin's site checks leg 1's source half, waits for the
    /// origin to be still and records its groups' offsets; the target's site then drains (the origin's end
    /// offsets are read from the jump's mirrors, its groups' from the record), promotes and reports.
    static func split(_ plan: Plan) throws(JumpchainError) -> Plan {
        let origin = PlaybookCluster.Role.origin.rawValue
        let target = PlaybookCluster.Role.target.rawValue
        var steps: [StepSpec] = []
        for var step in plan.steps {
            switch CutoverStep.Kind(rawValue: step.kind) {
            case .preflight:
                steps += StepSites.splitPreflight(step, first: .target, second: .origin, secondID: originPreflight)
                continue
            case .quiesce:
                step.dependsOn = [originPreflight]
                step.parameters[StepSites.clustersParameter] = origin
            case .drain, .report:
                step.parameters[StepSites.clustersParameter] = target
            case .promote, nil:
                break
            }
            steps.append(step)
        }
        do {
            return try Plan(steps: steps)
        } catch {
            throw JumpchainError(.internalError, "the cutover planner built an invalid graph: \(error)", cause: error)
        }
    }
}

/// A chain's topics as one step parameter: `origin|jump-mirror|target-mirror` joined by `;`.
enum ChainTopicList {
    static func encode(_ topics: [ChainTopology.ChainTopic]) -> String {
        topics.map { "\($0.origin)|\($0.jumpMirror)|\($0.targetMirror)" }.joined(separator: ";")
    }

    static func decode(_ text: String?) -> [ChainTopology.ChainTopic] {
        (text ?? "").split(separator: ";").compactMap { item in
            let fields = item.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { return nil }
            return ChainTopology.ChainTopic(origin: fields[0], jumpMirror: fields[1], targetMirror: fields[2])
        }
    }
}
