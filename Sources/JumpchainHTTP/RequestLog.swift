/// One attempt of one request, as `--verbose` shows it: never headers, bodies or credentials.
public struct RequestLogEntry: Sendable, CustomStringConvertible {
    public var method: HTTPMethod
    /// The URL with any credential-shaped value redacted.
    public var url: String
    /// The status, or nil when no answer came back.
    public var status: Int?
    /// Why no answer came back (a ``TransportError`` code and message).
    public var failure: String?
    public var duration: Duration
    /// 1-based attempt number within the request's retry budget.
    public var attempt: Int

    public init(
        method: HTTPMethod, url: String, status: Int?, failure: String?, duration: Duration, attempt: Int
    ) {
        self.method = method
        self.url = url
        self.status = status
        self.failure = failure
        self.duration = duration
        self.attempt = attempt
    }

    /// `GET http://host/path → 200 in 12 ms (attempt 1)`.
    public var description: String {
        let outcome = status.map { "\($0)" } ?? "no answer (\(failure ?? "?"))"
        return "\(method) \(url) → \(outcome) in \(RetrySummary.format(duration)) (attempt \(attempt))"
    }
}

/// The retries of one request, summarised in one line once it is over (instead of a line per attempt).
public struct RetrySummary: Sendable, CustomStringConvertible {
    /// `METHOD path` plus the endpoint's label, e.g. `GET /kafka/v3/... on origin (lkc-1) Kafka REST`.
    public var request: String
    /// Why each retried attempt failed, in order (`HTTP 429`, `timed-out: ...`).
    public var reasons: [String]
    /// Total time spent waiting between attempts.
    public var waited: Duration
    /// How it ended: `succeeded`, `HTTP 429`, `gave up: …`.
    public var outcome: String

    public init(request: String, reasons: [String], waited: Duration, outcome: String) {
        self.request = request
        self.reasons = reasons
        self.waited = waited
        self.outcome = outcome
    }

    /// `GET /x on origin: 3 attempts (HTTP 429 ×2), waited 1.3 s; succeeded`.
    public var description: String {
        var counts: [(String, Int)] = []
        for reason in reasons {
            let short = Self.shorten(reason)
            if let index = counts.firstIndex(where: { $0.0 == short }) {
                counts[index].1 += 1
            } else {
                counts.append((short, 1))
            }
        }
        let why = counts.map { $0.1 > 1 ? "\($0.0) ×\($0.1)" : $0.0 }.joined(separator: ", ")
        return "\(request): \(reasons.count + 1) attempts (\(why)), waited \(Self.format(waited)); \(outcome)"
    }

    /// A reason without its variable detail: `HTTP 429, server asked to wait` → `HTTP 429`.
    static func shorten(_ reason: String) -> String {
        if reason.hasPrefix("HTTP "), let comma = reason.firstIndex(of: ",") { return String(reason[..<comma]) }
        if let colon = reason.firstIndex(of: ":") { return String(reason[..<colon]) }
        return reason
    }

    /// Rounded for people: `850 ms`, `1.3 s`, `42 s`.
    public static func format(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        if milliseconds < 10_000 {
            let tenths = (milliseconds + 50) / 100
            return "\(tenths / 10).\(tenths % 10) s"
        }
        return "\((milliseconds + 500) / 1000) s"
    }
}
