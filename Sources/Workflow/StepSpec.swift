/// One node of a workflow graph: what to do (``kind`` plus ``parameters``) and what must happen first.
///
/// Everything here is persisted in the run's store as the plan, so parameters must be plain data and
/// never secrets. A resumed run executes the recorded spec, not a re-plan.
public struct StepSpec: Codable, Sendable, Hashable {
    /// A stable identifier, unique in its plan (e.g. `create-link:leg1`).
    public var id: String
    /// What the step does; the domain's ``StepExecutor`` dispatches on it.
    public var kind: String
    /// Ids of steps that must succeed (or be skipped) before this one starts.
    public var dependsOn: [String]
    /// Plain, non-secret parameters for the executor.
    public var parameters: [String: String]
    /// Named resources this step occupies while running (e.g. `cluster:lkc-123`), for concurrency limits.
    public var resources: [String]
    /// Per-attempt timeout in seconds; `nil` uses the runner's default.
    public var timeoutSeconds: Double?
    /// Names of in-memory material the step needs (see ``EphemeralStore``); re-derived after a restart.
    public var requiresEphemeral: [String]
    /// A retry policy overriding the runner's default for this step.
    public var retry: RetryPolicy?
    /// The site that runs this step in a multi-site run (`nil`: any runner). A runner given a site (see
    /// ``RunnerConfiguration/site``) never starts another site's step: it waits for that site instead.
    public var site: String?

    /// Creates a step specification.
    public init(
        id: String,
        kind: String,
        dependsOn: [String] = [],
        parameters: [String: String] = [:],
        resources: [String] = [],
        timeoutSeconds: Double? = nil,
        requiresEphemeral: [String] = [],
        retry: RetryPolicy? = nil,
        site: String? = nil
    ) {
        self.id = id
        self.kind = kind
        self.dependsOn = dependsOn
        self.parameters = parameters
        self.resources = resources
        self.timeoutSeconds = timeoutSeconds
        self.requiresEphemeral = requiresEphemeral
        self.retry = retry
        self.site = site
    }
}
