import JumpchainCore
import Testing

@Suite("Canary: a record proves the chain end to end")
struct VerificationCanaryTests {
    static let canary = "_jumpchain.canary"
    let topology = VerificationTestChain.topology(["orders"])

    @Test func canaryArrivesWithTheSameOffsetOnBothHopsAndReportsLatency() async throws {
        let chain = VerificationTestChain(topics: ["orders": [1], Self.canary: [41]])
        await chain.setRate(.leg1, 1)
        await chain.setRate(.leg2, 0)
        let clock = VirtualClock {
            // leg 2 starts copying only after the jump has the record, so the two arrivals differ.
            if await chain.advances >= 1 { await chain.setRate(.leg2, 1) }
            await chain.advance()
        }
        let probe = CanaryProbe(topology: topology, observer: chain, clock: clock)

        let result = await probe.run(timeout: .seconds(60), pollInterval: .milliseconds(500), id: "c0ffee")
        #expect(result.passed, "\(result.failure ?? "")")
        #expect(result.write == CanaryWrite(partition: 0, offset: 41))
        #expect(result.jumpArrival == .init(hop: .leg1, lastOffset: 41, afterMs: 500))
        #expect(result.targetArrival == .init(hop: .leg2, lastOffset: 41, afterMs: 1000))
        #expect(result.latencyMs == 1000)
        #expect(result.offsetsMatch == true)
        #expect(
            result.heartbeatLine
                == "round 1  ok  canary c0ffee  p0@41  jump +500ms  target +1000ms  latency 1000ms  offsets same  "
                + "(derived: not read back)")
    }

    @Test func canaryWorksWithoutAJumpCredential() async throws {
        let chain = VerificationTestChain(topics: ["orders": [1], Self.canary: [0]])
        await chain.setUnobservable(.jump)
        let clock = VirtualClock { await chain.advance() }
        let result = await CanaryProbe(topology: topology, observer: chain, clock: clock)
            .run(timeout: .seconds(10), pollInterval: .seconds(1))
        #expect(result.passed)
        #expect(result.jumpArrival?.lastOffset == 0)
        #expect(result.targetArrival?.afterMs == 1000)
    }

    @Test func canaryTimesOutWhenAHopNeverPassesTheOffset() async throws {
        let chain = VerificationTestChain(topics: ["orders": [1], Self.canary: [7]])
        await chain.updateMirror(.target, Self.canary) { $0.status = "PAUSED" }
        let clock = VirtualClock { await chain.advance() }
        let probe = CanaryProbe(topology: topology, observer: chain, clock: clock)

        let result = await probe.run(timeout: .seconds(30), pollInterval: .seconds(5), id: "dead")
        #expect(!result.passed)
        #expect(result.jumpArrival?.afterMs == 5000)
        #expect(result.targetArrival == nil)
        #expect(result.latencyMs == nil)
        #expect(result.failure == "p0@7 did not reach the target within 30s")
        #expect(result.diagnoses.map(\.cause) == [.mirrorPaused])
        #expect(result.diagnoses.first?.topics == [Self.canary])
        #expect(result.heartbeatLine.hasPrefix("round 1  FAIL  canary dead  p0@7  jump +5000ms  — p0@7 did not reach"))
    }

    @Test func watchRepeatsAndStopsOnTheFirstFailingRoundWithFailFast() async throws {
        let chain = VerificationTestChain(topics: ["orders": [1], Self.canary: [0]])
        let clock = VirtualClock { await chain.advance() }
        let probe = CanaryProbe(topology: topology, observer: chain, clock: clock)

        let rounds = await probe.watch(
            interval: .seconds(30), rounds: 3, failFast: true, timeout: .seconds(10), pollInterval: .seconds(1))
        #expect(rounds.map(\.passed) == [true, true, true])
        #expect(rounds.map(\.round) == [1, 2, 3])
        #expect(rounds.compactMap(\.write?.offset) == [0, 1, 2])
        #expect(Set(rounds.map(\.id)).count == 3)

        await chain.updateMirror(.jump, Self.canary) { $0.status = "FAILED" }
        let failing = await probe.watch(
            interval: .seconds(30), rounds: 5, failFast: true, timeout: .seconds(3), pollInterval: .seconds(1))
        #expect(failing.count == 1)
        #expect(failing.first?.failure == "p0@3 did not reach the jump within 3s")
        #expect(failing.first?.diagnoses.map(\.cause) == [.mirrorFailed])

        let lenient = await probe.watch(
            interval: .seconds(30), rounds: 2, failFast: false, timeout: .seconds(3), pollInterval: .seconds(1))
        #expect(lenient.count == 2)
    }

    @Test func aMissingCanaryTopicFailsAtProduce() async throws {
        let chain = VerificationTestChain(topics: ["orders": [1]])
        let result = await CanaryProbe(topology: topology, observer: chain, clock: VirtualClock())
            .run(timeout: .seconds(3), pollInterval: .seconds(1))
        #expect(!result.passed)
        #expect(result.write == nil)
        #expect(result.failure?.hasPrefix("could not produce the canary to `_jumpchain.canary` on the origin") == true)
    }
}
