import Foundation
public import JumpchainHTTP
import JumpchainJSON
import Synchronization

/// One authenticated API base URL: the shared request path of the Kafka REST and control-plane clients.
public struct APIEndpoint: Sendable {
    public let http: HTTPClient
    public let baseURL: String
    public let credential: APICredential
    /// Names the endpoint in errors, e.g. `jump (lkc-123) Kafka REST`.
    public let label: String
    public var retry: RetryPolicy
    /// Told about each retry wait, so progress views can show it.
    public var onRetry: (@Sendable (_ attempt: Int, _ reason: String, _ delay: Duration) -> Void)?
    /// Told once per request that needed retries, after its last attempt: one line instead of one per attempt.
    public var retrySummary: (@Sendable (RetrySummary) -> Void)?

    public init(
        http: HTTPClient, baseURL: String, credential: APICredential, label: String, retry: RetryPolicy = .standard,
        onRetry: (@Sendable (Int, String, Duration) -> Void)? = nil,
        retrySummary: (@Sendable (RetrySummary) -> Void)? = nil
    ) {
        self.retrySummary = retrySummary
        self.http = http
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.credential = credential
        self.label = label
        self.retry = retry
        self.onRetry = onRetry
    }

    /// Sends and returns the response when it is 2xx; any other status becomes a ``ConfluentAPIError``.
    /// `scrubbing` names secrets the request carried, so that an error body echoing one cannot leak it.
    @discardableResult
    func call(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], json: [UInt8]? = nil,
        sensitiveJSON: Secret? = nil, scrubbing: [Secret] = []
    ) async throws(ConfluentAPIError) -> HTTPResponse {
        let response = try await exchange(method, path, query: query, json: json, sensitiveJSON: sensitiveJSON)
        guard response.isSuccess else {
            throw failure(response, request: "\(method) \(path)", scrubbing: scrubbing)
        }
        return response
    }

    /// The error for a non-2xx `response`; its message never holds this endpoint's secret nor `scrubbing`.
    func failure(_ response: HTTPResponse, request: String, scrubbing: [Secret] = []) -> ConfluentAPIError {
        ConfluentAPIError.from(
            response: response, endpoint: label, request: request, secrets: scrubbing, credentials: [credential])
    }

    /// Sends and returns whatever status came back (for callers that treat 404 as an answer).
    func exchange(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], json: [UInt8]? = nil,
        sensitiveJSON: Secret? = nil
    ) async throws(ConfluentAPIError) -> HTTPResponse {
        var headers: HTTPHeaders = ["Accept": "application/json"]
        if json != nil || sensitiveJSON != nil { headers.add(name: "Content-Type", value: "application/json") }
        let request = HTTPRequest(
            method: method, url: url(path, query: query), headers: headers, body: json, credential: credential,
            sensitiveBody: sensitiveJSON)
        let retries = RetryTally()
        let onRetry = self.onRetry
        let described = "\(method) \(path) on \(label)"
        do {
            let response = try await http.send(request, retry: retry) { attempt, reason, delay in
                retries.add(reason, delay)
                onRetry?(attempt, reason, delay)
            }
            if let retrySummary,
                let summary = retries.summary(
                    described,
                    outcome: response.isSuccess
                        ? "succeeded" : "gave up with HTTP \(response.status)")
            {
                retrySummary(summary)
            }
            return response
        } catch {
            if let retrySummary, let summary = retries.summary(described, outcome: "gave up: \(error.code)") {
                retrySummary(summary)
            }
            throw ConfluentAPIError.from(transport: error, endpoint: label, request: "\(method) \(path)")
        }
    }

    func url(_ path: String, query: [(String, String)]) -> String {
        guard !query.isEmpty else { return baseURL + path }
        let encoded = query.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        return baseURL + path + "?" + encoded
    }

    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func segment(_ text: String) -> String { escape(text) }

    func decode<T: Decodable>(
        _ type: T.Type, from response: HTTPResponse, request: String
    ) throws(ConfluentAPIError)
        -> T
    {
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch {
            // A 2xx carrying an error body (a misbehaving proxy or server) is reported as what it says.
            let (apiCode, serverMessage) = ConfluentAPIError.decodeErrorBody(response.body)
            let message =
                serverMessage.map { "HTTP \(response.status) with an error body instead of \(T.self): \($0)" }
                ?? "could not decode the response as \(T.self): \(Self.describe(error))"
            throw ConfluentAPIError(
                code: .decoding, message: Redactor.redact(text: message, credentials: [credential]), endpoint: label,
                request: request, status: response.status, apiErrorCode: apiCode)
        }
    }

    /// A one-line reason for a decoding failure: which field, and what was wrong with it.
    static func describe(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "the body" : String(text.drop { $0 == "." })
        }
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(type), found null"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): missing"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "not valid JSON (truncated, or not UTF-8)"
                : "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(value)) ?? Data())
    }
}

/// The retries of one request, gathered for its ``RetrySummary``.
private final class RetryTally: @unchecked Sendable {
    // Invariant: `reasons` and `waited` are only touched under `lock`.
    private let lock = Mutex(())
    private var reasons: [String] = []
    private var waited: Duration = .zero

    func add(_ reason: String, _ delay: Duration) {
        lock.withLock { _ in
            reasons.append(reason)
            waited += delay
        }
    }

    func summary(_ request: String, outcome: String) -> RetrySummary? {
        lock.withLock { _ in
            reasons.isEmpty ? nil : RetrySummary(request: request, reasons: reasons, waited: waited, outcome: outcome)
        }
    }
}
