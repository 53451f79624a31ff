import ConfluentAPI
import Foundation
import Workflow

/// A multi-site plan's verification when no site reaches both the origin and the target: `verify:origin` (at the
/// origin's site) and `verify:target` (at the target's) each read what their site reaches and record it in the
/// shared state (``SiteObservation``: no secret), and `verify` compares the two records (``SiteVerification``).
extension RolloutExecutor {
    func verifySide(
        _ step: StepSpec, side: PlaybookCluster.Role, _ stepContext: StepContext,
        report: @escaping @Sendable (String) -> Void
    ) async throws -> [String: String] {
        // The origin's record, which the target's site waits to catch up with.
        let recorded = side == .target ? try record(of: .origin, stepContext) : nil
        let settings = context.playbook.verify
        let observation = try await observeSide(
            side, recorded: recorded, canary: settings.canary, timeout: settings.timeout, report: report)
        return [SiteObservation.outputKey: observation.encoded(), "rounds": String(observation.rounds)]
    }

    /// One side's half of the cross-site verification (the steps' and `verify --site`'s): the origin's side reads
    /// leg 1 until it is settled (producing the canary with `canary`), the target's side reads leg 2 until it has
    /// caught up with `recorded`, the origin's record (following its canary); each up to `timeout`.
    func observeSide(
        _ side: PlaybookCluster.Role, recorded: SiteObservation?, canary produce: Bool, timeout: Duration,
        report: @escaping @Sendable (String) -> Void
    ) async throws -> SiteObservation {
        let playbook = context.playbook
        let settings = playbook.verify
        let threshold = Int64(settings.maxLag)
        let poll = context.timing.statePollInterval
        let jump = try await context.jump(report: report)
        // With `topics.auto_create`, the mirrors the links created are verified too: the origin's site finds them
        // on the jump (leg 1), and the target's site checks every topic the origin's site recorded.
        let topology: ChainTopology
        if let recorded {
            topology = SiteVerification.topology(context.topology(for: plan), covering: recorded)
        } else {
            topology = try await context.liveTopology(from: context.topology(for: plan), jump: jump, readTarget: false)
        }
        var observer = KafkaRESTChainObserver(
            origin: side == .origin ? context.origin : nil, jump: jump,
            target: side == .target ? context.target : nil, listings: context.mirrorListings)
        observer.recordReader = SimulatorRecordReader(playbook: playbook, http: context.http)
        if side == .origin { observer.measuringGroups = playbook.consumerGroups }
        let verifier = OffsetVerifier(topology: topology, observer: observer)
        report(
            side == .origin
                ? "leg 1's link halves healthy and its \(topology.topics.count) mirrors ACTIVE on the jump"
                : "the target's \(topology.topics.count) mirrors caught up with the origin's ends recorded by "
                    + "\(RolloutStep.perSide(RolloutStep.verify, .origin))")
        let deadline = ContinuousClock.now + timeout
        var rounds = 0
        var hop: ChainObservation.HopObservation
        var originEnds: [TopicPartition: MeasuredOriginEnd]
        var observedAt: Date
        while true {
            rounds += 1
            observedAt = Date()
            let observation = await verifier.observe()
            hop = side == .origin ? observation.leg1 : observation.leg2
            originEnds = observation.originEnds
            let settled: Bool
            if let recorded, !SiteVerification.settled(recorded.hop) {
                settled = true  // leg 1 was not settled at the origin's site: waiting here cannot make it pass
            } else if let recorded {
                settled =
                    SiteVerification.chainReport(
                        origin: recorded, target: SiteObservation(side: .target, hop: hop), topology: topology,
                        threshold: threshold
                    ).passed
            } else {
                settled = SiteVerification.settled(hop)
            }
            // Not settled by the timeout: recorded as it is, and the comparison says why it fails.
            if settled || ContinuousClock.now + poll > deadline { break }
            try await Task.sleep(for: poll)
        }
        var canary: CanaryResult?
        if settings.canary, side == .target || produce,
            let topic = topology.topics.first(where: { $0.origin == settings.canaryTopic })
        {
            let probe = CanaryProbe(topology: topology, observer: observer, canary: topic)
            let left = max(deadline - ContinuousClock.now, poll)
            if side == .origin {
                canary = await probe.follow(await probe.produce(), through: .leg1, timeout: left, pollInterval: poll)
            } else if let produced = recorded?.canary, produced.write != nil {
                canary = await probe.follow(recorded: produced, through: .leg2, timeout: left, pollInterval: poll)
            }
        }
        return SiteObservation(
            side: side, hop: hop, originEnds: side == .origin ? originEnds : [:], canary: canary, rounds: rounds,
            observedAt: OriginOffsetRecord.timestamp(observedAt))
    }

    /// Compares the two sides' records; fails (naming the partitions and the likely causes) as the one-site
    /// verification does. Re-run after a failed comparison (`resume` at the target's site), it reads leg 2 again
    /// first, as `verify:target` did, and compares that with the origin's record.
    func verifyRecorded(
        _ step: StepSpec, _ stepContext: StepContext, report: @escaping @Sendable (String) -> Void
    ) async throws -> [String: String] {
        let origin = try record(of: .origin, stepContext)
        var target = try record(of: .target, stepContext)
        if stepContext.attempt > 1 {
            let again = try await verifySide(step, side: .target, stepContext, report: report)
            target = try Self.decodeRecord(again[SiteObservation.outputKey], step: step.id)
        }
        let result = SiteVerification.report(
            origin: origin, target: target,
            topology: SiteVerification.topology(context.topology(for: plan), covering: origin),
            threshold: Int64(context.playbook.verify.maxLag))
        guard result.passed else {
            throw StepError.permanent(
                Self.verificationFailure(result)
                    + " (compared what \(RolloutStep.perSide(RolloutStep.verify, .origin)) and "
                    + "\(RolloutStep.perSide(RolloutStep.verify, .target)) recorded; a resume at the target's site "
                    + "reads leg 2 again and compares it with the origin's record)")
        }
        var outputs = Self.verificationOutputs(result)
        if stepContext.attempt > 1 { outputs[SiteObservation.outputKey] = target.encoded() }
        if let canary = target.canary {
            outputs["canary_latency_ms"] = canary.latencyMs.map { String($0) } ?? ""
            outputs["canary_offset"] = canary.write.map { "\($0.partition):\($0.offset)" } ?? ""
        }
        return outputs
    }

    func record(of side: PlaybookCluster.Role, _ stepContext: StepContext) throws -> SiteObservation {
        let id = RolloutStep.perSide(RolloutStep.verify, side)
        return try Self.decodeRecord(stepContext.output(SiteObservation.outputKey, of: id), step: id)
    }

    static func decodeRecord(_ text: String?, step: String) throws -> SiteObservation {
        do {
            return try SiteObservation.decode(text, step: step)
        } catch {
            throw StepError.permanent(error.message)
        }
    }

    static func verificationFailure(_ result: VerificationReport) -> String {
        let causes = result.diagnoses.map { "\($0.message) — likely: \($0.likelyCause)" }
        return "verification failed for \(result.failingPartitions.joined(separator: ", ")): "
            + (causes.isEmpty ? result.failures : causes + result.failures.filter { $0.hasPrefix("canary:") })
            .joined(separator: "; ")
    }

    static func verificationOutputs(_ result: VerificationReport) -> [String: String] {
        [
            "partitions": String(result.topics.reduce(0) { $0 + $1.partitions.count }),
            "max_end_to_end_lag": String(result.topics.map(\.totals.maxEndToEndLag).max() ?? 0),
            "topics": String(result.topics.count),
        ]
    }
}
