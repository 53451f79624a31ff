/// How often and how long rollout steps poll Confluent for conditions (key propagation, link and mirror
/// states). Confluent takes about two minutes to propagate a new cluster key; the simulator seconds.
public struct RolloutTiming: Sendable {
    public var keyPollInterval: Duration
    public var keyPropagationTimeout: Duration
    public var statePollInterval: Duration
    public var linkHealthTimeout: Duration
    public var mirrorActiveTimeout: Duration
    /// Total time for one HTTP attempt (`JUMPCHAIN_HTTP_TIMEOUT_MS`).
    public var httpTimeout: Duration
    /// Attempts per request, retries included (`JUMPCHAIN_HTTP_ATTEMPTS`).
    public var httpAttempts: Int

    public init(
        keyPollInterval: Duration = .seconds(2), keyPropagationTimeout: Duration = .seconds(600),
        statePollInterval: Duration = .seconds(1), linkHealthTimeout: Duration = .seconds(300),
        mirrorActiveTimeout: Duration = .seconds(600), httpTimeout: Duration = .seconds(30), httpAttempts: Int = 5
    ) {
        self.httpTimeout = httpTimeout
        self.httpAttempts = httpAttempts
        self.keyPollInterval = keyPollInterval
        self.keyPropagationTimeout = keyPropagationTimeout
        self.statePollInterval = statePollInterval
        self.linkHealthTimeout = linkHealthTimeout
        self.mirrorActiveTimeout = mirrorActiveTimeout
    }

    /// The wait before the next check of a new key, `elapsed` after it was minted: an eighth of the time waited
    /// so far, at least 100 ms and at most ``keyPollInterval``. A key that propagates in seconds (the simulator)
    /// is seen working soon after it does, instead of up to a whole interval later; one that takes Confluent's
    /// two minutes costs a few more checks in its first seconds than a fixed interval would.
    public func keyPollDelay(elapsed: Duration) -> Duration {
        min(keyPollInterval, max(.milliseconds(100), elapsed / 8))
    }

    /// The defaults, with intervals overridable by `JUMPCHAIN_POLL_MS` (tests and rehearsals on the simulator).
    public static func fromEnvironment(_ environment: [String: String]) -> RolloutTiming {
        var timing = RolloutTiming()
        if let text = environment["JUMPCHAIN_POLL_MS"], let milliseconds = Int(text), milliseconds > 0 {
            timing.keyPollInterval = .milliseconds(milliseconds)
            timing.statePollInterval = .milliseconds(milliseconds)
        }
        if let text = environment["JUMPCHAIN_HTTP_TIMEOUT_MS"], let milliseconds = Int(text), milliseconds > 0 {
            timing.httpTimeout = .milliseconds(milliseconds)
        }
        if let text = environment["JUMPCHAIN_HTTP_ATTEMPTS"], let attempts = Int(text), attempts > 0 {
            timing.httpAttempts = attempts
        }
        return timing
    }
}

/// Polls `condition` until it returns a value, reporting what it waits for; throws the last reason on timeout.
func poll<T: Sendable>(
    every interval: Duration, timeout: Duration, waitingFor description: String,
    report: (@Sendable (String) -> Void)? = nil,
    _ condition: () async throws -> PollResult<T>
) async throws -> T {
    try await poll(
        after: { _ in interval }, timeout: timeout, waitingFor: description, report: report, condition)
}

/// Polls `condition` until it returns a value, waiting `delay(time since the first check)` between checks.
func poll<T: Sendable>(
    after delay: (Duration) -> Duration, timeout: Duration, waitingFor description: String,
    report: (@Sendable (String) -> Void)? = nil,
    _ condition: () async throws -> PollResult<T>
) async throws -> T {
    let start = ContinuousClock.now
    let deadline = start + timeout
    var reported = false
    var lastReason = "no answer yet"
    while true {
        switch try await condition() {
        case .done(let value):
            return value
        case .waiting(let reason):
            lastReason = reason
            if !reported {
                report?("\(description) (\(reason))")
                reported = true
            }
        }
        guard ContinuousClock.now < deadline else {
            throw StepError.permanent("timed out after \(timeout) waiting for \(description): \(lastReason)")
        }
        try await Task.sleep(for: delay(ContinuousClock.now - start))
    }
}

enum PollResult<T: Sendable>: Sendable {
    case done(T)
    case waiting(String)
}
