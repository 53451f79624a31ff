import ConfluentAPI
import JumpchainHTTP
import Workflow

extension RolloutExecutor {
    static func previewPreflight(_ playbook: Playbook) -> [PreviewRequest] {
        let link = playbook.link
        var requests: [PreviewRequest] = [
            .cloud(playbook, "GET", "/iam/v2/api-keys/<operator key>", "(operator principal)"),
            .cloud(playbook, "GET", "/iam/v2/service-accounts/\(link.serviceAccount)"),
            .kafka(playbook.origin, "GET", "/topics"), .kafka(playbook.target, "GET", "/topics"),
            .kafka(playbook.origin, "GET", "/links/\(link.leg1Name)"),
            .kafka(playbook.target, "GET", "/links/\(link.leg2Name)"),
        ]
        requests += previewLocalRights(playbook)
        if playbook.siteList.isEmpty {
            // A single-site run mints its link keys here, after revoking any a process of the run killed in its
            // preflight left (``mintLinkKeysEarly(into:report:)``).
            requests.append(
                .cloud(
                    playbook, "GET",
                    "/iam/v2/api-keys?spec.owner=\(link.serviceAccount)&spec.resource=\(playbook.jump.id)"))
            if link.mintsOriginKey {
                requests.append(
                    .cloud(
                        playbook, "GET",
                        "/iam/v2/api-keys?spec.owner=\(link.originKeyOwner)&spec.resource=\(playbook.origin.id)"))
            }
            requests.append(
                .cloud(
                    playbook, "DELETE", "/iam/v2/api-keys/<left link key>",
                    "(only link keys of this run a killed preflight left)"))
        }
        requests += RunSession.previewOpen(playbook)
        requests += [.kafka(playbook.jump, "GET", "/links/\(link.leg1Name)"), .kafka(playbook.jump, "GET", "/topics")]
        if link.manageACLs {
            requests.append(
                .kafka(playbook.jump, "GET", "/acls?principal=User:\(link.serviceAccount)", "(ACLs before the rollout)")
            )
            requests.append(.kafka(playbook.jump, "GET", "/acls", ACLBudget.previewNote))
            if let principal = link.originPrincipal {
                requests.append(
                    .kafka(playbook.origin, "GET", "/acls?principal=\(principal)", "(ACLs before the rollout)"))
                requests.append(.kafka(playbook.origin, "GET", "/acls", ACLBudget.previewNote))
            }
        } else {
            requests.append(
                .kafka(playbook.jump, "GET", "/acls?resource_type=CLUSTER&principal=User:\(link.serviceAccount)"))
            if playbook.offsetSyncPlan(originPrincipal: link.originPrincipal ?? "") != nil {
                requests.append(
                    .kafka(
                        playbook.jump, "GET", "/acls?resource_type=GROUP&principal=User:\(link.serviceAccount)",
                        "(offset sync: DESCRIBE on the synced groups)"))
                if let principal = link.originPrincipal {
                    requests.append(.kafka(playbook.origin, "GET", "/acls?resource_type=GROUP&principal=\(principal)"))
                }
            }
            if playbook.topics.autoCreate {
                requests.append(
                    .kafka(
                        playbook.jump, "GET", "/acls?resource_type=TOPIC&principal=User:\(link.serviceAccount)",
                        "(auto-create: READ on leg 2's filters)"))
                if let principal = link.originPrincipal {
                    requests.append(.kafka(playbook.origin, "GET", "/acls?resource_type=TOPIC&principal=\(principal)"))
                }
            }
        }
        return requests
    }

    /// Checks everything that can be checked before the first change: endpoints answer and serve the named
    /// clusters, credentials work, topics exist on the origin, and no foreign object holds our names.
    /// In a multi-site run each site's preflight checks the private clusters its site reaches (`clusters`), and
    /// only the first (`preflight`) checks the jump.
    ///
    /// With `mintingInto` (a run, not `plan --validate`), a single-site plan's link key and origin link key are
    /// minted into that store once the checks that need no jump access passed, just before the session key: the
    /// three keys propagate together, and `link-key` / `origin-link-key` (after the ACLs) only see them work. A
    /// refusal of the jump's checks fails the run, whose exit path revokes them (no link holds them).
    func preflight(
        _ step: StepSpec, mintingInto ephemeral: EphemeralStore? = nil, report: @escaping @Sendable (String) -> Void
    ) async throws -> [String:
        String]
    {
        let playbook = context.playbook
        let reach = step.parameters[RolloutStep.clustersParameter].map {
            Set($0.split(separator: ",").map(String.init))
        }
        let checksOrigin = reach?.contains("origin") ?? true
        let checksTarget = reach?.contains("target") ?? true
        let checksJump = step.id == RolloutStep.preflight
        var problems: [String] = []
        // A rate limit, 5xx or unreachable endpoint is not a verdict on the playbook: the step is retried.
        var transient = false
        func check(_ what: String, _ body: () async throws -> Void) async {
            do {
                try await body()
            } catch let error as ConfluentAPIError {
                transient = transient || error.isTransient
                problems.append("\(what): \(StepError.from(error).message)")
            } catch let failure as StepFailure {
                transient = transient || failure.isRetryable
                problems.append("\(what): \(failure.message)")
            } catch {
                problems.append("\(what): \(error)")
            }
        }
        await check("control plane") {
            _ = try await context.jumpSession.principal()
            guard try await context.controlPlane.serviceAccount(playbook.link.serviceAccount) != nil else {
                throw StepError.permanent(
                    "service account \(playbook.link.serviceAccount) (link.service_account) does not exist")
            }
        }
        for (role, client) in [("origin", context.origin), ("target", context.target)]
        where role == "origin" ? checksOrigin : checksTarget {
            await check("\(role) \(client.clusterID)") {
                do {
                    _ = try await client.listTopics()
                } catch let error as ConfluentAPIError where error.code == .notFound {
                    throw StepError.permanent(
                        "\(error.endpoint) does not serve cluster \(client.clusterID): check \(role).id and "
                            + "\(role).rest_endpoint")
                }
            }
        }
        guard problems.isEmpty else {
            let message = problems.joined(separator: "\n")
            throw transient ? StepError.transient(message) : StepError.permanent(message)
        }

        let topicNames = checksOrigin ? Set(try await context.origin.listTopics().map(\.topicName)) : []
        var missing: [String] = []
        for step in topics where checksOrigin && !topicNames.contains(step) && step != canaryTopicName {
            missing.append(step)
        }
        if !missing.isEmpty {
            problems.append(
                "origin \(playbook.origin.id): topic(s) \(missing.sorted().joined(separator: ", ")) do not exist; "
                    + "create them or remove them from topics.names")
        }
        for (role, client, name) in [
            ("origin", context.origin, playbook.link.leg1Name), ("target", context.target, playbook.link.leg2Name),
        ] where !adopting && (role == "origin" ? checksOrigin : checksTarget) {
            if let link = try await client.link(name) {
                problems.append(
                    "\(role) \(client.clusterID): a link named \(name) already exists (cluster_link_id "
                        + "\(link.clusterLinkID ?? "?")) and this run did not create it; choose another name in "
                        + "link.names or delete that link (if it is this run's and the run's state was lost, "
                        + "`jumpchain apply --adopt` adopts it)")
            }
        }
        // Leg 1's local principal has what leg 1 reads with (refused before any change): the owner of a user-supplied
        // origin_local_credentials, or with manage_acls: false the owner of the origin link key jumpchain mints.
        let localRights = try await localRights(checksOrigin: checksOrigin)
        problems += localRights.problems
        for warning in localRights.warnings { context.notice("warning: \(warning)") }
        guard problems.isEmpty else { throw StepError.permanent(problems.joined(separator: "\n")) }
        if !checksJump {
            if checksTarget { problems += try await foreignTargetMirrors() }
            guard problems.isEmpty else { throw StepError.permanent(problems.joined(separator: "\n")) }
            return reach.map { ["clusters": $0.sorted().joined(separator: ",")] } ?? [:]
        }

        if let ephemeral { try await mintLinkKeysEarly(into: ephemeral, report: report) }
        // The jump: reachable with operator rights (a session key), no foreign link with our leg-1 name,
        // and, when ACLs are not managed, the link principal already has ALTER on the cluster.
        let jump = try await context.jump(report: report)
        var adopted: [String] = []
        if adopting {
            let adoption = try await adoptionProblems(jump: jump)
            problems += adoption.problems
            adopted = adoption.adopted
        } else if let link = try await jump.link(playbook.link.leg1Name) {
            problems.append(
                "jump \(jump.clusterID): a link named \(playbook.link.leg1Name) already exists (source "
                    + "\(link.sourceClusterID ?? "?")) and this run did not create it; choose another name in "
                    + "link.names.leg1 or delete that link")
        }
        let jumpTopics = Set(try await jump.listTopics().map(\.topicName))
        let targetTopics = checksTarget ? Set(try await context.target.listTopics().map(\.topicName)) : []
        for topic in topics where !adopting {
            let (jumpMirror, targetMirror) = mirrorNames(topic)
            if jumpTopics.contains(jumpMirror) {
                problems.append(
                    "jump \(jump.clusterID): topic \(jumpMirror) already exists and this run did not create it; "
                        + "delete it or set a cluster.link.prefix in link.leg1_options")
            }
            if targetTopics.contains(targetMirror) {
                problems.append(
                    "target \(playbook.target.id): topic \(targetMirror) already exists and this run did not create "
                        + "it; delete it or set a cluster.link.prefix in link.leg2_options")
            }
        }
        if !playbook.link.manageACLs {
            let principal = "User:\(playbook.link.serviceAccount)"
            let acls = try await jump.listACLs(resourceType: "CLUSTER", principal: principal)
            if !acls.contains(where: { $0.operation == "ALTER" || $0.operation == "ALL" }) {
                problems.append(
                    "jump \(jump.clusterID): the link principal \(principal) lacks ALTER on the CLUSTER, which a "
                        + "source-initiated link needs; grant it or set link.manage_acls: true")
            }
        }
        if !playbook.link.manageACLs {
            problems += try await missingGroupACLs(jump: jump)
            problems += try await missingAutoCreateACLs(jump: jump)
        }
        guard problems.isEmpty else { throw StepError.permanent(problems.joined(separator: "\n")) }
        var outputs = checksOrigin ? ["origin_topics": String(topicNames.count)] : [:]
        if playbook.link.manageACLs {
            // The link principals' ACLs before jumpchain adds any: `destroy` deletes only what was not here.
            // With them, the form the run's bindings take under the cluster's ACL limit (ACLBudget).
            let budget = try await aclBudget(
                jump: jump, jumpTopics: jumpTopics, originTopics: checksOrigin ? topicNames : nil)
            outputs.merge(budget.outputs) { $1 }
            guard budget.problems.isEmpty else { throw StepError.permanent(budget.problems.joined(separator: "\n")) }
        }
        if adopting { outputs["adopted"] = adopted.joined(separator: ", ") }
        if !localRights.warnings.isEmpty {
            outputs["origin_local_warnings"] = localRights.warnings.joined(separator: "\n")
        }
        return outputs
    }

    /// A multi-site run's other-site preflight: target mirrors this run would create that exist already.
    func foreignTargetMirrors() async throws -> [String] {
        guard !adopting else { return [] }
        let targetTopics = Set(try await context.target.listTopics().map(\.topicName))
        return topics.compactMap { topic in
            let targetMirror = mirrorNames(topic).1
            return targetTopics.contains(targetMirror)
                ? "target \(context.playbook.target.id): topic \(targetMirror) already exists and this run did not "
                    + "create it; delete it or set a cluster.link.prefix in link.leg2_options" : nil
        }
    }

    /// With `manage_acls: false` and offset sync on: the DESCRIBE-on-GROUP bindings each leg's principal
    /// lacks on its source (leg 1 on the origin, when `origin_principal` names it; leg 2 on the jump).
    func missingGroupACLs(jump: KafkaRESTClient) async throws -> [String] {
        let playbook = context.playbook
        guard let sync = playbook.offsetSyncPlan(originPrincipal: playbook.link.originPrincipal ?? "") else {
            return []
        }
        var problems: [String] = []
        var legs: [(String, KafkaRESTClient, LegOffsetSync)] = []
        if let leg1 = sync.leg1, playbook.link.originPrincipal != nil { legs.append(("leg 1", context.origin, leg1)) }
        if let leg2 = sync.leg2 { legs.append(("leg 2", jump, leg2)) }
        for (leg, client, plan) in legs {
            guard let principal = plan.acls.first?.principal else { continue }
            let present = try await client.listACLs(resourceType: "GROUP", principal: principal)
            let missing = plan.acls.filter { wanted in
                !present.contains {
                    $0.resourceName == wanted.resourceName && $0.patternType == wanted.patternType
                        && ($0.operation == "DESCRIBE" || $0.operation == "ALL")
                }
            }
            for binding in missing {
                problems.append(
                    "\(leg) offset sync: \(client.clusterID) lacks DESCRIBE on GROUP \(binding.resourceName) "
                        + "(\(binding.patternType)) for \(principal), so consumer offsets would not be synced; grant it "
                        + "or set link.manage_acls: true")
            }
        }
        return problems
    }

    /// With `manage_acls: false` and `topics.auto_create`: the READ-on-TOPIC bindings each leg's principal lacks
    /// for its filters (leg 1 on the origin, when `origin_principal` names it; leg 2 on the jump). A LITERAL `*`
    /// READ (or ALL) covers every filter.
    func missingAutoCreateACLs(jump: KafkaRESTClient) async throws -> [String] {
        let playbook = context.playbook
        let wanted = playbook.autoCreateACLs(originPrincipal: playbook.link.originPrincipal)
        var problems: [String] = []
        for (leg, client, bindings) in [("leg 1", context.origin, wanted.origin), ("leg 2", jump, wanted.jump)] {
            let reads = bindings.filter { $0.operation == "READ" }
            guard let principal = reads.first?.principal else { continue }
            let present = try await client.listACLs(resourceType: "TOPIC", principal: principal).filter {
                $0.permission == "ALLOW" && ($0.operation == "READ" || $0.operation == "ALL")
            }
            for binding in reads
            where !present.contains(where: {
                ($0.resourceName == "*" && $0.patternType == "LITERAL")
                    || ($0.resourceName == binding.resourceName && $0.patternType == binding.patternType)
            }) {
                problems.append(
                    "\(leg) auto-create: \(client.clusterID) lacks READ on TOPIC \(binding.resourceName) "
                        + "(\(binding.patternType)) for \(principal), so the link would not create those mirrors; grant "
                        + "it or set link.manage_acls: true")
            }
        }
        return problems
    }

    var canaryTopicName: String? {
        context.playbook.verify.canary ? context.playbook.verify.canaryTopic : nil
    }

    /// Mirror topic names on the jump and on the target for an origin topic, as the recorded plan names them
    /// (the planner alone applies each leg's `cluster.link.prefix`).
    func mirrorNames(_ topic: String) -> (jump: String, target: String) {
        let mirror = mirrorsByOrigin[topic]
        return (mirror?.jumpMirror ?? topic, mirror?.targetMirror ?? topic)
    }

    // MARK: ACLs

    /// Preflight outputs: the link principals' ACL bindings before the rollout changed anything.
    static let jumpACLsBefore = "jump_acls_before"
    static let originACLsBefore = "origin_acls_before"

    static func previewJumpACLs(_ playbook: Playbook) -> [PreviewRequest] {
        let principal = "User:\(playbook.link.serviceAccount)"
        return [
            .kafka(playbook.jump, "GET", "/acls?principal=\(principal)"),
            .kafka(
                playbook.jump, "POST", "/acls:batch",
                "(missing of: ALTER, DESCRIBE on CLUSTER kafka-cluster; READ, DESCRIBE, DESCRIBE_CONFIGS on each jump "
                    + "mirror topic, or PREFIXED on a prefix naming only them when LITERAL ones would pass the "
                    + "cluster's ACL limit\(autoCreateACLNote(playbook.autoCreateACLs(originPrincipal: nil).jump)), for "
                    + "\(principal))"),
        ]
    }

    static func previewOriginACLs(_ playbook: Playbook) -> [PreviewRequest] {
        let principal = playbook.link.originPrincipal ?? "<origin principal>"
        return [
            .kafka(playbook.origin, "GET", "/acls?principal=\(principal)"),
            .kafka(
                playbook.origin, "POST", "/acls:batch",
                "(missing of: DESCRIBE on the CLUSTER; READ, DESCRIBE, DESCRIBE_CONFIGS on the topics, or PREFIXED "
                    + "on a prefix naming only them when LITERAL ones would pass the cluster's ACL limit"
                    + "\(autoCreateACLNote(playbook.autoCreateACLs(originPrincipal: principal).origin)), for \(principal))"
            ),
        ]
    }

    /// `` and on TOPIC orders (LITERAL), inventory. (PREFIXED) for auto-create``, or nothing.
    static func autoCreateACLNote(_ bindings: [ACLBinding]) -> String {
        var seen: Set<String> = []
        let filters = bindings.map { "\($0.resourceName) (\($0.patternType))" }.filter { seen.insert($0).inserted }
        return filters.isEmpty ? "" : " and on TOPIC \(filters.joined(separator: ", ")) for auto-create"
    }

    /// The link principals' bindings before the run (`jump_acls_before`, `origin_acls_before`) and the form the
    /// run's topic bindings take on each cluster (``ACLBudget``): LITERAL when they fit under the ACL limit with
    /// the cluster's other ACLs, else PREFIXED on a prefix that names only this run's topics, else a problem.
    func aclBudget(
        jump: KafkaRESTClient, jumpTopics: Set<String>, originTopics: Set<String>?
    ) async throws -> (outputs: [String: String], problems: [String]) {
        let playbook = context.playbook
        var outputs: [String: String] = [:]
        var problems: [String] = []
        let principal = "User:\(playbook.link.serviceAccount)"
        let jumpPresent = try await jump.listACLs(principal: principal)
        outputs[Self.jumpACLsBefore] = ACLRecord.encode(jumpPresent)
        let jumpMirrors = topics.map { mirrorNames($0).jump }
        let jumpDecision = ACLBudget.decide(
            cluster: "jump \(jump.clusterID)", principal: principal, total: try await jump.listACLs().count,
            present: Set(jumpPresent),
            exact: ACLBudget.exactPrefixes(
                ACLBudget.candidatePrefixes(playbook, onJump: true), runTopics: Set(jumpMirrors), existing: jumpTopics),
            fix: "set a cluster.link.prefix in link.leg1_options (one PREFIXED binding per operation then covers "
                + "leg 1's mirrors), or select the topics with a prefix pattern such as `orders\\..*` and no "
                + "exclusions, or mirror fewer topics per run, or grant the rights yourself and set "
                + "link.manage_acls: false"
        ) { Self.wantedJumpACLs(playbook, jumpMirrors: jumpMirrors, prefixes: $0) }
        if let problem = jumpDecision.problem { problems.append(problem) }
        if !jumpDecision.prefixes.isEmpty {
            outputs[ACLBudget.jumpPrefixesKey] = jumpDecision.prefixes.joined(separator: ",")
        }
        guard let originPrincipal = playbook.link.originPrincipal, let originTopics else { return (outputs, problems) }
        let origin = context.origin
        let originPresent = try await origin.listACLs(principal: originPrincipal)
        outputs[Self.originACLsBefore] = ACLRecord.encode(originPresent)
        let originDecision = ACLBudget.decide(
            cluster: "origin \(origin.clusterID)", principal: originPrincipal, total: try await origin.listACLs().count,
            present: Set(originPresent),
            exact: ACLBudget.exactPrefixes(
                ACLBudget.candidatePrefixes(playbook, onJump: false), runTopics: Set(topics), existing: originTopics),
            fix: "select the topics with a prefix pattern such as `orders\\..*` and no exclusions (one PREFIXED "
                + "binding per operation then covers them), or mirror fewer topics per run, or give "
                + "link.origin_local_credentials whose owner holds the rights and set link.manage_acls: false"
        ) { Self.wantedOriginACLs(playbook, topics: topics, prefixes: $0) }
        if let problem = originDecision.problem { problems.append(problem) }
        if !originDecision.prefixes.isEmpty {
            outputs[ACLBudget.originPrefixesKey] = originDecision.prefixes.joined(separator: ",")
        }
        return (outputs, problems)
    }

    /// What the link principal needs on the jump: ALTER on the cluster (the source half authenticates to it)
    /// and READ, DESCRIBE, DESCRIBE_CONFIGS on the jump mirrors (leg 2 reads them with the link key), in the
    /// form the preflight chose.
    func jumpACLs(
        _ stepContext: StepContext, report: @escaping @Sendable (String) -> Void
    ) async throws -> [String:
        String]
    {
        let principal = "User:\(context.playbook.link.serviceAccount)"
        let prefixes = ACLBudget.prefixes(stepContext.output(ACLBudget.jumpPrefixesKey, of: RolloutStep.preflight))
        let wanted = Self.wantedJumpACLs(
            context.playbook, jumpMirrors: topics.map { mirrorNames($0).jump }, prefixes: prefixes)
        let jump = try await context.jump(report: report)
        return try await ensureACLs(wanted, on: jump, principal: principal)
    }

    /// `prefixes`: the PREFIXED names the preflight recorded (``ACLBudget``); mirrors they cover get no LITERAL
    /// bindings.
    static func wantedJumpACLs(_ playbook: Playbook, jumpMirrors: [String], prefixes: [String] = []) -> [ACLBinding] {
        let principal = "User:\(playbook.link.serviceAccount)"
        var wanted = [
            ACLBinding(
                resourceType: "CLUSTER", resourceName: "kafka-cluster", principal: principal, operation: "ALTER"),
            ACLBinding(
                resourceType: "CLUSTER", resourceName: "kafka-cluster", principal: principal, operation: "DESCRIBE"),
        ]
        wanted += ACLBudget.topicBindings(jumpMirrors, prefixes: prefixes, principal: principal)
        // Offset sync on leg 2: DESCRIBE on the synced groups (as the jump names them).
        wanted += playbook.offsetSyncPlan(originPrincipal: playbook.link.originPrincipal ?? "")?.leg2?.acls ?? []
        // Auto-create on leg 2: the jump mirrors its filters select, LITERAL or PREFIXED.
        wanted += playbook.autoCreateACLs(originPrincipal: nil).jump
        return wanted
    }

    /// READ, DESCRIBE, DESCRIBE_CONFIGS on the origin topics for the principal behind leg 1's local credentials.
    func originACLs(_ stepContext: StepContext) async throws -> [String: String] {
        guard let principal = context.playbook.link.originPrincipal else { return ["created": "0"] }
        let prefixes = ACLBudget.prefixes(stepContext.output(ACLBudget.originPrefixesKey, of: RolloutStep.preflight))
        return try await ensureACLs(
            Self.wantedOriginACLs(context.playbook, topics: topics, prefixes: prefixes), on: context.origin,
            principal: principal)
    }

    static func wantedOriginACLs(_ playbook: Playbook, topics: [String], prefixes: [String] = []) -> [ACLBinding] {
        guard let principal = playbook.link.originPrincipal else { return [] }
        var wanted: [ACLBinding] = [
            ACLBinding(
                resourceType: "CLUSTER", resourceName: "kafka-cluster", principal: principal, operation: "DESCRIBE")
        ]
        wanted += ACLBudget.topicBindings(topics, prefixes: prefixes, principal: principal)
        // Offset sync on leg 1: DESCRIBE on the synced groups on the origin.
        wanted += playbook.offsetSyncPlan(originPrincipal: principal)?.leg1?.acls ?? []
        // Auto-create on leg 1: the origin topics its filters select, LITERAL or PREFIXED.
        wanted += playbook.autoCreateACLs(originPrincipal: principal).origin
        return wanted
    }

    /// Observe-then-act: creates only the bindings that are missing.
    func ensureACLs(
        _ wanted: [ACLBinding], on client: KafkaRESTClient, principal: String
    ) async throws -> [String:
        String]
    {
        let existing = Set(try await client.listACLs(principal: principal))
        let missing = wanted.filter { !existing.contains($0) }
        try await client.createACLs(missing)
        // What this step created is recorded so that `destroy` removes exactly that. A re-run after a crash
        // between the create and this record sees its own bindings as present: `destroy` of such a run
        // leaves them (they are listed by `destroy --dry-run`).
        return [
            "created": String(missing.count), "present": String(wanted.count - missing.count),
            ACLRecord.outputKey: ACLRecord.encode(missing),
        ]
    }

    /// The link key (and the origin link key) of a single-site plan, minted without waiting for them to work
    /// (see ``preflight(_:mintingInto:report:)``). A key already in `ephemeral` (an earlier attempt of this
    /// preflight in this process) is not minted again: the jump keeps one live link key.
    ///
    /// Before minting, this run's other live link keys and origin link keys are revoked (unless adopting): a
    /// process killed between an earlier mint and the end of its preflight left them, remembered only by their
    /// tag. No link holds them: the checks before this found no leg-1 link on the origin and no leg-2 link on
    /// the target.
    func mintLinkKeysEarly(into ephemeral: EphemeralStore, report: @escaping @Sendable (String) -> Void) async throws {
        guard plan[RolloutStep.linkKey] != nil else { return }
        let linkKey = ephemeral.value(RolloutStep.linkCredential) as? APICredential
        let originKey = ephemeral.value(RolloutStep.originLinkCredential) as? APICredential
        let mintsOriginKey = plan[RolloutStep.originLinkKey] != nil
        if !adopting {
            for key in try await revokeRunLinkKeys(leg: nil, keeping: linkKey?.key) {
                context.notice("revoked link key \(key), which an earlier process of this run left (no link holds it)")
            }
            for key in mintsOriginKey ? try await revokeRunOriginKeys(keeping: originKey?.key) : [] {
                context.notice(
                    "revoked origin link key \(key), which an earlier process of this run left (no link holds it)")
            }
        }
        if linkKey == nil {
            _ = try await mintLinkKey(leg: nil, into: ephemeral, propagate: false, report: report)
        }
        if mintsOriginKey, originKey == nil {
            _ = try await mintOriginLinkKey(into: ephemeral, propagate: false, report: report)
        }
    }
}
