import ConfluentAPI
import ConfluentSimulator
import Foundation
import JumpchainHTTP
import JumpchainTestSupport
import Synchronization
import Testing
import Workflow

@testable import JumpchainCore

/// A new key's first uses may answer 401 or 403 while it propagates; both are waited out (bounded), and a
/// link create rejected for an authentication reason right after minting is retried.
@Suite struct KeyPropagationTests {
    private static let timing = RolloutTiming(keyPollInterval: .milliseconds(10), keyPropagationTimeout: .seconds(20))

    private func client(_ server: ScriptedHTTPServer) -> KafkaRESTClient {
        let credential = APICredential(key: "NEWKEY", secret: Secret(bytes: Array("s3cret".utf8)))
        let endpoint = APIEndpoint(
            http: HTTPClient(), baseURL: server.baseURL, credential: credential, label: "jump (lkc-j) Kafka REST",
            retry: .none)
        return KafkaRESTClient(endpoint: endpoint, clusterID: "lkc-j")
    }

    /// A control plane whose `GET /iam/v2/api-keys/NEWKEY` answers `answers` in turn (the last one from then on).
    private func controlPlane(_ answers: [Int] = [200]) throws -> (ControlPlaneClient, ScriptedHTTPServer) {
        let left = Mutex(answers)
        let server = try ScriptedHTTPServer { _ in
            let status = left.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] }
            return status == 200
                ? ScriptedHTTPServer.Response(
                    status: 200, headers: [("Content-Type", "application/json")],
                    body: Array(#"{"id":"NEWKEY","spec":{}}"#.utf8))
                : Self.error(status, "Not Found")
        }
        let credential = APICredential(key: "CLOUDKEY", secret: Secret(bytes: Array("s3cret".utf8)))
        let endpoint = APIEndpoint(
            http: HTTPClient(), baseURL: server.baseURL, credential: credential, label: "control plane", retry: .none)
        return (ControlPlaneClient(endpoint: endpoint), server)
    }

    private static let topics = ScriptedHTTPServer.Response(
        status: 200, headers: [("Content-Type", "application/json")],
        body: Array(#"{"kind":"KafkaTopicList","metadata":{},"data":[]}"#.utf8))

    private static func error(_ status: Int, _ message: String) -> ScriptedHTTPServer.Response {
        ScriptedHTTPServer.Response(
            status: status, headers: [("Content-Type", "application/json")],
            body: Array(#"{"error_code":\#(status)01,"message":"\#(message)"}"#.utf8))
    }

    @Test func forbiddenThenOKIsStillPropagating() async throws {
        let answers = Mutex([Self.error(401, "Unauthorized"), Self.error(403, "Forbidden"), Self.topics, Self.topics])
        let server = try ScriptedHTTPServer { _ in
            answers.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] }
        }
        defer { server.stop() }
        let (controlPlane, cloud) = try controlPlane()
        defer { cloud.stop() }
        try await KeyPropagation.wait(
            for: client(server), keyID: "NEWKEY", controlPlane: controlPlane, timing: Self.timing,
            purpose: "link key", report: nil)
        #expect(server.requests.count == 4)
    }

    /// One lookup that finds no key (a control plane that has not caught up) does not end the wait: two in a row do.
    @Test func aKeyMissingOnceIsStillPropagating() async throws {
        let answers = Mutex(Array(repeating: Self.error(401, "Unauthorized"), count: 6) + [Self.topics, Self.topics])
        let server = try ScriptedHTTPServer { _ in
            answers.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] }
        }
        defer { server.stop() }
        let (controlPlane, cloud) = try controlPlane([404, 200, 404, 200])
        defer { cloud.stop() }
        try await KeyPropagation.wait(
            for: client(server), keyID: "NEWKEY", controlPlane: controlPlane, timing: Self.timing,
            purpose: "link key", report: nil)
        #expect(cloud.requests.count >= 3, "lookups: \(cloud.requests.count)")
    }

    /// A key the control plane answers 404 for, twice in a row, will never work: the wait fails at once, naming it.
    @Test func aKeyTheControlPlaneDoesNotHaveFailsTheWait() async throws {
        let server = try ScriptedHTTPServer { _ in Self.error(401, "Unauthorized") }
        defer { server.stop() }
        let (controlPlane, cloud) = try controlPlane([404])
        defer { cloud.stop() }
        let message: String
        do {
            try await KeyPropagation.wait(
                for: client(server), keyID: "NEWKEY", controlPlane: controlPlane, timing: Self.timing,
                purpose: "link key", report: nil)
            message = "the wait ended as if the key worked"
        } catch let failure as StepFailure {
            message = failure.message
        }
        #expect(message.contains("link key NEWKEY was revoked before it worked on lkc-j"), "\(message)")
        #expect(message.contains("Run the command again"), "\(message)")
        #expect(cloud.requests.count == 2, "lookups: \(cloud.requests.count)")
    }

    /// A 403 from the key lookup tells nothing (a deleted key, or an operator that may create keys but not read
    /// them): however many there are, the wait goes on until the key works.
    @Test func aForbiddenLookupTellsNothing() async throws {
        let answers = Mutex(Array(repeating: Self.error(401, "Unauthorized"), count: 8) + [Self.topics, Self.topics])
        let server = try ScriptedHTTPServer { _ in
            answers.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] }
        }
        defer { server.stop() }
        let (controlPlane, cloud) = try controlPlane([403])
        defer { cloud.stop() }
        try await KeyPropagation.wait(
            for: client(server), keyID: "NEWKEY", controlPlane: controlPlane, timing: Self.timing,
            purpose: "link key", report: nil)
        #expect(cloud.requests.count >= 2, "lookups: \(cloud.requests.count)")
    }

    /// Checks of a new key start 100 ms apart and slow down to the interval: a key that works after 2 s (the
    /// simulator) is seen within 250 ms of it, and Confluent's two minutes cost few more checks than a fixed
    /// 2 s interval (60).
    @Test func keyChecksStartOftenAndSlowDownToTheInterval() {
        let timing = RolloutTiming(keyPollInterval: .seconds(2))
        #expect(timing.keyPollDelay(elapsed: .zero) == .milliseconds(100))
        #expect(timing.keyPollDelay(elapsed: .seconds(2)) == .milliseconds(250))
        #expect(timing.keyPollDelay(elapsed: .seconds(8)) == .seconds(1))
        #expect(timing.keyPollDelay(elapsed: .seconds(90)) == .seconds(2))
        var elapsed = Duration.zero
        var checks = 0
        while elapsed < .seconds(120) {
            let delay = timing.keyPollDelay(elapsed: elapsed)
            #expect(delay >= .milliseconds(100) && delay <= .seconds(2))
            elapsed += delay
            checks += 1
        }
        #expect(checks <= 60 + 30)
        // A shorter interval (`JUMPCHAIN_POLL_MS`, the tests' 10 ms) is never exceeded.
        #expect(Self.timing.keyPollDelay(elapsed: .seconds(5)) == .milliseconds(10))
    }

    @Test func aForbiddenKeyThatNeverWorksTimesOut() async throws {
        let server = try ScriptedHTTPServer { _ in Self.error(403, "Forbidden") }
        defer { server.stop() }
        var timing = Self.timing
        timing.keyPropagationTimeout = .milliseconds(100)
        await #expect(throws: StepFailure.self) {
            try await KeyPropagation.wait(
                for: client(server), keyID: "NEWKEY", controlPlane: try controlPlane([404]).0, timing: timing,
                purpose: "link key", report: nil)
        }
    }

    /// The simulator answers the lookup of a revoked key 403, as Cloud may: that tells nothing (a key the operator
    /// may not read answers it too), so the wait does not call the key revoked and ends at its bound, naming it.
    @Test("a key revoked before or while it propagates, whose lookup answers 403: the wait ends at its bound")
    func revokedKeyIsNotPropagating() async throws {
        typealias Demo = SimulatorConfig.JumpDemo
        let (simulator, environment, playbook) = try await JumpSessionTests.demo()
        let context = try RunSession.makeContext(
            playbook, runName: playbook.runName, options: Rollout.Options(environment: environment))
        defer { context.credentials.wipe() }
        let controlPlane = context.controlPlane
        func mint() async throws -> ControlPlaneClient.CreatedKey {
            try await controlPlane.createAPIKey(
                owner: Demo.linkServiceAccount, resource: Demo.jump, environment: playbook.jump.environment,
                displayName: "propagation test", description: "propagation test")
        }
        // The key never works once revoked; the bound is short (the lookups' 403s cannot end the wait sooner).
        let timing = RolloutTiming(keyPollInterval: .milliseconds(20), keyPropagationTimeout: .milliseconds(600))
        func failure(
            _ created: ControlPlaneClient.CreatedKey, report: (@Sendable (String) -> Void)? = nil
        ) async -> String {
            do {
                try await KeyPropagation.wait(
                    for: context.jumpClient(as: created.credential), keyID: created.key.id,
                    controlPlane: controlPlane, timing: timing, purpose: "link key", report: report)
                return "the wait ended as if the key worked"
            } catch let failure as StepFailure {
                #expect(!failure.isRetryable)
                return failure.message
            } catch {
                return "\(error)"
            }
        }
        // Deleted before the wait starts.
        let before = try await mint()
        try await controlPlane.deleteAPIKey(before.key.id)
        let early = await failure(before)
        // Deleted while the wait runs: once it has seen the key's first 401.
        let during = try await mint()
        let late = await failure(during) { _ in
            Task { try? await controlPlane.deleteAPIKey(during.key.id) }
        }
        await simulator.stop()
        for (key, message) in [(before.key.id, early), (during.key.id, late)] {
            #expect(message.contains("timed out"), "\(message)")
            #expect(message.contains("link key \(key) to propagate to \(Demo.jump): still 401"), "\(message)")
            #expect(!message.contains("was revoked"), "\(message)")
        }
    }

    @Test func linkCreateRejectedForAuthenticationIsRetried() async throws {
        let answers = Mutex([
            Self.error(400, "Cluster link validation failed: AUTHENTICATION_ERROR: Please check your api key"),
            ScriptedHTTPServer.Response(status: 204),
        ])
        let server = try ScriptedHTTPServer { _ in answers.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] } }
        defer { server.stop() }
        let rest = client(server)
        try await KeyPropagation.retryingAuthentication(timing: Self.timing, purpose: "creating l2", report: nil) {
            try await rest.createLink("l2", sourceClusterID: "lkc-j", configs: [])
        }
        #expect(server.requests.count == 2)
        // Any other validation failure is not retried.
        let other = try ScriptedHTTPServer { _ in Self.error(400, "Cluster link validation failed: TIMEOUT") }
        defer { other.stop() }
        await #expect(throws: ConfluentAPIError.self) {
            try await KeyPropagation.retryingAuthentication(timing: Self.timing, purpose: "creating l2", report: nil) {
                try await client(other).createLink("l2", sourceClusterID: "lkc-j", configs: [])
            }
        }
        #expect(other.requests.count == 1)
    }
}
