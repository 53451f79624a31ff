import Foundation
import JumpchainHTTP
import JumpchainTestSupport
import Synchronization
import Testing

@Suite("Retry policy against a real server")
struct RetryTests {
    /// A policy with tiny backoff so tests are quick; server hints are still honoured.
    static let fast = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5), maxDelay: .milliseconds(20))

    @Test("429 with Retry-After: 1 is retried after at least one second")
    func retryAfterHonoured() async throws {
        let count = Counter()
        let server = try ScriptedHTTPServer { _ in
            count.increment() == 1
                ? .text(429, "<html>slow down</html>", headers: [("Retry-After", "1")])
                : .text(200, "ok")
        }
        defer { server.stop() }
        let start = ContinuousClock.now
        let waits = Recorder<Duration>()
        let response = try await HTTPClient().send(
            HTTPRequest(method: .get, url: server.baseURL + "/limited"), retry: Self.fast,
            onRetry: { _, _, delay in waits.append(delay) })
        #expect(response.status == 200)
        #expect(ContinuousClock.now - start >= .seconds(1))
        #expect(server.requests.count == 2)
        #expect(waits.values == [.seconds(1)])
    }

    @Test("X-RateLimit-Reset is honoured on 429 when Retry-After is absent")
    func rateLimitResetHonoured() async throws {
        let count = Counter()
        let server = try ScriptedHTTPServer { _ in
            count.increment() == 1 ? .text(429, "{}", headers: [("X-RateLimit-Reset", "0.2")]) : .text(200, "ok")
        }
        defer { server.stop() }
        let waits = Recorder<Duration>()
        let response = try await HTTPClient().send(
            HTTPRequest(method: .get, url: server.baseURL + "/limited"), retry: Self.fast,
            onRetry: { _, _, delay in waits.append(delay) })
        #expect(response.status == 200)
        #expect(waits.values == [.milliseconds(200)])
    }

    @Test("final statuses are never retried", arguments: [400, 401, 403, 404, 409, 422])
    func finalStatusesNotRetried(status: Int) async throws {
        let server = try ScriptedHTTPServer { _ in .text(status, "no") }
        defer { server.stop() }
        let response = try await HTTPClient().send(
            HTTPRequest(method: .post, url: server.baseURL + "/x", body: []), retry: Self.fast)
        #expect(response.status == status)
        #expect(server.requests.count == 1)
    }

    @Test("503 is retried up to the budget, then surfaced with the last status and body")
    func budgetExhausted() async throws {
        let count = Counter()
        let server = try ScriptedHTTPServer { _ in .text(503, "unavailable \(count.increment())") }
        defer { server.stop() }
        let response = try await HTTPClient().send(
            HTTPRequest(method: .get, url: server.baseURL + "/x"), retry: Self.fast)
        #expect(response.status == 503)
        #expect(response.text == "unavailable 3")
        #expect(server.requests.count == 3)
    }

    @Test("500 then success is retried with jittered backoff")
    func serverErrorRetried() async throws {
        let count = Counter()
        let server = try ScriptedHTTPServer { _ in count.increment() < 3 ? .text(500, "boom") : .text(200, "ok") }
        defer { server.stop() }
        let response = try await HTTPClient().send(
            HTTPRequest(method: .get, url: server.baseURL + "/x"), retry: Self.fast)
        #expect(response.status == 200)
        #expect(server.requests.count == 3)
    }

    @Test("connection failures are retried, then thrown with the attempt count")
    func connectionFailureRetried() async throws {
        let server = try ScriptedHTTPServer { _ in .text(200, "") }
        let port = server.port
        server.stop()
        let error = await #expect(throws: TransportError.self) {
            _ = try await HTTPClient().send(
                HTTPRequest(method: .get, url: "http://127.0.0.1:\(port)/"), retry: Self.fast)
        }
        #expect(error?.code == .couldNotConnect)
        #expect(error?.attempts == 3)
    }

    @Test("full jitter stays within the exponential ceiling and the cap")
    func jitterBounds() {
        let top = RetryPolicy(baseDelay: .milliseconds(100), maxDelay: .seconds(1), random: { 0.999_999 })
        #expect(top.backoff(attempt: 1) <= .milliseconds(100))
        #expect(top.backoff(attempt: 3) <= .milliseconds(400))
        #expect(top.backoff(attempt: 3) > .milliseconds(399))
        #expect(top.backoff(attempt: 20) <= .seconds(1))
        let bottom = RetryPolicy(baseDelay: .milliseconds(100), maxDelay: .seconds(1), random: { 0 })
        #expect(bottom.backoff(attempt: 5) == .zero)
    }
}

/// A thread-safe counter for server handlers.
final class Counter: @unchecked Sendable {
    // Invariant: `value` is only touched under `lock`.
    private let lock = Mutex(())
    private var value = 0
    func increment() -> Int {
        lock.withLock { _ in
            value += 1; return value
        }
    }
}

final class Recorder<Value: Sendable>: @unchecked Sendable {
    // Invariant: `storage` is only touched under `lock`.
    private let lock = Mutex(())
    private var storage: [Value] = []
    func append(_ value: Value) { lock.withLock { _ in storage.append(value) } }
    var values: [Value] { lock.withLock { _ in storage } }
}
