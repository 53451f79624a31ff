import ConfluentAPI

/// Keeps the bindings a run creates under the cluster's ACL limit. A run grants READ, DESCRIBE and
/// DESCRIBE_CONFIGS per topic (on the jump for the link principal, on the origin for the origin link key's
/// owner): 3 LITERAL bindings per topic, 15,000 at 5,000 topics. When those do not fit, the preflight picks
/// PREFIXED bindings on a prefix that names only topics this run mirrors — leg 1's `cluster.link.prefix` on the
/// jump, or the prefix of a `prefix.*` pattern of `topics.patterns` — and records it; when neither fits it
/// refuses before any change, naming the count, the limit and the fix (SECURITY.md, "ACLs at scale").
/// The limit is the cluster type's (``limit(kind:cluster:)``), read from the control plane, or the playbook's
/// `acl_limit`.
public enum ACLBudget {
    /// ACLs per cluster when the cluster's type is not known: Confluent's documented limit for Dedicated
    /// clusters, the largest type (*Kafka Cluster Types in Confluent Cloud*).
    public static let clusterLimit = 10_000

    /// ACLs per cluster by cluster type (`spec.config.kind` of `GET /cmk/v2/clusters/{id}`), as *Kafka Cluster
    /// Types in Confluent Cloud* documents them: Basic and Standard 1,000, Enterprise 4,000, Dedicated 10,000.
    /// Freight is not listed: its limit is not known here (Dedicated's is assumed, and said; the simulator's
    /// `ServiceLimits.aclsPerCluster` gives Freight that same figure and otherwise repeats this table).
    public static let kindLimits: [String: Int] = [
        "Basic": 1_000, "Standard": 1_000, "Enterprise": 4_000, "Dedicated": 10_000,
    ]

    /// The ACL limit a budget decides against, and where it came from (said in the decision and recorded).
    public struct Limit: Sendable, Equatable {
        public var value: Int
        /// `Standard, read from the control plane`, `jump.acl_limit in the playbook`, or why Dedicated's is
        /// assumed.
        public var source: String
        /// Whether the type was not known and Dedicated's limit stands in (the preflight warns).
        public var isAssumed = false

        public init(value: Int, source: String) {
            self.value = value
            self.source = source
        }

        /// Dedicated's limit, assumed for `reason`.
        public static func assumed(_ reason: String) -> Limit {
            var limit = Limit(value: clusterLimit, source: "Dedicated's limit, assumed: \(reason)")
            limit.isAssumed = true
            return limit
        }

        /// What the preflight records (`jump_acl_limit`, `origin_acl_limit`).
        public var recorded: String { "\(value) (\(source))" }
    }

    /// The limit of a cluster of type `kind` (as the control plane names it), for `cluster` (`jump`, `origin`).
    public static func limit(kind: String?, cluster: String) -> Limit {
        guard let kind, let value = kindLimits[kind] else {
            return .assumed(
                "the control plane gave \(cluster)'s type as \(kind.map { "`\($0)`" } ?? "nothing"), whose limit "
                    + "jumpchain does not know; set \(cluster).acl_limit if it allows fewer")
        }
        return Limit(value: value, source: "\(kind), read from the control plane")
    }

    /// Preflight outputs: the PREFIXED topic names a run's bindings use on the jump and on the origin,
    /// comma-separated (absent or empty: one LITERAL binding per topic and operation, as before).
    public static let jumpPrefixesKey = "jump_acl_prefixes"
    public static let originPrefixesKey = "origin_acl_prefixes"

    /// The preflight output holding the prefixes of `role`'s cluster.
    static func prefixesKey(_ role: PlaybookCluster.Role) -> String {
        role == .jump ? jumpPrefixesKey : originPrefixesKey
    }

    /// The preflight output holding the limit `role`'s budget used (``Limit/recorded``).
    static func limitKey(_ role: PlaybookCluster.Role) -> String { "\(role.rawValue)_acl_limit" }

    /// What the preflight's unfiltered ACL listing is for, in `plan`'s request preview.
    static let previewNote =
        "(every ACL of the cluster: what the run adds must stay under the cluster's ACL limit; else PREFIXED, else "
        + "refused)"

    /// The reads a preflight's budget sends on the cluster of `role` (`phase`: `rollout`, `update`): the type's
    /// limit on the control plane (unless `acl_limit` sets it, or no environment names where to read it), the
    /// principal's bindings and every binding of the cluster.
    static func previewRequests(
        _ playbook: Playbook, _ role: PlaybookCluster.Role, principal: String, phase: String
    ) -> [PreviewRequest] {
        let cluster = role == .jump ? playbook.jump : playbook.origin
        var requests: [PreviewRequest] = []
        if cluster.aclLimit == nil, !cluster.isPlatform, let environment = cluster.environment {
            requests.append(
                .cloud(
                    playbook, "GET", "/cmk/v2/clusters/\(cluster.id)?environment=\(environment)",
                    "(the \(role.rawValue)'s cluster type: its ACL limit)"))
        }
        requests.append(.kafka(cluster, "GET", "/acls?principal=\(principal)", "(ACLs before the \(phase))"))
        requests.append(.kafka(cluster, "GET", "/acls", previewNote))
        return requests
    }

    /// What to change when nothing fits on `role`'s cluster.
    static func fix(_ role: PlaybookCluster.Role) -> String {
        switch role {
        case .jump:
            return "set a cluster.link.prefix in link.leg1_options (one PREFIXED binding per operation then covers "
                + "leg 1's mirrors), or select the topics with a prefix pattern such as `orders\\..*` and no "
                + "exclusions, or mirror fewer topics per run, or grant the rights yourself and set "
                + "link.manage_acls: false"
        case .origin, .target:
            return "select the topics with a prefix pattern such as `orders\\..*` and no exclusions (one PREFIXED "
                + "binding per operation then covers them), or mirror fewer topics per run, or give "
                + "link.origin_local_credentials whose owner holds the rights and set link.manage_acls: false"
        }
    }

    /// The operations the link's reader needs on a mirrored topic.
    static let topicOperations = ["READ", "DESCRIBE", "DESCRIBE_CONFIGS"]

    /// The topic bindings for `topics` (as the cluster names them): one PREFIXED set per prefix of `prefixes`
    /// that covers at least one of them, one LITERAL set per topic no prefix covers.
    static func topicBindings(_ topics: [String], prefixes: [String], principal: String) -> [ACLBinding] {
        var used: [String] = []
        var literal: [String] = []
        for topic in topics {
            if let prefix = prefixes.first(where: { topic.hasPrefix($0) }) {
                if !used.contains(prefix) { used.append(prefix) }
            } else {
                literal.append(topic)
            }
        }
        let resources = used.map { ($0, "PREFIXED") } + literal.map { ($0, "LITERAL") }
        return resources.flatMap { name, pattern in
            topicOperations.map {
                ACLBinding(
                    resourceType: "TOPIC", resourceName: name, patternType: pattern, principal: principal,
                    operation: $0)
            }
        }
    }

    /// Prefixes that could stand for the run's topics on a cluster: leg 1's `cluster.link.prefix` on the jump
    /// (every leg-1 mirror carries it), else the prefixes of the `prefix.*` patterns of `topics.patterns`
    /// (with leg 1's prefix in front on the jump). None when the selection has exclusions: a prefix would
    /// cover the excluded topics too.
    static func candidatePrefixes(_ playbook: Playbook, onJump: Bool) -> [String] {
        let linkPrefix = onJump ? playbook.link.leg1Options["cluster.link.prefix"] ?? "" : ""
        if !linkPrefix.isEmpty { return [linkPrefix] }
        guard playbook.topics.exclude.isEmpty else { return [] }
        var prefixes: [String] = []
        for pattern in playbook.topics.patterns {
            if case .prefix(let prefix) = TopicFilter.translate(pattern), !prefixes.contains(prefix) {
                prefixes.append(prefix)
            }
        }
        return prefixes
    }

    /// The candidates that name only the run's topics among the cluster's topics now (`existing`), and at
    /// least one of them: a PREFIXED binding on such a prefix grants nothing this run does not mirror today.
    static func exactPrefixes(_ candidates: [String], runTopics: Set<String>, existing: Set<String>) -> [String] {
        candidates.filter { prefix in
            runTopics.contains { $0.hasPrefix(prefix) }
                && existing.allSatisfy { !$0.hasPrefix(prefix) || runTopics.contains($0) }
        }
    }

    /// The prefixes on which `principal` already holds the PREFIXED ALLOW bindings a run grants (READ, DESCRIBE,
    /// DESCRIBE_CONFIGS) and that cover one of `topics`: reusing them grants nothing new, so the topics they cover
    /// need no LITERAL bindings (an update after a PREFIXED rollout adds no binding). Only prefixes this chain's
    /// own operations recorded (`recorded`) are reused: the same principal may hold another chain's, which that
    /// chain's `destroy` deletes. Auto-create's PREFIXED filters (`filters`) are not the budget's: they may cover
    /// topics the selection excludes, so they are not reused (and never recorded as the budget's prefixes, which
    /// an update checks against its selection).
    static func heldPrefixes(
        _ present: Set<ACLBinding>, principal: String, covering topics: [String], recorded: [String],
        except filters: [ACLBinding] = []
    ) -> [String] {
        let filterPrefixes = Set(filters.filter { $0.patternType == "PREFIXED" }.map(\.resourceName))
        var held: [String] = []
        for binding in present.sorted(by: { $0.resourceName < $1.resourceName })
        where binding.resourceType == "TOPIC" && binding.patternType == "PREFIXED"
            && recorded.contains(binding.resourceName)
            && !held.contains(binding.resourceName) && !filterPrefixes.contains(binding.resourceName)
            && topics.contains(where: { $0.hasPrefix(binding.resourceName) })
            && Set(topicBindings([binding.resourceName], prefixes: [binding.resourceName], principal: principal))
                .isSubset(of: present)
        {
            held.append(binding.resourceName)
        }
        return held
    }

    /// The recorded prefixes of a preflight output (nil or empty: LITERAL).
    static func prefixes(_ recorded: String?) -> [String] {
        (recorded ?? "").split(separator: ",").map(String.init)
    }

    /// What a preflight decides for one cluster: the prefixes to record (empty: LITERAL) or why nothing fits.
    struct Decision {
        var prefixes: [String] = []
        var problem: String?
    }

    /// LITERAL bindings when they fit under `limit` with the cluster's other ACLs, else PREFIXED bindings on
    /// `exact` when those fit, else a refusal naming the count, the limit (and where it came from) and the fix.
    /// `wanted(prefixes)` is every binding the run would want with those prefixes; `present` the principal's
    /// bindings now; `total` every binding on the cluster now.
    static func decide(
        cluster: String, principal: String, total: Int, limit: Limit,
        present: Set<ACLBinding>, exact: [String], fix: String, wanted: ([String]) -> [ACLBinding]
    ) -> Decision {
        let literal = Set(wanted([])).subtracting(present).count
        // Nothing to add (a resumed or repeated run, a cluster already at its limit): LITERAL, nothing refused.
        if literal == 0 || total + literal <= limit.value { return Decision() }
        var problem =
            "\(cluster): the run would add \(literal) ACL bindings for \(principal) (READ, DESCRIBE and "
            + "DESCRIBE_CONFIGS on each topic) to the \(total) the cluster holds, over its limit of "
            + "\(limit.value) ACLs per cluster (\(limit.source))"
        if !exact.isEmpty {
            let compact = Set(wanted(exact)).subtracting(present).count
            if total + compact <= limit.value { return Decision(prefixes: exact) }
            problem += "; even PREFIXED bindings on \(exact.joined(separator: ", ")) would add \(compact)"
        }
        return Decision(problem: problem + "; " + fix)
    }
}
