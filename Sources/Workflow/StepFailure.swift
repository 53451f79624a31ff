/// An error a step can throw to say precisely whether retrying may help.
///
/// Errors thrown by a step that do not conform to ``RetryClassifying`` are treated as *not* retryable:
/// retrying an unknown failure blindly could repeat a harmful action. Timeouts are retryable.
public protocol RetryClassifying: Error {
    /// Whether another attempt of the same step may succeed.
    var isRetryable: Bool { get }
}

/// A ready-made step error carrying a message and a retry classification.
public struct StepFailure: Error, Sendable, RetryClassifying, CustomStringConvertible {
    /// A human message (never a secret) recorded as the step's last error.
    public var message: String
    /// Whether another attempt may succeed.
    public var isRetryable: Bool

    /// Creates a step failure.
    public init(_ message: String, retryable: Bool) {
        self.message = message
        self.isRetryable = retryable
    }

    public var description: String { message }
}

/// Thrown by a step to record that it had nothing to do; it ends `skipped` and counts as done.
public struct StepSkipped: Error, Sendable, CustomStringConvertible {
    /// Why the step was skipped.
    public var reason: String

    /// Creates a skip marker.
    public init(reason: String) { self.reason = reason }

    public var description: String { reason }
}
