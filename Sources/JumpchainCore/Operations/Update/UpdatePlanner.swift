public import ConfluentAPI
public import Workflow

/// Step ids of an update (`apply` on a changed playbook of a finished run).
public enum UpdateStep {
    /// What an update step does: the executor and the request preview switch over every case.
    public enum Kind: String, CaseIterable, Sendable {
        /// The added topics exist on the origin and no foreign topic holds their mirror names; records the link
        /// principals' ACLs before any change.
        case preflight
        /// READ, DESCRIBE, DESCRIBE_CONFIGS on the added jump mirrors for the link principal.
        case jumpACLs = "acls-jump"
        /// The same on the added origin topics for leg 1's local principal.
        case originACLs = "acls-origin"
        /// Changed alterable link options, with `configs:alter`.
        case linkConfigs = "link-configs"
        /// A mirror of an added topic on the jump over leg 1 (the rollout's step).
        case mirrorJump = "mirror-jump"
        /// Its mirror on the target over leg 2 (the rollout's step).
        case mirrorTarget = "mirror-target"
        /// `--prune`: the target mirror of a topic no longer wanted is failed over (stays a writable topic).
        case pruneTarget = "prune-target"
        /// `--prune`: its jump mirror is deleted, with the ACLs jumpchain created for it.
        case pruneJump = "prune-jump"
        /// Offsets and lag of the added topics across both hops.
        case verify
    }
}

extension UpdateStep.Kind: SitedStepKind {
    public static var operation: OperationKind { .update }

    /// Which endpoints an update step calls (the jump through a session key, so with the control plane).
    public var calls: [StepEndpoint] {
        switch self {
        case .preflight: [.controlPlane, .origin, .jump, .target]
        case .jumpACLs: [.controlPlane, .jump]
        case .originACLs: [.origin]
        case .linkConfigs: [.controlPlane, .jump, .target]
        case .mirrorJump: [.controlPlane, .jump]
        case .mirrorTarget: [.target]
        case .pruneTarget: [.target]
        case .pruneJump: [.controlPlane, .jump]
        case .verify: [.controlPlane, .origin, .jump, .target]
        }
    }
}

/// What changes between the chain as it is and a changed playbook.
public struct UpdateDiff: Sendable {
    /// Topics to add (names and new pattern matches), with their mirror names on each hop.
    public var added: [ChainTopology.ChainTopic]
    /// Topics the playbook no longer selects (pruned only with `--prune`).
    public var removed: [ChainTopology.ChainTopic]
    /// Changed alterable options per leg (`leg1`, `leg2`): name → new value.
    public var leg1Options: [String: String]
    public var leg2Options: [String: String]
    public var prune: Bool
    /// For each removed topic (by origin name), the ACL bindings jumpchain created for its jump mirror.
    public var prunedACLs: [String: [ACLBinding]] = [:]
    /// The PREFIXED names the chain's ACL budget recorded on the jump and on the origin: the only held
    /// PREFIXED bindings the update's budget reuses (recorded in its preflight's parameters).
    public var chainJumpPrefixes: [String] = []
    public var chainOriginPrefixes: [String] = []

    public var isEmpty: Bool {
        added.isEmpty && (removed.isEmpty || !prune) && leg1Options.isEmpty && leg2Options.isEmpty
    }
}

public enum UpdatePlanner {
    public static func plan(_ playbook: Playbook, diff: UpdateDiff) throws(JumpchainError) -> Plan {
        let origin = "cluster:\(playbook.origin.id)"
        let jump = "cluster:\(playbook.jump.id)"
        let target = "cluster:\(playbook.target.id)"
        let preflight = UpdateStep.Kind.preflight.rawValue
        var steps = [StepSpec(id: preflight, kind: preflight, timeoutSeconds: 900)]
        for (key, prefixes) in [
            (ACLBudget.jumpPrefixesKey, diff.chainJumpPrefixes),
            (ACLBudget.originPrefixesKey, diff.chainOriginPrefixes),
        ] where !prefixes.isEmpty {
            steps[0].parameters[key] = prefixes.joined(separator: ",")
        }
        var before = [preflight]
        // Auto-create filters turned on or changed need their ACLs before the links use them.
        let filtersChanged =
            playbook.topics.autoCreate
            && (diff.leg1Options["auto.create.mirror.topics.filters"] != nil
                || diff.leg2Options["auto.create.mirror.topics.filters"] != nil)
        if playbook.link.manageACLs, !diff.added.isEmpty || filtersChanged {
            let id = UpdateStep.Kind.jumpACLs.rawValue
            steps.append(StepSpec(id: id, kind: id, dependsOn: [preflight], resources: [jump]))
            before = [id]
            if playbook.link.originPrincipal != nil {
                let id = UpdateStep.Kind.originACLs.rawValue
                steps.append(StepSpec(id: id, kind: id, dependsOn: [preflight], resources: [origin]))
                before.append(id)
            }
        }
        if !diff.leg1Options.isEmpty || !diff.leg2Options.isEmpty {
            let id = UpdateStep.Kind.linkConfigs.rawValue
            var parameters: [String: String] = [:]
            for (name, value) in diff.leg1Options { parameters["leg1." + name] = value }
            for (name, value) in diff.leg2Options { parameters["leg2." + name] = value }
            steps.append(StepSpec(id: id, kind: id, dependsOn: before, parameters: parameters))
        }
        var targets: [String] = []
        for topic in diff.added {
            let jumpID = "\(RolloutStep.mirrorJump):\(topic.origin)"
            let targetID = "\(RolloutStep.mirrorTarget):\(topic.origin)"
            steps.append(
                StepSpec(
                    id: jumpID, kind: RolloutStep.mirrorJump, dependsOn: before,
                    parameters: [
                        "topic": topic.origin, "source_topic": topic.origin, "mirror_topic": topic.jumpMirror,
                    ],
                    resources: [jump]))
            steps.append(
                StepSpec(
                    id: targetID, kind: RolloutStep.mirrorTarget, dependsOn: [jumpID],
                    parameters: [
                        "topic": topic.origin, "source_topic": topic.jumpMirror, "mirror_topic": topic.targetMirror,
                    ], resources: [target]))
            targets.append(targetID)
        }
        if diff.prune {
            // After new auto-create filters (if any) are in place, so a pruned mirror is not created again.
            let pruneAfter =
                steps.contains { $0.id == UpdateStep.Kind.linkConfigs.rawValue }
                ? [preflight, UpdateStep.Kind.linkConfigs.rawValue] : [preflight]
            for topic in diff.removed {
                let targetID = "\(UpdateStep.Kind.pruneTarget.rawValue):\(topic.origin)"
                let jumpID = "\(UpdateStep.Kind.pruneJump.rawValue):\(topic.origin)"
                let parameters = [
                    "topic": topic.origin, "jump_mirror": topic.jumpMirror, "target_mirror": topic.targetMirror,
                    "acls": ACLRecord.encode(diff.prunedACLs[topic.origin] ?? []),
                ]
                steps.append(
                    StepSpec(
                        id: targetID, kind: UpdateStep.Kind.pruneTarget.rawValue, dependsOn: pruneAfter,
                        parameters: parameters, resources: [target]))
                steps.append(
                    StepSpec(
                        id: jumpID, kind: UpdateStep.Kind.pruneJump.rawValue, dependsOn: [targetID],
                        parameters: parameters, resources: [jump]))
            }
        }
        let verify = UpdateStep.Kind.verify.rawValue
        steps.append(
            StepSpec(
                id: verify, kind: verify, dependsOn: targets.isEmpty ? [preflight] : targets,
                parameters: ["topics": diff.added.map(\.origin).joined(separator: ",")], timeoutSeconds: 1800))
        do {
            return try Plan(steps: steps)
        } catch {
            throw JumpchainError(.internalError, "the update planner built an invalid graph: \(error)", cause: error)
        }
    }
}
