/// A validated jump-chain playbook: origin (private) → jump (public) → target (private), the service
/// account that owns the one link key, the topics and the link options.
///
/// Holds no secrets, only ``SecretReference`` values, so it can be printed, stored with a run and hashed
/// (``contentHash``) to notice a changed playbook when a run resumes. Build one with ``PlaybookLoader``.
public struct Playbook: Sendable, Hashable {
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
    public var verify: VerifySettings
    public var concurrency: Concurrency

    public init(
        runName: String, sourceFile: String, controlPlane: ControlPlane, origin: PlaybookCluster, jump: PlaybookCluster,
        target: PlaybookCluster, link: LinkSettings, topics: TopicSelection, verify: VerifySettings,
        concurrency: Concurrency
    ) {
        self.runName = runName
        self.sourceFile = sourceFile
        self.controlPlane = controlPlane
        self.origin = origin
        self.jump = jump
        self.target = target
        self.link = link
        self.topics = topics
        self.verify = verify
        self.concurrency = concurrency
    }

    /// The Confluent Cloud control plane (IAM API keys).
    public struct ControlPlane: Sendable, Hashable {
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
    public struct Concurrency: Sendable, Hashable {
        /// Requests in flight per cluster (default 8).
        public var perCluster: Int

        public init(perCluster: Int) { self.perCluster = perCluster }
    }

    /// Every credential pair the playbook references, in ``stdinOrder`` order.
    public var credentialReferences: [CredentialReference] {
        var pairs = [controlPlane.credentials]
        pairs += [origin.credentials, jump.credentials, target.credentials].compactMap { $0 }
        if link.originLocalCredentials != origin.credentials {
            pairs.append(link.originLocalCredentials)
        }
        return pairs
    }

    /// The order of lines on stdin for `stdin` references: control plane, origin, jump, target, then
    /// `link.origin_local_credentials`; within a pair the key comes before the secret.
    public var stdinOrder: [String] { credentialReferences.flatMap(\.stdinLabels) }
}
