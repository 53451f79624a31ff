import Foundation

/// When and how long to wait before trying a request again.
///
/// Exponential backoff with full jitter (AWS's "full jitter": a uniform wait in `0...min(cap, base·2ⁿ)`),
/// server hints (`Retry-After`, `X-RateLimit-Reset`) honoured on 429 and 503 up to ``maxServerDelay``,
/// and a hard budget of attempts per call so that a retry storm cannot run forever.
public struct RetryPolicy: Sendable {
    /// Total attempts per call, the first included (1 = never retry).
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// The longest server-requested wait that is honoured; longer hints are capped to this.
    public var maxServerDelay: Duration
    /// Source of randomness in `0..<1` for the jitter; injectable for tests.
    public var random: @Sendable () -> Double

    public init(
        maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(20),
        maxServerDelay: Duration = .seconds(120),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxServerDelay = maxServerDelay
        self.random = random
    }

    /// The default for Confluent APIs: five attempts, 250 ms base, 20 s cap.
    public static let standard = RetryPolicy()
    /// One attempt only.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// Statuses that are final: retrying cannot change the answer.
    public static let neverRetriedStatuses: Set<Int> = [400, 401, 403, 404, 409, 422]

    /// What to do after an attempt.
    public enum Decision: Sendable, Equatable {
        case stop
        case retry(after: Duration, reason: String)
    }

    /// Decides after attempt number `attempt` (1-based) produced `response` or `error`.
    public func decide(attempt: Int, response: HTTPResponse?, error: TransportError?) -> Decision {
        guard attempt < maxAttempts else { return .stop }
        if let error {
            guard error.isRetryable else { return .stop }
            return .retry(after: backoff(attempt: attempt), reason: "\(error.code): \(error.message)")
        }
        guard let response else { return .stop }
        let status = response.status
        if Self.neverRetriedStatuses.contains(status) || status < 429 { return .stop }
        guard status == 429 || (500...599).contains(status), status != 501 else { return .stop }
        if status == 429 || status == 503, let hint = serverHint(response.headers) {
            return .retry(after: min(hint, maxServerDelay), reason: "HTTP \(status), server asked to wait")
        }
        return .retry(after: backoff(attempt: attempt), reason: "HTTP \(status)")
    }

    /// Full-jitter exponential backoff for the wait after attempt `attempt`.
    public func backoff(attempt: Int) -> Duration {
        let exponent = min(attempt - 1, 30)
        let ceiling = min(maxDelay, baseDelay * (1 << exponent))
        let fraction = min(max(random(), 0), 1)
        return ceiling * fraction
    }

    /// `Retry-After` (seconds or an HTTP date) or `X-RateLimit-Reset` (relative seconds on Confluent Cloud).
    func serverHint(_ headers: HTTPHeaders) -> Duration? {
        if let value = headers["Retry-After"]?.trimmingCharacters(in: .whitespaces) {
            if let seconds = Double(value), seconds >= 0 { return .milliseconds(Int64(seconds * 1000)) }
            if let date = Self.httpDate(value) {
                return .milliseconds(Int64(max(0, date.timeIntervalSinceNow) * 1000))
            }
        }
        if let value = headers["X-RateLimit-Reset"]?.trimmingCharacters(in: .whitespaces),
            let seconds = Double(value), seconds >= 0
        {
            return .milliseconds(Int64(seconds * 1000))
        }
        return nil
    }

    private static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
