import ConfluentAPI

extension OffsetVerifier {
    /// Judges one observation (pure): hop health, per-partition offsets and lags, failures and diagnoses.
    public func report(_ observation: ChainObservation, threshold: Int64) -> VerificationReport {
        var failures: [String] = []
        let hops = ChainHop.allCases.map { hopHealth(observation.hop($0), failures: &failures) }
        var topics: [TopicReport] = []
        var failing: [String] = []
        for (jumpEntry, targetEntry) in zip(observation.leg1.mirrors, observation.leg2.mirrors) {
            let topic = topicReport(
                jump: jumpEntry, target: targetEntry, threshold: threshold, originEnds: observation.originEnds)
            topics.append(topic)
            let bad = topic.partitions.filter { !$0.passed }
            let unread =
                tolerated(jumpEntry.mirror, on: .jump) && tolerated(targetEntry.mirror, on: .target)
            if topic.partitions.isEmpty, unread {
                continue  // neither mirror is read from this site: nothing to judge here
            } else if topic.partitions.isEmpty {
                failing.append("\(topic.topic):*")
                failures.append("\(topic.topic): no partition could be read on either hop")
            } else if !bad.isEmpty {
                failing += bad.map { "\(topic.topic):\($0.partition)" }
                let shown = bad.prefix(5).map { partition in
                    "\(topic.topic):\(partition.partition) (\(partition.note ?? "failing"))"
                }
                let more = bad.count > 5 ? ", and \(bad.count - 5) more" : ""
                failures.append(
                    "\(topic.topic): \(bad.count) of \(topic.partitions.count) partitions failing: "
                        + shown.joined(separator: ", ") + more)
            } else if !topic.passed {
                failing.append("\(topic.topic):*")
            }
        }
        let diagnoses = Diagnoser.diagnose(observation)
        for diagnosis in diagnoses where diagnosis.cause == .partitionMismatch {
            failures.append("\(diagnosis.topics.joined(separator: ", ")): \(diagnosis.message)")
        }
        return VerificationReport(
            runName: topology.runName, threshold: threshold, hops: hops, topics: topics, passed: failures.isEmpty,
            failures: failures, failingPartitions: failing, diagnoses: diagnoses, rounds: 1, elapsedMs: 0)
    }

    func tolerated<Value>(_ observed: Observed<Value>, on role: PlaybookCluster.Role) -> Bool {
        guard case .unobservable = observed else { return false }
        return role == .jump ? acceptUnobservedJump : notReadHere.contains(role)
    }

    func hopHealth(_ hop: ChainObservation.HopObservation, failures: inout [String]) -> HopHealth {
        let halves = hop.halves.map { half -> HopHealth.LinkHalf in
            let link = half.link.value
            let healthy = link?.isHealthy ?? tolerated(half.link, on: half.role)
            if !healthy {
                let state: String
                switch half.link {
                case .found(let link):
                    state = [link.linkState, link.linkError].compactMap { $0 }.joined(separator: ", ")
                case .missing: state = "missing (HTTP 404)"
                case .unobservable: state = "not observable (no credential)"
                case .failed(let code, _): state = "could not be read (\(code))"
                }
                failures.append("\(hop.hop): link `\(hop.link)` on the \(half.role) (\(half.clusterID)): \(state)")
            }
            return HopHealth.LinkHalf(
                cluster: half.role, clusterID: half.clusterID, presence: half.link.presence,
                linkState: link?.linkState, linkError: link?.linkError, linkErrorMessage: link?.linkErrorMessage,
                failingTasks: link.map { Diagnoser.failingTasks($0) } ?? [], healthy: healthy)
        }
        var active = 0
        var inactive: [String] = []
        for entry in hop.mirrors {
            if entry.mirror.value?.mirrorStatus == "ACTIVE" || tolerated(entry.mirror, on: hop.hop.destination) {
                active += 1
            } else {
                let status = entry.mirror.value?.mirrorStatus ?? entry.mirror.presence
                inactive.append("\(entry.mirrorName) \(status)")
            }
        }
        if !inactive.isEmpty {
            let shown = inactive.prefix(5).joined(separator: ", ")
            let more = inactive.count > 5 ? ", and \(inactive.count - 5) more" : ""
            failures.append("\(hop.hop): mirrors on the \(hop.hop.destination) not ACTIVE: \(shown)\(more)")
        }
        return HopHealth(
            hop: hop.hop, link: hop.link, halves: halves, mirrorsActive: active, mirrorsTotal: hop.mirrors.count,
            healthy: halves.allSatisfy(\.healthy) && inactive.isEmpty)
    }

    func topicReport(
        jump: ChainObservation.MirrorObservation, target: ChainObservation.MirrorObservation, threshold: Int64,
        originEnds: [TopicPartition: MeasuredOriginEnd] = [:]
    ) -> TopicReport {
        let jumpMirror = jump.mirror.value
        let targetMirror = target.mirror.value
        let jumpLags = Dictionary((jumpMirror?.mirrorLags ?? []).map { ($0.partition, $0) }) { first, _ in first }
        let targetLags = Dictionary((targetMirror?.mirrorLags ?? []).map { ($0.partition, $0) }) { first, _ in first }
        var numbers = Set(jumpLags.keys).union(targetLags.keys)
        for count in [jumpMirror?.numPartitions, targetMirror?.numPartitions].compactMap({ $0 }) {
            numbers.formUnion(0..<count)
        }
        let jumpObserved: Bool
        if case .unobservable = jump.mirror { jumpObserved = false } else { jumpObserved = true }
        let targetNotRead = tolerated(target.mirror, on: .target)
        // A mirror that is not ACTIVE fails every partition it holds, whatever its lag says.
        let inactive = [("jump", jump.mirror), ("target", target.mirror)].compactMap { role, observed in
            observed.value.flatMap { $0.mirrorStatus == "ACTIVE" ? nil : "\(role) mirror \($0.mirrorStatus)" }
        }
        let partitions = numbers.sorted().map { number in
            let measured = originEnds[TopicPartition(topic: jump.topic.origin, partition: number)]
            var partition = PartitionDerivation.derive(
                partition: number, jump: jumpLags[number], target: targetLags[number], threshold: threshold,
                meaning: meaning, jumpObserved: jumpObserved, acceptUnobservedJump: acceptUnobservedJump,
                measuredOriginEnd: measured?.offset, measuredBy: measured?.source ?? .consumerGroup,
                targetNotRead: targetNotRead)
            if !inactive.isEmpty {
                partition.passed = false
                partition.note = (inactive + [partition.note].compactMap { $0 }).joined(separator: "; ")
            }
            return partition
        }
        let nothingRead = tolerated(jump.mirror, on: .jump) && tolerated(target.mirror, on: .target)
        let mirrorsActive =
            [(jump.mirror, ChainHop.leg1.destination), (target.mirror, ChainHop.leg2.destination)].allSatisfy {
                $0.value?.mirrorStatus == "ACTIVE" || tolerated($0, on: $1)
            }
        let countsMatch =
            jumpMirror == nil || targetMirror == nil || jumpMirror?.numPartitions == targetMirror?.numPartitions
        return TopicReport(
            topic: jump.topic.origin, jumpMirror: summary(jump), targetMirror: summary(target), partitions: partitions,
            passed: mirrorsActive && countsMatch && (nothingRead || !partitions.isEmpty)
                && partitions.allSatisfy(\.passed))
    }

    func summary(_ entry: ChainObservation.MirrorObservation) -> TopicReport.MirrorSummary {
        let mirror = entry.mirror.value
        return TopicReport.MirrorSummary(
            name: entry.mirrorName, presence: entry.mirror.presence, status: mirror?.mirrorStatus,
            error: mirror?.mirrorTopicError, partitions: mirror?.numPartitions)
    }
}
