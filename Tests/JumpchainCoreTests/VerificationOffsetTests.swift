import ConfluentAPI
import JumpchainCore
import Testing

@Suite("Offset verification: derivation and passing chains")
struct VerificationOffsetTests {
    @Test func healthyChainPassesWithPerPartitionDerivation() async throws {
        let chain = VerificationTestChain(topics: ["orders": [10, 7, 0]])
        await chain.setEnds(.jump, "orders", [10, 5, 0])
        await chain.setEnds(.target, "orders", [8, 5, 0])
        let verifier = OffsetVerifier(topology: VerificationTestChain.topology(["orders"]), observer: chain)

        let report = await verifier.verifyOnce(threshold: 2)
        #expect(report.passed, "\(report.failures)")
        #expect(report.failingPartitions.isEmpty)
        #expect(report.diagnoses.isEmpty)
        let orders = try #require(report.topic("orders"))
        // Every origin figure is inferred from the jump mirror's lag, and says so.
        #expect(orders.partitions.allSatisfy { $0.derived == ["origin_end", "lag_origin_to_jump", "lag_end_to_end"] })
        #expect(
            orders.partitions.map { partition in
                var figures = partition
                figures.derived = []
                return figures
            } == [
                PartitionReport(
                    partition: 0, originEnd: 10, jumpEnd: 10, targetEnd: 8, lag1: 0, lag2: 2, endToEndLag: 2,
                    passed: true, note: nil),
                PartitionReport(
                    partition: 1, originEnd: 7, jumpEnd: 5, targetEnd: 5, lag1: 2, lag2: 0, endToEndLag: 2,
                    passed: true, note: nil),
                PartitionReport(
                    partition: 2, originEnd: 0, jumpEnd: 0, targetEnd: 0, lag1: 0, lag2: 0, endToEndLag: 0,
                    passed: true, note: nil),
            ])
        #expect(
            orders.totals
                == .init(partitions: 3, failingPartitions: 0, lag1: 2, lag2: 2, endToEndLag: 4, maxEndToEndLag: 2))
        #expect(report.hops.map(\.healthy) == [true, true])
        #expect(report.hop(.leg1)?.halves.map(\.cluster) == [.origin, .jump])
        #expect(report.hop(.leg2)?.halves.map(\.cluster) == [.target])

        let strict = await verifier.verifyOnce(threshold: 1)
        #expect(!strict.passed)
        #expect(strict.failingPartitions == ["orders:0", "orders:1"])
    }

    @Test func verifyPollsUntilTheLagDrainsWithinTheTimeout() async throws {
        let chain = VerificationTestChain(topics: ["orders": [0, 0], "payments": [5]])
        await chain.produce("orders", [30, 12])
        await chain.setRate(.leg1, 10)
        await chain.setRate(.leg2, 10)
        let clock = VirtualClock { await chain.advance() }
        let verifier = OffsetVerifier(
            topology: VerificationTestChain.topology(["orders", "payments"]), observer: chain)

        let report = await verifier.verify(until: .seconds(300), threshold: 0, pollInterval: .seconds(5), clock: clock)
        #expect(report.passed, "\(report.failures)")
        // leg 1 needs 3 steps for 30 records, leg 2 follows in the same steps: 4 rounds, 3 sleeps.
        #expect(report.rounds == 4)
        #expect(report.elapsedMs == 15_000)
        #expect(report.topic("orders")?.partitions.map(\.targetEnd) == [30, 12])
    }

    @Test func derivationHandlesNoFetchMissingPartitionsAndSkewedReads() {
        // Nothing fetched yet on leg 2: -1 with a positive lag means the target is empty.
        let noFetch = PartitionDerivation.derive(
            partition: 0, jump: MirrorLag(partition: 0, lag: 0, lastSourceFetchOffset: 4),
            target: MirrorLag(partition: 0, lag: 5, lastSourceFetchOffset: -1), threshold: 0)
        #expect(noFetch.targetEnd == 0)
        #expect(noFetch.endToEndLag == 5)
        #expect(noFetch.note == "lag 5 > 0; leg 2 has not fetched yet")
        #expect(!noFetch.passed)

        // The jump grew between the two reads: the later, larger jump end wins and the lags still add up.
        let skew = PartitionDerivation.derive(
            partition: 1, jump: MirrorLag(partition: 1, lag: 3, lastSourceFetchOffset: 9),
            target: MirrorLag(partition: 1, lag: 6, lastSourceFetchOffset: 5), threshold: 10)
        #expect(skew.jumpEnd == 12)
        #expect(skew.originEnd == 13)
        #expect(skew.lag1 == 1)
        #expect(skew.lag2 == 6)
        #expect(skew.endToEndLag == 7)
        // Records arrived between the two reads: lag1 and the end-to-end lag are lower bounds, and say so.
        #expect(skew.lagIsLowerBound)
        #expect(!noFetch.lagIsLowerBound)
        let still = PartitionDerivation.derive(
            partition: 1, jump: MirrorLag(partition: 1, lag: 3, lastSourceFetchOffset: 9),
            target: MirrorLag(partition: 1, lag: 4, lastSourceFetchOffset: 5), threshold: 10)
        #expect(still.endToEndLag == 7)
        #expect(!still.lagIsLowerBound, "the jump's end was the same in both reads: a measurement")

        // The partition is absent on the target: unknown lag never passes.
        let missing = PartitionDerivation.derive(
            partition: 2, jump: MirrorLag(partition: 2, lag: 0, lastSourceFetchOffset: 0), target: nil, threshold: 100)
        #expect(missing.endToEndLag == nil)
        #expect(!missing.passed)
        #expect(missing.note == "missing on the target")

        // "next offset to fetch" reading: the value is the log end itself.
        let next = PartitionDerivation.derive(
            partition: 0, jump: MirrorLag(partition: 0, lag: 2, lastSourceFetchOffset: 8),
            target: MirrorLag(partition: 0, lag: 0, lastSourceFetchOffset: 8), threshold: 2, meaning: .nextOffsetToFetch
        )
        #expect(next.originEnd == 10)
        #expect(next.targetEnd == 8)
        #expect(next.endToEndLag == 2)
    }

    @Test func partitionCountMismatchFailsTheMissingPartitionsWithADiagnosis() async throws {
        let chain = VerificationTestChain(topics: ["orders": [4, 4, 4]])
        await chain.setEnds(.target, "orders", [4, 4])
        let verifier = OffsetVerifier(topology: VerificationTestChain.topology(["orders"]), observer: chain)

        let report = await verifier.verifyOnce(threshold: 0)
        #expect(!report.passed)
        #expect(report.failingPartitions == ["orders:2"])
        let diagnosis = try #require(report.diagnoses.first)
        #expect(diagnosis.cause == .partitionMismatch)
        #expect(diagnosis.hop == .leg2)
        #expect(diagnosis.message == "`orders` has 3 partitions on the jump, `orders` has 2 on the target")
        #expect(
            report.failures.contains {
                $0.hasPrefix("orders: 1 of 3 partitions failing: orders:2 (missing on the target)")
            })
    }

    @Test func anUnobservableJumpFailsUnlessLegTwoAloneIsAccepted() async throws {
        let chain = VerificationTestChain(topics: ["orders": [6, 6]])
        await chain.setUnobservable(.jump)
        let topology = VerificationTestChain.topology(["orders"])

        let strict = await OffsetVerifier(topology: topology, observer: chain).verifyOnce(threshold: 0)
        #expect(!strict.passed)
        #expect(strict.diagnoses.map(\.cause) == [.unobservable])
        #expect(strict.diagnoses.first?.cluster == .jump)
        #expect(strict.diagnoses.first?.likelyCause.contains("verify.canary: true") == true)
        #expect(strict.failingPartitions == ["orders:0", "orders:1"])

        let lenient = await OffsetVerifier(topology: topology, observer: chain, acceptUnobservedJump: true)
            .verifyOnce(threshold: 0)
        #expect(lenient.passed, "\(lenient.failures)")
        let partition = try #require(lenient.topic("orders")?.partitions.first)
        #expect(partition.lag1 == nil)
        #expect(partition.lag2 == 0)
        #expect(partition.jumpEnd == 6)
    }
}
