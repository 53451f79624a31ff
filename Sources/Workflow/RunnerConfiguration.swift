/// How a ``Runner`` schedules: concurrency limits, retries, timeouts, signal handling.
public struct RunnerConfiguration: Sendable {
    /// Steps in flight at once, over all resources.
    public var maxConcurrency: Int
    /// Per-resource limits, by exact resource name (see ``StepSpec/resources``).
    public var resourceLimits: [String: Int]
    /// The limit for any resource not listed in ``resourceLimits`` (e.g. "at most 8 per cluster");
    /// `nil` means unlimited.
    public var defaultResourceLimit: Int?
    /// Attempts in flight at once per resource, counting those that gave their slots back while they wait
    /// (``StepContext/releaseResources()``). Each attempt in flight is a task holding its async frames: without
    /// this bound, a rollout of 5,000 topics whose mirror steps all wait for `ACTIVE` would hold 10,000 of them.
    public var maxInFlightPerResource: Int
    /// The retry policy for steps that do not declare their own.
    public var retryPolicy: RetryPolicy
    /// The per-attempt timeout for steps that do not declare their own; `nil` means none.
    public var defaultTimeoutSeconds: Double?
    /// Whether ``Runner/run(executor:)`` turns SIGINT/SIGTERM into an orderly, recorded stop.
    public var handleSignals: Bool
    /// Seed for retry jitter (for reproducible tests); `nil` seeds from the system.
    public var jitterSeed: UInt64?
    /// Runs once every step is done, before the run is recorded as succeeded: gives back what the run held
    /// (e.g. revokes a short-lived credential). A crash before it returns leaves the run unfinished, so the
    /// next ``Runner/run(executor:)`` of the run (with every step done) calls it again. It returns `nil`, or why
    /// the run is not done yet (it could not give something back): the run is then recorded `failed` with that
    /// reason (``RunOutcome/unfinished``), and the next run calls it again.
    public var beforeSuccess: (@Sendable () async -> String?)?

    /// The site this runner runs at in a multi-site run: steps whose ``StepSpec/site`` names another site are
    /// never started, reset or failed here; they are another site's turn (``RunOutcome/awaiting``). `nil` runs
    /// every step.
    public var site: String?

    /// Creates a configuration.
    public init(
        maxConcurrency: Int = 8,
        resourceLimits: [String: Int] = [:],
        defaultResourceLimit: Int? = nil,
        retryPolicy: RetryPolicy = .standard,
        defaultTimeoutSeconds: Double? = nil,
        handleSignals: Bool = false,
        jitterSeed: UInt64? = nil,
        maxInFlightPerResource: Int = RunnerConfiguration.defaultMaxInFlightPerResource
    ) {
        self.maxConcurrency = max(1, maxConcurrency)
        self.maxInFlightPerResource = max(1, maxInFlightPerResource)
        self.resourceLimits = resourceLimits
        self.defaultResourceLimit = defaultResourceLimit
        self.retryPolicy = retryPolicy
        self.defaultTimeoutSeconds = defaultTimeoutSeconds
        self.handleSignals = handleSignals
        self.jitterSeed = jitterSeed
    }

    /// Whether this runner may start `step` (it belongs to no site, or to this runner's).
    public func runsHere(_ step: StepSpec) -> Bool {
        guard let site, let owner = step.site else { return true }
        return site == owner
    }

    /// The default of ``maxInFlightPerResource``: at 50 creates per second and a few seconds from create to
    /// `ACTIVE`, 150–250 waiting mirrors keep a cluster busy; 512 leaves room for faster clusters, and bounds
    /// the tasks of a rollout at 512 per cluster whatever its size.
    public static let defaultMaxInFlightPerResource = 512

    /// The in-flight limit for `resource`.
    public func limit(for resource: String) -> Int {
        resourceLimits[resource] ?? defaultResourceLimit ?? Int.max
    }
}

/// How a ``Runner/run(executor:)`` call ended.
public struct RunOutcome: Sendable, Hashable {
    /// `succeeded`, `failed` or `stopped`.
    public var status: RunStatus
    /// Steps that failed permanently, with their last error.
    public var failedSteps: [String: String]
    /// Steps found `running` at start-up (interrupted by a crash) and re-run.
    public var interruptedOnStart: [String]
    /// Step attempts started by this invocation.
    public var attemptsStarted: Int
    /// Another site's steps this run now waits for (their dependencies are done, or they are running there), in
    /// plan order. Non-empty only when nothing failed and the run stopped because every step left is another
    /// site's: the run is then still `running`.
    public var awaiting: [StepSpec] = []
    /// Why a run whose steps are all done is not recorded as succeeded (``RunnerConfiguration/beforeSuccess``).
    public var unfinished: String?

    /// Creates an outcome.
    public init(
        status: RunStatus, failedSteps: [String: String] = [:], interruptedOnStart: [String] = [],
        attemptsStarted: Int = 0
    ) {
        self.status = status
        self.failedSteps = failedSteps
        self.interruptedOnStart = interruptedOnStart
        self.attemptsStarted = attemptsStarted
    }
}
