public import Foundation

/// One thing that happened in a run, as delivered to observers and appended to the store's event log.
///
/// A flat Codable struct (rather than an enum with payloads) so JSON lines stay simple and stable:
/// `{"kind":"stepRetrying","stepID":"x","attempt":2,"message":"HTTP 503","retryDelaySeconds":1.2,…}`.
public struct WorkflowEvent: Codable, Sendable, Hashable {
    /// What kind of event this is.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A runner started (or resumed) the run.
        case runStarted
        /// The run ended: ``WorkflowEvent/status`` says how.
        case runFinished
        /// The run was stopped on request; it can be resumed.
        case runStopped
        /// A step's attempt started.
        case stepStarted
        /// A step succeeded.
        case stepSucceeded
        /// A step failed permanently.
        case stepFailed
        /// A step's attempt failed and will be retried after ``WorkflowEvent/retryDelaySeconds``.
        case stepRetrying
        /// A step was skipped.
        case stepSkipped
        /// A step found `running` at start-up (or cut short by a stop) will be re-run.
        case stepInterrupted
        /// A step is waiting on a condition (``WorkflowEvent/message`` says what for).
        case stepWaiting
        /// A step reports progress.
        case stepProgress
        /// Missing in-memory material was re-derived through the executor's recovery hook.
        case ephemeralRecovered
    }

    /// Position in the store's event log (assigned when persisted; `nil` for events not yet stored).
    public var sequence: Int64?
    /// When it happened.
    public var time: Date
    /// What happened.
    public var kind: Kind
    /// The step concerned, if any.
    public var stepID: String?
    /// The attempt number concerned, if any.
    public var attempt: Int?
    /// A human message: error, waiting condition, progress (never a secret).
    public var message: String?
    /// For ``Kind/stepRetrying``: seconds until the next attempt.
    public var retryDelaySeconds: Double?
    /// For ``Kind/runFinished``: the final status.
    public var status: RunStatus?

    /// Creates an event.
    public init(
        kind: Kind, stepID: String? = nil, attempt: Int? = nil, message: String? = nil,
        retryDelaySeconds: Double? = nil, status: RunStatus? = nil, time: Date = Date(), sequence: Int64? = nil
    ) {
        self.sequence = sequence
        self.time = time
        self.kind = kind
        self.stepID = stepID
        self.attempt = attempt
        self.message = message
        self.retryDelaySeconds = retryDelaySeconds
        self.status = status
    }
}
