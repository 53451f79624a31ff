import ConfluentAPI
import JumpchainHTTP
import Workflow

extension RolloutExecutor {
    static func previewMirror(_ step: StepSpec, _ playbook: Playbook, onTarget: Bool) -> [PreviewRequest] {
        let cluster = onTarget ? playbook.target : playbook.jump
        let link = onTarget ? playbook.link.leg2Name : playbook.link.leg1Name
        let source = step.parameters["source_topic"] ?? ""
        let mirror = step.parameters["mirror_topic"] ?? source
        return [
            .kafka(cluster, "GET", "/links/\(link)/mirrors", "(shared listing, until \(mirror) is ACTIVE)"),
            .kafka(
                cluster, "POST", "/links/\(link)/mirrors",
                "{source_topic_name: \(source)\(mirror == source ? "" : ", mirror_topic_name: \(mirror)")}"),
        ]
    }

    /// A mirror topic on the jump (over leg 1) or on the target (over leg 2, mirroring the jump's mirror),
    /// waited to `ACTIVE`.
    ///
    /// The step holds its cluster slot only while it acts (the create): it observes (the shared listing before
    /// the create, the wait for `ACTIVE` after it) with the slot released, so waiting mirrors never keep others
    /// from being created. Observe-then-act is kept: the create follows a listing that started after the step did.
    func mirror(_ step: StepSpec, onTarget: Bool, _ stepContext: StepContext) async throws -> [String: String] {
        let report: @Sendable (String) -> Void = { stepContext.waiting(for: $0) }
        guard let source = step.parameters["source_topic"], let mirrorName = step.parameters["mirror_topic"] else {
            throw StepError.permanent("step \(step.id) lacks source_topic/mirror_topic parameters")
        }
        let playbook = context.playbook
        let client = onTarget ? context.target : try await context.jump(report: report)
        let link = onTarget ? playbook.link.leg2Name : playbook.link.leg1Name
        let hop = onTarget ? "target" : "jump"
        var adopted = true
        let listings = context.mirrorListings
        stepContext.releaseResources()
        if try await listings.mirror(client, link: link, topic: mirrorName) == nil {
            try await stepContext.reacquireResources()
            defer { stepContext.releaseResources() }
            // Observed: no such mirror. A plain topic of that name makes the create fail; only then is it read,
            // to say so clearly (one request per topic saved on the usual path).
            do {
                try await client.createMirror(link: link, sourceTopic: source, mirrorTopic: mirrorName)
                adopted = false
            } catch {
                // A retried create whose first attempt landed (or, with `topics.auto_create`, a mirror the link created
                // meanwhile) finds its mirror, and goes on waiting for it.
                guard try await client.mirror(link: link, topic: mirrorName) != nil else {
                    if try await client.topic(mirrorName) != nil {
                        throw StepError.permanent(
                            "\(hop) \(client.clusterID): topic \(mirrorName) exists but is not a mirror on link "
                                + "\(link); delete it or choose a cluster.link.prefix")
                    }
                    throw error
                }
                adopted = false
            }
        }
        let mirror = try await poll(
            // Polls share list calls (one per round per cluster), so a short interval costs few requests.
            every: min(context.timing.statePollInterval, .milliseconds(200)),
            timeout: context.timing.mirrorActiveTimeout,
            waitingFor: "mirror \(mirrorName) on the \(hop) to be ACTIVE", report: report
        ) { () async throws -> PollResult<Mirror> in
            guard let mirror = try await listings.mirror(client, link: link, topic: mirrorName) else {
                return .waiting("not listed yet")
            }
            switch mirror.mirrorStatus {
            case "ACTIVE": return .done(mirror)
            case "FAILED", "LINK_FAILED", "SOURCE_UNAVAILABLE", "STOPPED":
                throw StepError.permanent(
                    "\(hop) \(client.clusterID): mirror \(mirrorName) is \(mirror.mirrorStatus)"
                        + "\(mirror.mirrorTopicError.map { " (\($0))" } ?? ""); check link \(link) with "
                        + Rollout.command("status \(context.runName)", site: context.site))
            default: return .waiting(mirror.mirrorStatus)
            }
        }
        let lag = mirror.mirrorLags.reduce(Int64(0)) { $0 + $1.lag }
        return [
            "mirror_topic": mirrorName, "partitions": String(mirror.numPartitions), "lag": String(lag),
            "adopted": String(adopted),
        ]
    }

    static func previewCanaryTopic(_ step: StepSpec, _ playbook: Playbook) -> [PreviewRequest] {
        let name = step.parameters["topic"] ?? playbook.verify.canaryTopic
        return [
            .kafka(playbook.origin, "GET", "/topics/\(name)"),
            .kafka(playbook.origin, "POST", "/topics", "{topic_name: \(name), partitions_count: 1} (unless it exists)"),
        ]
    }

    /// The canary topic on the origin (one partition), mirrored through both hops like any other topic.
    func canaryTopic(_ step: StepSpec) async throws -> [String: String] {
        let name = step.parameters["topic"] ?? context.playbook.verify.canaryTopic
        if try await context.origin.topic(name) == nil {
            try await context.origin.createTopic(name, partitions: 1)
            return ["topic": name, "created": "true"]
        }
        return ["topic": name, "created": "false"]
    }

    /// A multi-site plan's per-side verification sends the requests on the clusters its site reaches; the
    /// comparison of the records sends none.
    static func previewVerify(_ step: StepSpec, _ playbook: Playbook) -> [PreviewRequest] {
        let requests = previewVerify(playbook)
        guard let observes = step.parameters[RolloutStep.observesParameter] else { return requests }
        let bases = Set(RolloutStep.calls(step).compactMap(\.cluster).map { playbook.cluster($0).restEndpoint })
        let sent = requests.filter { bases.contains($0.base) }
        guard observes == RolloutStep.VerifyObserves.recorded.rawValue else { return sent }
        // The comparison reads nothing on its first run (it compares what both sides recorded); re-run after it
        // failed, it reads leg 2 again.
        return sent.map { request in
            var request = request
            request.detail = [request.detail, "(only when re-run after a failed comparison)"].filter { !$0.isEmpty }
                .joined(separator: " ")
            return request
        }
    }

    static func previewVerify(_ playbook: Playbook) -> [PreviewRequest] {
        let link = playbook.link
        var requests = PreviewRequest.chainReads(
            playbook, listing: "(one listing's mirror_lags for every topic, until lag ≤ \(playbook.verify.maxLag))")
        requests += [
            .kafka(
                playbook.jump, "GET", "/links/\(link.leg1Name)/mirrors/<mirror>",
                "(mirror_lags, when the listing cannot be read)"),
            .kafka(
                playbook.target, "GET", "/links/\(link.leg2Name)/mirrors/<mirror>",
                "(mirror_lags, when the listing cannot be read)"),
        ]
        requests.append(
            .kafka(
                playbook.origin, "GET", "/consumer-groups", "(the groups consumer_groups selects, by name or prefix)"))
        requests.append(
            .kafka(
                playbook.origin, "GET", "/consumer-groups/<selected group>/lags",
                "(at most \(KafkaRESTChainObserver.maxMeasuringGroups) groups; log_end_offset: the origin's measured "
                    + "end offsets)"))
        if playbook.verify.canary {
            let canary = playbook.verify.canaryTopic
            requests.append(.kafka(playbook.origin, "POST", "/topics/\(canary)/records", "(one canary record)"))
        }
        return requests
    }

    /// Every mirror `ACTIVE` on both hops, with per-partition lag reported; passes when the end-to-end lag is
    /// within the playbook's threshold before its timeout, and the canary (if asked for) crossed both hops.
    func verify(_ step: StepSpec, report: @escaping @Sendable (String) -> Void) async throws -> [String: String] {
        let verify = context.playbook.verify
        report("end-to-end lag ≤ \(verify.maxLag) on every partition of \(topics.count) topics")
        var verifier = try await context.verifier(for: plan)
        // The canary before the first mirror read, so its offset + 1 is a measured origin end in every round.
        let probe = try await context.canaryProbe(for: plan)
        let produced = await probe?.produce()
        if let probe, let produced {
            verifier.measuredOriginEnds = produced.measuredOriginEnd(topic: probe.canary.origin)
        }
        // Followed alongside the rounds: its arrival times (and latency) are when it arrived, not when the rounds
        // ended.
        async let followed: CanaryResult? = {
            guard let probe, let produced else { return nil }
            return await probe.follow(
                produced, timeout: verify.timeout, pollInterval: context.timing.statePollInterval)
        }()
        let result = await verifier.verify(
            until: verify.timeout, threshold: Int64(verify.maxLag), pollInterval: context.timing.statePollInterval)
        guard result.passed else { throw StepError.permanent(Self.verificationFailure(result)) }
        var outputs = Self.verificationOutputs(result)
        if let canary = await followed {
            guard canary.passed else {
                throw StepError.permanent("canary failed: \(canary.failure ?? "no arrival on both hops")")
            }
            outputs["canary_latency_ms"] = canary.latencyMs.map { String($0) } ?? ""
            outputs["canary_offset"] = canary.write.map { "\($0.partition):\($0.offset)" } ?? ""
        }
        return outputs
    }
}
