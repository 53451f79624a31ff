import ConfluentAPI
import JumpchainHTTP
import Workflow

extension RolloutExecutor {
    static func previewLeg1Destination(_ playbook: Playbook) -> [PreviewRequest] {
        let link = playbook.link
        return [
            .kafka(playbook.jump, "GET", "/links/\(link.leg1Name)"),
            .kafka(
                playbook.jump, "POST", "/links?link_name=\(link.leg1Name)",
                "{source_cluster_id: \(playbook.origin.id), link.mode=DESTINATION, connection.mode=INBOUND"
                    + RequestPreview.options(leg1Options(playbook)) + "} (unless it exists)"),
        ]
    }

    /// Leg 1, destination half on the jump: `DESTINATION`/`INBOUND`, no credentials. Created first.
    func leg1Destination(report: @escaping @Sendable (String) -> Void) async throws -> [String: String] {
        let playbook = context.playbook
        let jump = try await context.jump(report: report)
        let name = playbook.link.leg1Name
        if let existing = try await jump.link(name) {
            try requireSameRemote(existing, source: playbook.origin.id, on: "jump \(jump.clusterID)")
            return ["cluster_link_id": existing.clusterLinkID ?? "", "adopted": "true"]
        }
        var configs = [LinkConfigEntry("link.mode", "DESTINATION"), LinkConfigEntry("connection.mode", "INBOUND")]
        configs += options(Self.leg1Options(playbook))
        try await jump.createLink(name, sourceClusterID: playbook.origin.id, configs: configs)
        let created = try await jump.link(name)
        return ["cluster_link_id": created?.clusterLinkID ?? "", "adopted": "false"]
    }

    static func previewLeg1Source(_ playbook: Playbook) -> [PreviewRequest] {
        let link = playbook.link
        let masked = RequestPreview.masked
        return [
            .kafka(playbook.origin, "GET", "/links/\(link.leg1Name)"),
            .kafka(
                playbook.origin, "POST", "/links?link_name=\(link.leg1Name)",
                "{destination_cluster_id: \(playbook.jump.id), link.mode=SOURCE, connection.mode=OUTBOUND, "
                    + "bootstrap.servers=\(playbook.jump.bootstrap), sasl.jaas.config=\(masked) (link key), "
                    + "local.sasl.jaas.config=\(masked)}"),
            .kafka(
                playbook.origin, "PUT", "/links/\(link.leg1Name)/configs:alter",
                "sasl.jaas.config=\(masked) (only when adopting a half left by a crash)"),
        ]
    }

    /// Leg 1, source half on the origin: `SOURCE`/`OUTBOUND` to the jump's bootstrap with the link key as remote
    /// credentials and the origin credentials as `local.*`. Same name and cluster link id as the destination half.
    func leg1Source(_ step: StepSpec, _ stepContext: StepContext) async throws -> [String: String] {
        let playbook = context.playbook
        let credential = try linkCredential(step, stepContext)
        let name = playbook.link.leg1Name
        let jaas = JAASConfig.plain(credential)
        defer { jaas.wipe() }
        if let existing = try await context.origin.link(name) {
            guard existing.destinationClusterID == nil || existing.destinationClusterID == playbook.jump.id else {
                throw StepError.permanent(
                    "origin \(playbook.origin.id): link \(name) points at \(existing.destinationClusterID ?? "?"), "
                        + "not the jump \(playbook.jump.id); it is not this run's: delete it or rename leg 1")
            }
            // Adopted after a crash: it may hold an older link key, so point it at the current one.
            try await context.origin.alterLinkConfigs(name, set: [LinkConfigEntry("sasl.jaas.config", secret: jaas)])
            return ["key_id": credential.key, "adopted": "true", "cluster_link_id": existing.clusterLinkID ?? ""]
        }
        let local = JAASConfig.plain(context.credentials.originLocal)
        defer { local.wipe() }
        let configs = [
            LinkConfigEntry("link.mode", "SOURCE"), LinkConfigEntry("connection.mode", "OUTBOUND"),
            LinkConfigEntry("bootstrap.servers", playbook.jump.bootstrap),
            LinkConfigEntry("security.protocol", "SASL_SSL"), LinkConfigEntry("sasl.mechanism", "PLAIN"),
            LinkConfigEntry("sasl.jaas.config", secret: jaas),
            LinkConfigEntry("local.security.protocol", "SASL_SSL"), LinkConfigEntry("local.sasl.mechanism", "PLAIN"),
            LinkConfigEntry("local.sasl.jaas.config", secret: local),
        ]
        let linkID = stepContext.output("cluster_link_id", of: RolloutStep.leg1Destination)
        try await KeyPropagation.retryingAuthentication(
            timing: context.timing, purpose: "origin \(playbook.origin.id): creating \(name)",
            report: { stepContext.waiting(for: $0) }
        ) {
            try await context.origin.createLink(
                name, destinationClusterID: playbook.jump.id, clusterLinkID: linkID?.isEmpty == false ? linkID : nil,
                configs: configs)
        }
        return ["key_id": credential.key, "adopted": "false", "cluster_link_id": linkID ?? ""]
    }

    static func previewLeg2(_ playbook: Playbook) -> [PreviewRequest] {
        let link = playbook.link
        let masked = RequestPreview.masked
        return [
            .kafka(playbook.target, "GET", "/links/\(link.leg2Name)"),
            .kafka(
                playbook.target, "POST", "/links?link_name=\(link.leg2Name)",
                "{source_cluster_id: \(playbook.jump.id), link.mode=DESTINATION, connection.mode=OUTBOUND, "
                    + "bootstrap.servers=\(playbook.jump.bootstrap), sasl.jaas.config=\(masked) (link key)"
                    + RequestPreview.options(leg2Options(playbook)) + "}"),
            .kafka(
                playbook.target, "PUT", "/links/\(link.leg2Name)/configs:alter",
                "sasl.jaas.config=\(masked) (only when adopting a link left by a crash)"),
        ]
    }

    /// Leg 2 on the target: destination-initiated (`DESTINATION`/`OUTBOUND`), reaching out to the public jump
    /// with the link key.
    func leg2(_ step: StepSpec, _ stepContext: StepContext) async throws -> [String: String] {
        let playbook = context.playbook
        let credential = try linkCredential(step, stepContext)
        let name = playbook.link.leg2Name
        let jaas = JAASConfig.plain(credential)
        defer { jaas.wipe() }
        if let existing = try await context.target.link(name) {
            try requireSameRemote(existing, source: playbook.jump.id, on: "target \(playbook.target.id)")
            try await context.target.alterLinkConfigs(name, set: [LinkConfigEntry("sasl.jaas.config", secret: jaas)])
            return ["key_id": credential.key, "adopted": "true", "cluster_link_id": existing.clusterLinkID ?? ""]
        }
        var configs = [
            LinkConfigEntry("link.mode", "DESTINATION"), LinkConfigEntry("connection.mode", "OUTBOUND"),
            LinkConfigEntry("bootstrap.servers", playbook.jump.bootstrap),
            LinkConfigEntry("security.protocol", "SASL_SSL"), LinkConfigEntry("sasl.mechanism", "PLAIN"),
            LinkConfigEntry("sasl.jaas.config", secret: jaas),
        ]
        configs += options(Self.leg2Options(playbook))
        try await KeyPropagation.retryingAuthentication(
            timing: context.timing, purpose: "target \(playbook.target.id): creating \(name)",
            report: { stepContext.waiting(for: $0) }
        ) {
            try await context.target.createLink(name, sourceClusterID: playbook.jump.id, configs: configs)
        }
        let created = try await context.target.link(name)
        return ["key_id": credential.key, "adopted": "false", "cluster_link_id": created?.clusterLinkID ?? ""]
    }

    static func previewLinksHealthy(_ playbook: Playbook) -> [PreviewRequest] {
        let link = playbook.link
        return [
            .kafka(playbook.jump, "GET", "/links/\(link.leg1Name)?include_tasks=true"),
            .kafka(playbook.origin, "GET", "/links/\(link.leg1Name)?include_tasks=true"),
            .kafka(playbook.target, "GET", "/links/\(link.leg2Name)?include_tasks=true"),
        ]
    }

    /// Both legs `ACTIVE` with `NO_ERROR` and no task in error, or a diagnosis naming the link and the cause.
    func linksHealthy(_ step: StepSpec, report: @escaping @Sendable (String) -> Void) async throws -> [String: String] {
        let playbook = context.playbook
        let leg = step.parameters[RolloutStep.legParameter]
        var halves: [(String, KafkaRESTClient, String)] = []
        if leg != "leg2" {
            let jump = try await context.jump(report: report)
            halves += [
                ("leg 1 destination half on the jump", jump, playbook.link.leg1Name),
                ("leg 1 source half on the origin", context.origin, playbook.link.leg1Name),
            ]
        }
        if leg != "leg1" { halves.append(("leg 2 on the target", context.target, playbook.link.leg2Name)) }
        for (what, client, name) in halves {
            _ = try await poll(
                every: context.timing.statePollInterval, timeout: context.timing.linkHealthTimeout,
                waitingFor: "\(what) (\(name)) to be ACTIVE", report: report
            ) { () async throws -> PollResult<Bool> in
                guard let link = try await client.link(name, includeTasks: true) else {
                    throw StepError.permanent(
                        "\(what): link \(name) is missing on cluster \(client.clusterID); resume to re-create it")
                }
                if link.isHealthy { return .done(true) }
                return .waiting(LinkAdvice.describe(link))
            }
        }
        return leg.map { [$0: "ACTIVE"] } ?? ["leg1": "ACTIVE", "leg2": "ACTIVE"]
    }

    func requireSameRemote(_ link: Link, source: String, on cluster: String) throws {
        guard link.sourceClusterID == nil || link.sourceClusterID == source else {
            throw StepError.permanent(
                "\(cluster): link \(link.linkName) replicates from \(link.sourceClusterID ?? "?"), not \(source); it "
                    + "is not this run's: delete it or choose another link name")
        }
    }

    /// Leg 1's behaviour configs plus, when it syncs offsets, the group filters built from `consumer_groups`
    /// (an explicit `consumer.offset.group.filters` in the options wins).
    static func leg1Options(_ playbook: Playbook) -> [String: String] {
        var options = playbook.link.leg1Options
        if let filters = playbook.offsetSyncPlan(originPrincipal: "")?.leg1?.groupFilters,
            options["consumer.offset.group.filters"] == nil
        {
            options["consumer.offset.group.filters"] = filters
        }
        return options
    }

    /// Leg 2's behaviour configs plus its group filters (see ``leg1Options(_:)``).
    static func leg2Options(_ playbook: Playbook) -> [String: String] {
        var options = playbook.link.leg2Options
        if let filters = playbook.offsetSyncPlan(originPrincipal: "")?.leg2?.groupFilters,
            options["consumer.offset.group.filters"] == nil
        {
            options["consumer.offset.group.filters"] = filters
        }
        return options
    }

    func options(_ options: [String: String]) -> [LinkConfigEntry] {
        options.sorted { $0.key < $1.key }.map { LinkConfigEntry($0.key, $0.value) }
    }
}

/// Plain-language reading of a link's state.
enum LinkAdvice {
    static func describe(_ link: Link) -> String {
        var parts = ["state \(link.linkState ?? "UNKNOWN")"]
        if let error = link.linkError, error != "NO_ERROR" {
            parts.append("\(error)\(link.linkErrorMessage.map { ": \($0)" } ?? "")")
            if let cause = likelyCause(error) { parts.append("likely cause: \(cause)") }
        }
        for task in link.tasks ?? [] where task.state == "IN_ERROR" {
            let errors = task.errors.map { "\($0.errorCode) \($0.errorMessage)" }.joined(separator: "; ")
            parts.append("task \(task.taskName) IN_ERROR \(errors)")
        }
        return parts.joined(separator: ", ")
    }

    static func likelyCause(_ linkError: String) -> String? {
        switch linkError {
        case "AUTHENTICATION_ERROR":
            return "the link's API key was revoked or is wrong; the key must stay alive while the link exists"
        case "BOOTSTRAP_TCP_CONNECTION_FAILED_ERROR", "TIMEOUT_ERROR":
            return "no network path from the connecting cluster to the remote one (a private cluster cannot be "
                + "reached from outside its network)"
        case "UNRESOLVABLE_BOOTSTRAP_ERROR", "INVALID_BOOTSTRAP_INTERNAL_ENDPOINT_ERROR":
            return "bootstrap.servers does not name the remote cluster; check the playbook's bootstrap"
        default:
            return nil
        }
    }
}
