import ConfluentAPI
public import Workflow

/// Executes update steps: the rollout's own steps for what is added (ACLs, mirrors, verification of the added
/// topics), plus link option changes and `--prune`. Observe-then-act like every step: nothing that exists is
/// recreated, and no link or key is ever made.
public struct UpdateExecutor: StepExecutor {
    public let context: RolloutContext
    /// The rollout's executor over this update's plan: its topics are the added ones.
    let rollout: RolloutExecutor

    public init(context: RolloutContext, plan: Plan) {
        self.context = context
        rollout = RolloutExecutor(context: context, plan: plan)
    }

    public func execute(_ step: StepSpec, context stepContext: StepContext) async throws -> [String: String] {
        let report: @Sendable (String) -> Void = { stepContext.waiting(for: $0) }
        guard let kind = UpdateStep.Kind(rawValue: step.kind) else {
            throw StepError.permanent(
                "unknown step kind '\(step.kind)' in the recorded plan of an update; was it written by another version?"
            )
        }
        do {
            switch kind {
            case .preflight: return try await preflight(step, report: report)
            case .jumpACLs: return try await rollout.jumpACLs(stepContext, report: report)
            case .originACLs: return try await rollout.originACLs(step, stepContext)
            case .linkConfigs: return try await linkConfigs(step, report: report)
            case .mirrorJump: return try await rollout.mirror(step, onTarget: false, stepContext)
            case .mirrorTarget: return try await rollout.mirror(step, onTarget: true, stepContext)
            case .pruneTarget: return try await pruneTarget(step, report: report)
            case .pruneJump: return try await pruneJump(step, report: report)
            // The rollout's verification: one step, or a multi-site plan's side and comparison steps.
            case .verify: return try await rollout.execute(step, context: stepContext)
            }
        } catch let error as ConfluentAPIError {
            throw StepError.from(error)
        }
    }

    /// The requests `step` would send (for `plan`); each preview sits next to its body or the rollout's. A step
    /// of a multi-site plan sends only those to the private clusters its site reaches.
    public static func preview(_ step: StepSpec, playbook: Playbook) -> [PreviewRequest] {
        StepSites.previewing(requests(step, playbook: playbook), calls: UpdateStep.Kind.calls(step), playbook: playbook)
    }

    static func requests(_ step: StepSpec, playbook: Playbook) -> [PreviewRequest] {
        guard let kind = UpdateStep.Kind(rawValue: step.kind) else { return [] }
        switch kind {
        case .preflight: return previewPreflight(step, playbook)
        case .jumpACLs: return RolloutExecutor.previewJumpACLs(playbook)
        case .originACLs: return RolloutExecutor.previewOriginACLs(playbook)
        case .linkConfigs: return previewLinkConfigs(step, playbook)
        case .mirrorJump: return RolloutExecutor.previewMirror(step, playbook, onTarget: false)
        case .mirrorTarget: return RolloutExecutor.previewMirror(step, playbook, onTarget: true)
        case .pruneTarget: return previewPruneTarget(step, playbook)
        case .pruneJump: return previewPruneJump(step, playbook)
        case .verify: return RolloutExecutor.previewVerify(step, playbook)
        }
    }

    // MARK: Preflight

    static func previewPreflight(_ step: StepSpec, _ playbook: Playbook) -> [PreviewRequest] {
        let link = playbook.link
        // The target's site's preflight of a split plan reads the target only.
        if step.id == UpdatePlanner.targetPreflight {
            return [
                .kafka(playbook.target, "GET", "/topics"),
                .kafka(
                    playbook.target, "GET", "/links/\(link.leg2Name)/mirrors/<mirror>", "(a topic of that name exists)"),
            ]
        }
        var requests: [PreviewRequest] = [.kafka(playbook.origin, "GET", "/topics")]
        requests += RunSession.previewOpen(playbook)
        requests += [
            .kafka(playbook.jump, "GET", "/topics"), .kafka(playbook.target, "GET", "/topics"),
            .kafka(playbook.jump, "GET", "/links/\(link.leg1Name)/mirrors/<mirror>", "(a topic of that name exists)"),
            .kafka(playbook.target, "GET", "/links/\(link.leg2Name)/mirrors/<mirror>", "(a topic of that name exists)"),
        ]
        if link.manageACLs { requests += RolloutExecutor.previewACLBudget(playbook, phase: "update") }
        return requests
    }

    /// The added topics exist on the origin; a topic holding an added mirror name on the jump or the target is a
    /// mirror of this chain's link (adopted) or an error naming it. Records the link principals' ACLs first.
    /// A split plan's `preflight` checks the origin and the jump (and the ACL budget of both), and
    /// `preflight:target` the target only (``UpdatePlanner/split(_:)``).
    func preflight(_ step: StepSpec, report: @escaping @Sendable (String) -> Void) async throws -> [String: String] {
        let playbook = context.playbook
        let reach = step.parameters[StepSites.clustersParameter].map { Set($0.split(separator: ",").map(String.init)) }
        let checksOrigin = reach?.contains(PlaybookCluster.Role.origin.rawValue) ?? true
        let checksTarget = reach?.contains(PlaybookCluster.Role.target.rawValue) ?? true
        var problems: [String] = []
        guard checksOrigin else {
            // The target's site: the added mirrors' names on the target, nothing on the jump.
            let targetTopics = Set(try await context.target.listTopics().map(\.topicName))
            problems += try await targetNameProblems(targetTopics, split: true)
            guard problems.isEmpty else { throw StepError.permanent(problems.joined(separator: "\n")) }
            return ["added": String(rollout.topics.count), "clusters": reach?.sorted().joined(separator: ",") ?? ""]
        }
        let originTopics = Set(try await context.origin.listTopics().map(\.topicName))
        let missing = rollout.topics.filter { !originTopics.contains($0) }
        if !missing.isEmpty {
            problems.append(
                "origin \(playbook.origin.id): topic(s) \(missing.joined(separator: ", ")) do not exist; create them "
                    + "or remove them from topics.names")
        }
        let jump = try await context.jump(report: report)
        let jumpTopics = Set(try await jump.listTopics().map(\.topicName))
        if checksTarget {
            problems += try await targetNameProblems(Set(try await context.target.listTopics().map(\.topicName)))
        }
        for topic in rollout.topics {
            let jumpMirror = rollout.mirrorNames(topic).jump
            if jumpTopics.contains(jumpMirror),
                try await jump.mirror(link: playbook.link.leg1Name, topic: jumpMirror) == nil
            {
                problems.append(
                    "jump \(jump.clusterID): topic \(jumpMirror) already exists and is not a mirror of "
                        + "\(playbook.link.leg1Name); delete it or leave \(topic) out")
            }
        }
        guard problems.isEmpty else { throw StepError.permanent(problems.joined(separator: "\n")) }
        var outputs = ["added": String(rollout.topics.count)]
        if playbook.link.manageACLs {
            // The chain's own recorded prefixes (never another chain's of the same principal) are reused.
            let chainPrefixes: [PlaybookCluster.Role: [String]] = [
                .jump: ACLBudget.prefixes(step.parameters[ACLBudget.jumpPrefixesKey]),
                .origin: ACLBudget.prefixes(step.parameters[ACLBudget.originPrefixesKey]),
            ]
            outputs.merge(
                try await rollout.aclBudget(
                    jump: (jump, jumpTopics), originTopics: originTopics, chainPrefixes: chainPrefixes)
            ) { $1 }
        }
        return outputs
    }

    /// The added topics whose target mirror name a topic holds that is not a mirror of leg 2's link. In a `split`
    /// plan (`preflight:target`) the origin's steps already ran and the recorded playbook cannot change: the only
    /// way on is to delete the topic and resume this site.
    func targetNameProblems(_ targetTopics: Set<String>, split: Bool = false) async throws -> [String] {
        let playbook = context.playbook
        var problems: [String] = []
        for topic in rollout.topics {
            let targetMirror = rollout.mirrorNames(topic).target
            if targetTopics.contains(targetMirror),
                try await context.target.mirror(link: playbook.link.leg2Name, topic: targetMirror) == nil
            {
                problems.append(
                    "target \(playbook.target.id): topic \(targetMirror) already exists and is not a mirror of "
                        + "\(playbook.link.leg2Name); "
                        + (split
                            ? "delete it on the target, then "
                                + Rollout.resumeCommand(context.runName, site: context.site)
                            : "delete it or leave \(topic) out"))
            }
        }
        return problems
    }

    // MARK: Link options

    static func previewLinkConfigs(_ step: StepSpec, _ playbook: Playbook) -> [PreviewRequest] {
        var requests: [PreviewRequest] = []
        for (leg, cluster, link) in [
            ("leg1.", playbook.jump, playbook.link.leg1Name), ("leg2.", playbook.target, playbook.link.leg2Name),
        ] {
            let changes = step.parameters.filter { $0.key.hasPrefix(leg) }.sorted { $0.key < $1.key }
            guard !changes.isEmpty else { continue }
            let text = changes.map { "\($0.key.dropFirst(leg.count))=\($0.value)" }.joined(separator: ", ")
            requests.append(.kafka(cluster, "PUT", "/links/\(link)/configs:alter", "{\(text)}"))
        }
        return requests
    }

    /// Applies changed alterable options to the half each leg's options live on (leg 1: the jump's destination
    /// half; leg 2: the target). Setting a value again is harmless, so a re-run is safe.
    func linkConfigs(_ step: StepSpec, report: @escaping @Sendable (String) -> Void) async throws -> [String: String] {
        let playbook = context.playbook
        var altered: [String] = []
        for (leg, link) in [("leg1.", playbook.link.leg1Name), ("leg2.", playbook.link.leg2Name)] {
            let changes = step.parameters.filter { $0.key.hasPrefix(leg) }.sorted { $0.key < $1.key }
            guard !changes.isEmpty else { continue }
            let client = leg == "leg1." ? try await context.jump(report: report) : context.target
            try await client.alterLinkConfigs(
                link, set: changes.map { LinkConfigEntry(String($0.key.dropFirst(leg.count)), $0.value) })
            altered += changes.map(\.key)
        }
        return ["altered": altered.joined(separator: ",")]
    }

    // MARK: Prune

    static func previewPruneTarget(_ step: StepSpec, _ playbook: Playbook) -> [PreviewRequest] {
        let link = playbook.link.leg2Name
        let mirror = step.parameters["target_mirror"] ?? ""
        return [
            .kafka(playbook.target, "GET", "/links/\(link)/mirrors/\(mirror)"),
            .kafka(
                playbook.target, "POST", "/links/\(link)/mirrors:failover",
                "{mirror_topic_names: [\(mirror)]} (stays on the target as a writable topic)"),
        ]
    }

    /// The target's mirror of a topic no longer wanted: failed over, so it stays as a normal, writable topic.
    func pruneTarget(_ step: StepSpec, report: @escaping @Sendable (String) -> Void) async throws -> [String: String] {
        let target = context.target
        let link = context.playbook.link.leg2Name
        let name = step.parameters["target_mirror"] ?? ""
        guard let mirror = try await target.mirror(link: link, topic: name),
            !["STOPPED", "FAILED"].contains(mirror.mirrorStatus)
        else { return ["failed_over": "false", "topic": name] }
        try await context.failOverTargetMirror(name, status: mirror.mirrorStatus, report: report)
        return ["failed_over": "true", "topic": name]
    }

    static func previewPruneJump(_ step: StepSpec, _ playbook: Playbook) -> [PreviewRequest] {
        let mirror = step.parameters["jump_mirror"] ?? ""
        var requests: [PreviewRequest] = [
            .kafka(playbook.jump, "GET", "/topics/\(mirror)"), .kafka(playbook.jump, "DELETE", "/topics/\(mirror)"),
        ]
        let bindings = ACLRecord.decode(step.parameters["acls"] ?? "")
        if !bindings.isEmpty {
            requests.append(.kafka(playbook.jump, "GET", "/acls?principal=User:\(playbook.link.serviceAccount)"))
        }
        for binding in bindings {
            requests.append(
                .kafka(
                    playbook.jump, "DELETE",
                    "/acls?resource_type=\(binding.resourceType)&resource_name=\(binding.resourceName)"
                        + "&operation=\(binding.operation)", "(created by jumpchain)"))
        }
        return requests
    }

    /// The jump's mirror of a topic no longer wanted, and the ACLs jumpchain created for it.
    func pruneJump(_ step: StepSpec, report: @escaping @Sendable (String) -> Void) async throws -> [String: String] {
        let jump = try await context.jump(report: report)
        let name = step.parameters["jump_mirror"] ?? ""
        var deleted = false
        if try await jump.topic(name) != nil {
            try await jump.deleteTopic(name)
            deleted = true
        }
        let bindings = ACLRecord.decode(step.parameters["acls"] ?? "")
        var aclsDeleted = 0
        if !bindings.isEmpty {
            let present = Set(try await jump.listACLs(principal: "User:\(context.playbook.link.serviceAccount)"))
            for binding in bindings where present.contains(binding) {
                try await jump.deleteACLs(matching: binding)
                aclsDeleted += 1
            }
        }
        return ["topic": name, "deleted": String(deleted), "acls_deleted": String(aclsDeleted)]
    }
}
