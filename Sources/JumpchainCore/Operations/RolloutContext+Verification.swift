public import ConfluentAPI
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

    /// The plan's topology plus, with `topics.auto_create`, every mirror the links carry for a topic the playbook
    /// selects: the jump's mirrors over leg 1 (when `jump` is given) and the target's over leg 2. Auto-created
    /// mirrors are verified like the planned ones; a jump mirror not yet on the target shows as missing there.
    public func liveTopology(for plan: Plan, jump: KafkaRESTClient?) async throws -> ChainTopology {
        try await liveTopology(from: topology(for: plan), jump: jump)
    }

    /// `base` plus the auto-created mirrors of selected topics (see ``liveTopology(for:jump:)``); with
    /// `always`, also when `topics.auto_create` is off now (a chain may carry mirrors from when it was on). Without
    /// `readTarget` (a site that does not reach the target) only the jump's mirrors are listed.
    public func liveTopology(
        from base: ChainTopology, jump: KafkaRESTClient?, always: Bool = false, readTarget: Bool = true
    ) async throws -> ChainTopology {
        var topology = base
        guard playbook.topics.autoCreate || always else { return topology }
        let matcher = try playbook.topics.matcher()
        let leg1Prefix = playbook.link.leg1Options["cluster.link.prefix"] ?? ""
        let leg2Prefix = playbook.link.leg2Options["cluster.link.prefix"] ?? ""
        var known = Set(topology.topics.map(\.origin))
        func add(origin: String, jumpMirror: String, targetMirror: String) {
            guard matcher.matches(origin), known.insert(origin).inserted else { return }
            topology.topics.append(
                ChainTopology.ChainTopic(origin: origin, jumpMirror: jumpMirror, targetMirror: targetMirror))
        }
        if let jump, try await jump.link(playbook.link.leg1Name) != nil {
            for mirror in try await jump.mirrors(link: playbook.link.leg1Name) {
                add(
                    origin: mirror.sourceTopicName, jumpMirror: mirror.mirrorTopicName,
                    targetMirror: leg2Prefix + mirror.mirrorTopicName)
            }
        }
        if readTarget, try await target.link(playbook.link.leg2Name) != nil {
            for mirror in try await target.mirrors(link: playbook.link.leg2Name)
            where mirror.sourceTopicName.hasPrefix(leg1Prefix) {
                add(
                    origin: String(mirror.sourceTopicName.dropFirst(leg1Prefix.count)),
                    jumpMirror: mirror.sourceTopicName, targetMirror: mirror.mirrorTopicName)
            }
        }
        return topology
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
        var observer = try await chainObserver(inspectJump: inspectJump)
        // The selected consumer groups' lags measure the origin's end offsets (their `log_end_offset`): named or
        // selected by prefix, as the links' offset sync selects them.
        observer.measuringGroups = playbook.consumerGroups
        return OffsetVerifier(
            topology: try await liveTopology(for: plan, jump: inspectJump ? try await jump() : nil),
            observer: observer, acceptUnobservedJump: !inspectJump)
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
