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

    /// `status`/`verify` without `--site` on a run split across sites: this host must hold every secret (it then
    /// reads every cluster, as on a one-site run); otherwise refused, naming the `--site` choices. Nothing is read
    /// or sent. A playbook with `stdin` secrets is not probed (its lines are read once, by the command itself).
    static func requireSiteOrEverySecret(
        _ playbook: Playbook, run: String, words: String, options: Options
    ) throws(JumpchainError) {
        guard options.site == nil, playbook.noSiteReachesBoth, playbook.stdinOrder.isEmpty else { return }
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

    /// Whether `status --site` judged anything: a failure in what was read, or a mirror's partitions (lags)
    /// read at all. A site that read only link halves (the origin's without `--inspect-jump`) judges no lag.
    static func siteJudged(_ report: VerificationReport) -> Bool {
        !report.passed || report.topics.contains { !$0.partitions.isEmpty }
    }

    /// `status --site`'s verdict: on what `site` read (an unreached cluster is not read there, never a failure),
    /// and where the rest is read; "not judged" when no mirror or lag was read there.
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
        guard siteJudged(report) else {
            return "not judged \(scope): no mirror or lag was read here"
                + (inspectJump
                    ? ""
                    : " (the jump's mirrors are read with --inspect-jump: "
                        + "`jumpchain status \(run) --site \(site.name) --inspect-jump`)")
                + "; " + elsewhere.joined(separator: "; ")
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
    /// The run document the origin's half of `verify --site` records for the target's half to compare with: the
    /// origin's observation and, in the same record (one `observed_at`), its synced groups' committed offsets.
    static let originHalfDocument = "site-verify-origin.json"

    /// What `verify --site` at the origin's site recorded (no secret: links, mirrors, offsets, group ids).
    struct RecordedOriginHalf: Codable {
        /// ``SiteObservation`` JSON.
        var observation: String
        /// ``RecordedGroupOffsets`` text of the origin's synced groups; nil when they were not read.
        var groups: String?
        /// Why the origin's group offsets could not be read (then `groups` is nil).
        var groupsUnreadable: String?

        enum CodingKeys: String, CodingKey {
            case observation, groups
            case groupsUnreadable = "groups_unreadable"
        }
    }

    /// A record of the origin's half the target's half compares with.
    struct OriginRecord {
        var observation: SiteObservation
        /// Where it came from (`verify --site` at the origin's site, or an operation's step).
        var source: String
        /// The origin's groups recorded with it (nil: an operation's step, which records none).
        var half: RecordedOriginHalf?
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
                // The origin's synced groups, recorded in the same document: a failed read records that they
                // could not be read (never an older record's offsets).
                var half = RecordedOriginHalf(observation: observation.encoded())
                do {
                    half.groups = try await context.originGroupOffsets().map(RecordedGroupOffsets.encode)
                } catch {
                    half.groupsUnreadable = "\(error)"
                }
                let recorded: Bool
                do {
                    try options.backend.setDocument(originHalfDocument, ofRun: root, try JSONEncoder().encode(half))
                    recorded = true
                } catch {
                    recorded = false
                }
                var failures = hopFailures(observation.hop)
                if let result = observation.canary, !result.passed {
                    failures.append("canary: \(result.failure ?? "it did not reach the jump")")
                }
                var verification = Verification(
                    report: SiteVerification.originHalfView(
                        observation, topology: topology, threshold: Int64(playbook.verify.maxLag), failures: failures),
                    canary: [], jumpInspected: true)
                verification.half = SiteHalf(
                    site: site.name, side: .origin,
                    lines: [
                        "checked at site \(site.name): the origin's half — leg 1 (the origin's and the jump's link "
                            + "halves, the jump's \(topology.topics.count) mirrors, the origin's ends)"
                            + (observation.canary.map {
                                " and the canary to the jump (\($0.passed ? "arrived" : "failed"))"
                            } ?? "")
                            + (recorded
                                ? "; recorded for the target's half"
                                : "; NOT recorded for the target's half (the run's state could not be written)"),
                        "not checked from site \(site.name): leg 2 and the target; site "
                            + "\(other?.name ?? "?") compares them with this record with \(otherCommand)",
                    ], failures: failures)
                if half.groups != nil, recorded {
                    verification.half?.groupsNotChecked =
                        "the origin's consumer group offsets were recorded here for the target's half: site "
                        + "\(other?.name ?? "?") compares them with "
                        + (other.map { command("verify \(run) --groups", site: $0.name) } ?? otherCommand)
                } else if half.groups != nil {
                    verification.half?.groupsNotChecked =
                        "the origin's consumer group offsets were read at site \(site.name) but could not be "
                        + "recorded for the target's half (the run's state could not be written)"
                } else if let unreadable = half.groupsUnreadable {
                    verification.half?.groupsNotChecked =
                        "the origin's consumer group offsets could not be read at site \(site.name) (\(unreadable)); "
                        + "the target's half cannot compare them until they are recorded"
                }
                return verification
            }
            let since = latestOperationStart(root: root, entries: entries, options: options)
            let planned = Set(context.topology(for: plan).topics.map(\.origin))
            guard
                let found = latestOriginRecord(
                    root: root, entries: entries, since: since, covering: planned, options: options)
            else {
                throw JumpchainError(
                    .otherSiteTurn,
                    "verify \(run) --site \(site.name): there is no record of the origin's half "
                        + (since.map { "since the run's latest operation began (\(OriginOffsetRecord.timestamp($0))) " }
                            ?? "")
                        + "to compare the target with; site \(other?.name ?? "?") records it with \(otherCommand), "
                        + "then run \(command("verify \(run)", site: site.name)) here")
            }
            let origin = found.observation
            let target = try await executor.observeSide(
                .target, recorded: origin, canary: canary, timeout: limit, report: notice)
            let report = sited(
                SiteVerification.report(
                    origin: origin, target: target,
                    topology: SiteVerification.topology(context.topology(for: plan), covering: origin),
                    threshold: Int64(playbook.verify.maxLag)), site: site.name, unreached: [.origin])
            var verification = Verification(report: report, canary: [], jumpInspected: true)
            verification.maxGroupLag = playbook.verify.maxGroupLag ?? 0
            // The synced groups on the target against the origin's offsets recorded with the very record the
            // partitions are compared with (never another record's).
            var groupsNotChecked: String?
            var groupsLine: [String] = []
            if playbook.offsetSyncPlan(originPrincipal: playbook.link.originPrincipal ?? "") != nil {
                let rerun =
                    "site \(other?.name ?? "?") records them with \(otherCommand), then run "
                    + "\(command("verify \(run) --groups", site: site.name)) here"
                if let text = found.half?.groups, let recorded = RecordedGroupOffsets.decode(text) {
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
                            + "`verify --site` at the origin's site at \(origin.observedAt ?? "an unknown time")"
                    ]
                } else if let unreadable = found.half?.groupsUnreadable {
                    groupsNotChecked =
                        "the synced consumer groups were not checked at site \(site.name): the origin's half "
                        + "recorded at \(origin.observedAt ?? "an unknown time") could not read the origin's group "
                        + "offsets (\(unreadable)); " + rerun
                } else {
                    groupsNotChecked =
                        "the synced consumer groups were not checked at site \(site.name): there is no record of "
                        + "the origin's group offsets with the origin's half compared here (\(found.source)); "
                        + rerun
                }
            }
            verification.half = SiteHalf(
                site: site.name, side: .target,
                lines: [
                    "checked at site \(site.name): the target's half — leg 2 read now and compared with the "
                        + "origin's half \(found.source) recorded at \(origin.observedAt ?? "an unknown time")"
                        + (age(origin.observedAt).map { " (\($0) ago)" } ?? ""),
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

    /// When the run's latest operation began (an update or prune changes the topic set: an origin record older
    /// than that covers another one); nil when it cannot be read.
    static func latestOperationStart(root: String, entries: [RunHistory.Entry], options: Options) -> Date? {
        guard let last = entries.last,
            let store = try? openStoreReadOnly(last.directory, run: root, backend: options.backend)
        else { return nil }
        return try? store.metadata().createdAt
    }

    /// The newest record of the origin's half taken since `since` (the run's latest operation began; records
    /// carry whole seconds) whose leg 1 covers every topic of `covering` (an update's `verify:origin` reads only
    /// its own topics): `verify --site` at the origin's site, or an operation's `verify:origin` step.
    static func latestOriginRecord(
        root: String, entries: [RunHistory.Entry], since: Date?, covering: Set<String>, options: Options
    ) -> OriginRecord? {
        var found: [OriginRecord] = []
        if let data = try? options.backend.document(originHalfDocument, ofRun: root),
            let half = try? JSONDecoder().decode(RecordedOriginHalf.self, from: data),
            let observation = try? SiteObservation.decode(half.observation, step: "verify --site")
        {
            found.append(
                OriginRecord(observation: observation, source: "`verify --site` at the origin's site", half: half))
        }
        let id = RolloutStep.perSide(RolloutStep.verify, .origin)
        for entry in entries {
            guard let store = try? openStoreReadOnly(entry.directory, run: root, backend: options.backend),
                let record = try? store.stepRecords()[id], record.state == .succeeded,
                let observation = try? SiteObservation.decode(record.outputs[SiteObservation.outputKey], step: id)
            else { continue }
            found.append(OriginRecord(observation: observation, source: "step \(id) of \(entry.directory)"))
        }
        found.removeAll { !covering.isSubset(of: Set($0.observation.hop.mirrors.map(\.topic.origin))) }
        if let since {
            let floor = Date(timeIntervalSince1970: since.timeIntervalSince1970.rounded(.down))
            found.removeAll { record in
                guard let date = record.observation.observedAt.flatMap(parseTimestamp) else { return true }
                return date < floor
            }
        }
        return found.max { ($0.observation.observedAt ?? "") < ($1.observation.observedAt ?? "") }
    }

    static func parseTimestamp(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    /// "3 min 5 s" since an ISO 8601 timestamp; nil when it cannot be read.
    static func age(_ observedAt: String?, now: Date = Date()) -> String? {
        guard let date = observedAt.flatMap(parseTimestamp) else { return nil }
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        if seconds < 60 { return "\(seconds) s" }
        if seconds < 3600 { return "\(seconds / 60) min \(seconds % 60) s" }
        return "\(seconds / 3600) h \(seconds % 3600 / 60) min"
    }
}
