import ConfluentAPI
import Foundation
import Workflow

/// `status` and `verify` at one site of a multi-site run (`--site NAME`): only the clusters that site reaches
/// are contacted and only their secrets are needed.
extension Rollout {
    /// The site `--site` names in the run's playbook (nil without `--site`); an unknown name is refused.
    static func commandSite(_ playbook: Playbook, options: Options) throws(JumpchainError) -> PlaybookSite? {
        guard let name = options.site else { return nil }
        return try playbook.site(named: name)
    }

    /// The private clusters (origin, target) `site` does not reach; empty without a site.
    static func unreached(_ playbook: Playbook, site: PlaybookSite?) -> [PlaybookCluster.Role] {
        guard let site else { return [] }
        return [PlaybookCluster.Role.origin, .target].filter { !playbook.site(site, reaches: $0) }
    }

    /// Whether `playbook` names sites and none of them reaches both the origin and the target.
    static func split(_ playbook: Playbook) -> Bool {
        !playbook.siteList.isEmpty
            && !playbook.siteList.contains { unreached(playbook, site: $0).isEmpty }
    }

    /// `status`/`verify` without `--site` on a run split across sites: this host must hold every secret (it then
    /// reads every cluster, as on a one-site run); otherwise refused, naming the `--site` choices. Nothing is read
    /// or sent. A playbook with `stdin` secrets is not probed (its lines are read once, by the command itself).
    static func requireSiteOrEverySecret(
        _ playbook: Playbook, run: String, words: String, options: Options
    ) throws(JumpchainError) {
        guard options.site == nil, split(playbook), playbook.stdinOrder.isEmpty else { return }
        do {
            let credentials = try RolloutCredentials.resolve(
                playbook, environment: options.environment, stdin: StdinSecrets(order: []))
            credentials.wipe()
        } catch {
            throw JumpchainError(
                .invalidInput,
                "\(words) \(run): no site of this run reaches both the origin and the target, and this host lacks a "
                    + "secret (\(error.message)); run it at a site with --site: "
                    + siteChoices(playbook, run: run, words: words))
        }
    }

    /// "`jumpchain status RUN --site origin-side` at site origin-side (reaches origin) or …".
    static func siteChoices(_ playbook: Playbook, run: String, words: String) -> String {
        playbook.siteList.map { site in
            let reaches = [PlaybookCluster.Role.origin, .target].filter { playbook.site(site, reaches: $0) }
            return "\(command("\(words) \(run)", site: site.name)) at site \(site.name) (reaches "
                + "\(reaches.map(\.rawValue).joined(separator: " and ")))"
        }.joined(separator: " or ")
    }

    /// What `status --site` could not read from its site: a line per unreached cluster naming the site that
    /// reaches it and the command to run there, and the consumer groups (read on the origin and the target).
    static func notReadLines(_ playbook: Playbook, run: String, site: PlaybookSite) -> [String] {
        let unreached = unreached(playbook, site: site)
        var lines = unreached.map { role -> String in
            let cluster = role == .origin ? playbook.origin : playbook.target
            let there = playbook.siteList.first { playbook.site($0, reaches: role) }
            return "not read from site \(site.name): the \(role.rawValue) \(cluster.id) (this site does not reach "
                + "it)"
                + (there.map { "; site \($0.name) reads it with \(command("status \(run)", site: $0.name))" } ?? "")
        }
        if !unreached.isEmpty, playbook.offsetSyncPlan(originPrincipal: playbook.link.originPrincipal ?? "") != nil {
            lines.append(
                "not read from site \(site.name): the synced consumer groups (they are compared on the origin and "
                    + "the target)")
        }
        return lines
    }

    /// `status --site`'s verdict: on what `site` read (an unreached cluster is not read there, never a failure),
    /// and where the rest is read.
    static func siteVerdict(
        _ report: VerificationReport, playbook: Playbook, run: String, site: PlaybookSite, inspectJump: Bool
    ) -> String {
        let unreached = unreached(playbook, site: site)
        var read = [PlaybookCluster.Role.origin, .target].filter { !unreached.contains($0) }.map(\.rawValue)
        if inspectJump { read.append("jump") }
        let elsewhere = unreached.map { role in
            let there = playbook.siteList.first { playbook.site($0, reaches: role) }
            return "the \(role.rawValue) is read "
                + (there.map { "from site \($0.name) with \(command("status \(run)", site: $0.name))" }
                    ?? "from no site of the playbook")
        }
        let scope = "as far as site \(site.name) reads it (\(read.joined(separator: " and ")))"
        guard report.passed else {
            return "FAIL \(scope): \(report.failures.joined(separator: "; "))"
        }
        return "healthy \(scope); " + elsewhere.joined(separator: "; ")
    }

    /// A report read at `site`: no diagnosis of a cluster it does not reach (the `not read` lines say where that
    /// is read), and the commands the others suggest name the site.
    static func sited(
        _ report: VerificationReport, site: String, unreached: [PlaybookCluster.Role]
    ) -> VerificationReport {
        var report = report
        report.diagnoses.removeAll { unreached.contains($0.cluster) && $0.message.contains("not read from site") }
        for index in report.diagnoses.indices
        where report.diagnoses[index].suggestedCommand.hasPrefix("jumpchain status")
            || report.diagnoses[index].suggestedCommand.hasPrefix("jumpchain verify")
        {
            report.diagnoses[index].suggestedCommand += " --site \(site)"
        }
        return report
    }

    /// The observer and topology `status --site` reads with at a site that does not reach every private
    /// cluster: the unreached one is not contacted (reported as not observed from this site).
    static func siteVerifier(
        _ context: RolloutContext, plan: Plan, site: PlaybookSite, inspectJump: Bool
    ) async throws -> OffsetVerifier {
        let unreached = unreached(context.playbook, site: site)
        var observer = try await context.chainObserver(inspectJump: inspectJump)
        if unreached.contains(.origin) { observer.origin = nil }
        if unreached.contains(.target) { observer.target = nil }
        observer.unreachedReason = "not read from site \(site.name), which does not reach it"
        observer.measuringGroups = unreached.contains(.origin) ? nil : context.playbook.consumerGroups
        let topology = try await context.liveTopology(
            from: context.topology(for: plan), jump: inspectJump ? try await context.jump() : nil,
            readTarget: !unreached.contains(.target))
        var verifier = OffsetVerifier(topology: topology, observer: observer, acceptUnobservedJump: !inspectJump)
        verifier.notReadHere = Set(unreached)
        return verifier
    }
}

/// `verify --site` at a site that does not reach both private clusters: the half of the cross-site verification
/// that site can check, through the split verification steps' own code (``RolloutExecutor/observeSide``).
extension Rollout {
    /// The run document the origin's half of `verify --site` records for the target's half to compare with.
    static let originHalfDocument = "site-verify-origin.json"
    /// The origin's synced groups and committed offsets the origin's half records beside it (no secret: group
    /// ids, partitions, offsets), for `verify --site --groups` at the target's site.
    static let originGroupsDocument = "site-verify-origin-groups.json"

    /// What `verify --site` at the origin's site recorded of the origin's consumer groups.
    struct RecordedOriginGroups: Codable {
        var observedAt: String
        /// ``RecordedGroupOffsets`` text.
        var groups: String

        enum CodingKeys: String, CodingKey {
            case observedAt = "observed_at"
            case groups
        }
    }

    /// Which half was checked, and how.
    public struct SiteHalf: Sendable {
        /// The site it ran at.
        public var site: String
        /// `origin` (leg 1, read live) or `target` (leg 2 read live, compared with the origin's record).
        public var side: PlaybookCluster.Role
        /// Lines saying what was checked and what was not (text output).
        public var lines: [String]
        /// Leg 1's problems, at the origin's half (the target's half fails through its comparison report).
        public var failures: [String]
        /// Why the synced consumer groups were not compared here, naming what to run where (nil: compared, or
        /// the playbook syncs none).
        public var groupsNotChecked: String?
    }

    static func verifyHalf(
        run: String, root: String, entries: [RunHistory.Entry], site: PlaybookSite, context: RolloutContext,
        plan: Plan, limit: Duration, canary: Bool, options: Options
    ) async throws(JumpchainError) -> Verification {
        let playbook = context.playbook
        let executor = RolloutExecutor(context: context, plan: plan)
        let reachesOrigin = playbook.site(site, reaches: .origin)
        let other = playbook.siteList.first {
            $0.name != site.name && !unreached(playbook, site: $0).contains(reachesOrigin ? .target : .origin)
        }
        let otherCommand = other.map { command("verify \(run)", site: $0.name) } ?? "`jumpchain verify \(run) --site …`"
        let notice: @Sendable (String) -> Void = { _ in }
        do {
            if reachesOrigin {
                let observation = try await executor.observeSide(
                    .origin, recorded: nil, canary: canary, timeout: limit, report: notice)
                let topology = SiteVerification.topology(context.topology(for: plan), covering: observation)
                if let record = OriginOffsetRecord.from(observation, topology: topology) {
                    OriginOffsetRecord.save(record, root: root, backend: options.backend)
                }
                try? options.backend.setDocument(originHalfDocument, ofRun: root, Data(observation.encoded().utf8))
                // The origin's synced groups, for the target's half to compare (a failed read records nothing).
                let groups = try? await context.originGroupOffsets()
                if let groups {
                    let record = RecordedOriginGroups(
                        observedAt: observation.observedAt ?? OriginOffsetRecord.timestamp(Date()),
                        groups: RecordedGroupOffsets.encode(groups))
                    if let data = try? JSONEncoder().encode(record) {
                        try? options.backend.setDocument(originGroupsDocument, ofRun: root, data)
                    }
                }
                var failures = hopFailures(observation.hop)
                if let result = observation.canary, !result.passed {
                    failures.append("canary: \(result.failure ?? "it did not reach the jump")")
                }
                var report = SiteVerification.originView(observation, topology: topology)
                report.passed = failures.isEmpty
                report.failures = failures
                var verification = Verification(report: report, canary: [], jumpInspected: true)
                verification.half = SiteHalf(
                    site: site.name, side: .origin,
                    lines: [
                        "checked at site \(site.name): the origin's half — leg 1 (the origin's and the jump's link "
                            + "halves, the jump's \(topology.topics.count) mirrors, the origin's ends)"
                            + (observation.canary.map {
                                " and the canary to the jump (\($0.passed ? "arrived" : "failed"))"
                            } ?? "")
                            + "; recorded for the target's half",
                        "not checked from site \(site.name): leg 2 and the target; site "
                            + "\(other?.name ?? "?") compares them with this record with \(otherCommand)",
                    ], failures: failures)
                if groups != nil {
                    verification.half?.groupsNotChecked =
                        "the origin's consumer group offsets were recorded here for the target's half: site "
                        + "\(other?.name ?? "?") compares them with "
                        + (other.map { command("verify \(run) --groups", site: $0.name) } ?? otherCommand)
                }
                return verification
            }
            guard let (origin, source) = latestOriginRecord(root: root, entries: entries, options: options) else {
                throw JumpchainError(
                    .otherSiteTurn,
                    "verify \(run) --site \(site.name): there is no record of the origin's half to compare the "
                        + "target with; site \(other?.name ?? "?") records it with \(otherCommand), then run "
                        + "\(command("verify \(run)", site: site.name)) here")
            }
            let target = try await executor.observeSide(
                .target, recorded: origin, canary: canary, timeout: limit, report: notice)
            let report = sited(
                SiteVerification.report(
                    origin: origin, target: target,
                    topology: SiteVerification.topology(context.topology(for: plan), covering: origin),
                    threshold: Int64(playbook.verify.maxLag)), site: site.name, unreached: [.origin])
            var verification = Verification(report: report, canary: [], jumpInspected: true)
            verification.maxGroupLag = playbook.verify.maxGroupLag ?? 0
            // The synced groups on the target against the origin's offsets the origin's half recorded.
            var groupsNotChecked: String?
            var groupsLine: [String] = []
            if playbook.offsetSyncPlan(originPrincipal: playbook.link.originPrincipal ?? "") != nil {
                if let data = try? options.backend.document(originGroupsDocument, ofRun: root),
                    let record = try? JSONDecoder().decode(RecordedOriginGroups.self, from: data),
                    let recorded = RecordedGroupOffsets.decode(record.groups)
                {
                    // As `verify` does: a failed group read adds nothing to a failing chain's verdict.
                    do {
                        verification.groups = try await context.groupOffsets(
                            topology: SiteVerification.topology(context.topology(for: plan), covering: origin),
                            jump: try await context.jump(), recordedOrigin: recorded)
                    } catch  where !report.passed {
                        groupsNotChecked =
                            "the synced consumer groups could not be read at site \(site.name) (\(error)); the "
                            + "chain's failure above comes first"
                    }
                    groupsLine = [
                        "consumer groups: the target's committed offsets compared with the origin's recorded by "
                            + "`verify --site` at the origin's site at \(record.observedAt)"
                    ]
                } else {
                    groupsNotChecked =
                        "the synced consumer groups were not checked at site \(site.name): there is no record of "
                        + "the origin's group offsets; site \(other?.name ?? "?") records them with \(otherCommand), "
                        + "then run \(command("verify \(run) --groups", site: site.name)) here"
                }
            }
            verification.half = SiteHalf(
                site: site.name, side: .target,
                lines: [
                    "checked at site \(site.name): the target's half — leg 2 read now and compared with the "
                        + "origin's half \(source) recorded at \(origin.observedAt ?? "an unknown time")",
                    "not read from site \(site.name): the origin; \(otherCommand) at site \(other?.name ?? "?") "
                        + "records it afresh",
                ] + groupsLine, failures: [], groupsNotChecked: groupsNotChecked)
            return verification
        } catch let error as JumpchainError {
            throw error
        } catch {
            throw JumpchainError(.remote, "verify \(run) --site \(site.name): \(error)", cause: error)
        }
    }

    /// Leg 1's problems as the origin's site sees them (what ``SiteVerification/settled(_:)`` waits for).
    static func hopFailures(_ hop: ChainObservation.HopObservation) -> [String] {
        var failures: [String] = []
        for half in hop.halves where half.link.value?.isHealthy != true {
            let state = half.link.value.map { [$0.linkState, $0.linkError].compactMap { $0 }.joined(separator: ", ") }
            failures.append("\(hop.hop): link `\(hop.link)` on the \(half.role): \(state ?? "not read")")
        }
        for mirror in hop.mirrors where mirror.mirror.value?.mirrorStatus != "ACTIVE" {
            failures.append(
                "\(hop.hop): mirror \(mirror.mirrorName): \(mirror.mirror.value?.mirrorStatus ?? "missing or not read")"
            )
        }
        return failures
    }

    /// The newest record of the origin's half: `verify --site` at the origin's site, or an operation's
    /// `verify:origin` step; with where it came from.
    static func latestOriginRecord(
        root: String, entries: [RunHistory.Entry], options: Options
    ) -> (SiteObservation, String)? {
        var found: [(SiteObservation, String)] = []
        if let data = try? options.backend.document(originHalfDocument, ofRun: root),
            let observation = try? SiteObservation.decode(String(decoding: data, as: UTF8.self), step: "verify --site")
        {
            found.append((observation, "`verify --site` at the origin's site"))
        }
        let id = RolloutStep.perSide(RolloutStep.verify, .origin)
        for entry in entries {
            guard let store = try? openStoreReadOnly(entry.directory, run: root, backend: options.backend),
                let record = try? store.stepRecords()[id], record.state == .succeeded,
                let observation = try? SiteObservation.decode(record.outputs[SiteObservation.outputKey], step: id)
            else { continue }
            found.append((observation, "step \(id) of \(entry.directory)"))
        }
        return found.max { ($0.0.observedAt ?? "") < ($1.0.observedAt ?? "") }
    }
}
