import ConfluentAPI
import Foundation
public import Workflow

/// Executes failover steps. The target's mirrors are failed over first, whatever the origin and the jump
/// answer; each of those is then asked once, within the per-cluster timeout, and reported when it does not
/// answer. A mirror already STOPPED counts as failed over, so a killed `failover` resumes safely.
public struct FailoverExecutor: StepExecutor {
    public let context: RolloutContext
    /// How long the origin and the jump are given to answer.
    let clusterTimeout: Duration
    /// Where the run's last recorded origin offsets are kept (``OriginOffsetRecord``).
    let backend: any RunStateBackend

    public init(context: RolloutContext, clusterTimeout: Duration, backend: any RunStateBackend) {
        self.context = context
        self.clusterTimeout = clusterTimeout
        self.backend = backend
    }

    public func execute(_ step: StepSpec, context stepContext: StepContext) async throws -> [String: String] {
        guard let kind = FailoverStep.Kind(rawValue: step.kind) else {
            throw StepError.permanent(
                "unknown step kind '\(step.kind)' in the recorded plan of a failover; was it written by another version?"
            )
        }
        do {
            switch kind {
            case .failover: return try await failover(step)
            case .dataAtRisk:
                let ends = CutoverExecutor.decode(
                    [String: Int64].self, stepContext.output("target_ends", of: FailoverStep.Kind.failover.rawValue))
                let failed = (stepContext.output("failed_over", of: FailoverStep.Kind.failover.rawValue) ?? "")
                    .split(separator: ",").map(String.init)
                let report = await assess(
                    topics: ChainTopicList.decode(step.parameters["topics"]), targetEnds: ends ?? [:],
                    root: step.parameters["run_root"] ?? "", failedOver: failed, dryRun: false,
                    probeOrigin: FailoverStep.Kind.calls(step).contains(.origin))
                return ["report": report.encoded(), "records_at_risk": String(report.recordsAtRisk)]
            }
        } catch let error as ConfluentAPIError {
            throw StepError.from(error)
        }
    }

    /// The requests `step` would send (for `failover --dry-run`).
    public static func preview(_ step: StepSpec, playbook: Playbook) -> [PreviewRequest] {
        StepSites.previewing(
            requests(step, playbook: playbook), calls: FailoverStep.Kind.calls(step), playbook: playbook)
    }

    static func requests(_ step: StepSpec, playbook: Playbook) -> [PreviewRequest] {
        guard let kind = FailoverStep.Kind(rawValue: step.kind) else { return [] }
        let topics = ChainTopicList.decode(step.parameters["topics"])
        let link = playbook.link.leg2Name
        switch kind {
        case .failover:
            return topics.flatMap { topic -> [PreviewRequest] in
                [
                    .kafka(playbook.target, "GET", "/links/\(link)/mirrors/\(topic.targetMirror)"),
                    .kafka(
                        playbook.target, "POST", "/links/\(link)/mirrors:failover",
                        "{mirror_topic_names: [\(topic.targetMirror)]} (unless already STOPPED; no lag wait)"),
                ]
            }
        case .dataAtRisk:
            return [
                .kafka(playbook.origin, "GET", "/links/\(playbook.link.leg1Name)", "(is the origin reachable?)")
            ] + CutoverExecutor.previewObserve(playbook, topics: topics, groups: false) + [
                .kafka(playbook.target, "GET", "/consumer-groups"),
                .kafka(playbook.target, "GET", "/consumer-groups/<group>/lags"),
            ]
        }
    }

    /// `:failover` of every target mirror not yet STOPPED (no lag wait), then each one's end offsets.
    func failover(_ step: StepSpec) async throws -> [String: String] {
        let link = context.playbook.link.leg2Name
        let topics = ChainTopicList.decode(step.parameters["topics"])
        var failedOver: [String] = []
        var problems: [String] = []
        for topic in topics {
            guard let mirror = try await context.target.mirror(link: link, topic: topic.targetMirror) else {
                if try await context.target.topic(topic.targetMirror) != nil {
                    failedOver.append(topic.targetMirror)  // a normal topic already
                } else {
                    problems.append("\(topic.targetMirror): not on the target")
                }
                continue
            }
            if ["STOPPED", "PENDING_STOPPED"].contains(mirror.mirrorStatus) {
                failedOver.append(topic.targetMirror)
                continue
            }
            let results = try await context.target.alterMirrors(
                link: link, action: .failover, topics: [topic.targetMirror])
            if let result = results.first, let code = result.errorCode, code != 0 {
                problems.append("\(topic.targetMirror): \(result.errorMessage ?? "error \(code)")")
            } else {
                failedOver.append(topic.targetMirror)
            }
        }
        guard problems.isEmpty else {
            throw StepError.permanent(
                "failover failed for \(problems.joined(separator: "; ")); the others stay failed over; fix the cause "
                    + "and run \(Rollout.command("failover \(context.runName)", site: context.site)) again")
        }
        return [
            "failed_over": failedOver.joined(separator: ","),
            "target_ends": CutoverExecutor.json(try await targetEnds(topics)),
        ]
    }

    /// The target's end offset of each mirror partition (`topic-partition` → offset).
    func targetEnds(_ topics: [ChainTopology.ChainTopic]) async throws -> [String: Int64] {
        var ends: [String: Int64] = [:]
        for topic in topics {
            guard
                let mirror = try await context.target.mirror(
                    link: context.playbook.link.leg2Name, topic: topic.targetMirror)
            else { continue }
            for lag in mirror.mirrorLags {
                ends["\(topic.origin)-\(lag.partition)"] = FetchOffsetMeaning.lastFetchedRecord.mirrorEnd(
                    lastSourceFetchOffset: lag.lastSourceFetchOffset)
            }
        }
        return ends
    }

    /// Runs `body` for at most the per-cluster timeout; nil (with the reason) when it did not answer in time.
    func bounded<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async -> Result<T, any Error> {
        let limit = clusterTimeout
        return await withTaskGroup(of: Result<T, any Error>?.self) { group in
            group.addTask {
                do { return .success(try await body()) } catch { return .failure(error) }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(StepError.transient("no answer within \(limit)"))
        }
    }

    /// The data-at-risk report: origin end offsets now (when both the origin and the jump answer in time) or
    /// as `verify`/`status` last recorded them, against the target's end offsets; groups on the target.
    func assess(
        topics: [ChainTopology.ChainTopic], targetEnds: [String: Int64], root: String, failedOver: [String],
        dryRun: Bool, probeOrigin: Bool = true
    ) async -> FailoverReport {
        let playbook = context.playbook
        var unreachable: [String] = []
        var originNow: [String: Int64]?
        let context = self.context
        // At a site that does not reach the origin (a multi-site plan), it is not probed: the recorded offsets
        // stand in.
        let origin = probeOrigin ? await bounded { try await context.origin.link(playbook.link.leg1Name) } : nil
        if !probeOrigin {
            unreachable.append(
                "origin \(playbook.origin.id): not probed at site \(context.site ?? "?"), which does not reach it "
                    + "(the origin offsets `verify`/`status` recorded stand in)")
        } else if case .failure(let error)? = origin {
            unreachable.append("origin \(playbook.origin.id): \(error)")
        }
        let jump = await bounded { try await context.jump().link(playbook.link.leg1Name) }
        if case .failure(let error) = jump {
            unreachable.append("jump \(playbook.jump.id): \(error)")
        }
        if case .success? = origin, case .success = jump {
            let observed = await bounded { () async throws -> VerificationReport in
                let verifier = OffsetVerifier(
                    topology: ChainTopology(playbook: playbook, topics: topics),
                    observer: try await context.chainObserver())
                return await verifier.verifyOnce(threshold: 0)
            }
            switch observed {
            case .success(let report):
                var ends: [String: Int64] = [:]
                for topic in report.topics {
                    for partition in topic.partitions where partition.jumpEnd != nil {
                        if let end = partition.originEnd { ends["\(topic.topic)-\(partition.partition)"] = end }
                    }
                }
                originNow = ends.isEmpty ? nil : ends
                if originNow == nil { unreachable.append("jump \(playbook.jump.id): its mirrors could not be read") }
            case .failure(let error):
                unreachable.append("jump \(playbook.jump.id): \(error)")
            }
        }
        let recorded = OriginOffsetRecord.load(root: root, backend: backend)
        var rows: [FailoverReport.PartitionRow] = []
        let partitions = Set(targetEnds.keys).union(originNow.map { Set($0.keys) } ?? [])
        for topic in topics {
            let numbers = partitions.compactMap { key -> Int? in
                guard key.hasPrefix(topic.origin + "-") else { return nil }
                return Int(key.dropFirst(topic.origin.count + 1))
            }.sorted()
            for partition in numbers {
                let key = "\(topic.origin)-\(partition)"
                var row = FailoverReport.PartitionRow(
                    topic: topic.origin, targetTopic: topic.targetMirror, partition: partition, origin: nil,
                    originSource: "unknown", originObservedAt: nil, target: targetEnds[key])
                if let now = originNow?[key] {
                    row.origin = now
                    row.originSource = "now"
                } else if let last = recorded?.offsets[topic.origin]?[partition] {
                    row.origin = last
                    row.originSource = "recorded"
                    row.originObservedAt = recorded?.observedAt
                }
                rows.append(row)
            }
        }
        let groups = (try? await targetGroups(topics)) ?? []
        return FailoverReport(
            run: context.runName, dryRun: dryRun, failedOver: failedOver, partitions: rows, groups: groups,
            unreachable: unreachable)
    }

    /// The selected groups' committed offsets on the target, for the chain's topics.
    func targetGroups(_ topics: [ChainTopology.ChainTopic]) async throws -> [FailoverReport.GroupRow] {
        let link = context.playbook.link
        let prefix =
            (link.leg2Options["consumer.group.prefix.enable"] == "true"
                ? link.leg2Options["cluster.link.prefix"] ?? "" : "")
            + (link.leg1Options["consumer.group.prefix.enable"] == "true"
                ? link.leg1Options["cluster.link.prefix"] ?? "" : "")
        var rows: [FailoverReport.GroupRow] = []
        for group in try await context.target.listConsumerGroups().map(\.consumerGroupID).sorted()
        where group.hasPrefix(prefix) && context.playbook.consumerGroups.selects(String(group.dropFirst(prefix.count)))
        {
            let offsets = try await context.target.committedOffsets(group: group) ?? [:]
            for topic in topics {
                for (key, offset) in offsets.sorted(by: { $0.key < $1.key }) where key.topic == topic.targetMirror {
                    rows.append(
                        FailoverReport.GroupRow(
                            group: group, topic: topic.origin, partition: key.partition, target: offset))
                }
            }
        }
        return rows
    }
}
