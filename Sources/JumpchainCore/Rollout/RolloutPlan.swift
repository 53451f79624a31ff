public import Workflow

/// Step kinds of the jump-chain rollout, in the order the graph runs them.
public enum RolloutStep {
    public static let preflight = "preflight"
    public static let jumpACLs = "acls-jump"
    public static let originACLs = "acls-origin"
    public static let linkKey = "link-key"
    public static let leg1Destination = "leg1-destination"
    public static let leg1Source = "leg1-source"
    public static let leg2 = "leg2"
    public static let finalizeLinkKey = "finalize-link-key"
    public static let destroySecret = "destroy-secret"
    public static let linksHealthy = "links-healthy"
    public static let canaryTopic = "canary-topic"
    public static let mirrorJump = "mirror-jump"
    public static let mirrorTarget = "mirror-target"
    public static let verify = "verify"

    /// The in-memory material that holds the link key and its secret; never persisted.
    public static let linkCredential = "link-credential"
}

/// Turns a playbook and the resolved topic list into the persisted step graph.
public enum RolloutPlanner {
    /// `topics` are the origin topics the playbook selects (names plus pattern matches), resolved once at plan
    /// time: a resumed run executes this recorded plan, not a re-plan.
    public static func plan(_ playbook: Playbook, topics: [String]) throws(JumpchainError) -> Plan {
        let origin = "cluster:\(playbook.origin.id)"
        let jump = "cluster:\(playbook.jump.id)"
        let target = "cluster:\(playbook.target.id)"
        var steps: [StepSpec] = []
        steps.append(StepSpec(id: RolloutStep.preflight, kind: RolloutStep.preflight, timeoutSeconds: 900))
        var aclSteps = [RolloutStep.preflight]
        if playbook.link.manageACLs {
            steps.append(
                StepSpec(
                    id: RolloutStep.jumpACLs, kind: RolloutStep.jumpACLs, dependsOn: [RolloutStep.preflight],
                    resources: [jump]))
            aclSteps = [RolloutStep.jumpACLs]
            if playbook.link.originPrincipal != nil {
                steps.append(
                    StepSpec(
                        id: RolloutStep.originACLs, kind: RolloutStep.originACLs, dependsOn: [RolloutStep.preflight],
                        resources: [origin]))
                aclSteps.append(RolloutStep.originACLs)
            }
        }
        let keyTimeout: Double = 900
        steps += [
            StepSpec(
                id: RolloutStep.linkKey, kind: RolloutStep.linkKey, dependsOn: aclSteps, timeoutSeconds: keyTimeout),
            StepSpec(
                id: RolloutStep.leg1Destination, kind: RolloutStep.leg1Destination, dependsOn: aclSteps,
                resources: [jump]),
            StepSpec(
                id: RolloutStep.leg1Source, kind: RolloutStep.leg1Source,
                dependsOn: [RolloutStep.leg1Destination, RolloutStep.linkKey], resources: [origin],
                requiresEphemeral: [RolloutStep.linkCredential]),
            StepSpec(
                id: RolloutStep.leg2, kind: RolloutStep.leg2, dependsOn: [RolloutStep.linkKey], resources: [target],
                requiresEphemeral: [RolloutStep.linkCredential]),
            StepSpec(
                id: RolloutStep.finalizeLinkKey, kind: RolloutStep.finalizeLinkKey,
                dependsOn: [RolloutStep.leg1Source, RolloutStep.leg2], timeoutSeconds: keyTimeout,
                requiresEphemeral: [RolloutStep.linkCredential]),
            StepSpec(
                id: RolloutStep.destroySecret, kind: RolloutStep.destroySecret,
                dependsOn: [RolloutStep.finalizeLinkKey]),
            StepSpec(
                id: RolloutStep.linksHealthy, kind: RolloutStep.linksHealthy, dependsOn: [RolloutStep.destroySecret],
                timeoutSeconds: 900),
        ]
        var allTopics = topics
        if playbook.verify.canary {
            steps.append(
                StepSpec(
                    id: RolloutStep.canaryTopic, kind: RolloutStep.canaryTopic, dependsOn: [RolloutStep.preflight],
                    parameters: ["topic": playbook.verify.canaryTopic], resources: [origin]))
            if !allTopics.contains(playbook.verify.canaryTopic) { allTopics.append(playbook.verify.canaryTopic) }
        }
        let leg1Prefix = playbook.link.leg1Options["cluster.link.prefix"] ?? ""
        let leg2Prefix = playbook.link.leg2Options["cluster.link.prefix"] ?? ""
        var targetMirrorSteps: [String] = []
        for topic in allTopics {
            let jumpMirror = leg1Prefix + topic
            let targetMirror = leg2Prefix + jumpMirror
            let isCanary = playbook.verify.canary && topic == playbook.verify.canaryTopic
            let jumpID = "\(RolloutStep.mirrorJump):\(topic)"
            let targetID = "\(RolloutStep.mirrorTarget):\(topic)"
            steps.append(
                StepSpec(
                    id: jumpID, kind: RolloutStep.mirrorJump,
                    dependsOn: [RolloutStep.linksHealthy] + (isCanary ? [RolloutStep.canaryTopic] : []),
                    parameters: ["topic": topic, "source_topic": topic, "mirror_topic": jumpMirror],
                    resources: [jump]))
            steps.append(
                StepSpec(
                    id: targetID, kind: RolloutStep.mirrorTarget, dependsOn: [jumpID],
                    parameters: ["topic": topic, "source_topic": jumpMirror, "mirror_topic": targetMirror],
                    resources: [target]))
            targetMirrorSteps.append(targetID)
        }
        steps.append(
            StepSpec(
                id: RolloutStep.verify, kind: RolloutStep.verify,
                dependsOn: targetMirrorSteps.isEmpty ? [RolloutStep.linksHealthy] : targetMirrorSteps,
                parameters: ["topics": allTopics.joined(separator: ",")], timeoutSeconds: 1800))
        do {
            return try Plan(steps: steps)
        } catch {
            throw JumpchainError(.internalError, "the rollout planner built an invalid graph: \(error)", cause: error)
        }
    }
}
