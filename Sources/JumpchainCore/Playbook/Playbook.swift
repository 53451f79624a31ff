/// A validated jump-chain playbook: origin (private) → jump (public) → target (private), the service
/// account that owns the one link key, the topics and the link options.
///
/// Holds no secrets, only ``SecretReference`` values, so it can be printed, stored with a run and hashed
/// (``contentHash``) to notice a changed playbook when a run resumes. Build one with ``PlaybookLoader``.
/// `Codable` so a run can store the playbook it was started with.
///
/// ## File format (YAML)
/// ```yaml
/// version: 1                         # optional; only 1 exists
/// run_name: orders-migration         # default: the file name without extension
/// control_plane:
///   endpoint: https://api.confluent.cloud        # default
///   credentials: {key: env:CLOUD_KEY, secret: env:CLOUD_SECRET}
/// origin:                            # also `jump:` and `target:`
///   id: lkc-abc123                   # any [A-Za-z0-9_-]+ with `platform: true` (origin only)
///   rest_endpoint: https://….confluent.cloud:443
///   bootstrap: ….confluent.cloud:9092
///   environment: env-abc123          # optional for a Platform origin
///   network: {kind: PRIVATE_LINK|PEERING|TRANSIT_GATEWAY, cloud: AWS|AZURE|GCP, region: …, network_id: n-…}
///   credentials: {key: ABCD…, secret: file:origin.secret}   # optional on the jump; `network: public` there
///   acl_limit: 1000                  # origin and jump: ACLs the cluster allows (default: its type's, read by
///                                    # the preflight from the control plane; 10000 when it cannot be read)
/// link:
///   service_account: sa-abc123       # owns the one link key
///   names: {leg1: …, leg2: …}        # defaults jumpchain-origin-to-jump, jumpchain-jump-to-target
///   origin_local_credentials: {…}    # leg 1's local.* credentials; default: jumpchain mints an origin link key
///   origin_service_account: sa-…     # that key's owner when not service_account
///   manage_acls: true                # default; origin_principal: User:sa-… for leg 1's local principal
///   options_file: link.properties    # Java .properties; inline options win
///   options: {consumer.offset.sync.enable: "true"}          # both legs
///   leg1_options: {…}                # leg 2: leg2_options; win over `options`
/// topics: {names: [orders], patterns: ['payments\..*'], exclude: ['.*\.tmp']}   # whole-name regexes
///   # allow_empty: true            # accept a selection that matches no origin topic (default: an error)
///   # auto_create: true            # both links auto-create mirrors of new matching topics (names/prefixes only)
/// consumer_groups: {names: [billing], prefixes: [orders-], exclude: [orders-test, 'tmp-*']}   # default: all
/// verify: {max_lag: 0, timeout: 5m, canary: false, canary_topic: _jumpchain.canary}
/// concurrency: {per_cluster: 8}
/// sites: {origin-side: {reaches: [origin]}, target-side: {reaches: [target]}}   # optional; see README "Sites"
/// ```
/// Secrets are references only: `env:VAR`, `file:PATH` (regular file, mode 0600 or 0400, relative to the
/// playbook) or `stdin` (one line each, in ``stdinOrder``). Any string value may use `${VAR}` from the
/// environment (`$${` for a literal `${`); an unset variable is an error.
public struct Playbook: Sendable, Hashable, Codable {
    /// The run's name (the file name without extension unless `run_name` is set).
    public var runName: String
    /// The file the playbook was loaded from (not part of ``contentHash``).
    public var sourceFile: String
    public var controlPlane: ControlPlane
    public var origin: PlaybookCluster
    public var jump: PlaybookCluster
    public var target: PlaybookCluster
    public var link: LinkSettings
    public var topics: TopicSelection
    /// Whose offsets the links sync when `consumer.offset.sync.enable` is on (default: every group).
    public var consumerGroups: ConsumerGroupSelection
    public var verify: VerifySettings
    public var concurrency: Concurrency
    /// `sites:`: where steps run in a multi-site run; nil for a single-site playbook (every step runs here).
    public var sites: [PlaybookSite]?

    public init(
        runName: String, sourceFile: String, controlPlane: ControlPlane, origin: PlaybookCluster, jump: PlaybookCluster,
        target: PlaybookCluster, link: LinkSettings, topics: TopicSelection, verify: VerifySettings,
        concurrency: Concurrency, consumerGroups: ConsumerGroupSelection = .all, sites: [PlaybookSite]? = nil
    ) {
        self.runName = runName
        self.sourceFile = sourceFile
        self.controlPlane = controlPlane
        self.origin = origin
        self.jump = jump
        self.target = target
        self.link = link
        self.topics = topics
        self.consumerGroups = consumerGroups
        self.verify = verify
        self.concurrency = concurrency
        self.sites = sites
    }

    /// The Confluent Cloud control plane (IAM API keys).
    public struct ControlPlane: Sendable, Hashable, Codable {
        /// Default `https://api.confluent.cloud`.
        public var endpoint: String
        /// A Cloud API key allowed to create the link key for ``LinkSettings/serviceAccount``.
        public var credentials: CredentialReference

        public init(endpoint: String, credentials: CredentialReference) {
            self.endpoint = endpoint
            self.credentials = credentials
        }
    }

    /// `concurrency:`.
    public struct Concurrency: Sendable, Hashable, Codable {
        /// Requests in flight per cluster (default 8).
        public var perCluster: Int

        public init(perCluster: Int) { self.perCluster = perCluster }
    }

    /// Every credential pair the playbook references, in ``stdinOrder`` order.
    public var credentialReferences: [CredentialReference] {
        var pairs = [controlPlane.credentials]
        pairs += [origin.credentials, jump.credentials, target.credentials].compactMap { $0 }
        if let local = link.originLocalCredentials, local != origin.credentials {
            pairs.append(local)
        }
        return pairs
    }

    /// The order of lines on stdin for `stdin` references: control plane, origin, jump, target, then
    /// `link.origin_local_credentials`; within a pair the key comes before the secret.
    public var stdinOrder: [String] { credentialReferences.flatMap(\.stdinLabels) }
}
