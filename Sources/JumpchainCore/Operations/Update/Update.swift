import ConfluentAPI
import Foundation
public import Workflow

/// `apply` (and `plan`) on a changed playbook of a finished run: the difference runs as an update operation
/// of the same run — added topics get ACLs, a jump mirror, a target mirror and verification; no link and no key
/// is made. Topics no longer selected are left alone unless `--prune`.
public enum Update {
    /// What `plan` shows for a run that exists and finished.
    public struct Planned: Sendable {
        public var diff: UpdateDiff
        public var plan: Plan
        public var requests: [String: [PreviewRequest]]
    }

    /// Refuses, before any request, a change a live chain cannot take, naming the field.
    static func refuseUnalterable(old: Playbook, new: Playbook, path: String) throws(JumpchainError) {
        var problems: [String] = []
        // Changes a live chain cannot take at all (a removed option has a way out of its own).
        var unalterable = false
        func same(_ field: String, _ before: String?, _ after: String?) {
            if before != after {
                problems.append(
                    "\(field) changed (\(before ?? "unset") → \(after ?? "unset")): it cannot change on a live chain")
                unalterable = true
            }
        }
        same("origin.id", old.origin.id, new.origin.id)
        same("jump.id", old.jump.id, new.jump.id)
        same("target.id", old.target.id, new.target.id)
        same("jump.bootstrap", old.jump.bootstrap, new.jump.bootstrap)
        same("link.names.leg1", old.link.leg1Name, new.link.leg1Name)
        same("link.names.leg2", old.link.leg2Name, new.link.leg2Name)
        same("link.service_account", old.link.serviceAccount, new.link.serviceAccount)
        for (leg, before, after) in [
            ("leg1", old.link.leg1Options, new.link.leg1Options), ("leg2", old.link.leg2Options, new.link.leg2Options),
        ] {
            for name in Set(before.keys).union(after.keys).sorted() where before[name] != after[name] {
                if Self.unalterable.contains(name) {
                    problems.append(
                        "link option `\(name)` (\(leg)) changed: Confluent cannot alter it on an existing link")
                    unalterable = true
                } else if after[name] == nil {
                    problems.append(
                        "link option `\(name)` (\(leg)) was removed: set it to the value you want instead")
                }
            }
        }
        guard problems.isEmpty else {
            throw JumpchainError(
                .invalidInput,
                "\(path): the chain \(new.runName) is live, and this change cannot be applied to it (nothing was "
                    + "sent):\n" + problems.map { "  \($0)" }.joined(separator: "\n")
                    + (unalterable
                        ? "\nrevert the change, or `jumpchain destroy` the chain, remove its run directory (apply "
                            + "does not build over a torn-down run) and apply the new playbook" : ""))
        }
    }

    /// A PREFIXED binding the chain's ACL budget created on the origin was checked against the selection of its
    /// rollout: it names only topics the chain mirrors. A new selection that leaves out an origin topic with that
    /// prefix (exclusions added, patterns narrowed, names removed) would keep granting it to the link's reader:
    /// refused. Only the budget's prefixes (``ChainState/stalePrefixCandidates``) are checked: auto-create's
    /// PREFIXED filter bindings cover the excluded topics by design (the link, not the binding, excludes them).
    /// A prefix the new selection no longer stands behind (`topics.exclude` added, the `prefix.*` pattern changed)
    /// is refused too, even when no origin topic it would grant exists yet: one created later would be granted.
    static func refuseStalePrefixes(
        chain: ChainState, playbook: Playbook, selected: [String], originTopics: [String], path: String
    ) throws(JumpchainError) {
        let kept = Set(selected).union(chain.playbook.verify.canary ? [chain.playbook.verify.canaryTopic] : [])
        let principal = chain.playbook.link.originPrincipal ?? "the origin link key's owner"
        let candidates = ACLBudget.candidatePrefixes(playbook, onJump: false)
        var problems: [String] = []
        for prefix in chain.stalePrefixCandidates {
            if !candidates.contains(prefix) {
                let field =
                    playbook.topics.exclude.isEmpty
                    ? "topics.patterns no longer has a pattern selecting every topic that starts with it"
                    : "topics.exclude excludes topics, and a PREFIXED binding would still grant them"
                problems.append(
                    "origin \(chain.playbook.origin.id): the chain's PREFIXED ACL bindings on `\(prefix)` for "
                        + "\(principal) stand for a selection of every topic with that prefix, and \(field)")
            }
            let outside = originTopics.filter { $0.hasPrefix(prefix) && !kept.contains($0) }.sorted()
            guard !outside.isEmpty else { continue }
            problems.append(
                "origin \(chain.playbook.origin.id): the chain's PREFIXED ACL bindings on `\(prefix)` for "
                    + "\(principal) would also grant \(outside.joined(separator: ", ")), which this playbook "
                    + "no longer selects")
        }
        guard !problems.isEmpty else { return }
        throw JumpchainError(
            .invalidInput,
            "\(path): the chain \(chain.playbook.runName) is live, and this change cannot be applied to it (nothing "
                + "was sent):\n" + problems.map { "  \($0)" }.joined(separator: "\n")
                + "\nkeep selecting every topic with that prefix, or `jumpchain destroy` the chain, remove its run "
                + "directory (apply does not build over a torn-down run) and apply the new playbook (its rollout "
                + "then picks LITERAL bindings, or refuses)")
    }

    /// ``refuseStalePrefixes(chain:playbook:selected:originTopics:path:)`` on the origin's topics now, for `plan`
    /// and `apply` alike (reads the origin only when the chain holds such bindings).
    static func checkStalePrefixes(
        chain: ChainState, playbook: Playbook, selected: [String], context: RolloutContext, path: String
    ) async throws(JumpchainError) {
        guard !chain.stalePrefixCandidates.isEmpty else { return }
        let originTopics: [String]
        do {
            originTopics = try await context.origin.listTopics().map(\.topicName)
        } catch {
            throw JumpchainError(
                .preflightFailed,
                "listing the origin's topics to check the chain's PREFIXED ACL bindings failed: \(error)",
                cause: error)
        }
        try refuseStalePrefixes(
            chain: chain, playbook: playbook, selected: selected, originTopics: originTopics, path: path)
    }

    /// Link configs Confluent fixes when a link is created.
    static let unalterable: Set<String> = ["cluster.link.prefix", "link.mode", "connection.mode"]

    /// The difference between the chain and what the playbook selects now.
    static func diff(
        chain: ChainState, playbook: Playbook, selected: [String], prune: Bool
    ) -> UpdateDiff {
        let leg1Prefix = playbook.link.leg1Options["cluster.link.prefix"] ?? ""
        let leg2Prefix = playbook.link.leg2Options["cluster.link.prefix"] ?? ""
        let current = Set(chain.topics.map(\.origin))
        let canary = chain.playbook.verify.canary ? chain.playbook.verify.canaryTopic : nil
        let added = selected.filter { !current.contains($0) }.sorted().map {
            ChainTopology.ChainTopic(
                origin: $0, jumpMirror: leg1Prefix + $0, targetMirror: leg2Prefix + leg1Prefix + $0)
        }
        let wanted = Set(selected)
        let removed = chain.topics.filter { !wanted.contains($0.origin) && $0.origin != canary }
        var prunedACLs: [String: [ACLBinding]] = [:]
        for topic in removed {
            prunedACLs[topic.origin] = chain.jumpACLs.filter {
                $0.resourceType == "TOPIC" && $0.patternType == "LITERAL" && $0.resourceName == topic.jumpMirror
            }
        }
        func changed(_ before: [String: String], _ after: [String: String]) -> [String: String] {
            after.filter { before[$0.key] != $0.value }
        }
        // `topics.auto_create` on: its configs as they are now; turned off: auto-create disabled.
        func autoCreate(_ before: [String: String]?, _ after: [String: String]?) -> [String: String] {
            if let after { return changed(before ?? [:], after) }
            return before == nil ? [:] : ["auto.create.mirror.topics.enable": "false"]
        }
        let (oldAuto, newAuto) = (chain.playbook.autoCreateConfigs, playbook.autoCreateConfigs)
        var diff = UpdateDiff(
            added: added, removed: removed,
            leg1Options: changed(chain.playbook.link.leg1Options, playbook.link.leg1Options)
                .merging(autoCreate(oldAuto?.leg1, newAuto?.leg1)) { $1 },
            leg2Options: changed(chain.playbook.link.leg2Options, playbook.link.leg2Options)
                .merging(autoCreate(oldAuto?.leg2, newAuto?.leg2)) { $1 },
            prune: prune, prunedACLs: prunedACLs)
        diff.chainJumpPrefixes = chain.jumpBudgetPrefixes
        diff.chainOriginPrefixes = chain.originBudgetPrefixes
        return diff
    }

    /// `plan` on a finished run: the difference and the requests of each step (reads the origin's topics only
    /// when the playbook has patterns).
    public static func planned(
        _ playbook: Playbook, path: String, prune: Bool, options: Rollout.Options
    ) async throws(JumpchainError) -> Planned? {
        let root = Rollout.runDirectory(for: playbook.runName, options: options)
        let entries = try RunHistory.entries(root: root, backend: options.backend)
        guard let first = entries.first, first.kind == .rollout, first.status == .succeeded,
            !entries.contains(where: { $0.kind == .teardown }),
            let chain = try ChainState.load(entries, run: playbook.runName, backend: options.backend)
        else { return nil }
        try refuseUnalterable(old: chain.playbook, new: playbook, path: path)
        return try await RunSession.with(playbook, runName: playbook.runName, options: options, readOnly: true) {
            context throws(JumpchainError) in
            let selected = try await Rollout.selectTopics(playbook, origin: context.origin)
            try await checkStalePrefixes(
                chain: chain, playbook: playbook, selected: selected, context: context, path: path)
            let diff = diff(chain: chain, playbook: playbook, selected: selected, prune: prune)
            let plan = try UpdatePlanner.plan(playbook, diff: diff, sites: true)
            var requests: [String: [PreviewRequest]] = [:]
            for step in plan.steps { requests[step.id] = UpdateExecutor.preview(step, playbook: playbook) }
            return Planned(diff: diff, plan: plan, requests: requests)
        }
    }

    /// Runs the difference as an update operation of the run in `root`.
    static func apply(
        _ playbook: Playbook, path: String, root: String, entries: [RunHistory.Entry], chain: ChainState,
        prune: Bool, options: Rollout.Options
    ) async throws(JumpchainError) -> Rollout.Report {
        try refuseUnalterable(old: chain.playbook, new: playbook, path: path)
        let sited = options.site != nil && !playbook.siteList.isEmpty
        // A multi-site update starts at the site of its first step, which reads the origin's topics and plans it;
        // at another site this waits for it to be recorded (an update newer than `entries`), then runs its steps.
        let sitePlan =
            sited ? try UpdatePlanner.plan(playbook, diff: UpdateDiff(added: [], removed: []), sites: true) : nil
        if let planner = sitePlan?.steps.first?.site, let site = options.site, site != planner {
            // What this site waits for, for a `resume --site` here before the planning site recorded the update.
            AwaitedUpdate(playbook: path, site: site, planner: planner, after: entries.last?.directory)
                .save(root: root, backend: options.backend)
        }
        if let sitePlan,
            let started = try await Rollout.awaitStart(
                sitePlan, of: .update, run: playbook.runName, command: "apply \(path)", after: entries,
                options: options)
        {
            // The update's site planned it and recorded it in the shared state: this site runs its own steps.
            return try await continuing(playbook, path: path, root: root, entry: started, options: options)
        }
        let rolloutLock = try Rollout.lockRollout(root, use: .required, playbook: playbook, options: options)
        defer { rolloutLock?.release() }
        // A refused update is removed while the run's lock is still held (``Rollout/removingRefused(_:_:)``).
        return try await Rollout.removingRefused(options.backend) { () async throws(JumpchainError) -> Rollout.Report in
            try await session(
                playbook, path: path, root: root, entries: entries, chain: chain, prune: prune, options: options)
        }
    }

    /// ``apply(_:path:root:entries:chain:prune:options:)``'s session: plans the difference and runs it.
    private static func session(
        _ playbook: Playbook, path: String, root: String, entries: [RunHistory.Entry], chain: ChainState, prune: Bool,
        options: Rollout.Options
    ) async throws(JumpchainError) -> Rollout.Report {
        let sited = options.site != nil && !playbook.siteList.isEmpty
        return try await RunSession.with(playbook, runName: playbook.runName, options: options) {
            context throws(JumpchainError) in
            let selected = try await Rollout.selectTopics(playbook, origin: context.origin)
            let diff = diff(chain: chain, playbook: playbook, selected: selected, prune: prune)
            try await checkStalePrefixes(
                chain: chain, playbook: playbook, selected: selected, context: context, path: path)
            if !diff.removed.isEmpty, !prune {
                options.notice?(
                    "no longer selected, left alone: \(diff.removed.map(\.origin).joined(separator: ", ")) "
                        + "(apply --prune fails their target mirrors over and deletes their jump mirrors)")
            }
            let plan = try UpdatePlanner.plan(playbook, diff: diff, sites: sited)
            let directory = RunHistory.newDirectory(root: root, kind: .update, after: entries)
            let manifest = try RunManifest(operation: .update, playbook: playbook, playbookHash: playbook.contentHash)
                .encoded()
            let store = try Rollout.wrap { () throws(WorkflowError) in
                try options.backend.createRun(directory, plan: plan, manifest: manifest)
            }
            let result = try await run(
                store: store, directory: directory, context: context, plan: plan, options: options)
            // A preflight failure changed nothing: no operation is left behind (``Rollout/Refused``).
            let preflight = UpdateStep.Kind.preflight.rawValue
            if result.status == .failed, result.states[preflight]?.state == .failed {
                throw JumpchainError(
                    .preflightFailed,
                    "preflight failed; nothing was changed:\n" + (result.failedSteps[preflight] ?? ""),
                    cause: Rollout.Refused(directory: directory))
            }
            return try Rollout.check(result)
        }
    }

    /// `apply PLAYBOOK --site` at a site while another site's recorded update is unfinished: runs this site's
    /// steps of it, when it was planned from this playbook; another version is refused (nothing is sent), since
    /// the recorded plan, not this file, is what would run.
    static func continuing(
        _ playbook: Playbook, path: String, root: String, entry: RunHistory.Entry, options: Rollout.Options
    ) async throws(JumpchainError) -> Rollout.Report {
        let store = try Rollout.openStoreReadOnly(entry.directory, run: playbook.runName, backend: options.backend)
        let metadata = try Rollout.wrap { () throws(WorkflowError) in try store.metadata() }
        let manifest = try RunManifest.decode(metadata.manifest, run: playbook.runName)
        guard manifest.playbookHash == playbook.contentHash else {
            throw JumpchainError(
                .invalidInput,
                "\(path): run \(playbook.runName) has an unfinished update (\(entry.directory)) planned from another "
                    + "version of this playbook (nothing was sent): apply the same playbook at every site, or finish "
                    + "the recorded update with \(Rollout.resumeCommand(playbook.runName, site: options.site)) and then "
                    + "apply this one")
        }
        return try await resume(run: playbook.runName, root: root, entry: entry, options: options)
    }

    /// Resumes (or reports, when finished) a recorded update.
    static func resume(
        run: String, root: String, entry: RunHistory.Entry, options: Rollout.Options
    ) async throws(JumpchainError) -> Rollout.Report {
        try await Rollout.resumeRecorded(
            .update, run: run, root: root, entry: entry, options: options, rolloutLock: .required
        ) { store, plan, context throws(JumpchainError) in
            try Rollout.check(
                try await Update.run(
                    store: store, directory: entry.directory, context: context, plan: plan, options: options))
        }
    }

    static func run(
        store: any RunStateStore, directory: String, context: RolloutContext, plan: Plan, options: Rollout.Options
    ) async throws(JumpchainError) -> Rollout.Report {
        var report = try await Rollout.execute(
            store: store, directory: directory, context: context, plan: plan,
            executor: UpdateExecutor(context: context, plan: plan), options: options)
        report.operation = .update
        return report
    }
}

/// The end-of-update summary.
public enum UpdateSummary {
    public static func lines(_ report: Rollout.Report) -> [String] {
        var lines: [String] = []
        if report.alreadyComplete {
            lines.append("run \(report.runName)'s last update is already complete: nothing was sent, nothing changed.")
        }
        let added = report.plan.steps.filter { $0.kind == RolloutStep.mirrorTarget }.compactMap {
            $0.parameters["topic"]
        }
        let pruned = report.plan.steps.filter { $0.kind == UpdateStep.Kind.pruneJump.rawValue }.compactMap {
            $0.parameters["topic"]
        }
        let done = report.states.values.filter { $0.state == .succeeded }.count
        lines.append(
            "update of run \(report.runName): \(report.status.rawValue) — \(done) of \(report.plan.steps.count) steps")
        lines.append(
            "  added           \(added.isEmpty ? "none" : added.joined(separator: ", ")) (mirrored through both hops)")
        lines.append("  pruned          \(pruned.isEmpty ? "none" : pruned.joined(separator: ", "))")
        if let altered = report.states[UpdateStep.Kind.linkConfigs.rawValue]?.outputs["altered"] {
            lines.append("  link options    altered \(altered)")
        }
        if let verify = report.states[UpdateStep.Kind.verify.rawValue], verify.state == .succeeded {
            lines.append(
                "  verification    \(verify.outputs["partitions"] ?? "?") partitions of the added topics, max "
                    + "end-to-end lag \(verify.outputs["max_end_to_end_lag"] ?? "?")")
        }
        lines.append("  no new link, no new key; history in \(report.directory)")
        return lines
    }
}

/// An update a site waits for another site to plan (`apply PATH --site` where the update's first step runs
/// elsewhere), recorded beside the run so that `resume RUN --site` there says what it waits for instead of
/// reporting the previous operation. Paths and site names only.
struct AwaitedUpdate: Codable, Equatable {
    /// The playbook path as the waiting site gave it.
    var playbook: String
    /// The waiting site.
    var site: String
    /// The site that plans and records the update (its first step's).
    var planner: String
    /// The run's latest operation when it started waiting: a later one means the update was recorded.
    var after: String?

    static let document = "awaited-update.json"

    func save(root: String, backend: any RunStateBackend) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(self) else { return }
        try? backend.setDocument(Self.document, ofRun: root, data)
    }

    /// The update `site` waits for, when no operation was recorded since it started waiting (nil otherwise).
    static func pending(
        root: String, site: String, latest: RunHistory.Entry, backend: any RunStateBackend
    ) -> AwaitedUpdate? {
        guard let data = try? backend.document(document, ofRun: root),
            let awaited = try? JSONDecoder().decode(AwaitedUpdate.self, from: data),
            awaited.site == site, awaited.planner != site, awaited.after == latest.directory,
            latest.status == .succeeded
        else { return nil }
        return awaited
    }

    /// "another site's turn": what this site waits for and the commands that go on.
    var waiting: JumpchainError {
        JumpchainError(
            .otherSiteTurn,
            "another site's turn: the update of \(playbook) waits for site \(planner) to plan and record it: site "
                + "\(planner) runs \(Rollout.command("apply \(playbook)", site: planner)); then here "
                + "`jumpchain apply \(playbook) --site \(site) --wait` (the recorded operation, \(after ?? "none"), "
                + "is finished)")
    }
}
