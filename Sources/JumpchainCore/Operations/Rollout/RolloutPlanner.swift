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
    /// The preflight that checks the origin and records its ACL budget (`origin_acls_before`, the origin's
    /// PREFIXED decision): `preflight`, or in a multi-site plan whose first site does not reach the origin, the
    /// `preflight:<site>` of the first site that does.
    public static func originPreflight(_ playbook: Playbook) -> String {
        let sites = playbook.siteList
        guard let first = sites.first, !playbook.site(first, reaches: .origin),
            let site = sites.first(where: { playbook.site($0, reaches: .origin) })
        else { return preflight }
        return "\(preflight):\(site.name)"
    }
    /// The preflight whose outputs hold the origin's ACL budget for the plan's `acls-origin` step: the preflight
    /// it depends on (`preflight` in plans made before the budget moved to the site that reaches the origin).
    public static func originBudgetStep(_ originACLs: StepSpec?) -> String {
        originACLs?.dependsOn.first { $0 == preflight || $0.hasPrefix(preflight + ":") } ?? preflight
    }
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
        // A multi-site run checks at every site what that site reaches: the first site's preflight gates the
        // run, each other site's gates that site's steps.
        let sitePreflights = preflights(playbook, into: &steps)
        if playbook.link.manageACLs {
            steps.append(
                StepSpec(
                    id: RolloutStep.jumpACLs, kind: RolloutStep.jumpACLs, dependsOn: [RolloutStep.preflight],
                    resources: [jump]))
            aclSteps = [RolloutStep.jumpACLs]
            if playbook.link.originPrincipal != nil {
                steps.append(
                    StepSpec(
                        id: RolloutStep.originACLs, kind: RolloutStep.originACLs,
                        dependsOn: [RolloutStep.originPreflight(playbook)], resources: [origin]))
                aclSteps.append(RolloutStep.originACLs)
            }
        }
        let keyTimeout: Double = 900
        // Without `origin_local_credentials`, leg 1's local credentials are an origin link key minted here.
        let mintsOrigin = playbook.link.mintsOriginKey
        let perLeg = !playbook.siteList.isEmpty
        if mintsOrigin {
            // In a multi-site plan it belongs to leg 1: minted after leg 1's key (so after the preflights of the
            // sites that reach the origin) at the site that creates leg 1's source half, which takes both.
            steps.append(
                StepSpec(
                    id: RolloutStep.originLinkKey, kind: RolloutStep.originLinkKey,
                    dependsOn: aclSteps + (perLeg ? [RolloutStep.perLeg(RolloutStep.linkKey, "leg1")] : []),
                    parameters: perLeg ? [RolloutStep.legParameter: "leg1"] : [:], timeoutSeconds: keyTimeout))
        }
        if perLeg {
            steps += perLegKeySteps(
                aclSteps: aclSteps, origin: origin, target: target, jump: jump, timeout: keyTimeout,
                mintsOrigin: mintsOrigin)
        } else {
            steps += oneKeySteps(
                aclSteps: aclSteps, origin: origin, target: target, jump: jump, timeout: keyTimeout,
                mintsOrigin: mintsOrigin)
        }
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
        let mirrorsGate = perLeg ? RolloutStep.perLeg(RolloutStep.linksHealthy, "leg1") : RolloutStep.linksHealthy
        let targetGate = perLeg ? [RolloutStep.perLeg(RolloutStep.linksHealthy, "leg2")] : []
        for position in steps.indices {
            if steps[position].kind == RolloutStep.mirrorJump {
                steps[position].dependsOn[0] = mirrorsGate
            } else if steps[position].kind == RolloutStep.mirrorTarget {
                steps[position].dependsOn += targetGate
            }
        }
        // A leg starts once the sites that can create its half have checked what they reach.
        for position in steps.indices where steps[position].kind == RolloutStep.linkKey && perLeg {
            let role: PlaybookCluster.Role =
                steps[position].parameters[RolloutStep.legParameter] == "leg1" ? .origin : .target
            steps[position].dependsOn += sitePreflights.filter { playbook.site($0.site, reaches: role) }.map(\.id)
        }
        // Verification reads the origin and the target together. When no site of a multi-site plan reaches both,
        // each side's site reads what it reaches and records it, and a last step compares the two records.
        let verifyGate =
            !targetMirrorSteps.isEmpty
            ? targetMirrorSteps : perLeg ? [mirrorsGate] + targetGate : [RolloutStep.linksHealthy]
        let oneSiteVerifies =
            !perLeg
            || !SiteAssignment.candidates(
                StepSpec(id: RolloutStep.verify, kind: RolloutStep.verify), playbook: playbook
            )
            .isEmpty
        let verifyParameters = ["topics": allTopics.joined(separator: ",")]
        if oneSiteVerifies {
            steps.append(
                StepSpec(
                    id: RolloutStep.verify, kind: RolloutStep.verify, dependsOn: verifyGate,
                    parameters: verifyParameters, timeoutSeconds: 1800))
        } else {
            let jumpMirrors = steps.filter { $0.kind == RolloutStep.mirrorJump }.map(\.id)
            let originSide = RolloutStep.perSide(RolloutStep.verify, .origin)
            let targetSide = RolloutStep.perSide(RolloutStep.verify, .target)
            steps += [
                // Leg 1 once its mirrors exist: the origin's site takes it in the same turn that creates them.
                StepSpec(
                    id: originSide, kind: RolloutStep.verify,
                    dependsOn: jumpMirrors.isEmpty ? [mirrorsGate] : jumpMirrors,
                    parameters: verifyParameters.merging([
                        RolloutStep.observesParameter: RolloutStep.VerifyObserves.origin.rawValue
                    ]) { $1 },
                    timeoutSeconds: 1800),
                StepSpec(
                    id: targetSide, kind: RolloutStep.verify, dependsOn: [originSide] + verifyGate,
                    parameters: verifyParameters.merging([
                        RolloutStep.observesParameter: RolloutStep.VerifyObserves.target.rawValue
                    ]) { $1 },
                    timeoutSeconds: 1800),
                StepSpec(
                    id: RolloutStep.verify, kind: RolloutStep.verify, dependsOn: [originSide, targetSide],
                    parameters: verifyParameters.merging([
                        RolloutStep.observesParameter: RolloutStep.VerifyObserves.recorded.rawValue
                    ]) { $1 }),
            ]
        }
        // The origin's ACL budget may be decided at another site than the first's: nothing changes a cluster
        // before it passed, so a refusal there leaves every cluster as it was.
        let originGate = RolloutStep.originPreflight(playbook)
        if playbook.link.manageACLs, playbook.link.originPrincipal != nil, originGate != RolloutStep.preflight {
            for position in steps.indices
            where steps[position].kind != RolloutStep.preflight
                && steps[position].dependsOn.contains(RolloutStep.preflight)
                && !steps[position].dependsOn.contains(originGate)
            {
                steps[position].dependsOn.append(originGate)
            }
        }
        let plan: Plan
        do {
            plan = try Plan(steps: steps)
        } catch {
            throw JumpchainError(.internalError, "the rollout planner built an invalid graph: \(error)", cause: error)
        }
        return try SiteAssignment.assign(plan, playbook: playbook)
    }

    /// The extra preflight of every site after the first in a multi-site plan (the first site's is `preflight`,
    /// narrowed to what it reaches). Returns their ids.
    static func preflights(_ playbook: Playbook, into steps: inout [StepSpec]) -> [(id: String, site: PlaybookSite)] {
        let sites = playbook.siteList
        guard let first = sites.first else { return [] }
        func clusters(_ site: PlaybookSite) -> String {
            [PlaybookCluster.Role.origin, .target].filter { playbook.site(site, reaches: $0) }.map(\.rawValue)
                .joined(separator: ",")
        }
        steps[0].parameters[RolloutStep.clustersParameter] = clusters(first)
        steps[0].site = first.name
        var ids: [(id: String, site: PlaybookSite)] = []
        for site in sites.dropFirst() {
            let id = "\(RolloutStep.preflight):\(site.name)"
            steps.append(
                StepSpec(
                    id: id, kind: RolloutStep.preflight, dependsOn: [RolloutStep.preflight],
                    parameters: [RolloutStep.clustersParameter: clusters(site)], timeoutSeconds: 900, site: site.name))
            ids.append((id, site))
        }
        return ids
    }

    /// Single-site: one link key, minted once, handed to both legs' halves, then its secret wiped.
    static func oneKeySteps(
        aclSteps: [String], origin: String, target: String, jump: String, timeout: Double, mintsOrigin: Bool
    )
        -> [StepSpec]
    {
        let linkSecrets = [RolloutStep.linkCredential] + (mintsOrigin ? [RolloutStep.originLinkCredential] : [])
        return [
            StepSpec(
                id: RolloutStep.linkKey, kind: RolloutStep.linkKey, dependsOn: aclSteps, timeoutSeconds: timeout),
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
                dependsOn: [RolloutStep.leg1Source, RolloutStep.leg2], timeoutSeconds: timeout,
                requiresEphemeral: linkSecrets),
            StepSpec(
                id: RolloutStep.destroySecret, kind: RolloutStep.destroySecret,
                dependsOn: [RolloutStep.finalizeLinkKey]),
            StepSpec(
                id: RolloutStep.linksHealthy, kind: RolloutStep.linksHealthy, dependsOn: [RolloutStep.destroySecret],
                timeoutSeconds: 900),
        ]
    }

    /// Multi-site: one link key per leg, minted, handed to its link half and wiped at the site that creates
    /// that half (SECURITY.md, "The link key across sites"); the jump then holds two keys, each held by one link.
    static func perLegKeySteps(
        aclSteps: [String], origin: String, target: String, jump: String, timeout: Double, mintsOrigin: Bool
    )
        -> [StepSpec]
    {
        var steps = [
            StepSpec(
                id: RolloutStep.leg1Destination, kind: RolloutStep.leg1Destination, dependsOn: aclSteps,
                resources: [jump])
        ]
        for (leg, half, resource) in [("leg1", RolloutStep.leg1Source, origin), ("leg2", RolloutStep.leg2, target)] {
            let credential = RolloutStep.credentialName(leg: leg)
            // Leg 1's source half also takes the origin link key (minted at the same site, the origin's).
            let mintedOrigin = leg == "leg1" && mintsOrigin
            let secrets = [credential] + (mintedOrigin ? [RolloutStep.originLinkCredential] : [])
            let parameters = [RolloutStep.legParameter: leg]
            let key = RolloutStep.perLeg(RolloutStep.linkKey, leg)
            let finalize = RolloutStep.perLeg(RolloutStep.finalizeLinkKey, leg)
            let destroy = RolloutStep.perLeg(RolloutStep.destroySecret, leg)
            steps += [
                StepSpec(
                    id: key, kind: RolloutStep.linkKey, dependsOn: aclSteps, parameters: parameters,
                    timeoutSeconds: timeout),
                StepSpec(
                    id: half, kind: half,
                    dependsOn: (leg == "leg1" ? [RolloutStep.leg1Destination] : [])
                        + (mintedOrigin ? [RolloutStep.originLinkKey] : []) + [key],
                    parameters: parameters, resources: [resource], requiresEphemeral: secrets),
                StepSpec(
                    id: finalize, kind: RolloutStep.finalizeLinkKey, dependsOn: [half], parameters: parameters,
                    timeoutSeconds: timeout, requiresEphemeral: secrets),
                StepSpec(id: destroy, kind: RolloutStep.destroySecret, dependsOn: [finalize], parameters: parameters),
                StepSpec(
                    id: RolloutStep.perLeg(RolloutStep.linksHealthy, leg), kind: RolloutStep.linksHealthy,
                    dependsOn: [destroy], parameters: parameters, timeoutSeconds: 900),
            ]
        }
        return steps
    }
}

extension RolloutStep {
    /// The id of a per-leg step of a multi-site plan (`link-key:leg1`).
    public static func perLeg(_ id: String, _ leg: String) -> String { "\(id):\(leg)" }

    /// The id of a multi-site plan's per-side verification step (`verify:origin`, `verify:target`).
    public static func perSide(_ id: String, _ side: PlaybookCluster.Role) -> String { "\(id):\(side.rawValue)" }

    /// The in-memory name of a leg's link key and secret in a multi-site run (never persisted).
    public static func credentialName(leg: String?) -> String {
        leg.map { "\(linkCredential):\($0)" } ?? linkCredential
    }
}
