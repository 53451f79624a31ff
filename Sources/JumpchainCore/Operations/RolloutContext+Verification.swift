public import Workflow

extension RolloutContext {
    /// The chain as the verifier sees it: the plan's topics with their mirror names on each hop.
    public func topology(for plan: Plan) -> ChainTopology {
        let topics = plan.steps.filter { $0.kind == RolloutStep.mirrorTarget }.compactMap {
            step -> ChainTopology.ChainTopic? in
            guard let topic = step.parameters["topic"], let jumpMirror = step.parameters["source_topic"],
                let targetMirror = step.parameters["mirror_topic"]
            else { return nil }
            return ChainTopology.ChainTopic(origin: topic, jumpMirror: jumpMirror, targetMirror: targetMirror)
        }
        return ChainTopology(playbook: playbook, topics: topics)
    }

    /// Reads links and mirrors on all three clusters (the jump through the session key). Without
    /// `inspectJump` the jump is not contacted and no key is minted: it is reported as not observed.
    public func chainObserver(inspectJump: Bool = true) async throws -> KafkaRESTChainObserver {
        var observer = KafkaRESTChainObserver(
            origin: origin, jump: inspectJump ? try await jump() : nil, target: target, listings: mirrorListings)
        if !inspectJump { observer.unobservedJumpReason = Self.keyFreeReason }
        observer.recordReader = SimulatorRecordReader(playbook: playbook, http: http)
        return observer
    }

    /// Why the jump is not observed by a key-free `status` or `verify --watch`.
    public static let keyFreeReason =
        "not inspected: key-free by default, so no session key was minted on the jump (pass --inspect-jump)"

    /// A verifier over the whole chain; without `inspectJump`, key-free (an unobserved jump does not fail it).
    public func verifier(for plan: Plan, inspectJump: Bool = true) async throws -> OffsetVerifier {
        OffsetVerifier(
            topology: topology(for: plan), observer: try await chainObserver(inspectJump: inspectJump),
            acceptUnobservedJump: !inspectJump)
    }

    /// A canary probe, when the playbook asked for the canary topic.
    public func canaryProbe(for plan: Plan, inspectJump: Bool = true) async throws -> CanaryProbe? {
        guard playbook.verify.canary else { return nil }
        let topology = topology(for: plan)
        guard let canary = topology.topics.first(where: { $0.origin == playbook.verify.canaryTopic }) else {
            return nil
        }
        return CanaryProbe(
            topology: topology, observer: try await chainObserver(inspectJump: inspectJump), canary: canary)
    }
}
