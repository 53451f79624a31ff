public import Workflow

/// Step ids of the jump-chain rollout, in the order the graph runs them (a singleton step's id is its kind).
public enum RolloutStep {
    /// What a rollout step does: the executor and the request preview switch over every case, so a new step
    /// kind does not compile until both say what it does.
    public enum Kind: String, CaseIterable, Sendable {
        case preflight
        case jumpACLs = "acls-jump"
        case originACLs = "acls-origin"
        case linkKey = "link-key"
        case originLinkKey = "origin-link-key"
        case leg1Destination = "leg1-destination"
        case leg1Source = "leg1-source"
        case leg2
        case finalizeLinkKey = "finalize-link-key"
        case destroySecret = "destroy-secret"
        case linksHealthy = "links-healthy"
        case canaryTopic = "canary-topic"
        case mirrorJump = "mirror-jump"
        case mirrorTarget = "mirror-target"
        case verify
    }

    public static let preflight = Kind.preflight.rawValue
    public static let jumpACLs = Kind.jumpACLs.rawValue
    public static let originACLs = Kind.originACLs.rawValue
    public static let linkKey = Kind.linkKey.rawValue
    public static let originLinkKey = Kind.originLinkKey.rawValue
    public static let leg1Destination = Kind.leg1Destination.rawValue
    public static let leg1Source = Kind.leg1Source.rawValue
    public static let leg2 = Kind.leg2.rawValue
    public static let finalizeLinkKey = Kind.finalizeLinkKey.rawValue
    public static let destroySecret = Kind.destroySecret.rawValue
    public static let linksHealthy = Kind.linksHealthy.rawValue
    public static let canaryTopic = Kind.canaryTopic.rawValue
    public static let mirrorJump = Kind.mirrorJump.rawValue
    public static let mirrorTarget = Kind.mirrorTarget.rawValue
    public static let verify = Kind.verify.rawValue

    /// The in-memory material that holds the link key and its secret; never persisted.
    public static let linkCredential = "link-credential"
    /// The in-memory material that holds the origin link key and its secret; never persisted.
    public static let originLinkCredential = "origin-link-credential"
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
        // Without `origin_local_credentials`, leg 1's local credentials are an origin link key minted here.
        let mintsOrigin = playbook.link.mintsOriginKey
        if mintsOrigin {
            steps.append(
                StepSpec(
                    id: RolloutStep.originLinkKey, kind: RolloutStep.originLinkKey, dependsOn: aclSteps,
                    timeoutSeconds: keyTimeout))
        }
        let linkSecrets = [RolloutStep.linkCredential] + (mintsOrigin ? [RolloutStep.originLinkCredential] : [])
        steps += [
            StepSpec(
                id: RolloutStep.linkKey, kind: RolloutStep.linkKey, dependsOn: aclSteps, timeoutSeconds: keyTimeout),
            StepSpec(
                id: RolloutStep.leg1Destination, kind: RolloutStep.leg1Destination, dependsOn: aclSteps,
                resources: [jump]),
            StepSpec(
                id: RolloutStep.leg1Source, kind: RolloutStep.leg1Source,
                dependsOn: [RolloutStep.leg1Destination, RolloutStep.linkKey]
                    + (mintsOrigin ? [RolloutStep.originLinkKey] : []), resources: [origin],
                requiresEphemeral: linkSecrets),
            StepSpec(
                id: RolloutStep.leg2, kind: RolloutStep.leg2, dependsOn: [RolloutStep.linkKey], resources: [target],
                requiresEphemeral: [RolloutStep.linkCredential]),
            StepSpec(
                id: RolloutStep.finalizeLinkKey, kind: RolloutStep.finalizeLinkKey,
                dependsOn: [RolloutStep.leg1Source, RolloutStep.leg2], timeoutSeconds: keyTimeout,
                requiresEphemeral: linkSecrets),
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
