/// `link:` — who owns the link key, the link names and the behaviour configs of each leg.
public struct LinkSettings: Sendable, Hashable, Codable {
    /// `sa-…`: the owner of the one API key created on the jump.
    public var serviceAccount: String
    /// Leg 1 (origin → jump, source-initiated; both halves share the name).
    public var leg1Name: String
    /// Leg 2 (jump → target, destination-initiated on the target).
    public var leg2Name: String
    /// What the origin's SOURCE half uses as `local.*` credentials when the user supplies them; nil (the
    /// default): jumpchain mints an origin link key owned by ``originKeyOwner`` (the origin link key).
    public var originLocalCredentials: CredentialReference?
    /// `sa-…`: the owner of the origin link key when it is not ``serviceAccount`` (`link.origin_service_account`).
    public var originServiceAccount: String?
    /// Whether jumpchain creates the ACLs the links need (default true).
    public var manageACLs: Bool
    /// `User:sa-…`: the principal of leg 1's local credentials: the origin link key's owner when jumpchain mints
    /// it, else `link.origin_principal` (nil: not known, no origin ACLs are managed or checked).
    public var originPrincipal: String?
    /// Effective behaviour configs for leg 1: `options_file` < `options` < `leg1_options`.
    public var leg1Options: [String: String]
    /// Effective behaviour configs for leg 2: `options_file` < `options` < `leg2_options`.
    public var leg2Options: [String: String]

    public init(
        serviceAccount: String, leg1Name: String, leg2Name: String, originLocalCredentials: CredentialReference?,
        originServiceAccount: String? = nil, manageACLs: Bool, originPrincipal: String?,
        leg1Options: [String: String], leg2Options: [String: String]
    ) {
        self.serviceAccount = serviceAccount
        self.leg1Name = leg1Name
        self.leg2Name = leg2Name
        self.originLocalCredentials = originLocalCredentials
        self.originServiceAccount = originServiceAccount
        self.manageACLs = manageACLs
        self.originPrincipal = originPrincipal
        self.leg1Options = leg1Options
        self.leg2Options = leg2Options
    }

    /// Whether jumpchain mints the origin link key (no `origin_local_credentials` given).
    public var mintsOriginKey: Bool { originLocalCredentials == nil }

    /// The owner of the origin link key jumpchain mints: `origin_service_account`, else `service_account`.
    public var originKeyOwner: String { originServiceAccount ?? serviceAccount }

    public static let defaultLeg1Name = "jumpchain-origin-to-jump"
    public static let defaultLeg2Name = "jumpchain-jump-to-target"
}

/// `verify:` — when a run counts as done.
public struct VerifySettings: Sendable, Hashable, Codable {
    /// Largest acceptable mirror lag in records (default 0).
    public var maxLag: Int
    /// How long to wait for the lag to drop (default 5 minutes).
    public var timeout: Duration
    /// Whether to produce a canary record on the origin and watch it arrive on the target.
    public var canary: Bool
    /// Default `_jumpchain.canary`.
    public var canaryTopic: String
    /// Largest acceptable gap between a synced group's origin and target offsets for `verify --groups`
    /// (nil: not given, 0).
    public var maxGroupLag: Int?

    public init(maxLag: Int, timeout: Duration, canary: Bool, canaryTopic: String) {
        self.maxLag = maxLag
        self.timeout = timeout
        self.canary = canary
        self.canaryTopic = canaryTopic
    }

    public static let defaultTimeout = Duration.seconds(300)
    public static let defaultCanaryTopic = "_jumpchain.canary"
}
