public import ConfluentAPI
public import Workflow

/// Step ids of the teardown (`jumpchain destroy`), in the order the graph runs them; a step's id is its kind.
public enum TeardownStep {
    /// What a teardown step does: the executor and the request preview switch over every case.
    public enum Kind: String, CaseIterable, Sendable {
        /// *(with `topics.auto_create`)* Turns auto-create off on both legs, so no mirror reappears while the
        /// chain is taken apart.
        case disableAutoCreate = "disable-auto-create"
        /// The target's mirrors: failed over (`keep`) or deleted (`delete`); the target's canary mirror deleted.
        case targetMirrors = "target-mirrors"
        /// Leg 2 on the target.
        case leg2 = "delete-leg2"
        /// Leg 1's source half on the origin.
        case leg1Source = "delete-leg1-source"
        /// The jump's mirror topics (canary included); before the destination half, so no `force` is needed.
        case jumpMirrors = "delete-jump-mirrors"
        /// Leg 1's destination half on the jump.
        case leg1Destination = "delete-leg1-destination"
        /// The canary topic on the origin, when jumpchain created it.
        case canaryTopic = "delete-canary-topic"
        /// The ACL bindings jumpchain created (and only those).
        case acls = "delete-acls"
        /// Every link key of the run (held by no link any more).
        case revokeLinkKeys = "revoke-link-keys"
        /// Checks that nothing jumpchain made is left.
        case endState = "end-state"
    }
}

extension TeardownStep.Kind: SitedStepKind {
    public static var operation: OperationKind { .teardown }

    /// Which endpoints a teardown step calls (the jump through a session key, so with the control plane).
    public var calls: [StepEndpoint] {
        switch self {
        case .disableAutoCreate: [.controlPlane, .jump, .target]
        case .targetMirrors: [.target]
        case .leg2: [.target]
        case .leg1Source: [.origin]
        case .jumpMirrors: [.controlPlane, .jump]
        case .leg1Destination: [.controlPlane, .jump]
        case .canaryTopic: [.origin]
        case .acls: [.controlPlane, .jump, .origin]
        case .revokeLinkKeys: [.controlPlane]
        // In a multi-site plan narrowed to its site's clusters: each deleted half was observed gone by its step.
        case .endState: [.controlPlane, .origin, .jump, .target]
        }
    }
}

/// What `destroy` removes: the chain's topics on each hop, the ACLs jumpchain created and what happens to the
/// target's mirrors. Built from a run's recorded plan and step outputs, or (state lost) from a playbook and
/// what exists on the clusters under its link names.
public struct TeardownScope: Sendable {
    public enum TargetTopics: String, Sendable, CaseIterable {
        /// Fail the target's mirrors over: they stay as normal, writable topics with their data.
        case keep
        /// Delete the target's mirror topics.
        case delete
    }

    /// The mirrored topics, canary excluded.
    public var topics: [ChainTopology.ChainTopic]
    /// The canary's mirror names on each hop, when the rollout used one.
    public var canary: ChainTopology.ChainTopic?
    /// Whether jumpchain created the canary topic on the origin (then it deletes it).
    public var originCanaryCreated: Bool
    /// ACL bindings jumpchain created on the jump and on the origin.
    public var jumpACLs: [ACLBinding]
    public var originACLs: [ACLBinding]
    /// Set when jumpchain cannot tell which ACLs it created (state lost, or a run of an older version): then it
    /// deletes none and says why.
    public var aclsUnknown: String?
    public var targetTopics: TargetTopics?

    public init(
        topics: [ChainTopology.ChainTopic] = [], canary: ChainTopology.ChainTopic? = nil,
        originCanaryCreated: Bool = false, jumpACLs: [ACLBinding] = [], originACLs: [ACLBinding] = [],
        aclsUnknown: String? = nil, targetTopics: TargetTopics? = nil
    ) {
        self.topics = topics
        self.canary = canary
        self.originCanaryCreated = originCanaryCreated
        self.jumpACLs = jumpACLs
        self.originACLs = originACLs
        self.aclsUnknown = aclsUnknown
        self.targetTopics = targetTopics
    }

    /// Mirror names on the jump that jumpchain created (canary included).
    public var jumpMirrors: [String] { (topics + [canary].compactMap { $0 }).map(\.jumpMirror) }
}

/// Turns a teardown scope into the persisted step graph: one chain, each step after the previous one.
public enum TeardownPlanner {
    /// With the playbook's `sites`, every step is placed at a site that reaches what it calls.
    public static func plan(_ playbook: Playbook, scope: TeardownScope) throws(JumpchainError) -> Plan {
        let origin = "cluster:\(playbook.origin.id)"
        let jump = "cluster:\(playbook.jump.id)"
        let target = "cluster:\(playbook.target.id)"
        func list(_ items: [String]) -> String { items.joined(separator: ",") }
        var parameters: [TeardownStep.Kind: [String: String]] = [
            .targetMirrors: [
                "mode": scope.targetTopics?.rawValue ?? "", "mirrors": list(scope.topics.map(\.targetMirror)),
                "canary": scope.canary?.targetMirror ?? "",
            ],
            .jumpMirrors: ["mirrors": list(scope.jumpMirrors)],
            .canaryTopic: ["topic": scope.originCanaryCreated ? (scope.canary?.origin ?? "") : ""],
            .acls: ["jump": ACLRecord.encode(scope.jumpACLs), "origin": ACLRecord.encode(scope.originACLs)],
            .endState: ["jump_topics": list(scope.jumpMirrors), "jump_acls": ACLRecord.encode(scope.jumpACLs)],
        ]
        let resources: [TeardownStep.Kind: [String]] = [
            .disableAutoCreate: [jump, target], .targetMirrors: [target], .leg2: [target], .leg1Source: [origin],
            .jumpMirrors: [jump],
            .leg1Destination: [jump], .canaryTopic: [origin], .acls: [jump, origin],
        ]
        // Multi-site, with no site reaching both private clusters: the end-state check runs with the last steps,
        // at the origin's site, and reads the links there (the target's leg 2 was observed gone by its step).
        if playbook.noSiteReachesBoth {
            parameters[.endState, default: [:]][StepSites.clustersParameter] = PlaybookCluster.Role.origin.rawValue
        }
        var steps: [StepSpec] = []
        var previous: String?
        for kind in TeardownStep.Kind.allCases where kind != .disableAutoCreate || playbook.topics.autoCreate {
            steps.append(
                StepSpec(
                    id: kind.rawValue, kind: kind.rawValue, dependsOn: previous.map { [$0] } ?? [],
                    parameters: parameters[kind] ?? [:], resources: resources[kind] ?? [], timeoutSeconds: 900))
            previous = kind.rawValue
        }
        let plan: Plan
        do {
            plan = try Plan(steps: steps)
        } catch {
            throw JumpchainError(.internalError, "the teardown planner built an invalid graph: \(error)", cause: error)
        }
        return try SiteAssignment.assign(plan, playbook: playbook, steps: TeardownStep.Kind.self)
    }
}
