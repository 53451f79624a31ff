public import Foundation

/// The persisted state of one step.
public enum StepState: String, Codable, Sendable, CaseIterable {
    /// Not started yet (or reset for a re-run after an interruption or a retryable failure).
    case pending
    /// Started and not finished: after a crash its effect is unknown, so it is re-run on resume.
    case running
    /// Finished successfully; its outputs are recorded.
    case succeeded
    /// Failed permanently (not retryable, or its attempt budget was spent).
    case failed
    /// Had nothing to do; counts as done for its dependents.
    case skipped

    /// Whether dependents may start.
    public var isDone: Bool { self == .succeeded || self == .skipped }
}

/// Everything the store knows about one step's execution.
public struct StepRecord: Codable, Sendable, Hashable {
    /// The step's id.
    public var stepID: String
    /// The current state.
    public var state: StepState
    /// Attempts started so far, across all runner invocations.
    public var attempts: Int
    /// When the latest attempt started.
    public var startedAt: Date?
    /// When the step last finished (succeeded, failed or skipped).
    public var finishedAt: Date?
    /// The latest error message (never a secret).
    public var lastError: String?
    /// Small string outputs (ids and the like — never a secret).
    public var outputs: [String: String]

    /// Creates a record.
    public init(
        stepID: String, state: StepState = .pending, attempts: Int = 0, startedAt: Date? = nil,
        finishedAt: Date? = nil, lastError: String? = nil, outputs: [String: String] = [:]
    ) {
        self.stepID = stepID
        self.state = state
        self.attempts = attempts
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.lastError = lastError
        self.outputs = outputs
    }
}

/// The status of a whole run.
public enum RunStatus: String, Codable, Sendable, CaseIterable {
    /// Created, never started.
    case created
    /// A runner is (or was, if it crashed) executing it.
    case running
    /// Every step succeeded or was skipped.
    case succeeded
    /// A step failed permanently.
    case failed
    /// Stopped on request (SIGINT/SIGTERM or task cancellation); resumable.
    case stopped
}

/// Run-level metadata.
public struct RunMetadata: Codable, Sendable, Hashable {
    /// The run's name.
    public var name: String
    /// When the run was created.
    public var createdAt: Date
    /// When the status last changed.
    public var updatedAt: Date
    /// The run's status.
    public var status: RunStatus
    /// A free-form JSON document owned by the domain layer (e.g. playbook path and hash). Never secrets.
    public var manifest: String
    /// The store's schema version.
    public var schemaVersion: Int

    /// Creates run metadata (stores build it from their records).
    public init(
        name: String, createdAt: Date, updatedAt: Date, status: RunStatus, manifest: String, schemaVersion: Int
    ) {
        self.name = name
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.status = status
        self.manifest = manifest
        self.schemaVersion = schemaVersion
    }
}
