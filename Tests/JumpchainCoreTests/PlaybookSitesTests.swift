import Foundation
import JumpchainCore
import Testing
import Workflow

@Suite("playbook sites")
struct PlaybookSitesTests {
    static let twoSites = """
        sites:
          origin-side: {reaches: [origin]}
          target-side: {reaches: [target]}
        """

    func load(_ scratch: PlaybookScratch, _ sites: String) throws -> Playbook {
        let path = scratch.write("pb.yaml", validPlaybook + "\n" + sites + "\n")
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

    @Test("doctor's per-step needs come from the steps' typed description")
    func stepNeeds() {
        #expect(RolloutStep.Kind.leg2.calls == [.controlPlane, .target])
        let leg1Key = StepSpec(id: "link-key:leg1", kind: "link-key", parameters: ["leg": "leg1"])
        #expect(RolloutStep.calls(leg1Key).compactMap(\.cluster) == [.jump])
    }
}
