import JumpchainHTTP
import JumpchainJSON

/// A failed call to a Confluent API, decoded from either error shape: `{error_code, message}` (Kafka REST)
/// or `{errors:[{status, code, title, detail}]}` (the Cloud control plane).
public struct ConfluentAPIError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case badRequest = "bad-request"
            case unauthorized = "unauthorized"
            case forbidden = "forbidden"
            case notFound = "not-found"
            case conflict = "conflict"
            case rateLimited = "rate-limited"
            case server = "server-error"
            case unreachable = "unreachable"
            case decoding = "decoding"
            case unexpected = "unexpected-status"
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        public static let badRequest = Code(.badRequest)
        public static let unauthorized = Code(.unauthorized)
        public static let forbidden = Code(.forbidden)
        public static let notFound = Code(.notFound)
        public static let conflict = Code(.conflict)
        public static let rateLimited = Code(.rateLimited)
        public static let server = Code(.server)
        /// No HTTP answer (DNS, connect, timeout, TLS): usually a network path that does not exist.
        public static let unreachable = Code(.unreachable)
        public static let decoding = Code(.decoding)
        public static let unexpected = Code(.unexpected)
        public var description: String { value.rawValue }
    }

    public var code: Code
    /// What the server said (or what went wrong), never a secret.
    public var message: String
    /// Which API: e.g. `origin (lkc-abc) Kafka REST` or `control plane`.
    public var endpoint: String
    /// The request as `METHOD path`.
    public var request: String
    public var status: Int?
    /// The API's own error code: `40002`, `resource_already_exists`, ...
    public var apiErrorCode: String?
    public var cause: (any Error & Sendable)?

    public init(
        code: Code, message: String, endpoint: String, request: String, status: Int? = nil,
        apiErrorCode: String? = nil, cause: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.endpoint = endpoint
        self.request = request
        self.status = status
        self.apiErrorCode = apiErrorCode
        self.cause = cause
    }

    public var description: String {
        var text = "\(endpoint): \(request) failed"
        if let status { text += " with HTTP \(status)" }
        if let apiErrorCode { text += " (\(apiErrorCode))" }
        return text + ": \(message)"
    }

    /// Whether the failure is a transport one that retrying later could fix.
    public var isTransient: Bool {
        // A certificate for another name, a body over the cap or a malformed URL do not change by waiting.
        if let transport = cause as? TransportError,
            [.tls, .responseTooLarge, .invalidRequest].contains(transport.code)
        {
            return false
        }
        return code == .unreachable || code == .rateLimited || code == .server
    }

    /// Decodes the error body; secret-shaped values and the given known `secrets`/`credentials` are masked,
    /// because servers do echo input (a rejected JAAS config, an `Authorization` value) in their messages.
    static func from(
        response: HTTPResponse, endpoint: String, request: String, secrets: [Secret] = [],
        credentials: [APICredential] = []
    ) -> ConfluentAPIError {
        let (apiCode, decoded) = decodeErrorBody(response.body)
        let message = (300...399).contains(response.status) ? nil : decoded
        let code: Code
        switch response.status {
        case 400, 422: code = .badRequest
        case 401: code = .unauthorized
        case 403: code = .forbidden
        case 404: code = .notFound
        case 409: code = .conflict
        case 429: code = .rateLimited
        case 500...599: code = .server
        default: code = .unexpected
        }
        var fallback = response.status == 429 ? "rate limited" : "no error message in the response body"
        if (300...399).contains(response.status) {
            // Redirects are never followed, so credentials cannot reach whatever host `Location` names.
            let target = response.headers["Location"].map { " to \($0.prefix(200))" } ?? ""
            fallback = "redirected\(target); jumpchain does not follow redirects: check the endpoint URL"
        }
        return ConfluentAPIError(
            code: code, message: Redactor.redact(text: message ?? fallback, secrets: secrets, credentials: credentials),
            endpoint: endpoint, request: request,
            status: response.status, apiErrorCode: apiCode)
    }

    static func from(transport error: TransportError, endpoint: String, request: String) -> ConfluentAPIError {
        let code: Code = error.code == .cancelled ? .unexpected : .unreachable
        return ConfluentAPIError(
            code: code, message: error.message, endpoint: endpoint, request: request, cause: error)
    }

    /// Reads `{error_code, message}` or `{errors:[{code, title, detail}]}`; HTML bodies give no message.
    static func decodeErrorBody(_ body: [UInt8]) -> (code: String?, message: String?) {
        guard let object = try? JSON.parse(body) else { return (nil, nil) }
        if let errors = object["errors"]?.arrayValue, let first = errors.first {
            let detail = first["detail"]?.stringValue ?? first["title"]?.stringValue
            return (first["code"]?.stringValue ?? first["status"]?.stringValue, detail)
        }
        let code = object["error_code"].flatMap { $0.intValue.map(String.init) ?? $0.stringValue }
        return (code, object["message"]?.stringValue)
    }
}
