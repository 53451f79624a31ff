import ConfluentAPI
import Foundation
import JumpchainCore
import JumpchainJSON
import Testing

@Suite("Playbook consumer groups and offset sync")
struct PlaybookConsumerGroupTests {
    /// `validPlaybook` with `link` options and a `consumer_groups` section (from line 41).
    static func playbook(options: String = "", groups: String = "") -> String {
        var text = validPlaybook
        if !options.isEmpty {
            text = text.replacingLine("  service_account: sa-link1", with: "  service_account: sa-link1\n" + options)
        }
        return groups.isEmpty ? text : text + groups + "\n"
    }

    static let syncBoth = "  options:\n    consumer.offset.sync.enable: true"

    static func load(_ text: String) throws -> (Playbook, [String]) {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let (playbook, diagnostics) = try PlaybookLoader.load(path: scratch.write("pb.yaml", text), environment: [:])
        return (playbook, diagnostics.map { scratch.strip($0.description) })
    }

    @Test func absentMeansEveryGroupAndLeavesTheHashAlone() throws {
        let (plain, diagnostics) = try Self.load(validPlaybook)
        #expect(diagnostics.isEmpty)
        #expect(plain.consumerGroups == .all)
        #expect(plain.offsetSyncPlan(originPrincipal: "User:sa-origin1") == nil, "offset sync is off")
        #expect(!plain.canonicalJSON.contains("consumer_groups"))
        let (selected, _) = try Self.load(Self.playbook(groups: "consumer_groups: {names: [billing]}"))
        #expect(selected.contentHash != plain.contentHash)
    }

    @Test func namesPrefixesAndExcludesBecomeConfluentFiltersAndACLs() throws {
        let (playbook, diagnostics) = try Self.load(
            Self.playbook(
                options: Self.syncBoth,
                groups: """
                    consumer_groups:
                      names: [billing, "quote\\"d"]
                      prefixes: [orders-]
                      exclude: [orders-test, tmp-*]
                    """))
        #expect(diagnostics.isEmpty)
        #expect(
            playbook.consumerGroups
                == ConsumerGroupSelection(
                    names: ["billing", "quote\"d"], prefixes: ["orders-"], exclude: ["orders-test", "tmp-*"]))
        let plan = try #require(playbook.offsetSyncPlan(originPrincipal: "User:sa-origin1"))
        #expect(plan.reachesTarget)
        let expected =
            #"{"groupFilters":[{"name":"billing","patternType":"LITERAL","filterType":"INCLUDE"},"#
            + #"{"name":"quote\"d","patternType":"LITERAL","filterType":"INCLUDE"},"#
            + #"{"name":"orders-","patternType":"PREFIXED","filterType":"INCLUDE"},"#
            + #"{"name":"orders-test","patternType":"LITERAL","filterType":"EXCLUDE"},"#
            + #"{"name":"tmp-","patternType":"PREFIXED","filterType":"EXCLUDE"}]}"#
        #expect(plan.leg1?.groupFilters == expected)
        #expect(plan.leg2?.groupFilters == expected)
        // The filter is JSON a parser accepts.
        let parsed = try JSONSerialization.jsonObject(with: Data(expected.utf8)) as? [String: Any]
        #expect((parsed?["groupFilters"] as? [Any])?.count == 5)
        #expect(
            plan.leg1?.acls == [
                ACLBinding(
                    resourceType: "GROUP", resourceName: "billing", principal: "User:sa-origin1", operation: "DESCRIBE"),
                ACLBinding(
                    resourceType: "GROUP", resourceName: "quote\"d", principal: "User:sa-origin1", operation: "DESCRIBE"
                ),
                ACLBinding(
                    resourceType: "GROUP", resourceName: "orders-", patternType: "PREFIXED",
                    principal: "User:sa-origin1",
                    operation: "DESCRIBE"),
            ])
        #expect(plan.leg2?.acls.map(\.principal) == ["User:sa-link1", "User:sa-link1", "User:sa-link1"])
        // The same selection rule as the links apply.
        let selection = playbook.consumerGroups
        #expect(selection.selects("billing"))
        #expect(selection.selects("orders-eu"))
        #expect(!selection.selects("orders-test"))
        #expect(!selection.selects("tmp-orders"))
        #expect(!selection.selects("payments"))
    }

    @Test func everyGroupByDefaultAndLeg2FollowsLeg1GroupPrefix() throws {
        let options = """
              options:
                consumer.offset.sync.enable: true
              leg1_options:
                cluster.link.prefix: "eu."
                consumer.group.prefix.enable: true
            """
        let (playbook, diagnostics) = try Self.load(
            Self.playbook(options: options, groups: "consumer_groups: {exclude: [legacy]}"))
        #expect(diagnostics.isEmpty)
        let plan = try #require(playbook.offsetSyncPlan(originPrincipal: "User:sa-origin1"))
        #expect(
            plan.leg1?.groupFilters
                == #"{"groupFilters":[{"name":"*","patternType":"LITERAL","filterType":"INCLUDE"},"#
                + #"{"name":"legacy","patternType":"LITERAL","filterType":"EXCLUDE"}]}"#)
        #expect(
            plan.leg2?.groupFilters
                == #"{"groupFilters":[{"name":"eu.","patternType":"PREFIXED","filterType":"INCLUDE"},"#
                + #"{"name":"eu.legacy","patternType":"LITERAL","filterType":"EXCLUDE"}]}"#)
        #expect(
            plan.leg1?.acls == [
                ACLBinding(
                    resourceType: "GROUP", resourceName: "*", principal: "User:sa-origin1", operation: "DESCRIBE")
            ])
        #expect(
            plan.leg2?.acls == [
                ACLBinding(
                    resourceType: "GROUP", resourceName: "eu.", patternType: "PREFIXED", principal: "User:sa-link1",
                    operation: "DESCRIBE")
            ])
    }

    @Test func oneLegOnlyIsAWarningAndAPlanThatStopsAtTheJump() throws {
        let (playbook, diagnostics) = try Self.load(
            Self.playbook(options: "  leg1_options:\n    consumer.offset.sync.enable: true"))
        #expect(
            diagnostics == [
                "pb.yaml:37:1: warning: `consumer.offset.sync.enable` is true on leg 1 only: group offsets reach the "
                    + "target only when both legs sync them; set it in `link.options` (both legs) or in `link.leg2_options`"
            ])
        let plan = try #require(playbook.offsetSyncPlan(originPrincipal: "User:sa-origin1"))
        #expect(plan.leg1 != nil)
        #expect(plan.leg2 == nil)
        #expect(!plan.reachesTarget)
    }

    @Test func badEntriesAreLocatedErrors() {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let text = Self.playbook(
            options: Self.syncBoth,
            groups: """
                consumer_groups:
                  names: ["orders-*", ""]
                  prefixes: [pay*]
                  exclude: ["*", a*b]
                  include: [x]
                """)
        #expect(
            scratch.diagnostics(text) == [
                "pb.yaml:44:11: error: `consumer_groups.names[0]` is a group name, so `*` is not allowed; use `prefixes` "
                    + "for name prefixes, or leave out `names` and `prefixes` to select every group, found `orders-*`",
                "pb.yaml:44:23: error: `consumer_groups.names[1]` is empty",
                "pb.yaml:45:14: error: `consumer_groups.prefixes[0]` is a prefix: write it without `*` (`orders-`, not "
                    + "`orders-*`), found `pay*`",
                "pb.yaml:46:13: error: `consumer_groups.exclude[0]` would exclude every group, found `*`",
                "pb.yaml:46:18: error: `consumer_groups.exclude[1]` may use `*` only at the end (a prefix, like "
                    + "`tmp-*`); otherwise it is an exact group name, found `a*b`",
                "pb.yaml:47:3: error: unknown key `include` in `consumer_groups`; did you mean `exclude`?",
            ])
    }

    @Test func conflictsAndNoOpsAreReported() {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        #expect(
            scratch.diagnostics(Self.playbook(groups: "consumer_groups: {names: []}")) == [
                "pb.yaml:41:1: warning: `consumer_groups` has no effect: no leg sets the link option "
                    + "`consumer.offset.sync.enable: \"true\"`",
                "pb.yaml:41:1: error: `consumer_groups` selects no group: give `names: [...]` and/or `prefixes: [...]`, "
                    + "or leave both out to select every group",
            ])
        let explicit = Self.playbook(
            options: Self.syncBoth + "\n    consumer.offset.group.filters: '{\"groupFilters\":[]}'",
            groups: "consumer_groups: {names: [a, a], exclude: [a]}")
        #expect(
            scratch.diagnostics(explicit) == [
                "pb.yaml:44:1: error: `consumer_groups` and the link option `consumer.offset.group.filters` both choose "
                    + "the synced groups; keep `consumer_groups` (jumpchain builds the filters of both legs from it) and "
                    + "remove the option",
                "pb.yaml:44:30: warning: `a` is listed twice in `consumer_groups.names`",
                "pb.yaml:44:44: warning: group `a` is both in `consumer_groups.names` and excluded; the exclusion wins",
            ])
    }
}
