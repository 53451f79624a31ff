import Foundation
import JumpchainHTTP
import JumpchainTestSupport
import Logging
import Testing

@Suite("HTTPClient against a real server on 127.0.0.1")
struct HTTPClientTests {
    /// Echoes method, path and body; `/status/N` answers N.
    static func echo(_ request: ScriptedHTTPServer.Request) -> ScriptedHTTPServer.Response {
        if request.path.hasPrefix("/status/"), let code = Int(request.path.dropFirst("/status/".count)) {
            return .text(code, "status \(code)")
        }
        return ScriptedHTTPServer.Response(
            status: 200, headers: [("X-Method", request.method), ("X-Path", request.path)], body: request.body)
    }

    @Test(
        "GET, POST, PUT, PATCH and DELETE reach the server with their bodies",
        arguments: [
            HTTPMethod.get, .post, .put, .patch, .delete,
        ])
    func methods(method: HTTPMethod) async throws {
        let server = try ScriptedHTTPServer(handler: Self.echo)
        defer { server.stop() }
        let client = HTTPClient()
        let body: [UInt8]? = method == .get ? nil : Array("{\"x\":1}".utf8)
        let response = try await client.execute(HTTPRequest(method: method, url: server.baseURL + "/m", body: body))
        #expect(response.status == 200)
        #expect(response.headers["x-method"] == method.rawValue)
        #expect(response.body == (body ?? []))
        #expect(server.requests.first?.method == method.rawValue)
    }

    @Test("a body containing NUL bytes round-trips intact")
    func nulBytes() async throws {
        let server = try ScriptedHTTPServer(handler: Self.echo)
        defer { server.stop() }
        let client = HTTPClient()
        let body: [UInt8] = [0, 1, 2, 0, 255, 0, 65, 0] + Array(repeating: 0, count: 1000) + [7]
        let response = try await client.execute(HTTPRequest(method: .post, url: server.baseURL + "/bin", body: body))
        #expect(response.body == body)
        #expect(server.requests.first?.body == body)
    }

    @Test("100 concurrent requests all succeed")
    func concurrentRequests() async throws {
        let server = try ScriptedHTTPServer(handler: Self.echo)
        defer { server.stop() }
        let client = HTTPClient()
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<100 {
                group.addTask {
                    let response = try await client.execute(
                        HTTPRequest(method: .post, url: server.baseURL + "/c/\(index)", body: Array("\(index)".utf8)))
                    #expect(response.text == "\(index)")
                    return response.status
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.count == 100)
        #expect(statuses.allSatisfy { $0 == 200 })
    }

    @Test("20 sequential requests reuse one connection")
    func connectionReuse() async throws {
        let server = try ScriptedHTTPServer(handler: Self.echo)
        defer { server.stop() }
        let client = HTTPClient()
        for index in 0..<20 {
            let response = try await client.execute(HTTPRequest(method: .get, url: server.baseURL + "/seq/\(index)"))
            #expect(response.status == 200)
        }
        #expect(server.acceptedConnections == 1)
    }

    @Test("the per-host connection cap holds under load")
    func perHostCap() async throws {
        let server = try ScriptedHTTPServer { request in
            ScriptedHTTPServer.Response(status: 200, body: Array(request.path.utf8), delay: .milliseconds(40))
        }
        defer { server.stop() }
        let client = HTTPClient(configuration: .init(maxConnectionsPerHost: 3))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<30 {
                group.addTask {
                    let response = try await client.execute(
                        HTTPRequest(method: .get, url: server.baseURL + "/p/\(index)"))
                    #expect(response.status == 200)
                }
            }
            try await group.waitForAll()
        }
        #expect(server.maxConcurrentConnections <= 3)
        #expect(server.maxConcurrentConnections >= 2)
    }

    @Test("a request that gets no answer times out with a timed-out error")
    func timeout() async throws {
        let server = try ScriptedHTTPServer { _ in ScriptedHTTPServer.Response(hang: true) }
        defer { server.stop() }
        let client = HTTPClient()
        let error = await #expect(throws: TransportError.self) {
            _ = try await client.execute(
                HTTPRequest(method: .get, url: server.baseURL + "/slow", timeout: .milliseconds(300)))
        }
        #expect(error?.code == .timedOut)
        #expect(error?.isRetryable == true)
    }

    @Test("connection refused is reported as could-not-connect")
    func connectionRefused() async throws {
        let server = try ScriptedHTTPServer(handler: Self.echo)
        let port = server.port
        server.stop()
        try await Task.sleep(for: .milliseconds(50))
        let client = HTTPClient()
        let error = await #expect(throws: TransportError.self) {
            _ = try await client.execute(HTTPRequest(method: .get, url: "http://127.0.0.1:\(port)/"))
        }
        #expect(error?.code == .couldNotConnect)
    }

    @Test("cancelling the task removes an in-flight transfer at once")
    func cancellation() async throws {
        let server = try ScriptedHTTPServer { _ in ScriptedHTTPServer.Response(hang: true) }
        defer { server.stop() }
        let client = HTTPClient()
        let task = Task {
            try await client.execute(HTTPRequest(method: .get, url: server.baseURL + "/hang", timeout: .seconds(30)))
        }
        while server.requests.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        let start = ContinuousClock.now
        task.cancel()
        let result = await task.result
        let elapsed = ContinuousClock.now - start
        guard case .failure(let error) = result, let transportError = error as? TransportError else {
            Issue.record("expected a cancelled TransportError, got \(result)")
            return
        }
        #expect(transportError.code == .cancelled)
        // Removed, not left to run into its 30 s timeout (a generous bound: this is no speed measurement, and a
        // loaded machine may take a second or two to schedule the driver thread).
        #expect(elapsed < .seconds(10))
    }

    @Test("the proxy environment variables are ignored unless a proxy is configured")
    func proxyEnvironmentIgnored() async throws {
        let server = try ScriptedHTTPServer(handler: Self.echo)
        defer { server.stop() }
        setenv("http_proxy", "http://127.0.0.1:9", 1)
        setenv("HTTP_PROXY", "http://127.0.0.1:9", 1)
        defer {
            unsetenv("http_proxy")
            unsetenv("HTTP_PROXY")
        }
        let response = try await HTTPClient().execute(HTTPRequest(method: .get, url: server.baseURL + "/direct"))
        #expect(response.status == 200)
    }

    @Test("an oversized response body is refused with a clear error")
    func responseSizeCap() async throws {
        let server = try ScriptedHTTPServer { _ in
            ScriptedHTTPServer.Response(status: 200, body: Array(repeating: 65, count: 100_000))
        }
        defer { server.stop() }
        let client = HTTPClient(configuration: .init(maxResponseBytes: 10_000))
        let error = await #expect(throws: TransportError.self) {
            _ = try await client.execute(HTTPRequest(method: .get, url: server.baseURL + "/big"))
        }
        #expect(error?.code == .responseTooLarge)
        #expect(error?.description.contains("10000") == true)
    }

    @Test("HTTP error statuses come back with status, headers and body")
    func errorStatusesReturned() async throws {
        let server = try ScriptedHTTPServer { _ in
            ScriptedHTTPServer.Response(
                status: 404, headers: [("Content-Type", "application/json")],
                body: Array("{\"error_code\":404,\"message\":\"gone\"}".utf8))
        }
        defer { server.stop() }
        let response = try await HTTPClient().execute(HTTPRequest(method: .get, url: server.baseURL + "/missing"))
        #expect(response.status == 404)
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.text.contains("\"gone\""))
    }
}
