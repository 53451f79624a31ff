import ConfluentAPI
import Foundation
public import Workflow

/// Executes cutover steps. Every step observes first: a mirror already STOPPED counts as promoted, so a
/// killed `cutover` resumes safely from any point and ends with the same report.
public struct CutoverExecutor: StepExecutor {
    public let context: RolloutContext
    let pollInterval: Duration

    public init(context: RolloutContext, pollInterval: Duration) {
        self.context = context
        self.pollInterval = pollInterval
    }

    public func execute(_ step: StepSpec, context stepContext: StepContext) async throws -> [String: String] {
        let report: @Sendable (String) -> Void = { stepContext.waiting(for: $0) }
        guard let kind = CutoverStep.Kind(rawValue: step.kind) else {
            throw StepError.permanent(
                "unknown step kind '\(step.kind)' in the recorded plan of a cutover; was it written by another version?"
            )
        }
        do {
            switch kind {
            case .preflight: return try await preflight(step, report: report)
            case .quiesce: return try await quiesce(step, report: report)
            case .drain: return try await drain(step, stepContext, report: report)
            case .promote: return try await promote(step, report: report)
            case .report: return try await finalReport(step, stepContext)
            }
        } catch let error as ConfluentAPIError {
            throw StepError.from(error)
        }
    }

    /// The requests `step` would send (for `cutover --dry-run`); each preview sits next to its body.
    public static func preview(_ step: StepSpec, playbook: Playbook) -> [PreviewRequest] {
        StepSites.previewing(
            requests(step, playbook: playbook), calls: CutoverStep.Kind.calls(step), playbook: playbook)
    }

    /// Each step's own requests: a split plan's steps (``CutoverPlanner/split(_:)``) differ in what they read, and
    /// ``preview(_:playbook:)`` leaves out the private cluster a step's site does not reach.
    static func requests(_ step: StepSpec, playbook: Playbook) -> [PreviewRequest] {
        guard let kind = CutoverStep.Kind(rawValue: step.kind) else { return [] }
        let topics = ChainTopicList.decode(step.parameters["topics"])
        switch kind {
        case .preflight: return previewObserve(playbook, topics: topics, groups: false)
        case .quiesce:
            // At the origin's site of a split plan it records the origin's groups (before and after the check).
            let groups = step.parameters[StepSites.clustersParameter] != nil ? previewOriginGroups(playbook) : []
            guard Int(step.parameters["quiet_period"] ?? "") != nil else { return groups }
            return groups + previewObserve(playbook, topics: topics, groups: false)
        case .drain: return previewObserve(playbook, topics: topics, groups: true)
        case .promote: return previewPromote(playbook, topics: topics)
        // The report is made of what drain and promote recorded: it sends nothing.
        case .report: return []
        }
    }

    /// The origin's synced groups and their committed offsets (``RolloutContext/originGroupOffsets()``); nothing
    /// when the playbook syncs no consumer group offsets.
    static func previewOriginGroups(_ playbook: Playbook) -> [PreviewRequest] {
        guard playbook.offsetSyncPlan(originPrincipal: playbook.link.originPrincipal ?? "") != nil else { return [] }
        return [
            .kafka(playbook.origin, "GET", "/consumer-groups"),
            .kafka(playbook.origin, "GET", "/consumer-groups/<group>/lags"),
        ]
    }

    func topology(_ step: StepSpec) -> ChainTopology {
        ChainTopology(playbook: context.playbook, topics: ChainTopicList.decode(step.parameters["topics"]))
    }

    /// Observes the chain; a step of a multi-site plan reads only the private clusters its site reaches (the
    /// origin's end offsets are read from the jump's mirrors either way).
    func observe(_ topology: ChainTopology, _ step: StepSpec) async throws -> VerificationReport {
        var observer = try await context.chainObserver()
        let reached = Self.reached(step)
        if !reached.contains(.origin) { observer.origin = nil }
        if !reached.contains(.target) { observer.target = nil }
        let verifier = OffsetVerifier(topology: topology, observer: observer)
        return await verifier.verifyOnce(threshold: 0)
    }

    /// The clusters `step` reads (all three but in a multi-site plan's split steps).
    static func reached(_ step: StepSpec) -> Set<PlaybookCluster.Role> {
        Set(CutoverStep.Kind.calls(step).compactMap(\.cluster))
    }

    /// A multi-site plan's origin site records the origin's group offsets (after the quiesce check) for the
    /// target's site to compare with: `group → "topic|partition" → offset`.
    static let originGroupsOutput = "origin_groups"

    // MARK: Preflight

    static func previewObserve(
        _ playbook: Playbook, topics: [ChainTopology.ChainTopic], groups: Bool
    )
        -> [PreviewRequest]
    {
        let link = playbook.link
        var requests = PreviewRequest.chainReads(
            playbook, listing: topics.isEmpty ? nil : "(one listing serves every topic)")
        for topic in topics {
            requests += [
                .kafka(
                    playbook.jump, "GET", "/links/\(link.leg1Name)/mirrors/\(topic.jumpMirror)",
                    "(when the listing cannot be read)"),
                .kafka(
                    playbook.target, "GET", "/links/\(link.leg2Name)/mirrors/\(topic.targetMirror)",
                    "(when the listing cannot be read)"),
                .kafka(playbook.origin, "GET", "/topics/\(topic.origin)", "(when a mirror is missing)"),
            ]
        }
        // Group offsets are read only when the playbook syncs them (``RolloutContext/groupOffsets(topology:jump:recordedOrigin:)``).
        if groups, playbook.offsetSyncPlan(originPrincipal: playbook.link.originPrincipal ?? "") != nil {
            requests += [
                .kafka(playbook.origin, "GET", "/consumer-groups"),
                .kafka(playbook.jump, "GET", "/consumer-groups"),
                .kafka(playbook.target, "GET", "/consumer-groups"),
                .kafka(playbook.origin, "GET", "/consumer-groups/<group>/lags"),
                .kafka(playbook.jump, "GET", "/consumer-groups/<group>/lags"),
                .kafka(playbook.target, "GET", "/consumer-groups/<group>/lags"),
            ]
        }
        return requests
    }

    /// The chain is healthy and every mirror is ACTIVE on both hops.
    func preflight(_ step: StepSpec, report: @escaping @Sendable (String) -> Void) async throws -> [String: String] {
        let observed = try await observe(topology(step), step)
        let reached = Self.reached(step)
        let split = reached.count < 3
        var problems: [String] = []
        // A split step judges the link halves on the clusters it reaches (the other site's step judges the rest).
        for hop in observed.hops where !hop.healthy {
            let unhealthy = hop.halves.filter { !$0.healthy && reached.contains($0.cluster) }
            if split, unhealthy.isEmpty { continue }
            let halves = unhealthy.map { half in
                "\(half.cluster.rawValue) \(half.clusterID): \(half.presence) \(half.linkState ?? "")"
                    + "\(half.linkError.map { " \($0)" } ?? "")\(half.linkErrorMessage.map { ": \($0)" } ?? "")"
                    + (half.failingTasks.isEmpty ? "" : " tasks in error: " + half.failingTasks.joined(separator: "; "))
            }
            problems.append("\(hop.hop) (\(hop.link)) is not healthy: \(halves.joined(separator: "; "))")
        }
        for topic in observed.topics {
            let mirrors = reached.contains(.target) ? [topic.jumpMirror, topic.targetMirror] : [topic.jumpMirror]
            for mirror in mirrors where mirror.status != "ACTIVE" {
                problems.append(
                    "mirror \(mirror.name) is \(mirror.status ?? mirror.presence)\(mirror.error.map { " (\($0))" } ?? ""),"
                        + " not ACTIVE")
            }
        }
        guard problems.isEmpty else {
            throw StepError.permanent(
                "the chain is not ready for a cutover (nothing was changed):\n  " + problems.joined(separator: "\n  "))
        }
        return ["topics": String(observed.topics.count)]
    }

    // MARK: Quiesce

    /// The origin's end offsets do not move for the quiet period; a moving partition is named.
    func quiesce(_ step: StepSpec, report: @escaping @Sendable (String) -> Void) async throws -> [String: String] {
        // A multi-site plan's quiesce runs at the origin's site: it records the origin's group offsets for the
        // target's site, once the origin is still (or at once without the quiesce check).
        var recorded: [String: String] = [:]
        if step.parameters[StepSites.clustersParameter] != nil, let groups = try await context.originGroupOffsets() {
            recorded[Self.originGroupsOutput] = RecordedGroupOffsets.encode(groups)
        }
        guard let seconds = Int(step.parameters["quiet_period"] ?? ""), seconds >= 0 else {
            return recorded.merging(["skipped": "true"]) { $1 }
        }
        let topology = topology(step)
        let first = Self.originEnds(try await observe(topology, step))
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(seconds)
        report("the origin's end offsets to stay still for \(seconds)s (quiesce check)")
        while clock.now < deadline {
            try await Task.sleep(for: min(pollInterval, deadline - clock.now))
            let now = Self.originEnds(try await observe(topology, step))
            let moving = now.keys.sorted().filter { first[$0] != nil && now[$0] != first[$0] }
            if !moving.isEmpty {
                let named = moving.map { "\($0) (\(first[$0]!) → \(now[$0]!))" }
                throw StepError.permanent(
                    "quiesce check failed: the origin is still being written: \(named.joined(separator: ", ")); "
                        + "stop the producers, then run \(Rollout.command("cutover \(context.runName)", site: context.site)) "
                        + "again (nothing was promoted)")
            }
        }
        if step.parameters[StepSites.clustersParameter] != nil, let groups = try await context.originGroupOffsets() {
            // Recorded again once the origin proved still: its consumers' last commits.
            recorded[Self.originGroupsOutput] = RecordedGroupOffsets.encode(groups)
        }
        return recorded.merging(["skipped": "false", "quiet_seconds": String(seconds)]) { $1 }
    }

    static func originEnds(_ report: VerificationReport) -> [String: Int64] {
        var ends: [String: Int64] = [:]
        for topic in report.topics {
            for partition in topic.partitions {
                if let end = partition.originEnd { ends["\(topic.topic)-\(partition.partition)"] = end }
            }
        }
        return ends
    }

    // MARK: Drain

    /// A split plan's drain without the origin's group offsets its quiesce step records: what is missing, and
    /// which site runs what first (a failed cutover that promoted nothing starts afresh when run again).
    func missingQuiesceRecord() -> String {
        let playbook = context.playbook
        let originSite = playbook.siteList.first { playbook.site($0, reaches: .origin) }?.name ?? "?"
        let here = context.site ?? "?"
        let run = context.runName
        return "drain at site \(here) needs the origin's consumer group offsets that step "
            + "\(CutoverStep.Kind.quiesce.rawValue) records at site \(originSite) (output "
            + "\(Self.originGroupsOutput)), and the recorded quiesce has none; this site does not reach the origin, "
            + "so nothing was read there and nothing was promoted. Run \(Rollout.command("cutover \(run)", site: here)) "
            + "again (a new cutover starts here), then \(Rollout.command("cutover \(run)", site: originSite)) at site "
            + "\(originSite) (its quiesce records the offsets), then \(Rollout.command("cutover \(run)", site: here)) "
            + "here"
    }

    /// Waits until every partition's end offset is the same on all three clusters and every synced group's
    /// target offset equals its origin offset; records them (the offsets at cutover).
    func drain(
        _ step: StepSpec, _ stepContext: StepContext, report: @escaping @Sendable (String) -> Void
    ) async throws -> [String: String] {
        let topology = topology(step)
        // At a site that does not reach the origin: the origin's group offsets as its site recorded them.
        let recordedOrigin =
            Self.reached(step).contains(.origin)
            ? nil
            : RecordedGroupOffsets.decode(
                stepContext.output(Self.originGroupsOutput, of: CutoverStep.Kind.quiesce.rawValue))
        // A split plan's drain never calls the origin: without the quiesce record it would have to, so it stops.
        if !Self.reached(step).contains(.origin), recordedOrigin == nil,
            context.playbook.offsetSyncPlan(originPrincipal: context.playbook.link.originPrincipal ?? "") != nil
        {
            throw StepError.permanent(missingQuiesceRecord())
        }
        let timeout = Int(step.parameters["timeout"] ?? "") ?? 300
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(timeout)
        var behind: [String] = []
        while true {
            let observed = try await observe(topology, step)
            let groups = try await context.groupOffsets(
                topology: topology, jump: try await context.jump(), recordedOrigin: recordedOrigin)
            behind = []
            var rows: [CutoverReport.PartitionRow] = []
            for topic in observed.topics {
                guard let chain = topology.topics.first(where: { $0.origin == topic.topic }) else { continue }
                for partition in topic.partitions {
                    guard let origin = partition.originEnd, let jump = partition.jumpEnd,
                        let target = partition.targetEnd
                    else {
                        behind.append("\(topic.topic)-\(partition.partition) (not observed on every hop)")
                        continue
                    }
                    if origin != jump || jump != target {
                        behind.append(
                            "\(topic.topic)-\(partition.partition) (origin \(origin), jump \(jump), target \(target))")
                    }
                    rows.append(
                        CutoverReport.PartitionRow(
                            topic: topic.topic, targetTopic: chain.targetMirror, partition: partition.partition,
                            origin: origin, jump: jump, target: target, recordsLost: max(0, origin - target)))
                }
            }
            // Against the origin site's record (a split plan), a group is drained once the target has reached the
            // offsets recorded there (its consumers on the origin may have committed further since).
            for row in groups?.rows ?? []
            where row.origin != nil
                && (recordedOrigin == nil ? row.target != row.origin : (row.target ?? -1) < row.origin!)
            {
                behind.append(
                    "group \(row.group) on \(row.topic)-\(row.partition) (origin \(row.origin!), target "
                        + "\(row.target.map(String.init) ?? "none"))")
            }
            if groups?.syncReachesTarget == false, !(groups?.groups.isEmpty ?? true) {
                behind.append(contentsOf: groups?.problems ?? [])
            }
            if behind.isEmpty {
                let groupRows = (groups?.rows ?? []).map {
                    CutoverReport.GroupRow(
                        group: $0.group, topic: $0.topic, partition: $0.partition, origin: $0.origin, target: $0.target)
                }
                return ["partitions": Self.json(rows), "groups": Self.json(groupRows)]
            }
            report("every hop to hold the same offsets: \(behind.prefix(3).joined(separator: ", "))")
            guard clock.now < deadline else { break }
            try await Task.sleep(for: pollInterval)
        }
        // At a site that does not reach the origin, `verify --site` checks the target against the origin's record.
        let check =
            Self.reached(step).contains(.origin)
            ? Rollout.command("verify \(context.runName) --groups", site: context.site)
            : Rollout.command("verify \(context.runName)", site: context.site)
        throw StepError.permanent(
            "after \(timeout)s the hops still differ (nothing was promoted): \(behind.joined(separator: ", ")); check "
                + "\(check), then run "
                + "\(Rollout.command("cutover \(context.runName)", site: context.site)) again (a longer --timeout "
                + "waits longer)")
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(value)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String?) -> T? {
        guard let text else { return nil }
        return try? JSONDecoder().decode(type, from: Data(text.utf8))
    }

    // MARK: Promote

    static func previewPromote(_ playbook: Playbook, topics: [ChainTopology.ChainTopic]) -> [PreviewRequest] {
        let link = playbook.link.leg2Name
        var requests: [PreviewRequest] = []
        for topic in topics {
            requests += [
                .kafka(playbook.target, "GET", "/links/\(link)/mirrors/\(topic.targetMirror)"),
                .kafka(
                    playbook.target, "POST", "/links/\(link)/mirrors:promote",
                    "{mirror_topic_names: [\(topic.targetMirror)]} (unless already STOPPED; then until STOPPED)"),
            ]
        }
        return requests
    }

    /// `:promote` of each target mirror not yet STOPPED, then waits for STOPPED. A topic whose promote fails
    /// is named with the API's reason; the others are not undone.
    func promote(_ step: StepSpec, report: @escaping @Sendable (String) -> Void) async throws -> [String: String] {
        let link = context.playbook.link.leg2Name
        let topics = ChainTopicList.decode(step.parameters["topics"])
        let timeout = Int(step.parameters["timeout"] ?? "") ?? 300
        var failed: [String] = []
        var promoted: [String] = []
        var already: [String] = []
        for topic in topics {
            guard let mirror = try await context.target.mirror(link: link, topic: topic.targetMirror) else {
                failed.append("\(topic.targetMirror): not a mirror on the target any more")
                continue
            }
            switch mirror.mirrorStatus {
            case "STOPPED": already.append(topic.targetMirror)
            case "PENDING_STOPPED": promoted.append(topic.targetMirror)
            default:
                let results = try await context.target.alterMirrors(
                    link: link, action: .promote, topics: [topic.targetMirror])
                if let result = results.first, let code = result.errorCode, code != 0 {
                    failed.append("\(topic.targetMirror): \(result.errorMessage ?? "error \(code)")")
                } else {
                    promoted.append(topic.targetMirror)
                }
            }
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(timeout)
        var waiting = promoted
        while !waiting.isEmpty {
            var still: [String] = []
            for name in waiting {
                let mirror = try await context.target.mirror(link: link, topic: name)
                switch mirror?.mirrorStatus {
                case "STOPPED": continue
                case "FAILED", nil:
                    failed.append(
                        "\(name): promotion ended \(mirror?.mirrorStatus ?? "with the mirror gone")"
                            + "\(mirror?.mirrorTopicError.map { " (\($0))" } ?? "")")
                default: still.append(name)
                }
            }
            waiting = still
            guard !waiting.isEmpty else { break }
            guard clock.now < deadline else {
                failed += waiting.map { "\($0): not STOPPED after \(timeout)s" }
                break
            }
            report("\(waiting.count) target mirror(s) to reach STOPPED")
            try await Task.sleep(for: pollInterval)
        }
        guard failed.isEmpty else {
            throw StepError.permanent(
                "promotion failed for \(failed.joined(separator: "; ")); the other topics stay promoted (not "
                    + "undone); fix the cause and run \(Rollout.command("cutover \(context.runName)", site: context.site)) "
                    + "again")
        }
        return [
            "promoted": (already + promoted).sorted().joined(separator: ","),
            "completed_at": OriginOffsetRecord.timestamp(Date()),
        ]
    }

    // MARK: Report

    /// The report from the offsets recorded at cutover and where each group resumes on the target now.
    func finalReport(_ step: StepSpec, _ stepContext: StepContext) async throws -> [String: String] {
        let drain = stepContext.outputs(of: CutoverStep.Kind.drain.rawValue) ?? [:]
        let promote = stepContext.outputs(of: CutoverStep.Kind.promote.rawValue) ?? [:]
        let completed = promote["completed_at"] ?? OriginOffsetRecord.timestamp(Date())
        let report = CutoverReport(
            run: context.runName, completedAt: completed, quietCheck: step.parameters["quiet_check"] ?? "passed",
            partitions: Self.decode([CutoverReport.PartitionRow].self, drain["partitions"]) ?? [],
            promoted: (promote["promoted"] ?? "").split(separator: ",").map(String.init),
            groups: Self.decode([CutoverReport.GroupRow].self, drain["groups"]) ?? [])
        return ["report": report.encoded(), "records_lost": String(report.recordsLost)]
    }
}
