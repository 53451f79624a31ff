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
            // preflight left (``mintLinkKeysEarly(into:report:)``); `link-key` and `origin-link-key` wait for them.
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
            requests += previewMintLinkKey(playbook) + (link.mintsOriginKey ? previewMintOriginLinkKey(playbook) : [])
        }
        requests += RunSession.previewOpen(playbook)
        requests += [.kafka(playbook.jump, "GET", "/links/\(link.leg1Name)"), .kafka(playbook.jump, "GET", "/topics")]
        if link.manageACLs {
            requests += previewACLBudget(playbook, phase: "rollout")
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
        // The origin's ACL budget is decided where the origin is checked: the preflight `acls-origin` depends on
        // in the recorded plan (the one `acls-origin` and the chain's state read it from).
        let budgetsOrigin = checksOrigin && playbook.link.manageACLs && Self.decidesOriginBudget(step, plan: plan)
        if !checksJump {
            if checksTarget { problems += try await foreignTargetMirrors() }
            guard problems.isEmpty else { throw StepError.permanent(problems.joined(separator: "\n")) }
            var outputs = reach.map { ["clusters": $0.sorted().joined(separator: ",")] } ?? [:]
            if budgetsOrigin { outputs.merge(try await aclBudget(jump: nil, originTopics: topicNames)) { $1 } }
            return outputs
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
                jump: (jump, jumpTopics), originTopics: budgetsOrigin ? topicNames : nil)
            outputs.merge(budget) { $1 }
        }
        if adopting { outputs["adopted"] = adopted.joined(separator: ", ") }
        if !localRights.warnings.isEmpty {
            outputs["origin_local_warnings"] = localRights.warnings.joined(separator: "\n")
        }
        return outputs
    }

    /// Whether the preflight `step` decides the origin's ACL budget: it is the one the recorded plan's
    /// `acls-origin` depends on (and reads it from, as the chain's state does), whatever the playbook says now.
    static func decidesOriginBudget(_ step: StepSpec, plan: Plan) -> Bool {
        step.id == RolloutStep.originBudgetStep(plan[RolloutStep.originACLs])
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

    /// The reads of the ACL budget's preflight (``aclBudget(jump:originTopics:)``) for `plan`'s preview.
    static func previewACLBudget(_ playbook: Playbook, phase: String) -> [PreviewRequest] {
        var requests = ACLBudget.previewRequests(
            playbook, .jump, principal: "User:\(playbook.link.serviceAccount)", phase: phase)
        if let principal = playbook.link.originPrincipal {
            requests += ACLBudget.previewRequests(playbook, .origin, principal: principal, phase: phase)
        }
        return requests
    }

    /// The ACL budget of the clusters this preflight decides: the jump's when `jump` is given (the client and
    /// its topics now), the origin's when `originTopics` is (the origin's topics now). Its outputs, or a
    /// permanent failure naming every cluster whose bindings fit under no form. `chainPrefixes`: the prefixes
    /// the chain's earlier operations recorded (an update's), the only held ones reused.
    func aclBudget(
        jump: (client: KafkaRESTClient, topics: Set<String>)?, originTopics: Set<String>?,
        chainPrefixes: [PlaybookCluster.Role: [String]] = [:]
    ) async throws -> [String: String] {
        var outputs: [String: String] = [:]
        var problems: [String] = []
        var sides: [(PlaybookCluster.Role, KafkaRESTClient, Set<String>)] = []
        if let jump { sides.append((.jump, jump.client, jump.topics)) }
        if let originTopics { sides.append((.origin, context.origin, originTopics)) }
        for (role, client, existing) in sides {
            let budget = try await clusterACLBudget(
                role, client: client, existing: existing, recorded: chainPrefixes[role] ?? [])
            outputs.merge(budget.outputs) { $1 }
            if let problem = budget.problem { problems.append(problem) }
        }
        guard problems.isEmpty else { throw StepError.permanent(problems.joined(separator: "\n")) }
        return outputs
    }

    /// One cluster's half of the budget (the jump's for the link principal, the origin's for leg 1's local
    /// principal): the principal's bindings before the run (`<role>_acls_before`, what `destroy` leaves), the
    /// limit it decides against (`<role>_acl_limit`) and the form the run's topic bindings take
    /// (`<role>_acl_prefixes`, ``ACLBudget``): LITERAL when they fit under the limit with the cluster's other
    /// ACLs, else PREFIXED on a prefix that names only this run's topics, else a problem. A PREFIXED binding the
    /// principal holds on the run's topics is reused when the chain's earlier operations recorded its prefix
    /// (`recorded`).
    func clusterACLBudget(
        _ role: PlaybookCluster.Role, client: KafkaRESTClient, existing: Set<String>, recorded: [String]
    ) async throws -> (outputs: [String: String], problem: String?) {
        let playbook = context.playbook
        let onJump = role == .jump
        guard let principal = onJump ? "User:\(playbook.link.serviceAccount)" : playbook.link.originPrincipal else {
            return ([:], nil)
        }
        let topics = onJump ? self.topics.map { mirrorNames($0).jump } : self.topics
        let filters = playbook.autoCreateACLs(originPrincipal: principal)
        let limit = try await aclLimit(onJump ? playbook.jump : playbook.origin)
        let listed = try await client.listACLs(principal: principal)
        let present = Set(listed)
        var outputs = [
            onJump ? Self.jumpACLsBefore : Self.originACLsBefore: ACLRecord.encode(listed),
            ACLBudget.limitKey(role): limit.recorded,
        ]
        let held = ACLBudget.heldPrefixes(
            present, principal: principal, covering: topics, recorded: recorded,
            except: onJump ? filters.jump : filters.origin)
        let decision = ACLBudget.decide(
            cluster: "\(role.rawValue) \(client.clusterID)", principal: principal,
            total: try await client.listACLs().count, limit: limit, present: present,
            exact: ACLBudget.exactPrefixes(
                ACLBudget.candidatePrefixes(playbook, onJump: onJump), runTopics: Set(topics), existing: existing),
            fix: ACLBudget.fix(role)
        ) { prefixes in
            onJump
                ? Self.wantedJumpACLs(playbook, jumpMirrors: topics, prefixes: held + prefixes)
                : Self.wantedOriginACLs(playbook, topics: topics, prefixes: held + prefixes)
        }
        let prefixes = held + decision.prefixes.filter { !held.contains($0) }
        if !prefixes.isEmpty { outputs[ACLBudget.prefixesKey(role)] = prefixes.joined(separator: ",") }
        return (outputs, decision.problem)
    }

    /// The ACL limit of `cluster`: its `acl_limit`, else its type's (``ACLBudget/kindLimits``) as the control
    /// plane gives it (`GET /cmk/v2/clusters/{id}?environment=…`), else Dedicated's, said in the decision and as
    /// a warning (no environment to read the type in, or the control plane refused). A rate limit, 5xx or an
    /// unreachable control plane fails the step for a retry; a 404 (no such cluster in `<role>.environment`)
    /// fails the preflight for good, naming that field.
    func aclLimit(_ cluster: PlaybookCluster) async throws -> ACLBudget.Limit {
        let role = cluster.role.rawValue
        if let value = cluster.aclLimit {
            return ACLBudget.Limit(value: value, source: "\(role).acl_limit in the playbook")
        }
        var limit = ACLBudget.Limit.assumed(
            "\(role) is a Confluent Platform cluster, with no Confluent Cloud type; set \(role).acl_limit if it "
                + "allows fewer")
        if let environment = cluster.environment, !cluster.isPlatform {
            switch await clusterKind(cluster.id, environment: environment) {
            case .success(let kind): limit = ACLBudget.limit(kind: kind, cluster: role)
            case .failure(let error) where error.isTransient: throw error
            case .failure(let error) where error.code == .notFound:
                // The control plane has no such cluster there: the playbook names the wrong environment.
                throw StepError.permanent(
                    "\(role) \(cluster.id): the control plane knows no such cluster in environment \(environment) "
                        + "(\(error.message)); check \(role).environment (or set \(role).acl_limit); nothing was "
                        + "changed")
            case .failure(let error):
                limit = .assumed(
                    "reading \(role) \(cluster.id)'s cluster type failed (\(error.message)); set \(role).acl_limit if "
                        + "it allows fewer")
            }
        }
        if limit.isAssumed { context.notice("warning: \(role) \(cluster.id): ACL limit \(limit.recorded)") }
        return limit
    }

    /// `spec.config.kind` of the cluster on the control plane, or why it could not be read.
    func clusterKind(_ id: String, environment: String) async -> Result<String?, ConfluentAPIError> {
        do {
            return .success(try await context.controlPlane.cluster(id, environment: environment).kind)
        } catch {
            return .failure(error)
        }
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
    func originACLs(_ step: StepSpec, _ stepContext: StepContext) async throws -> [String: String] {
        guard let principal = context.playbook.link.originPrincipal else { return ["created": "0"] }
        let prefixes = ACLBudget.prefixes(
            stepContext.output(ACLBudget.originPrefixesKey, of: RolloutStep.originBudgetStep(step)))
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
