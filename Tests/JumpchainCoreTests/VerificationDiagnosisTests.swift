import ConfluentAPI
import JumpchainCore
import Testing

@Suite("Offset verification: failures come with diagnoses")
struct VerificationDiagnosisTests {
    let topology = VerificationTestChain.topology(["orders", "payments"])

    func chain() -> VerificationTestChain {
        VerificationTestChain(topics: ["orders": [20, 20], "payments": [3]])
    }

    @Test func pausedMirrorOnTheJump() async throws {
        let chain = chain()
        await chain.updateMirror(.jump, "orders") { $0.status = "PAUSED" }
        let report = await OffsetVerifier(topology: topology, observer: chain).verifyOnce(threshold: 0)

        #expect(!report.passed)
        #expect(report.hop(.leg1)?.healthy == false)
        #expect(report.hop(.leg1)?.mirrorsActive == 1)
        #expect(report.failures.contains("leg 1 (origin → jump): mirrors on the jump not ACTIVE: orders PAUSED"))
        #expect(report.failingPartitions == ["orders:0", "orders:1"])
        #expect(report.topic("orders")?.partitions.first?.note == "jump mirror PAUSED")
        let diagnosis = try #require(report.diagnoses.only)
        #expect(diagnosis.cause == .mirrorPaused)
        #expect(diagnosis.hop == .leg1)
        #expect(diagnosis.cluster == .jump)
        #expect(diagnosis.clusterID == "lkc-jump")
        #expect(diagnosis.topics == ["orders"])
        #expect(diagnosis.message == "mirror_status PAUSED")
        #expect(diagnosis.suggestedCommand == "jumpchain status orders-migration")
        #expect(diagnosis.restCall == "GET /kafka/v3/clusters/lkc-jump/links/jumpchain-origin-to-jump/mirrors/orders")
    }

    @Test func legOnesSourceHalfMissing() async throws {
        let chain = chain()
        await chain.removeLink(.origin, VerificationTestChain.leg1)
        await chain.updateLink(.jump, VerificationTestChain.leg1) { $0.state = "UNAVAILABLE" }
        await chain.produce("orders", [5, 0])
        let report = await OffsetVerifier(topology: topology, observer: chain).verifyOnce(threshold: 0)

        #expect(!report.passed)
        #expect(report.failingPartitions == ["orders:0"])
        #expect(
            report.failures.contains(
                "leg 1 (origin → jump): link `jumpchain-origin-to-jump` on the origin (lkc-origin): missing (HTTP 404)")
        )
        let first = try #require(report.diagnoses.first)
        #expect(first.cause == .linkHalfMissing)
        #expect(first.cluster == .origin)
        #expect(first.hop == .leg1)
        #expect(first.link == "jumpchain-origin-to-jump")
        #expect(first.likelyCause.contains("SOURCE half on the origin is missing"))
        #expect(first.likelyCause.contains("source-initiated"))
        #expect(first.restCall == "GET /kafka/v3/clusters/lkc-origin/links/jumpchain-origin-to-jump?include_tasks=true")
        #expect(report.diagnoses.map(\.cause) == [.linkHalfMissing, .linkFailed])
        #expect(report.diagnoses.last?.message == "link_state UNAVAILABLE")
    }

    @Test func revokedLinkKeyOnBothLegs() async throws {
        let chain = chain()
        for (role, link) in [
            (PlaybookCluster.Role.origin, VerificationTestChain.leg1), (.target, VerificationTestChain.leg2),
        ] {
            await chain.updateLink(role, link) {
                $0.state = "FAILED"
                $0.error = "AUTHENTICATION_ERROR"
                $0.errorMessage = "Please check your api key and secret"
            }
        }
        await chain.updateMirror(.jump, "orders") { $0.status = "LINK_FAILED" }
        await chain.updateMirror(.target, "orders") { $0.status = "LINK_FAILED" }
        let report = await OffsetVerifier(topology: topology, observer: chain).verifyOnce(threshold: 0)

        #expect(!report.passed)
        #expect(report.diagnoses.map(\.cause) == [.authentication, .authentication])
        #expect(report.diagnoses.map(\.hop) == [.leg1, .leg2])
        #expect(report.diagnoses.map(\.cluster) == [.origin, .target])
        for diagnosis in report.diagnoses {
            #expect(diagnosis.linkError == "AUTHENTICATION_ERROR")
            #expect(diagnosis.message == "AUTHENTICATION_ERROR: Please check your api key and secret")
            #expect(diagnosis.likelyCause.contains("both legs"))
            #expect(diagnosis.likelyCause.contains("revoked"))
        }
        #expect(report.hop(.leg2)?.halves.first?.linkError == "AUTHENTICATION_ERROR")
    }

    @Test func slowHopThatDoesNotCatchUpWithinTheTimeout() async throws {
        let chain = chain()
        await chain.produce("orders", [40, 0])
        await chain.setRate(.leg2, 0)
        let clock = VirtualClock { await chain.advance() }
        let verifier = OffsetVerifier(topology: topology, observer: chain)

        let report = await verifier.verify(until: .seconds(60), threshold: 5, pollInterval: .seconds(10), clock: clock)
        #expect(!report.passed)
        #expect(report.rounds == 7)
        #expect(report.failingPartitions == ["orders:0"])
        #expect(report.failures.last == "the chain did not pass within 1m")
        let slow = try #require(report.diagnoses.only)
        #expect(slow.cause == .slowHop)
        #expect(slow.hop == .leg2)
        #expect(slow.topics == ["orders"])
        #expect(
            slow.message == "leg 2 (jump → target) lag 0 → 40 records in 60s (threshold 5 per partition end to end)")
        #expect(slow.likelyCause.hasPrefix("the lag is not shrinking"))

        // A hop that shrinks its backlog, too slowly, is told apart from a stalled one.
        let slower = self.chain()
        await slower.produce("orders", [400, 0])
        await slower.setRate(.leg1, 30)
        let slowerClock = VirtualClock { await slower.advance() }
        let catching = await OffsetVerifier(topology: topology, observer: slower)
            .verify(until: .seconds(60), threshold: 0, pollInterval: .seconds(10), clock: slowerClock)
        let diagnosis = try #require(catching.diagnoses.first { $0.hop == .leg1 })
        #expect(
            diagnosis.message
                == "leg 1 (origin → jump) lag 400 → 220 records in 60s (threshold 0 per partition end to end)")
        #expect(diagnosis.likelyCause.contains("catching up (about 3 records/s)"))
    }

    @Test func originTopicDeleted() async throws {
        let chain = chain()
        await chain.deleteTopic(.origin, "payments")
        await chain.updateMirror(.jump, "payments") { $0.status = "SOURCE_UNAVAILABLE" }
        let report = await OffsetVerifier(topology: topology, observer: chain).verifyOnce(threshold: 0)

        #expect(!report.passed)
        let diagnosis = try #require(report.diagnoses.only)
        #expect(diagnosis.cause == .sourceTopicGone)
        #expect(diagnosis.hop == .leg1)
        #expect(diagnosis.topics == ["payments"])
        #expect(diagnosis.likelyCause.contains("`payments` on the origin is gone"))

        // The source topic still exists: the link cannot read it, most likely an ACL.
        let present = self.chain()
        await present.updateMirror(.jump, "payments") { $0.status = "SOURCE_UNAVAILABLE" }
        let acl = await OffsetVerifier(topology: topology, observer: present).verifyOnce(threshold: 0)
        #expect(acl.diagnoses.map(\.cause) == [.authorization])
    }

    @Test func networkAndTaskErrorsAreNamed() async throws {
        let chain = chain()
        await chain.updateLink(.target, VerificationTestChain.leg2) {
            $0.state = "FAILED"
            $0.error = "BOOTSTRAP_TCP_CONNECTION_FAILED_ERROR"
            $0.errorMessage = "Unable to connect to pkc-jump:9092"
        }
        await chain.updateLink(.jump, VerificationTestChain.leg1) {
            $0.tasks = [
                (name: "AclSync", state: "ACTIVE", errors: []),
                (
                    name: "ConsumerOffsetSync", state: "IN_ERROR",
                    errors: [("AUTHORIZATION_ERROR", "Not authorized to describe group")]
                ),
            ]
        }
        let report = await OffsetVerifier(topology: topology, observer: chain).verifyOnce(threshold: 0)
        #expect(report.diagnoses.map(\.cause) == [.authorization, .networkUnreachable])
        #expect(
            report.diagnoses[0].message
                == "failing tasks: ConsumerOffsetSync: IN_ERROR (AUTHORIZATION_ERROR: Not authorized to describe group)"
        )
        #expect(report.diagnoses[0].likelyCause.hasPrefix("a missing ACL"))
        #expect(report.diagnoses[1].likelyCause.contains("unreachable network path"))
        #expect(
            report.hop(.leg1)?.halves[1].failingTasks == [
                "ConsumerOffsetSync: IN_ERROR (AUTHORIZATION_ERROR: Not authorized to describe group)"
            ])
    }
}

@Suite("Offset verification: link-state diagnoses")
struct VerificationLinkStateTests {
    @Test func pausedLinkIsNotMistakenForATaskError() async throws {
        let chain = VerificationTestChain(topics: ["orders": [1]])
        await chain.updateLink(.target, VerificationTestChain.leg2) {
            $0.state = "PAUSED"
            $0.tasks = [(name: "TopicConfigsSync", state: "LINK_PAUSED", errors: [])]
        }
        await chain.updateMirror(.target, "orders") { $0.status = "LINK_PAUSED" }
        let report = await OffsetVerifier(topology: VerificationTestChain.topology(["orders"]), observer: chain)
            .verifyOnce(threshold: 0)
        #expect(report.diagnoses.map(\.cause) == [.linkPaused])
        #expect(report.diagnoses.first?.cluster == .target)
        #expect(report.hop(.leg2)?.halves.first?.failingTasks == ["TopicConfigsSync: LINK_PAUSED"])
        #expect(report.failingPartitions == ["orders:0"])
    }

    @Test func missingLegTwoLinkHidesItsMissingMirrors() async throws {
        let chain = VerificationTestChain(topics: ["orders": [1]])
        await chain.removeLink(.target, VerificationTestChain.leg2)
        let report = await OffsetVerifier(topology: VerificationTestChain.topology(["orders"]), observer: chain)
            .verifyOnce(threshold: 0)
        let diagnosis = try #require(report.diagnoses.only)
        #expect(diagnosis.cause == .linkHalfMissing)
        #expect(diagnosis.likelyCause.hasPrefix("leg 2's link on the target is missing"))
        #expect(report.topic("orders")?.targetMirror.presence == "missing")
        #expect(report.failingPartitions == ["orders:0"])
    }
}

extension Array {
    /// The single element, or nil when there are none or several.
    var only: Element? { count == 1 ? first : nil }
}
