/// `link:` — who owns the link key, the link names and the behaviour configs of each leg.
public struct LinkSettings: Sendable, Hashable, Codable {
    /// `sa-…`: the owner of the one API key created on the jump.
    public var serviceAccount: String
    /// Leg 1 (origin → jump, source-initiated; both halves share the name).
    public var leg1Name: String
    /// Leg 2 (jump → target, destination-initiated on the target).
    public var leg2Name: String
    /// What the origin's SOURCE half uses as `local.*` credentials (default: the origin's credentials).
    public var originLocalCredentials: CredentialReference
    /// Whether jumpchain creates the ACLs the links need (default true).
    public var manageACLs: Bool
    /// `User:sa-…`: the principal of leg 1's local credentials, when ACLs are managed.
    public var originPrincipal: String?
    /// Effective behaviour configs for leg 1: `options_file` < `options` < `leg1_options`.
    public var leg1Options: [String: String]
    /// Effective behaviour configs for leg 2: `options_file` < `options` < `leg2_options`.
    public var leg2Options: [String: String]

    public init(
        serviceAccount: String, leg1Name: String, leg2Name: String, originLocalCredentials: CredentialReference,
        manageACLs: Bool, originPrincipal: String?, leg1Options: [String: String], leg2Options: [String: String]
    ) {
        self.serviceAccount = serviceAccount
        self.leg1Name = leg1Name
        self.leg2Name = leg2Name
        self.originLocalCredentials = originLocalCredentials
        self.manageACLs = manageACLs
        self.originPrincipal = originPrincipal
        self.leg1Options = leg1Options
        self.leg2Options = leg2Options
    }

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
