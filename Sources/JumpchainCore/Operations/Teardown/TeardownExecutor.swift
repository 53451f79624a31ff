import ConfluentAPI
public import Workflow

/// Executes teardown steps. Every step observes first: a link already gone, a topic already deleted, a key
/// already revoked count as done, so a killed `destroy` resumes safely from any point.
public struct TeardownExecutor: StepExecutor {
    public let context: RolloutContext

    public init(context: RolloutContext) {
        self.context = context
    }

    public func execute(_ step: StepSpec, context stepContext: StepContext) async throws -> [String: String] {
        let report: @Sendable (String) -> Void = { stepContext.waiting(for: $0) }
        guard let kind = TeardownStep.Kind(rawValue: step.kind) else {
            throw StepError.permanent(
                "unknown step kind '\(step.kind)' in the recorded plan of a teardown; was it written by another "
                    + "version?")
        }
        do {
            switch kind {
            case .disableAutoCreate: return try await disableAutoCreate(report: report)
            case .targetMirrors: return try await targetMirrors(step, report: report)
            case .leg2: return try await deleteLink(context.target, context.playbook.link.leg2Name)
            case .leg1Source: return try await deleteLink(context.origin, context.playbook.link.leg1Name)
            case .jumpMirrors: return try await jumpMirrors(step, report: report)
            case .leg1Destination:
                return try await deleteLink(try await context.jump(report: report), context.playbook.link.leg1Name)
            case .canaryTopic: return try await canaryTopic(step)
            case .acls: return try await acls(step, report: report)
            case .revokeLinkKeys: return try await revokeLinkKeys()
            case .endState: return try await endState(step, report: report)
            }
        } catch let error as ConfluentAPIError {
            throw StepError.from(error)
        }
    }

    /// The requests `step` would send (for `destroy --dry-run`); each preview sits next to its body.
    public static func preview(_ step: StepSpec, playbook: Playbook) -> [PreviewRequest] {
        guard let kind = TeardownStep.Kind(rawValue: step.kind) else { return [] }
        let link = playbook.link
        switch kind {
        case .disableAutoCreate: return previewDisableAutoCreate(playbook)
        case .targetMirrors: return previewTargetMirrors(step, playbook)
        case .leg2: return previewDeleteLink(playbook.target, link.leg2Name)
        case .leg1Source: return previewDeleteLink(playbook.origin, link.leg1Name)
        case .jumpMirrors: return previewJumpMirrors(step, playbook)
        case .leg1Destination: return previewDeleteLink(playbook.jump, link.leg1Name)
        case .canaryTopic: return previewCanaryTopic(step, playbook)
        case .acls: return previewACLs(step, playbook)
        case .revokeLinkKeys: return previewRevokeLinkKeys(playbook)
        case .endState: return previewEndState(step, playbook)
        }
    }

    static func names(_ list: String?) -> [String] {
        (list ?? "").split(separator: ",").map(String.init)
    }

    // MARK: Auto-create

    static func previewDisableAutoCreate(_ playbook: Playbook) -> [PreviewRequest] {
        let link = playbook.link
        return [
            .kafka(playbook.jump, "GET", "/links/\(link.leg1Name)"),
            .kafka(
                playbook.jump, "PUT", "/links/\(link.leg1Name)/configs:alter",
                "{auto.create.mirror.topics.enable=false} (when the link exists)"),
            .kafka(playbook.target, "GET", "/links/\(link.leg2Name)"),
            .kafka(
                playbook.target, "PUT", "/links/\(link.leg2Name)/configs:alter",
                "{auto.create.mirror.topics.enable=false} (when the link exists)"),
        ]
    }

    /// Turns `auto.create.mirror.topics.enable` off on each leg's destination half that still exists.
    func disableAutoCreate(report: @escaping @Sendable (String) -> Void) async throws -> [String: String] {
        let link = context.playbook.link
        var disabled: [String] = []
        let jump = try await context.jump(report: report)
        for (client, name) in [(jump, link.leg1Name), (context.target, link.leg2Name)] {
            guard try await client.link(name) != nil else { continue }
            try await client.alterLinkConfigs(name, set: [LinkConfigEntry("auto.create.mirror.topics.enable", "false")])
            disabled.append(name)
        }
        return ["disabled": disabled.joined(separator: ",")]
    }

    // MARK: Target mirrors

    static func previewTargetMirrors(_ step: StepSpec, _ playbook: Playbook) -> [PreviewRequest] {
        let link = playbook.link.leg2Name
        let mirrors = names(step.parameters["mirrors"])
        var requests: [PreviewRequest] = []
        for mirror in mirrors {
            requests.append(.kafka(playbook.target, "GET", "/links/\(link)/mirrors/\(mirror)"))
            if step.parameters["mode"] == TeardownScope.TargetTopics.delete.rawValue {
                requests.append(.kafka(playbook.target, "DELETE", "/topics/\(mirror)", "(target-topics delete)"))
            } else {
                requests.append(
                    .kafka(
                        playbook.target, "POST", "/links/\(link)/mirrors:failover",
                        "{mirror_topic_names: [\(mirror)]} (target-topics keep: stays as a writable topic)"))
            }
        }
        if let canary = step.parameters["canary"], !canary.isEmpty {
            requests += [
                .kafka(playbook.target, "GET", "/links/\(link)/mirrors/\(canary)"),
                .kafka(playbook.target, "GET", "/topics/\(canary)"),
                .kafka(playbook.target, "DELETE", "/topics/\(canary)", "(the canary's mirror)"),
            ]
        }
        return requests
    }

    /// `keep`: fail each mirror over (it stays on the target as a normal, writable topic with its data);
    /// `delete`: delete it. The canary's mirror is always deleted.
    func targetMirrors(_ step: StepSpec, report: @escaping @Sendable (String) -> Void) async throws -> [String: String]
    {
        let target = context.target
        let link = context.playbook.link.leg2Name
        let mode = TeardownScope.TargetTopics(rawValue: step.parameters["mode"] ?? "")
        var failedOver: [String] = []
        var deleted: [String] = []
        for name in Self.names(step.parameters["mirrors"]) {
            let mirror = try await target.mirror(link: link, topic: name)
            switch mode {
            case .delete:
                let exists = try await target.topic(name) != nil
                if mirror != nil || exists {
                    try await target.deleteTopic(name)
                    deleted.append(name)
                }
            case .keep:
                guard let mirror, !["STOPPED", "FAILED"].contains(mirror.mirrorStatus) else { continue }
                try await context.failOverTargetMirror(name, status: mirror.mirrorStatus, report: report)
                failedOver.append(name)
            case nil:
                if let mirror, !["STOPPED", "FAILED"].contains(mirror.mirrorStatus) {
                    throw StepError.permanent(
                        "target \(target.clusterID): mirror \(name) is \(mirror.mirrorStatus); say what happens to the "
                            + "target's topics with --target-topics keep|delete")
                }
            }
        }
        if let canary = step.parameters["canary"], !canary.isEmpty {
            let mirrored = try await target.mirror(link: link, topic: canary) != nil
            let exists = try await target.topic(canary) != nil
            if mirrored || exists {
                try await target.deleteTopic(canary)
                deleted.append(canary)
            }
        }
        return [
            "mode": mode?.rawValue ?? "", "failed_over": failedOver.joined(separator: ","),
            "deleted": deleted.joined(separator: ","),
        ]
    }

    // MARK: Links

    static func previewDeleteLink(_ cluster: PlaybookCluster, _ name: String) -> [PreviewRequest] {
        [.kafka(cluster, "GET", "/links/\(name)"), .kafka(cluster, "DELETE", "/links/\(name)", "(if it exists)")]
    }

    /// Deletes a link half if it is there; a half already gone counts as done.
    func deleteLink(_ client: KafkaRESTClient, _ name: String) async throws -> [String: String] {
        guard try await client.link(name) != nil else { return ["link": name, "deleted": "false", "was": "gone"] }
        try await client.deleteLink(name)
        return ["link": name, "deleted": "true", "cluster": client.clusterID]
    }

    // MARK: Topics

    static func previewJumpMirrors(_ step: StepSpec, _ playbook: Playbook) -> [PreviewRequest] {
        names(step.parameters["mirrors"]).flatMap { name -> [PreviewRequest] in
            [.kafka(playbook.jump, "GET", "/topics/\(name)"), .kafka(playbook.jump, "DELETE", "/topics/\(name)")]
        }
    }

    /// The mirror topics jumpchain created on the jump: the data leaves the cluster with internet endpoints.
    func jumpMirrors(_ step: StepSpec, report: @escaping @Sendable (String) -> Void) async throws -> [String: String] {
        let jump = try await context.jump(report: report)
        var deleted: [String] = []
        for name in Self.names(step.parameters["mirrors"]) where try await jump.topic(name) != nil {
            try await jump.deleteTopic(name)
            deleted.append(name)
        }
        return ["deleted": deleted.joined(separator: ","), "count": String(deleted.count)]
    }

    static func previewCanaryTopic(_ step: StepSpec, _ playbook: Playbook) -> [PreviewRequest] {
        guard let topic = step.parameters["topic"], !topic.isEmpty else { return [] }
        return [
            .kafka(playbook.origin, "GET", "/topics/\(topic)"), .kafka(playbook.origin, "DELETE", "/topics/\(topic)"),
        ]
    }

    /// The canary topic on the origin, only when jumpchain created it.
    func canaryTopic(_ step: StepSpec) async throws -> [String: String] {
        guard let topic = step.parameters["topic"], !topic.isEmpty else { return ["deleted": ""] }
        guard try await context.origin.topic(topic) != nil else { return ["deleted": "", "was": "gone"] }
        try await context.origin.deleteTopic(topic)
        return ["deleted": topic]
    }

    // MARK: ACLs

    static func previewACLs(_ step: StepSpec, _ playbook: Playbook) -> [PreviewRequest] {
        var requests: [PreviewRequest] = []
        for (cluster, key) in [(playbook.jump, "jump"), (playbook.origin, "origin")] {
            let bindings = ACLRecord.decode(step.parameters[key] ?? "")
            for principal in Set(bindings.map(\.principal)).sorted() {
                requests.append(.kafka(cluster, "GET", "/acls?principal=\(principal)"))
            }
            for binding in bindings {
                requests.append(
                    .kafka(
                        cluster, "DELETE",
                        "/acls?resource_type=\(binding.resourceType)&resource_name=\(binding.resourceName)"
                            + "&pattern_type=\(binding.patternType)&principal=\(binding.principal)&operation="
                            + "\(binding.operation)", "(created by jumpchain)"))
            }
        }
        return requests
    }

    /// Deletes the bindings jumpchain recorded as created, each only if it is still there.
    func acls(_ step: StepSpec, report: @escaping @Sendable (String) -> Void) async throws -> [String: String] {
        var deleted = 0
        for key in ["jump", "origin"] {
            let bindings = ACLRecord.decode(step.parameters[key] ?? "")
            guard !bindings.isEmpty else { continue }
            let client = key == "jump" ? try await context.jump(report: report) : context.origin
            for principal in Set(bindings.map(\.principal)).sorted() {
                let present = Set(try await client.listACLs(principal: principal))
                for binding in bindings where binding.principal == principal && present.contains(binding) {
                    try await client.deleteACLs(matching: binding)
                    deleted += 1
                }
            }
        }
        return ["deleted": String(deleted)]
    }

    // MARK: Keys and end state

    static func previewRevokeLinkKeys(_ playbook: Playbook) -> [PreviewRequest] {
        let link = playbook.link
        return [
            .cloud(
                playbook, "GET", "/iam/v2/api-keys?spec.owner=\(link.serviceAccount)&spec.resource=\(playbook.jump.id)"),
            .cloud(playbook, "DELETE", "/iam/v2/api-keys/<link key>", "(every link key of this run)"),
        ] + previewOriginLinkKeys(playbook)
    }

    static func previewOriginLinkKeys(_ playbook: Playbook) -> [PreviewRequest] {
        guard playbook.link.mintsOriginKey else { return [] }
        return [
            .cloud(
                playbook, "GET",
                "/iam/v2/api-keys?spec.owner=\(playbook.link.originKeyOwner)&spec.resource=\(playbook.origin.id)"),
            .cloud(playbook, "DELETE", "/iam/v2/api-keys/<origin link key>", "(every origin link key of this run)"),
        ]
    }

    /// Every link key this run minted, now held by no link: revoked. Each listed key is deleted, never first read:
    /// a read answering 403 (a key the operator may list but not read, or one deleted a moment ago) would have
    /// skipped a live key; a delete of a key already gone is done, and the end-state step checks none is left.
    func revokeLinkKeys() async throws -> [String: String] {
        var revoked: [String] = []
        for key in try await linkKeys() {
            try await context.controlPlane.deleteAPIKey(key.id)
            revoked.append(key.id)
        }
        return ["revoked": revoked.joined(separator: ",")]
    }

    /// Live keys on the jump owned by the link service account and tagged with this run's link-key tag, then
    /// (when jumpchain mints it) live origin link keys of this run on the origin.
    func linkKeys() async throws -> [APIKey] {
        let playbook = context.playbook
        let keys = try await context.controlPlane.listAPIKeys(
            owner: playbook.link.serviceAccount, resource: playbook.jump.id)
        var found = keys.filter { context.isLinkKey($0.spec.description) }
        if playbook.link.mintsOriginKey {
            let originKeys = try await context.controlPlane.listAPIKeys(
                owner: playbook.link.originKeyOwner, resource: playbook.origin.id)
            found += originKeys.filter { $0.spec.description?.hasPrefix(context.originKeyTag + ";") == true }
        }
        return found
    }

    static func previewEndState(_ step: StepSpec, _ playbook: Playbook) -> [PreviewRequest] {
        let link = playbook.link
        let reached = Set(TeardownStep.Kind.calls(step).compactMap(\.cluster))
        return [
            reached.contains(.target) ? .kafka(playbook.target, "GET", "/links/\(link.leg2Name)") : nil,
            reached.contains(.origin) ? .kafka(playbook.origin, "GET", "/links/\(link.leg1Name)") : nil,
        ].compactMap { $0 } + [
            .kafka(playbook.jump, "GET", "/links/\(link.leg1Name)"), .kafka(playbook.jump, "GET", "/topics"),
            .kafka(playbook.jump, "GET", "/acls?principal=User:\(link.serviceAccount)"),
            .cloud(
                playbook, "GET", "/iam/v2/api-keys?spec.owner=\(link.serviceAccount)&spec.resource=\(playbook.jump.id)"),
        ] + previewOriginLinkKeys(playbook).prefix(1)
    }

    /// Nothing jumpchain made is left: no link half, no jump mirror, no recorded ACL, no live link key.
    func endState(_ step: StepSpec, report: @escaping @Sendable (String) -> Void) async throws -> [String: String] {
        let playbook = context.playbook
        let jump = try await context.jump(report: report)
        var left: [String] = []
        // A multi-site plan's end state reads the links its site reaches (the others' deletion was observed by
        // their own steps at their sites).
        let reached = Set(TeardownStep.Kind.calls(step).compactMap(\.cluster))
        for (role, client, name) in [
            (PlaybookCluster.Role.target, context.target, playbook.link.leg2Name),
            (.origin, context.origin, playbook.link.leg1Name), (.jump, jump, playbook.link.leg1Name),
        ] where reached.contains(role) {
            if try await client.link(name) != nil { left.append("link \(name) on the \(role.rawValue)") }
        }
        let created = Set(Self.names(step.parameters["jump_topics"]))
        let topics = Set(try await jump.listTopics().map(\.topicName)).intersection(created)
        left += topics.sorted().map { "topic \($0) on the jump" }
        let acls = ACLRecord.decode(step.parameters["jump_acls"] ?? "")
        if !acls.isEmpty {
            let present = Set(try await jump.listACLs(principal: "User:\(playbook.link.serviceAccount)"))
            left += acls.filter(present.contains).map { "ACL \($0) on the jump" }
        }
        left += try await linkKeys().map {
            "\($0.spec.resource?.id == playbook.origin.id ? "origin link key" : "link key") \($0.id)"
        }
        guard left.isEmpty else {
            throw StepError.permanent("still on the clusters after the teardown: \(left.joined(separator: "; "))")
        }
        return ["jump_topics_left": "0", "jump_topics_created": String(created.count), "link_keys_left": "0"]
    }
}
