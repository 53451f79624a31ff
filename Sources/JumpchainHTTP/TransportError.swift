/// A failure to complete an HTTP exchange: nothing usable came back from the server.
///
/// HTTP error statuses are *not* transport errors: the response (status, headers, body) is returned to
/// the caller, which knows how to decode the API's error body. The exception is ``Code/retriesExhausted``,
/// which carries the last response after the retry budget ran out.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// A stable, extensible error code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case couldNotResolveHost = "could-not-resolve-host"
            case couldNotConnect = "could-not-connect"
            case timedOut = "timed-out"
            case tls = "tls"
            case sendOrReceive = "send-or-receive"
            case cancelled = "cancelled"
            case responseTooLarge = "response-too-large"
            case invalidRequest = "invalid-request"
            case retriesExhausted = "retries-exhausted"
            case other = "other"
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        public static let couldNotResolveHost = Code(.couldNotResolveHost)
        public static let couldNotConnect = Code(.couldNotConnect)
        public static let timedOut = Code(.timedOut)
        public static let tls = Code(.tls)
        public static let sendOrReceive = Code(.sendOrReceive)
        public static let cancelled = Code(.cancelled)
        public static let responseTooLarge = Code(.responseTooLarge)
        public static let invalidRequest = Code(.invalidRequest)
        public static let retriesExhausted = Code(.retriesExhausted)
        public static let other = Code(.other)

        /// The stable string form, e.g. `timed-out`.
        public var description: String { value.rawValue }
    }

    public var code: Code
    /// A readable message; never contains credentials or request bodies.
    public var message: String
    /// The request as `METHOD url`.
    public var request: String
    /// The raw `CURLcode`, when libcurl produced the error.
    public var curlCode: Int?
    /// The last response, for ``Code/retriesExhausted``.
    public var lastResponse: HTTPResponse?
    /// How many attempts were made.
    public var attempts: Int
    public var cause: (any Error & Sendable)?

    public init(
        code: Code, message: String, request: String, curlCode: Int? = nil, lastResponse: HTTPResponse? = nil,
        attempts: Int = 1, cause: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.request = request
        self.curlCode = curlCode
        self.lastResponse = lastResponse
        self.attempts = attempts
        self.cause = cause
    }

    /// Whether trying again could succeed (connection-level failures).
    public var isRetryable: Bool {
        switch code {
        case .couldNotResolveHost, .couldNotConnect, .timedOut, .sendOrReceive: return true
        default: return false
        }
    }

    public var description: String {
        var text = "\(request): \(message) [\(code)"
        if let curlCode { text += ", curl \(curlCode)" }
        text += "]"
        if attempts > 1 { text += " after \(attempts) attempts" }
        return text
    }
}
