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

    /// What `step` calls, narrowed by a multi-site plan's parameters: a preflight's `clusters`, a verification's
    /// side (as the rollout's), and the legs whose options `link-configs` changes (leg 1's live on the jump).
    public static func calls(_ step: StepSpec) -> [StepEndpoint] {
        guard let kind = Self(rawValue: step.kind) else { return [] }
        switch kind {
        case .verify: return RolloutStep.Kind.calls(step)
        case .linkConfigs:
            let leg1 = step.parameters.keys.contains { $0.hasPrefix("leg1.") }
            let leg2 = step.parameters.keys.contains { $0.hasPrefix("leg2.") }
            return (leg1 ? [.controlPlane, .jump] : []) + (leg2 ? [.target] : [])
        case .preflight, .jumpACLs, .originACLs, .mirrorJump, .mirrorTarget, .pruneTarget, .pruneJump:
            return StepSites.narrowed(kind.calls, step)
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

    public init(
        added: [ChainTopology.ChainTopic], removed: [ChainTopology.ChainTopic], leg1Options: [String: String] = [:],
        leg2Options: [String: String] = [:], prune: Bool = false, prunedACLs: [String: [ACLBinding]] = [:]
    ) {
        self.added = added
        self.removed = removed
        self.leg1Options = leg1Options
        self.leg2Options = leg2Options
        self.prune = prune
        self.prunedACLs = prunedACLs
    }

    public var isEmpty: Bool {
        added.isEmpty && (removed.isEmpty || !prune) && leg1Options.isEmpty && leg2Options.isEmpty
    }
}

public enum UpdatePlanner {
    /// The update's steps. With `sites` (a multi-site playbook run with `--site`, or `plan` of one), every step is
    /// placed at a site that reaches what it calls; when no site reaches both private clusters, the steps that
    /// read both are split (``split(_:)``).
    public static func plan(_ playbook: Playbook, diff: UpdateDiff, sites: Bool) throws(JumpchainError) -> Plan {
        let plan = try plan(playbook, diff: diff)
        guard sites, !playbook.siteList.isEmpty else { return plan }
        return try SiteAssignment.assign(
            playbook.noSiteReachesBoth ? try split(plan) : plan, playbook: playbook, steps: UpdateStep.Kind.self)
    }

    /// The id of the target's site's preflight in a split plan.
    public static let targetPreflight = RolloutStep.perSide(UpdateStep.Kind.preflight.rawValue, .target)

    /// When no site reaches both private clusters. The origin's site plans the update (it reads the selection on
    /// the origin) and runs `preflight` on what it reaches (the added topics on the origin, their names on the
    /// jump, the ACL budget of both halves); the target's site runs `preflight:target` (the added mirrors' names
    /// on the target) before any step that changes the target. Verification is split as the rollout's:
    /// `verify:origin` records leg 1, `verify:target` leg 2, and `verify` compares the records.
    static func split(_ plan: Plan) throws(JumpchainError) -> Plan {
        let preflight = UpdateStep.Kind.preflight.rawValue
        let verify = UpdateStep.Kind.verify.rawValue
        var steps: [StepSpec] = []
        for var step in plan.steps {
            if step.id == preflight {
                steps += StepSites.splitPreflight(step, first: .origin, second: .target, secondID: targetPreflight)
                continue
            }
            if step.id == verify {
                let jumpMirrors = plan.steps.filter { $0.kind == RolloutStep.mirrorJump }.map(\.id)
                let originSide = RolloutStep.perSide(verify, .origin)
                let targetSide = RolloutStep.perSide(verify, .target)
                func side(_ observes: RolloutStep.VerifyObserves) -> [String: String] {
                    step.parameters.merging([RolloutStep.observesParameter: observes.rawValue]) { $1 }
                }
                steps += [
                    StepSpec(
                        id: originSide, kind: verify, dependsOn: jumpMirrors.isEmpty ? [preflight] : jumpMirrors,
                        parameters: side(.origin), timeoutSeconds: step.timeoutSeconds),
                    StepSpec(
                        id: targetSide, kind: verify,
                        dependsOn: [originSide, targetPreflight] + step.dependsOn.filter { $0 != preflight },
                        parameters: side(.target), timeoutSeconds: step.timeoutSeconds),
                    StepSpec(
                        id: verify, kind: verify, dependsOn: [originSide, targetSide], parameters: side(.recorded)),
                ]
                continue
            }
            // Nothing changes the target before its site has checked it.
            if UpdateStep.Kind.calls(step).contains(.target) { step.dependsOn.append(targetPreflight) }
            steps.append(step)
        }
        do {
            return try Plan(steps: steps)
        } catch {
            throw JumpchainError(.internalError, "the update planner built an invalid graph: \(error)", cause: error)
        }
    }

    static func plan(_ playbook: Playbook, diff: UpdateDiff) throws(JumpchainError) -> Plan {
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
