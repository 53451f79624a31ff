import ConfluentSimulator
import Foundation
import Testing

extension BinaryTests {
    /// The canary is read back on the target at its origin offset: a hop that shifts offsets fails verify.
    @Suite("canary read-back", .serialized)
    struct CanaryReadBackCLITests {
        @Test("a hop that shifts offsets fails the canary; a healthy chain reads the canary back")
        func shiftedOffsetsFailVerify() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let apply = try await world.jumpchain(["apply", world.demoPlaybook])
            #expect(apply.status == 0, "\(apply.output)")
            let healthy = try await world.jumpchain(["verify", "jump-demo", "--canary", "--timeout", "10"])
            #expect(healthy.status == 0, "\(healthy.output)")
            #expect(healthy.stdout.contains("offsets same  (read back)"), "\(healthy.stdout)")
            // Produced before the mirrors were read, the canary measures its partition's origin end.
            #expect(
                healthy.stdout.contains("ORIGIN END: 1 measured (the canary's produce offset + 1)"), "\(healthy.stdout)"
            )

            var faults = FaultSettings()
            faults.offsetShifts = ["demo-jump-to-target": 1]
            world.simulator.setFaults(faults)
            let shifted = try await world.jumpchain(["verify", "jump-demo", "--canary", "--timeout", "10"])
            #expect(shifted.status == 5, "\(shifted.output)")
            #expect(shifted.stdout.contains("offsets differ  (read back)"), "\(shifted.stdout)")
            #expect(shifted.stdout.contains("on the target is not the canary"), "\(shifted.stdout)")
            #expect(shifted.stderr.contains("canary round 1"), "\(shifted.stderr)")
        }

        /// The report's partitions of `topic` (JSON objects) from the first line of `verify --output json`.
        func partitions(_ stdout: String, _ topic: String) -> [[String: Any]] {
            let report = stdout.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }.first { $0["run_name"] != nil }
            let topics = (report?["topics"] as? [[String: Any]]) ?? []
            return (topics.first { $0["topic"] as? String == topic }?["partitions"] as? [[String: Any]]) ?? []
        }

        @Test("origin ends measured by the canary and by groups selected only by prefix; the rest marked derived")
        func measuredOriginEnds() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            // Both groups selected by prefix only: orders-app (a live consumer on the busy `orders`) and
            // payments-audit (idle, on `payments`, which no producer writes).
            let playbook = try world.playbookVariant(
                "prefixed-groups", replacing: [("  names: [orders-app]", "  prefixes: [orders-, payments-]")])
            let apply = try await world.jumpchain(["apply", playbook])
            #expect(apply.status == 0, "\(apply.output)")
            let verify = try await world.jumpchain(
                ["verify", "jump-demo", "--canary", "--timeout", "20", "--output", "json"])
            #expect(verify.status == 0, "\(verify.output)")
            let lines = verify.stdout.split(separator: "\n").map(String.init)
            let canary = lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
                .first { $0["write"] != nil }
            let write = try #require(canary?["write"] as? [String: Any], "\(verify.stdout)")
            let canaryPartition = try #require(
                partitions(verify.stdout, "_jumpchain.canary").first {
                    $0["partition"] as? Int == write["partition"] as? Int
                })
            #expect(canaryPartition["origin_end_source"] as? String == "canary", "\(canaryPartition)")
            #expect(canaryPartition["origin_end"] as? Int == (write["offset"] as? Int ?? -2) + 1, "\(canaryPartition)")
            #expect((canaryPartition["derived"] as? [String])?.contains("origin_end") == false)
            // The idle group measures every `payments` partition, and the mirrors agree: measured, nothing derived.
            let payments = partitions(verify.stdout, "payments")
            #expect(payments.count == 3)
            #expect(payments.allSatisfy { $0["origin_end_source"] as? String == "consumer_group" }, "\(payments)")
            #expect(payments.allSatisfy { ($0["derived"] as? [String])?.isEmpty == true }, "\(payments)")
            // `orders` keeps growing: each partition has the group's figure; where the mirrors saw more, the larger
            // (derived) figure is used and marked, the measurement kept beside it.
            let orders = partitions(verify.stdout, "orders")
            #expect(orders.count == 6)
            for partition in orders {
                let measured = try #require(partition["origin_end_measured"] as? Int, "\(partition)")
                let end = try #require(partition["origin_end"] as? Int)
                let derived = (partition["derived"] as? [String]) ?? []
                if partition["origin_end_source"] as? String == "consumer_group" {
                    #expect(measured == end && !derived.contains("origin_end"), "\(partition)")
                } else {
                    #expect(measured < end && derived.contains("origin_end"), "\(partition)")
                }
            }
            // No group reads `inventory`: derived from the jump mirror, and marked.
            #expect(
                partitions(verify.stdout, "inventory").allSatisfy {
                    $0["origin_end_source"] as? String == "jump_mirror_lag"
                        && ($0["derived"] as? [String])?.contains("origin_end") == true
                })

            // Key-free (`--watch`): the jump is not read, so only a measurement gives an origin end: the canary's
            // partition has one and an end-to-end lag; `inventory`'s origin end is not observed (not guessed).
            let watch = try await world.jumpchain(
                ["verify", "jump-demo", "--watch", "--rounds", "1", "--interval", "1", "--output", "json"])
            #expect(watch.status == 0, "\(watch.output)")
            let keyFreeCanary = partitions(watch.stdout, "_jumpchain.canary")
            #expect(keyFreeCanary.contains { $0["origin_end_source"] as? String == "canary" }, "\(watch.stdout)")
            #expect(keyFreeCanary.contains { $0["lag_end_to_end"] is Int }, "\(watch.stdout)")
            #expect(partitions(watch.stdout, "inventory").allSatisfy { $0["origin_end"] == nil }, "\(watch.stdout)")
        }
    }
}
