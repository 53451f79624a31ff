import CCurl
public import Logging
import Synchronization

/// An async HTTP client on libcurl: one multi handle, one driver thread, connection reuse, HTTP/2 over TLS.
///
/// ``execute(_:)`` makes exactly one attempt; ``send(_:retry:onRetry:)`` applies a ``RetryPolicy``.
/// Cancelling the calling task removes the transfer from libcurl at once.
public final class HTTPClient: Sendable {
    /// Settings that apply to every request of one client.
    public struct Configuration: Sendable {
        public var connectTimeout: Duration
        /// Total time for one attempt, unless the request sets its own.
        public var timeout: Duration
        public var maxConnectionsPerHost: Int
        public var maxTotalConnections: Int
        /// Larger bodies are refused with ``TransportError/Code/responseTooLarge``.
        public var maxResponseBytes: Int
        /// A PEM bundle of trusted CAs (in addition to nothing: it replaces the system bundle).
        public var caBundlePath: String?
        public var clientCertificatePath: String?
        public var clientKeyPath: String?
        /// A proxy URL. Without one, the proxy environment variables are ignored.
        public var proxy: String?
        /// Receives redacted debug lines about each exchange.
        public var logger: Logger
        /// Spaces requests per host at a rate learnt from 429s (see ``RequestPacer``); nil: no pacing.
        public var pacer: RequestPacer?
        /// Told about every attempt once it ends (method, redacted URL, status, duration, attempt): the
        /// `--verbose` log. Never given headers, bodies or credentials.
        public var requestLog: (@Sendable (RequestLogEntry) -> Void)?

        public init(
            connectTimeout: Duration = .seconds(10), timeout: Duration = .seconds(60), maxConnectionsPerHost: Int = 8,
            maxTotalConnections: Int = 64, maxResponseBytes: Int = 32 << 20, caBundlePath: String? = nil,
            clientCertificatePath: String? = nil, clientKeyPath: String? = nil, proxy: String? = nil,
            logger: Logger = Logger(label: "jumpchain.http", factory: { _ in SwiftLogNoOpLogHandler() }),
            pacer: RequestPacer? = nil, requestLog: (@Sendable (RequestLogEntry) -> Void)? = nil
        ) {
            self.pacer = pacer
            self.requestLog = requestLog
            self.connectTimeout = connectTimeout
            self.timeout = timeout
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.maxTotalConnections = maxTotalConnections
            self.maxResponseBytes = maxResponseBytes
            self.caBundlePath = caBundlePath
            self.clientCertificatePath = clientCertificatePath
            self.clientKeyPath = clientKeyPath
            self.proxy = proxy
            self.logger = logger
        }
    }

    public let configuration: Configuration
    private let driver: CurlDriver
    private let ids = IDGenerator()

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        driver = CurlDriver(
            maxConnectionsPerHost: configuration.maxConnectionsPerHost,
            maxTotalConnections: configuration.maxTotalConnections)
    }

    deinit {
        driver.shutdown()
    }

    /// Stops the driver thread; in-flight requests fail as cancelled. Also happens on deinit.
    public func shutdown() {
        driver.shutdown()
    }

    /// One attempt. Returns the response whatever its status; throws only when no response came back.
    public func execute(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        guard !Task.isCancelled else {
            throw TransportError(code: .cancelled, message: "the request was cancelled", request: request.description)
        }
        // The pacer's wait counts against the deadline and never runs past it: when the host's next slot is at or
        // past the deadline, the request goes now, unpaced (still counted against the cap and learnt from; a 429 is
        // then the retry policy's to handle).
        var ticket: RequestPacer.Ticket?
        if let pacer = configuration.pacer {
            do {
                ticket =
                    try await pacer.admit(url: request.url, notAfter: RequestDeadline.current)
                    ?? pacer.unpaced(url: request.url)
            } catch {
                throw TransportError(code: .cancelled, message: "cancelled while paced", request: request.description)
            }
        }
        // Within a ``RequestDeadline``, the attempt gets at most what is left of it.
        var request = request
        if let remaining = RequestDeadline.remaining {
            guard remaining > .zero else {
                throw TransportError(
                    code: .timedOut, message: "the command's deadline passed before the request was sent",
                    request: request.description)
            }
            request.timeout = min(request.timeout ?? configuration.timeout, max(remaining, .milliseconds(1)))
        }
        guard
            let transfer = CurlTransfer(
                id: ids.next(), request: request, maxResponseBytes: configuration.maxResponseBytes)
        else {
            throw TransportError(
                code: .other, message: "libcurl could not create a handle", request: request.description)
        }
        if let problem = transfer.configure(configuration) {
            throw TransportError(code: .invalidRequest, message: problem, request: request.description)
        }
        logDebug(
            "→ \(request.method) \(request.url) headers[\(request.headers)] body[\(Self.preview(request.body))]",
            request)
        let driver = self.driver
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                driver.submit(transfer, continuation: continuation)
            }
        } onCancel: {
            driver.cancel(transfer)
        }
        switch result {
        case .success(let response):
            if let ticket { configuration.pacer?.record(ticket, status: response.status, headers: response.headers) }
            logDebug("← \(response.status) \(request.method) \(request.url) \(response.body.count) bytes", request)
            return response
        case .failure(let error):
            logDebug("✗ \(error)", request)
            throw error
        }
    }

    /// Sends with retries under `retry`: connection failures, 429 and 5xx are retried with backoff, server
    /// hints honoured; 400/401/403/404/409/422 never. When the budget runs out on an HTTP status, the last
    /// response is returned as is (the caller decodes its error body); on a transport failure, the error.
    /// `onRetry` is told each wait (attempt number, reason, delay) so progress views can show it.
    public func send(
        _ request: HTTPRequest, retry: RetryPolicy = .standard,
        onRetry: (@Sendable (_ attempt: Int, _ reason: String, _ delay: Duration) -> Void)? = nil
    ) async throws(TransportError) -> HTTPResponse {
        var attempt = 1
        while true {
            var response: HTTPResponse?
            var failure: TransportError?
            let started = ContinuousClock.now
            do {
                response = try await execute(request)
            } catch {
                failure = error
            }
            if let requestLog = configuration.requestLog {
                requestLog(
                    RequestLogEntry(
                        method: request.method,
                        url: Redactor.redact(text: request.url, credentials: request.credential.map { [$0] } ?? []),
                        status: response?.status, failure: failure.map { "\($0.code): \($0.message)" },
                        duration: ContinuousClock.now - started, attempt: attempt))
            }
            var decision = retry.decide(attempt: attempt, response: response, error: failure)
            // No retry whose wait would leave it (next to) nothing of the deadline: the caller gets the last answer now.
            if case .retry(let delay, _) = decision, let remaining = RequestDeadline.remaining,
                delay + .milliseconds(50) >= remaining
            {
                decision = .stop
            }
            switch decision {
            case .stop:
                if let response { return response }
                var error = failure!
                error.attempts = attempt
                throw error
            case .retry(let delay, let reason):
                onRetry?(attempt, reason, delay)
                logDebug("retrying \(request) in \(delay): \(reason)", request)
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    throw TransportError(
                        code: .cancelled, message: "cancelled while waiting to retry", request: request.description,
                        attempts: attempt)
                }
                attempt += 1
            }
        }
    }

    /// The first 2 KiB of a body as text, for debug lines (redacted by ``logDebug``).
    private static func preview(_ body: [UInt8]?) -> String {
        guard let body, !body.isEmpty else { return "" }
        return String(decoding: body.prefix(2048), as: UTF8.self)
    }

    private func logDebug(_ line: @autoclosure () -> String, _ request: HTTPRequest) {
        guard configuration.logger.logLevel <= .debug else { return }
        let credentials = request.credential.map { [$0] } ?? []
        configuration.logger.debug("\(Redactor.redact(text: line(), credentials: credentials))")
    }
}

/// Monotonic transfer ids.
final class IDGenerator: Sendable {
    private let state = Mutex<UInt64>(0)
    func next() -> UInt64 {
        state.withLock { value in
            value += 1
            return value
        }
    }
}
