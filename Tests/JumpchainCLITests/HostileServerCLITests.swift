import ConfluentSimulator
import Foundation
import JumpchainJSON
import JumpchainTestSupport
import Testing

extension BinaryTestsLane2 {
    /// `jumpchain apply` with the origin's REST endpoint answered by a hostile server (everything else is the
    /// simulator). Each case: exit 3 with an error naming the origin cluster and the request, nothing changed
    /// remotely, no retry of what cannot succeed on retry, and no hang (the suite's time limit is the guard).
    @Suite("hostile origin server", .serialized, .timeLimit(.minutes(2)))
    struct HostileServerCLITests {
        static let operation = "GET /kafka/v3/clusters/lkc-origin/topics"

        /// Runs `apply` against a world whose origin answers every request with `response`; returns the
        /// hostile server so the caller can count what reached it.
        @discardableResult
        func expectRefused(
            _ response: ScriptedHTTPServer.Response, mentions: [String], requests expected: Int = 1,
            environment: [String: String] = [:]
        ) async throws -> ScriptedHTTPServer {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let hostile = try ScriptedHTTPServer { _ in response }
            defer { hostile.stop() }
            let before = world.remoteFingerprint()
            let result = try await world.jumpchain(
                ["apply", world.demoPlaybook],
                environment: environment.merging(["JUMPCHAIN_ORIGIN_REST": hostile.baseURL]) { $1 })
            #expect(result.status == 3, "\(result.output)")
            for text in ["origin (lkc-origin)", Self.operation] + mentions {
                #expect(result.stderr.contains(text), "missing '\(text)' in: \(result.stderr)")
            }
            #expect(!result.stderr.contains("Fatal error"))
            #expect(hostile.requests.count == expected, "requests: \(hostile.requests.map(\.path))")
            #expect(world.remoteFingerprint() == before)
            #expect(world.liveKeys(on: SimulatorConfig.JumpDemo.jump).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: world.stateDirectory + "/jump-demo"))
            return hostile
        }

        static func json(_ text: String, status: Int = 200) -> ScriptedHTTPServer.Response {
            .init(status: status, headers: [("Content-Type", "application/json")], body: Array(text.utf8))
        }

        @Test("truncated JSON")
        func truncatedJSON() async throws {
            try await expectRefused(
                Self.json(#"{"kind":"KafkaTopicList","metadata":{},"data":[{"topic_name":"ord"#),
                mentions: ["not valid JSON"])
        }

        @Test("wrong types")
        func wrongTypes() async throws {
            try await expectRefused(
                Self.json(
                    #"{"kind":"KafkaTopicList","metadata":{},"data":[{"topic_name":42,"partitions_count":"six"}]}"#),
                mentions: ["data[0].topic_name: expected String"])
        }

        @Test("a 2xx with an error body")
        func successStatusWithErrorBody() async throws {
            try await expectRefused(
                Self.json(#"{"error_code":50003,"message":"broker unavailable"}"#),
                mentions: ["HTTP 200 with an error body", "broker unavailable"])
        }

        @Test("a body over the size cap")
        func bodyOverSizeCap() async throws {
            var body = Array(#"{"kind":"KafkaTopicList","metadata":{},"data":["#.utf8)
            body += [UInt8](repeating: UInt8(ascii: " "), count: 33 << 20)
            body += Array("]}".utf8)
            try await expectRefused(
                .init(headers: [("Content-Type", "application/json")], body: body),
                mentions: ["exceeds the limit", "answered with more than jumpchain accepts"])
        }

        @Test("bytes trickled past every timeout")
        func trickledBytes() async throws {
            // A timeout is transient: each listing gets its 2 transport attempts, and the pattern listing before
            // the run is itself tried 5 times (as for a burst of 429s); then refused, with nothing changed.
            try await expectRefused(
                .init(
                    headers: [("Content-Type", "application/json")],
                    body: Array(#"{"kind":"KafkaTopicList","metadata":{},"data":[]}"#.utf8), trickle: .milliseconds(200)
                ),
                mentions: ["timed out"], requests: 10,
                environment: ["JUMPCHAIN_HTTP_TIMEOUT_MS": "1500", "JUMPCHAIN_HTTP_ATTEMPTS": "2"])
        }

        @Test("invalid UTF-8")
        func invalidUTF8() async throws {
            var body = Array(#"{"kind":"KafkaTopicList","metadata":{},"data":[{"topic_name":""#.utf8)
            body += [0xFF, 0xFE, 0xC3]
            body += Array(#"","partitions_count":6}]}"#.utf8)
            try await expectRefused(
                .init(headers: [("Content-Type", "application/json")], body: body), mentions: ["could not decode"])
        }

        @Test("a redirect to another host gets no credentials")
        func redirectToAnotherHost() async throws {
            let elsewhere = try ScriptedHTTPServer { _ in Self.json(#"{"kind":"KafkaTopicList","data":[]}"#) }
            defer { elsewhere.stop() }
            let hostile = try await expectRefused(
                .init(status: 302, headers: [("Location", elsewhere.baseURL + "/kafka/v3/clusters/lkc-origin/topics")]),
                mentions: ["redirected to \(elsewhere.baseURL)", "does not follow redirects"])
            #expect(hostile.requests.first?.header("Authorization") != nil)  // the origin itself was asked
            #expect(elsewhere.requests.isEmpty)
            #expect(!elsewhere.requests.contains { $0.header("Authorization") != nil })
        }
    }
}
