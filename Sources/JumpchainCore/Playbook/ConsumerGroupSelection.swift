public import ConfluentAPI

/// `consumer_groups:` — whose committed offsets the links sync when a playbook turns on
/// `consumer.offset.sync.enable`: exact group names and/or name prefixes (neither: every group), minus
/// `exclude` (exact names, or prefixes written with a trailing `*`).
public struct ConsumerGroupSelection: Sendable, Hashable, Codable {
    public var names: [String]
    public var prefixes: [String]
    public var exclude: [String]

    public init(names: [String] = [], prefixes: [String] = [], exclude: [String] = []) {
        self.names = names
        self.prefixes = prefixes
        self.exclude = exclude
    }

    /// Every group (the default when `consumer_groups` is absent).
    public static let all = ConsumerGroupSelection()

    /// Whether the include side is "every group".
    public var includesAll: Bool { names.isEmpty && prefixes.isEmpty }

    /// One Confluent group filter (`{"name", "patternType", "filterType"}`).
    public struct Filter: Sendable, Hashable {
        public var name: String
        public var prefixed: Bool
        public var include: Bool

        func matches(_ group: String) -> Bool {
            prefixed ? group.hasPrefix(name) : (name == "*" || name == group)
        }
    }

    /// The filters for a link whose source names every group with `prefix` in front (leg 2 after a leg 1
    /// with `consumer.group.prefix.enable`): includes first, then excludes, each in playbook order.
    public func filters(prefix: String = "") -> [Filter] {
        var result: [Filter] = []
        if includesAll {
            // `*` LITERAL matches every group; with a prefix, the prefix itself selects them.
            result.append(
                prefix.isEmpty
                    ? Filter(name: "*", prefixed: false, include: true)
                    : Filter(name: prefix, prefixed: true, include: true))
        }
        result += names.map { Filter(name: prefix + $0, prefixed: false, include: true) }
        result += prefixes.map { Filter(name: prefix + $0, prefixed: true, include: true) }
        result += exclude.map { entry in
            entry.hasSuffix("*")
                ? Filter(name: prefix + entry.dropLast(), prefixed: true, include: false)
                : Filter(name: prefix + entry, prefixed: false, include: false)
        }
        return result
    }

    /// Whether the links sync `group` (named as on the origin): an include matches and no exclude does —
    /// the rule Confluent applies to `consumer.offset.group.filters`.
    public func selects(_ group: String) -> Bool {
        let all = filters()
        return all.contains { $0.include && $0.matches(group) } && !all.contains { !$0.include && $0.matches(group) }
    }

    /// `consumer.offset.group.filters` as Confluent documents it:
    /// `{"groupFilters":[{"name":…,"patternType":"LITERAL|PREFIXED","filterType":"INCLUDE|EXCLUDE"}]}`.
    public func groupFiltersJSON(prefix: String = "") -> String {
        let entries = filters(prefix: prefix).map { filter in
            "{\"name\":\(Self.quoted(filter.name)),\"patternType\":\"\(filter.prefixed ? "PREFIXED" : "LITERAL")\","
                + "\"filterType\":\"\(filter.include ? "INCLUDE" : "EXCLUDE")\"}"
        }
        return "{\"groupFilters\":[" + entries.joined(separator: ",") + "]}"
    }

    /// DESCRIBE on the selected groups for `principal` (`User:sa-…`): one LITERAL binding per name, one
    /// PREFIXED per prefix, LITERAL `*` when every group is selected (exclusions need no binding).
    public func describeACLs(principal: String, prefix: String = "") -> [ACLBinding] {
        filters(prefix: prefix).filter(\.include).map { filter in
            ACLBinding(
                resourceType: "GROUP", resourceName: filter.name, patternType: filter.prefixed ? "PREFIXED" : "LITERAL",
                principal: principal, operation: "DESCRIBE")
        }
    }

    /// A JSON string literal (quotes, backslashes and control characters escaped).
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out +=
                    "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// What offset sync needs on each leg: the filter document for the leg's destination half and the
/// DESCRIBE-on-group bindings its principal needs on the leg's source cluster.
public struct LegOffsetSync: Sendable, Hashable {
    /// `consumer.offset.group.filters` for the leg.
    public var groupFilters: String
    /// Bindings to create on the leg's source (the origin for leg 1, the jump for leg 2).
    public var acls: [ACLBinding]
}

/// Offset sync for the whole chain. A group reaches the target only when both legs sync it.
public struct OffsetSyncPlan: Sendable, Hashable {
    /// Nil when leg 1 does not turn on `consumer.offset.sync.enable`.
    public var leg1: LegOffsetSync?
    /// Nil when leg 2 does not turn on `consumer.offset.sync.enable`.
    public var leg2: LegOffsetSync?

    /// Whether groups' offsets travel all the way to the target.
    public var reachesTarget: Bool { leg1 != nil && leg2 != nil }
}

extension Playbook {
    /// The offset-sync filters and group ACLs for both legs (pure: no I/O). Leg 1's bindings are for
    /// `originPrincipal` (the principal of `origin_local_credentials`) on the origin; leg 2's for the link
    /// service account on the jump, where groups carry leg 1's `cluster.link.prefix` when leg 1 sets
    /// `consumer.group.prefix.enable`. Nil when neither leg turns offset sync on.
    public func offsetSyncPlan(originPrincipal: String) -> OffsetSyncPlan? {
        let leg1On = link.leg1Options["consumer.offset.sync.enable"] == "true"
        let leg2On = link.leg2Options["consumer.offset.sync.enable"] == "true"
        guard leg1On || leg2On else { return nil }
        let jumpPrefix =
            link.leg1Options["consumer.group.prefix.enable"] == "true"
            ? link.leg1Options["cluster.link.prefix"] ?? "" : ""
        let linkPrincipal = "User:" + link.serviceAccount
        return OffsetSyncPlan(
            leg1: leg1On
                ? LegOffsetSync(
                    groupFilters: consumerGroups.groupFiltersJSON(),
                    acls: consumerGroups.describeACLs(principal: originPrincipal)) : nil,
            leg2: leg2On
                ? LegOffsetSync(
                    groupFilters: consumerGroups.groupFiltersJSON(prefix: jumpPrefix),
                    acls: consumerGroups.describeACLs(principal: linkPrincipal, prefix: jumpPrefix)) : nil)
    }
}
