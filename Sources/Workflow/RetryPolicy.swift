/// How often and how patiently a failing step is retried: exponential backoff with full jitter.
///
/// The delay before attempt `n + 1` is a uniform random value in `0 ... min(maxDelay, baseDelay * 2^(n-1))`
/// ("full jitter"), which spreads retries of many steps hitting the same API apart.
public struct RetryPolicy: Codable, Sendable, Hashable {
    /// Total attempts allowed in one runner invocation (1 means no retry).
    public var maxAttempts: Int
    /// The backoff ceiling for the first retry, in seconds.
    public var baseDelaySeconds: Double
    /// The cap on any single backoff, in seconds.
    public var maxDelaySeconds: Double

    /// Creates a policy.
    public init(maxAttempts: Int, baseDelaySeconds: Double, maxDelaySeconds: Double) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelaySeconds = max(0, baseDelaySeconds)
        self.maxDelaySeconds = max(0, maxDelaySeconds)
    }

    /// Five attempts, 0.5 s base, 30 s cap.
    public static let standard = RetryPolicy(maxAttempts: 5, baseDelaySeconds: 0.5, maxDelaySeconds: 30)
    /// A single attempt.
    public static let noRetry = RetryPolicy(maxAttempts: 1, baseDelaySeconds: 0, maxDelaySeconds: 0)

    /// The backoff ceiling after `failedAttempt` failures (1-based): `min(maxDelay, base * 2^(n-1))`.
    public func ceiling(afterFailedAttempt failedAttempt: Int) -> Double {
        let exponent = Double(max(0, min(failedAttempt - 1, 60)))
        return min(maxDelaySeconds, baseDelaySeconds * pow2(exponent))
    }

    /// A full-jitter delay in seconds after `failedAttempt` failures, drawn from `generator`.
    public func delay(
        afterFailedAttempt failedAttempt: Int, using generator: inout some RandomNumberGenerator
    )
        -> Double
    {
        let ceiling = ceiling(afterFailedAttempt: failedAttempt)
        guard ceiling > 0 else { return 0 }
        return Double.random(in: 0...ceiling, using: &generator)
    }

    private func pow2(_ exponent: Double) -> Double {
        var value = 1.0
        var remaining = Int(exponent)
        while remaining > 0 {
            value *= 2
            remaining -= 1
        }
        return value
    }
}
