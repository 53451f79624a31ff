public import Workflow

/// Step ids of a failover (`jumpchain failover`), in the order the graph runs them; a step's id is its kind.
public enum FailoverStep {
    /// What a failover step does: the executor and the request preview switch over every case.
    public enum Kind: String, CaseIterable, Sendable {
        /// `:failover` of every target mirror at once (no lag wait), then the target's end offsets.
        case failover = "failover-target-mirrors"
        /// What may be lost: the last origin end offsets jumpchain could observe against the target's.
        case dataAtRisk = "data-at-risk"
    }
}

extension FailoverStep.Kind: SitedStepKind {
    public static var operation: OperationKind { .failover }

    /// Which endpoints a failover step calls (the jump through a session key, so with the control plane).
    public var calls: [StepEndpoint] {
        switch self {
        case .failover: [.target]
        // The origin and the jump are probed within the cluster timeout; in a multi-site plan the origin only
        // where the step's site reaches it (elsewhere the offsets `verify`/`status` recorded stand in).
        case .dataAtRisk: [.controlPlane, .origin, .jump, .target]
        }
    }
}

/// Turns the chain's topics into the persisted failover graph.
public enum FailoverPlanner {
    /// `root` is the run's key (beside which `verify` and `status` record the last origin offsets). With the
    /// playbook's `sites`, every step is placed at a site that reaches what it calls.
    public static func plan(
        _ playbook: Playbook, topics: [ChainTopology.ChainTopic], root: String
    ) throws(JumpchainError) -> Plan {
        let list = ChainTopicList.encode(topics)
        let target = "cluster:\(playbook.target.id)"
        // Multi-site, with no site reaching both private clusters: the data-at-risk report is made at the
        // target's site, from the target's end offsets and the origin offsets `verify`/`status` recorded.
        var assess = ["topics": list, "run_root": root]
        if playbook.noSiteReachesBoth {
            assess[StepSites.clustersParameter] = PlaybookCluster.Role.target.rawValue
        }
        let plan: Plan
        do {
            plan = try Plan(steps: [
                StepSpec(
                    id: FailoverStep.Kind.failover.rawValue, kind: FailoverStep.Kind.failover.rawValue,
                    parameters: ["topics": list], resources: [target], timeoutSeconds: 300),
                StepSpec(
                    id: FailoverStep.Kind.dataAtRisk.rawValue, kind: FailoverStep.Kind.dataAtRisk.rawValue,
                    dependsOn: [FailoverStep.Kind.failover.rawValue], parameters: assess, timeoutSeconds: 300),
            ])
        } catch {
            throw JumpchainError(.internalError, "the failover planner built an invalid graph: \(error)", cause: error)
        }
        return try SiteAssignment.assign(plan, playbook: playbook, steps: FailoverStep.Kind.self)
    }
}
