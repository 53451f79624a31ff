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

    /// Reads links and mirrors on all three clusters (the jump through the session key).
    public func chainObserver() async throws -> KafkaRESTChainObserver {
        KafkaRESTChainObserver(
            origin: origin, jump: try await jump(), target: target, listings: mirrorListings)
    }

    /// A verifier over the whole chain.
    public func verifier(for plan: Plan) async throws -> OffsetVerifier {
        OffsetVerifier(topology: topology(for: plan), observer: try await chainObserver())
    }

    /// A canary probe, when the playbook asked for the canary topic.
    public func canaryProbe(for plan: Plan) async throws -> CanaryProbe? {
        guard playbook.verify.canary else { return nil }
        let topology = topology(for: plan)
        guard let canary = topology.topics.first(where: { $0.origin == playbook.verify.canaryTopic }) else {
            return nil
        }
        return CanaryProbe(topology: topology, observer: try await chainObserver(), canary: canary)
    }
}
