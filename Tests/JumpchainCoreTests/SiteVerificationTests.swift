import ConfluentAPI
import JumpchainCore
import Testing

/// A multi-site run's split verification (`verify:origin`, `verify:target`, `verify`): each side's record survives
/// the shared state (JSON), and the comparison judges the two records as one live observation would be judged.
@Suite("Cross-site verification: recorded observations compared")
struct SiteVerificationTests {
    @Test func aTargetBehindTheOriginsRecordFailsAndPassesOnceCaughtUp() async throws {
        let chain = VerificationTestChain(topics: ["orders": [10, 7]])
        let topology = VerificationTestChain.topology(["orders"])
        let verifier = OffsetVerifier(topology: topology, observer: chain)
        // The origin's site reads leg 1 while the target is still behind.
        await chain.setEnds(.target, "orders", [4, 7])
        let atOrigin = await verifier.observe()
        let recorded = SiteObservation(side: .origin, hop: atOrigin.leg1, originEnds: atOrigin.originEnds)
        let origin = try SiteObservation.decode(recorded.encoded(), step: "verify:origin")
        #expect(origin == recorded, "the record survives the state")

        let behind = SiteObservation(side: .target, hop: await verifier.observe().leg2)
        let failing = SiteVerification.report(origin: origin, target: behind, topology: topology, threshold: 0)
        #expect(!failing.passed)
        #expect(failing.failingPartitions == ["orders:0"], "\(failing.failures)")
        #expect(failing.topic("orders")?.partitions.first?.endToEndLag == 6)

        // Records produced after the origin's record do not count against the target: it only has to reach what
        // the origin's site saw.
        await chain.setEnds(.target, "orders", [10, 7])
        await chain.produce("orders", [50, 50])
        let caughtUp = try SiteObservation.decode(
            SiteObservation(side: .target, hop: await verifier.observe().leg2).encoded(), step: "verify:target")
        let passing = SiteVerification.report(origin: origin, target: caughtUp, topology: topology, threshold: 0)
        #expect(passing.passed, "\(passing.failures)")
    }

    @Test func unreadableHalvesAndAMissingCanaryFailTheComparison() async throws {
        let chain = VerificationTestChain(topics: ["orders": [3]])
        let topology = VerificationTestChain.topology(["orders"])
        let verifier = OffsetVerifier(topology: topology, observer: chain)
        let origin = SiteObservation(side: .origin, hop: await verifier.observe().leg1)
        // The target's site could not read its link half: the reason is recorded and judged.
        await chain.setUnobservable(.target)
        let unread = try SiteObservation.decode(
            SiteObservation(side: .target, hop: await verifier.observe().leg2).encoded(), step: "verify:target")
        let report = SiteVerification.report(origin: origin, target: unread, topology: topology, threshold: 0)
        #expect(!report.passed)
        #expect(
            report.failures.contains { $0.contains("on the target (lkc-target): not observable") }, "\(report.failures)"
        )

        // A canary produced at the origin's site that the target's site never followed.
        var withCanary = origin
        withCanary.canary = CanaryResult(
            id: "c1", topic: "orders", round: 1, write: CanaryWrite(partition: 0, offset: 3), jumpArrival: nil,
            targetArrival: nil, latencyMs: nil, offsetsMatch: nil, passed: true, failure: nil, diagnoses: [])
        let readable = OffsetVerifier(topology: topology, observer: VerificationTestChain(topics: ["orders": [3]]))
        let target = SiteObservation(side: .target, hop: await readable.observe().leg2)
        #expect(SiteVerification.report(origin: origin, target: target, topology: topology, threshold: 0).passed)
        let noCanary = SiteVerification.report(origin: withCanary, target: target, topology: topology, threshold: 0)
        #expect(!noCanary.passed)
        #expect(noCanary.failures.contains { $0.contains("canary: the target's site did not follow") })
    }
}
