import Foundation
import JumpchainCore
import JumpchainJSON
import Testing

@Suite("Verification renderers: table and JSON")
struct VerificationRendererTests {
    func failingReport() async -> VerificationReport {
        let chain = VerificationTestChain(topics: [
            "orders": [100, 100, 100], "a-very-long-topic-name-that-does-not-fit.events": [5],
        ])
        await chain.produce("orders", [0, 40, 7])
        await chain.setEnds(.target, "orders", [90, 100, 100])
        await chain.updateLink(.target, VerificationTestChain.leg2) {
            $0.state = "FAILED"
            $0.error = "AUTHENTICATION_ERROR"
            $0.errorMessage = "Please check your api key and secret"
        }
        let topology = VerificationTestChain.topology(["orders", "a-very-long-topic-name-that-does-not-fit.events"])
        return await OffsetVerifier(topology: topology, observer: chain).verifyOnce(threshold: 0)
    }

    @Test func tableShowsWorstPartitionsFirstTotalsAndDiagnoses() async throws {
        let report = await failingReport()
        let text = VerificationTableRenderer().render(report)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)

        #expect(lines.allSatisfy { $0.count <= 100 }, "\(lines.filter { $0.count > 100 })")
        #expect(lines[0] == "jumpchain verify orders-migration: FAIL (threshold 0 per partition, 1 round, 0s)")
        #expect(lines.contains("  leg 2 (jump → target)  link jumpchain-jump-to-target: FAIL"))
        #expect(lines.contains("    target lkc-target: FAILED AUTHENTICATION_ERROR; mirrors ACTIVE 2/2"))

        let header = try #require(lines.firstIndex { $0.hasPrefix("TOPIC ") })
        #expect(
            lines[header]
                == "TOPIC                     PART ORIGIN END   JUMP END TARGET END  O→J LAG  J→T LAG  E2E LAG STATUS   "
        )
        #expect(
            lines[header + 1]
                == "orders                       1       ~140        100        100      ~40        0      ~40 LAGGING  "
        )
        #expect(
            lines[header + 2]
                == "orders                       0       ~100        100         90       ~0       10      ~10 LAGGING  "
        )
        #expect(lines[header + 3].hasPrefix("orders                       2       ~107"))
        #expect(
            lines.contains(
                "a-very-long-topic-name-…     0         ~5          5          5       ~0        0       ~0 ok       "))
        // `~`: every origin figure here is derived from the jump mirror's lag, and the table says so.
        #expect(lines.contains { $0.hasPrefix("~ n: derived from the mirrors, not read where it lives") })
        #expect(lines.contains("ORIGIN END: 4 derived (jump mirror end + its lag)"))

        let totals = try #require(lines.firstIndex(of: "Totals per topic"))
        #expect(
            lines[totals + 2]
                == "orders                        3       3         47         10         57         40 FAIL     ")
        #expect(
            lines.contains { $0.hasPrefix("  1. leg 2 (jump → target), link jumpchain-jump-to-target on the target") })
        #expect(lines.contains { $0.hasPrefix("     likely cause: the link's API key for the jump was revoked") })
        #expect(lines.contains("     more: jumpchain status orders-migration"))
        #expect(
            lines.contains(
                "     REST: GET /kafka/v3/clusters/lkc-target/links/jumpchain-jump-to-target?include_tasks=true"))
        #expect(lines.contains("FAIL: failing partitions: orders:0, orders:1, orders:2"))
        #expect(!text.contains("\u{1B}["))

        let colored = VerificationTableRenderer(color: true).render(report)
        #expect(colored.contains("\u{1B}[31mFAIL\u{1B}[0m"))
        #expect(colored.contains("\u{1B}[32mok       \u{1B}[0m"))
    }

    @Test func worstFirstPutsUnknownLagsBeforeKnownOnes() {
        let unknown = PartitionReport(
            partition: 5, originEnd: nil, jumpEnd: 1, targetEnd: 1, lag1: nil, lag2: 0, endToEndLag: nil,
            passed: false, note: "jump not observed")
        let big = PartitionReport(
            partition: 1, originEnd: 9, jumpEnd: 9, targetEnd: 0, lag1: 0, lag2: 9, endToEndLag: 9, passed: false,
            note: nil)
        let fine = PartitionReport(
            partition: 0, originEnd: 1, jumpEnd: 1, targetEnd: 1, lag1: 0, lag2: 0, endToEndLag: 0, passed: true,
            note: nil)
        let mirror = TopicReport.MirrorSummary(
            name: "t", presence: "found", status: "ACTIVE", error: nil, partitions: 6)
        let report = VerificationReport(
            runName: "r", threshold: 0, hops: [],
            topics: [
                TopicReport(
                    topic: "t", jumpMirror: mirror, targetMirror: mirror, partitions: [fine, big, unknown],
                    passed: false)
            ],
            passed: false, failures: [], failingPartitions: [], diagnoses: [], rounds: 1, elapsedMs: 0)
        #expect(VerificationTableRenderer.worstFirst(report).map(\.partition.partition) == [5, 1, 0])
        let text = VerificationTableRenderer(maxPartitionRows: 2).render(report)
        #expect(text.contains("… 1 more partitions, 0 of them failing"))
        #expect(text.contains("UNKNOWN"))
        #expect(text.contains("ORIGIN END: 1 not observed"), "\(text)")
    }

    @Test func jsonHasStableKeysAndRoundTrips() async throws {
        let report = await failingReport()
        let json = VerificationJSON.encode(report)
        for key in [
            "\"run_name\"", "\"failing_partitions\"", "\"lag_end_to_end\"", "\"lag_origin_to_jump\"",
            "\"lag_jump_to_target\"", "\"origin_end\"", "\"likely_cause\"", "\"suggested_command\"", "\"rest_call\"",
            "\"link_error\":\"AUTHENTICATION_ERROR\"", "\"cause\":\"authentication\"", "\"hop\":\"leg2\"",
        ] {
            #expect(json.contains(key), "missing \(key)")
        }
        // One compact document per line: `--output json` output is read line by line.
        #expect(!json.contains("\n"))
        #expect(json.contains("\"failing_partitions\":[\"orders:0\",\"orders:1\",\"orders:2\"]"))
        #expect(try VerificationJSON.decodeReport(json) == report)

        let canary = CanaryResult(
            id: "c0ffee", topic: "_jumpchain.canary", round: 2, write: CanaryWrite(partition: 0, offset: 3),
            jumpArrival: .init(hop: .leg1, lastOffset: 3, afterMs: 10), targetArrival: nil, latencyMs: nil,
            offsetsMatch: nil, passed: false, failure: "late", diagnoses: [])
        #expect(
            VerificationJSON.line(canary)
                == "{\"diagnoses\":[],\"failure\":\"late\",\"id\":\"c0ffee\",\"jump_arrival\":{\"after_ms\":10,"
                + "\"hop\":\"leg1\",\"last_offset\":3},\"passed\":false,\"round\":2,\"topic\":\"_jumpchain.canary\","
                + "\"write\":{\"offset\":3,\"partition\":0}}")
    }
}
