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
                figures.originEndSource = nil
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

    @Test func aMeasuredOriginEndWinsOverTheDerivedOneAndIsNotMarkedDerived() {
        let jump = MirrorLag(partition: 0, lag: 3, lastSourceFetchOffset: 9)
        let target = MirrorLag(partition: 0, lag: 0, lastSourceFetchOffset: 9)
        let derived = PartitionDerivation.derive(partition: 0, jump: jump, target: target, threshold: 0)
        #expect(derived.originEnd == 13)
        #expect(derived.derived.contains("origin_end"))
        // A consumer group's log_end_offset read on the origin: used as is, marked measured.
        let measured = PartitionDerivation.derive(
            partition: 0, jump: jump, target: target, threshold: 0, measuredOriginEnd: 15)
        #expect(measured.originEnd == 15)
        #expect(measured.originEndSource == .consumerGroup)
        #expect(measured.originEndMeasured == 15)
        #expect(measured.lag1 == 5)
        #expect(measured.endToEndLag == 5)
        #expect(!measured.derived.contains("origin_end"), "\(measured.derived)")
        #expect(!measured.derived.contains("lag_end_to_end"))
        // Behind the jump (records arrived after it was read): the derived figure stays, marked derived.
        let stale = PartitionDerivation.derive(
            partition: 0, jump: jump, target: target, threshold: 0, measuredOriginEnd: 8)
        #expect(stale.originEnd == 13)
        #expect(stale.derived.contains("origin_end"))
        #expect(stale.originEndSource == .jumpMirrorLag)
        #expect(stale.originEndMeasured == 8, "the measurement not used is kept, so the choice can be checked")
        // Ahead of the jump but behind leg 1's view of the origin (jump end 9 + lag 3): the larger bound is used.
        let behindLeg1 = PartitionDerivation.derive(
            partition: 0, jump: jump, target: target, threshold: 0, measuredOriginEnd: 11)
        #expect(behindLeg1.originEnd == 13)
        #expect(behindLeg1.originEndSource == .jumpMirrorLag)
        #expect(behindLeg1.derived == ["origin_end", "lag_origin_to_jump", "lag_end_to_end"])
    }

    @Test func theCanarysProduceOffsetMeasuresItsPartitionWhereTheMirrorsHaveNotSeenIt() {
        // The canary landed at offset 9: the origin's end was at least 10 when the produce returned. Leg 1 has not
        // fetched since (its view says lag 0), so the derived origin end (9) would hide the canary in flight.
        let jump = MirrorLag(partition: 0, lag: 0, lastSourceFetchOffset: 8)
        let target = MirrorLag(partition: 0, lag: 0, lastSourceFetchOffset: 8)
        let canary = MeasuredOriginEnd(canary: CanaryWrite(partition: 0, offset: 9))
        #expect(canary == MeasuredOriginEnd(offset: 10, source: .canary))
        let inFlight = PartitionDerivation.derive(
            partition: 0, jump: jump, target: target, threshold: 0, measuredOriginEnd: canary.offset,
            measuredBy: canary.source)
        #expect(inFlight.originEnd == 10)
        #expect(inFlight.originEndSource == .canary)
        #expect(inFlight.lag1 == 1)
        #expect(inFlight.endToEndLag == 1)
        #expect(!inFlight.passed, "the canary has not crossed: a real lag of 1")
        #expect(inFlight.derived.isEmpty, "\(inFlight.derived)")

        // Crossed: leg 1's view agrees with the measurement (a tie goes to the measurement).
        let crossed = PartitionDerivation.derive(
            partition: 0, jump: MirrorLag(partition: 0, lag: 0, lastSourceFetchOffset: 9),
            target: MirrorLag(partition: 0, lag: 0, lastSourceFetchOffset: 9), threshold: 0,
            measuredOriginEnd: canary.offset, measuredBy: canary.source)
        #expect(crossed.originEnd == 10)
        #expect(crossed.originEndSource == .canary)
        #expect(crossed.passed)

        // Key-free (the jump is not read): without the canary the origin's end is not observed (not guessed);
        // with it, measured, and the end-to-end lag is known.
        let keyFree = PartitionDerivation.derive(
            partition: 0, jump: nil, target: MirrorLag(partition: 0, lag: 0, lastSourceFetchOffset: 8), threshold: 0,
            jumpObserved: false, acceptUnobservedJump: true)
        #expect(keyFree.originEnd == nil)
        #expect(keyFree.originEndSource == nil)
        #expect(keyFree.endToEndLag == nil)
        let keyFreeCanary = PartitionDerivation.derive(
            partition: 0, jump: nil, target: MirrorLag(partition: 0, lag: 0, lastSourceFetchOffset: 8), threshold: 0,
            jumpObserved: false, acceptUnobservedJump: true, measuredOriginEnd: canary.offset,
            measuredBy: canary.source)
        #expect(keyFreeCanary.originEnd == 10)
        #expect(keyFreeCanary.originEndSource == .canary)
        #expect(keyFreeCanary.endToEndLag == 1)
        #expect(!keyFreeCanary.derived.contains("lag_end_to_end"))
        // A measurement behind the jump (seen from the target: end 9 + lag 3): the origin is at least as far.
        let behindJump = PartitionDerivation.derive(
            partition: 0, jump: nil, target: MirrorLag(partition: 0, lag: 3, lastSourceFetchOffset: 8), threshold: 5,
            jumpObserved: false, acceptUnobservedJump: true, measuredOriginEnd: 10)
        #expect(behindJump.originEnd == 12)
        #expect(behindJump.originEndSource == .jumpEnd)
        #expect(behindJump.originEndMeasured == 10)
        #expect(behindJump.derived.contains("origin_end"))
    }

    @Test func verifierUsesTheObserversGroupEndsAndAProducedCanaryMarkingEveryFigure() async throws {
        let canaryTopic = "_jumpchain.canary"
        let chain = VerificationTestChain(topics: ["orders": [10, 10], "payments": [5], canaryTopic: [3]])
        await chain.measureByGroup("orders")
        // Records arrive after the group's lags were read: partition 1's measurement falls behind leg 1's view.
        await chain.produce("orders", [0, 4])
        let topology = VerificationTestChain.topology(["orders", "payments", canaryTopic])
        let probe = CanaryProbe(topology: topology, observer: chain, clock: VirtualClock())
        let produced = await probe.produce(id: "c0ffee")
        #expect(produced.write == CanaryWrite(partition: 0, offset: 3))
        await chain.advance()
        var verifier = OffsetVerifier(topology: topology, observer: chain)
        verifier.measuredOriginEnds = produced.measuredOriginEnd(topic: canaryTopic)

        let report = await verifier.verifyOnce(threshold: 0)
        #expect(report.passed, "\(report.failures)")
        let orders = try #require(report.topic("orders"))
        #expect(orders.partitions.map(\.originEndSource) == [.consumerGroup, .jumpMirrorLag])
        #expect(orders.partitions.map(\.originEnd) == [10, 14])
        #expect(orders.partitions.map(\.originEndMeasured) == [10, 10])
        #expect(orders.partitions[0].derived.isEmpty)
        #expect(orders.partitions[1].derived.contains("origin_end"))
        #expect(report.topic("payments")?.partitions.map(\.originEndSource) == [.jumpMirrorLag])
        let canary = try #require(report.topic(canaryTopic)?.partitions.first)
        #expect(canary.originEndSource == .canary)
        #expect(canary.originEnd == 4)
        #expect(canary.derived.isEmpty)

        // The table marks each derived figure and says where every origin end came from and why (wide: one line
        // each).
        let text = VerificationTableRenderer(width: 200).render(report)
        #expect(text.contains("~ n: derived from the mirrors, not read where it lives"), "\(text)")
        #expect(
            text.contains(
                "ORIGIN END: 1 measured (the canary's produce offset + 1), 1 measured (a consumer group's "
                    + "log_end_offset), 2 derived (jump mirror end + its lag)"), "\(text)")
        #expect(text.contains("ORIGIN END: 1 measured figure was behind the mirrors' view"), "\(text)")
        let json = VerificationJSON.encode(report)
        #expect(json.contains("\"origin_end_source\":\"canary\""))
        #expect(json.contains("\"origin_end_measured\":10"))
        #expect(try VerificationJSON.decodeReport(json) == report)
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

    @Test func aTargetNotReadHereIsNoFailureAndLegOneIsJudgedAlone() async throws {
        let chain = VerificationTestChain(topics: ["orders": [6, 6]])
        await chain.setUnobservable(.target)
        let topology = VerificationTestChain.topology(["orders"])

        let strict = await OffsetVerifier(topology: topology, observer: chain).verifyOnce(threshold: 0)
        #expect(!strict.passed)
        #expect(strict.failingPartitions == ["orders:0", "orders:1"])

        var atSite = OffsetVerifier(topology: topology, observer: chain)
        atSite.notReadHere = [.target]
        let healthy = await atSite.verifyOnce(threshold: 0)
        #expect(healthy.passed, "\(healthy.failures)")
        let partition = try #require(healthy.topic("orders")?.partitions.first)
        #expect(partition.lag1 == 0)
        #expect(partition.targetEnd == nil)
        #expect(partition.note == "target not read here")

        // What was read still fails: leg 1 behind by 3 on partition 1.
        await chain.produce("orders", [0, 3])
        let behind = await atSite.verifyOnce(threshold: 0)
        #expect(!behind.passed)
        #expect(behind.failingPartitions == ["orders:1"])
        #expect(behind.topic("orders")?.partitions.last?.note?.hasPrefix("leg 1 lag 3 > 0") == true)
    }
}
