import ConfluentAPI
import Foundation
import JumpchainHTTP
public import Workflow

/// `jumpchain destroy RUN`: tears a chain down as a resumable operation of the same run, leaving on the jump
/// no key jumpchain minted and no topic jumpchain created.
public enum Teardown {
    /// What `destroy` found before changing anything, and what it would send.
    public struct Survey: Sendable {
        public var runName: String
        /// One line per object found (or not), in words.
        public var found: [String]
        /// Target mirrors still replicating (they need `--target-topics keep|delete`).
        public var activeTargetMirrors: [String]
        public var plan: Plan
        public var requests: [String: [PreviewRequest]]
        /// Set when `destroy` would refuse to start, with what to do.
        public var refusal: String?
    }

    public struct Request: Sendable {
        public var run: String
        /// For a run whose state was lost: discover what exists from the playbook's link names and topics.
        public var playbookPath: String?
        public var targetTopics: TeardownScope.TargetTopics?
        public var dryRun: Bool

        public init(
            run: String, playbookPath: String? = nil, targetTopics: TeardownScope.TargetTopics? = nil,
            dryRun: Bool = false
        ) {
            self.run = run
            self.playbookPath = playbookPath
            self.targetTopics = targetTopics
            self.dryRun = dryRun
        }
    }

    public enum Outcome: Sendable {
        case surveyed(Survey)
        case done(Rollout.Report, Survey?)
    }

    /// Surveys, then (unless `dryRun`) runs — or resumes — the teardown operation of the run.
    public static func destroy(_ request: Request, options: Rollout.Options) async throws(JumpchainError) -> Outcome {
        try await Interruption.operation("destroy \(request.run)", options: options) {
            () async throws(JumpchainError) -> Outcome in
            try await destroyNow(request, options: options)
        }
    }

    static func destroyNow(_ request: Request, options: Rollout.Options) async throws(JumpchainError) -> Outcome {
        let root = Rollout.runDirectory(for: request.run, options: options)
        let entries = try RunHistory.entries(root: root, backend: options.backend)
        if let latest = entries.last, latest.kind == .teardown {
            if request.dryRun, latest.status != .succeeded {
                throw JumpchainError(
                    .runUnfinished,
                    "run \(request.run) has an unfinished teardown (\(latest.directory)); "
                        + "\(Rollout.command("destroy \(request.run)", site: options.site)) resumes it")
            }
            return .done(try await resume(run: request.run, root: root, entry: latest, options: options), nil)
        }
        let (playbook, base) = try source(request, root: root, entries: entries, options: options)
        if !request.dryRun, let first = try await awaitStart(playbook, run: request.run, options: options) {
            return .done(try await resume(run: request.run, root: root, entry: first, options: options), nil)
        }
        let rollout = entries.first { $0.kind == .rollout }
        // Hold the rollout's lock for the whole teardown: nothing may build while the chain is torn down.
        let rolloutLock = try rollout.flatMap { entry throws(JumpchainError) in
            try Rollout.lockRollout(entry.directory, use: .required, playbook: playbook, options: options)
        }
        defer { rolloutLock?.release() }
        return try await RunSession.with(
            playbook, runName: playbook.runName, options: options, readOnly: request.dryRun
        ) { context throws(JumpchainError) in
            let survey = try await self.survey(
                context, base: base, targetTopics: request.targetTopics, observeJump: !request.dryRun,
                site: try options.site.map { name throws(JumpchainError) in try playbook.site(named: name) })
            if request.dryRun { return .surveyed(survey.0) }
            if let refusal = survey.0.refusal { throw JumpchainError(.invalidInput, refusal) }
            let directory = RunHistory.newDirectory(root: root, kind: .teardown, after: entries)
            let manifest = try RunManifest(
                operation: .teardown, playbook: playbook, playbookHash: playbook.contentHash
            ).encoded()
            let plan = survey.0.plan
            let store = try Rollout.wrap { () throws(WorkflowError) in
                try options.backend.createRun(directory, plan: plan, manifest: manifest)
            }
            var report = try await Teardown.run(
                store: store, directory: directory, context: context, plan: plan, options: options)
            report.invariant = await invariant(context, report: report)
            return .done(try Rollout.check(report), survey.0)
        }
    }

    /// A multi-site teardown starts at the site of its first step (the target's mirrors): see
    /// ``Rollout/awaitStart(_:of:run:command:options:)``.
    static func awaitStart(
        _ playbook: Playbook, run: String, options: Rollout.Options
    ) async throws(JumpchainError) -> RunHistory.Entry? {
        guard options.site != nil, !playbook.siteList.isEmpty else { return nil }
        return try await Rollout.awaitStart(
            try TeardownPlanner.plan(playbook, scope: TeardownScope()), of: .teardown, run: run,
            command: "destroy \(run)",
            options: options)
    }

    /// Resumes (or reports, when finished) a recorded teardown.
    static func resume(
        run: String, root: String, entry: RunHistory.Entry, options: Rollout.Options
    ) async throws(JumpchainError) -> Rollout.Report {
        try await Rollout.resumeRecorded(
            .teardown, run: run, root: root, entry: entry, options: options, rolloutLock: .ifPresent
        ) { store, plan, context throws(JumpchainError) in
            var report = try await Teardown.run(
                store: store, directory: entry.directory, context: context, plan: plan, options: options)
            report.invariant = await invariant(context, report: report)
            return try Rollout.check(report)
        }
    }

    static func run(
        store: any RunStateStore, directory: String, context: RolloutContext, plan: Plan, options: Rollout.Options
    ) async throws(JumpchainError) -> Rollout.Report {
        var report = try await Rollout.execute(
            store: store, directory: directory, context: context, plan: plan,
            executor: TeardownExecutor(context: context), options: options)
        report.operation = .teardown
        return report
    }

    /// After the session key is revoked: the jump holds no key jumpchain minted (link or session key) and no
    /// topic jumpchain created (as the end-state step found), and the origin holds no origin link key of the run.
    static func invariant(_ context: RolloutContext, report: Rollout.Report) async -> Rollout.Invariant? {
        guard report.status == .succeeded else { return nil }
        await context.close()
        let playbook = context.playbook
        let jump = playbook.jump.id
        guard let keys = try? await context.controlPlane.listAPIKeys(resource: jump) else {
            return Rollout.Invariant(
                holds: false, line: "invariant: could not list the API keys of the jump \(jump) to check it")
        }
        // This run's keys: its link keys and its session keys (other runs may share the jump). At a site, this
        // process's own: another site's process revokes its session key when it exits (it may still be waiting).
        let session =
            JumpSession.tag(runName: context.site.map { "\(context.runName) site=\($0)" } ?? context.runName) + " "
        let minted = keys.filter { key in
            context.isLinkKey(key.spec.description) || key.spec.description?.hasPrefix(session) == true
        }.map(\.id)
        var originMinted: [String] = []
        if playbook.link.mintsOriginKey {
            guard let keys = try? await context.controlPlane.listAPIKeys(resource: playbook.origin.id) else {
                return Rollout.Invariant(
                    holds: false,
                    line: "invariant: could not list the API keys of the origin \(playbook.origin.id) to check it")
            }
            originMinted = keys.filter { $0.spec.description?.hasPrefix(context.originKeyTag + ";") == true }.map(\.id)
        }
        let end = report.states[TeardownStep.Kind.endState.rawValue]?.outputs ?? [:]
        let topicsLeft = end["jump_topics_left"] ?? "?"
        let holds = minted.isEmpty && originMinted.isEmpty && topicsLeft == "0"
        let originPart =
            playbook.link.mintsOriginKey
            ? "the origin \(playbook.origin.id) holds no origin link key jumpchain minted (\(originMinted.count) live"
                + "\(originMinted.isEmpty ? "" : ": " + originMinted.joined(separator: ", "))); " : ""
        return Rollout.Invariant(
            holds: holds,
            line: "invariant: \(originPart)the jump \(jump) holds no key jumpchain minted (\(minted.count) live"
                + "\(minted.isEmpty ? "" : ": " + minted.joined(separator: ", "))) and no topic jumpchain created "
                + "(\(topicsLeft) of \(end["jump_topics_created"] ?? "?") left) \(holds ? "✓" : "✗")")
    }

    // MARK: What to tear down

    /// The playbook and, from a recorded run, what it created; or, state lost, the playbook given.
    static func source(
        _ request: Request, root: String, entries: [RunHistory.Entry], options: Rollout.Options
    ) throws(JumpchainError) -> (Playbook, Base) {
        if let chain = try ChainState.load(entries, run: request.run, backend: options.backend) {
            if request.playbookPath != nil {
                options.notice?("run \(request.run) is recorded in \(root): using its records, not --playbook")
            }
            return (chain.playbook, .recorded(chain))
        }
        guard let path = request.playbookPath else {
            throw JumpchainError(
                .runNotFound,
                "no run \(request.run) in \(options.backend.location(ofRun: root)); if its state was lost, give the playbook it was applied with: "
                    + "`jumpchain destroy \(request.run) --playbook PLAYBOOK` discovers what exists by the playbook's "
                    + "link names and topics")
        }
        let (playbook, _) = try Rollout.loadPlaybook(
            path, environment: options.environment, allowInsecureHTTP: options.allowInsecureHTTP)
        guard playbook.runName == request.run || request.run.contains("/") else {
            throw JumpchainError(
                .invalidInput,
                "\(path): run_name is \(playbook.runName), not \(request.run); destroy the run the playbook names")
        }
        return (playbook, .discovered)
    }

    /// Adds to `scope` the mirrors the chain's links carry (the jump's when `jump` is given, the target's) for
    /// topics the playbook selects and the scope does not have yet.
    static func addCarriedMirrors(
        _ scope: inout TeardownScope, context: RolloutContext, jump: KafkaRESTClient?
    ) async throws {
        let base = ChainTopology(playbook: context.playbook, topics: scope.topics + [scope.canary].compactMap { $0 })
        let canary = scope.canary?.origin
        scope.topics = try await context.liveTopology(from: base, jump: jump, always: true).topics.filter {
            $0.origin != canary
        }
        .sorted { $0.origin < $1.origin }
    }

    enum Base {
        case recorded(ChainState)
        case discovered
    }

    /// Read-only: what exists of the chain, and the teardown plan for it. The jump is observed only when
    /// `observeJump` (a dry run mints no session key: it lists the jump's objects from the records instead).
    static func survey(
        _ context: RolloutContext, base: Base, targetTopics: TeardownScope.TargetTopics?, observeJump: Bool,
        site: PlaybookSite? = nil
    ) async throws(JumpchainError) -> (Survey, TeardownScope) {
        let playbook = context.playbook
        let link = playbook.link
        // At a site (`--site`), only the private clusters it reaches are observed.
        let reaches = { (role: PlaybookCluster.Role) in site.map { playbook.site($0, reaches: role) } ?? true }
        let unobserved = site.map { "not observed at site \($0.name), which does not reach it" } ?? ""
        if case .discovered = base, let site, !reaches(.origin) || !reaches(.target) {
            throw JumpchainError(
                .invalidInput,
                "destroy --playbook at site \(site.name): discovering what a run whose state was lost left reads the "
                    + "origin and the target, and site \(site.name) does not reach both; run it without --site from a "
                    + "host that reaches every cluster")
        }
        do {
            var found: [String] = []
            var scope = TeardownScope(
                topics: [], canary: nil, originCanaryCreated: false, jumpACLs: [], originACLs: [], aclsUnknown: nil,
                targetTopics: targetTopics)
            let jump = observeJump || playbook.jump.credentials != nil ? try await context.jump() : nil
            switch base {
            case .recorded(let chain):
                let canaryName = playbook.verify.canary ? playbook.verify.canaryTopic : nil
                scope.topics = chain.topics.filter { $0.origin != canaryName }
                scope.canary = chain.topics.first { $0.origin == canaryName }
                scope.originCanaryCreated = chain.originCanaryCreated
                scope.jumpACLs = chain.jumpACLs
                scope.originACLs = chain.originACLs
                scope.aclsUnknown = chain.aclsUnknown
            case .discovered:
                let selected = try await Rollout.selectTopics(playbook, origin: context.origin)
                var byOrigin: [String: ChainTopology.ChainTopic] = [:]
                let leg1Prefix = link.leg1Options["cluster.link.prefix"] ?? ""
                let leg2Prefix = link.leg2Options["cluster.link.prefix"] ?? ""
                for topic in selected {
                    byOrigin[topic] = ChainTopology.ChainTopic(
                        origin: topic, jumpMirror: leg1Prefix + topic, targetMirror: leg2Prefix + leg1Prefix + topic)
                }
                // Whatever mirrors the playbook's links carry are the chain's too.
                if let jump, try await jump.link(link.leg1Name) != nil {
                    for mirror in try await jump.mirrors(link: link.leg1Name)
                    where byOrigin[mirror.sourceTopicName] == nil {
                        byOrigin[mirror.sourceTopicName] = ChainTopology.ChainTopic(
                            origin: mirror.sourceTopicName, jumpMirror: mirror.mirrorTopicName,
                            targetMirror: leg2Prefix + mirror.mirrorTopicName)
                    }
                }
                if try await context.target.link(link.leg2Name) != nil {
                    for mirror in try await context.target.mirrors(link: link.leg2Name)
                    where !byOrigin.values.contains(where: { $0.targetMirror == mirror.mirrorTopicName }) {
                        let origin = String(mirror.sourceTopicName.dropFirst(leg1Prefix.count))
                        byOrigin[origin] = ChainTopology.ChainTopic(
                            origin: origin, jumpMirror: mirror.sourceTopicName, targetMirror: mirror.mirrorTopicName)
                    }
                }
                let canaryName = playbook.verify.canary ? playbook.verify.canaryTopic : nil
                scope.canary = canaryName.map {
                    ChainTopology.ChainTopic(
                        origin: $0, jumpMirror: leg1Prefix + $0, targetMirror: leg2Prefix + leg1Prefix + $0)
                }
                byOrigin[canaryName ?? ""] = nil
                scope.topics = byOrigin.values.sorted { $0.origin < $1.origin }
                if let canaryName, try await context.origin.topic(canaryName) != nil {
                    // The playbook names it as jumpchain's canary topic: no one else writes to it.
                    scope.originCanaryCreated = true
                }
                scope.aclsUnknown =
                    "the run's records are lost, so which ACLs jumpchain created is unknown: none is deleted"
                found.append("discovered from \(playbook.sourceFile) (the run's state was lost)")
            }
            if case .recorded = base, reaches(.target) {
                // Mirrors the links created themselves (`topics.auto_create`, now or earlier) of topics the
                // playbook selects are the chain's too.
                try await addCarriedMirrors(&scope, context: context, jump: jump)
            }
            // What exists now.
            for (role, client, name) in [
                ("target", Optional(context.target), link.leg2Name),
                ("origin", Optional(context.origin), link.leg1Name),
                ("jump", jump, link.leg1Name),
            ] {
                if let cluster = PlaybookCluster.Role(rawValue: role), !reaches(cluster) {
                    found.append("link \(name) on the \(role): \(unobserved)")
                    continue
                }
                guard let client else {
                    found.append("link \(name) on the jump: not observed (a dry run mints no session key)")
                    continue
                }
                found.append("link \(name) on the \(role): \(try await client.link(name) != nil ? "present" : "gone")")
            }
            var active: [String] = []
            if !reaches(.target) { found.append("target mirrors: \(unobserved)") }
            for topic in scope.topics where reaches(.target) {
                if let mirror = try await context.target.mirror(link: link.leg2Name, topic: topic.targetMirror) {
                    found.append("target mirror \(topic.targetMirror): \(mirror.mirrorStatus)")
                    if !["STOPPED", "FAILED"].contains(mirror.mirrorStatus) { active.append(topic.targetMirror) }
                } else if try await context.target.topic(topic.targetMirror) != nil {
                    found.append("target topic \(topic.targetMirror): a normal topic (no longer a mirror)")
                } else {
                    found.append("target topic \(topic.targetMirror): gone")
                }
            }
            if let jump {
                let existing = Set(try await jump.listTopics().map(\.topicName))
                for name in scope.jumpMirrors {
                    found.append("jump topic \(name): \(existing.contains(name) ? "present" : "gone")")
                }
            } else {
                found.append("jump topics \(scope.jumpMirrors.joined(separator: ", ")): from the records, not observed")
            }
            if let canary = scope.canary, scope.originCanaryCreated {
                found.append("origin canary topic \(canary.origin): created by jumpchain, will be deleted")
            }
            found.append(
                scope.aclsUnknown
                    ?? "ACLs jumpchain created: \(scope.jumpACLs.count) on the jump, \(scope.originACLs.count) on the "
                    + "origin")
            var refusal: String?
            if targetTopics == nil, !active.isEmpty {
                refusal =
                    "\(active.count) mirror topic(s) on the target are still \(active.count == 1 ? "a live mirror" : "live mirrors") "
                    + "(\(active.joined(separator: ", "))): say what happens to them with --target-topics keep "
                    + "(fail them over: they stay as normal, writable topics with their data) or --target-topics delete"
            }
            let plan = try TeardownPlanner.plan(playbook, scope: scope)
            var requests: [String: [PreviewRequest]] = [:]
            for step in plan.steps { requests[step.id] = TeardownExecutor.preview(step, playbook: playbook) }
            return (
                Survey(
                    runName: playbook.runName, found: found, activeTargetMirrors: active, plan: plan,
                    requests: requests, refusal: refusal), scope
            )
        } catch let error as JumpchainError {
            throw error
        } catch let error as StepFailure {
            throw JumpchainError(.preflightFailed, "destroy: \(error.message); nothing was changed", cause: error)
        } catch {
            throw JumpchainError(.preflightFailed, "destroy: \(error); nothing was changed", cause: error)
        }
    }
}
