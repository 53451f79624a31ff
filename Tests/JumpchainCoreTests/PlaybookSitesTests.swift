import Foundation
import Testing
import Workflow

@testable import JumpchainCore

@Suite("playbook sites")
struct PlaybookSitesTests {
    static let twoSites = """
        sites:
          origin-side: {reaches: [origin]}
          target-side: {reaches: [target]}
        """

    func load(_ scratch: PlaybookScratch, _ sites: String, playbook: String = validPlaybook) throws -> Playbook {
        let path = scratch.write("pb.yaml", playbook + "\n" + sites + "\n")
        return try PlaybookLoader.load(path: path, environment: ["CLOUD_SECRET": "x", "ORIGIN_SECRET": "x"]).0
    }

    @Test("two sites load; each private cluster is reached by its site, the public jump by both")
    func loads() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let playbook = try load(scratch, Self.twoSites)
        #expect(playbook.siteList.map(\.name) == ["origin-side", "target-side"])
        let origin = try playbook.site(named: "origin-side")
        #expect(playbook.site(origin, reaches: .origin))
        #expect(!playbook.site(origin, reaches: .target))
        #expect(playbook.site(origin, reaches: .jump))
        #expect(throws: JumpchainError.self) { try playbook.site(named: "origin-sde") }
    }

    @Test("an unknown cluster, a private cluster no site reaches, a bad name: file:line and what to fix")
    func refused() {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let base = validPlaybook.split(separator: "\n", omittingEmptySubsequences: false).count
        let unknown = scratch.diagnostics(
            validPlaybook + "\nsites:\n  origin-side: {reaches: [orign]}\n  target-side: {reaches: [target]}\n")
        #expect(
            unknown.contains {
                $0.hasPrefix("pb.yaml:\(base + 2):") && $0.contains("sites.origin-side.reaches[0]")
                    && $0.contains("did you mean `origin`")
            }, "\(unknown)")
        let unreached = scratch.diagnostics(validPlaybook + "\nsites:\n  origin-side: {reaches: [origin]}\n")
        #expect(
            unreached.contains { $0.contains("no site reaches the target") && $0.contains("reaches") }, "\(unreached)")
        let badName = scratch.diagnostics(
            validPlaybook + "\nsites:\n  'a b': {reaches: [origin, target]}\n")
        #expect(badName.contains { $0.contains("site name `a b`") }, "\(badName)")
        let missing = scratch.diagnostics(validPlaybook + "\nsites:\n  one: {}\n")
        #expect(missing.contains { $0.contains("missing required key `reaches`") }, "\(missing)")
    }

    @Test("the plan places every step at a site that reaches what it calls, one link key per leg, few hand-offs")
    func plan() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let playbook = try load(scratch, Self.twoSites)
        let plan = try RolloutPlanner.plan(playbook, topics: ["orders", "payments"])
        for step in plan.steps {
            let site = try #require(step.site, "\(step.id) has no site")
            let clusters = RolloutStep.calls(step).compactMap(\.cluster)
            #expect(
                clusters.allSatisfy { playbook.site(try! playbook.site(named: site), reaches: $0) },
                "\(step.id) at \(site) calls \(clusters)")
        }
        #expect(plan["link-key:leg1"]?.site == "origin-side")
        #expect(plan["link-key:leg2"]?.site == "target-side")
        #expect(plan["leg1-source"]?.requiresEphemeral == ["link-credential:leg1", "origin-link-credential"])
        // The origin link key is leg 1's: minted after leg 1's key (so after the origin site's preflight), at the
        // site that creates leg 1's source half.
        #expect(plan[RolloutStep.originLinkKey]?.dependsOn.contains("link-key:leg1") == true)
        #expect(plan[RolloutStep.originLinkKey]?.site == plan["leg1-source"]?.site)
        #expect(plan["leg2"]?.requiresEphemeral == ["link-credential:leg2"])
        #expect(plan[RolloutStep.linkKey] == nil)
        // No site reaches both the origin and the target: each side's site reads and records its leg (the origin's
        // in the turn that creates the jump's mirrors), and `verify` compares the records at the target's site.
        #expect(plan["verify:origin"]?.site == "origin-side")
        #expect(plan["verify:target"]?.site == "target-side")
        #expect(plan["verify:origin"]?.dependsOn.allSatisfy { $0.hasPrefix(RolloutStep.mirrorJump + ":") } == true)
        #expect(plan["verify:target"]?.dependsOn.contains("verify:origin") == true)
        #expect(plan[RolloutStep.verify]?.dependsOn == ["verify:origin", "verify:target"])
        #expect(plan[RolloutStep.verify]?.site == "target-side")
        let turns = SiteAssignment.handOffs(plan).map(\.site)
        #expect(turns == ["origin-side", "target-side"], "the split verification adds no hand-off: \(turns)")
        // A single-site playbook keeps its one-key plan, with no site on any step.
        let single = try RolloutPlanner.plan(try load(scratch, ""), topics: ["orders"])
        #expect(single.steps.allSatisfy { $0.site == nil })
        #expect(single[RolloutStep.linkKey] != nil)
    }

    @Test("the origin's ACL budget runs in the preflight of the site that reaches the origin, before acls-origin")
    func originBudgetSite() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        // The first site does not reach the origin: its `preflight` cannot decide the origin's budget.
        let targetFirst = try load(
            scratch, "sites:\n  target-side: {reaches: [target]}\n  origin-side: {reaches: [origin]}")
        let plan = try RolloutPlanner.plan(targetFirst, topics: ["orders", "payments"])
        #expect(RolloutStep.originPreflight(targetFirst) == "preflight:origin-side")
        #expect(plan["preflight:origin-side"]?.parameters[RolloutStep.clustersParameter] == "origin")
        let originACLs = try #require(plan[RolloutStep.originACLs])
        #expect(originACLs.dependsOn == ["preflight:origin-side"])
        #expect(RolloutStep.originBudgetStep(originACLs) == "preflight:origin-side")
        #expect(originACLs.site == "origin-side")
        // No step changes a cluster before the origin's budget passed: a refusal there changes nothing.
        #expect(plan[RolloutStep.jumpACLs]?.dependsOn.contains("preflight:origin-side") == true)
        func ancestors(_ id: String) -> Set<String> {
            var seen: Set<String> = []
            var queue = plan[id]?.dependsOn ?? []
            while let next = queue.popLast() {
                if seen.insert(next).inserted { queue += plan[next]?.dependsOn ?? [] }
            }
            return seen
        }
        for step in plan.steps where step.kind != RolloutStep.preflight {
            #expect(ancestors(step.id).contains("preflight:origin-side"), "\(step.id) runs before the origin's budget")
        }
        // The recorded plan decides which preflight budgets the origin, not the playbook now: a plan recorded
        // before the budget moved (`acls-origin` after `preflight`) keeps it in `preflight`.
        func decides(_ plan: Plan) -> [String] {
            plan.steps.filter { $0.kind == RolloutStep.preflight }
                .filter { RolloutExecutor.decidesOriginBudget($0, plan: plan) }.map(\.id)
        }
        #expect(decides(plan) == ["preflight:origin-side"])
        var older = plan.steps
        for position in older.indices where older[position].id == RolloutStep.originACLs {
            older[position].dependsOn = [RolloutStep.preflight]
        }
        #expect(decides(try Plan(steps: older)) == [RolloutStep.preflight])
        // The first site reaches the origin, or there are no sites: `preflight` decides it, as before.
        for playbook in [try load(scratch, Self.twoSites), try load(scratch, "")] {
            let plan = try RolloutPlanner.plan(playbook, topics: ["orders"])
            #expect(RolloutStep.originPreflight(playbook) == RolloutStep.preflight)
            #expect(plan[RolloutStep.originACLs]?.dependsOn == [RolloutStep.preflight])
        }
    }

    @Test("doctor's per-step needs come from the steps' typed description")
    func stepNeeds() {
        #expect(RolloutStep.Kind.leg2.calls == [.controlPlane, .target])
        let leg1Key = StepSpec(id: "link-key:leg1", kind: "link-key", parameters: ["leg": "leg1"])
        #expect(RolloutStep.calls(leg1Key).compactMap(\.cluster) == [.jump])
    }

    /// Every step of `plan` has a site, and that site reaches every private cluster the step calls (as the
    /// operation's typed `calls` say).
    func expectPlaced<Kind: SitedStepKind>(_ plan: Plan, _ playbook: Playbook, _ kind: Kind.Type) throws {
        for step in plan.steps {
            let site = try #require(step.site, "\(step.id) has no site")
            let clusters = Kind.calls(step).compactMap(\.cluster)
            #expect(
                clusters.allSatisfy { playbook.site(try! playbook.site(named: site), reaches: $0) },
                "\(step.id) at \(site) calls \(clusters)")
        }
    }

    @Test("destroy: the target's steps at its site, the origin's at the other; the end state reads the origin's side")
    func teardownPlan() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let playbook = try load(scratch, Self.twoSites)
        let scope = TeardownScope(
            topics: [ChainTopology.ChainTopic(origin: "orders", jumpMirror: "orders", targetMirror: "orders")],
            targetTopics: .keep)
        let plan = try TeardownPlanner.plan(playbook, scope: scope)
        try expectPlaced(plan, playbook, TeardownStep.Kind.self)
        for id in ["target-mirrors", "delete-leg2"] { #expect(plan[id]?.site == "target-side", "\(id)") }
        for id in ["delete-leg1-source", "delete-canary-topic", "delete-acls", "end-state"] {
            #expect(plan[id]?.site == "origin-side", "\(id)")
        }
        // The end state reads the links its site reaches: leg 2's absence was observed by its step at the target.
        #expect(TeardownStep.Kind.calls(try #require(plan["end-state"])).compactMap(\.cluster) == [.origin, .jump])
        // One hand-off: the target's side first (its mirrors, leg 2), then the origin's side to the end.
        #expect(SiteAssignment.handOffs(plan).map(\.site) == ["target-side", "origin-side"])
        // A single-site playbook keeps its plan: no site, the end state reads every cluster.
        let single = try TeardownPlanner.plan(try load(scratch, ""), scope: scope)
        #expect(single.steps.allSatisfy { $0.site == nil })
        #expect(TeardownStep.Kind.calls(try #require(single["end-state"])).count == 4)
    }

    @Test("failover: both steps at the target's site; the data-at-risk report does not probe the origin there")
    func failoverPlan() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let playbook = try load(scratch, Self.twoSites)
        let topics = [ChainTopology.ChainTopic(origin: "orders", jumpMirror: "orders", targetMirror: "orders")]
        let plan = try FailoverPlanner.plan(playbook, topics: topics, root: "/nowhere")
        try expectPlaced(plan, playbook, FailoverStep.Kind.self)
        #expect(plan.steps.allSatisfy { $0.site == "target-side" })
        let risk = try #require(plan[FailoverStep.Kind.dataAtRisk.rawValue])
        #expect(!FailoverStep.Kind.calls(risk).contains(.origin))
        #expect(SiteAssignment.handOffs(plan).map(\.site) == ["target-side"])
    }

    @Test("cutover: split so each site reads what it reaches")
    func cutoverAndUpdate() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let playbook = try load(scratch, Self.twoSites)
        let scope = CutoverScope(topics: [], quietPeriod: 30, timeout: 60)
        #expect(try CutoverPlanner.plan(playbook, scope: scope).steps.allSatisfy { $0.site == nil })
        let plan = try CutoverPlanner.plan(playbook, scope: scope, sites: true)
        try expectPlaced(plan, playbook, CutoverStep.Kind.self)
        #expect(plan["cutover-preflight"]?.site == "target-side")
        #expect(plan[CutoverPlanner.originPreflight]?.site == "origin-side")
        #expect(plan["quiesce"]?.site == "origin-side")
        for id in ["drain", "promote-target-mirrors", "cutover-report"] {
            #expect(plan[id]?.site == "target-side", "\(id)")
        }
        // The drain compares with what the origin's site recorded: it runs after the quiesce check.
        #expect(plan["drain"]?.dependsOn == ["quiesce"])
        // Its preview sends nothing to the origin, which its site does not reach.
        let drain = CutoverExecutor.preview(try #require(plan["drain"]), playbook: playbook)
        #expect(!drain.isEmpty && !drain.contains { $0.path.contains("/clusters/\(playbook.origin.id)") }, "\(drain)")
        #expect(SiteAssignment.handOffs(plan).map(\.site) == ["target-side", "origin-side", "target-side"])
        // A site that reaches both runs every cutover step, unsplit.
        let both = try load(scratch, "sites:\n  hub: {reaches: [origin, target]}\n  edge: {reaches: [origin]}")
        let whole = try CutoverPlanner.plan(both, scope: scope, sites: true)
        try expectPlaced(whole, both, CutoverStep.Kind.self)
        #expect(whole.steps.allSatisfy { $0.site == "hub" })
        #expect(whole[CutoverPlanner.originPreflight] == nil)
    }

    @Test("update: split so the origin's site plans it and each site reads what it reaches; two turns")
    func updatePlan() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let playbook = try load(scratch, Self.twoSites)
        let diff = UpdateDiff(
            added: [ChainTopology.ChainTopic(origin: "fresh", jumpMirror: "fresh", targetMirror: "fresh")],
            removed: [ChainTopology.ChainTopic(origin: "old", jumpMirror: "old", targetMirror: "old")],
            leg1Options: ["consumer.offset.sync.ms": "5000"], leg2Options: ["consumer.offset.sync.ms": "5000"],
            prune: true)
        #expect(try UpdatePlanner.plan(playbook, diff: diff, sites: false).steps.allSatisfy { $0.site == nil })
        // Unsplit, no site could run the preflight or the verification, which read both private clusters.
        let whole = StepSpec(id: "preflight", kind: UpdateStep.Kind.preflight.rawValue)
        #expect(SiteAssignment.candidates(whole, playbook: playbook, steps: UpdateStep.Kind.self).isEmpty)
        let plan = try UpdatePlanner.plan(playbook, diff: diff, sites: true)
        try expectPlaced(plan, playbook, UpdateStep.Kind.self)
        // The origin's site reads the selection and plans the update: its preflight is the first step.
        #expect(plan.steps.first?.id == "preflight" && plan.steps.first?.site == "origin-side")
        #expect(plan["preflight"]?.parameters[StepSites.clustersParameter] == "origin")
        #expect(plan[UpdatePlanner.targetPreflight]?.site == "target-side")
        for id in ["acls-jump", "mirror-jump:fresh", "verify:origin"] {
            #expect(plan[id]?.site == "origin-side", "\(id)")
        }
        for id in [
            "link-configs", "mirror-target:fresh", "prune-target:old", "prune-jump:old", "verify:target", "verify",
        ] {
            #expect(plan[id]?.site == "target-side", "\(id)")
        }
        // Nothing changes the target before its site has checked it.
        for id in ["link-configs", "mirror-target:fresh", "prune-target:old", "verify:target"] {
            #expect(plan[id]?.dependsOn.contains(UpdatePlanner.targetPreflight) == true, "\(id)")
        }
        #expect(plan["verify"]?.dependsOn == ["verify:origin", "verify:target"])
        #expect(SiteAssignment.handOffs(plan).map(\.site) == ["origin-side", "target-side"])
        // Each step's preview sends nothing to the private cluster its site does not reach.
        for step in plan.steps {
            let other = step.site == "origin-side" ? playbook.target.id : playbook.origin.id
            let requests = UpdateExecutor.preview(step, playbook: playbook)
            #expect(!requests.contains { $0.path.contains("/clusters/\(other)") }, "\(step.id): \(requests)")
        }
        #expect(!UpdateExecutor.preview(try #require(plan["preflight"]), playbook: playbook).isEmpty)
        #expect(!UpdateExecutor.preview(try #require(plan[UpdatePlanner.targetPreflight]), playbook: playbook).isEmpty)
        // The comparison sends leg 2's reads only when re-run after failing; verify:target always sends them.
        let compare = UpdateExecutor.preview(try #require(plan["verify"]), playbook: playbook)
        #expect(!compare.isEmpty && compare.allSatisfy { $0.detail.contains("(only when re-run") }, "\(compare)")
        let side = UpdateExecutor.preview(try #require(plan["verify:target"]), playbook: playbook)
        #expect(!side.isEmpty && !side.contains { $0.detail.contains("(only when re-run") }, "\(side)")
        // Only leg 1's options changed: their step runs with the origin's site, in its turn.
        let leg1Only = try UpdatePlanner.plan(
            playbook, diff: UpdateDiff(added: [], removed: [], leg1Options: ["consumer.offset.sync.ms": "5000"]),
            sites: true)
        #expect(leg1Only["link-configs"]?.site == "origin-side")
        #expect(SiteAssignment.handOffs(leg1Only).map(\.site) == ["origin-side", "target-side"])
        // A site that reaches both runs the whole update, unsplit.
        let both = try load(scratch, "sites:\n  hub: {reaches: [origin, target]}\n  edge: {reaches: [origin]}")
        let unsplit = try UpdatePlanner.plan(both, diff: diff, sites: true)
        try expectPlaced(unsplit, both, UpdateStep.Kind.self)
        #expect(unsplit.steps.allSatisfy { $0.site == "hub" })
        #expect(unsplit[UpdatePlanner.targetPreflight] == nil && unsplit["verify:origin"] == nil)
    }

    @Test("cutover split: each step's preview lists what it sends at its site; the report sends nothing")
    func cutoverSplitPreviews() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let synced = try load(
            scratch, Self.twoSites,
            playbook: PlaybookConsumerGroupTests.playbook(options: PlaybookConsumerGroupTests.syncBoth))
        let plain = try load(scratch, Self.twoSites)
        let topics = [ChainTopology.ChainTopic(origin: "orders", jumpMirror: "orders", targetMirror: "orders")]
        func previews(_ playbook: Playbook, quietPeriod: Int?) throws -> [String: [PreviewRequest]] {
            let plan = try CutoverPlanner.plan(
                playbook, scope: CutoverScope(topics: topics, quietPeriod: quietPeriod, timeout: 60), sites: true)
            var requests: [String: [PreviewRequest]] = [:]
            for step in plan.steps {
                let preview = CutoverExecutor.preview(step, playbook: playbook)
                requests[step.id] = preview
                // Nothing to the private cluster its site does not reach.
                let site = try #require(playbook.siteList.first { $0.name == step.site })
                for role in [PlaybookCluster.Role.origin, .target] where !playbook.site(site, reaches: role) {
                    let id = role == .origin ? playbook.origin.id : playbook.target.id
                    #expect(!preview.contains { $0.path.contains("/clusters/\(id)/") }, "\(step.id): \(preview)")
                }
            }
            return requests
        }
        func groups(_ preview: [PreviewRequest]?, on cluster: PlaybookCluster) -> Bool {
            (preview ?? []).contains { $0.path == "/kafka/v3/clusters/\(cluster.id)/consumer-groups" }
        }
        let withSync = try previews(synced, quietPeriod: 30)
        // The origin's site records the origin's groups in its quiesce step; the target's drain reads the jump's
        // and the target's groups (the origin's come from that record); the report reads only what was recorded.
        #expect(groups(withSync["quiesce"], on: synced.origin), "\(withSync["quiesce"] ?? [])")
        #expect(withSync["quiesce"]?.contains { $0.path.hasSuffix("/consumer-groups/<group>/lags") } == true)
        #expect(groups(withSync["drain"], on: synced.jump) && groups(withSync["drain"], on: synced.target))
        #expect(withSync["cutover-report"]?.isEmpty == true, "\(withSync["cutover-report"] ?? [])")
        // Without offset sync no group is read anywhere; without a quiet period the quiesce step sends nothing.
        let unsynced = try previews(plain, quietPeriod: nil)
        for (id, preview) in unsynced {
            #expect(!preview.contains { $0.path.hasSuffix("/consumer-groups") }, "\(id): \(preview)")
        }
        #expect(unsynced["quiesce"]?.isEmpty == true, "\(unsynced["quiesce"] ?? [])")
        #expect(unsynced["cutover-report"]?.isEmpty == true)
        #expect(try previews(plain, quietPeriod: 30)["quiesce"]?.isEmpty == false)
    }

    @Test("doctor's per-step needs cover every operation's steps")
    func everyOperation() {
        let rows = StepSites.everyKind
        for operation in OperationKind.allCases { #expect(rows.contains { $0.operation == operation }) }
        #expect(rows.contains { $0.operation == .teardown && $0.step == "delete-leg2" && $0.calls == [.target] })
        #expect(rows.contains { $0.operation == .cutover && $0.step == "quiesce" && $0.calls == [.origin] })
    }
}
