import ConfluentAPI

/// Turns what a verification round observed into ``Diagnosis`` values: names the link, its `link_error`,
/// the failing tasks, and the most likely cause in plain words.
public enum Diagnoser {
    static let networkErrors: Set<String> = [
        "BOOTSTRAP_TCP_CONNECTION_FAILED_ERROR", "TIMEOUT_ERROR", "UNRESOLVABLE_BOOTSTRAP_ERROR",
        "INVALID_BOOTSTRAP_INTERNAL_ENDPOINT_ERROR",
    ]

    /// Every problem visible in one observation, link-level problems first.
    public static func diagnose(_ observation: ChainObservation) -> [Diagnosis] {
        var diagnoses: [Diagnosis] = []
        for hop in ChainHop.allCases {
            let hopObservation = observation.hop(hop)
            let linkLevel = hopObservation.halves.flatMap { diagnose(half: $0, hop: hopObservation, observation) }
            diagnoses += linkLevel
            diagnoses += diagnoseMirrors(hopObservation, linkLevel: linkLevel, observation)
        }
        diagnoses += partitionMismatches(observation)
        return explainSharedKey(deduplicated(diagnoses))
    }

    // MARK: Link halves

    static func diagnose(
        half: ChainObservation.HalfObservation, hop: ChainObservation.HopObservation, _ observation: ChainObservation
    ) -> [Diagnosis] {
        let topology = observation.topology
        let command = "jumpchain status \(topology.runName)"
        let rest = "GET /kafka/v3/clusters/\(half.clusterID)/links/\(hop.link)?include_tasks=true"
        func make(_ cause: Diagnosis.Cause, _ message: String, _ likely: String, error: String? = nil) -> Diagnosis {
            Diagnosis(
                hop: hop.hop, link: hop.link, cluster: half.role, clusterID: half.clusterID, cause: cause,
                linkError: error, message: message, likelyCause: likely, suggestedCommand: command, restCall: rest)
        }
        switch half.link {
        case .missing:
            return [
                make(
                    .linkHalfMissing, "link `\(hop.link)` not found on the \(half.role) (HTTP 404)",
                    missingHalf(half.role, hop))
            ]
        case .unobservable(let why):
            return [make(.unobservable, why, unobservable(half.role))]
        case .failed(let code, let message):
            return [make(.readFailed, "\(code): \(message)", readFailed(code, half.role))]
        case .found(let link):
            return diagnose(link: link, half: half, hop: hop.hop, topology: topology, make: make)
        }
    }

    static func diagnose(
        link: Link, half: ChainObservation.HalfObservation, hop: ChainHop, topology: ChainTopology,
        make: (Diagnosis.Cause, String, String, String?) -> Diagnosis
    ) -> [Diagnosis] {
        var found: [Diagnosis] = []
        let error = link.linkError.flatMap { $0 == "NO_ERROR" ? nil : $0 }
        let message = link.linkErrorMessage.map { "\(error ?? "link_error"): \($0)" } ?? (error ?? "")
        if let error, networkErrors.contains(error) {
            found.append(
                make(
                    .networkUnreachable, message,
                    "the link cannot reach the jump's bootstrap from the \(half.role): an unreachable "
                        + "network path (DNS, firewall, private endpoint or egress rule), or a wrong bootstrap address",
                    error))
        } else if error == "AUTHENTICATION_ERROR" {
            found.append(
                make(
                    .authentication, message,
                    "the link's API key for the jump was revoked, or its secret is wrong", error))
        }
        // Tasks in LINK_PAUSED / LINK_FAILED / LINK_UNAVAILABLE only echo the link's state: judged below.
        let failing = failingTasks(link, ownErrorsOnly: true)
        if !failing.isEmpty {
            let text = failing.joined(separator: "; ")
            if failing.contains(where: isAuthorizationText) {
                let groups = quotedNames(after: "consumer group", in: failing)
                let likely =
                    groups.isEmpty
                    ? "a missing ACL: the link's principal is not allowed to read what this task syncs"
                    : "a missing ACL: \(topology.readerDescription(hop)) lacks DESCRIBE on GROUP "
                        + "\(groups.joined(separator: ", ")) on the \(hop.source), so those groups' offsets are not "
                        + "synced; grant DESCRIBE on the group(s) to \(topology.reader(hop) ?? "that principal"), or "
                        + "`jumpchain apply` again with link.manage_acls: true"
                found.append(make(.authorization, "failing tasks: \(text)", likely, error))
            } else if found.isEmpty {
                found.append(
                    make(
                        .taskError, "failing tasks: \(text)",
                        "a link task is misconfigured (for example acl.sync.enable without acl.filters)", error))
            }
        }
        if found.isEmpty {
            switch link.linkState {
            case "PAUSED":
                found.append(make(.linkPaused, "link_state PAUSED", "the link was paused; nothing is copied", error))
            case "FAILED", "UNAVAILABLE":
                let state = link.linkState ?? ""
                found.append(
                    make(
                        .linkFailed, message.isEmpty ? "link_state \(state)" : "link_state \(state), \(message)",
                        "the link is \(state.lowercased()): its connection to the other cluster does not work", error))
            default:
                if let error {
                    found.append(make(.linkFailed, message, "the link reports an error", error))
                }
            }
        }
        return found
    }

    /// Tasks that are not working, as `Name: STATE (CODE: message)`.
    static func failingTasks(_ link: Link, ownErrorsOnly: Bool = false) -> [String] {
        (link.tasks ?? []).filter { task in
            guard task.state != "ACTIVE" && task.state != "NOT_CONFIGURED" else { return false }
            return !ownErrorsOnly || task.state == "IN_ERROR" || !task.errors.isEmpty
        }.map { task in
            let errors = task.errors.map { "\($0.errorCode): \($0.errorMessage)" }.joined(separator: ", ")
            return errors.isEmpty ? "\(task.taskName): \(task.state)" : "\(task.taskName): \(task.state) (\(errors))"
        }
    }

    /// The names quoted ('…') right after `marker` in `texts` ("consumer group 'orders-app'" → orders-app).
    static func quotedNames(after marker: String, in texts: [String]) -> [String] {
        var names: [String] = []
        for text in texts {
            let pieces = text.split(separator: "'", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated().dropLast() where piece.hasSuffix(marker + " ") {
                let name = String(pieces[index + 1])
                if !names.contains(name) { names.append(name) }
            }
        }
        return names
    }

    static func isAuthorizationText(_ text: String) -> Bool {
        let upper = text.uppercased()
        return upper.contains("AUTHORIZ") || upper.contains("ACL") || upper.contains("NOT AUTHORIZED")
            || upper.contains("DENIED")
    }

    static func missingHalf(_ role: PlaybookCluster.Role, _ hop: ChainObservation.HopObservation) -> String {
        switch (hop.hop, role) {
        case (.leg1, .origin):
            return "leg 1's SOURCE half on the origin is missing: leg 1 is source-initiated, so nothing connects "
                + "the origin to the jump and the jump's DESTINATION half waits; create the source half again"
        case (.leg1, _):
            return "leg 1's DESTINATION half on the jump is missing: the origin's SOURCE half has nothing to "
                + "connect to and the jump's mirrors are gone with it"
        default:
            return "leg 2's link on the target is missing: nothing copies from the jump to the target"
        }
    }

    static func unobservable(_ role: PlaybookCluster.Role) -> String {
        "jumpchain holds no credential for the \(role) (its only key is normally the link key), so this hop "
            + "cannot be checked there; add read-only credentials for the \(role) to the playbook, or enable "
            + "the canary (verify.canary: true), which proves the whole chain from the origin and the target"
    }

    static func readFailed(_ code: String, _ role: PlaybookCluster.Role) -> String {
        switch code {
        case "unauthorized", "forbidden":
            return "jumpchain's own credential for the \(role) was rejected (not the link's key); check the playbook"
        case "unreachable":
            return "the \(role)'s REST endpoint cannot be reached from here (private network: run where it is routable)"
        default:
            return "the \(role)'s REST API failed; retry, and see the message"
        }
    }

    // MARK: Mirrors

    static func diagnoseMirrors(
        _ hop: ChainObservation.HopObservation, linkLevel: [Diagnosis], _ observation: ChainObservation
    ) -> [Diagnosis] {
        let topology = observation.topology
        let destination = topology.cluster(hop.hop.destination)
        let destinationLinkMissing = linkLevel.contains {
            $0.cluster == hop.hop.destination && ($0.cause == .linkHalfMissing || $0.cause == .unobservable)
        }
        var grouped: [String: (Diagnosis.Cause, String, String, [String])] = [:]
        var order: [String] = []
        func add(_ cause: Diagnosis.Cause, _ message: String, _ likely: String, _ topic: String) {
            let key = "\(cause.rawValue)|\(message)"
            if grouped[key] == nil {
                order.append(key)
                grouped[key] = (cause, message, likely, [])
            }
            grouped[key]!.3.append(topic)
        }
        let linkBroken = !linkLevel.isEmpty
        for entry in hop.mirrors {
            switch entry.mirror {
            case .missing where !destinationLinkMissing:
                add(
                    .mirrorMissing, "mirror topic not found on the \(hop.hop.destination) (HTTP 404)",
                    "the mirror was never created or was deleted; the rollout creates it", entry.mirrorName)
            case .failed(let code, let message):
                add(.readFailed, "\(code): \(message)", readFailed(code, hop.hop.destination), entry.mirrorName)
            case .found(let mirror):
                if let (cause, message, likely) = diagnose(
                    mirror: mirror, entry: entry, hop: hop.hop, linkBroken: linkBroken, topology: topology)
                {
                    add(cause, message, likely, entry.mirrorName)
                }
            default:
                break
            }
        }
        return order.map { key in
            let (cause, message, likely, topics) = grouped[key]!
            let rest =
                topics.count == 1
                ? "GET /kafka/v3/clusters/\(destination.id)/links/\(hop.link)/mirrors/\(topics[0])"
                : "GET /kafka/v3/clusters/\(destination.id)/links/\(hop.link)/mirrors"
            return Diagnosis(
                hop: hop.hop, link: hop.link, cluster: hop.hop.destination, clusterID: destination.id, cause: cause,
                topics: topics, message: message, likelyCause: likely,
                suggestedCommand: "jumpchain status \(topology.runName)", restCall: rest)
        }
    }

    static func diagnose(
        mirror: Mirror, entry: ChainObservation.MirrorObservation, hop: ChainHop, linkBroken: Bool,
        topology: ChainTopology? = nil
    ) -> (Diagnosis.Cause, String, String)? {
        let status = mirror.mirrorStatus
        let error = mirror.mirrorTopicError.flatMap { $0.isEmpty ? nil : $0 }
        let message = error.map { "mirror_status \(status), mirror_topic_error \($0)" } ?? "mirror_status \(status)"
        let source = hop.source
        let sourceName = hop == .leg1 ? entry.topic.origin : entry.topic.jumpMirror
        /// Names the principal and the missing right when the topology knows who reads the source.
        func missingRead() -> String {
            guard let topology else {
                return "a missing ACL: the link's principal may not read the source topic on the \(source) "
                    + "(READ and DESCRIBE_CONFIGS on the topic)"
            }
            let who = topology.reader(hop) ?? "the link's principal"
            return "a missing ACL: \(topology.readerDescription(hop)) lacks READ on TOPIC \(sourceName) on the "
                + "\(source), so the mirror cannot copy it; grant READ (and DESCRIBE, DESCRIBE_CONFIGS) on the topic "
                + "to \(who), or `jumpchain apply` again with link.manage_acls: true"
        }
        if let error, isAuthorizationText(error) {
            return (.authorization, message, missingRead())
        }
        switch status {
        case "ACTIVE":
            return nil
        case "PAUSED":
            return (.mirrorPaused, message, "the mirror was paused; resume it to continue copying")
        case "LINK_PAUSED":
            return linkBroken ? nil : (.linkPaused, message, "the link was paused; nothing is copied")
        case "FAILED":
            return (.mirrorFailed, message, "the mirror failed and stopped copying; see mirror_topic_error")
        case "LINK_FAILED":
            return linkBroken
                ? nil
                : (.linkFailed, message, "the mirror's link failed; its connection to the \(source) does not work")
        case "SOURCE_UNAVAILABLE":
            if entry.sourceExists == true {
                return (
                    .authorization, message,
                    "the source topic exists on the \(source) but the link cannot read it: most likely "
                        + String(missingRead().dropFirst(2))
                )
            }
            return (
                .sourceTopicGone, message,
                "the source topic `\(sourceName)` on the \(source) is gone (deleted or renamed); the mirror cannot "
                    + "continue"
            )
        case "STOPPED", "PENDING_STOPPED":
            return (
                .mirrorStopped, message,
                "the mirror was promoted or failed over and no longer copies; the chain is cut here"
            )
        default:
            return (.mirrorPending, message, "the mirror is still being set up; verify again in a moment")
        }
    }

    // MARK: Across hops

    /// Mirrors of one topic whose partition counts differ between the jump and the target.
    static func partitionMismatches(_ observation: ChainObservation) -> [Diagnosis] {
        let topology = observation.topology
        return zip(observation.leg1.mirrors, observation.leg2.mirrors).compactMap { jumpEntry, targetEntry in
            guard let jump = jumpEntry.mirror.value, let target = targetEntry.mirror.value,
                jump.numPartitions != target.numPartitions
            else { return nil }
            return Diagnosis(
                hop: .leg2, link: topology.leg2Name, cluster: .target, clusterID: topology.target.id,
                cause: .partitionMismatch, topics: [jumpEntry.topic.origin],
                message: "`\(jump.mirrorTopicName)` has \(jump.numPartitions) partitions on the jump, "
                    + "`\(target.mirrorTopicName)` has \(target.numPartitions) on the target",
                likelyCause: "the topic's partition count changed upstream and a mirror has not followed yet; "
                    + "mirrors pick up new partitions on their next metadata sync, so check again, and if it "
                    + "persists compare the origin topic's partitions_count",
                suggestedCommand: "jumpchain verify \(topology.runName)",
                restCall: "GET /kafka/v3/clusters/\(topology.target.id)/links/\(topology.leg2Name)/mirrors/"
                    + target.mirrorTopicName)
        }
    }

    static func deduplicated(_ diagnoses: [Diagnosis]) -> [Diagnosis] {
        var seen: Set<String> = []
        return diagnoses.filter { diagnosis in
            guard diagnosis.cause == .unobservable else { return true }
            return seen.insert(diagnosis.clusterID).inserted
        }
    }

    /// Both legs authenticate with the one link key: failing on both points at the key itself.
    static func explainSharedKey(_ diagnoses: [Diagnosis]) -> [Diagnosis] {
        let hops = Set(diagnoses.filter { $0.cause == .authentication }.map(\.hop))
        guard hops.count == ChainHop.allCases.count else { return diagnoses }
        return diagnoses.map { diagnosis in
            guard diagnosis.cause == .authentication else { return diagnosis }
            var copy = diagnosis
            copy.likelyCause =
                "both legs fail to authenticate to the jump and both use the one link key: it was most likely "
                + "revoked (DELETE /iam/v2/api-keys/<id>) or replaced; the links need a valid key for the jump"
            return copy
        }
    }
}
