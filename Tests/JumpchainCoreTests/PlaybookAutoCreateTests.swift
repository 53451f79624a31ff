import ConfluentAPI
import Foundation
import JumpchainCore
import Testing

@Suite("Playbook topics.auto_create")
struct PlaybookAutoCreateTests {
    /// `validPlaybook` with `topics` from line 39 replaced by `topics` (and `link` extended by `link`).
    static func playbook(topics: String, link: String = "") -> String {
        var text = validPlaybook.replacingLine("topics:\n  names: [orders]", with: topics)
        if !link.isEmpty {
            text = text.replacingLine("  service_account: sa-link1", with: "  service_account: sa-link1\n" + link)
        }
        return text
    }

    static func load(_ text: String) throws -> (Playbook, [String]) {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let (playbook, diagnostics) = try PlaybookLoader.load(path: scratch.write("pb.yaml", text), environment: [:])
        return (playbook, diagnostics.map { scratch.strip($0.description) })
    }

    @Test func namesPrefixesAndExclusionsBecomeFiltersOnBothLegsAndPrefixedACLs() throws {
        let (playbook, diagnostics) = try Self.load(
            Self.playbook(
                topics: """
                    topics:
                      names: [orders]
                      patterns: ['inventory\\..*', '^pay\\-.*$']
                      exclude: ['inventory\\.tmp']
                      auto_create: true
                    """,
                link: "  leg1_options: {cluster.link.prefix: j.}"))
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(playbook.topics.autoCreate)
        let configs = try #require(playbook.autoCreateConfigs)
        #expect(configs.leg1["auto.create.mirror.topics.enable"] == "true")
        #expect(
            configs.leg1["auto.create.mirror.topics.filters"]
                == #"{"topicFilters":[{"name":"orders","patternType":"LITERAL","filterType":"INCLUDE"},"#
                + #"{"name":"inventory.","patternType":"PREFIXED","filterType":"INCLUDE"},"#
                + #"{"name":"pay-","patternType":"PREFIXED","filterType":"INCLUDE"},"#
                + #"{"name":"inventory.tmp","patternType":"LITERAL","filterType":"EXCLUDE"}]}"#)
        // Leg 2 reads the jump, where leg 1's prefix names every mirror.
        #expect(
            configs.leg2["auto.create.mirror.topics.filters"]
                == #"{"topicFilters":[{"name":"j.orders","patternType":"LITERAL","filterType":"INCLUDE"},"#
                + #"{"name":"j.inventory.","patternType":"PREFIXED","filterType":"INCLUDE"},"#
                + #"{"name":"j.pay-","patternType":"PREFIXED","filterType":"INCLUDE"},"#
                + #"{"name":"j.inventory.tmp","patternType":"LITERAL","filterType":"EXCLUDE"}]}"#)
        let acls = playbook.autoCreateACLs(originPrincipal: "User:sa-orig1")
        #expect(acls.origin.count == 9 && acls.jump.count == 9, "three operations on each INCLUDE filter")
        #expect(
            acls.origin.contains(
                ACLBinding(
                    resourceType: "TOPIC", resourceName: "inventory.", patternType: "PREFIXED",
                    principal: "User:sa-orig1", operation: "READ")))
        #expect(
            acls.jump.contains(
                ACLBinding(
                    resourceType: "TOPIC", resourceName: "j.pay-", patternType: "PREFIXED", principal: "User:sa-link1",
                    operation: "DESCRIBE_CONFIGS")))
        #expect(!acls.jump.contains { $0.resourceName.contains("tmp") }, "exclusions need no binding")

        // Every topic: `.*` is Confluent's LITERAL `*` (leg 2: the jump prefix).
        let (all, _) = try Self.load(
            Self.playbook(
                topics: "topics:\n  patterns: ['.*']\n  auto_create: true",
                link: "  leg1_options: {cluster.link.prefix: j.}"))
        #expect(all.autoCreateConfigs?.leg1["auto.create.mirror.topics.filters"]?.contains(#""name":"*""#) == true)
        #expect(
            all.autoCreateConfigs?.leg2["auto.create.mirror.topics.filters"]
                == #"{"topicFilters":[{"name":"j.","patternType":"PREFIXED","filterType":"INCLUDE"}]}"#)
    }

    @Test func offByDefaultAndAbsentFromOlderHashes() throws {
        let (plain, _) = try Self.load(validPlaybook)
        #expect(!plain.topics.autoCreate)
        #expect(plain.autoCreateConfigs == nil)
        #expect(!plain.canonicalJSON.contains("auto_create"))
        let (on, _) = try Self.load(Self.playbook(topics: "topics:\n  names: [orders]\n  auto_create: true"))
        #expect(on.contentHash != plain.contentHash)
        // A run recorded before `auto_create` existed decodes with it off.
        var object = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(plain.topics)) as? [String: Any])
        object.removeValue(forKey: "auto_create")
        #expect(
            try JSONDecoder().decode(TopicSelection.self, from: JSONSerialization.data(withJSONObject: object))
                == plain.topics)
    }

    @Test func aPatternThatIsNoNameOrPrefixIsRefusedWithFileLineFieldAndWhatToWrite() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let diagnostics = scratch.diagnostics(
            Self.playbook(
                topics: """
                    topics:
                      names: [orders]
                      patterns:
                        - 'inventory\\..*'
                        - orders.eu
                        - 'pay(ments)?'
                      exclude: ['.*\\.tmp']
                      auto_create: true
                    """))
        #expect(diagnostics.count == 3, "\(diagnostics)")
        let byLine = Dictionary(grouping: diagnostics) { $0.split(separator: ":").prefix(2).joined(separator: ":") }
        let eu = try #require(byLine["pb.yaml:43"]?.first, "\(diagnostics)")
        #expect(eu.contains("error: `topics.patterns[1]` `orders.eu` cannot be an auto-create filter"), "\(eu)")
        #expect(eu.contains("write `orders\\.eu` instead"), "\(eu)")
        let group = try #require(byLine["pb.yaml:44"]?.first, "\(diagnostics)")
        #expect(group.contains("`topics.patterns[2]`") && group.contains("a prefix followed by `.*`"), "\(group)")
        let suffix = try #require(byLine["pb.yaml:45"]?.first, "\(diagnostics)")
        #expect(suffix.contains("`topics.exclude[0]`"), "\(suffix)")
        // The same patterns without auto_create are fine, and so is an explicit option that is not both.
        #expect(
            scratch.diagnostics(
                Self.playbook(topics: "topics:\n  patterns: ['orders.eu', 'pay(ments)?']\n  exclude: ['.*\\.tmp']")
            ).isEmpty)
        let both = scratch.diagnostics(
            Self.playbook(
                topics: "topics:\n  names: [orders]\n  auto_create: true",
                link: "  options: {auto.create.mirror.topics.enable: \"true\"}"))
        #expect(
            both.contains {
                $0.contains("error: `topics.auto_create` and the link option `auto.create.mirror.topics.enable`")
            }, "\(both)")
    }

    @Test func translation() {
        #expect(TopicFilter.translate("orders") == .literal("orders"))
        #expect(TopicFilter.translate("orders\\.eu") == .literal("orders.eu"))
        #expect(TopicFilter.translate("orders\\..*") == .prefix("orders."))
        #expect(TopicFilter.translate(".*") == .literal("*"))
        #expect(
            TopicFilter.translate("orders.+")
                == .refused(reason: "an unescaped `.` matches any character", suggestion: nil))
        #expect(
            TopicFilter.translate("a.b.*")
                == .refused(reason: "an unescaped `.` matches any character", suggestion: "a\\.b.*"))
        #expect(TopicFilter.translate("[ab]x") != .literal("[ab]x"))
    }
}
